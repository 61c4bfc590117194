//! The site's structure: sections and the menu (order and nesting), tags, home page curation
//! and the audit log (editors). Users are `users.rs`, site settings `settings.rs` (admins).

use axum::Form;
use axum::extract::{Query, State};
use axum::response::Response;
use broadsheet_core::{ArticleStatus, AuditEntry, NewSection, Section, Slug, Tag};
use broadsheet_store::{AdminFilter, AdminRow, NewAudit, StoreError};
use http::StatusCode;
use serde::{Deserialize, Serialize};

use super::{Page, local_label, see_other};
use crate::auth::{Editor, Session};
use crate::error::AppError;
use crate::state::AppState;

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct Done {
    pub(super) saved: String,
}

pub(super) fn saved(d: &Done) -> Option<String> {
    (!d.saved.is_empty()).then(|| "Saved.".to_owned())
}

pub(super) fn sync_error(e: broadsheet_app::Error) -> AppError {
    AppError::Internal(e.to_string())
}

#[derive(Serialize)]
struct SectionRow {
    #[serde(flatten)]
    section: Section,
    parent_slug: String,
    depth: usize,
}

#[derive(Serialize)]
struct SectionsPage {
    sections: Vec<SectionRow>,
}

/// Sections in menu order with their depth, parents before children.
fn tree(sections: &[Section]) -> Vec<SectionRow> {
    fn walk(all: &[Section], parent: Option<i64>, depth: usize, out: &mut Vec<SectionRow>) {
        let mut children: Vec<&Section> = all.iter().filter(|s| s.parent_id == parent).collect();
        children.sort_by_key(|s| (s.position, s.name.clone()));
        for s in children {
            let parent_slug = s
                .parent_id
                .and_then(|p| all.iter().find(|x| x.id == p))
                .map(|p| p.slug.to_string())
                .unwrap_or_default();
            out.push(SectionRow {
                section: s.clone(),
                parent_slug,
                depth,
            });
            if depth < 8 {
                walk(all, Some(s.id), depth + 1, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(sections, None, 0, &mut out);
    out
}

async fn sections_page(
    state: &AppState,
    session: &Session,
    page: Page<'_>,
) -> Result<Response, AppError> {
    let sections = state.store.sections().await?;
    page.render(
        state,
        Some(session),
        SectionsPage {
            sections: tree(&sections),
        },
    )
}

pub(crate) async fn sections(
    State(state): State<AppState>,
    Editor(session): Editor,
    Query(d): Query<Done>,
) -> Result<Response, AppError> {
    sections_page(
        &state,
        &session,
        Page::new("admin/sections.html", "Sections and menu", "sections").notice(saved(&d)),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct SectionForm {
    csrf: String,
    slug: String,
    name: String,
    description: String,
    parent: String,
    position: String,
    in_menu: String,
}

pub(crate) async fn save_section(
    State(state): State<AppState>,
    Editor(session): Editor,
    Form(f): Form<SectionForm>,
) -> Result<Response, AppError> {
    session.check_csrf(&f.csrf)?;
    let problem = |m: String| {
        let state = state.clone();
        let session = session.clone();
        async move {
            sections_page(
                &state,
                &session,
                Page::new("admin/sections.html", "Sections and menu", "sections")
                    .status(StatusCode::UNPROCESSABLE_ENTITY)
                    .error(m),
            )
            .await
        }
    };
    let slug = match Slug::parse(f.slug.trim()).or_else(|_| {
        Slug::derive(&f.name).ok_or(broadsheet_core::CoreError::invalid("slug", "empty"))
    }) {
        Ok(s) => s,
        Err(_) => {
            return problem(
                "A section needs a name, and its slug only lower-case letters, digits and hyphens."
                    .into(),
            )
            .await;
        }
    };
    if f.name.trim().is_empty() || f.name.chars().count() > 80 {
        return problem("A section name has 1 to 80 characters.".into()).await;
    }
    let position = match f.position.trim() {
        "" => 0,
        p => match p.parse::<i32>() {
            Ok(n) if (-1000..=1000).contains(&n) => n,
            _ => return problem("The position is a whole number such as 1, 2 or 3.".into()).await,
        },
    };
    let parent = match f.parent.trim() {
        "" => None,
        p => match Slug::parse(p) {
            Ok(s) => Some(s),
            Err(_) => return problem("Choose the parent section from the list.".into()).await,
        },
    };
    let section = NewSection {
        slug,
        name: f.name.trim().to_owned(),
        description: f.description.trim().chars().take(500).collect(),
        parent,
        position,
        in_menu: !f.in_menu.is_empty(),
    };
    match state.store.upsert_section(&section).await {
        Ok(_) => {}
        Err(StoreError::Invalid(e)) => return problem(format!("Not saved: {e}.")).await,
        Err(e) => return Err(e.into()),
    }
    state
        .store
        .record_audit(&NewAudit {
            user_id: Some(session.user.id),
            action: "section saved",
            article_id: None,
            detail: section.name.clone(),
        })
        .await?;
    state.sync_changes().await.map_err(sync_error)?;
    Ok(see_other("/admin/sections?saved=1"))
}

#[derive(Serialize)]
struct TagRow {
    #[serde(flatten)]
    tag: Tag,
    count: i64,
}

#[derive(Serialize)]
struct TagsPage {
    tags: Vec<TagRow>,
}

pub(crate) async fn tags(
    State(state): State<AppState>,
    Editor(session): Editor,
    Query(d): Query<Done>,
) -> Result<Response, AppError> {
    let tags = state
        .store
        .tags()
        .await?
        .into_iter()
        .map(|(tag, count)| TagRow { tag, count })
        .collect();
    Page::new("admin/tags.html", "Tags", "tags")
        .notice(saved(&d))
        .render(&state, Some(&session), TagsPage { tags })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct TagForm {
    csrf: String,
    id: String,
    name: String,
    action: String,
}

pub(crate) async fn save_tag(
    State(state): State<AppState>,
    Editor(session): Editor,
    Form(f): Form<TagForm>,
) -> Result<Response, AppError> {
    session.check_csrf(&f.csrf)?;
    let id: i64 =
        f.id.parse()
            .map_err(|_| AppError::BadRequest("the tag is not valid".into()))?;
    match f.action.as_str() {
        "delete" => state.store.delete_tag(id).await?,
        _ => state.store.rename_tag(id, &f.name).await?,
    }
    state.sync_changes().await.map_err(sync_error)?;
    Ok(see_other("/admin/tags?saved=1"))
}

#[derive(Serialize)]
struct HomeRow {
    #[serde(flatten)]
    row: AdminRow,
    position: String,
    when: String,
}

#[derive(Serialize)]
struct HomePage {
    rows: Vec<HomeRow>,
}

pub(crate) async fn home(
    State(state): State<AppState>,
    Editor(session): Editor,
    Query(d): Query<Done>,
) -> Result<Response, AppError> {
    let (published, _) = state
        .store
        .admin_articles(&AdminFilter {
            status: Some(ArticleStatus::Published),
            limit: 60,
            ..Default::default()
        })
        .await?;
    let top = state.store.top_stories(chrono::Utc::now(), 0, 20).await?;
    let tz = state.site().tz();
    let mut rows: Vec<HomeRow> = published
        .into_iter()
        .map(|row| {
            let position = top
                .iter()
                .position(|t| t.id == row.id && row.pinned)
                .map(|p| (p + 1).to_string())
                .unwrap_or_default();
            HomeRow {
                when: local_label(row.published_at, tz),
                position,
                row,
            }
        })
        .collect();
    rows.sort_by_key(|r| {
        (
            r.position.is_empty(),
            r.position.parse::<u32>().unwrap_or(0),
        )
    });
    Page::new("admin/home.html", "Home page", "home")
        .notice(saved(&d))
        .render(&state, Some(&session), HomePage { rows })
}

pub(crate) async fn save_home(
    State(state): State<AppState>,
    Editor(session): Editor,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    // Repeated `pos-ID=N` fields: a plain form, so it works with a keyboard and no script.
    let mut csrf = String::new();
    let mut pins: Vec<(u32, i64)> = Vec::new();
    for (k, v) in form_urlencoded::parse(&body) {
        if k == "csrf" {
            csrf = v.into_owned();
        } else if let Some(id) = k.strip_prefix("pos-") {
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            let id: i64 = id
                .parse()
                .map_err(|_| AppError::BadRequest("an article id is not valid".into()))?;
            let pos: u32 = v
                .parse()
                .ok()
                .filter(|p| (1..=50).contains(p))
                .ok_or_else(|| {
                    AppError::Unprocessable(format!(
                        "Position {v:?} is not a number from 1 to 50. Nothing was changed."
                    ))
                })?;
            pins.push((pos, id));
        }
    }
    session.check_csrf(&csrf)?;
    pins.sort();
    let ids: Vec<i64> = pins.into_iter().map(|p| p.1).collect();
    state.store.set_pinned(&ids, Some(session.user.id)).await?;
    state.sync_changes().await.map_err(sync_error)?;
    Ok(see_other("/admin/home?saved=1"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct AuditQuery {
    before: String,
}

#[derive(Serialize)]
struct AuditRow {
    #[serde(flatten)]
    entry: AuditEntry,
    when: String,
}

#[derive(Serialize)]
struct AuditPage {
    entries: Vec<AuditRow>,
    older: Option<i64>,
}

pub(crate) async fn audit(
    State(state): State<AppState>,
    Editor(session): Editor,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    let before = match q.before.as_str() {
        "" => None,
        b => Some(
            b.parse::<i64>()
                .map_err(|_| AppError::BadRequest("the position in the log is not valid".into()))?,
        ),
    };
    let entries = state.store.audit_log(100, before).await?;
    let older = (entries.len() == 100)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    let tz = state.site().tz();
    let entries = entries
        .into_iter()
        .map(|entry| AuditRow {
            when: local_label(Some(entry.at), tz),
            entry,
        })
        .collect();
    Page::new("admin/audit.html", "Audit log", "audit").render(
        &state,
        Some(&session),
        AuditPage { entries, older },
    )
}
