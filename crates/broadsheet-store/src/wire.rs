//! The wire half of the persistence seam: agency sources, the items they send with every
//! version kept, the articles made from them, and the problems each source had.
//!
//! Invariants: an item is stored whole or not at all, and storing the same (source, guid,
//! version) twice changes nothing; only the newest version of a story is `latest`; a kill marks
//! every version of its story and, in the same transaction, flags each article made from it.

use async_trait::async_trait;
use broadsheet_core::{CoreError, Timestamp, WireItem};
use serde::Serialize;

use crate::Result;

/// How a source's items arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WireKind {
    /// `broadsheet wire import`.
    File,
    /// Polled over HTTP.
    Feed,
    /// Pushed to `/api/v1/wire/{name}` with a token.
    Push,
    /// Files dropped into `wire/NAME/` in the data directory.
    Folder,
}

impl WireKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::File => "file",
            Self::Feed => "feed",
            Self::Push => "push",
            Self::Folder => "folder",
        }
    }

    pub fn parse(s: &str) -> std::result::Result<Self, CoreError> {
        Ok(match s {
            "file" => Self::File,
            "feed" => Self::Feed,
            "push" => Self::Push,
            "folder" => Self::Folder,
            other => {
                return Err(CoreError::invalid(
                    "kind",
                    format!("{other:?} is not file, feed, push or folder"),
                ));
            }
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WireSource {
    pub id: i64,
    pub name: String,
    pub kind: WireKind,
    pub url: String,
    #[serde(skip)]
    pub token_hash: Option<String>,
    pub allow_private: bool,
    pub poll_secs: i64,
    pub section: String,
    pub auto_publish: bool,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub next_poll_at: Timestamp,
    pub failures: i64,
    pub paused: bool,
    pub last_error: Option<String>,
    pub last_ok_at: Option<Timestamp>,
}

/// A source to create or update (matched on name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWireSource {
    pub name: String,
    pub kind: WireKind,
    pub url: String,
    /// SHA-256 hex of a push token; `None` keeps the stored one.
    pub token_hash: Option<String>,
    pub allow_private: bool,
    pub poll_secs: i64,
    pub section: String,
    pub auto_publish: bool,
}

impl NewWireSource {
    pub fn validate(&self) -> std::result::Result<(), CoreError> {
        let ok_name = !self.name.is_empty()
            && self.name.len() <= 60
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !ok_name {
            return Err(CoreError::invalid(
                "name",
                "use 1 to 60 lower-case letters, digits, '-' or '_'",
            ));
        }
        if self.kind == WireKind::Feed {
            let url = self.url.trim();
            if !(url.starts_with("http://") || url.starts_with("https://"))
                || url.len() > 2000
                || url.chars().any(char::is_whitespace)
            {
                return Err(CoreError::invalid(
                    "url",
                    "a feed needs an http:// or https:// address",
                ));
            }
            if !(10..=86_400).contains(&self.poll_secs) {
                return Err(CoreError::invalid(
                    "poll_secs",
                    "poll every 10 seconds to once a day",
                ));
            }
        }
        Ok(())
    }
}

/// A stored item with where and when it arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WireRow {
    pub id: i64,
    pub source_id: i64,
    pub source: String,
    #[serde(flatten)]
    pub item: WireItem,
    pub received_at: Timestamp,
    pub latest: bool,
    pub killed: bool,
}

/// What storing an item did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WireSaveKind {
    /// A story seen for the first time.
    New,
    /// A later version of a known story: it replaces the old one on the desk.
    NewVersion,
    /// An earlier version arriving late: kept in the chain, not shown.
    Older,
    /// Already stored: nothing changed.
    Unchanged,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireSaved {
    pub id: i64,
    pub kind: WireSaveKind,
    /// Articles made from this story that a kill has just flagged.
    pub flagged: Vec<i64>,
}

/// The desk's filters; all that are given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WireFilter {
    pub source: Option<i64>,
    /// At most this urgency number (1 is the most urgent).
    pub urgency: Option<u8>,
    pub subject: Option<String>,
    /// Words in the headline, slugline or body.
    pub text: Option<String>,
    /// Items with ids below this (the next page).
    pub before: Option<i64>,
    pub limit: u32,
}

/// An article an agency has withdrawn the story of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WireFlag {
    pub article_id: i64,
    pub headline: String,
    pub status: broadsheet_core::ArticleStatus,
    pub item_id: i64,
    pub source: String,
    pub guid: String,
    pub flag: String,
    pub flagged_at: Timestamp,
}

/// A problem a source had: a file or fetch it could not read, an item it refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WireProblem {
    pub source: String,
    pub at: Timestamp,
    pub item: String,
    pub reason: String,
}

/// What became of a poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollOutcome {
    /// Fetched (or 304): remember the validators, poll again at `next`.
    Fetched {
        etag: Option<String>,
        last_modified: Option<String>,
        next: Timestamp,
    },
    /// Failed: count it, poll again at `next`; `pause` stops polling until an editor resumes.
    Failed {
        error: String,
        next: Timestamp,
        pause: bool,
    },
}

#[async_trait]
pub trait Wire: Send + Sync {
    /// Creates or updates a source, matched on name.
    async fn upsert_wire_source(&self, source: &NewWireSource) -> Result<WireSource>;
    async fn wire_sources(&self) -> Result<Vec<WireSource>>;
    async fn wire_source(&self, name: &str) -> Result<Option<WireSource>>;
    /// Pauses or resumes a source; resuming clears its error count and makes it due now.
    async fn set_wire_source_paused(&self, id: i64, paused: bool) -> Result<bool>;
    /// Stores items of one source in one transaction. An item that breaks the rules is refused
    /// on its own, before anything of it is written; a database error fails the whole call and
    /// stores nothing.
    async fn save_wire_items(
        &self,
        source_id: i64,
        items: &[WireItem],
        now: Timestamp,
    ) -> Result<Vec<Result<WireSaved>>>;
    /// The newest version of each story, newest first.
    async fn wire_items(&self, filter: &WireFilter) -> Result<Vec<WireRow>>;
    async fn wire_item(&self, id: i64) -> Result<Option<WireRow>>;
    /// Every version of an item's story, newest first.
    async fn wire_versions(&self, item_id: i64) -> Result<Vec<WireRow>>;
    /// Records that an article was made from an item (its story's later kill will flag it).
    async fn record_wire_use(&self, item_id: i64, article_id: i64, now: Timestamp) -> Result<()>;
    /// Articles made from an item's story, by id.
    async fn wire_uses(&self, item_id: i64) -> Result<Vec<i64>>;
    /// The item an article was made from, if any (the newest use).
    async fn wire_item_of_article(&self, article_id: i64) -> Result<Option<WireRow>>;
    /// Flags not yet cleared, newest first.
    async fn wire_flags(&self) -> Result<Vec<WireFlag>>;
    async fn clear_wire_flag(&self, article_id: i64, now: Timestamp) -> Result<bool>;
    /// Claims feed sources that are due: each gets a lease until `now + lease_secs`.
    async fn claim_wire_polls(&self, now: Timestamp, lease_secs: i64) -> Result<Vec<WireSource>>;
    async fn finish_wire_poll(&self, id: i64, outcome: &PollOutcome, now: Timestamp) -> Result<()>;
    async fn log_wire_problem(
        &self,
        source_id: i64,
        item: &str,
        reason: &str,
        now: Timestamp,
    ) -> Result<()>;
    async fn wire_problems(&self, limit: u32) -> Result<Vec<WireProblem>>;
}
