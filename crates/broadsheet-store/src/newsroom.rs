//! The newsroom part of the persistence seam: the admin's article list, revisions, redirects,
//! scheduled publishing, the audit log, the media library and tags. (Accounts, sessions and
//! keys are the `Accounts` part.) `Store` requires it, so every backend implements both and
//! `Arc<dyn Store>` reaches these methods too.

use async_trait::async_trait;
use broadsheet_core::{ArticleStatus, AuditEntry, LibraryItem, Revision, Slug, Tag, Timestamp};
use serde::Serialize;

use crate::Result;

/// The admin article list's filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminFilter {
    pub status: Option<ArticleStatus>,
    pub section_id: Option<i64>,
    pub created_by: Option<i64>,
    /// Words that must all appear in the headline, standfirst or slug.
    pub text: Option<String>,
    pub limit: u32,
    pub offset: u32,
}

/// One line of the admin article list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdminRow {
    pub id: i64,
    pub slug: Slug,
    pub headline: String,
    pub status: ArticleStatus,
    pub section: String,
    pub authors: String,
    pub created_by: Option<i64>,
    pub created_by_name: Option<String>,
    pub published_at: Option<Timestamp>,
    pub embargo_until: Option<Timestamp>,
    pub updated_at: Timestamp,
    pub pinned: bool,
    pub importance: i32,
    pub version: i64,
}

/// An audit log entry to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAudit<'a> {
    pub user_id: Option<i64>,
    pub action: &'a str,
    pub article_id: Option<i64>,
    pub detail: String,
}

#[async_trait]
pub trait Newsroom: Send + Sync {
    /// Articles of every status for the newsroom, most recently changed first, and how many
    /// match in all.
    async fn admin_articles(&self, filter: &AdminFilter) -> Result<(Vec<AdminRow>, i64)>;
    /// An article's revisions, newest first.
    async fn revisions(&self, article_id: i64) -> Result<Vec<Revision>>;
    async fn revision(&self, article_id: i64, version: i64) -> Result<Option<Revision>>;
    /// The current slug of the article that once had `old` as its slug.
    async fn redirect_for(&self, old: &Slug) -> Result<Option<Slug>>;
    /// Publishes every scheduled article whose time (and embargo) has come; returns their ids.
    async fn publish_due(&self, now: Timestamp) -> Result<Vec<i64>>;
    /// Deletes an article and records who did it. `false` when there was none.
    async fn delete_article(&self, id: i64, actor: Option<i64>) -> Result<bool>;

    async fn record_audit(&self, entry: &NewAudit<'_>) -> Result<()>;
    /// The newest entries first, older than entry `before` when given.
    async fn audit_log(&self, limit: u32, before: Option<i64>) -> Result<Vec<AuditEntry>>;

    /// Media library entries, newest first, whose name, caption, alt text or credit contain
    /// every word of `text`.
    async fn media_library(&self, text: Option<&str>, limit: u32) -> Result<Vec<LibraryItem>>;
    async fn media_item(&self, id: i64) -> Result<Option<LibraryItem>>;

    /// Every tag with the number of articles carrying it.
    async fn tags(&self) -> Result<Vec<(Tag, i64)>>;
    async fn rename_tag(&self, id: i64, name: &str) -> Result<()>;
    async fn delete_tag(&self, id: i64) -> Result<()>;
    /// Sets the home page's pinned stories and their order (the first is the lead); every other
    /// article is unpinned.
    async fn set_pinned(&self, ids: &[i64], actor: Option<i64>) -> Result<()>;
}
