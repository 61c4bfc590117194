//! Market data as pages and e-mails show it: formatted values, changes with direction (shown by arrow and
//! words, not colour alone), and whether a quote is stale.

use broadsheet_core::{Bar, Instrument};
use chrono::NaiveDate;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Quote {
    pub symbol: String,
    pub name: String,
    pub unit: String,
    pub value: String,
    pub change: String,
    pub percent: String,
    /// "up", "down" or "flat".
    pub direction: &'static str,
    /// "up 0.52%" for screen readers and anyone who cannot tell the colours apart.
    pub direction_text: String,
    pub as_of: NaiveDate,
    pub stale: bool,
    pub url: String,
}

pub use broadsheet_render::charts::format_number;

/// The quote of `instrument` from its latest bars (oldest first); `None` without any bar. A
/// last bar from before `fresh_since` is marked stale (shown with its date).
pub fn quote(instrument: &Instrument, bars: &[Bar], fresh_since: NaiveDate) -> Option<Quote> {
    let last = bars.last()?;
    let prev = bars.len().checked_sub(2).and_then(|i| bars.get(i));
    let change = prev.map_or(0.0, |p| last.close - p.close);
    let percent = prev
        .filter(|p| p.close != 0.0)
        .map_or(0.0, |p| change / p.close.abs() * 100.0);
    let rounded = (change * 10f64.powi(i32::from(instrument.decimals))).round();
    let direction = if rounded > 0.0 {
        "up"
    } else if rounded < 0.0 {
        "down"
    } else {
        "flat"
    };
    let signed = |v: f64, d: u8| {
        let s = format_number(v, d);
        if v > 0.0 && direction != "flat" {
            format!("+{s}")
        } else {
            s
        }
    };
    let pct = format!("{}%", signed(percent, 2));
    Some(Quote {
        symbol: instrument.symbol.to_string(),
        name: instrument.name.clone(),
        unit: instrument.unit.clone(),
        value: format_number(last.close, instrument.decimals),
        change: signed(change, instrument.decimals),
        percent: pct.clone(),
        direction,
        direction_text: match direction {
            "up" => format!("up {}", pct.trim_start_matches('+')),
            "down" => format!("down {}", pct.trim_start_matches('-')),
            _ => "unchanged".to_owned(),
        },
        as_of: last.date,
        stale: last.date < fresh_since,
        url: format!("/markets/{}", instrument.symbol),
    })
}

/// The instruments of the market strip with their latest quotes, in the strip's order: what
/// every page's strip shows (the server keeps it cached) and the digest's market summary.
pub async fn strip(
    app: &crate::context::App,
    fresh_since: NaiveDate,
) -> Result<Vec<Quote>, broadsheet_store::StoreError> {
    let mut quotes = Vec::new();
    for i in app
        .store
        .instruments()
        .await?
        .into_iter()
        .filter(|i| i.in_ticker)
    {
        let bars = app.store.latest_bars(i.id, 2).await?;
        quotes.extend(quote(&i, &bars, fresh_since));
    }
    Ok(quotes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use broadsheet_core::{InstrumentKind, Symbol};

    #[test]
    fn numbers_are_grouped_and_rounded() {
        assert_eq!(format_number(8412.6, 2), "8,412.60");
        assert_eq!(format_number(1234567.0, 0), "1,234,567");
        assert_eq!(format_number(-36.98, 2), "-36.98");
        assert_eq!(format_number(-0.001, 2), "0.00");
        assert_eq!(format_number(0.8515, 4), "0.8515");
    }

    fn bar(day: u32, close: f64) -> Bar {
        Bar {
            date: NaiveDate::from_ymd_opt(2026, 11, day).expect("day"),
            open: None,
            high: None,
            low: None,
            close,
            volume: None,
        }
    }

    #[test]
    fn quotes_state_direction_in_words_and_flag_staleness() {
        let i = Instrument {
            id: 1,
            symbol: Symbol::parse("CAR40").expect("s"),
            name: "Carrow 40".into(),
            kind: InstrumentKind::Index,
            unit: "points".into(),
            decimals: 1,
            group: "Indices".into(),
            position: 1,
            in_ticker: true,
        };
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).expect("fresh since");
        let q = quote(&i, &[bar(26, 8304.2), bar(27, 8412.6)], today).expect("quote");
        assert_eq!(
            (q.value.as_str(), q.change.as_str(), q.percent.as_str()),
            ("8,412.6", "+108.4", "+1.31%")
        );
        assert_eq!(
            (q.direction, q.direction_text.as_str(), q.stale),
            ("up", "up 1.31%", false)
        );
        let down = quote(&i, &[bar(26, 100.0), bar(27, 99.0)], today).expect("quote");
        assert_eq!(
            (down.direction, down.direction_text.as_str()),
            ("down", "down 1.00%")
        );
        let flat = quote(&i, &[bar(20, 100.0)], today).expect("quote");
        assert_eq!((flat.direction, flat.stale), ("flat", true));
        assert!(quote(&i, &[], today).is_none());
    }
}
