//! Feeds: RSS (`feed.xml`), Atom (`feed.atom`) and JSON Feed (`feed.json`) for the whole site
//! (`/feed.xml`) and beside every section, tag and author page (`/section/economy/feed.atom`).
//! Cached and served like pages, so ETag, Last-Modified and 304 come from `AppState::cached_as`.

use axum::extract::{Path, State};
use axum::response::Response;
use broadsheet_core::{Article, Slug, section_subtree};
use broadsheet_store::{
    KEY_ALL, KEY_HOME, KEY_MARKET, ListFilter, key_article, key_author, key_section, key_tag,
};
use broadsheet_syndication::feed::{self, FeedMeta, Format};
use chrono::Utc;
use http::HeaderMap;

use crate::error::AppError;
use crate::state::{AppState, Rendered};

/// Whose stories a feed carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    Section,
    Tag,
    Author,
}

impl Scope {
    fn prefix(self) -> &'static str {
        match self {
            Self::Section => "section",
            Self::Tag => "tag",
            Self::Author => "author",
        }
    }
}

pub(crate) async fn site(
    State(state): State<AppState>,
    headers: HeaderMap,
    format: Format,
) -> Result<Response, AppError> {
    let path = format!("/{}", format.file_name());
    state
        .clone()
        .cached_as(path, &headers, format.content_type(), async move {
            let site = state.site();
            let meta = FeedMeta {
                title: site.name.clone(),
                description: site.tagline.clone(),
                page_path: "/".into(),
                full_text: state.feeds.full_text,
            };
            render(&state, format, meta, ListFilter::All, vec![KEY_HOME.into()]).await
        })
        .await
}

/// `/section/{slug}/{file}` and the like; `file` names the format or the page is not found.
pub(crate) async fn scoped(
    state: AppState,
    headers: HeaderMap,
    scope: Scope,
    slug: String,
    file: String,
) -> Result<Response, AppError> {
    let format = Format::from_file_name(&file).ok_or(AppError::NotFound)?;
    let slug = Slug::parse(&slug).map_err(|_| AppError::NotFound)?;
    let path = format!("/{}/{slug}/{}", scope.prefix(), format.file_name());
    state
        .clone()
        .cached_as(path, &headers, format.content_type(), async move {
            let site = state.site();
            let full_text = state.feeds.full_text;
            let page_path = format!("/{}/{slug}", scope.prefix());
            let (name, description, filter, dep) = match scope {
                Scope::Section => {
                    let sections = state.store.sections().await?;
                    let s = sections
                        .iter()
                        .find(|s| s.slug == slug)
                        .ok_or(AppError::NotFound)?;
                    (
                        s.name.clone(),
                        s.description.clone(),
                        ListFilter::Sections(section_subtree(&sections, s.id)),
                        key_section(s.id),
                    )
                }
                Scope::Tag => {
                    let t = state
                        .store
                        .tag_by_slug(&slug)
                        .await?
                        .ok_or(AppError::NotFound)?;
                    (t.name, String::new(), ListFilter::Tag(t.id), key_tag(t.id))
                }
                Scope::Author => {
                    let a = state
                        .store
                        .author_by_slug(&slug)
                        .await?
                        .ok_or(AppError::NotFound)?;
                    (a.name, a.bio, ListFilter::Author(a.id), key_author(a.id))
                }
            };
            let meta = FeedMeta {
                title: format!("{}: {name}", site.name),
                description,
                page_path,
                full_text,
            };
            render(&state, format, meta, filter, vec![dep]).await
        })
        .await
}

/// The newest public stories of `filter`, whole, as `format`.
async fn render(
    state: &AppState,
    format: Format,
    meta: FeedMeta,
    filter: ListFilter,
    mut deps: Vec<String>,
) -> Result<Rendered, AppError> {
    let articles = public_articles(state, &filter, state.feeds.items, meta.full_text).await?;
    deps.push(KEY_ALL.into());
    if meta.full_text {
        // Bodies expand market embeds, as pages do.
        deps.push(KEY_MARKET.into());
        deps.push(broadsheet_store::KEY_CALENDAR.into());
    }
    deps.extend(articles.iter().map(|a| key_article(a.id)));
    let body = feed::render(format, &state.site().syndication(), &meta, &articles);
    Ok(Rendered {
        html: body,
        deps,
        last_modified: Some(feed::updated(&articles)),
    })
}

/// Whole articles for the newest `limit` public stories of `filter`, bodies with embeds
/// expanded when `expand`.
pub(crate) async fn public_articles(
    state: &AppState,
    filter: &ListFilter,
    limit: u32,
    expand: bool,
) -> Result<Vec<Article>, AppError> {
    let now = Utc::now();
    let page = state.store.list_public(filter, now, None, limit).await?;
    let mut articles = Vec::with_capacity(page.items.len());
    for summary in page.items {
        // Unpublished between the two reads: left out.
        let Some(mut article) = state.store.article_by_id(summary.id).await? else {
            continue;
        };
        if !article.is_public(now) {
            continue;
        }
        if expand {
            article.body_html = crate::embeds::expand(state, &article.body_html).await?;
        }
        articles.push(article);
    }
    Ok(articles)
}

/// The router's handlers for `/{scope}/{slug}/{file}`.
pub(crate) async fn section(
    State(state): State<AppState>,
    Path((slug, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    scoped(state, headers, Scope::Section, slug, file).await
}

pub(crate) async fn tag(
    State(state): State<AppState>,
    Path((slug, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    scoped(state, headers, Scope::Tag, slug, file).await
}

pub(crate) async fn author(
    State(state): State<AppState>,
    Path((slug, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    scoped(state, headers, Scope::Author, slug, file).await
}
