//! Settings, job leases and the change log in SQL, for both backends.

use std::collections::BTreeSet;

use async_trait::async_trait;
use broadsheet_core::Timestamp;
use sqlx::Row;

use super::Backend;
use super::articles::record_changes;
use crate::{Changes, KEY_ALL, Result, SiteState};

#[async_trait]
impl SiteState for Backend {
    async fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_optional(&self.read)
                .await?,
        )
    }

    async fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&mut *tx)
        .await?;
        record_changes(&mut tx, &BTreeSet::from([KEY_ALL.to_owned()])).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn try_lease(&self, job: &str, holder: &str, now: Timestamp, secs: i64) -> Result<bool> {
        // One statement: of two nodes racing, the row lock (PostgreSQL) or the single writer
        // (SQLite) lets one in, and the other sees its lease.
        let got: Option<String> = sqlx::query_scalar(
            "INSERT INTO job_leases (job, holder, until) VALUES ($1, $2, $3)
             ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, until = excluded.until
             WHERE job_leases.until <= $4 OR job_leases.holder = excluded.holder
             RETURNING holder",
        )
        .bind(job)
        .bind(holder)
        .bind(now.timestamp() + secs.max(1))
        .bind(now.timestamp())
        .fetch_optional(&self.write)
        .await?;
        Ok(got.is_some())
    }

    async fn release_lease(&self, job: &str, holder: &str) -> Result<()> {
        sqlx::query("DELETE FROM job_leases WHERE job = $1 AND holder = $2")
            .bind(job)
            .bind(holder)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    async fn wait_for_change(&self, max: std::time::Duration) {
        self.wait_for_change_impl(max).await;
    }

    async fn setting_or_init(&self, key: &str, value: &str) -> Result<String> {
        let inserted = sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(value)
        .execute(&self.write)
        .await?;
        if inserted.rows_affected() == 1 {
            return Ok(value.to_owned());
        }
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_one(&self.write)
                .await?,
        )
    }

    async fn change_head(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM changes")
                .fetch_one(&self.read)
                .await?,
        )
    }

    async fn changes_since(&self, since: i64) -> Result<Changes> {
        let rows =
            sqlx::query("SELECT seq, keys FROM changes WHERE seq > $1 ORDER BY seq LIMIT 500")
                .bind(since)
                .fetch_all(&self.read)
                .await?;
        let mut changes = Changes {
            upto: since,
            keys: Vec::new(),
        };
        let mut seen = BTreeSet::new();
        for r in rows {
            changes.upto = r.try_get("seq")?;
            let keys: String = r.try_get("keys")?;
            for k in keys.split(' ') {
                if seen.insert(k.to_owned()) {
                    changes.keys.push(k.to_owned());
                }
            }
        }
        Ok(changes)
    }
}
