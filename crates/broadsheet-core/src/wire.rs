//! Agency copy: one `WireItem` type that every wire format (ninjs, NewsML-G2, NITF, IPTC 7901,
//! RSS, Atom, JSON Feed) is parsed into, and the rules an item meets before it is stored.

use serde::{Deserialize, Serialize};

use crate::{CoreError, Credit, Timestamp};

/// What an item says about earlier versions of itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WireSignal {
    /// An ordinary item, or a new version of one.
    #[default]
    None,
    /// The agency corrects an earlier version.
    Correction,
    /// The agency withdraws the story ("kill", "withdrawn", `stat:canceled`): it must not run.
    Kill,
}

impl WireSignal {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "",
            Self::Correction => "correction",
            Self::Kill => "kill",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "correction" => Self::Correction,
            "kill" => Self::Kill,
            _ => Self::None,
        }
    }
}

/// A picture that comes with an item: where to fetch it (when the agency says), what it shows,
/// and its credit kept as parts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WirePicture {
    /// The largest rendition's address, if the item names one.
    pub href: Option<String>,
    pub caption: String,
    pub credit: Credit,
}

/// One agency item as every format is parsed into. `body_html` is sanitised by the parser.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireItem {
    /// Which parser read it: `ninjs`, `newsml-g2`, `nitf`, `iptc7901`, `rss`, `atom`, `json-feed`.
    pub format: String,
    /// The agency that sent it ("Reuters", "dpa", "AAP"); the source's name when the item is silent.
    pub agency: String,
    /// The agency's id for the story, the same across its versions.
    pub guid: String,
    /// The agency's version; 1 when it does not say. Later versions have larger numbers.
    pub version: i64,
    /// 1 (flash) to 9 (lowest), as IPTC urgency; `None` when the item does not say.
    pub urgency: Option<u8>,
    pub slugline: String,
    pub headline: String,
    pub byline: String,
    /// Where and when, as the agency wrote it ("BANGALORE, July 17").
    pub dateline: String,
    pub body_html: String,
    /// Subject codes or names, as the agency gives them.
    pub subjects: Vec<String>,
    pub embargo: Option<Timestamp>,
    pub language: String,
    pub pictures: Vec<WirePicture>,
    pub signal: WireSignal,
    /// When the agency sent or last changed it.
    pub sent_at: Option<Timestamp>,
    /// A link to the original, for feed items.
    pub link: Option<String>,
}

/// Longest headline kept; agencies' headlines are far shorter.
pub const WIRE_HEADLINE_MAX: usize = 1000;
/// Largest body kept (sanitised HTML).
pub const WIRE_BODY_MAX: usize = 2_000_000;
/// Longest guid.
pub const WIRE_GUID_MAX: usize = 500;

impl WireItem {
    /// The rules a stored item meets: it has a guid and something to read, and no field is
    /// enormous. A kill may come without a body.
    pub fn validate(&self) -> Result<(), CoreError> {
        if self.guid.trim().is_empty() {
            return Err(CoreError::invalid("guid", "the item has no identifier"));
        }
        if self.guid.len() > WIRE_GUID_MAX {
            return Err(CoreError::invalid(
                "guid",
                format!("is longer than {WIRE_GUID_MAX} bytes"),
            ));
        }
        if self.headline.trim().is_empty()
            && self.body_html.trim().is_empty()
            && self.signal != WireSignal::Kill
        {
            return Err(CoreError::invalid(
                "headline",
                "the item has neither a headline nor a body",
            ));
        }
        if self.headline.chars().count() > WIRE_HEADLINE_MAX {
            return Err(CoreError::invalid(
                "headline",
                format!("is longer than {WIRE_HEADLINE_MAX} characters"),
            ));
        }
        if self.body_html.len() > WIRE_BODY_MAX {
            return Err(CoreError::invalid("body", "is larger than 2 MB"));
        }
        for (name, value) in [
            ("slugline", &self.slugline),
            ("byline", &self.byline),
            ("dateline", &self.dateline),
            ("agency", &self.agency),
            ("language", &self.language),
        ] {
            if value.len() > 2000 {
                return Err(CoreError::invalid(name, "is longer than 2,000 bytes"));
            }
        }
        if self.subjects.len() > 500 || self.pictures.len() > 100 {
            return Err(CoreError::invalid(
                "subjects",
                "too many subjects or pictures",
            ));
        }
        if let Some(u) = self.urgency
            && !(1..=9).contains(&u)
        {
            return Err(CoreError::invalid("urgency", "must be 1 to 9"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credits_split_into_parts() {
        let c = Credit::parse("Kremlin Pool Photo via AP", Some("Gavriil Grigorov"));
        assert_eq!(c.photographer.as_deref(), Some("Gavriil Grigorov"));
        assert_eq!(c.agency.as_deref(), Some("AP"));
        assert_eq!(c.via.as_deref(), Some("Kremlin Pool Photo via AP"));
        let c = Credit::parse("Jane Doe/Reuters", None);
        assert_eq!(c.photographer.as_deref(), Some("Jane Doe"));
        assert_eq!(c.agency.as_deref(), Some("Reuters"));
        let c = Credit::parse("AAP", None);
        assert_eq!(c.agency.as_deref(), Some("AAP"));
        assert!(c.photographer.is_none());
        assert!(Credit::parse("", None).is_empty());
    }

    #[test]
    fn items_without_id_or_text_are_refused() {
        let mut item = WireItem {
            guid: "x".into(),
            headline: "H".into(),
            ..WireItem::default()
        };
        assert!(item.validate().is_ok());
        item.urgency = Some(0);
        assert!(item.validate().is_err());
        item.urgency = Some(3);
        item.headline.clear();
        assert!(item.validate().is_err(), "nothing to read");
        item.signal = WireSignal::Kill;
        assert!(item.validate().is_ok(), "a kill needs no text");
        item.guid.clear();
        assert!(item.validate().is_err());
    }
}
