//! Market data in SQLite: instruments and daily bars.

use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;
use broadsheet_core::{Bar, Instrument, InstrumentKind, NewInstrument, Symbol};
use chrono::{NaiveDate, Utc};
use sqlx::{QueryBuilder, Row};

use super::record_changes;
use super::{Backend, Db, DbRow};
use crate::{BarCounts, KEY_MARKET, Market, Result};

const INSTRUMENT_COLUMNS: &str = "id, symbol, name, kind, unit, decimals, grp, position, in_ticker";

fn instrument_from_row(r: &DbRow) -> Result<Instrument> {
    let symbol: String = r.try_get("symbol")?;
    let kind: String = r.try_get("kind")?;
    Ok(Instrument {
        id: r.try_get("id")?,
        symbol: Symbol::parse(&symbol)?,
        name: r.try_get("name")?,
        kind: kind.parse::<InstrumentKind>()?,
        unit: r.try_get("unit")?,
        decimals: r.try_get::<i64, _>("decimals")?.clamp(0, 8) as u8,
        group: r.try_get("grp")?,
        position: r.try_get("position")?,
        in_ticker: r.try_get("in_ticker")?,
    })
}

fn bar_from_row(r: &DbRow) -> Result<Bar> {
    let day: String = r.try_get("day")?;
    Ok(Bar {
        date: NaiveDate::parse_from_str(&day, "%Y-%m-%d").unwrap_or_default(),
        open: r.try_get("open")?,
        high: r.try_get("high")?,
        low: r.try_get("low")?,
        close: r.try_get("close")?,
        volume: r.try_get("volume")?,
    })
}

impl Backend {
    pub(super) async fn upsert_instrument_impl(&self, i: &NewInstrument) -> Result<Instrument> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "INSERT INTO instruments (symbol, name, kind, unit, decimals, grp, position, in_ticker)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (symbol) DO UPDATE SET name = excluded.name, kind = excluded.kind,
               unit = excluded.unit, decimals = excluded.decimals, grp = excluded.grp,
               position = excluded.position, in_ticker = excluded.in_ticker
             RETURNING id, symbol, name, kind, unit, decimals, grp, position, in_ticker",
        )
        .bind(i.symbol.as_str())
        .bind(&i.name)
        .bind(i.kind.as_str())
        .bind(&i.unit)
        .bind(i64::from(i.decimals))
        .bind(&i.group)
        .bind(i.position)
        .bind(i.in_ticker)
        .fetch_one(&mut *tx)
        .await?;
        let instrument = instrument_from_row(&row)?;
        record_changes(&mut tx, &BTreeSet::from([KEY_MARKET.to_owned()])).await?;
        tx.commit().await?;
        Ok(instrument)
    }

    pub(super) async fn instruments_impl(&self) -> Result<Vec<Instrument>> {
        let mut q = QueryBuilder::<Db>::new("SELECT ");
        q.push(INSTRUMENT_COLUMNS);
        q.push(" FROM instruments ORDER BY position, symbol");
        q.build()
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(instrument_from_row)
            .collect()
    }

    pub(super) async fn instrument_by_symbol_impl(
        &self,
        symbol: &Symbol,
    ) -> Result<Option<Instrument>> {
        let mut q = QueryBuilder::<Db>::new("SELECT ");
        q.push(INSTRUMENT_COLUMNS);
        q.push(" FROM instruments WHERE symbol = ");
        q.push_bind(symbol.as_str().to_owned());
        q.build()
            .fetch_optional(&self.read)
            .await?
            .as_ref()
            .map(instrument_from_row)
            .transpose()
    }

    pub(super) async fn save_bars_impl(
        &self,
        instrument_id: i64,
        bars: &[Bar],
        source: &str,
    ) -> Result<BarCounts> {
        let mut counts = BarCounts::default();
        let (Some(first), Some(last)) = (
            bars.iter().map(|b| b.date).min(),
            bars.iter().map(|b| b.date).max(),
        ) else {
            return Ok(counts);
        };
        let mut tx = self.begin().await?;
        let existing: HashMap<NaiveDate, Bar> = sqlx::query(
            "SELECT day, open, high, low, close, volume FROM bars
             WHERE instrument_id = $1 AND day BETWEEN $2 AND $3",
        )
        .bind(instrument_id)
        .bind(first.to_string())
        .bind(last.to_string())
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| bar_from_row(r).map(|b| (b.date, b)))
        .collect::<Result<_>>()?;
        let now = Utc::now().timestamp();
        let mut changed: Vec<&Bar> = Vec::with_capacity(bars.len());
        for bar in bars {
            match existing.get(&bar.date) {
                Some(old) if old == bar => counts.unchanged += 1,
                Some(_) => {
                    counts.updated += 1;
                    changed.push(bar);
                }
                None => {
                    counts.inserted += 1;
                    changed.push(bar);
                }
            }
        }
        // Multi-row upserts: one statement per 500 bars (9 parameters each, well under
        // SQLite's limit) instead of one per bar.
        for chunk in changed.chunks(500) {
            let mut q = QueryBuilder::<Db>::new(
                "INSERT INTO bars (instrument_id, day, open, high, low, close, volume, source, updated_at) ",
            );
            q.push_values(chunk, |mut row, bar| {
                row.push_bind(instrument_id)
                    .push_bind(bar.date.to_string())
                    .push_bind(bar.open)
                    .push_bind(bar.high)
                    .push_bind(bar.low)
                    .push_bind(bar.close)
                    .push_bind(bar.volume)
                    .push_bind(source.to_owned())
                    .push_bind(now);
            });
            q.push(
                " ON CONFLICT (instrument_id, day) DO UPDATE SET open = excluded.open,
                  high = excluded.high, low = excluded.low, close = excluded.close,
                  volume = excluded.volume, source = excluded.source, updated_at = excluded.updated_at",
            );
            q.build().execute(&mut *tx).await?;
        }
        if counts.inserted + counts.updated > 0 {
            record_changes(&mut tx, &BTreeSet::from([KEY_MARKET.to_owned()])).await?;
        }
        tx.commit().await?;
        Ok(counts)
    }

    pub(super) async fn latest_bars_impl(
        &self,
        instrument_id: i64,
        limit: u32,
    ) -> Result<Vec<Bar>> {
        let mut bars = sqlx::query(
            "SELECT day, open, high, low, close, volume FROM bars WHERE instrument_id = $1
             ORDER BY day DESC LIMIT $2",
        )
        .bind(instrument_id)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(bar_from_row)
        .collect::<Result<Vec<_>>>()?;
        bars.reverse();
        Ok(bars)
    }

    pub(super) async fn bars_impl(
        &self,
        instrument_id: i64,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Vec<Bar>> {
        let mut q = QueryBuilder::<Db>::new(
            "SELECT day, open, high, low, close, volume FROM bars WHERE instrument_id = ",
        );
        q.push_bind(instrument_id);
        if let Some(f) = from {
            q.push(" AND day >= ");
            q.push_bind(f.to_string());
        }
        if let Some(t) = to {
            q.push(" AND day <= ");
            q.push_bind(t.to_string());
        }
        q.push(" ORDER BY day");
        q.build()
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(bar_from_row)
            .collect()
    }
}

#[async_trait]
impl Market for Backend {
    async fn upsert_instrument(&self, instrument: &NewInstrument) -> Result<Instrument> {
        self.upsert_instrument_impl(instrument).await
    }

    async fn instruments(&self) -> Result<Vec<Instrument>> {
        self.instruments_impl().await
    }

    async fn instrument_by_symbol(&self, symbol: &Symbol) -> Result<Option<Instrument>> {
        self.instrument_by_symbol_impl(symbol).await
    }

    async fn latest_bar_origin(&self, instrument_id: i64) -> Result<Option<(String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT source, updated_at FROM bars WHERE instrument_id = $1 ORDER BY day DESC LIMIT 1",
        )
        .bind(instrument_id)
        .fetch_optional(&self.read)
        .await?)
    }

    async fn latest_bars(&self, instrument_id: i64, limit: u32) -> Result<Vec<Bar>> {
        self.latest_bars_impl(instrument_id, limit).await
    }

    async fn save_bars(&self, instrument_id: i64, bars: &[Bar], source: &str) -> Result<BarCounts> {
        self.save_bars_impl(instrument_id, bars, source).await
    }

    async fn bars(
        &self,
        instrument_id: i64,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Vec<Bar>> {
        self.bars_impl(instrument_id, from, to).await
    }
}
