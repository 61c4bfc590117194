//! The newsletter in the admin (editors): subscriber numbers and growth, search, CSV export and
//! import, each issue's send progress (live while it runs), today's digest preview, a test
//! copy to oneself, and the intro of the next digest.

use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use broadsheet_core::Email;
use broadsheet_store::{SendCounts, Subscriber, SubscriberCounts, SubscriberStatus};
use chrono::Utc;
use http::{HeaderValue, StatusCode, header};
use serde::{Deserialize, Serialize};

use super::{Page, local_label, see_other};
use crate::auth::Editor;
use crate::error::AppError;
use crate::state::AppState;
use broadsheet_app::newsletter::compose;
use broadsheet_app::newsletter::send::personalise;

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct NewsletterQuery {
    q: String,
    done: String,
}

#[derive(Serialize)]
struct IssueRow {
    id: i64,
    subject: String,
    when: String,
    finished: bool,
    counts: SendCounts,
}

#[derive(Serialize)]
struct NewsletterPage {
    counts: SubscriberCounts,
    chart: String,
    q: String,
    subscribers: Vec<Subscriber>,
    issues: Vec<IssueRow>,
    sending: bool,
    intro: String,
    today: String,
}

fn intro_key(state: &AppState) -> (String, String) {
    let day = Utc::now()
        .with_timezone(&state.site().tz())
        .format("%Y-%m-%d")
        .to_string();
    (format!("newsletter.intro.{day}"), day)
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Editor(session): Editor,
    Query(q): Query<NewsletterQuery>,
) -> Result<Response, AppError> {
    let counts = state.store.subscriber_counts().await?;
    // Subscribers over time: the running total of confirmations.
    let mut total = 0.0;
    let points: Vec<(chrono::NaiveDate, f64)> = counts
        .growth
        .iter()
        .filter_map(|(day, n)| {
            total += *n as f64;
            chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
                .ok()
                .map(|d| (d, total))
        })
        .collect();
    let chart = if points.len() >= 2 {
        broadsheet_render::charts::line_chart(
            &points,
            "Confirmed subscribers over time",
            &format!("{} confirmed sign-ups in all", total as i64),
        )
    } else {
        String::new()
    };
    let text = q.q.trim().chars().take(200).collect::<String>();
    let subscribers = state
        .store
        .subscribers((!text.is_empty()).then_some(text.as_str()), 100)
        .await?;
    let tz = state.site().tz();
    let mut issues = Vec::new();
    for i in state.store.issues(None, 20).await? {
        issues.push(IssueRow {
            counts: state.store.send_counts(i.id).await?,
            when: local_label(Some(i.created_at), tz),
            finished: i.finished,
            subject: i.subject,
            id: i.id,
        });
    }
    let sending = issues.iter().any(|i| !i.finished);
    let (key, today) = intro_key(&state);
    let notice = match q.done.as_str() {
        "" => None,
        "test" => Some("A test copy is on its way to you.".to_owned()),
        "intro" => Some("The intro is saved for today's digest.".to_owned()),
        other => Some(format!("Imported: {other}.")),
    };
    let view = NewsletterPage {
        counts,
        chart,
        q: text,
        subscribers,
        issues,
        sending,
        intro: state.store.setting(&key).await?.unwrap_or_default(),
        today,
    };
    Page::new("admin/newsletter.html", "Newsletter", "newsletter")
        .notice(notice)
        .render(&state, Some(&session), view)
}

/// Today's digest as subscribers would get it now.
pub(crate) async fn preview(
    State(state): State<AppState>,
    Editor(_): Editor,
) -> Result<Response, AppError> {
    let content = compose::choose(&state, Utc::now()).await?;
    let (key, _) = intro_key(&state);
    let intro = state.store.setting(&key).await?.unwrap_or_default();
    let copy = compose::render(&state, "digest", "Preview", &intro, 0, Utc::now(), &content)?;
    let mut r = (StatusCode::OK, copy.html).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // E-mail HTML is styled inline; nothing in it may run.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:",
        ),
    );
    Ok(r)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct CsrfText {
    csrf: String,
    intro: String,
    csv: String,
}

/// Sends today's digest, as it stands, to the editor alone.
pub(crate) async fn test_send(
    State(state): State<AppState>,
    Editor(session): Editor,
    Form(f): Form<CsrfText>,
) -> Result<Response, AppError> {
    session.check_csrf(&f.csrf)?;
    let content = compose::choose(&state, Utc::now()).await?;
    let (key, _) = intro_key(&state);
    let intro = state.store.setting(&key).await?.unwrap_or_default();
    let subject = format!("[Test] {}", state.site().name);
    let copy = compose::render(&state, "digest", &subject, &intro, 0, Utc::now(), &content)?;
    let me = Subscriber {
        id: 0,
        email: session.user.email.clone(),
        status: SubscriberStatus::Active,
        digest: true,
        alerts: false,
        sections: Vec::new(),
        bounces: 0,
        created_at: Utc::now(),
        confirmed_at: None,
    };
    let issue = broadsheet_store::Issue {
        id: 0,
        key: "test".into(),
        kind: "test".into(),
        subject,
        intro,
        content: String::new(),
        finished: true,
        created_at: Utc::now(),
    };
    let email = personalise(&state, &issue, &copy, &me);
    state
        .mailer
        .send(&email)
        .await
        .map_err(|e| AppError::Unavailable(format!("The test copy could not be sent: {e}.")))?;
    Ok(see_other("/admin/newsletter?done=test"))
}

pub(crate) async fn save_intro(
    State(state): State<AppState>,
    Editor(session): Editor,
    Form(f): Form<CsrfText>,
) -> Result<Response, AppError> {
    session.check_csrf(&f.csrf)?;
    if f.intro.chars().count() > 2000 {
        return Err(AppError::Unprocessable(
            "The intro has at most 2,000 characters.".into(),
        ));
    }
    let (key, _) = intro_key(&state);
    state.store.set_setting(&key, f.intro.trim()).await?;
    Ok(see_other("/admin/newsletter?done=intro"))
}

/// `cell` as a spreadsheet will keep it as text: one that starts like a formula (`=`, `+`,
/// `-`, `@`, a tab or a carriage return) gets a leading apostrophe. Addresses hold no comma,
/// quote or line break (`Email::parse`), so no other quoting is needed.
fn spreadsheet_text(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// Every subscriber as CSV: address, status, choices, dates.
pub(crate) async fn export(
    State(state): State<AppState>,
    Editor(_): Editor,
) -> Result<Response, AppError> {
    let mut out = String::from("email,status,digest,alerts,sections,created_at,confirmed_at\n");
    for s in state.store.subscribers(None, 100_000).await? {
        out.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            spreadsheet_text(s.email.as_str()),
            s.status.as_str(),
            s.digest,
            s.alerts,
            s.sections.join(" "),
            s.created_at.to_rfc3339(),
            s.confirmed_at.map(|t| t.to_rfc3339()).unwrap_or_default()
        ));
    }
    let mut r = out.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"subscribers.csv\""),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// Imports addresses (one per line, or the first column of a CSV) as confirmed subscribers:
/// for moving a list whose consent was collected elsewhere. Bad lines are counted and skipped.
pub(crate) async fn import(
    State(state): State<AppState>,
    Editor(session): Editor,
    Form(f): Form<CsrfText>,
) -> Result<Response, AppError> {
    session.check_csrf(&f.csrf)?;
    let (mut added, mut skipped) = (0, 0);
    for line in f.csv.lines().take(100_000) {
        let first = line
            .split(',')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"');
        if first.is_empty() || first.eq_ignore_ascii_case("email") {
            continue;
        }
        match Email::parse(first) {
            Ok(email) => {
                let signup = state.store.sign_up(&email, &[], Utc::now(), 0).await?;
                state
                    .store
                    .confirm_subscriber(signup.subscriber.id, Utc::now())
                    .await?;
                added += 1;
            }
            Err(_) => skipped += 1,
        }
    }
    Ok(see_other(&format!(
        "/admin/newsletter?done={added}+added,+{skipped}+skipped"
    )))
}
