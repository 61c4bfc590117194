//! The newsroom at `/admin`: sign-in and accounts (`account.rs`), the dashboard, article list,
//! editor, workflow and revisions (`articles.rs`), the media library (`media.rs`), and the
//! site's structure, users, settings and audit log (`site.rs`).
//!
//! Every route is declared once in `ROUTES` with the permission it needs; the handler's
//! extractor (`Session`, `Editor`, `Admin`) enforces it and the authorization matrix test
//! walks the table. Every state-changing request passes two forgery checks: the cross-origin
//! check on `Sec-Fetch-Site`/`Origin` (tower-http's `CsrfLayer`) and the session's token echoed
//! by the form.

mod account;
mod api_keys;
pub(crate) mod articles;
mod calendar;
mod diff;
mod editor;
pub(crate) mod media;
mod newsletter;
mod revisions;
mod settings;
mod site;
mod users;
mod webhooks;
pub(crate) mod wire;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use broadsheet_core::{Permission, Role, Timestamp};
use chrono::TimeZone;
use http::{HeaderValue, Method, StatusCode, header};
use serde::Serialize;

use crate::auth::Session;
use crate::error::AppError;
use broadsheet_app::SiteConfig;

use crate::state::AppState;

/// Largest form body (an article with a long body); uploads have their own limit.
const FORM_LIMIT: usize = 4 * 1024 * 1024;

/// Every admin route, the permission it needs, and whether it changes state. Sign-in, reset and
/// setup pages are public and not listed.
pub const ROUTES: &[(Method, &str, Permission)] = &[
    (Method::GET, "/admin", Permission::Signed),
    (Method::GET, "/admin/articles", Permission::Signed),
    (Method::GET, "/admin/articles/new", Permission::Signed),
    (Method::POST, "/admin/articles/new", Permission::Signed),
    (Method::GET, "/admin/articles/{id}", Permission::Signed),
    (Method::POST, "/admin/articles/{id}", Permission::Signed),
    (
        Method::POST,
        "/admin/articles/{id}/delete",
        Permission::Signed,
    ),
    (
        Method::GET,
        "/admin/articles/{id}/revisions",
        Permission::Signed,
    ),
    (
        Method::POST,
        "/admin/articles/{id}/restore",
        Permission::Signed,
    ),
    (Method::POST, "/admin/preview", Permission::Signed),
    (Method::GET, "/admin/media", Permission::Signed),
    (Method::POST, "/admin/media", Permission::Signed),
    (Method::POST, "/admin/sign-out", Permission::Signed),
    (Method::GET, "/admin/sections", Permission::ManageSite),
    (Method::POST, "/admin/sections", Permission::ManageSite),
    (Method::GET, "/admin/tags", Permission::ManageSite),
    (Method::POST, "/admin/tags", Permission::ManageSite),
    (Method::GET, "/admin/home", Permission::ManageSite),
    (Method::POST, "/admin/home", Permission::ManageSite),
    (Method::GET, "/admin/audit", Permission::ManageSite),
    (Method::GET, "/admin/newsletter", Permission::ManageSite),
    (
        Method::GET,
        "/admin/newsletter/preview",
        Permission::ManageSite,
    ),
    (
        Method::POST,
        "/admin/newsletter/test",
        Permission::ManageSite,
    ),
    (
        Method::POST,
        "/admin/newsletter/intro",
        Permission::ManageSite,
    ),
    (
        Method::GET,
        "/admin/newsletter/subscribers.csv",
        Permission::ManageSite,
    ),
    (
        Method::POST,
        "/admin/newsletter/import",
        Permission::ManageSite,
    ),
    (Method::GET, "/admin/users", Permission::Admin),
    (Method::POST, "/admin/users", Permission::Admin),
    (Method::POST, "/admin/users/{id}", Permission::Admin),
    (Method::GET, "/admin/settings", Permission::Admin),
    (Method::POST, "/admin/settings", Permission::Admin),
    (Method::GET, "/admin/webhooks", Permission::Admin),
    (Method::POST, "/admin/webhooks", Permission::Admin),
    (Method::POST, "/admin/webhooks/action", Permission::Admin),
    (Method::GET, "/admin/wire", Permission::Signed),
    (Method::GET, "/admin/wire/{id}", Permission::Signed),
    (Method::POST, "/admin/wire/{id}/use", Permission::Signed),
    (Method::POST, "/admin/wire/flags", Permission::ManageSite),
    (Method::GET, "/admin/wire/sources", Permission::ManageSite),
    (Method::POST, "/admin/wire/sources", Permission::ManageSite),
    (
        Method::POST,
        "/admin/wire/sources/action",
        Permission::ManageSite,
    ),
    (Method::GET, "/admin/calendar", Permission::ManageSite),
    (Method::POST, "/admin/calendar", Permission::ManageSite),
    (Method::GET, "/admin/calendar/{id}", Permission::ManageSite),
    (Method::POST, "/admin/calendar/{id}", Permission::ManageSite),
    (Method::GET, "/admin/api-keys", Permission::Admin),
    (Method::POST, "/admin/api-keys", Permission::Admin),
];

pub(crate) fn router(state: &AppState) -> Router<AppState> {
    let upload_limit = state.newsroom.upload_limits().max_bytes + 64 * 1024;
    let csrf = tower_http::csrf::CsrfLayer::new().with_rejection_response(|_| {
        AppError::Forbidden(
            "This form was sent from another site, so it was refused. Nothing was changed.".into(),
        )
        .into_response()
    });
    Router::new()
        .route("/admin", get(articles::dashboard))
        .route("/admin/articles", get(articles::list))
        .route("/admin/articles/new", get(editor::new).post(editor::create))
        .route("/admin/articles/{id}", get(editor::edit).post(editor::save))
        .route("/admin/articles/{id}/delete", post(articles::delete))
        .route("/admin/articles/{id}/revisions", get(revisions::revisions))
        .route("/admin/articles/{id}/restore", post(revisions::restore))
        .route("/admin/preview", post(editor::preview))
        .route(
            "/admin/media",
            get(media::library)
                .post(media::upload)
                .layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route(
            "/admin/sections",
            get(site::sections).post(site::save_section),
        )
        .route("/admin/tags", get(site::tags).post(site::save_tag))
        .route("/admin/home", get(site::home).post(site::save_home))
        .route("/admin/audit", get(site::audit))
        .route(
            "/admin/webhooks",
            get(webhooks::page).post(webhooks::create),
        )
        .route("/admin/webhooks/action", post(webhooks::act))
        .route("/admin/api-keys", get(api_keys::page).post(api_keys::save))
        .route(
            "/admin/calendar",
            get(calendar::page).post(calendar::create),
        )
        .route(
            "/admin/calendar/{id}",
            get(calendar::edit).post(calendar::save),
        )
        .route("/admin/wire", get(wire::desk))
        .route("/admin/wire/flags", post(wire::clear_flag))
        .route(
            "/admin/wire/sources",
            get(wire::sources).post(wire::save_source),
        )
        .route("/admin/wire/sources/action", post(wire::source_action))
        .route("/admin/wire/{id}", get(wire::item))
        .route("/admin/wire/{id}/use", post(wire::use_item))
        .route("/admin/newsletter", get(newsletter::page))
        .route("/admin/newsletter/preview", get(newsletter::preview))
        .route("/admin/newsletter/test", post(newsletter::test_send))
        .route("/admin/newsletter/intro", post(newsletter::save_intro))
        .route("/admin/newsletter/subscribers.csv", get(newsletter::export))
        .route("/admin/newsletter/import", post(newsletter::import))
        .route("/admin/users", get(users::users).post(users::add_user))
        .route("/admin/users/{id}", post(users::update_user))
        .route(
            "/admin/settings",
            get(settings::settings).post(settings::save_settings),
        )
        .route(
            "/admin/sign-in",
            get(account::sign_in_form).post(account::sign_in),
        )
        .route("/admin/sign-out", post(account::sign_out))
        .route(
            "/admin/reset",
            get(account::reset_form).post(account::reset_request),
        )
        .route(
            "/admin/reset/{token}",
            get(account::new_password_form).post(account::new_password),
        )
        .route(
            "/admin/setup/{token}",
            get(account::setup_form).post(account::setup),
        )
        .layer(DefaultBodyLimit::max(FORM_LIMIT))
        .layer(csrf)
}

/// The navigation a role sees, in groups: the desk's daily work in a row, the site's and the
/// administrator's pages in two menus (`<details>`, no script), so it never wraps into a wall
/// of links.
#[derive(Serialize)]
struct NavGroup {
    label: &'static str,
    items: Vec<NavItem>,
}

#[derive(Serialize)]
struct NavItem {
    href: &'static str,
    label: &'static str,
    key: &'static str,
}

type NavEntry = (&'static str, &'static str, &'static str, Permission);

fn nav(role: Role) -> Vec<NavGroup> {
    let groups: [(&'static str, &[NavEntry]); 3] = [
        (
            "",
            &[
                ("/admin", "Dashboard", "dashboard", Permission::Signed),
                (
                    "/admin/articles",
                    "Articles",
                    "articles",
                    Permission::Signed,
                ),
                (
                    "/admin/articles/new",
                    "New article",
                    "new",
                    Permission::Signed,
                ),
                ("/admin/media", "Media", "media", Permission::Signed),
                ("/admin/wire", "Wire", "wire", Permission::Signed),
            ],
        ),
        (
            "Site",
            &[
                (
                    "/admin/calendar",
                    "Economic calendar",
                    "calendar",
                    Permission::ManageSite,
                ),
                ("/admin/home", "Home page", "home", Permission::ManageSite),
                (
                    "/admin/sections",
                    "Sections & menu",
                    "sections",
                    Permission::ManageSite,
                ),
                ("/admin/tags", "Tags", "tags", Permission::ManageSite),
                (
                    "/admin/newsletter",
                    "Newsletter",
                    "newsletter",
                    Permission::ManageSite,
                ),
                (
                    "/admin/wire/sources",
                    "Wire sources",
                    "wire-sources",
                    Permission::ManageSite,
                ),
                ("/admin/audit", "Audit log", "audit", Permission::ManageSite),
            ],
        ),
        (
            "Administration",
            &[
                ("/admin/users", "Users", "users", Permission::Admin),
                ("/admin/settings", "Settings", "settings", Permission::Admin),
                ("/admin/webhooks", "Webhooks", "webhooks", Permission::Admin),
                ("/admin/api-keys", "API keys", "api-keys", Permission::Admin),
            ],
        ),
    ];
    groups
        .into_iter()
        .map(|(label, entries)| NavGroup {
            label,
            items: entries
                .iter()
                .filter(|(_, _, _, p)| p.allows(role))
                .map(|&(href, label, key, _)| NavItem { href, label, key })
                .collect(),
        })
        .filter(|g| !g.items.is_empty())
        .collect()
}

#[derive(Serialize)]
struct UserView {
    id: i64,
    name: String,
    email: String,
    role: &'static str,
}

#[derive(Serialize)]
struct Chrome {
    site: Arc<SiteConfig>,
    user: Option<UserView>,
    csrf: String,
    nav: Vec<NavGroup>,
    active: &'static str,
    title: String,
    /// A one-line confirmation ("Saved.") or problem shown at the top.
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Serialize)]
struct WithChrome<T: Serialize> {
    #[serde(flatten)]
    chrome: Chrome,
    #[serde(flatten)]
    page: T,
}

/// An admin page to render: its template, title, nav key and messages.
pub(crate) struct Page<'a> {
    pub template: &'a str,
    pub title: String,
    pub active: &'static str,
    pub status: StatusCode,
    pub notice: Option<String>,
    pub error: Option<String>,
}

impl<'a> Page<'a> {
    pub fn new(template: &'a str, title: impl Into<String>, active: &'static str) -> Self {
        Self {
            template,
            title: title.into(),
            active,
            status: StatusCode::OK,
            notice: None,
            error: None,
        }
    }

    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub fn notice(mut self, notice: Option<String>) -> Self {
        self.notice = notice;
        self
    }

    pub fn error(mut self, error: impl Into<String>) -> Self {
        self.error = Some(error.into());
        self
    }

    pub fn render(
        self,
        state: &AppState,
        session: Option<&Session>,
        page: impl Serialize,
    ) -> Result<Response, AppError> {
        let chrome = Chrome {
            site: state.site(),
            user: session.map(|s| UserView {
                id: s.user.id,
                name: s.user.name.clone(),
                email: s.user.email.to_string(),
                role: s.user.role.as_str(),
            }),
            csrf: session.map(|s| s.csrf.clone()).unwrap_or_default(),
            nav: session.map(|s| nav(s.user.role)).unwrap_or_default(),
            active: self.active,
            title: self.title,
            notice: self.notice,
            error: self.error,
        };
        let html = state
            .theme
            .render(self.template, WithChrome { chrome, page })?;
        Ok(html_response(self.status, html))
    }
}

pub(crate) fn html_response(status: StatusCode, html: String) -> Response {
    let mut r = (status, html).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        http::HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex"),
    );
    r
}

/// 303 to `to` (after a successful POST).
pub(crate) fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// A time as the value of a `datetime-local` input in the newsroom's time zone.
pub(crate) fn local_input(t: Option<Timestamp>, tz: chrono_tz::Tz) -> String {
    t.map(|t| t.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

/// A time for people to read, in the newsroom's time zone.
pub(crate) fn local_label(t: Option<Timestamp>, tz: chrono_tz::Tz) -> String {
    t.map(|t| {
        t.with_timezone(&tz)
            .format("%-d %b %Y, %H:%M %Z")
            .to_string()
    })
    .unwrap_or_default()
}

/// A `datetime-local` value in the newsroom's time zone. In the hour a clock goes back the
/// earlier of the two moments is meant; a time skipped by a clock going forward is refused.
pub(crate) fn parse_local(
    raw: &str,
    tz: chrono_tz::Tz,
    field: &str,
) -> Result<Option<Timestamp>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let naive = chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| format!("{field}: {raw:?} is not a date and time like 2026-12-03T14:30"))?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| Some(t.to_utc()))
        .ok_or_else(|| format!("{field}: {raw} does not exist in {tz} (the clocks change then)"))
}

/// Where to go after signing in: only back into the admin, never to another site.
pub(crate) fn safe_next(next: &str) -> &str {
    let ok = next.starts_with("/admin")
        && !next.contains("//")
        && !next.contains('\\')
        && !next.starts_with("/admin/sign-");
    if ok { next } else { "/admin" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_round_trip_in_the_newsroom_zone() {
        let tz: chrono_tz::Tz = "Europe/London".parse().expect("tz");
        let t = parse_local("2026-07-01T09:30", tz, "publish at")
            .expect("ok")
            .expect("some");
        assert_eq!(t.to_rfc3339(), "2026-07-01T08:30:00+00:00", "BST is UTC+1");
        assert_eq!(local_input(Some(t), tz), "2026-07-01T09:30");
        assert_eq!(parse_local("", tz, "x"), Ok(None));
        let gap = parse_local("2026-03-29T01:30", tz, "publish at").expect_err("skipped hour");
        assert!(gap.contains("does not exist"), "{gap}");
        let bad = parse_local("tomorrow", tz, "publish at").expect_err("bad");
        assert!(bad.contains("publish at"), "{bad}");
    }

    #[test]
    fn sign_in_never_sends_anyone_off_site() {
        for (next, to) in [
            ("/admin/articles/3", "/admin/articles/3"),
            ("https://evil.example/admin", "/admin"),
            ("//evil.example", "/admin"),
            ("/admin//evil", "/admin"),
            ("/admin\\@evil", "/admin"),
            ("/article/x", "/admin"),
            ("/admin/sign-out", "/admin"),
        ] {
            assert_eq!(safe_next(next), to, "{next}");
        }
    }
}
