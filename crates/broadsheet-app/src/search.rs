//! Search query resolution, shared by the results page (`/search`) and the Content API
//! (`/api/v1/search`): a reader's filters named by slug and date become one `SearchRequest`
//! (a section filter covers its subtree; a year narrows a date range), and the request runs on
//! a blocking thread against the index with the context's clock. Each caller decides what an
//! unknown filter means for it (the page shows "no such filter", the API answers 400).

use std::sync::Arc;

use broadsheet_core::{Section, Slug, section_subtree};
use broadsheet_search::{SearchIndex, SearchRequest, SearchResults, Sort};
use chrono::{NaiveDate, TimeZone, Utc};

use crate::context::App;
use crate::error::Error;

/// What a reader asks for, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pub text: String,
    pub section: Option<Slug>,
    pub author: Option<Slug>,
    pub tag: Option<Slug>,
    pub year: Option<i32>,
    pub from: Option<NaiveDate>,
    /// Inclusive: the whole day.
    pub to: Option<NaiveDate>,
    pub newest: bool,
    pub offset: usize,
    pub limit: usize,
}

impl Query {
    /// Whether anything at all was asked (an empty results page shows no "nothing found").
    pub fn asks_anything(&self) -> bool {
        !self.text.is_empty()
            || self.section.is_some()
            || self.author.is_some()
            || self.tag.is_some()
            || self.year.is_some()
            || self.from.is_some()
            || self.to.is_some()
    }
}

/// A query with its filters resolved.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub request: SearchRequest,
    /// Every section (the page names facets with them).
    pub sections: Vec<Section>,
    /// The author filter's id and name, when it names one.
    pub author: Option<(i64, String)>,
    pub tag: Option<(i64, String)>,
    /// The filters that name nothing: `section`, `author`, `tag`.
    pub unknown: Vec<&'static str>,
}

/// Resolves the query's filters through the store.
pub async fn resolve(app: &App, q: &Query) -> Result<Resolved, Error> {
    let sections = app.store.sections().await?;
    let mut unknown = Vec::new();
    let section_ids = match &q.section {
        Some(slug) => match sections.iter().find(|s| &s.slug == slug) {
            Some(s) => section_subtree(&sections, s.id),
            None => {
                unknown.push("section");
                Vec::new()
            }
        },
        None => Vec::new(),
    };
    let author = match &q.author {
        Some(slug) => app
            .store
            .author_by_slug(slug)
            .await?
            .map(|a| (a.id, a.name)),
        None => None,
    };
    if q.author.is_some() && author.is_none() {
        unknown.push("author");
    }
    let tag = match &q.tag {
        Some(slug) => app.store.tag_by_slug(slug).await?.map(|t| (t.id, t.name)),
        None => None,
    };
    if q.tag.is_some() && tag.is_none() {
        unknown.push("tag");
    }
    let day = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| Utc.from_utc_datetime(&t));
    let (mut from, mut until) = (
        q.from.and_then(day),
        q.to.and_then(|d| d.succ_opt()).and_then(day),
    );
    if let Some(y) = q.year {
        from = from.max(NaiveDate::from_ymd_opt(y, 1, 1).and_then(day));
        let end = NaiveDate::from_ymd_opt(y + 1, 1, 1).and_then(day);
        until = match (until, end) {
            (Some(u), Some(e)) => Some(u.min(e)),
            (u, e) => u.or(e),
        };
    }
    Ok(Resolved {
        request: SearchRequest {
            query: q.text.clone(),
            sections: section_ids,
            author: author.as_ref().map(|a| a.0),
            tag: tag.as_ref().map(|t| t.0),
            from,
            until,
            sort: if q.newest {
                Sort::Newest
            } else {
                Sort::Relevance
            },
            offset: q.offset,
            limit: q.limit,
        },
        sections,
        author,
        tag,
        unknown,
    })
}

/// Runs a request on a blocking thread (the index's work is CPU-bound and synchronous),
/// with only what is published by the context's clock.
pub async fn run(
    app: &App,
    index: &Arc<dyn SearchIndex>,
    request: SearchRequest,
) -> Result<SearchResults, Error> {
    let index = index.clone();
    let now = app.now();
    tokio::task::spawn_blocking(move || index.search(&request, now))
        .await
        .map_err(|e| Error::Worker(e.to_string()))?
        .map_err(Error::from)
}
