//! Market data: instruments (indices, currency pairs, commodities, stocks, bond yields, crypto)
//! and their daily bars.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::Serialize;

use crate::CoreError;

/// A ticker symbol: 1 to 24 characters of A-Z, 0-9 and `. - _ ^ =` ("BRENT", "EURUSD",
/// "^GSPC"). Stored and shown in upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Symbol(String);

impl Symbol {
    pub fn parse(s: &str) -> Result<Self, CoreError> {
        let upper = s.trim().to_ascii_uppercase();
        let ok = (1..=24).contains(&upper.len())
            && upper
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b".-_^=".contains(&b));
        if ok {
            Ok(Self(upper))
        } else {
            Err(CoreError::invalid(
                "symbol",
                format!("{s:?} is not a symbol (1-24 of A-Z, 0-9, . - _ ^ =)"),
            ))
        }
    }

    /// A symbol made from a free-text name ("Hong Kong" -> "HONG_KONG"), with a prefix.
    pub fn derive(prefix: &str, name: &str) -> Result<Self, CoreError> {
        let body: String = name
            .trim()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        Self::parse(&format!("{prefix}{}", body.trim_matches('_')))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstrumentKind {
    Index,
    Currency,
    Commodity,
    Stock,
    BondYield,
    Crypto,
}

impl InstrumentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Index => "index",
            Self::Currency => "currency",
            Self::Commodity => "commodity",
            Self::Stock => "stock",
            Self::BondYield => "bond_yield",
            Self::Crypto => "crypto",
        }
    }

    /// Whether a value below zero can be real: yields can go negative, and so did the WTI oil
    /// price on 20 April 2020; an index, a stock or an exchange rate cannot.
    pub fn allows_negative(self) -> bool {
        matches!(self, Self::BondYield | Self::Commodity)
    }

    /// The display group on the markets page.
    pub fn default_group(self) -> &'static str {
        match self {
            Self::Index => "Indices",
            Self::Currency => "Currencies",
            Self::Commodity => "Commodities",
            Self::Stock => "Stocks",
            Self::BondYield => "Bonds",
            Self::Crypto => "Crypto",
        }
    }
}

impl FromStr for InstrumentKind {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        Ok(
            match s
                .trim()
                .to_ascii_lowercase()
                .replace(['-', ' '], "_")
                .as_str()
            {
                "index" => Self::Index,
                "currency" | "fx" => Self::Currency,
                "commodity" => Self::Commodity,
                "stock" | "equity" => Self::Stock,
                "bond_yield" | "yield" => Self::BondYield,
                "crypto" => Self::Crypto,
                _ => {
                    return Err(CoreError::invalid(
                        "kind",
                        format!(
                            "{s:?} is not index, currency, commodity, stock, bond_yield or crypto"
                        ),
                    ));
                }
            },
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Instrument {
    pub id: i64,
    pub symbol: Symbol,
    pub name: String,
    pub kind: InstrumentKind,
    /// Currency or unit of the values ("USD", "USD/bbl", "points", "%").
    pub unit: String,
    pub decimals: u8,
    pub group: String,
    pub position: i32,
    pub in_ticker: bool,
}

/// An instrument to create or update (matched on symbol).
#[derive(Debug, Clone, PartialEq)]
pub struct NewInstrument {
    pub symbol: Symbol,
    pub name: String,
    pub kind: InstrumentKind,
    pub unit: String,
    pub decimals: u8,
    pub group: String,
    pub position: i32,
    pub in_ticker: bool,
}

/// One day of an instrument: the close, and open/high/low/volume where the source has them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Bar {
    pub date: NaiveDate,
    pub open: Option<f64>,
    pub high: Option<f64>,
    pub low: Option<f64>,
    pub close: f64,
    pub volume: Option<f64>,
}

impl Bar {
    /// The rules every stored bar meets for an instrument of `kind` as of `today`.
    pub fn validate(&self, kind: InstrumentKind, today: NaiveDate) -> Result<(), CoreError> {
        if self.date > today {
            return Err(CoreError::invalid(
                "date",
                format!("{} is in the future", self.date),
            ));
        }
        let prices = [
            ("open", self.open),
            ("high", self.high),
            ("low", self.low),
            ("close", Some(self.close)),
        ];
        for (field, value) in prices {
            let Some(v) = value else { continue };
            if !v.is_finite() {
                return Err(CoreError::invalid(field, "is not a number"));
            }
            if v < 0.0 && !kind.allows_negative() {
                return Err(CoreError::invalid(
                    field,
                    format!("{v} is negative; {} values cannot be", kind.as_str()),
                ));
            }
        }
        if let (Some(h), Some(l)) = (self.high, self.low)
            && h < l
        {
            return Err(CoreError::invalid(
                "high",
                format!("{h} is below the low {l}"),
            ));
        }
        if self.volume.is_some_and(|v| !v.is_finite() || v < 0.0) {
            return Err(CoreError::invalid(
                "volume",
                "must be a number of zero or more",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_are_checked_and_derived() {
        assert_eq!(
            Symbol::parse("brent").map(|s| s.to_string()),
            Ok("BRENT".into())
        );
        assert!(Symbol::parse("^GSPC").is_ok());
        assert!(Symbol::parse("").is_err());
        assert!(Symbol::parse("EUR USD").is_err());
        assert!(Symbol::parse("<script>").is_err());
        assert!(Symbol::parse(&"A".repeat(25)).is_err());
        assert_eq!(
            Symbol::derive("FX_", "Hong Kong").map(|s| s.to_string()),
            Ok("FX_HONG_KONG".into())
        );
    }

    fn bar(close: f64) -> Bar {
        Bar {
            date: NaiveDate::from_ymd_opt(2020, 4, 20).expect("date"),
            open: None,
            high: None,
            low: None,
            close,
            volume: None,
        }
    }

    #[test]
    fn bars_follow_the_rules_of_their_kind() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
        assert!(
            bar(-36.98)
                .validate(InstrumentKind::Commodity, today)
                .is_ok(),
            "WTI, 20 April 2020"
        );
        assert_eq!(
            bar(-1.0)
                .validate(InstrumentKind::Index, today)
                .map_err(|e| e.field),
            Err("close")
        );
        assert_eq!(
            bar(f64::NAN)
                .validate(InstrumentKind::Commodity, today)
                .map_err(|e| e.field),
            Err("close")
        );
        let future = Bar {
            date: NaiveDate::from_ymd_opt(2027, 1, 1).expect("date"),
            ..bar(1.0)
        };
        assert_eq!(
            future
                .validate(InstrumentKind::Index, today)
                .map_err(|e| e.field),
            Err("date")
        );
        let inverted = Bar {
            high: Some(1.0),
            low: Some(2.0),
            ..bar(1.5)
        };
        assert_eq!(
            inverted
                .validate(InstrumentKind::Stock, today)
                .map_err(|e| e.field),
            Err("high")
        );
        assert!("bond-yield".parse::<InstrumentKind>().is_ok());
        assert!("bonds".parse::<InstrumentKind>().is_err());
    }
}
