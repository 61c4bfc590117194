//! `/`: the front page. A lead story and top stories by the editors' importance among the
//! newest, then the latest of each top-level menu section.

use std::collections::HashSet;

use axum::extract::State;
use axum::response::Response;
use broadsheet_core::{ArticleSummary, build_menu, section_subtree};
use broadsheet_store::{KEY_ALL, KEY_CALENDAR, KEY_HOME, KEY_MARKET, ListFilter};
use chrono::Utc;
use http::HeaderMap;
use serde::Serialize;

use crate::error::AppError;
use crate::state::{AppState, Rendered};
use crate::views;

/// How many of the newest stories compete for the top of the page.
const TOP_WINDOW: u32 = 60;
const TOP_STORIES: u32 = 7;
const PER_SECTION: usize = 4;
/// Headlines listed under the lead story.
const LATEST: usize = 6;

#[derive(Serialize)]
struct SectionBlock {
    slug: String,
    name: String,
    articles: Vec<ArticleSummary>,
}

#[derive(Serialize)]
struct Home {
    lead: Option<ArticleSummary>,
    top: Vec<ArticleSummary>,
    latest: Vec<ArticleSummary>,
    sections: Vec<SectionBlock>,
    /// Today's calendar: the high and medium releases.
    calendar: Vec<broadsheet_app::calendar::Release>,
}

pub(crate) async fn home(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    state.cached("/".into(), &headers, render(&state)).await
}

async fn render(state: &AppState) -> Result<Rendered, AppError> {
    let now = Utc::now();
    let sections = state.store.sections().await?;
    let mut top = state
        .store
        .top_stories(now, TOP_WINDOW, TOP_STORIES)
        .await?
        .into_iter();
    let lead = top.next();
    let top: Vec<_> = top.collect();
    let mut shown: HashSet<i64> = lead.iter().chain(&top).map(|a| a.id).collect();
    let latest: Vec<_> = state
        .store
        .list_public(&ListFilter::All, now, None, TOP_STORIES + LATEST as u32)
        .await?
        .items
        .into_iter()
        .filter(|a| shown.insert(a.id))
        .take(LATEST)
        .collect();

    let mut blocks = Vec::new();
    for item in build_menu(&sections) {
        let Some(section) = sections.iter().find(|s| s.slug == item.slug) else {
            continue;
        };
        let ids = section_subtree(&sections, section.id);
        let page = state
            .store
            .list_public(&ListFilter::Sections(ids), now, None, 12)
            .await?;
        let articles: Vec<_> = page
            .items
            .into_iter()
            .filter(|a| shown.insert(a.id))
            .take(PER_SECTION)
            .collect();
        if !articles.is_empty() {
            blocks.push(SectionBlock {
                slug: item.slug.to_string(),
                name: item.name,
                articles,
            });
        }
    }

    let last_modified = lead
        .iter()
        .chain(&top)
        .chain(&latest)
        .chain(blocks.iter().flat_map(|b| &b.articles))
        .map(|a| a.updated_at)
        .max();
    let mut chrome = views::chrome(state, &sections, "home", "/").await;
    let site = chrome.site.syndication();
    let logo = views::fallback_logo(state, &site);
    chrome.jsonld = broadsheet_syndication::jsonld::home(&site, logo.as_deref())
        .iter()
        .map(broadsheet_syndication::jsonld::script)
        .collect();
    let html = views::render(
        state,
        "home.html",
        chrome,
        Home {
            lead,
            top,
            latest,
            sections: blocks,
            calendar: super::calendar::today(state, 8).await,
        },
    )?;
    Ok(Rendered {
        html,
        deps: vec![
            KEY_HOME.into(),
            KEY_ALL.into(),
            KEY_MARKET.into(),
            KEY_CALENDAR.into(),
        ],
        last_modified,
    })
}
