//! The wire desk's tables on SQLite.

use async_trait::async_trait;
use broadsheet_core::{Timestamp, WireItem, WirePicture, WireSignal};
use sqlx::{QueryBuilder, Row};

use super::rows::ts;
use super::{Backend, Conn, Db, DbRow};
use crate::Result;
use crate::wire::{
    NewWireSource, PollOutcome, Wire, WireFilter, WireFlag, WireKind, WireProblem, WireRow,
    WireSaveKind, WireSaved, WireSource,
};

fn source_from_row(r: &DbRow) -> Result<WireSource> {
    Ok(WireSource {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        kind: WireKind::parse(&r.try_get::<String, _>("kind")?)?,
        url: r.try_get("url")?,
        token_hash: r.try_get("token_hash")?,
        allow_private: r.try_get::<bool, _>("allow_private")?,
        poll_secs: r.try_get("poll_secs")?,
        section: r.try_get("section")?,
        auto_publish: r.try_get::<bool, _>("auto_publish")?,
        etag: r.try_get("etag")?,
        last_modified: r.try_get("last_modified")?,
        next_poll_at: ts(r.try_get("next_poll_at")?),
        failures: r.try_get("failures")?,
        paused: r.try_get::<bool, _>("paused")?,
        last_error: r.try_get("last_error")?,
        last_ok_at: r.try_get::<Option<i64>, _>("last_ok_at")?.map(ts),
    })
}

const ITEM_COLUMNS: &str = "SELECT i.*, s.name AS source_name FROM wire_items i
    JOIN wire_sources s ON s.id = i.source_id";

fn item_from_row(r: &DbRow) -> Result<WireRow> {
    let subjects: String = r.try_get("subjects")?;
    let pictures: String = r.try_get("pictures")?;
    Ok(WireRow {
        id: r.try_get("id")?,
        source_id: r.try_get("source_id")?,
        source: r.try_get("source_name")?,
        item: WireItem {
            format: r.try_get("format")?,
            agency: r.try_get("agency")?,
            guid: r.try_get("guid")?,
            version: r.try_get("version")?,
            urgency: r
                .try_get::<Option<i64>, _>("urgency")?
                .and_then(|u| u8::try_from(u).ok()),
            slugline: r.try_get("slugline")?,
            headline: r.try_get("headline")?,
            byline: r.try_get("byline")?,
            dateline: r.try_get("dateline")?,
            body_html: r.try_get("body_html")?,
            subjects: serde_json::from_str(&subjects).unwrap_or_default(),
            embargo: r.try_get::<Option<i64>, _>("embargo_until")?.map(ts),
            language: r.try_get("language")?,
            pictures: serde_json::from_str::<Vec<WirePicture>>(&pictures).unwrap_or_default(),
            signal: WireSignal::parse(&r.try_get::<String, _>("signal")?),
            sent_at: r.try_get::<Option<i64>, _>("sent_at")?.map(ts),
            link: r.try_get("link")?,
        },
        received_at: ts(r.try_get("received_at")?),
        latest: r.try_get::<bool, _>("latest")?,
        killed: r.try_get::<bool, _>("killed")?,
    })
}

/// Stores one item in the caller's transaction (see `Wire::save_wire_items`).
async fn save_one(tx: &mut Conn, source_id: i64, item: &WireItem, now: i64) -> Result<WireSaved> {
    item.validate()?;
    // One look at the story: its newest version, this version's row if stored, and whether
    // the agency has killed it.
    let (newest, this, already_killed): (Option<i64>, Option<i64>, Option<bool>) = sqlx::query_as(
        "SELECT MAX(version), MAX(CASE WHEN version = $3 THEN id END),
                MAX(CASE WHEN killed THEN 1 ELSE 0 END) = 1
         FROM wire_items WHERE source_id = $1 AND guid = $2",
    )
    .bind(source_id)
    .bind(&item.guid)
    .bind(item.version)
    .fetch_one(&mut *tx)
    .await?;
    if let Some(id) = this {
        return Ok(WireSaved {
            id,
            kind: WireSaveKind::Unchanged,
            flagged: Vec::new(),
        });
    }
    let kind = match newest {
        None => WireSaveKind::New,
        Some(v) if v < item.version => WireSaveKind::NewVersion,
        Some(_) => WireSaveKind::Older,
    };
    let latest = kind != WireSaveKind::Older;
    if kind == WireSaveKind::NewVersion {
        sqlx::query("UPDATE wire_items SET latest = FALSE WHERE source_id = $1 AND guid = $2")
            .bind(source_id)
            .bind(&item.guid)
            .execute(&mut *tx)
            .await?;
    }
    let already_killed = already_killed.unwrap_or(false);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO wire_items (source_id, guid, version, format, agency, urgency, slugline,
            headline, byline, dateline, body_html, subjects, pictures, embargo_until, language,
            signal, sent_at, link, received_at, latest, killed)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) RETURNING id",
    )
    .bind(source_id)
    .bind(&item.guid)
    .bind(item.version)
    .bind(&item.format)
    .bind(&item.agency)
    .bind(item.urgency.map(i64::from))
    .bind(&item.slugline)
    .bind(&item.headline)
    .bind(&item.byline)
    .bind(&item.dateline)
    .bind(&item.body_html)
    .bind(serde_json::to_string(&item.subjects).unwrap_or_else(|_| "[]".into()))
    .bind(serde_json::to_string(&item.pictures).unwrap_or_else(|_| "[]".into()))
    .bind(item.embargo.map(|t| t.timestamp()))
    .bind(&item.language)
    .bind(item.signal.as_str())
    .bind(item.sent_at.map(|t| t.timestamp()))
    .bind(&item.link)
    .bind(now)
    .bind(latest)
    .bind(already_killed)
    .fetch_one(&mut *tx)
    .await?;
    let mut flagged = Vec::new();
    if item.signal == WireSignal::Kill {
        sqlx::query("UPDATE wire_items SET killed = TRUE WHERE source_id = $1 AND guid = $2")
            .bind(source_id)
            .bind(&item.guid)
            .execute(&mut *tx)
            .await?;
        flagged = sqlx::query_scalar(
            "UPDATE wire_uses SET flag = 'kill', flagged_at = $1, cleared_at = NULL
             WHERE source_id = $2 AND guid = $3 AND (flag IS NULL OR cleared_at IS NOT NULL)
             RETURNING article_id",
        )
        .bind(now)
        .bind(source_id)
        .bind(&item.guid)
        .fetch_all(&mut *tx)
        .await?;
        flagged.sort_unstable();
        flagged.dedup();
    }
    Ok(WireSaved { id, kind, flagged })
}

#[async_trait]
impl Wire for Backend {
    async fn upsert_wire_source(&self, s: &NewWireSource) -> Result<WireSource> {
        s.validate()?;
        let now = chrono::Utc::now().timestamp();
        let row = sqlx::query(
            "INSERT INTO wire_sources (name, kind, url, token_hash, allow_private, poll_secs,
                section, auto_publish, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (name) DO UPDATE SET kind = $2, url = $3,
                token_hash = COALESCE($4, wire_sources.token_hash), allow_private = $5, poll_secs = $6,
                section = $7, auto_publish = $8
             RETURNING *",
        )
        .bind(&s.name)
        .bind(s.kind.as_str())
        .bind(s.url.trim())
        .bind(&s.token_hash)
        .bind(s.allow_private)
        .bind(s.poll_secs)
        .bind(s.section.trim())
        .bind(s.auto_publish)
        .bind(now)
        .fetch_one(&self.write)
        .await?;
        source_from_row(&row)
    }

    async fn wire_sources(&self) -> Result<Vec<WireSource>> {
        sqlx::query("SELECT * FROM wire_sources ORDER BY name")
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(source_from_row)
            .collect()
    }

    async fn wire_source(&self, name: &str) -> Result<Option<WireSource>> {
        sqlx::query("SELECT * FROM wire_sources WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.read)
            .await?
            .as_ref()
            .map(source_from_row)
            .transpose()
    }

    async fn set_wire_source_paused(&self, id: i64, paused: bool) -> Result<bool> {
        let done = if paused {
            sqlx::query("UPDATE wire_sources SET paused = TRUE WHERE id = $1")
                .bind(id)
                .execute(&self.write)
                .await?
        } else {
            sqlx::query(
                "UPDATE wire_sources SET paused = FALSE, failures = 0, next_poll_at = 0 WHERE id = $1",
            )
            .bind(id)
            .execute(&self.write)
            .await?
        };
        Ok(done.rows_affected() > 0)
    }

    async fn save_wire_items(
        &self,
        source_id: i64,
        items: &[WireItem],
        now: Timestamp,
    ) -> Result<Vec<Result<WireSaved>>> {
        let now = now.timestamp();
        let mut tx = self.begin().await?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            // An item that breaks the rules is refused before anything of it is written, so
            // no savepoint is needed; a database error fails the whole call and the
            // transaction rolls back.
            if let Err(e) = item.validate() {
                out.push(Err(e.into()));
                continue;
            }
            out.push(Ok(save_one(&mut tx, source_id, item, now).await?));
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn wire_items(&self, f: &WireFilter) -> Result<Vec<WireRow>> {
        let mut q = QueryBuilder::<Db>::new(ITEM_COLUMNS);
        q.push(" WHERE i.latest = TRUE");
        if let Some(s) = f.source {
            q.push(" AND i.source_id = ").push_bind(s);
        }
        if let Some(u) = f.urgency {
            q.push(" AND i.urgency IS NOT NULL AND i.urgency <= ")
                .push_bind(i64::from(u));
        }
        if let Some(s) = &f.subject {
            q.push(" AND ")
                .push(super::dialect::json_has("i.subjects"))
                .push_bind(s.clone())
                .push(")");
        }
        let words = f
            .text
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .take(8)
            .map(super::rows::like_pattern);
        for w in words {
            q.push(" AND (lower(i.headline) LIKE lower(")
                .push_bind(w.clone())
                .push(") ESCAPE '\\' OR lower(i.slugline) LIKE lower(")
                .push_bind(w.clone())
                .push(") ESCAPE '\\' OR lower(i.body_html) LIKE lower(")
                .push_bind(w)
                .push(") ESCAPE '\\')");
        }
        if let Some(b) = f.before {
            q.push(" AND i.id < ").push_bind(b);
        }
        q.push(" ORDER BY i.id DESC LIMIT ")
            .push_bind(i64::from(f.limit.clamp(1, 500)));
        q.build()
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(item_from_row)
            .collect()
    }

    async fn wire_item(&self, id: i64) -> Result<Option<WireRow>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{ITEM_COLUMNS} WHERE i.id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.read)
        .await?
        .as_ref()
        .map(item_from_row)
        .transpose()
    }

    async fn wire_versions(&self, item_id: i64) -> Result<Vec<WireRow>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{ITEM_COLUMNS} JOIN wire_items o ON o.source_id = i.source_id AND o.guid = i.guid
             WHERE o.id = $1 ORDER BY i.version DESC, i.id DESC"
        )))
        .bind(item_id)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(item_from_row)
        .collect()
    }

    async fn record_wire_use(&self, item_id: i64, article_id: i64, now: Timestamp) -> Result<()> {
        sqlx::query(
            "INSERT INTO wire_uses (article_id, item_id, source_id, guid, created_at, flag, flagged_at)
             SELECT $1, i.id, i.source_id, i.guid, $2,
                    CASE WHEN i.killed = TRUE THEN 'kill' END, CASE WHEN i.killed = TRUE THEN $3 END
             FROM wire_items i WHERE i.id = $4
             ON CONFLICT DO NOTHING",
        )
        .bind(article_id)
        .bind(now.timestamp())
        .bind(now.timestamp())
        .bind(item_id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn wire_uses(&self, item_id: i64) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT u.article_id FROM wire_uses u JOIN wire_items i
               ON i.source_id = u.source_id AND i.guid = u.guid
             WHERE i.id = $1 ORDER BY u.article_id",
        )
        .bind(item_id)
        .fetch_all(&self.read)
        .await?)
    }

    async fn wire_item_of_article(&self, article_id: i64) -> Result<Option<WireRow>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{ITEM_COLUMNS} JOIN wire_uses u ON u.item_id = i.id WHERE u.article_id = $1
             ORDER BY u.created_at DESC LIMIT 1"
        )))
        .bind(article_id)
        .fetch_optional(&self.read)
        .await?
        .as_ref()
        .map(item_from_row)
        .transpose()
    }

    async fn wire_flags(&self) -> Result<Vec<WireFlag>> {
        let rows = sqlx::query(
            "SELECT u.article_id, a.headline, a.status, u.item_id, s.name AS source, u.guid,
                    u.flag, u.flagged_at
             FROM wire_uses u JOIN articles a ON a.id = u.article_id
             JOIN wire_sources s ON s.id = u.source_id
             WHERE u.flag IS NOT NULL AND u.cleared_at IS NULL
             ORDER BY u.flagged_at DESC, u.article_id",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(WireFlag {
                    article_id: r.try_get("article_id")?,
                    headline: r.try_get("headline")?,
                    status: r
                        .try_get::<String, _>("status")?
                        .parse()
                        .map_err(crate::StoreError::Invalid)?,
                    item_id: r.try_get("item_id")?,
                    source: r.try_get("source")?,
                    guid: r.try_get("guid")?,
                    flag: r.try_get("flag")?,
                    flagged_at: ts(r.try_get("flagged_at")?),
                })
            })
            .collect()
    }

    async fn clear_wire_flag(&self, article_id: i64, now: Timestamp) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE wire_uses SET cleared_at = $1 WHERE article_id = $2 AND flag IS NOT NULL
             AND cleared_at IS NULL",
        )
        .bind(now.timestamp())
        .bind(article_id)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn claim_wire_polls(&self, now: Timestamp, lease_secs: i64) -> Result<Vec<WireSource>> {
        let now = now.timestamp();
        sqlx::query(
            "UPDATE wire_sources SET next_poll_at = $1 + $2
             WHERE kind = 'feed' AND paused = FALSE AND next_poll_at <= $1 RETURNING *",
        )
        .bind(now)
        .bind(lease_secs)
        .fetch_all(&self.write)
        .await?
        .iter()
        .map(source_from_row)
        .collect()
    }

    async fn finish_wire_poll(&self, id: i64, outcome: &PollOutcome, now: Timestamp) -> Result<()> {
        match outcome {
            PollOutcome::Fetched {
                etag,
                last_modified,
                next,
            } => {
                sqlx::query(
                    "UPDATE wire_sources SET etag = $1, last_modified = $2, next_poll_at = $3,
                        failures = 0, last_error = NULL, last_ok_at = $4 WHERE id = $5",
                )
                .bind(etag)
                .bind(last_modified)
                .bind(next.timestamp())
                .bind(now.timestamp())
                .bind(id)
                .execute(&self.write)
                .await?;
            }
            PollOutcome::Failed { error, next, pause } => {
                sqlx::query(
                    "UPDATE wire_sources SET next_poll_at = $1, failures = failures + 1,
                        last_error = $2, paused = (paused OR $3) WHERE id = $4",
                )
                .bind(next.timestamp())
                .bind(error)
                .bind(*pause)
                .bind(id)
                .execute(&self.write)
                .await?;
            }
        }
        Ok(())
    }

    async fn log_wire_problem(
        &self,
        source_id: i64,
        item: &str,
        reason: &str,
        now: Timestamp,
    ) -> Result<()> {
        let item: String = item.chars().take(300).collect();
        let reason: String = reason.chars().take(1000).collect();
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO wire_problems (source_id, at, item, reason) VALUES ($1, $2, $3, $4)",
        )
        .bind(source_id)
        .bind(now.timestamp())
        .bind(item)
        .bind(reason)
        .execute(&mut *tx)
        .await?;
        // Keep the newest 1,000 per source.
        sqlx::query(
            "DELETE FROM wire_problems WHERE source_id = $1 AND id NOT IN
               (SELECT id FROM wire_problems WHERE source_id = $1 ORDER BY id DESC LIMIT 1000)",
        )
        .bind(source_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn wire_problems(&self, limit: u32) -> Result<Vec<WireProblem>> {
        let rows = sqlx::query(
            "SELECT s.name, p.at, p.item, p.reason FROM wire_problems p
             JOIN wire_sources s ON s.id = p.source_id ORDER BY p.id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(WireProblem {
                    source: r.try_get("name")?,
                    at: ts(r.try_get("at")?),
                    item: r.try_get("item")?,
                    reason: r.try_get("reason")?,
                })
            })
            .collect()
    }
}
