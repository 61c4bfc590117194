//! The newsletter tables on SQLite.

use async_trait::async_trait;
use broadsheet_core::{Email, Timestamp};
use chrono::Utc;
use sqlx::Row;

use super::rows::ts;
use super::{Backend, DbRow};
use crate::newsletter::{
    Delivery, Issue, IssueKind, MAX_BOUNCES, NewIssue, Newsletter, Preferences, SendCounts, SignUp,
    Subscriber, SubscriberCounts, SubscriberStatus,
};
use crate::{Result, StoreError};

const SUBSCRIBER_COLUMNS: &str = "SELECT id, email, status, digest, alerts, sections, bounces,
    created_at, confirmed_at FROM subscribers";

fn subscriber_from_row(r: &DbRow) -> Result<Subscriber> {
    let email: String = r.try_get("email")?;
    let status: String = r.try_get("status")?;
    let sections: String = r.try_get("sections")?;
    Ok(Subscriber {
        id: r.try_get("id")?,
        email: Email::parse(&email)?,
        status: SubscriberStatus::parse(&status).ok_or_else(|| StoreError::NotFound {
            what: format!("subscriber status {status:?}"),
        })?,
        digest: r.try_get("digest")?,
        alerts: r.try_get("alerts")?,
        sections: serde_json::from_str(&sections).unwrap_or_default(),
        bounces: r.try_get("bounces")?,
        created_at: ts(r.try_get("created_at")?),
        confirmed_at: r.try_get::<Option<i64>, _>("confirmed_at")?.map(ts),
    })
}

fn issue_from_row(r: &DbRow) -> Result<Issue> {
    Ok(Issue {
        id: r.try_get("id")?,
        key: r.try_get("key")?,
        kind: r.try_get("kind")?,
        subject: r.try_get("subject")?,
        intro: r.try_get("intro")?,
        content: r.try_get("content")?,
        finished: r.try_get::<String, _>("status")? == "sent",
        created_at: ts(r.try_get("created_at")?),
    })
}

const ISSUE_COLUMNS: &str =
    "SELECT id, key, kind, subject, intro, content, status, created_at FROM newsletter_issues";

#[async_trait]
impl Newsletter for Backend {
    async fn sign_up(
        &self,
        email: &Email,
        sections: &[String],
        now: Timestamp,
        resend_after_secs: i64,
    ) -> Result<SignUp> {
        let mut tx = self.begin().await?;
        let now_s = now.timestamp();
        let sections = serde_json::to_string(sections).unwrap_or_else(|_| "[]".into());
        let existing = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SUBSCRIBER_COLUMNS} WHERE email = $1"
        )))
        .bind(email.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let last: Option<i64> = match &existing {
            Some(_) => {
                sqlx::query_scalar("SELECT last_confirmation_at FROM subscribers WHERE email = $1")
                    .bind(email.as_str())
                    .fetch_one(&mut *tx)
                    .await?
            }
            None => None,
        };
        let current = existing.as_ref().map(subscriber_from_row).transpose()?;
        let send = match &current {
            Some(s) if s.status == SubscriberStatus::Active => false,
            Some(_) => last.is_none_or(|t| now_s - t >= resend_after_secs),
            None => true,
        };
        // Someone who left (or bounced, or paused) and signs up again starts over with a
        // confirmation; an active subscriber is left as they are.
        let id: i64 = match &current {
            None => {
                sqlx::query_scalar(
                    "INSERT INTO subscribers (email, status, sections, created_at, updated_at)
                     VALUES ($1, 'pending', $2, $3, $4) RETURNING id",
                )
                .bind(email.as_str())
                .bind(&sections)
                .bind(now_s)
                .bind(now_s)
                .fetch_one(&mut *tx)
                .await?
            }
            Some(s) if s.status == SubscriberStatus::Active => s.id,
            Some(s) => {
                sqlx::query(
                    "UPDATE subscribers SET status = 'pending', bounces = 0, updated_at = $1
                     WHERE id = $2",
                )
                .bind(now_s)
                .bind(s.id)
                .execute(&mut *tx)
                .await?;
                s.id
            }
        };
        if send {
            sqlx::query("UPDATE subscribers SET last_confirmation_at = $1 WHERE id = $2")
                .bind(now_s)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SUBSCRIBER_COLUMNS} WHERE id = $1"
        )))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        let subscriber = subscriber_from_row(&row)?;
        tx.commit().await?;
        Ok(SignUp {
            subscriber,
            send_confirmation: send,
        })
    }

    async fn confirmation_failed(&self, id: i64) -> Result<()> {
        sqlx::query("UPDATE subscribers SET last_confirmation_at = NULL WHERE id = $1")
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    async fn confirm_subscriber(&self, id: i64, now: Timestamp) -> Result<Option<Subscriber>> {
        let mut tx = self.begin().await?;
        let confirmed = sqlx::query(
            "UPDATE subscribers SET status = 'active', confirmed_at = COALESCE(confirmed_at, $1),
             updated_at = $2 WHERE id = $3 AND status = 'pending'",
        )
        .bind(now.timestamp())
        .bind(now.timestamp())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if confirmed {
            let (email, sections): (String, String) =
                sqlx::query_as("SELECT email, sections FROM subscribers WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
            let sections: serde_json::Value =
                serde_json::from_str(&sections).unwrap_or_else(|_| serde_json::json!([]));
            let data = serde_json::json!({ "subscriber": {
                "id": id,
                "email": email,
                "sections": sections,
                "confirmed_at": now.to_rfc3339(),
            }});
            super::webhooks::enqueue(&mut tx, "subscriber.created", &data, now.timestamp()).await?;
        }
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SUBSCRIBER_COLUMNS} WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        row.as_ref().map(subscriber_from_row).transpose()
    }

    async fn subscriber(&self, id: i64) -> Result<Option<Subscriber>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SUBSCRIBER_COLUMNS} WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.read)
        .await?
        .as_ref()
        .map(subscriber_from_row)
        .transpose()
    }

    async fn set_preferences(&self, id: i64, p: &Preferences) -> Result<Option<Subscriber>> {
        let sections = serde_json::to_string(&p.sections).unwrap_or_else(|_| "[]".into());
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE subscribers SET digest = $1, alerts = $2, sections = $3, updated_at = $4,
               status = CASE
                 WHEN status IN ('active', 'paused') THEN CASE WHEN $5 THEN 'paused' ELSE 'active' END
                 ELSE status END
             WHERE id = $6",
        )
        .bind(p.digest)
        .bind(p.alerts)
        .bind(sections)
        .bind(Utc::now().timestamp())
        .bind(p.paused)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SUBSCRIBER_COLUMNS} WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        row.as_ref().map(subscriber_from_row).transpose()
    }

    async fn unsubscribe(&self, id: i64) -> Result<bool> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE subscribers SET status = 'unsubscribed', updated_at = $1 WHERE id = $2",
        )
        .bind(Utc::now().timestamp())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        // Nothing more goes out to them, even from an issue being sent right now.
        sqlx::query(
            "UPDATE send_journal SET status = 'failed', last_error = 'unsubscribed'
             WHERE subscriber_id = $1 AND status = 'pending'",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_subscriber(&self, id: i64) -> Result<bool> {
        let done = sqlx::query("DELETE FROM subscribers WHERE id = $1")
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn expire_pending(&self, before: Timestamp) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM subscribers WHERE status = 'pending' AND confirmed_at IS NULL
             AND updated_at < $1",
        )
        .bind(before.timestamp())
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected())
    }

    async fn subscribers(&self, text: Option<&str>, limit: u32) -> Result<Vec<Subscriber>> {
        let pattern = super::rows::like_pattern(text.unwrap_or("").trim());
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SUBSCRIBER_COLUMNS} WHERE lower(email) LIKE lower($1) ESCAPE '\\' ORDER BY created_at DESC, id DESC
             LIMIT $2"
        )))
        .bind(pattern)
        .bind(i64::from(limit.clamp(1, 100_000)))
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(subscriber_from_row)
        .collect()
    }

    async fn subscriber_counts(&self) -> Result<SubscriberCounts> {
        let mut c = SubscriberCounts::default();
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, COUNT(*) FROM subscribers GROUP BY status")
                .fetch_all(&self.read)
                .await?;
        for (status, n) in rows {
            match status.as_str() {
                "pending" => c.pending = n,
                "active" => c.active = n,
                "paused" => c.paused = n,
                "unsubscribed" => c.unsubscribed = n,
                "bounced" => c.bounced = n,
                _ => {}
            }
        }
        // Days are counted as Unix days (integer division works alike on every backend) and
        // named in Rust.
        let days: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT confirmed_at / 86400 AS day, COUNT(*) FROM subscribers
             WHERE confirmed_at IS NOT NULL GROUP BY confirmed_at / 86400 ORDER BY day",
        )
        .fetch_all(&self.read)
        .await?;
        c.growth = days
            .into_iter()
            .map(|(day, n)| (ts(day * 86400).format("%Y-%m-%d").to_string(), n))
            .collect();
        Ok(c)
    }

    async fn create_issue(&self, issue: &NewIssue) -> Result<(Issue, bool)> {
        let mut tx = self.begin().await?;
        let found = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{ISSUE_COLUMNS} WHERE key = $1"
        )))
        .bind(&issue.key)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(r) = found {
            return Ok((issue_from_row(&r)?, false));
        }
        let now = Utc::now().timestamp();
        // Another node composing the same issue at the same moment: its insert wins and
        // this one returns that issue.
        let row = sqlx::query(
            "INSERT INTO newsletter_issues (key, kind, subject, intro, content, status, created_at)
             VALUES ($1, $2, $3, $4, $5, 'sending', $6)
             ON CONFLICT (key) DO NOTHING
             RETURNING id, key, kind, subject, intro, content, status, created_at",
        )
        .bind(&issue.key)
        .bind(issue.kind.as_str())
        .bind(&issue.subject)
        .bind(&issue.intro)
        .bind(&issue.content)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            let existing = self.issue_by_key(&issue.key).await?.ok_or_else(|| {
                StoreError::Conflict(format!("issue {} was removed while composing", issue.key))
            })?;
            return Ok((existing, false));
        };
        let created = issue_from_row(&row)?;
        let wants = match issue.kind {
            IssueKind::Digest => "digest = TRUE",
            IssueKind::Alert => "alerts = TRUE",
        };
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO send_journal (issue_id, subscriber_id, status)
             SELECT $1, id, 'pending' FROM subscribers WHERE status = 'active' AND {wants}"
        )))
        .bind(created.id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((created, true))
    }

    async fn issue(&self, id: i64) -> Result<Option<Issue>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{ISSUE_COLUMNS} WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.read)
        .await?
        .as_ref()
        .map(issue_from_row)
        .transpose()
    }

    async fn issue_by_key(&self, key: &str) -> Result<Option<Issue>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{ISSUE_COLUMNS} WHERE key = $1"
        )))
        .bind(key)
        .fetch_optional(&self.read)
        .await?
        .as_ref()
        .map(issue_from_row)
        .transpose()
    }

    async fn issues(&self, kind: Option<IssueKind>, limit: u32) -> Result<Vec<Issue>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{ISSUE_COLUMNS} WHERE $1 IS NULL OR kind = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
        )))
        .bind(kind.map(IssueKind::as_str))
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(issue_from_row)
        .collect()
    }

    async fn claim_deliveries(
        &self,
        issue_id: i64,
        limit: u32,
        now: Timestamp,
        lease_secs: i64,
    ) -> Result<Vec<Delivery>> {
        let now_s = now.timestamp();
        let mut tx = self.begin().await?;
        // Two nodes claiming at once take different rows (SKIP LOCKED on PostgreSQL), and the
        // outer condition is checked again on the row as it is when locked, so a row another
        // node claimed meanwhile is never claimed twice. The pick is materialised (evaluated
        // once), so its LIMIT holds.
        let claimed: Vec<(i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "WITH picked AS MATERIALIZED (
               SELECT subscriber_id FROM send_journal
               WHERE issue_id = $3 AND ((status = 'pending' AND next_at <= $1)
                  OR (status = 'sending' AND lease_until <= $1))
               ORDER BY subscriber_id LIMIT $4{})
             UPDATE send_journal SET status = 'sending', lease_until = $1 + $2,
               attempts = attempts + 1
             WHERE issue_id = $3 AND subscriber_id IN (SELECT subscriber_id FROM picked)
               AND ((status = 'pending' AND next_at <= $1)
                  OR (status = 'sending' AND lease_until <= $1))
             RETURNING subscriber_id, attempts",
            super::dialect::SKIP_LOCKED
        )))
        .bind(now_s)
        .bind(lease_secs)
        .bind(issue_id)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        let mut out = Vec::with_capacity(claimed.len());
        for (id, attempts) in claimed {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{SUBSCRIBER_COLUMNS} WHERE id = $1"
            )))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            out.push(Delivery {
                subscriber: subscriber_from_row(&row)?,
                attempts,
            });
        }
        tx.commit().await?;
        out.sort_by_key(|d| d.subscriber.id);
        Ok(out)
    }

    async fn renew_deliveries(
        &self,
        issue_id: i64,
        held: &[(i64, i64)],
        now: Timestamp,
        lease_secs: i64,
    ) -> Result<Vec<i64>> {
        if held.is_empty() {
            return Ok(Vec::new());
        }
        let until = now.timestamp() + lease_secs;
        let mut renewed = Vec::with_capacity(held.len());
        let mut tx = self.begin().await?;
        for &(id, attempts) in held {
            // The claim's `attempts` is the holder's token: a sender that took the row over
            // after the lease ran out claimed it again, which counted another attempt.
            let done = sqlx::query(
                "UPDATE send_journal SET lease_until = $1
                 WHERE issue_id = $2 AND subscriber_id = $3 AND status = 'sending'
                   AND attempts = $4",
            )
            .bind(until)
            .bind(issue_id)
            .bind(id)
            .bind(attempts)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 1 {
                renewed.push(id);
            }
        }
        tx.commit().await?;
        Ok(renewed)
    }

    async fn mark_sent(&self, issue_id: i64, ids: &[i64], now: Timestamp) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        for id in ids {
            sqlx::query(
                "UPDATE send_journal SET status = 'sent', sent_at = $1, lease_until = NULL,
                 last_error = NULL WHERE issue_id = $2 AND subscriber_id = $3",
            )
            .bind(now.timestamp())
            .bind(issue_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn mark_retry(
        &self,
        issue_id: i64,
        subscriber_id: i64,
        attempts: i64,
        retry_at: Timestamp,
        max_attempts: i64,
        error: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE send_journal SET
               status = CASE WHEN attempts >= $1 THEN 'failed' ELSE 'pending' END,
               next_at = $2, lease_until = NULL, last_error = $3
             WHERE issue_id = $4 AND subscriber_id = $5 AND status = 'sending'
               AND attempts = $6",
        )
        .bind(max_attempts)
        .bind(retry_at.timestamp())
        .bind(error.chars().take(500).collect::<String>())
        .bind(issue_id)
        .bind(subscriber_id)
        .bind(attempts)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn mark_bounced(
        &self,
        issue_id: i64,
        subscriber_id: i64,
        attempts: i64,
        error: &str,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let held = sqlx::query(
            "UPDATE send_journal SET status = 'bounced', lease_until = NULL, last_error = $1
             WHERE issue_id = $2 AND subscriber_id = $3 AND status = 'sending'
               AND attempts = $4",
        )
        .bind(error.chars().take(500).collect::<String>())
        .bind(issue_id)
        .bind(subscriber_id)
        .bind(attempts)
        .execute(&mut *tx)
        .await?;
        if held.rows_affected() == 0 {
            // Another sender holds (or finished) the row: its outcome stands.
            return Ok(());
        }
        sqlx::query(
            "UPDATE subscribers SET bounces = bounces + 1,
               status = CASE WHEN bounces + 1 >= $1 THEN 'bounced' ELSE status END
             WHERE id = $2",
        )
        .bind(MAX_BOUNCES)
        .bind(subscriber_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn send_counts(&self, issue_id: i64) -> Result<SendCounts> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT status, COUNT(*) FROM send_journal WHERE issue_id = $1 GROUP BY status",
        )
        .bind(issue_id)
        .fetch_all(&self.read)
        .await?;
        let mut c = SendCounts::default();
        for (status, n) in rows {
            c.total += n;
            match status.as_str() {
                "sent" => c.sent = n,
                "failed" => c.failed = n,
                "bounced" => c.bounced = n,
                _ => c.remaining += n,
            }
        }
        Ok(c)
    }

    async fn finish_issue(&self, issue_id: i64, now: Timestamp) -> Result<bool> {
        let remaining: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM send_journal WHERE issue_id = $1 AND status IN ('pending', 'sending')",
        )
        .bind(issue_id)
        .fetch_one(&self.read)
        .await?;
        if remaining > 0 {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE newsletter_issues SET status = 'sent', finished_at = COALESCE(finished_at, $1)
             WHERE id = $2",
        )
        .bind(now.timestamp())
        .bind(issue_id)
        .execute(&self.write)
        .await?;
        Ok(true)
    }
}
