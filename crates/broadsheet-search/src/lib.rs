//! Search over the archive. `SearchIndex` is the seam; `TantivyIndex` is the embedded
//! implementation, a cache of the database kept in `data/search/` and rebuilt from it when
//! missing, stale or corrupt; `PgSearch` is PostgreSQL full-text search, one index shared by
//! every node of a scale-out site.
//!
//! Invariant: the index never answers with an article a reader may not see: only published
//! articles are indexed, and every query filters on `published_at <= now`.

mod index;
mod pg_migrate;
mod postgres;
mod query;
mod text;

use std::collections::HashMap;

use broadsheet_core::{Article, AuthorRef, Timestamp};

pub use index::{OpenState, SearchSettings, TantivyIndex};
pub use postgres::PgSearch;
pub use query::{Clause, MAX_QUERY_CHARS, UserQuery};
pub use text::html_to_text;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("cannot open the search index in {path}: {reason}")]
    Open { path: String, reason: String },
    #[error("search on PostgreSQL: {0}")]
    Database(#[from] sqlx::Error),
}

pub type Result<T, E = SearchError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    #[default]
    Relevance,
    Newest,
}

/// A search as the results page asks for it. Ids are the store's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchRequest {
    pub query: String,
    /// Any of these sections (a section filter passes its whole subtree); empty: all.
    pub sections: Vec<i64>,
    pub author: Option<i64>,
    pub tag: Option<i64>,
    pub from: Option<Timestamp>,
    /// Exclusive upper bound.
    pub until: Option<Timestamp>,
    pub sort: Sort,
    pub offset: usize,
    pub limit: usize,
}

impl SearchRequest {
    fn has_filters(&self) -> bool {
        !self.sections.is_empty()
            || self.author.is_some()
            || self.tag.is_some()
            || self.from.is_some()
            || self.until.is_some()
    }
}

/// One result, with what the results page shows (no database round trip needed).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Hit {
    pub id: i64,
    pub slug: String,
    pub headline: String,
    pub section_slug: String,
    pub section_name: String,
    pub published_at: Timestamp,
    pub authors: Vec<AuthorRef>,
    /// Escaped text with the matched words in `<mark>`.
    pub snippet_html: String,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<Hit>,
    /// (section slug, matching articles), most first.
    pub sections: Vec<(String, u64)>,
    /// (year, matching articles), newest year first.
    pub years: Vec<(i32, u64)>,
    /// A respelling of the query from the index's own words, when nothing matched.
    pub did_you_mean: Option<String>,
}

/// A headline completing what the reader has typed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Suggestion {
    pub headline: String,
    pub slug: String,
}

/// The search seam.
pub trait SearchIndex: Send + Sync + 'static {
    fn search(&self, request: &SearchRequest, now: Timestamp) -> Result<SearchResults>;
    /// Headlines of public articles matching `prefix` as typed (last word may be partial).
    fn suggest(&self, prefix: &str, now: Timestamp, limit: usize) -> Result<Vec<Suggestion>>;
    /// Public articles like article `id`, never `id` itself.
    fn related(&self, id: i64, now: Timestamp, limit: usize) -> Result<Vec<Hit>>;

    /// Indexes `upserts` (replacing earlier versions; articles that are not published are
    /// removed instead) and removes `removals`, then commits, recording that the change log
    /// has been applied up to `seq`.
    fn apply(&self, upserts: &[Article], removals: &[i64], seq: i64) -> Result<()>;
    /// Adds `upserts` like `apply` but without committing: a rebuild stages many batches and
    /// commits now and then, which keeps segments (and the memory merging them takes) few.
    fn stage(&self, upserts: &[Article]) -> Result<()>;
    /// Empties the index (before a rebuild).
    fn clear(&self) -> Result<()>;
    /// The change log position the index reflects; `None` for a new index that needs building.
    fn applied_seq(&self) -> Option<i64>;
    /// Indexed article ids with the `Article::version` indexed.
    fn versions(&self) -> Result<HashMap<i64, i64>>;
}
