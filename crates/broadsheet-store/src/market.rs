//! The market-data part of the store: instruments and their daily bars. A use case that
//! only reads or writes prices depends on this part (`&dyn Market`), not the whole `Store`.

use async_trait::async_trait;
use broadsheet_core::{Bar, Instrument, NewInstrument, Symbol};
use chrono::NaiveDate;

use crate::{BarCounts, Result};

#[async_trait]
pub trait Market: Send + Sync {
    /// Creates or updates an instrument, matched on symbol.
    async fn upsert_instrument(&self, instrument: &NewInstrument) -> Result<Instrument>;
    /// All instruments, by group position then symbol.
    async fn instruments(&self) -> Result<Vec<Instrument>>;
    async fn instrument_by_symbol(&self, symbol: &Symbol) -> Result<Option<Instrument>>;
    /// Stores daily bars (replacing those of the same day) in one transaction.
    async fn save_bars(&self, instrument_id: i64, bars: &[Bar], source: &str) -> Result<BarCounts>;
    /// The `limit` most recent bars of an instrument, oldest first.
    async fn latest_bars(&self, instrument_id: i64, limit: u32) -> Result<Vec<Bar>>;
    /// Where the most recent bar came from and when it was written (Unix seconds): the
    /// "as of" of an intraday price pushed or polled during the day.
    async fn latest_bar_origin(&self, instrument_id: i64) -> Result<Option<(String, i64)>>;
    /// Bars of an instrument between two days (inclusive), oldest first.
    async fn bars(
        &self,
        instrument_id: i64,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Vec<Bar>>;
}
