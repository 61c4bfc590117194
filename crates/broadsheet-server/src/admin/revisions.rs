//! An article's revisions: the list, the comparison of two, and restoring one as a new version.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use broadsheet_app::publishing;
use broadsheet_core::may_edit;
use serde::{Deserialize, Serialize};

use super::diff::{DiffLine, diff_lines};
use super::{Page, local_label, see_other};
use crate::auth::Session;
use crate::error::AppError;
use crate::state::AppState;

use super::articles::{access, cannot_edit, load};

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct RevisionQuery {
    from: String,
    to: String,
}

#[derive(Serialize)]
struct RevisionRow {
    version: i64,
    by: String,
    at: String,
    status: String,
    headline: String,
}

#[derive(Serialize)]
struct RevisionsPage {
    id: i64,
    headline: String,
    version: i64,
    revisions: Vec<RevisionRow>,
    from: Option<i64>,
    to: Option<i64>,
    diff: Vec<DiffLine>,
    can_restore: bool,
}

pub(crate) async fn revisions(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Query(q): Query<RevisionQuery>,
) -> Result<Response, AppError> {
    let article = load(&state, &id).await?;
    if !may_edit(session.user.role, access(&article, &session)) {
        return Err(cannot_edit(&article));
    }
    let all = state.store.revisions(article.id).await?;
    let version = |raw: &str, default: Option<i64>| -> Result<Option<i64>, AppError> {
        if raw.is_empty() {
            return Ok(default);
        }
        let v: i64 = raw
            .parse()
            .map_err(|_| AppError::BadRequest("a revision number is not valid".into()))?;
        if all.iter().any(|r| r.version == v) {
            Ok(Some(v))
        } else {
            Err(AppError::BadRequest(format!("there is no revision {v}")))
        }
    };
    let to = version(&q.to, all.first().map(|r| r.version))?;
    let from = version(&q.from, all.get(1).map(|r| r.version))?;
    let text_of = |v: Option<i64>| {
        v.and_then(|v| all.iter().find(|r| r.version == v))
            .map(|r| r.snapshot.to_text())
            .unwrap_or_default()
    };
    let diff = diff_lines(&text_of(from), &text_of(to));
    let tz = state.site().tz();
    let view = RevisionsPage {
        id: article.id,
        headline: article.headline.clone(),
        version: article.version,
        revisions: all
            .iter()
            .map(|r| RevisionRow {
                version: r.version,
                by: r.user_name.clone().unwrap_or_else(|| "Import".into()),
                at: local_label(Some(r.at), tz),
                status: r.snapshot.status.clone(),
                headline: r.snapshot.headline.clone(),
            })
            .collect(),
        from,
        to,
        diff,
        can_restore: true,
    };
    Page::new(
        "admin/revisions.html",
        format!("Revisions: {}", article.headline),
        "articles",
    )
    .render(&state, Some(&session), view)
}

#[derive(Deserialize)]
pub(crate) struct RestoreForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    base_version: String,
}

/// Saves an old revision's content as a new version; the status and publication time stay as
/// they are (restoring text never publishes or unpublishes anything).
pub(crate) async fn restore(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Form(form): Form<RestoreForm>,
) -> Result<Response, AppError> {
    session.check_csrf(&form.csrf)?;
    let article = load(&state, &id).await?;
    if !may_edit(session.user.role, access(&article, &session)) {
        return Err(cannot_edit(&article));
    }
    let bad = || AppError::BadRequest("the revision number is not valid".into());
    let version: i64 = form.version.parse().map_err(|_| bad())?;
    let base: i64 = form.base_version.parse().map_err(|_| bad())?;
    publishing::restore_revision(&state, &session.user, &article, version, base)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(see_other(&format!(
        "/admin/articles/{}?saved=restore",
        article.id
    )))
}
