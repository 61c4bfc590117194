//! Webhook subscriptions and deliveries on SQLite, and `enqueue`, which the other writes call
//! inside their own transactions.

use async_trait::async_trait;
use broadsheet_core::Timestamp;
use chrono::Utc;
use sqlx::Row;

use super::rows::ts;
use super::{Backend, Conn, DbRow};
use crate::Result;
use crate::webhooks::{HookOutcome, HookStatus, NewWebhook, Webhook, WebhookDelivery, Webhooks};

/// One pending delivery of `event` for every active subscription to it, in the caller's
/// transaction. The body is fixed now: `{"event", "created_at", "data"}`.
pub(super) async fn enqueue(
    tx: &mut Conn,
    event: &str,
    data: &serde_json::Value,
    now: i64,
) -> Result<usize> {
    let body = body(event, data, now);
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO webhook_deliveries (webhook_id, event, payload, status, next_attempt_at, created_at)
         SELECT w.id, $1, $2, 'pending', $3, $3 FROM webhooks w
         WHERE w.active = TRUE AND {}$1)",
        super::dialect::json_has("w.events")
    )))
    .bind(event)
    .bind(body)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() as usize)
}

/// The JSON body of an event, fixed when it happens.
fn body(event: &str, data: &serde_json::Value, now: i64) -> String {
    serde_json::json!({
        "event": event,
        "created_at": ts(now).to_rfc3339(),
        "data": data,
    })
    .to_string()
}

fn webhook_from_row(r: &DbRow) -> Result<Webhook> {
    let events: String = r.try_get("events")?;
    Ok(Webhook {
        id: r.try_get("id")?,
        url: r.try_get("url")?,
        events: serde_json::from_str(&events).unwrap_or_default(),
        secret: r.try_get("secret")?,
        description: r.try_get("description")?,
        active: r.try_get::<bool, _>("active")?,
        created_at: ts(r.try_get("created_at")?),
    })
}

const DELIVERY_COLUMNS: &str = "SELECT d.id, d.webhook_id, w.url, w.secret, d.event, d.payload,
    d.status, d.attempts, d.next_attempt_at, d.last_status, d.last_error, d.created_at,
    d.finished_at FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id";

fn delivery_from_row(r: &DbRow) -> Result<WebhookDelivery> {
    Ok(WebhookDelivery {
        id: r.try_get("id")?,
        webhook_id: r.try_get("webhook_id")?,
        url: r.try_get("url")?,
        secret: r.try_get("secret")?,
        event: r.try_get("event")?,
        payload: r.try_get("payload")?,
        status: HookStatus::parse(&r.try_get::<String, _>("status")?)?,
        attempts: r.try_get("attempts")?,
        next_attempt_at: ts(r.try_get("next_attempt_at")?),
        last_status: r.try_get("last_status")?,
        last_error: r.try_get("last_error")?,
        created_at: ts(r.try_get("created_at")?),
        finished_at: r.try_get::<Option<i64>, _>("finished_at")?.map(ts),
    })
}

#[async_trait]
impl Webhooks for Backend {
    async fn create_webhook(&self, hook: &NewWebhook) -> Result<Webhook> {
        hook.validate()?;
        let now = Utc::now().timestamp();
        let events = serde_json::to_string(&hook.events).unwrap_or_else(|_| "[]".into());
        let row = sqlx::query(
            "INSERT INTO webhooks (url, events, secret, description, created_at)
             VALUES ($1, $2, $3, $4, $5) RETURNING *",
        )
        .bind(hook.url.trim())
        .bind(events)
        .bind(&hook.secret)
        .bind(hook.description.trim())
        .bind(now)
        .fetch_one(&self.write)
        .await?;
        webhook_from_row(&row)
    }

    async fn webhooks(&self) -> Result<Vec<Webhook>> {
        sqlx::query("SELECT * FROM webhooks ORDER BY id")
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(webhook_from_row)
            .collect()
    }

    async fn delete_webhook(&self, id: i64) -> Result<bool> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM webhook_deliveries WHERE webhook_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM webhooks WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn record_event_for(
        &self,
        webhook_id: i64,
        event: &str,
        payload: &serde_json::Value,
    ) -> Result<bool> {
        let now = Utc::now().timestamp();
        let done = sqlx::query(
            "INSERT INTO webhook_deliveries (webhook_id, event, payload, status, next_attempt_at, created_at)
             SELECT id, $1, $2, 'pending', $3, $4 FROM webhooks WHERE id = $5",
        )
        .bind(event)
        .bind(body(event, payload, now))
        .bind(now)
        .bind(now)
        .bind(webhook_id)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn claim_webhook_deliveries(
        &self,
        now: Timestamp,
        lease_secs: i64,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>> {
        // One statement: of two senders racing, each row goes to one of them.
        // On PostgreSQL two nodes take different rows (SKIP LOCKED) and the outer condition is
        // checked again on the locked row. The pick is materialised:
        // evaluated once, so its LIMIT holds.
        let ids: Vec<(i64,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "WITH picked AS MATERIALIZED (
               SELECT id FROM webhook_deliveries
               WHERE status = 'pending' AND next_attempt_at <= $1
               ORDER BY next_attempt_at, id LIMIT $3{})
             UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = $2
             WHERE id IN (SELECT id FROM picked)
               AND status = 'pending' AND next_attempt_at <= $1
             RETURNING id",
            super::dialect::SKIP_LOCKED
        )))
        .bind(now.timestamp())
        .bind(now.timestamp() + lease_secs)
        .bind(i64::from(limit))
        .fetch_all(&self.write)
        .await?;
        let mut out = Vec::with_capacity(ids.len());
        for (id,) in ids {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{DELIVERY_COLUMNS} WHERE d.id = $1"
            )))
            .bind(id)
            .fetch_one(&self.write)
            .await?;
            out.push(delivery_from_row(&row)?);
        }
        out.sort_by_key(|d| d.id);
        Ok(out)
    }

    async fn finish_webhook_delivery(
        &self,
        id: i64,
        outcome: &HookOutcome,
        now: Timestamp,
    ) -> Result<()> {
        let (status, next, code, error, finished) = match outcome {
            HookOutcome::Delivered { status } => ("delivered", now, Some(*status), None, Some(now)),
            HookOutcome::Retry { status, error, at } => {
                ("pending", *at, *status, Some(error.as_str()), None)
            }
            HookOutcome::Failed { status, error } => {
                ("failed", now, *status, Some(error.as_str()), Some(now))
            }
        };
        sqlx::query(
            "UPDATE webhook_deliveries SET status = $1, next_attempt_at = $2, last_status = $3,
             last_error = $4, finished_at = $5 WHERE id = $6",
        )
        .bind(status)
        .bind(next.timestamp())
        .bind(code)
        .bind(error.map(|e| e.chars().take(500).collect::<String>()))
        .bind(finished.map(|t| t.timestamp()))
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn webhook_deliveries(&self, limit: u32) -> Result<Vec<WebhookDelivery>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{DELIVERY_COLUMNS} ORDER BY d.id DESC LIMIT $1"
        )))
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(delivery_from_row)
        .collect()
    }
}
