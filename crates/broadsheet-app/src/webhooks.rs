//! Sending webhooks: due deliveries from the store's outbox, POSTed as JSON and signed with
//! HMAC-SHA256 over `"{timestamp}.{body}"` (the `Broadsheet-Signature: t=…,v1=…` header, as
//! Stripe and others do, so a receiver can refuse replays by the timestamp). A 2xx answer is
//! delivered; anything else (an error status, a timeout, a refused connection) is retried
//! with exponential backoff and marked failed after the last attempt. The sender runs on its
//! own task beside the scheduler: a slow or dead receiver never holds up publishing.

use broadsheet_store::{HookOutcome, WebhookDelivery};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::context::App;
pub use crate::options::WebhookOptions;

/// Deliveries sent per round.
pub(crate) const BATCH: u32 = 20;
const MAX_BACKOFF_SECS: i64 = 6 * 3600;

/// `t=1700000000,v1=<hex HMAC-SHA256(secret, "1700000000.<body>")>`
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any size");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    let sig = mac.finalize().into_bytes();
    let hex: String = sig.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

/// The wait before attempt `attempts + 1`.
fn backoff(options: &WebhookOptions, attempts: i64) -> i64 {
    let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    options
        .retry_base_secs
        .max(1)
        .saturating_mul(1_i64 << exp)
        .min(MAX_BACKOFF_SECS)
}

/// The body as sent: the stored event with the site's address added.
fn body(app: &App, d: &WebhookDelivery) -> String {
    match serde_json::from_str::<serde_json::Value>(&d.payload) {
        Ok(mut v) => {
            let site = app.site();
            v["site"] = serde_json::json!(site.origin());
            if let Some(path) = v
                .pointer("/data/article/path")
                .and_then(|p| p.as_str())
                .map(str::to_owned)
            {
                v["data"]["article"]["url"] = serde_json::json!(site.syndication().url(&path));
            }
            v.to_string()
        }
        Err(_) => d.payload.clone(),
    }
}

async fn attempt(app: &App, d: &WebhookDelivery) -> HookOutcome {
    let options = &app.webhook_options;
    let body = body(app, d);
    let now = app.now();
    // The receiver's address is checked at every attempt (a name may come to resolve to an
    // internal address); a refused one is a failed attempt with the reason, and no status of
    // anything internal is ever recorded.
    let sent = match crate::outbound::pin(&d.url, options.allow_private).await {
        Ok(pinned) => {
            options
                .client(&pinned)
                .post(pinned.url.clone())
                .header("content-type", "application/json")
                .header("broadsheet-event", &d.event)
                .header("broadsheet-delivery", d.id.to_string())
                .header(
                    "broadsheet-signature",
                    signature(&d.secret, now.timestamp(), &body),
                )
                .body(body)
                .send()
                .await
        }
        Err(refused) => return give_up_or_retry(options, d, now, None, refused),
    };
    let (status, error) = match sent {
        Ok(r) if r.status().is_success() => {
            return HookOutcome::Delivered {
                status: i64::from(r.status().as_u16()),
            };
        }
        Ok(r) => (
            Some(i64::from(r.status().as_u16())),
            format!("answered {}", r.status()),
        ),
        Err(e) if e.is_timeout() => (
            None,
            format!("no answer within {} s", options.timeout_secs.max(1)),
        ),
        Err(e) if e.is_connect() => (None, "cannot connect".to_owned()),
        Err(e) => (None, e.to_string()),
    };
    give_up_or_retry(options, d, now, status, error)
}

fn give_up_or_retry(
    options: &crate::options::WebhookOptions,
    d: &WebhookDelivery,
    now: chrono::DateTime<chrono::Utc>,
    status: Option<i64>,
    error: String,
) -> HookOutcome {
    if d.attempts >= options.max_attempts.max(1) {
        HookOutcome::Failed { status, error }
    } else {
        HookOutcome::Retry {
            status,
            error,
            at: now + chrono::Duration::seconds(backoff(options, d.attempts)),
        }
    }
}

/// Sends what is due, all of one round at once, and records each outcome. Returns how many
/// attempts were made.
pub async fn deliver_due(app: &App) -> Result<usize, broadsheet_store::StoreError> {
    let lease = i64::try_from(app.webhook_options.timeout_secs).unwrap_or(60) + 60;
    let due = app
        .store
        .claim_webhook_deliveries(app.now(), lease, BATCH)
        .await?;
    let n = due.len();
    let mut tasks = tokio::task::JoinSet::new();
    for d in due {
        let app = app.clone();
        tasks.spawn(async move {
            let outcome = attempt(&app, &d).await;
            match &outcome {
                HookOutcome::Delivered { .. } => {
                    crate::metrics::add(&crate::metrics::METRICS.webhooks_delivered, 1);
                }
                HookOutcome::Retry { error, .. } => {
                    tracing::info!(delivery = d.id, event = %d.event, error = %error, "webhook will be retried");
                }
                HookOutcome::Failed { error, .. } => {
                    crate::metrics::add(&crate::metrics::METRICS.webhooks_failed, 1);
                    tracing::warn!(delivery = d.id, event = %d.event, error = %error, "webhook failed for good");
                }
            }
            if let Err(e) = app
                .store
                .finish_webhook_delivery(d.id, &outcome, app.now())
                .await
            {
                tracing::warn!(delivery = d.id, error = %e, "cannot record a webhook delivery");
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_stops_at_six_hours() {
        let o = WebhookOptions::default();
        assert_eq!(backoff(&o, 1), 30);
        assert_eq!(backoff(&o, 2), 60);
        assert_eq!(backoff(&o, 3), 120);
        assert_eq!(backoff(&o, 40), MAX_BACKOFF_SECS);
    }

    #[test]
    fn signatures_cover_the_timestamp_and_the_body() {
        let a = signature("k", 1, "{}");
        assert!(a.starts_with("t=1,v1="));
        assert_ne!(a, signature("k", 2, "{}"));
        assert_ne!(a, signature("k", 1, "{ }"));
        assert_ne!(a, signature("j", 1, "{}"));
    }
}
