//! The economic calendar: indicators (a country's CPI, a central bank's rate decision) and
//! their scheduled releases, each with the previous value, the consensus forecast and the
//! actual figure once it is out, and how far the actual surprised.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::Serialize;

use crate::{CoreError, Slug, Symbol, Timestamp};

/// How much a release matters to markets, shown in words and with a symbol, never colour
/// alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Importance {
    Low,
    Medium,
    High,
}

impl Importance {
    pub const ALL: [Importance; 3] = [Self::High, Self::Medium, Self::Low];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Low => "Low",
            Self::Medium => "Medium",
            Self::High => "High",
        }
    }

    /// Three marks, as many filled as the importance is high.
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Low => "●○○",
            Self::Medium => "●●○",
            Self::High => "●●●",
        }
    }
}

impl FromStr for Importance {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "low" | "1" | "l" | "*" => Ok(Self::Low),
            "medium" | "med" | "moderate" | "2" | "m" | "**" => Ok(Self::Medium),
            "high" | "3" | "h" | "***" => Ok(Self::High),
            _ => Err(CoreError::invalid(
                "importance",
                format!("{s:?} is not an importance (low, medium or high)"),
            )),
        }
    }
}

/// The scale values are stated in: "215K" is 215 thousands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    #[default]
    Units,
    Thousands,
    Millions,
    Billions,
    Trillions,
}

impl Scale {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Units => "units",
            Self::Thousands => "thousands",
            Self::Millions => "millions",
            Self::Billions => "billions",
            Self::Trillions => "trillions",
        }
    }

    /// How many units one of this scale is.
    pub fn factor(self) -> f64 {
        match self {
            Self::Units => 1.0,
            Self::Thousands => 1e3,
            Self::Millions => 1e6,
            Self::Billions => 1e9,
            Self::Trillions => 1e12,
        }
    }

    /// The letter written after a value in this scale ("K" for thousands).
    pub fn suffix(self) -> &'static str {
        match self {
            Self::Units => "",
            Self::Thousands => "K",
            Self::Millions => "M",
            Self::Billions => "B",
            Self::Trillions => "T",
        }
    }

    fn from_suffix(c: char) -> Option<Self> {
        match c.to_ascii_uppercase() {
            'K' => Some(Self::Thousands),
            'M' => Some(Self::Millions),
            'B' => Some(Self::Billions),
            'T' => Some(Self::Trillions),
            _ => None,
        }
    }
}

impl FromStr for Scale {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "units" | "unit" | "one" | "1" => Ok(Self::Units),
            "thousands" | "thousand" | "k" => Ok(Self::Thousands),
            "millions" | "million" | "m" => Ok(Self::Millions),
            "billions" | "billion" | "b" | "bn" => Ok(Self::Billions),
            "trillions" | "trillion" | "t" | "tn" => Ok(Self::Trillions),
            _ => Err(CoreError::invalid(
                "scale",
                format!("{s:?} is not a scale (units, thousands, millions, billions, trillions)"),
            )),
        }
    }
}

/// Whether a release has an exact time, or only a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Timing {
    Exact,
    AllDay,
    Tentative,
}

impl Timing {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::AllDay => "all_day",
            Self::Tentative => "tentative",
        }
    }
}

impl FromStr for Timing {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '-'], "_")
            .as_str()
        {
            "exact" => Ok(Self::Exact),
            "all_day" | "allday" => Ok(Self::AllDay),
            "tentative" => Ok(Self::Tentative),
            _ => Err(CoreError::invalid(
                "timing",
                format!("{s:?} is not a timing (exact, all_day or tentative)"),
            )),
        }
    }
}

/// When a release is due: an instant, or a day (midnight UTC of that day in `at`) that is
/// "all day" or "tentative".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Scheduled {
    pub at: Timestamp,
    pub timing: Timing,
}

impl Scheduled {
    pub fn exact(at: Timestamp) -> Self {
        Self {
            at,
            timing: Timing::Exact,
        }
    }

    pub fn day(date: NaiveDate, timing: Timing) -> Self {
        Self {
            at: date.and_time(chrono::NaiveTime::MIN).and_utc(),
            timing,
        }
    }

    /// The calendar day of a release with no time; for an exact time, the UTC day.
    pub fn date(&self) -> NaiveDate {
        self.at.date_naive()
    }
}

/// A series of releases: "Valdoria CPI y/y".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indicator {
    pub id: i64,
    pub slug: Slug,
    /// The country or area ("Valdoria", "Euro area").
    pub country: String,
    pub title: String,
    /// "Inflation", "Labour", "Growth", "Central bank"...
    pub category: String,
    pub importance: Importance,
    /// What a value is measured in: "%", "index points", "EUR". Empty for a plain number.
    pub unit: String,
    pub scale: Scale,
    pub decimals: u8,
    /// A market instrument this release moves.
    pub instrument: Option<Symbol>,
}

impl Indicator {
    /// The country as a filter slug ("Euro area" -> "euro-area").
    pub fn country_slug(&self) -> String {
        country_slug(&self.country)
    }

    /// A value in this indicator's unit and scale: "3.1%", "215K", "1.2B EUR".
    pub fn format(&self, value: f64) -> String {
        format_value(value, &self.unit, self.scale, self.decimals)
    }

    /// How the actual compares with the forecast, to this indicator's precision.
    pub fn surprise(&self, values: &EventValues) -> Option<Surprise> {
        surprise(values.actual?, values.consensus?, self.decimals)
    }
}

/// An indicator as it is created or updated (matched on slug).
#[derive(Debug, Clone, PartialEq)]
pub struct NewIndicator {
    pub slug: Slug,
    pub country: String,
    pub title: String,
    pub category: String,
    pub importance: Importance,
    pub unit: String,
    pub scale: Scale,
    pub decimals: u8,
    pub instrument: Option<Symbol>,
}

impl NewIndicator {
    pub fn validate(&self) -> Result<(), CoreError> {
        for (field, value, max) in [
            ("country", &self.country, 80),
            ("title", &self.title, 120),
            ("category", &self.category, 60),
            ("unit", &self.unit, 24),
        ] {
            if value.chars().any(char::is_control) {
                return Err(CoreError::invalid(field, "contains control characters"));
            }
            if value.chars().count() > max {
                return Err(CoreError::invalid(
                    field,
                    format!("is over {max} characters"),
                ));
            }
        }
        if self.country.trim().is_empty() {
            return Err(CoreError::invalid("country", "is required"));
        }
        if self.title.trim().is_empty() {
            return Err(CoreError::invalid("title", "is required"));
        }
        if self.decimals > 6 {
            return Err(CoreError::invalid("decimals", "is at most 6"));
        }
        Ok(())
    }
}

/// The figures of one release. A value is in the indicator's unit and scale.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct EventValues {
    pub previous: Option<f64>,
    /// The previous release's figure as since revised.
    pub revised_previous: Option<f64>,
    pub consensus: Option<f64>,
    pub actual: Option<f64>,
}

impl EventValues {
    /// These values with every value `other` has laid over them (an import or a push fills
    /// in and corrects; it never blanks a figure already known).
    pub fn overlaid(self, other: &EventValues) -> EventValues {
        EventValues {
            previous: other.previous.or(self.previous),
            revised_previous: other.revised_previous.or(self.revised_previous),
            consensus: other.consensus.or(self.consensus),
            actual: other.actual.or(self.actual),
        }
    }

    pub fn check(&self) -> Result<(), CoreError> {
        for (field, v) in [
            ("previous", self.previous),
            ("revised_previous", self.revised_previous),
            ("consensus", self.consensus),
            ("actual", self.actual),
        ] {
            if v.is_some_and(|v| !v.is_finite() || v.abs() > 1e15) {
                return Err(CoreError::invalid(field, "is not a finite number"));
            }
        }
        Ok(())
    }
}

/// One scheduled release of an indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: i64,
    pub indicator_id: i64,
    /// The vendor's or calendar's own id for it (an iCalendar UID), when it has one.
    pub external_id: Option<String>,
    /// The period the figure refers to: "Nov", "Q3", "Dec 2026".
    pub period: String,
    pub scheduled: Scheduled,
    pub values: EventValues,
    pub updated_at: Timestamp,
}

/// An event as it comes in: an import row, a push, the admin form.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub indicator_id: i64,
    pub external_id: Option<String>,
    pub period: String,
    pub scheduled: Scheduled,
    pub values: EventValues,
}

impl NewEvent {
    pub fn validate(&self) -> Result<(), CoreError> {
        if self.period.chars().count() > 40 || self.period.chars().any(char::is_control) {
            return Err(CoreError::invalid(
                "period",
                "is at most 40 characters, without control characters",
            ));
        }
        if let Some(id) = &self.external_id
            && (id.is_empty() || id.len() > 200 || id.chars().any(char::is_control))
        {
            return Err(CoreError::invalid(
                "id",
                "is 1 to 200 characters, without control characters",
            ));
        }
        self.values.check()
    }
}

/// How an actual figure compares with the consensus forecast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Surprise {
    Above,
    Below,
    InLine,
}

impl Surprise {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Above => "above",
            Self::Below => "below",
            Self::InLine => "in_line",
        }
    }

    /// "above", "below", "in line": how a reader says it.
    pub fn words(self) -> &'static str {
        match self {
            Self::Above => "above",
            Self::Below => "below",
            Self::InLine => "in line",
        }
    }

    pub fn arrow(self) -> &'static str {
        match self {
            Self::Above => "▲",
            Self::Below => "▼",
            Self::InLine => "=",
        }
    }
}

/// Above, below or in line with the forecast, at `decimals` places: 3.10 against 3.1 is in
/// line, 3.2 against 3.1 above.
pub fn surprise(actual: f64, consensus: f64, decimals: u8) -> Option<Surprise> {
    if !actual.is_finite() || !consensus.is_finite() {
        return None;
    }
    let step = 10f64.powi(-i32::from(decimals));
    let diff = ((actual - consensus) / step).round();
    Some(if diff > 0.0 {
        Surprise::Above
    } else if diff < 0.0 {
        Surprise::Below
    } else {
        Surprise::InLine
    })
}

/// A country or area as a filter slug.
pub fn country_slug(country: &str) -> String {
    Slug::derive(country).map_or_else(|| "unknown".to_owned(), |s| s.as_str().to_owned())
}

/// A value for a reader: the indicator's decimals, a thousands separator, the scale's letter
/// and the unit ("3.1%", "215K", "-0.3%", "1,204.5", "1.2B EUR").
pub fn format_value(value: f64, unit: &str, scale: Scale, decimals: u8) -> String {
    let d = usize::from(decimals);
    let fixed = format!("{:.d$}", value.abs());
    let (int, frac) = fixed.split_once('.').unwrap_or((&fixed, ""));
    let mut grouped = String::with_capacity(fixed.len() + 4);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let negative = value < 0.0 && fixed.bytes().any(|b| b.is_ascii_digit() && b != b'0');
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    out.push_str(&grouped);
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out.push_str(scale.suffix());
    match unit.trim() {
        "" => {}
        "%" => out.push('%'),
        u => {
            out.push(' ');
            out.push_str(u);
        }
    }
    out
}

/// Whether a cell says "no value": empty, a dash of any kind, "n/a", "na", "none".
pub fn is_missing(s: &str) -> bool {
    matches!(
        s.trim().to_ascii_lowercase().as_str(),
        "" | "-" | "—" | "–" | "n/a" | "na" | "none" | "null" | "tba" | "."
    )
}

/// Reads a figure as data vendors write it, into `scale`: "3.1", "-0.3%", "+0.5", "1,204.5",
/// and with `decimal_comma` "3,1" and "1.204,5". A plain number is already in `scale` ("215"
/// for payrolls in thousands is 215 thousands); a letter converts ("215K" into units is
/// 215,000, "1.2B" into millions 1,200). A missing value ("—", "n/a", "") is `None`.
pub fn parse_value(s: &str, scale: Scale, decimal_comma: bool) -> Result<Option<f64>, CoreError> {
    let raw = s.trim();
    if is_missing(raw) {
        return Ok(None);
    }
    let bad = || {
        CoreError::invalid(
            "value",
            format!(
                "{:?} is not a number",
                raw.chars().take(40).collect::<String>()
            ),
        )
    };
    let mut t: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}')
        .collect();
    // A unit after the number: "%", "pp", "bps", "pts".
    for unit in ["%", "pp", "bps", "bp", "pts"] {
        if t.len() > unit.len() && t.to_ascii_lowercase().ends_with(unit) {
            t.truncate(t.len() - unit.len());
            break;
        }
    }
    let mut given = scale;
    if let Some(last) = t.chars().last()
        && let Some(s) = Scale::from_suffix(last)
    {
        given = s;
        t.pop();
    }
    let t = t.replace(['−', '–'], "-");
    let t = if decimal_comma {
        t.replace('.', "").replace(',', ".")
    } else {
        t.replace(',', "")
    };
    if t.is_empty()
        || !t
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'+')
    {
        return Err(bad());
    }
    let n: f64 = t.parse().map_err(|_| bad())?;
    if !n.is_finite() {
        return Err(bad());
    }
    let v = n * given.factor() / scale.factor();
    // Undo the float noise of the rescaling: 215K into thousands is 215, not 214.99999.
    let v = (v * 1e9).round() / 1e9;
    Ok(Some(v))
}

impl fmt::Display for Importance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_as_vendors_write_them() {
        let p = |s: &str, scale| parse_value(s, scale, false).expect("test value");
        assert_eq!(p("3.1", Scale::Units), Some(3.1));
        assert_eq!(p("-0.3%", Scale::Units), Some(-0.3));
        assert_eq!(p("+0.5 %", Scale::Units), Some(0.5));
        assert_eq!(p("215K", Scale::Thousands), Some(215.0));
        assert_eq!(p("215K", Scale::Units), Some(215_000.0));
        assert_eq!(
            p("215", Scale::Thousands),
            Some(215.0),
            "plain: in the scale"
        );
        assert_eq!(p("1.2B", Scale::Millions), Some(1200.0));
        assert_eq!(p("1,204.5", Scale::Units), Some(1204.5));
        assert_eq!(p("−0.2", Scale::Units), Some(-0.2));
        assert_eq!(p("—", Scale::Units), None);
        assert_eq!(p("n/a", Scale::Units), None);
        assert_eq!(p("", Scale::Units), None);
        assert_eq!(
            parse_value("3,1", Scale::Units, true).expect("test value"),
            Some(3.1),
            "a decimal comma"
        );
        assert_eq!(
            parse_value("1.204,5", Scale::Units, true).expect("test value"),
            Some(1204.5)
        );
        for bad in [
            "abc",
            "3.1.2",
            "1e999",
            "12 apples",
            "--",
            "0x10",
            "NaN",
            "inf",
        ] {
            assert!(parse_value(bad, Scale::Units, false).is_err(), "{bad}");
        }
    }

    #[test]
    fn values_for_readers() {
        assert_eq!(format_value(3.1, "%", Scale::Units, 1), "3.1%");
        assert_eq!(format_value(-0.3, "%", Scale::Units, 1), "-0.3%");
        assert_eq!(format_value(-0.04, "%", Scale::Units, 1), "0.0%");
        assert_eq!(format_value(215.0, "", Scale::Thousands, 0), "215K");
        assert_eq!(format_value(1204.5, "", Scale::Units, 1), "1,204.5");
        assert_eq!(format_value(1.2, "EUR", Scale::Billions, 1), "1.2B EUR");
    }

    #[test]
    fn surprise_at_the_indicators_precision() {
        assert_eq!(surprise(3.2, 3.1, 1), Some(Surprise::Above));
        assert_eq!(surprise(3.0, 3.1, 1), Some(Surprise::Below));
        assert_eq!(surprise(3.1000001, 3.1, 1), Some(Surprise::InLine));
        assert_eq!(surprise(4.25, 4.25, 2), Some(Surprise::InLine));
        assert_eq!(surprise(f64::NAN, 1.0, 1), None);
    }

    #[test]
    fn a_later_value_fills_in_and_never_blanks() {
        let known = EventValues {
            previous: Some(3.1),
            revised_previous: None,
            consensus: Some(3.0),
            actual: Some(3.2),
        };
        let schedule_only = EventValues {
            previous: Some(3.1),
            ..Default::default()
        };
        assert_eq!(known.overlaid(&schedule_only), known);
        let correction = EventValues {
            actual: Some(3.3),
            ..Default::default()
        };
        assert_eq!(known.overlaid(&correction).actual, Some(3.3));
    }

    #[test]
    fn importance_words() {
        assert_eq!(
            "HIGH".parse::<Importance>().expect("test value"),
            Importance::High
        );
        assert_eq!(
            "2".parse::<Importance>().expect("test value"),
            Importance::Medium
        );
        assert!("urgent".parse::<Importance>().is_err());
        assert!(Importance::High > Importance::Low);
    }
}
