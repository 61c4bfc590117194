//! The dashboard, the article list and deleting; what the editor (`editor.rs`) and the
//! revisions page (`revisions.rs`) share: loading an article and who may edit it. Who may do
//! what is `broadsheet_core::may_*`; these files only ask.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use broadsheet_app::publishing;
use broadsheet_core::{Article, ArticleAccess, ArticleStatus, Section, may_delete};
use broadsheet_store::{AdminFilter, AdminRow};
use serde::{Deserialize, Serialize};

use super::{Page, local_label, see_other};
use crate::auth::Session;
use crate::error::AppError;
use crate::state::AppState;

#[derive(Serialize)]
struct Row {
    #[serde(flatten)]
    row: AdminRow,
    status_label: &'static str,
    updated: String,
    when: String,
}

pub(crate) use broadsheet_app::publishing::status_label;

fn rows(state: &AppState, rows: Vec<AdminRow>) -> Vec<Row> {
    let tz = state.site().tz();
    rows.into_iter()
        .map(|row| Row {
            status_label: status_label(row.status),
            updated: local_label(Some(row.updated_at), tz),
            when: local_label(row.published_at, tz),
            row,
        })
        .collect()
}

#[derive(Serialize)]
struct Dashboard {
    /// Articles whose wire story the agency has killed.
    wire_flags: Vec<super::wire::FlagRow>,
    drafts: Vec<Row>,
    review: Vec<Row>,
    scheduled: Vec<Row>,
    published: Vec<Row>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct DashboardQuery {
    submitted: String,
}

pub(crate) async fn dashboard(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<DashboardQuery>,
) -> Result<Response, AppError> {
    let list = |status, created_by| AdminFilter {
        status: Some(status),
        created_by,
        limit: 10,
        ..Default::default()
    };
    let me = Some(session.user.id);
    let drafts = state
        .store
        .admin_articles(&list(ArticleStatus::Draft, me))
        .await?
        .0;
    let review = state
        .store
        .admin_articles(&list(ArticleStatus::InReview, None))
        .await?
        .0;
    let scheduled = state
        .store
        .admin_articles(&list(ArticleStatus::Scheduled, None))
        .await?
        .0;
    let published = state
        .store
        .admin_articles(&list(ArticleStatus::Published, None))
        .await?
        .0;
    let page = Dashboard {
        wire_flags: super::wire::flag_rows(&state).await?,
        drafts: rows(&state, drafts),
        review: rows(&state, review),
        scheduled: rows(&state, scheduled),
        published: rows(&state, published),
    };
    let notice = (!q.submitted.is_empty())
        .then(|| "Submitted for review: an editor will take it from here.".to_owned());
    Page::new("admin/dashboard.html", "Dashboard", "dashboard")
        .notice(notice)
        .render(&state, Some(&session), page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct ListQuery {
    status: String,
    section: String,
    mine: String,
    q: String,
    page: String,
    deleted: String,
}

#[derive(Serialize)]
struct ListPage {
    rows: Vec<Row>,
    total: i64,
    status: String,
    section: String,
    mine: bool,
    q: String,
    sections: Vec<Section>,
    statuses: Vec<(&'static str, &'static str)>,
    page: u32,
    pages: u32,
    prev: Option<String>,
    next: Option<String>,
}

const PER_PAGE: u32 = 50;

pub(crate) async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let status = if q.status.is_empty() {
        None
    } else {
        Some(
            q.status
                .parse::<ArticleStatus>()
                .map_err(|e| AppError::BadRequest(e.to_string()))?,
        )
    };
    let sections = state.store.sections().await?;
    let section_id = if q.section.is_empty() {
        None
    } else {
        Some(
            sections
                .iter()
                .find(|s| s.slug.as_str() == q.section)
                .map(|s| s.id)
                .ok_or_else(|| AppError::BadRequest(format!("no section {:?}", q.section)))?,
        )
    };
    let page: u32 = if q.page.is_empty() {
        1
    } else {
        q.page
            .parse()
            .ok()
            .filter(|p| (1..=10_000).contains(p))
            .ok_or_else(|| AppError::BadRequest("the page number is not valid".into()))?
    };
    let mine = !q.mine.is_empty();
    let text = q.q.trim().chars().take(200).collect::<String>();
    let (found, total) = state
        .store
        .admin_articles(&AdminFilter {
            status,
            section_id,
            created_by: mine.then_some(session.user.id),
            text: (!text.is_empty()).then(|| text.clone()),
            limit: PER_PAGE,
            offset: (page - 1) * PER_PAGE,
        })
        .await?;
    let pages = (total.max(1) as u32).div_ceil(PER_PAGE);
    let link = |p: u32| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("status", q.status.as_str()),
            ("section", q.section.as_str()),
            ("mine", q.mine.as_str()),
            ("q", text.as_str()),
        ] {
            if !v.is_empty() {
                s.append_pair(k, v);
            }
        }
        s.append_pair("page", &p.to_string());
        format!("/admin/articles?{}", s.finish())
    };
    let view = ListPage {
        rows: rows(&state, found),
        total,
        status: q.status.clone(),
        section: q.section.clone(),
        mine,
        q: text.clone(),
        sections,
        statuses: [
            ArticleStatus::Draft,
            ArticleStatus::InReview,
            ArticleStatus::Scheduled,
            ArticleStatus::Published,
            ArticleStatus::Unpublished,
        ]
        .into_iter()
        .map(|s| (s.as_str(), status_label(s)))
        .collect(),
        page,
        pages,
        prev: (page > 1).then(|| link(page - 1)),
        next: (page < pages).then(|| link(page + 1)),
    };
    let notice = (!q.deleted.is_empty()).then(|| "The article was deleted.".to_owned());
    Page::new("admin/articles.html", "Articles", "articles")
        .notice(notice)
        .render(&state, Some(&session), view)
}

/// The editor's fields, as posted and as shown. Lists are comma-separated text so the form
/// works with a keyboard and without a script.
pub(crate) fn access(article: &Article, session: &Session) -> ArticleAccess {
    publishing::access(article, &session.user)
}

pub(super) async fn load(state: &AppState, id: &str) -> Result<Article, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    state
        .store
        .article_by_id(id)
        .await?
        .ok_or(AppError::NotFound)
}

pub(super) fn cannot_edit(article: &Article) -> AppError {
    AppError::Forbidden(publishing::cannot_edit_message(article))
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub(crate) async fn delete(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    session.check_csrf(&form.csrf)?;
    let article = load(&state, &id).await?;
    if !may_delete(session.user.role, access(&article, &session)) {
        return Err(AppError::Forbidden(
            "Only editors delete articles (and writers their own drafts).".into(),
        ));
    }
    state
        .store
        .delete_article(article.id, Some(session.user.id))
        .await?;
    state
        .sync_changes()
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(see_other("/admin/articles?deleted=1"))
}
