//! The wire desk at `/admin/wire`: incoming agency items newest first with filters, one item
//! with its chain of versions and a comparison between any two, "Use" (`broadsheet_app::wire_use`:
//! a draft made from the item through the one publishing path, its picture fetched into the
//! media library with its credit), the kill flags, and the sources (`/admin/wire/sources`: add feeds, push and
//! folder sources, pause, resume, and the problems each had).

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use broadsheet_core::WireItem;
use broadsheet_store::{NewWireSource, StoreError, WireFilter, WireKind, WireRow, WireSource};
use chrono::Utc;
use http::StatusCode;
use serde::{Deserialize, Serialize};

use super::diff::{DiffLine, diff_lines};
use super::{Page, local_label, see_other};
use crate::auth::{Editor, Session, random_token, token_hash};
use crate::error::AppError;
use crate::state::AppState;
use broadsheet_app::publishing::EditError;
use broadsheet_app::wire_use::UseError;

const PAGE_SIZE: u32 = 50;

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct DeskQuery {
    source: String,
    urgency: String,
    subject: String,
    q: String,
    before: String,
}

#[derive(Serialize)]
struct ItemRow {
    id: i64,
    source: String,
    agency: String,
    urgency: Option<u8>,
    slugline: String,
    headline: String,
    version: i64,
    received: String,
    sent: String,
    signal: &'static str,
    killed: bool,
    embargoed: bool,
}

fn item_row(r: &WireRow, tz: chrono_tz::Tz) -> ItemRow {
    ItemRow {
        id: r.id,
        source: r.source.clone(),
        agency: r.item.agency.clone(),
        urgency: r.item.urgency,
        slugline: r.item.slugline.clone(),
        headline: if r.item.headline.is_empty() {
            "(no headline)".into()
        } else {
            r.item.headline.clone()
        },
        version: r.item.version,
        received: local_label(Some(r.received_at), tz),
        sent: local_label(r.item.sent_at, tz),
        signal: r.item.signal.as_str(),
        killed: r.killed,
        embargoed: r.item.embargo.is_some_and(|e| e > Utc::now()),
    }
}

/// A kill flag as the desk and the dashboard show it.
#[derive(Serialize)]
pub(crate) struct FlagRow {
    article_id: i64,
    headline: String,
    status: String,
    item_id: i64,
    source: String,
    when: String,
}

pub(crate) async fn flag_rows(state: &AppState) -> Result<Vec<FlagRow>, AppError> {
    let tz = state.site().tz();
    Ok(state
        .store
        .wire_flags()
        .await?
        .into_iter()
        .map(|f| FlagRow {
            article_id: f.article_id,
            headline: f.headline,
            status: broadsheet_app::publishing::status_label(f.status).to_owned(),
            item_id: f.item_id,
            source: f.source,
            when: local_label(Some(f.flagged_at), tz),
        })
        .collect())
}

#[derive(Serialize)]
pub(crate) struct WireLink {
    item_id: i64,
    agency: String,
    version: i64,
    /// The newest version of the story, when a later one has arrived.
    newer: Option<(i64, i64)>,
    killed: bool,
}

pub(crate) async fn link_of(
    state: &AppState,
    article_id: i64,
) -> Result<Option<WireLink>, AppError> {
    let Some(used) = state.store.wire_item_of_article(article_id).await? else {
        return Ok(None);
    };
    let versions = state.store.wire_versions(used.id).await?;
    let newest = versions.iter().find(|v| v.latest).or(versions.first());
    Ok(Some(WireLink {
        item_id: used.id,
        agency: used.item.agency.clone(),
        version: used.item.version,
        newer: newest
            .filter(|n| n.item.version > used.item.version)
            .map(|n| (n.id, n.item.version)),
        killed: used.killed,
    }))
}

#[derive(Serialize)]
struct SourceView {
    name: String,
    kind: &'static str,
    paused: bool,
    error: Option<String>,
}

#[derive(Serialize)]
struct DeskPage {
    items: Vec<ItemRow>,
    flags: Vec<FlagRow>,
    sources: Vec<SourceView>,
    query: DeskEcho,
    next: Option<String>,
}

#[derive(Serialize)]
struct DeskEcho {
    source: String,
    urgency: String,
    subject: String,
    q: String,
}

pub(crate) async fn desk(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<DeskQuery>,
) -> Result<Response, AppError> {
    let sources = state.store.wire_sources().await?;
    let source = match q.source.trim() {
        "" => None,
        name => Some(
            sources
                .iter()
                .find(|s| s.name == name)
                .map(|s| s.id)
                .ok_or_else(|| AppError::BadRequest(format!("there is no source {name:?}")))?,
        ),
    };
    let urgency = match q.urgency.trim() {
        "" => None,
        u => Some(
            u.parse::<u8>()
                .ok()
                .filter(|u| (1..=9).contains(u))
                .ok_or_else(|| AppError::BadRequest("urgency is a number from 1 to 9".into()))?,
        ),
    };
    let before = match q.before.trim() {
        "" => None,
        b => Some(
            b.parse::<i64>()
                .map_err(|_| AppError::BadRequest("that page does not exist".into()))?,
        ),
    };
    let text: String = q.q.trim().chars().take(200).collect();
    let subject: String = q.subject.trim().chars().take(200).collect();
    let filter = WireFilter {
        source,
        urgency,
        subject: Some(subject.clone()).filter(|s| !s.is_empty()),
        text: Some(text.clone()).filter(|s| !s.is_empty()),
        before,
        limit: PAGE_SIZE,
    };
    let rows = state.store.wire_items(&filter).await?;
    let tz = state.site().tz();
    let echo = DeskEcho {
        source: q.source.trim().to_owned(),
        urgency: q.urgency.trim().to_owned(),
        subject,
        q: text,
    };
    let next = (rows.len() == PAGE_SIZE as usize)
        .then(|| rows.last().map(|r| r.id))
        .flatten()
        .map(|last| {
            let mut s = form_urlencoded::Serializer::new(String::new());
            for (k, v) in [
                ("source", &echo.source),
                ("urgency", &echo.urgency),
                ("subject", &echo.subject),
                ("q", &echo.q),
            ] {
                if !v.is_empty() {
                    s.append_pair(k, v);
                }
            }
            s.append_pair("before", &last.to_string());
            format!("/admin/wire?{}", s.finish())
        });
    let page = DeskPage {
        items: rows.iter().map(|r| item_row(r, tz)).collect(),
        flags: flag_rows(&state).await?,
        sources: sources
            .iter()
            .map(|s| SourceView {
                name: s.name.clone(),
                kind: s.kind.as_str(),
                paused: s.paused,
                error: s.last_error.clone(),
            })
            .collect(),
        query: echo,
        next,
    };
    Page::new("admin/wire.html", "Wire desk", "wire").render(&state, Some(&session), page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct ItemQuery {
    compare: String,
}

#[derive(Serialize)]
struct PictureView {
    href: Option<String>,
    caption: String,
    credit: String,
    photographer: String,
    agency: String,
    via: String,
}

#[derive(Serialize)]
struct ItemPage {
    row: ItemRow,
    item: WireItem,
    body_html: String,
    subjects: String,
    embargo: String,
    pictures: Vec<PictureView>,
    versions: Vec<ItemRow>,
    used_in: Vec<UsedIn>,
    compare: Option<i64>,
    diff: Vec<DiffLine>,
}

#[derive(Serialize)]
struct UsedIn {
    id: i64,
    headline: String,
}

fn text_of(item: &WireItem) -> String {
    format!(
        "{}\n{}\n\n{}",
        item.headline,
        item.dateline,
        broadsheet_ingest::wire::html_to_paragraphs(&item.body_html)
    )
}

async fn load_item(state: &AppState, id: &str) -> Result<WireRow, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    state.store.wire_item(id).await?.ok_or(AppError::NotFound)
}

pub(crate) async fn item(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Query(q): Query<ItemQuery>,
) -> Result<Response, AppError> {
    let row = load_item(&state, &id).await?;
    let versions = state.store.wire_versions(row.id).await?;
    let compare = match q.compare.trim() {
        "" => None,
        c => Some(
            c.parse::<i64>()
                .ok()
                .filter(|c| versions.iter().any(|v| v.id == *c))
                .ok_or_else(|| {
                    AppError::BadRequest("compare with a version of this story".into())
                })?,
        ),
    };
    let diff = compare
        .and_then(|c| versions.iter().find(|v| v.id == c))
        .map(|other| diff_lines(&text_of(&other.item), &text_of(&row.item)))
        .unwrap_or_default();
    let mut used_in = Vec::new();
    for a in state.store.wire_uses(row.id).await? {
        if let Some(article) = state.store.article_by_id(a).await? {
            used_in.push(UsedIn {
                id: article.id,
                headline: article.headline,
            });
        }
    }
    let tz = state.site().tz();
    let page = ItemPage {
        row: item_row(&row, tz),
        // Sanitised by the parser when it arrived, and again here: it is shown unescaped.
        body_html: broadsheet_render::sanitize(&row.item.body_html),
        subjects: row.item.subjects.join(", "),
        embargo: local_label(row.item.embargo, tz),
        pictures: row
            .item
            .pictures
            .iter()
            .map(|p| PictureView {
                href: p.href.clone(),
                caption: p.caption.clone(),
                credit: p.credit.to_string(),
                photographer: p.credit.photographer.clone().unwrap_or_default(),
                agency: p.credit.agency.clone().unwrap_or_default(),
                via: p.credit.via.clone().unwrap_or_default(),
            })
            .collect(),
        versions: versions.iter().map(|v| item_row(v, tz)).collect(),
        used_in,
        compare,
        diff,
        item: row.item.clone(),
    };
    let title = format!("Wire: {}", page.row.headline);
    Page::new("admin/wire_item.html", title, "wire").render(&state, Some(&session), page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct CsrfOnly {
    csrf: String,
}

/// `POST /admin/wire/{id}/use`: a draft from the item, linked back to it.
pub(crate) async fn use_item(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, AppError> {
    session.check_csrf(&form.csrf)?;
    let row = load_item(&state, &id).await?;
    let limits = state.newsroom.upload_limits();
    match broadsheet_app::wire_use::use_item(&state, &session.user, limits, &row).await {
        Ok(used) => Ok(see_other(&match used.picture {
            None => format!("/admin/articles/{}?saved=1", used.saved.id),
            Some(p) => format!(
                "/admin/articles/{}?saved=1&picture={}",
                used.saved.id,
                p.as_str()
            ),
        })),
        Err(UseError::Withdrawn) => Err(AppError::BadRequest(
            "The agency has withdrawn this story: it cannot be used.".into(),
        )),
        Err(UseError::Edit(EditError::Invalid(m))) => Err(AppError::BadRequest(format!(
            "A draft could not be made from this item: {m}"
        ))),
        Err(UseError::Edit(EditError::Forbidden(m))) => Err(AppError::Forbidden(m)),
        Err(UseError::Edit(EditError::Conflict { why, .. })) => Err(AppError::BadRequest(why)),
        Err(UseError::Edit(EditError::Failed(e))) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct FlagForm {
    csrf: String,
    article: String,
}

/// `POST /admin/wire/flags`: an editor has dealt with a killed story's article.
pub(crate) async fn clear_flag(
    State(state): State<AppState>,
    Editor(session): Editor,
    Form(form): Form<FlagForm>,
) -> Result<Response, AppError> {
    session.check_csrf(&form.csrf)?;
    let id: i64 = form
        .article
        .parse()
        .map_err(|_| AppError::BadRequest("no such flag".into()))?;
    if !state.store.clear_wire_flag(id, Utc::now()).await? {
        return Err(AppError::NotFound);
    }
    tracing::info!(
        article = id,
        user = session.user.id,
        "wire kill flag cleared"
    );
    Ok(see_other("/admin/wire"))
}

#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
pub(crate) struct SourceForm {
    #[serde(skip_serializing)]
    csrf: String,
    name: String,
    kind: String,
    url: String,
    poll_secs: String,
    section: String,
    allow_private: String,
    auto_publish: String,
}

#[derive(Serialize)]
struct SourceRow {
    #[serde(flatten)]
    source: WireSource,
    kind: &'static str,
    next: String,
    last_ok: String,
    folder: String,
    push_url: String,
}

#[derive(Serialize)]
struct SourcesPage {
    sources: Vec<SourceRow>,
    problems: Vec<ProblemRow>,
    form: SourceForm,
    /// A push token, shown once, right after it was made.
    token: Option<String>,
}

#[derive(Serialize)]
struct ProblemRow {
    source: String,
    when: String,
    item: String,
    reason: String,
}

async fn render_sources(
    state: &AppState,
    session: &Session,
    page: Page<'_>,
    form: SourceForm,
    token: Option<String>,
) -> Result<Response, AppError> {
    let tz = state.site().tz();
    let origin = state.site().origin();
    let sources = state
        .store
        .wire_sources()
        .await?
        .into_iter()
        .map(|s| SourceRow {
            kind: s.kind.as_str(),
            next: if s.kind == WireKind::Feed && !s.paused {
                local_label(Some(s.next_poll_at), tz)
            } else {
                String::new()
            },
            last_ok: local_label(s.last_ok_at, tz),
            folder: broadsheet_app::wire::drop_folder(state, &s.name)
                .display()
                .to_string(),
            push_url: format!("{origin}/api/wire/{}", s.name),
            source: s,
        })
        .collect();
    let problems = state
        .store
        .wire_problems(50)
        .await?
        .into_iter()
        .map(|p| ProblemRow {
            source: p.source,
            when: local_label(Some(p.at), tz),
            item: p.item,
            reason: p.reason,
        })
        .collect();
    page.render(
        state,
        Some(session),
        SourcesPage {
            sources,
            problems,
            form,
            token,
        },
    )
}

pub(crate) async fn sources(
    State(state): State<AppState>,
    Editor(session): Editor,
) -> Result<Response, AppError> {
    render_sources(
        &state,
        &session,
        Page::new("admin/wire_sources.html", "Wire sources", "wire-sources"),
        SourceForm {
            kind: "feed".into(),
            poll_secs: "300".into(),
            ..SourceForm::default()
        },
        None,
    )
    .await
}

pub(crate) async fn save_source(
    State(state): State<AppState>,
    Editor(session): Editor,
    Form(form): Form<SourceForm>,
) -> Result<Response, AppError> {
    session.check_csrf(&form.csrf)?;
    let page = || Page::new("admin/wire_sources.html", "Wire sources", "wire-sources");
    let invalid = |m: String| page().status(StatusCode::UNPROCESSABLE_ENTITY).error(m);
    let kind = match WireKind::parse(form.kind.trim()) {
        Ok(k) => k,
        Err(e) => {
            return render_sources(&state, &session, invalid(e.to_string()), form, None).await;
        }
    };
    let poll_secs = match form.poll_secs.trim() {
        "" => 300,
        p => match p.parse::<i64>() {
            Ok(p) => p,
            Err(_) => {
                let m = "Poll every: a number of seconds".to_owned();
                return render_sources(&state, &session, invalid(m), form, None).await;
            }
        },
    };
    // Reaching this machine or the internal network is the operator's decision, made on the
    // server (`broadsheet wire source add NAME --allow-private`), never a box in a form: from
    // the admin, anyone signed in could read a loopback-only service's answers on the desk.
    if !form.allow_private.is_empty() {
        let m = "Private and loopback addresses are allowed only by the server's operator: \
                 broadsheet wire source add NAME --allow-private"
            .to_owned();
        let refused = page().status(StatusCode::FORBIDDEN).error(m);
        return render_sources(&state, &session, refused, form, None).await;
    }
    // An edit keeps what the operator chose.
    let allow_private = state
        .store
        .wire_source(form.name.trim())
        .await?
        .is_some_and(|s| s.allow_private);
    let token = (kind == WireKind::Push).then(|| format!("wire_{}", random_token()));
    let new = NewWireSource {
        name: form.name.trim().to_owned(),
        kind,
        url: form.url.trim().to_owned(),
        token_hash: token.as_deref().map(token_hash),
        allow_private,
        poll_secs,
        section: form.section.trim().to_owned(),
        auto_publish: !form.auto_publish.is_empty(),
    };
    match state.store.upsert_wire_source(&new).await {
        Ok(s) => {
            tracing::info!(source = %s.name, kind = s.kind.as_str(), user = session.user.id, "wire source saved");
            if kind == WireKind::Folder {
                let dir = broadsheet_app::wire::drop_folder(&state, &s.name);
                if let Err(e) = tokio::fs::create_dir_all(&dir).await {
                    tracing::warn!(folder = %dir.display(), error = %e, "cannot make a drop folder");
                }
            }
            let notice = match &token {
                Some(_) => "Source saved. Copy its token now: it is not shown again.".to_owned(),
                None => "Source saved.".to_owned(),
            };
            render_sources(
                &state,
                &session,
                page().notice(Some(notice)),
                SourceForm {
                    kind: "feed".into(),
                    poll_secs: "300".into(),
                    ..SourceForm::default()
                },
                token,
            )
            .await
        }
        Err(StoreError::Invalid(e)) => {
            render_sources(
                &state,
                &session,
                invalid(format!("Not saved: {e}.")),
                form,
                None,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct SourceAction {
    csrf: String,
    name: String,
    action: String,
}

pub(crate) async fn source_action(
    State(state): State<AppState>,
    Editor(session): Editor,
    Form(form): Form<SourceAction>,
) -> Result<Response, AppError> {
    session.check_csrf(&form.csrf)?;
    let source = state
        .store
        .wire_source(form.name.trim())
        .await?
        .ok_or(AppError::NotFound)?;
    let paused = match form.action.as_str() {
        "pause" => true,
        "resume" => false,
        other => return Err(AppError::BadRequest(format!("unknown action {other:?}"))),
    };
    state
        .store
        .set_wire_source_paused(source.id, paused)
        .await?;
    tracing::info!(source = %source.name, paused, user = session.user.id, "wire source paused or resumed");
    Ok(see_other("/admin/wire/sources"))
}
