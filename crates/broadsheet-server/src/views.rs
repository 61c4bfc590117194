//! Page contexts: the parts every page shares (site, menu, year) and the error page.

use broadsheet_core::{MenuItem, Section, build_menu};
use chrono::Datelike;
use http::StatusCode;
use serde::Serialize;

use crate::error::AppError;
use broadsheet_app::SiteConfig;

use crate::state::AppState;

/// What the base template needs on every page.
#[derive(Serialize)]
pub(crate) struct Chrome {
    pub site: std::sync::Arc<SiteConfig>,
    pub menu: Vec<MenuItem>,
    pub year: i32,
    /// Slug of the menu entry to mark as current ("home" for the front page).
    pub active: String,
    pub canonical: Option<String>,
    /// The market strip (empty when no instrument is in the ticker).
    pub market: Vec<crate::market::Quote>,
    /// The sign-up dialog and boxes.
    pub newsletter: NewsletterBox,
    /// Feed autodiscovery links: the site's feeds, then the page's own (a section's).
    pub feeds: Vec<FeedLink>,
    /// OpenGraph and Twitter card tags.
    pub social: Social,
    /// JSON-LD documents, each ready for a `<script type="application/ld+json">` element
    /// (`jsonld::script` escapes `<`, so the template may print them unescaped).
    pub jsonld: Vec<String>,
}

#[derive(Serialize)]
pub(crate) struct FeedLink {
    pub title: String,
    pub href: String,
    pub mime: &'static str,
}

impl FeedLink {
    /// The three feeds (RSS, Atom, JSON Feed) of the page at `page_path` (`/` for the site).
    pub fn all(title: &str, page_path: &str) -> Vec<Self> {
        let base = page_path.trim_end_matches('/');
        broadsheet_syndication::feed::Format::ALL
            .into_iter()
            .map(|f| Self {
                title: format!("{title} ({})", f.label()),
                href: format!("{base}/{}", f.file_name()),
                mime: f.link_type(),
            })
            .collect()
    }
}

/// What a link preview shows (OpenGraph, Twitter cards). URLs are absolute.
#[derive(Serialize)]
pub(crate) struct Social {
    /// `website` or `article`.
    pub kind: &'static str,
    pub title: String,
    pub description: String,
    pub url: Option<String>,
    pub image: Option<SocialImage>,
    pub published: Option<String>,
    pub modified: Option<String>,
    pub section: Option<String>,
}

#[derive(Serialize)]
pub(crate) struct SocialImage {
    pub url: String,
    pub mime: String,
    pub width: u32,
    pub height: u32,
    pub alt: String,
}

#[derive(Serialize)]
pub(crate) struct NewsletterBox {
    pub pitch: String,
    pub delay: u32,
    pub scroll: u32,
    pub max_shows: u32,
    /// The signed time the form was rendered (the minimum fill time check).
    pub t: String,
}

#[derive(Serialize)]
struct WithChrome<T: Serialize> {
    #[serde(flatten)]
    chrome: Chrome,
    #[serde(flatten)]
    page: T,
}

pub(crate) async fn chrome(
    state: &AppState,
    sections: &[Section],
    active: &str,
    path: &str,
) -> Chrome {
    // A store error here costs the page its strip, not the page.
    let market = match state.ticker().await {
        Ok(quotes) => quotes.as_ref().clone(),
        Err(e) => {
            tracing::warn!(error = %e, "market strip unavailable");
            Vec::new()
        }
    };
    let site = state.site();
    let options = &state.newsletter.options;
    Chrome {
        newsletter: NewsletterBox {
            pitch: options.pitch.clone(),
            delay: options.modal_delay_secs,
            scroll: options.modal_scroll_percent,
            max_shows: options.modal_max_shows,
            t: broadsheet_app::newsletter::links::form_time(state),
        },
        market,
        // Always absolute, from the configured origin; the error page has no canonical URL.
        canonical: (!path.is_empty()).then(|| format!("{}{path}", site.origin())),
        feeds: FeedLink::all(&site.name, "/"),
        social: Social {
            kind: "website",
            title: site.name.clone(),
            description: site.tagline.clone(),
            url: (!path.is_empty()).then(|| format!("{}{path}", site.origin())),
            image: site.logo.as_ref().map(|logo| SocialImage {
                url: site.syndication().media_url(logo),
                mime: String::new(),
                width: 0,
                height: 0,
                alt: site.name.clone(),
            }),
            published: None,
            modified: None,
            section: None,
        },
        jsonld: Vec::new(),
        site,
        menu: build_menu(sections),
        year: chrono::Utc::now().year(),
        active: active.to_owned(),
    }
}

/// The publisher logo for structured data: the site's own logo (taken by the syndication
/// crate from the settings) or, failing that, the theme's icon, as an absolute URL.
pub(crate) fn fallback_logo(
    state: &AppState,
    site: &broadsheet_syndication::Site,
) -> Option<String> {
    state.theme.asset_url("favicon.svg").map(|u| site.url(u))
}

pub(crate) fn render(
    state: &AppState,
    template: &str,
    chrome: Chrome,
    page: impl Serialize,
) -> Result<String, AppError> {
    Ok(state.theme.render(template, WithChrome { chrome, page })?)
}

#[derive(Serialize)]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: &'a str,
}

/// The themed error page; falls back to a plain page when the store or the theme is what
/// failed, so an error page itself never errors.
pub(crate) async fn error_page(
    state: &AppState,
    status: StatusCode,
    title: &str,
    message: &str,
) -> String {
    let sections = state.store.sections().await.unwrap_or_default();
    let chrome = chrome(state, &sections, "", "").await;
    let page = ErrorPage {
        status: status.as_u16(),
        title,
        message,
    };
    match render(state, "error.html", chrome, page) {
        Ok(html) => html,
        Err(e) => {
            tracing::error!(error = %e, "cannot render the error page");
            format!(
                "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>{title}</title>\
                 <main><h1>{title}</h1><p>{message}</p><p><a href=\"/\">Front page</a></p></main></html>"
            )
        }
    }
}
