//! Market quotes coming in, one path for every way they come: a file imported from the
//! command line, a vendor's push (`POST /api/market/quotes`) and a provider polled by the
//! market job all check each bar against the instrument's rules as of today, and store the good
//! ones in one transaction per instrument (`record_bars`); a refused bar is reported with its
//! reason and never stops the others.

use std::collections::BTreeMap;

use broadsheet_core::{Bar, CoreError, Instrument, Symbol};
use broadsheet_store::{BarCounts, Market, StoreError};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{App, Error};

/// Checks `bars` (each with the caller's tag: a line number, an index) against the rules of
/// `instrument` as of `today`, and stores the good ones; of two bars for one day the later
/// wins. Returns what was stored and each refused bar with its reason.
pub async fn record_bars<T>(
    store: &dyn Market,
    instrument: &Instrument,
    bars: impl IntoIterator<Item = (T, Bar)>,
    today: NaiveDate,
    source: &str,
) -> Result<(BarCounts, Vec<(T, CoreError)>), StoreError> {
    let mut good: BTreeMap<NaiveDate, Bar> = BTreeMap::new();
    let mut refused = Vec::new();
    for (tag, bar) in bars {
        match bar.validate(instrument.kind, today) {
            Ok(()) => {
                good.insert(bar.date, bar);
            }
            Err(e) => refused.push((tag, e)),
        }
    }
    let good: Vec<Bar> = good.into_values().collect();
    let counts = if good.is_empty() {
        BarCounts::default()
    } else {
        store.save_bars(instrument.id, &good, source).await?
    };
    Ok((counts, refused))
}

/// One pushed quote.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quote {
    pub symbol: String,
    pub date: NaiveDate,
    pub close: f64,
    pub open: Option<f64>,
    pub high: Option<f64>,
    pub low: Option<f64>,
    pub volume: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QuoteRefused {
    /// The quote's place in the push, from 0.
    pub index: usize,
    pub symbol: String,
    pub error: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PushOutcome {
    pub accepted: usize,
    pub rejected: Vec<QuoteRefused>,
}

/// A pushed quote's place and the symbol as it was sent.
type Pushed<'a> = (usize, &'a str);

/// Stores a vendor's push: quotes for instruments the site knows, each checked on its own.
/// Pages showing them are refreshed at once.
pub async fn push_quotes(app: &App, quotes: &[Quote]) -> Result<PushOutcome, Error> {
    let today = app.now().date_naive();
    let mut outcome = PushOutcome {
        accepted: 0,
        rejected: Vec::new(),
    };
    let mut by_instrument: Vec<(Instrument, Vec<(Pushed<'_>, Bar)>)> = Vec::new();
    for (index, q) in quotes.iter().enumerate() {
        let refuse = |error: &str| QuoteRefused {
            index,
            symbol: q.symbol.clone(),
            error: error.to_owned(),
        };
        let Ok(symbol) = Symbol::parse(&q.symbol) else {
            outcome.rejected.push(refuse("not a symbol"));
            continue;
        };
        let bar = Bar {
            date: q.date,
            open: q.open,
            high: q.high,
            low: q.low,
            close: q.close,
            volume: q.volume,
        };
        match by_instrument.iter_mut().find(|(i, _)| i.symbol == symbol) {
            Some((_, bars)) => bars.push(((index, &q.symbol), bar)),
            None => match app.store.instrument_by_symbol(&symbol).await? {
                Some(instrument) => {
                    by_instrument.push((instrument, vec![((index, &q.symbol), bar)]));
                }
                None => outcome.rejected.push(refuse("unknown symbol")),
            },
        }
    }
    for (instrument, bars) in by_instrument {
        let sent = bars.len();
        let (_, refused) =
            record_bars(app.store.as_ref(), &instrument, bars, today, "push").await?;
        outcome.accepted += sent - refused.len();
        outcome.rejected.extend(
            refused
                .into_iter()
                .map(|((index, symbol), e)| QuoteRefused {
                    index,
                    symbol: symbol.to_owned(),
                    error: e.to_string(),
                }),
        );
    }
    outcome.rejected.sort_by_key(|r| r.index);
    if outcome.accepted > 0 {
        app.sync_changes().await?;
    }
    Ok(outcome)
}
