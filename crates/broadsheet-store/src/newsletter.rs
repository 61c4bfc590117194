//! The newsletter half of the persistence seam: subscribers with double opt-in, issues, and
//! the send journal. The journal holds one row per (issue, subscriber), created with the issue
//! in one transaction; a sender claims rows with a lease, and a row leaves the journal's
//! to-do list only as `sent`, `failed` or `bounced`, so a crashed send resumes where it stopped.

use async_trait::async_trait;
use broadsheet_core::{Email, Timestamp};
use serde::{Deserialize, Serialize};

use crate::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriberStatus {
    /// Signed up, not yet confirmed: receives nothing but the confirmation.
    Pending,
    Active,
    Paused,
    Unsubscribed,
    /// Too many permanent delivery failures.
    Bounced,
}

impl SubscriberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Paused => "paused",
            Self::Unsubscribed => "unsubscribed",
            Self::Bounced => "bounced",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "active" => Self::Active,
            "paused" => Self::Paused,
            "unsubscribed" => Self::Unsubscribed,
            "bounced" => Self::Bounced,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subscriber {
    pub id: i64,
    pub email: Email,
    pub status: SubscriberStatus,
    pub digest: bool,
    pub alerts: bool,
    /// Section slugs of interest; empty means every section.
    pub sections: Vec<String>,
    pub bounces: i64,
    pub created_at: Timestamp,
    pub confirmed_at: Option<Timestamp>,
}

/// What a sign-up did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignUp {
    pub subscriber: Subscriber,
    /// Whether a confirmation mail should go out now: not for an address already active, and
    /// not again within the resend interval (no one gets flooded by repeated sign-ups).
    pub send_confirmation: bool,
}

/// Preferences a subscriber sets through their signed link.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Preferences {
    pub digest: bool,
    pub alerts: bool,
    pub sections: Vec<String>,
    pub paused: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueKind {
    Digest,
    Alert,
}

impl IssueKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Digest => "digest",
            Self::Alert => "alert",
        }
    }
}

/// An issue to create, with the stories it carries (as JSON the composer understands).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIssue {
    pub key: String,
    pub kind: IssueKind,
    pub subject: String,
    pub intro: String,
    pub content: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub id: i64,
    pub key: String,
    pub kind: String,
    pub subject: String,
    pub intro: String,
    pub content: String,
    pub finished: bool,
    pub created_at: Timestamp,
}

/// A journal row claimed for sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub subscriber: Subscriber,
    pub attempts: i64,
}

/// Where a send stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SendCounts {
    pub total: i64,
    pub sent: i64,
    pub failed: i64,
    pub bounced: i64,
    /// Pending, waiting for a retry, or claimed by a sender right now.
    pub remaining: i64,
}

/// Subscriber numbers for the admin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SubscriberCounts {
    pub pending: i64,
    pub active: i64,
    pub paused: i64,
    pub unsubscribed: i64,
    pub bounced: i64,
    /// Confirmed sign-ups per day (`YYYY-MM-DD`, count), oldest first.
    pub growth: Vec<(String, i64)>,
}

/// How many permanent failures suspend an address.
pub const MAX_BOUNCES: i64 = 3;

#[async_trait]
pub trait Newsletter: Send + Sync {
    /// Signs `email` up (or up again). A confirmation is due unless the address is active, or
    /// one went out less than `resend_after_secs` ago.
    async fn sign_up(
        &self,
        email: &Email,
        sections: &[String],
        now: Timestamp,
        resend_after_secs: i64,
    ) -> Result<SignUp>;
    /// The confirmation mail could not be sent: the next sign-up may send one at once.
    async fn confirmation_failed(&self, id: i64) -> Result<()>;
    /// Confirms a pending subscriber; `None` when there is none (deleted, or never existed).
    /// Confirming twice is harmless.
    async fn confirm_subscriber(&self, id: i64, now: Timestamp) -> Result<Option<Subscriber>>;
    async fn subscriber(&self, id: i64) -> Result<Option<Subscriber>>;
    async fn set_preferences(&self, id: i64, prefs: &Preferences) -> Result<Option<Subscriber>>;
    /// Unsubscribes at once (the one-click link); `false` when there is no such subscriber.
    async fn unsubscribe(&self, id: i64) -> Result<bool>;
    /// Deletes the subscriber and their journal rows.
    async fn delete_subscriber(&self, id: i64) -> Result<bool>;
    /// Deletes sign-ups never confirmed since `before`; returns how many.
    async fn expire_pending(&self, before: Timestamp) -> Result<u64>;
    /// Subscribers, newest first, whose address contains `text`.
    async fn subscribers(&self, text: Option<&str>, limit: u32) -> Result<Vec<Subscriber>>;
    async fn subscriber_counts(&self) -> Result<SubscriberCounts>;

    /// Creates the issue with a journal row for every active subscriber who wants it, in one
    /// transaction; an issue with the same key is returned as it is (`false`).
    async fn create_issue(&self, issue: &NewIssue) -> Result<(Issue, bool)>;
    async fn issue(&self, id: i64) -> Result<Option<Issue>>;
    async fn issue_by_key(&self, key: &str) -> Result<Option<Issue>>;
    /// Issues, newest first.
    async fn issues(&self, kind: Option<IssueKind>, limit: u32) -> Result<Vec<Issue>>;
    /// Claims up to `limit` rows due now (pending, retry time reached, or claimed by a sender
    /// whose lease ran out) for `lease_secs`.
    async fn claim_deliveries(
        &self,
        issue_id: i64,
        limit: u32,
        now: Timestamp,
        lease_secs: i64,
    ) -> Result<Vec<Delivery>>;
    /// Extends to `now + lease_secs` the lease on rows a sender still holds: each given as
    /// (subscriber id, the `attempts` its claim returned), and held while it is still
    /// `sending` with that count. Returns the subscriber ids renewed. A row left out was
    /// finished or taken over by another sender after its lease ran out, and must not be sent.
    async fn renew_deliveries(
        &self,
        issue_id: i64,
        held: &[(i64, i64)],
        now: Timestamp,
        lease_secs: i64,
    ) -> Result<Vec<i64>>;
    async fn mark_sent(&self, issue_id: i64, subscriber_ids: &[i64], now: Timestamp) -> Result<()>;
    /// A temporary failure: try again at `retry_at`, or give up as `failed` after
    /// `max_attempts`. Only by the row's holder (`attempts` as its claim returned it): a
    /// sender that lost the row to another changes nothing.
    async fn mark_retry(
        &self,
        issue_id: i64,
        subscriber_id: i64,
        attempts: i64,
        retry_at: Timestamp,
        max_attempts: i64,
        error: &str,
    ) -> Result<()>;
    /// A permanent failure: the row is `bounced` and the address counts a bounce (suspended
    /// at `MAX_BOUNCES`). Only by the row's holder, as `mark_retry`.
    async fn mark_bounced(
        &self,
        issue_id: i64,
        subscriber_id: i64,
        attempts: i64,
        error: &str,
    ) -> Result<()>;
    async fn send_counts(&self, issue_id: i64) -> Result<SendCounts>;
    /// Marks the issue finished when nothing remains; returns whether it is.
    async fn finish_issue(&self, issue_id: i64, now: Timestamp) -> Result<bool>;
}
