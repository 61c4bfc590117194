//! Keyset pagination: a `Cursor` names the last item of a page by (published_at, id), so the next
//! page starts strictly after it and stays stable when new articles are published meanwhile.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::{CoreError, Timestamp};

/// Position after which the next page of a newest-first listing starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub published_at: Timestamp,
    pub id: i64,
}

impl Cursor {
    /// Parses the `{unix seconds}_{id}` form used in `?after=` links.
    pub fn parse(s: &str) -> Result<Self, CoreError> {
        let bad = || CoreError::invalid("after", "is not a page cursor");
        let (ts, id) = s.split_once('_').ok_or_else(bad)?;
        let ts: i64 = ts.parse().map_err(|_| bad())?;
        let id: i64 = id.parse().map_err(|_| bad())?;
        if id <= 0 {
            return Err(bad());
        }
        let published_at = DateTime::<Utc>::from_timestamp(ts, 0).ok_or_else(bad)?;
        Ok(Self { published_at, id })
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.published_at.timestamp(), self.id)
    }
}

/// One page of a listing and the cursor of the next page, if there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let c = Cursor::parse("1700000000_42").expect("cursor");
        assert_eq!(c.id, 42);
        assert_eq!(Cursor::parse(&c.to_string()), Ok(c));
        for bad in [
            "",
            "_",
            "abc",
            "1_",
            "_1",
            "1_0",
            "1_-3",
            "x_1",
            "1.5_2",
            "99999999999999999_1",
        ] {
            assert!(Cursor::parse(bad).is_err(), "{bad:?}");
        }
    }
}
