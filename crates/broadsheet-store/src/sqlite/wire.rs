//! The wire desk's tables on SQLite.

use async_trait::async_trait;
use broadsheet_core::{Timestamp, WireItem, WirePicture, WireSignal};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::SqliteStore;
use super::rows::ts;
use crate::Result;
use crate::wire::{
    NewWireSource, PollOutcome, Wire, WireFilter, WireFlag, WireKind, WireProblem, WireRow,
    WireSaveKind, WireSaved, WireSource,
};

fn source_from_row(r: &SqliteRow) -> Result<WireSource> {
    Ok(WireSource {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        kind: WireKind::parse(&r.try_get::<String, _>("kind")?)?,
        url: r.try_get("url")?,
        token_hash: r.try_get("token_hash")?,
        allow_private: r.try_get::<i64, _>("allow_private")? != 0,
        poll_secs: r.try_get("poll_secs")?,
        section: r.try_get("section")?,
        auto_publish: r.try_get::<i64, _>("auto_publish")? != 0,
        etag: r.try_get("etag")?,
        last_modified: r.try_get("last_modified")?,
        next_poll_at: ts(r.try_get("next_poll_at")?),
        failures: r.try_get("failures")?,
        paused: r.try_get::<i64, _>("paused")? != 0,
        last_error: r.try_get("last_error")?,
        last_ok_at: r.try_get::<Option<i64>, _>("last_ok_at")?.map(ts),
    })
}

const ITEM_COLUMNS: &str = "SELECT i.*, s.name AS source_name FROM wire_items i
    JOIN wire_sources s ON s.id = i.source_id";

fn item_from_row(r: &SqliteRow) -> Result<WireRow> {
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
        latest: r.try_get::<i64, _>("latest")? != 0,
        killed: r.try_get::<i64, _>("killed")? != 0,
    })
}

/// Stores one item in the caller's transaction (see `Wire::save_wire_items`).
async fn save_one(
    tx: &mut SqliteConnection,
    source_id: i64,
    item: &WireItem,
    now: i64,
) -> Result<WireSaved> {
    item.validate()?;
    // One look at the story: its newest version, this version's row if stored, and whether
    // the agency has killed it.
    let (newest, this, already_killed): (Option<i64>, Option<i64>, Option<i64>) = sqlx::query_as(
        "SELECT MAX(version), MAX(CASE WHEN version = ?3 THEN id END), MAX(killed)
         FROM wire_items WHERE source_id = ?1 AND guid = ?2",
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
        sqlx::query("UPDATE wire_items SET latest = 0 WHERE source_id = ? AND guid = ?")
            .bind(source_id)
            .bind(&item.guid)
            .execute(&mut *tx)
            .await?;
    }
    let already_killed = already_killed.unwrap_or(0) != 0;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO wire_items (source_id, guid, version, format, agency, urgency, slugline,
            headline, byline, dateline, body_html, subjects, pictures, embargo_until, language,
            signal, sent_at, link, received_at, latest, killed)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
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
    .bind(i64::from(latest))
    .bind(i64::from(already_killed))
    .fetch_one(&mut *tx)
    .await?;
    let mut flagged = Vec::new();
    if item.signal == WireSignal::Kill {
        sqlx::query("UPDATE wire_items SET killed = 1 WHERE source_id = ? AND guid = ?")
            .bind(source_id)
            .bind(&item.guid)
            .execute(&mut *tx)
            .await?;
        flagged = sqlx::query_scalar(
            "UPDATE wire_uses SET flag = 'kill', flagged_at = ?, cleared_at = NULL
             WHERE source_id = ? AND guid = ? AND (flag IS NULL OR cleared_at IS NOT NULL)
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
impl Wire for SqliteStore {
    async fn upsert_wire_source(&self, s: &NewWireSource) -> Result<WireSource> {
        s.validate()?;
        let now = chrono::Utc::now().timestamp();
        let row = sqlx::query(
            "INSERT INTO wire_sources (name, kind, url, token_hash, allow_private, poll_secs,
                section, auto_publish, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (name) DO UPDATE SET kind = ?2, url = ?3,
                token_hash = COALESCE(?4, token_hash), allow_private = ?5, poll_secs = ?6,
                section = ?7, auto_publish = ?8
             RETURNING *",
        )
        .bind(&s.name)
        .bind(s.kind.as_str())
        .bind(s.url.trim())
        .bind(&s.token_hash)
        .bind(i64::from(s.allow_private))
        .bind(s.poll_secs)
        .bind(s.section.trim())
        .bind(i64::from(s.auto_publish))
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
        sqlx::query("SELECT * FROM wire_sources WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.read)
            .await?
            .as_ref()
            .map(source_from_row)
            .transpose()
    }

    async fn set_wire_source_paused(&self, id: i64, paused: bool) -> Result<bool> {
        let done = if paused {
            sqlx::query("UPDATE wire_sources SET paused = 1 WHERE id = ?")
                .bind(id)
                .execute(&self.write)
                .await?
        } else {
            sqlx::query(
                "UPDATE wire_sources SET paused = 0, failures = 0, next_poll_at = 0 WHERE id = ?",
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
        let mut sql = format!("{ITEM_COLUMNS} WHERE i.latest = 1");
        if f.source.is_some() {
            sql.push_str(" AND i.source_id = ?");
        }
        if f.urgency.is_some() {
            sql.push_str(" AND i.urgency IS NOT NULL AND i.urgency <= ?");
        }
        if f.subject.is_some() {
            sql.push_str(" AND EXISTS (SELECT 1 FROM json_each(i.subjects) j WHERE j.value = ?)");
        }
        let words: Vec<String> = f
            .text
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .take(8)
            .map(|w| {
                let escaped = w
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                format!("%{escaped}%")
            })
            .collect();
        for _ in &words {
            sql.push_str(
                " AND (i.headline LIKE ? ESCAPE '\\' OR i.slugline LIKE ? ESCAPE '\\'
                       OR i.body_html LIKE ? ESCAPE '\\')",
            );
        }
        if f.before.is_some() {
            sql.push_str(" AND i.id < ?");
        }
        sql.push_str(" ORDER BY i.id DESC LIMIT ?");
        // Built from constant fragments only; every value is bound.
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        if let Some(s) = f.source {
            q = q.bind(s);
        }
        if let Some(u) = f.urgency {
            q = q.bind(i64::from(u));
        }
        if let Some(s) = &f.subject {
            q = q.bind(s);
        }
        for w in &words {
            q = q.bind(w).bind(w).bind(w);
        }
        if let Some(b) = f.before {
            q = q.bind(b);
        }
        q = q.bind(i64::from(f.limit.clamp(1, 500)));
        q.fetch_all(&self.read)
            .await?
            .iter()
            .map(item_from_row)
            .collect()
    }

    async fn wire_item(&self, id: i64) -> Result<Option<WireRow>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{ITEM_COLUMNS} WHERE i.id = ?"
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
             WHERE o.id = ? ORDER BY i.version DESC, i.id DESC"
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
             SELECT ?, i.id, i.source_id, i.guid, ?,
                    CASE WHEN i.killed = 1 THEN 'kill' END, CASE WHEN i.killed = 1 THEN ? END
             FROM wire_items i WHERE i.id = ?
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
             WHERE i.id = ? ORDER BY u.article_id",
        )
        .bind(item_id)
        .fetch_all(&self.read)
        .await?)
    }

    async fn wire_item_of_article(&self, article_id: i64) -> Result<Option<WireRow>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{ITEM_COLUMNS} JOIN wire_uses u ON u.item_id = i.id WHERE u.article_id = ?
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
            "UPDATE wire_uses SET cleared_at = ? WHERE article_id = ? AND flag IS NOT NULL
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
            "UPDATE wire_sources SET next_poll_at = ?1 + ?2
             WHERE kind = 'feed' AND paused = 0 AND next_poll_at <= ?1 RETURNING *",
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
                    "UPDATE wire_sources SET etag = ?, last_modified = ?, next_poll_at = ?,
                        failures = 0, last_error = NULL, last_ok_at = ? WHERE id = ?",
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
                    "UPDATE wire_sources SET next_poll_at = ?, failures = failures + 1,
                        last_error = ?, paused = MAX(paused, ?) WHERE id = ?",
                )
                .bind(next.timestamp())
                .bind(error)
                .bind(i64::from(*pause))
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
        sqlx::query("INSERT INTO wire_problems (source_id, at, item, reason) VALUES (?, ?, ?, ?)")
            .bind(source_id)
            .bind(now.timestamp())
            .bind(item)
            .bind(reason)
            .execute(&mut *tx)
            .await?;
        // Keep the newest 1,000 per source.
        sqlx::query(
            "DELETE FROM wire_problems WHERE source_id = ?1 AND id NOT IN
               (SELECT id FROM wire_problems WHERE source_id = ?1 ORDER BY id DESC LIMIT 1000)",
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
             JOIN wire_sources s ON s.id = p.source_id ORDER BY p.id DESC LIMIT ?",
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
