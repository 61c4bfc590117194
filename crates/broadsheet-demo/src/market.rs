//! Demo market data, generated (no third-party series): five years of weekday bars for the
//! demo publication's instruments, ending on the day the demo is installed at the values its
//! stories quote.

use broadsheet_core::{Bar, InstrumentKind, NewInstrument, Symbol};
use chrono::{Datelike, Duration, NaiveDate, Weekday};

pub struct DemoInstrument {
    pub instrument: NewInstrument,
    pub bars: Vec<Bar>,
}

struct Spec {
    symbol: &'static str,
    name: &'static str,
    kind: InstrumentKind,
    unit: &'static str,
    decimals: u8,
    last: f64,
    volatility: f64,
    drift: f64,
    /// The last day's change in percent, as the demo stories report it.
    last_change: Option<f64>,
}

const SPECS: &[Spec] = &[
    Spec {
        symbol: "CAR40",
        name: "Carrow 40",
        kind: InstrumentKind::Index,
        unit: "points",
        decimals: 1,
        last: 8412.6,
        volatility: 0.009,
        drift: 0.0003,
        last_change: Some(1.3),
    },
    Spec {
        symbol: "EURVDC",
        name: "Euro / crown",
        kind: InstrumentKind::Currency,
        unit: "VDC per EUR",
        decimals: 4,
        last: 11.32,
        volatility: 0.003,
        drift: 0.00005,
        last_change: Some(0.4),
    },
    Spec {
        symbol: "BRENT",
        name: "Brent crude",
        kind: InstrumentKind::Commodity,
        unit: "USD/bbl",
        decimals: 2,
        last: 73.6,
        volatility: 0.018,
        drift: 0.0,
        last_change: Some(-1.9),
    },
    Spec {
        symbol: "GOLD",
        name: "Gold",
        kind: InstrumentKind::Commodity,
        unit: "USD/oz",
        decimals: 2,
        last: 2391.4,
        volatility: 0.008,
        drift: 0.0004,
        last_change: None,
    },
    Spec {
        symbol: "VDC10Y",
        name: "Valdoria 10-year yield",
        kind: InstrumentKind::BondYield,
        unit: "%",
        decimals: 2,
        last: 3.94,
        volatility: 0.012,
        drift: 0.0002,
        last_change: Some(-2.2),
    },
];

/// Deterministic noise in [-1, 1).
fn noise(state: &mut u64) -> f64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    (*state % 20_000) as f64 / 10_000.0 - 1.0
}

/// The demo instruments with bars from five years before `today` up to `today`.
pub fn instruments(today: NaiveDate) -> Vec<DemoInstrument> {
    let mut days = Vec::new();
    let mut d = today - Duration::days(5 * 365);
    while d <= today {
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            days.push(d);
        }
        d += Duration::days(1);
    }
    SPECS
        .iter()
        .enumerate()
        .map(|(position, spec)| {
            let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ ((position as u64 + 1) * 0x1000_0000_01B3);
            // A walk in log space drawn backwards from the last day, so the recent bars (and
            // the strip's daily change) are the same whatever day the demo is installed.
            let round = |v: f64| {
                let scale = 10f64.powi(i32::from(spec.decimals));
                (v * scale).round() / scale
            };
            let mut level = 0.0f64;
            let mut first = true;
            let mut bars: Vec<Bar> = days
                .iter()
                .rev()
                .map(|date| {
                    let close = spec.last * level.exp();
                    let step = match (first, spec.last_change) {
                        (true, Some(pct)) => (1.0 + pct / 100.0).ln(),
                        _ => spec.drift + spec.volatility * noise(&mut state),
                    };
                    first = false;
                    level -= step;
                    let spread = close * spec.volatility * 0.6;
                    let open = close - spread * noise(&mut state);
                    let high = close.max(open) + spread * noise(&mut state).abs();
                    let low = close.min(open) - spread * noise(&mut state).abs();
                    let volume = (spec.kind == InstrumentKind::Index)
                        .then(|| (80_000_000.0 * (1.0 + 0.3 * noise(&mut state))).round());
                    Bar {
                        date: *date,
                        open: Some(round(open)),
                        high: Some(round(high)),
                        low: Some(round(low)),
                        close: round(close),
                        volume,
                    }
                })
                .collect();
            bars.reverse();
            DemoInstrument {
                instrument: NewInstrument {
                    symbol: Symbol::parse(spec.symbol)
                        .unwrap_or_else(|_| unreachable!("literal symbols are valid")),
                    name: spec.name.into(),
                    kind: spec.kind,
                    unit: spec.unit.into(),
                    decimals: spec.decimals,
                    group: spec.kind.default_group().into(),
                    position: position as i32 + 1,
                    in_ticker: true,
                },
                bars,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_end_at_the_quoted_values_and_obey_the_rules() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
        let all = instruments(today);
        assert_eq!(all.len(), 5);
        for d in &all {
            let last = d.bars.last().expect("bars");
            assert!(d.bars.len() > 1200, "{}", d.instrument.symbol);
            assert!(last.date <= today);
            for b in &d.bars {
                b.validate(d.instrument.kind, today)
                    .unwrap_or_else(|e| panic!("{} {}: {e}", d.instrument.symbol, b.date));
            }
        }
        assert_eq!(all[0].bars.last().map(|b| b.close), Some(8412.6));
        assert_eq!(
            instruments(today)[2].bars[100],
            all[2].bars[100],
            "deterministic"
        );
    }
}
