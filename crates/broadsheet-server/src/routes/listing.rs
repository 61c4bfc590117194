//! `/section/{slug}`, `/tag/{slug}`, `/author/{slug}`: newest-first listings with keyset
//! pagination (`?after=`), stable while new stories are published.

use axum::extract::State;
use axum::response::Response;
use broadsheet_core::{ArticleSummary, Section, section_path, section_subtree};
use broadsheet_store::{KEY_ALL, KEY_MARKET, ListFilter, key_author, key_section, key_tag};
use chrono::Utc;
use http::HeaderMap;
use serde::Serialize;

use super::extract::{ListQuery, SlugParam};
use crate::error::AppError;
use crate::state::{AppState, Rendered};
use crate::views;

const PAGE_SIZE: u32 = 20;

#[derive(Serialize)]
struct Crumb {
    slug: String,
    name: String,
}

#[derive(Serialize)]
struct Listing {
    kind: &'static str,
    heading: String,
    description: String,
    breadcrumb: Vec<Crumb>,
    children: Vec<Crumb>,
    articles: Vec<ArticleSummary>,
    show_section: bool,
    path: String,
    next: Option<String>,
    is_later_page: bool,
}

struct What {
    kind: &'static str,
    heading: String,
    description: String,
    filter: ListFilter,
    dep: String,
    active: String,
    breadcrumb: Vec<Crumb>,
    children: Vec<Crumb>,
}

pub(crate) async fn section(
    State(state): State<AppState>,
    SlugParam(slug): SlugParam,
    query: ListQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let path = format!("/section/{slug}");
    let key = query.key(&path);
    state
        .cached(key, &headers, async {
            let sections = state.store.sections().await?;
            let s = sections
                .iter()
                .find(|s| s.slug == slug)
                .ok_or(AppError::NotFound)?;
            let crumbs = |list: Vec<&Section>| {
                list.into_iter()
                    .map(|s| Crumb {
                        slug: s.slug.to_string(),
                        name: s.name.clone(),
                    })
                    .collect::<Vec<_>>()
            };
            let what = What {
                kind: "",
                heading: s.name.clone(),
                description: s.description.clone(),
                filter: ListFilter::Sections(section_subtree(&sections, s.id)),
                dep: key_section(s.id),
                active: section_path(&sections, s.id)
                    .first()
                    .map_or_else(|| slug.to_string(), |top| top.slug.to_string()),
                breadcrumb: crumbs(section_path(&sections, s.id)),
                children: crumbs(
                    sections
                        .iter()
                        .filter(|c| c.parent_id == Some(s.id))
                        .collect(),
                ),
            };
            render(&state, &sections, what, path, query).await
        })
        .await
}

pub(crate) async fn tag(
    State(state): State<AppState>,
    SlugParam(slug): SlugParam,
    query: ListQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let path = format!("/tag/{slug}");
    state
        .cached(query.key(&path), &headers, async {
            let tag = state
                .store
                .tag_by_slug(&slug)
                .await?
                .ok_or(AppError::NotFound)?;
            let sections = state.store.sections().await?;
            let what = What {
                kind: "Tag",
                heading: tag.name,
                description: String::new(),
                filter: ListFilter::Tag(tag.id),
                dep: key_tag(tag.id),
                active: String::new(),
                breadcrumb: Vec::new(),
                children: Vec::new(),
            };
            render(&state, &sections, what, path, query).await
        })
        .await
}

pub(crate) async fn author(
    State(state): State<AppState>,
    SlugParam(slug): SlugParam,
    query: ListQuery,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let path = format!("/author/{slug}");
    state
        .cached(query.key(&path), &headers, async {
            let author = state
                .store
                .author_by_slug(&slug)
                .await?
                .ok_or(AppError::NotFound)?;
            let sections = state.store.sections().await?;
            let what = What {
                kind: "Author",
                heading: author.name,
                description: author.bio,
                filter: ListFilter::Author(author.id),
                dep: key_author(author.id),
                active: String::new(),
                breadcrumb: Vec::new(),
                children: Vec::new(),
            };
            render(&state, &sections, what, path, query).await
        })
        .await
}

async fn render(
    state: &AppState,
    sections: &[Section],
    what: What,
    path: String,
    query: ListQuery,
) -> Result<Rendered, AppError> {
    let page = state
        .store
        .list_public(&what.filter, Utc::now(), query.after, PAGE_SIZE)
        .await?;
    let last_modified = page.items.iter().map(|a| a.updated_at).max();
    let mut chrome = views::chrome(state, sections, &what.active, &path).await;
    // The page's own feeds beside the site's: `/section/economy` → `/section/economy/feed.xml`.
    let title = format!("{}: {}", chrome.site.name, what.heading);
    chrome.feeds.extend(views::FeedLink::all(&title, &path));
    chrome.social.title = what.heading.clone();
    if !what.description.is_empty() {
        chrome.social.description = what.description.clone();
    }
    let listing = Listing {
        kind: what.kind,
        heading: what.heading,
        description: what.description,
        breadcrumb: what.breadcrumb,
        children: what.children,
        show_section: !matches!(what.filter, ListFilter::Sections(ref ids) if ids.len() == 1),
        articles: page.items,
        path,
        next: page.next.map(|c| c.to_string()),
        is_later_page: query.after.is_some(),
    };
    let html = views::render(state, "listing.html", chrome, listing)?;
    Ok(Rendered {
        html,
        deps: vec![what.dep, KEY_ALL.into(), KEY_MARKET.into()],
        last_modified,
    })
}
