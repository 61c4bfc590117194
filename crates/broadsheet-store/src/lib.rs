//! The storage layer: the `Store` trait every backend implements, its error type, and the SQLite
//! two implementations: SQLite (the embedded default) and PostgreSQL (several nodes). Both run
//! the same queries (`src/sql/`) and the same conformance suite (`tests/it/conformance.rs`).
//!
//! Invariant: a write either lands whole (article row, its authors, its tags and its change-log
//! entry in one transaction) or not at all.
#![expect(
    clippy::duplicate_mod,
    reason = "src/sql/ is compiled once per backend on purpose: the same queries, two drivers"
)]

pub mod accounts;
pub mod calendar;
pub mod copy;
mod error;
mod hash;
pub mod market;
pub mod newsletter;
pub mod newsroom;
pub mod postgres;
pub mod site;
pub mod sqlite;
pub mod taxonomy;
pub mod webhooks;
pub mod wire;

use async_trait::async_trait;
use broadsheet_core::{
    Article, ArticleInput, ArticleSummary, Cursor, Media, NewMedia, Page, Slug, Timestamp,
};

pub use accounts::{Accounts, ApiKey, ApiKeyKind, NewApiKey, NewUser, SessionInfo, TokenKind};
pub use calendar::{Calendar, EventEdit, EventFilter, EventRevision, EventSave, KEY_CALENDAR};
pub use error::StoreError;
pub use market::Market;
pub use newsletter::{
    Delivery, Issue, IssueKind, NewIssue, Newsletter, Preferences, SendCounts, SignUp, Subscriber,
    SubscriberCounts, SubscriberStatus,
};
pub use newsroom::{AdminFilter, AdminRow, NewAudit, Newsroom};
pub use postgres::{PgSettings, PgStore};
pub use site::SiteState;
pub use sqlite::SqliteStore;
pub use taxonomy::Taxonomy;
pub use webhooks::{
    EVENTS, HookOutcome, HookStatus, NewWebhook, Webhook, WebhookDelivery, Webhooks,
};
pub use wire::{
    NewWireSource, PollOutcome, Wire, WireFilter, WireFlag, WireKind, WireProblem, WireRow,
    WireSaveKind, WireSaved, WireSource,
};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which public articles a listing shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListFilter {
    All,
    /// Any of these sections (a section page passes its whole subtree).
    Sections(Vec<i64>),
    Tag(i64),
    Author(i64),
}

/// Public articles by any combination of filters (the Content API's query). Every filter
/// given must hold; none given means every public article.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArticleQuery {
    /// Any of these sections (a section and its subtree).
    pub sections: Option<Vec<i64>>,
    pub tag: Option<i64>,
    pub author: Option<i64>,
    /// Published at or after.
    pub published_from: Option<Timestamp>,
    /// Published before.
    pub published_until: Option<Timestamp>,
    /// Changed at or after (for clients keeping a copy in step).
    pub updated_since: Option<Timestamp>,
}

impl From<&ListFilter> for ArticleQuery {
    fn from(filter: &ListFilter) -> Self {
        let mut q = Self::default();
        match filter {
            ListFilter::All => {}
            ListFilter::Sections(ids) => q.sections = Some(ids.clone()),
            ListFilter::Tag(id) => q.tag = Some(*id),
            ListFilter::Author(id) => q.author = Some(*id),
        }
        q
    }
}

/// What a save did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveKind {
    Created,
    Updated,
    /// Matched on `external_id` and identical: nothing was written.
    Unchanged,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub id: i64,
    pub slug: Slug,
    pub kind: SaveKind,
}

/// What a `save_bars` did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BarCounts {
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Cache key of every page showing market data (the strip is on every page).
pub const KEY_MARKET: &str = "market";

/// What identifies the stored version of an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArticleVersion {
    pub id: i64,
    pub status: broadsheet_core::ArticleStatus,
    /// Starts at 1, bumped by every change.
    pub version: i64,
}

/// A public article as a sitemap lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitemapRow {
    pub id: i64,
    pub slug: Slug,
    pub updated_at: Timestamp,
    /// Media path of the hero image, if any.
    pub image: Option<String>,
}

/// Counts for summaries and health checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub articles: i64,
    pub published: i64,
    pub sections: i64,
    pub authors: i64,
    pub tags: i64,
}

/// Content changes since a point in the change log: the cache keys they touch (see
/// `cache_key_*` below) and the log position to ask from next time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub upto: i64,
    pub keys: Vec<String>,
}

/// Cache dependency keys written to the change log. Every rendered page depends on `all`
/// (menu, site settings) and on the keys of the content it shows.
pub const KEY_ALL: &str = "all";
pub const KEY_HOME: &str = "home";
pub fn key_article(id: i64) -> String {
    format!("article:{id}")
}
pub fn key_section(id: i64) -> String {
    format!("section:{id}")
}
pub fn key_author(id: i64) -> String {
    format!("author:{id}")
}
pub fn key_tag(id: i64) -> String {
    format!("tag:{id}")
}

/// The persistence seam. Reads for readers (`public_*`, `list_public`, `top_stories`) only ever
/// return articles that are published with a publication time at or before `now`.
#[async_trait]
pub trait Store:
    accounts::Accounts
    + Newsroom
    + Newsletter
    + webhooks::Webhooks
    + wire::Wire
    + market::Market
    + calendar::Calendar
    + taxonomy::Taxonomy
    + site::SiteState
    + Send
    + Sync
    + 'static
{
    /// Registers a media file, or updates the one already registered at that path.
    async fn upsert_media(&self, media: &NewMedia) -> Result<Media>;

    /// Creates or updates one article (see `ArticleInput` for matching and slugs).
    async fn save_article(&self, input: &ArticleInput) -> Result<Saved>;
    /// Saves many articles in one transaction; each item succeeds or fails on its own and a
    /// failed item leaves nothing behind.
    async fn save_articles(&self, inputs: &[ArticleInput]) -> Result<Vec<Result<Saved>>>;

    /// Any article, whatever its status (for the newsroom and for tests).
    async fn article_by_slug(&self, slug: &Slug) -> Result<Option<Article>>;
    async fn article_by_external_id(&self, external_id: &str) -> Result<Option<Article>>;
    async fn article_by_id(&self, id: i64) -> Result<Option<Article>>;
    /// Up to `limit` articles of any status with ids above `after_id`, in id order (for
    /// rebuilding derived data such as the search index).
    async fn articles_after(&self, after_id: i64, limit: u32) -> Result<Vec<Article>>;
    /// Every article's id, status and version, in id order (for consistency checks).
    async fn article_versions(&self) -> Result<Vec<ArticleVersion>>;
    /// The article a reader may see under this slug.
    async fn public_article_by_slug(&self, slug: &Slug, now: Timestamp) -> Result<Option<Article>>;

    /// Public articles, newest first, starting after `after`.
    async fn list_public(
        &self,
        filter: &ListFilter,
        now: Timestamp,
        after: Option<Cursor>,
        limit: u32,
    ) -> Result<Page<ArticleSummary>>;
    /// Public articles matching every filter of `query`, newest first, starting after `after`.
    async fn query_public(
        &self,
        query: &ArticleQuery,
        now: Timestamp,
        after: Option<Cursor>,
        limit: u32,
    ) -> Result<Page<ArticleSummary>>;
    /// The most important of the `window` newest public articles: importance first, then date.
    async fn top_stories(
        &self,
        now: Timestamp,
        window: u32,
        limit: u32,
    ) -> Result<Vec<ArticleSummary>>;

    async fn counts(&self) -> Result<Counts>;

    /// Public articles in id order, `limit` from `offset`, with what a sitemap lists.
    async fn sitemap_rows(
        &self,
        now: Timestamp,
        offset: u64,
        limit: u32,
    ) -> Result<Vec<SitemapRow>>;
    /// The newest edit in each run of `per_file` public articles (in id order): one entry per
    /// sitemap file, so its length is the number of files.
    async fn sitemap_files(&self, now: Timestamp, per_file: u32) -> Result<Vec<Timestamp>>;
}
