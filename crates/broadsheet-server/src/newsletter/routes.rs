//! The reader's side of the newsletter: `/subscribe` (the form the dialog, the article box and
//! the footer post to), the confirmation link, the preferences page behind a signed link, the
//! RFC 8058 one-click unsubscribe, and the archive at `/newsletter`.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use broadsheet_core::Email;
use broadsheet_store::{IssueKind, Preferences, SubscriberStatus};
use chrono::Utc;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::{Deserialize, Serialize};

use crate::admin::html_response;
use crate::client::Client;
use crate::error::AppError;
use crate::state::AppState;
use crate::views;
use broadsheet_app::newsletter::compose::DigestContent;
use broadsheet_app::newsletter::links::{LinkError, Purpose, sign, verify};
use broadsheet_app::newsletter::subscriptions::{self, ConfirmError, Confirmed, SignUp};

#[derive(Serialize)]
struct SubscribePage {
    state: &'static str,
    email: String,
    error: Option<String>,
    form_time: String,
    sections: Vec<(String, String, bool)>,
    token: String,
    subscriber_email: String,
    digest: bool,
    alerts: bool,
    paused: bool,
    status: String,
}

impl SubscribePage {
    fn new(state: &'static str, form_time: String) -> Self {
        Self {
            state,
            email: String::new(),
            error: None,
            form_time,
            sections: Vec::new(),
            token: String::new(),
            subscriber_email: String::new(),
            digest: true,
            alerts: false,
            paused: false,
            status: String::new(),
        }
    }
}

async fn page(
    state: &AppState,
    status: StatusCode,
    page: SubscribePage,
) -> Result<Response, AppError> {
    let sections = state.store.sections().await?;
    let chrome = views::chrome(state, &sections, "", "/subscribe").await;
    let html = views::render(state, "subscribe.html", chrome, page)?;
    Ok(html_response(status, html))
}

pub(crate) async fn form(State(state): State<AppState>) -> Result<Response, AppError> {
    let ft = broadsheet_app::newsletter::links::form_time(&state);
    page(&state, StatusCode::OK, SubscribePage::new("form", ft)).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct SubscribeForm {
    email: String,
    /// The honeypot: hidden from people, filled in by simple bots.
    website: String,
    /// `form_time()` of the page the form came from.
    t: String,
}

pub(crate) async fn subscribe(
    State(state): State<AppState>,
    client: Client,
    Form(f): Form<SubscribeForm>,
) -> Result<Response, AppError> {
    let ft = broadsheet_app::newsletter::links::form_time(&state);
    if state.signup_limiter.check_key(&client.ip()).is_err() {
        let mut p = SubscribePage::new("form", ft);
        p.error = Some(
            "Too many sign-ups from here in a short time. Please try again in a minute.".into(),
        );
        p.email = f.email.chars().take(254).collect();
        let mut r = page(&state, StatusCode::TOO_MANY_REQUESTS, p).await?;
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        return Ok(r);
    }
    let email = match Email::parse(&f.email) {
        Ok(e) => e,
        Err(e) => {
            let mut p = SubscribePage::new("form", ft);
            p.error = Some(format!("That e-mail address {}.", e.reason));
            p.email = f.email.chars().take(254).collect();
            return page(&state, StatusCode::UNPROCESSABLE_ENTITY, p).await;
        }
    };
    match subscriptions::sign_up(&state, &email, &f.website, &f.t).await? {
        SignUp::Recorded => {}
        // Answered like a person, so the bot learns nothing; nothing is stored or sent.
        SignUp::Automated => tracing::info!(client = %client.ip(), "sign-up refused as automated"),
        // Autofill and Enter: a person may be that fast. Ask once more, visibly.
        SignUp::TooFast => {
            let mut p = SubscribePage::new(
                "second-step",
                broadsheet_app::newsletter::links::second_step(&state),
            );
            p.email = email.to_string();
            return page(&state, StatusCode::OK, p).await;
        }
    }
    page(&state, StatusCode::OK, SubscribePage::new("sent", ft)).await
}

/// The subscriber id a link was signed for, or the page explaining why the link cannot be used.
fn link_id(state: &AppState, purpose: Purpose, token: &str, what: &str) -> Result<i64, AppError> {
    verify(
        &state.newsletter.secret,
        purpose,
        token,
        Utc::now().timestamp(),
    )
    .map_err(|e| link_error(e, what))
}

/// The subscriber behind a preferences link.
async fn linked_subscriber(
    state: &AppState,
    token: &str,
) -> Result<broadsheet_store::Subscriber, AppError> {
    let id = link_id(state, Purpose::Preferences, token, "preferences")?;
    state
        .store
        .subscriber(id)
        .await?
        .ok_or_else(|| AppError::Unprocessable("This subscription no longer exists.".into()))
}

fn link_error(e: LinkError, what: &str) -> AppError {
    AppError::Unprocessable(match e {
        LinkError::Expired => {
            format!("This {what} link has expired. Sign up again at /subscribe to get a new one.")
        }
        LinkError::Invalid => {
            format!("This {what} link is not valid. Check that it was copied whole.")
        }
    })
}

pub(crate) async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let now = Utc::now();
    let (id, first_time) = match subscriptions::confirm(&state, &token).await {
        Ok(Confirmed::FirstTime(id)) => (id, true),
        Ok(Confirmed::Already(id)) => (id, false),
        Err(ConfirmError::Link(e)) => return Err(link_error(e, "confirmation")),
        Err(ConfirmError::Failed(e)) => return Err(e.into()),
    };
    let mut p = SubscribePage::new(
        if first_time { "confirmed" } else { "already" },
        broadsheet_app::newsletter::links::form_time(&state),
    );
    p.token = sign(
        &state.newsletter.secret,
        Purpose::Preferences,
        id,
        now.timestamp() + 400 * 86_400,
    );
    page(&state, StatusCode::OK, p).await
}

async fn preferences_page(
    state: &AppState,
    token: String,
    status: StatusCode,
    notice: Option<&str>,
) -> Result<Response, AppError> {
    let s = linked_subscriber(state, &token).await?;
    let sections = broadsheet_core::build_menu(&state.store.sections().await?)
        .into_iter()
        .map(|m| {
            let slug = m.slug.to_string();
            let on = s.sections.contains(&slug);
            (slug, m.name, on)
        })
        .collect();
    let mut p = SubscribePage::new(
        "preferences",
        broadsheet_app::newsletter::links::form_time(state),
    );
    p.sections = sections;
    p.token = token;
    p.subscriber_email = s.email.to_string();
    p.digest = s.digest;
    p.alerts = s.alerts;
    p.paused = s.status == SubscriberStatus::Paused;
    p.status = s.status.as_str().to_owned();
    p.error = notice.map(str::to_owned);
    page(state, status, p).await
}

pub(crate) async fn preferences(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    preferences_page(&state, token, StatusCode::OK, None).await
}

pub(crate) async fn save_preferences(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let id = link_id(&state, Purpose::Preferences, &token, "preferences")?;
    let mut prefs = Preferences::default();
    let mut action = String::new();
    let known: Vec<String> = state
        .store
        .sections()
        .await?
        .into_iter()
        .map(|s| s.slug.to_string())
        .collect();
    for (k, v) in form_urlencoded::parse(&body) {
        match k.as_ref() {
            "digest" => prefs.digest = true,
            "alerts" => prefs.alerts = true,
            "paused" => prefs.paused = true,
            "section" if known.contains(&v.to_string()) => prefs.sections.push(v.into_owned()),
            "action" => action = v.into_owned(),
            _ => {}
        }
    }
    match action.as_str() {
        "unsubscribe" => {
            state.store.unsubscribe(id).await?;
            let mut p = SubscribePage::new(
                "unsubscribed",
                broadsheet_app::newsletter::links::form_time(&state),
            );
            p.token = token;
            page(&state, StatusCode::OK, p).await
        }
        "delete" => {
            state.store.delete_subscriber(id).await?;
            page(
                &state,
                StatusCode::OK,
                SubscribePage::new(
                    "deleted",
                    broadsheet_app::newsletter::links::form_time(&state),
                ),
            )
            .await
        }
        _ => {
            state.store.set_preferences(id, &prefs).await?;
            preferences_page(
                &state,
                token,
                StatusCode::OK,
                Some("Your preferences are saved."),
            )
            .await
        }
    }
}

/// Everything stored about the subscriber, as JSON.
pub(crate) async fn export(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let s = linked_subscriber(&state, &token).await?;
    let body = serde_json::to_string_pretty(&s).unwrap_or_default();
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"newsletter-subscription.json\""),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// GET of the unsubscribe link (a person, or a mail scanner following links): a page with a
/// button, so nobody is unsubscribed by a link checker.
pub(crate) async fn unsubscribe_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    link_id(&state, Purpose::Unsubscribe, &token, "unsubscribe")?;
    let mut p = SubscribePage::new(
        "unsubscribe",
        broadsheet_app::newsletter::links::form_time(&state),
    );
    p.token = token;
    page(&state, StatusCode::OK, p).await
}

/// POST of the unsubscribe link: RFC 8058 one-click from a mail client, or the button above.
/// Unsubscribes at once; the one-click form gets a bare 200.
pub(crate) async fn unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let id = link_id(&state, Purpose::Unsubscribe, &token, "unsubscribe")?;
    state.store.unsubscribe(id).await?;
    tracing::info!(subscriber = id, "unsubscribed");
    let one_click =
        form_urlencoded::parse(&body).any(|(k, v)| k == "List-Unsubscribe" && v == "One-Click");
    let from_page = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if one_click || !from_page {
        let mut r = (StatusCode::OK, "unsubscribed\n").into_response();
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return Ok(r);
    }
    page(
        &state,
        StatusCode::OK,
        SubscribePage::new(
            "unsubscribed",
            broadsheet_app::newsletter::links::form_time(&state),
        ),
    )
    .await
}

#[derive(Serialize)]
struct ArchivePage {
    issues: Vec<ArchiveItem>,
}

#[derive(Serialize)]
struct ArchiveItem {
    id: i64,
    subject: String,
    date: String,
}

#[derive(Serialize)]
struct IssuePage {
    subject: String,
    intro: String,
    date: String,
    digest: DigestContent,
}

pub(crate) async fn archive(State(state): State<AppState>) -> Result<Response, AppError> {
    let tz = state.site().tz();
    let issues = state
        .store
        .issues(Some(IssueKind::Digest), 100)
        .await?
        .into_iter()
        .map(|i| ArchiveItem {
            id: i.id,
            subject: i.subject,
            date: i
                .created_at
                .with_timezone(&tz)
                .format("%A %-d %B %Y")
                .to_string(),
        })
        .collect();
    let sections = state.store.sections().await?;
    let chrome = views::chrome(&state, &sections, "", "/newsletter").await;
    let html = views::render(&state, "newsletter.html", chrome, ArchivePage { issues })?;
    Ok(html_response(StatusCode::OK, html))
}

pub(crate) async fn issue(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let issue = state
        .store
        .issue(id)
        .await?
        .filter(|i| i.kind == "digest")
        .ok_or(AppError::NotFound)?;
    let tz = state.site().tz();
    let sections = state.store.sections().await?;
    let chrome = views::chrome(&state, &sections, "", &format!("/newsletter/{id}")).await;
    let html = views::render(
        &state,
        "newsletter_issue.html",
        chrome,
        IssuePage {
            subject: issue.subject,
            intro: issue.intro,
            date: issue
                .created_at
                .with_timezone(&tz)
                .format("%A %-d %B %Y")
                .to_string(),
            digest: serde_json::from_str(&issue.content).unwrap_or_default(),
        },
    )?;
    Ok(html_response(StatusCode::OK, html))
}
