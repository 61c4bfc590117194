//! The economic calendar in SQL: indicators, releases, their versions and linked stories.

use std::collections::BTreeSet;

use async_trait::async_trait;
use broadsheet_core::calendar::{
    Event, EventValues, Importance, Indicator, NewEvent, NewIndicator, Scale, Scheduled, Timing,
};
use broadsheet_core::{Slug, Symbol, Timestamp};
use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Row};

use super::record_changes;
use super::{Backend, Conn, Db, DbRow};
use crate::calendar::{Calendar, EventEdit, EventFilter, EventRevision, EventSave, KEY_CALENDAR};
use crate::{Result, StoreError};

const INDICATOR_COLUMNS: &str =
    "id, slug, country, title, category, importance, unit, scale, decimals, instrument";
const EVENT_COLUMNS: &str = "id, indicator_id, external_id, period, at, timing, previous, \
                             revised_previous, consensus, actual, updated_at";

fn time(secs: i64) -> Timestamp {
    DateTime::<Utc>::from_timestamp(secs, 0).unwrap_or_default()
}

fn indicator_from_row(r: &DbRow) -> Result<Indicator> {
    let slug: String = r.try_get("slug")?;
    let importance: String = r.try_get("importance")?;
    let scale: String = r.try_get("scale")?;
    let instrument: Option<String> = r.try_get("instrument")?;
    Ok(Indicator {
        id: r.try_get("id")?,
        slug: Slug::parse(&slug)?,
        country: r.try_get("country")?,
        title: r.try_get("title")?,
        category: r.try_get("category")?,
        importance: importance.parse::<Importance>()?,
        unit: r.try_get("unit")?,
        scale: scale.parse::<Scale>()?,
        decimals: r.try_get::<i64, _>("decimals")?.clamp(0, 6) as u8,
        instrument: instrument.and_then(|s| Symbol::parse(&s).ok()),
    })
}

fn values_from_row(r: &DbRow) -> Result<EventValues> {
    Ok(EventValues {
        previous: r.try_get("previous")?,
        revised_previous: r.try_get("revised_previous")?,
        consensus: r.try_get("consensus")?,
        actual: r.try_get("actual")?,
    })
}

fn event_from_row(r: &DbRow) -> Result<Event> {
    let timing: String = r.try_get("timing")?;
    Ok(Event {
        id: r.try_get("id")?,
        indicator_id: r.try_get("indicator_id")?,
        external_id: r.try_get("external_id")?,
        period: r.try_get("period")?,
        scheduled: Scheduled {
            at: time(r.try_get("at")?),
            timing: timing.parse::<Timing>()?,
        },
        values: values_from_row(r)?,
        updated_at: time(r.try_get("updated_at")?),
    })
}

/// Floats compared as stored: the same figure saved twice is unchanged.
fn same_values(a: &EventValues, b: &EventValues) -> bool {
    let same = |x: Option<f64>, y: Option<f64>| match (x, y) {
        (Some(x), Some(y)) => x.to_bits() == y.to_bits(),
        (None, None) => true,
        _ => false,
    };
    same(a.previous, b.previous)
        && same(a.revised_previous, b.revised_previous)
        && same(a.consensus, b.consensus)
        && same(a.actual, b.actual)
}

async fn write_revision(tx: &mut Conn, event: &Event, source: &str, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO calendar_revisions (event_id, at, source, period, scheduled_at, timing,
           previous, revised_previous, consensus, actual)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(event.id)
    .bind(now)
    .bind(source)
    .bind(&event.period)
    .bind(event.scheduled.at.timestamp())
    .bind(event.scheduled.timing.as_str())
    .bind(event.values.previous)
    .bind(event.values.revised_previous)
    .bind(event.values.consensus)
    .bind(event.values.actual)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The release whose `column` is `value`, read through `exec` (a pool or a transaction).
async fn event_by<'e, E, V>(exec: E, column: &str, value: V) -> Result<Option<Event>>
where
    E: sqlx::Executor<'e, Database = Db>,
    V: 'e + Send + sqlx::Encode<'e, Db> + sqlx::Type<Db>,
{
    let mut q = QueryBuilder::<Db>::new("SELECT ");
    q.push(EVENT_COLUMNS);
    q.push(format!(" FROM calendar_events WHERE {column} = "));
    q.push_bind(value);
    q.build()
        .fetch_optional(exec)
        .await?
        .as_ref()
        .map(event_from_row)
        .transpose()
}

/// The stored release an incoming one is: the one with its id, else the one of its indicator
/// on its day (which then takes the id, unless it has another: two releases, a conflict).
async fn find_event(tx: &mut Conn, e: &NewEvent) -> Result<Option<Event>> {
    if let Some(id) = &e.external_id
        && let Some(found) = event_by(&mut *tx, "external_id", id.clone()).await?
    {
        return Ok(Some(found));
    }
    let mut q = QueryBuilder::<Db>::new("SELECT ");
    q.push(EVENT_COLUMNS);
    q.push(" FROM calendar_events WHERE indicator_id = ");
    q.push_bind(e.indicator_id);
    q.push(" AND day = ");
    q.push_bind(e.scheduled.date().to_string());
    let Some(found) = q
        .build()
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(event_from_row)
        .transpose()?
    else {
        return Ok(None);
    };
    match (&found.external_id, &e.external_id) {
        (Some(a), Some(b)) if a != b => Err(StoreError::Conflict(format!(
            "the indicator's release on {} has another id ({a})",
            e.scheduled.date()
        ))),
        _ => Ok(Some(found)),
    }
}

/// Writes an event's row as it now is.
async fn update_row(tx: &mut Conn, e: &Event, now: i64) -> Result<()> {
    let result = sqlx::query(
        "UPDATE calendar_events SET period = $1, at = $2, day = $3, timing = $4, previous = $5,
           revised_previous = $6, consensus = $7, actual = $8, updated_at = $9,
           external_id = COALESCE(external_id, $10)
         WHERE id = $11",
    )
    .bind(&e.period)
    .bind(e.scheduled.at.timestamp())
    .bind(e.scheduled.date().to_string())
    .bind(e.scheduled.timing.as_str())
    .bind(e.values.previous)
    .bind(e.values.revised_previous)
    .bind(e.values.consensus)
    .bind(e.values.actual)
    .bind(now)
    .bind(e.external_id.as_deref())
    .bind(e.id)
    .execute(&mut *tx)
    .await;
    match result {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Err(StoreError::Conflict(
            "its indicator already has a release on that day".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

#[async_trait]
impl Calendar for Backend {
    async fn upsert_indicator(&self, i: &NewIndicator) -> Result<Indicator> {
        i.validate()?;
        let mut tx = self.begin().await?;
        let mut q = QueryBuilder::<Db>::new(
            "INSERT INTO calendar_indicators (slug, country, title, category, importance, unit,
               scale, decimals, instrument) VALUES (",
        );
        let mut v = q.separated(", ");
        v.push_bind(i.slug.as_str().to_owned());
        v.push_bind(i.country.trim().to_owned());
        v.push_bind(i.title.trim().to_owned());
        v.push_bind(i.category.trim().to_owned());
        v.push_bind(i.importance.as_str());
        v.push_bind(i.unit.trim().to_owned());
        v.push_bind(i.scale.as_str());
        v.push_bind(i64::from(i.decimals));
        v.push_bind(i.instrument.as_ref().map(|s| s.as_str().to_owned()));
        q.push(
            ") ON CONFLICT (slug) DO UPDATE SET country = excluded.country, title = excluded.title,
               category = excluded.category, importance = excluded.importance,
               unit = excluded.unit, scale = excluded.scale, decimals = excluded.decimals,
               instrument = excluded.instrument RETURNING ",
        );
        q.push(INDICATOR_COLUMNS);
        let row = q.build().fetch_one(&mut *tx).await?;
        let indicator = indicator_from_row(&row)?;
        record_changes(&mut tx, &BTreeSet::from([KEY_CALENDAR.to_owned()])).await?;
        tx.commit().await?;
        Ok(indicator)
    }

    async fn indicators(&self) -> Result<Vec<Indicator>> {
        let mut q = QueryBuilder::<Db>::new("SELECT ");
        q.push(INDICATOR_COLUMNS);
        q.push(" FROM calendar_indicators ORDER BY country, title");
        q.build()
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(indicator_from_row)
            .collect()
    }

    async fn indicator_by_slug(&self, slug: &Slug) -> Result<Option<Indicator>> {
        let mut q = QueryBuilder::<Db>::new("SELECT ");
        q.push(INDICATOR_COLUMNS);
        q.push(" FROM calendar_indicators WHERE slug = ");
        q.push_bind(slug.as_str().to_owned());
        q.build()
            .fetch_optional(&self.read)
            .await?
            .as_ref()
            .map(indicator_from_row)
            .transpose()
    }

    async fn save_events(&self, events: &[NewEvent], source: &str) -> Result<Vec<EventSave>> {
        for e in events {
            e.validate()?;
        }
        let now = Utc::now().timestamp();
        let mut tx = self.begin().await?;
        let mut out = Vec::with_capacity(events.len());
        for e in events {
            let saved = match find_event(&mut tx, e).await? {
                Some(old) => {
                    let mut new = old.clone();
                    new.values = old.values.overlaid(&e.values);
                    new.scheduled = e.scheduled;
                    if !e.period.trim().is_empty() {
                        new.period = e.period.trim().to_owned();
                    }
                    if new.external_id.is_none() {
                        new.external_id.clone_from(&e.external_id);
                    }
                    if same_values(&new.values, &old.values)
                        && new.scheduled == old.scheduled
                        && new.period == old.period
                        && new.external_id == old.external_id
                    {
                        EventSave::Unchanged(old.id)
                    } else {
                        update_row(&mut tx, &new, now).await?;
                        write_revision(&mut tx, &new, source, now).await?;
                        EventSave::Updated(old.id)
                    }
                }
                None => {
                    let inserted = sqlx::query(
                        "INSERT INTO calendar_events (indicator_id, external_id, period, at, day,
                           timing, previous, revised_previous, consensus, actual, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                    )
                    .bind(e.indicator_id)
                    .bind(e.external_id.as_deref())
                    .bind(e.period.trim())
                    .bind(e.scheduled.at.timestamp())
                    .bind(e.scheduled.date().to_string())
                    .bind(e.scheduled.timing.as_str())
                    .bind(e.values.previous)
                    .bind(e.values.revised_previous)
                    .bind(e.values.consensus)
                    .bind(e.values.actual)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await;
                    let id: i64 = match inserted {
                        Ok(row) => row.try_get("id")?,
                        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                            return Err(StoreError::Conflict(
                                "another release of that indicator is on that day".into(),
                            ));
                        }
                        Err(e) => return Err(e.into()),
                    };
                    let event = Event {
                        id,
                        indicator_id: e.indicator_id,
                        external_id: e.external_id.clone(),
                        period: e.period.trim().to_owned(),
                        scheduled: e.scheduled,
                        values: e.values,
                        updated_at: time(now),
                    };
                    write_revision(&mut tx, &event, source, now).await?;
                    EventSave::Inserted(id)
                }
            };
            out.push(saved);
        }
        if out.iter().any(|s| !matches!(s, EventSave::Unchanged(_))) {
            record_changes(&mut tx, &BTreeSet::from([KEY_CALENDAR.to_owned()])).await?;
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn events(&self, f: &EventFilter) -> Result<Vec<Event>> {
        let mut q = QueryBuilder::<Db>::new("SELECT ");
        q.push(EVENT_COLUMNS);
        q.push(" FROM calendar_events WHERE TRUE");
        if let Some(from) = f.from {
            q.push(" AND at >= ");
            q.push_bind(from.timestamp());
        }
        if let Some(until) = f.until {
            q.push(" AND at < ");
            q.push_bind(until.timestamp());
        }
        if let Some(id) = f.indicator_id {
            q.push(" AND indicator_id = ");
            q.push_bind(id);
        }
        q.push(if f.newest_first {
            " ORDER BY at DESC, id DESC LIMIT "
        } else {
            " ORDER BY at, id LIMIT "
        });
        q.push_bind(i64::from(f.limit.clamp(1, 10_000)));
        q.build()
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(event_from_row)
            .collect()
    }

    async fn event(&self, id: i64) -> Result<Option<Event>> {
        event_by(&self.read, "id", id).await
    }

    async fn event_by_external_id(&self, external_id: &str) -> Result<Option<Event>> {
        event_by(&self.read, "external_id", external_id.to_owned()).await
    }

    async fn edit_event(&self, id: i64, edit: &EventEdit, source: &str) -> Result<Option<Event>> {
        edit.values.check()?;
        let now = Utc::now().timestamp();
        let mut tx = self.begin().await?;
        let Some(old) = event_by(&mut *tx, "id", id).await? else {
            return Ok(None);
        };
        let new = Event {
            period: edit.period.trim().to_owned(),
            scheduled: edit.scheduled,
            values: edit.values,
            updated_at: time(now),
            ..old.clone()
        };
        if !(same_values(&new.values, &old.values)
            && new.scheduled == old.scheduled
            && new.period == old.period)
        {
            update_row(&mut tx, &new, now).await?;
            write_revision(&mut tx, &new, source, now).await?;
            record_changes(&mut tx, &BTreeSet::from([KEY_CALENDAR.to_owned()])).await?;
        }
        tx.commit().await?;
        Ok(Some(new))
    }

    async fn event_revisions(&self, id: i64) -> Result<Vec<EventRevision>> {
        let rows = sqlx::query(
            "SELECT at, source, period, scheduled_at, timing, previous, revised_previous,
               consensus, actual
             FROM calendar_revisions WHERE event_id = $1 ORDER BY id DESC LIMIT 200",
        )
        .bind(id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let timing: String = r.try_get("timing")?;
                Ok(EventRevision {
                    at: time(r.try_get("at")?),
                    source: r.try_get("source")?,
                    period: r.try_get("period")?,
                    scheduled: Scheduled {
                        at: time(r.try_get("scheduled_at")?),
                        timing: timing.parse::<Timing>()?,
                    },
                    values: values_from_row(r)?,
                })
            })
            .collect()
    }

    async fn set_event_articles(&self, event_id: i64, article_ids: &[i64]) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM calendar_event_articles WHERE event_id = $1")
            .bind(event_id)
            .execute(&mut *tx)
            .await?;
        let unique: BTreeSet<i64> = article_ids.iter().copied().collect();
        for article_id in unique {
            let done = sqlx::query(
                "INSERT INTO calendar_event_articles (event_id, article_id)
                 SELECT $1, id FROM articles WHERE id = $2",
            )
            .bind(event_id)
            .bind(article_id)
            .execute(&mut *tx)
            .await;
            match done {
                Ok(_) => {}
                Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => {
                    return Err(StoreError::NotFound {
                        what: format!("release {event_id}"),
                    });
                }
                Err(e) => return Err(e.into()),
            }
        }
        record_changes(&mut tx, &BTreeSet::from([KEY_CALENDAR.to_owned()])).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn event_articles(&self, event_ids: &[i64]) -> Result<Vec<(i64, i64)>> {
        if event_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = QueryBuilder::<Db>::new(
            "SELECT event_id, article_id FROM calendar_event_articles WHERE event_id IN (",
        );
        let mut list = q.separated(", ");
        for id in event_ids.iter().take(1000) {
            list.push_bind(*id);
        }
        q.push(") ORDER BY event_id, article_id");
        Ok(q.build()
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("event_id")?, r.try_get("article_id")?)))
            .collect::<Result<Vec<_>>>()?)
    }

    async fn set_article_events(&self, article_id: i64, event_ids: &[i64]) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM calendar_event_articles WHERE article_id = $1")
            .bind(article_id)
            .execute(&mut *tx)
            .await?;
        let unique: BTreeSet<i64> = event_ids.iter().copied().collect();
        for event_id in unique {
            sqlx::query(
                "INSERT INTO calendar_event_articles (event_id, article_id)
                 SELECT e.id, a.id FROM calendar_events e, articles a
                 WHERE e.id = $1 AND a.id = $2",
            )
            .bind(event_id)
            .bind(article_id)
            .execute(&mut *tx)
            .await?;
        }
        record_changes(&mut tx, &BTreeSet::from([KEY_CALENDAR.to_owned()])).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn article_events(&self, article_id: i64) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT event_id FROM calendar_event_articles WHERE article_id = $1 ORDER BY event_id",
        )
        .bind(article_id)
        .fetch_all(&self.read)
        .await?)
    }
}
