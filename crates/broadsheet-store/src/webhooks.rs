//! The webhook half of the persistence seam: subscriptions and the outbox of deliveries.
//!
//! Events are recorded by the store itself, inside the transaction of the change they report
//! (`article.published`, `article.updated`, `article.unpublished` from saves and scheduled
//! publishing; `subscriber.created` from a confirmed sign-up): one delivery row per active
//! subscription. A sender claims due rows with a lease (so two nodes never send one row at
//! once), then records the outcome: delivered, retry at a later time, or failed.

use async_trait::async_trait;
use broadsheet_core::{CoreError, Timestamp};
use serde::Serialize;

use crate::Result;

/// Every event a webhook may subscribe to.
pub const EVENTS: [&str; 4] = [
    "article.published",
    "article.updated",
    "article.unpublished",
    "subscriber.created",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    pub events: Vec<String>,
    pub secret: String,
    pub description: String,
    pub active: bool,
    pub created_at: Timestamp,
}

/// A subscription to record. `url` must be http(s); `events` a non-empty subset of `EVENTS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhook {
    pub url: String,
    pub events: Vec<String>,
    pub secret: String,
    pub description: String,
}

impl NewWebhook {
    /// The rules a subscription meets, checked before anything is written.
    pub fn validate(&self) -> std::result::Result<(), CoreError> {
        let url = self.url.trim();
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .ok_or_else(|| CoreError::invalid("url", "must start with https:// or http://"))?;
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        if host.is_empty() || url.len() > 2000 || url.chars().any(char::is_whitespace) {
            return Err(CoreError::invalid("url", "is not a web address"));
        }
        if self.events.is_empty() {
            return Err(CoreError::invalid("events", "choose at least one event"));
        }
        if let Some(e) = self.events.iter().find(|e| !EVENTS.contains(&e.as_str())) {
            return Err(CoreError::invalid(
                "events",
                format!("{e:?} is not an event"),
            ));
        }
        if self.secret.len() < 32 {
            return Err(CoreError::invalid(
                "secret",
                "must be at least 32 characters",
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HookStatus {
    Pending,
    Delivered,
    Failed,
}

impl HookStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "pending" => Self::Pending,
            "delivered" => Self::Delivered,
            "failed" => Self::Failed,
            other => {
                return Err(CoreError::invalid(
                    "status",
                    format!("{other:?} is not a delivery status"),
                )
                .into());
            }
        })
    }
}

/// One delivery, as the sender needs it and the admin's log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookDelivery {
    pub id: i64,
    pub webhook_id: i64,
    pub url: String,
    #[serde(skip)]
    pub secret: String,
    pub event: String,
    pub payload: String,
    pub status: HookStatus,
    /// Attempts made, the one being made included once claimed.
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub finished_at: Option<Timestamp>,
}

/// What became of an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookOutcome {
    /// The receiver answered 2xx.
    Delivered { status: i64 },
    /// Try again at `at`.
    Retry {
        status: Option<i64>,
        error: String,
        at: Timestamp,
    },
    /// Given up: too many attempts.
    Failed { status: Option<i64>, error: String },
}

#[async_trait]
pub trait Webhooks: Send + Sync {
    /// Records a subscription (after `NewWebhook::validate`; invalid input is refused).
    async fn create_webhook(&self, hook: &NewWebhook) -> Result<Webhook>;
    async fn webhooks(&self) -> Result<Vec<Webhook>>;
    /// Removes a subscription and its deliveries; `false` if there was none.
    async fn delete_webhook(&self, id: i64) -> Result<bool>;
    /// Queues an event for one subscription, whatever it subscribes to (the admin's test
    /// ping); `false` when there is no such webhook.
    async fn record_event_for(
        &self,
        webhook_id: i64,
        event: &str,
        payload: &serde_json::Value,
    ) -> Result<bool>;
    /// Claims up to `limit` due deliveries: each gets one more attempt counted and a lease
    /// until `now + lease_secs`, after which another sender may claim it again.
    async fn claim_webhook_deliveries(
        &self,
        now: Timestamp,
        lease_secs: i64,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>>;
    /// Records what became of an attempt.
    async fn finish_webhook_delivery(
        &self,
        id: i64,
        outcome: &HookOutcome,
        now: Timestamp,
    ) -> Result<()>;
    /// The newest deliveries, for the admin's log.
    async fn webhook_deliveries(&self, limit: u32) -> Result<Vec<WebhookDelivery>>;
}
