//! `/article/{slug}`: one story with its figure, credit, sources, tags and more from its section.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use broadsheet_core::{Article, ArticleSummary, section_path};
use broadsheet_store::{KEY_ALL, KEY_CALENDAR, KEY_MARKET, ListFilter, key_article, key_section};
use chrono::Utc;
use http::HeaderMap;
use serde::Serialize;

use super::extract::SlugParam;
use crate::error::AppError;
use crate::state::{AppState, Rendered};
use crate::views;

#[derive(Serialize)]
struct Crumb {
    slug: String,
    name: String,
}

#[derive(Serialize)]
struct ArticlePage {
    article: Article,
    breadcrumb: Vec<Crumb>,
    /// Shown only when the story was edited well after it went out.
    updated: bool,
    credit: bool,
    more: Vec<ArticleSummary>,
    related: Vec<broadsheet_search::Hit>,
    /// Latest values of the instruments the story concerns.
    markets: Vec<crate::market::Quote>,
}

pub(crate) async fn article(
    State(state): State<AppState>,
    SlugParam(slug): SlugParam,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let path = format!("/article/{slug}");
    let page = state
        .cached(path.clone(), &headers, render(&state, slug.clone(), path))
        .await;
    match page {
        // A slug the story had before it was renamed: send readers (and links) on.
        Err(AppError::NotFound) => match state.store.redirect_for(&slug).await? {
            Some(current) => Ok(axum::response::Redirect::permanent(&format!(
                "/article/{current}"
            ))
            .into_response()),
            None => Err(AppError::NotFound),
        },
        other => other,
    }
}

async fn render(
    state: &AppState,
    slug: broadsheet_core::Slug,
    path: String,
) -> Result<Rendered, AppError> {
    let now = Utc::now();
    let mut article = state
        .store
        .public_article_by_slug(&slug, now)
        .await?
        .ok_or(AppError::NotFound)?;
    let embeds_release = crate::embeds::uses_calendar(&article.body_html);
    article.body_html = crate::embeds::expand(state, &article.body_html).await?;
    let mut markets = Vec::new();
    for symbol in &article.instruments {
        if let Some(i) = state.store.instrument_by_symbol(symbol).await? {
            let bars = state.store.latest_bars(i.id, 2).await?;
            markets.extend(crate::market::quote(&i, &bars, state.fresh_since()));
        }
    }
    let sections = state.store.sections().await?;
    let section_id = article.section.id;
    let more: Vec<ArticleSummary> = state
        .store
        .list_public(&ListFilter::Sections(vec![section_id]), now, None, 5)
        .await?
        .items
        .into_iter()
        .filter(|a| a.id != article.id)
        .take(4)
        .collect();
    // Related stories come from the search index; an index that is still being built (or
    // fails) leaves the box out rather than the page.
    let index = state.search.clone();
    let id = article.id;
    let related = match tokio::task::spawn_blocking(move || index.related(id, now, 4)).await {
        Ok(Ok(hits)) => hits,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "related articles unavailable");
            Vec::new()
        }
        Err(e) => {
            tracing::warn!(error = %e, "related articles unavailable");
            Vec::new()
        }
    };
    let breadcrumb = section_path(&sections, section_id)
        .into_iter()
        .map(|s| Crumb {
            slug: s.slug.to_string(),
            name: s.name.clone(),
        })
        .collect::<Vec<_>>();
    let active = breadcrumb
        .first()
        .map(|c| c.slug.clone())
        .unwrap_or_default();
    // Edited after it went out (not merely written before its publication time).
    let updated = article.published_at.is_some_and(|p| {
        article.updated_at - p.max(article.created_at) > chrono::Duration::minutes(10)
    });
    let credit = article.hero.as_ref().is_some_and(|h| !h.credit.is_empty());
    let last_modified = Some(article.updated_at);
    let mut deps = vec![
        key_article(article.id),
        key_section(section_id),
        KEY_ALL.into(),
        KEY_MARKET.into(),
    ];
    if embeds_release {
        deps.push(KEY_CALENDAR.into());
    }
    let mut chrome = views::chrome(state, &sections, &active, &path).await;
    structured_data(state, &mut chrome, &article, &breadcrumb);
    let page = ArticlePage {
        article,
        breadcrumb,
        updated,
        credit,
        more,
        related,
        markets,
    };
    let html = views::render(state, "article.html", chrome, page)?;
    Ok(Rendered {
        html,
        deps,
        last_modified,
    })
}

/// Link previews and schema.org data for a story: OpenGraph `article`, `NewsArticle` and the
/// section trail as a `BreadcrumbList`.
fn structured_data(
    state: &AppState,
    chrome: &mut views::Chrome,
    article: &Article,
    breadcrumb: &[Crumb],
) {
    use broadsheet_syndication::{jsonld, picture};
    let site = chrome.site.syndication();
    let logo = views::fallback_logo(state, &site);
    let crumbs = breadcrumb
        .iter()
        .map(|c| (c.name.clone(), format!("/section/{}", c.slug)))
        .collect::<Vec<_>>();
    chrome.jsonld = vec![
        jsonld::script(&jsonld::news_article(&site, article, logo.as_deref())),
        jsonld::script(&jsonld::breadcrumb(&site, &crumbs)),
    ];
    chrome.social = views::Social {
        kind: "article",
        title: article.headline.clone(),
        description: article.standfirst.clone(),
        url: Some(site.article_url(article)),
        image: article.hero.as_ref().map(|hero| {
            let p = picture(&site, hero);
            views::SocialImage {
                url: p.url,
                mime: p.mime,
                width: p.width,
                height: p.height,
                alt: hero.alt.clone(),
            }
        }),
        published: article.published_at.map(|t| t.to_rfc3339()),
        modified: Some(article.updated_at.to_rfc3339()),
        section: Some(article.section.name.clone()),
    };
}
