//! The site's structure and administration: sections and the menu (order and nesting), tags,
//! home page curation, the audit log (editors), users and site settings (admins).

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use broadsheet_core::{
    ArticleStatus, AuditEntry, Email, NewSection, Role, Section, Slug, Tag, User,
};
use broadsheet_store::{AdminFilter, AdminRow, NewAudit, NewUser, StoreError};
use http::StatusCode;
use serde::{Deserialize, Serialize};

use super::{Page, local_label, see_other};
use crate::auth::{Admin, Editor, Session, random_token};
use crate::error::AppError;
use crate::state::AppState;

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct Done {
    saved: String,
}

fn saved(d: &Done) -> Option<String> {
    (!d.saved.is_empty()).then(|| "Saved.".to_owned())
}

fn sync_error(e: broadsheet_app::Error) -> AppError {
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

#[derive(Serialize)]
struct UsersPage {
    users: Vec<User>,
    roles: Vec<(&'static str, &'static str)>,
    form: NewUserForm,
}

#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
pub(crate) struct NewUserForm {
    #[serde(skip_serializing)]
    csrf: String,
    email: String,
    name: String,
    role: String,
}

async fn users_page(
    state: &AppState,
    session: &Session,
    form: NewUserForm,
    page: Page<'_>,
) -> Result<Response, AppError> {
    page.render(
        state,
        Some(session),
        UsersPage {
            users: state.store.users().await?,
            roles: Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
            form,
        },
    )
}

pub(crate) async fn users(
    State(state): State<AppState>,
    Admin(session): Admin,
    Query(d): Query<Done>,
) -> Result<Response, AppError> {
    let notice = match d.saved.as_str() {
        "" => None,
        "invited" => Some("Account created; an invitation to choose a password was sent.".into()),
        _ => Some("Saved.".into()),
    };
    users_page(
        &state,
        &session,
        NewUserForm {
            role: "contributor".into(),
            ..Default::default()
        },
        Page::new("admin/users.html", "Users", "users").notice(notice),
    )
    .await
}

pub(crate) async fn add_user(
    State(state): State<AppState>,
    Admin(session): Admin,
    Form(f): Form<NewUserForm>,
) -> Result<Response, AppError> {
    session.check_csrf(&f.csrf)?;
    let problem = |m: String, f: NewUserForm| {
        let state = state.clone();
        let session = session.clone();
        async move {
            users_page(
                &state,
                &session,
                f,
                Page::new("admin/users.html", "Users", "users")
                    .status(StatusCode::UNPROCESSABLE_ENTITY)
                    .error(m),
            )
            .await
        }
    };
    let email = match Email::parse(&f.email) {
        Ok(e) => e,
        Err(e) => return problem(format!("The e-mail address {}.", e.reason), f).await,
    };
    let role: Role = match f.role.parse() {
        Ok(r) => r,
        Err(_) => return problem("Choose a role.".into(), f).await,
    };
    if f.name.trim().is_empty() {
        return problem("Give the person's name as it appears on bylines.".into(), f).await;
    }
    // A random password nobody knows: the invitation link sets the real one.
    let hash = crate::auth::hash_password_off_thread(random_token()).await?;
    let user = match state
        .store
        .create_user(&NewUser {
            email,
            name: f.name.trim().to_owned(),
            role,
            password_hash: hash,
        })
        .await
    {
        Ok(u) => u,
        Err(
            StoreError::Conflict(why)
            | StoreError::Invalid(broadsheet_core::CoreError { reason: why, .. }),
        ) => {
            return problem(format!("Not created: {why}."), f).await;
        }
        Err(e) => return Err(e.into()),
    };
    super::account::send_reset_link(&state, &user, true).await?;
    state
        .store
        .record_audit(&NewAudit {
            user_id: Some(session.user.id),
            action: "user invited",
            article_id: None,
            detail: format!("{} ({})", user.email, user.role),
        })
        .await?;
    Ok(see_other("/admin/users?saved=invited"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct UpdateUserForm {
    csrf: String,
    role: String,
    disabled: String,
}

pub(crate) async fn update_user(
    State(state): State<AppState>,
    Admin(session): Admin,
    Path(id): Path<String>,
    Form(f): Form<UpdateUserForm>,
) -> Result<Response, AppError> {
    session.check_csrf(&f.csrf)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let role: Role = f
        .role
        .parse()
        .map_err(|_| AppError::Unprocessable("Choose a role from the list.".into()))?;
    let user = state
        .store
        .user_by_id(id)
        .await?
        .ok_or(AppError::NotFound)?;
    match state
        .store
        .update_user(id, role, !f.disabled.is_empty())
        .await
    {
        Ok(()) => {}
        Err(StoreError::Conflict(why)) => {
            return users_page(
                &state,
                &session,
                NewUserForm::default(),
                Page::new("admin/users.html", "Users", "users")
                    .status(StatusCode::CONFLICT)
                    .error(format!("Not changed: {why}.")),
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    }
    state
        .store
        .record_audit(&NewAudit {
            user_id: Some(session.user.id),
            action: "user changed",
            article_id: None,
            detail: format!(
                "{}: {} → {}{}",
                user.email,
                user.role,
                role,
                if f.disabled.is_empty() {
                    ""
                } else {
                    ", disabled"
                }
            ),
        })
        .await?;
    Ok(see_other("/admin/users?saved=1"))
}

#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
pub(crate) struct SettingsForm {
    #[serde(skip_serializing)]
    csrf: String,
    name: String,
    tagline: String,
    language: String,
    time_zone: String,
    logo: String,
}

#[derive(Serialize)]
struct SettingsPage {
    form: SettingsForm,
    zones: Vec<&'static str>,
    logos: Vec<broadsheet_core::LibraryItem>,
}

async fn settings_page(
    state: &AppState,
    session: &Session,
    form: SettingsForm,
    page: Page<'_>,
) -> Result<Response, AppError> {
    page.render(
        state,
        Some(session),
        SettingsPage {
            form,
            zones: chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect(),
            logos: state.store.media_library(None, 100).await?,
        },
    )
}

pub(crate) async fn settings(
    State(state): State<AppState>,
    Admin(session): Admin,
    Query(d): Query<Done>,
) -> Result<Response, AppError> {
    let site = state.site();
    let form = SettingsForm {
        csrf: String::new(),
        name: site.name.clone(),
        tagline: site.tagline.clone(),
        language: site.language.clone(),
        time_zone: site.time_zone.clone(),
        logo: site.logo.clone().unwrap_or_default(),
    };
    settings_page(
        &state,
        &session,
        form,
        Page::new("admin/settings.html", "Site settings", "settings").notice(saved(&d)),
    )
    .await
}

/// A BCP 47 tag of the simple kind sites use (`en`, `en-GB`, `pt-BR`, `zh-Hant`).
fn valid_language(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let first = parts.next().unwrap_or("");
    (2..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

pub(crate) async fn save_settings(
    State(state): State<AppState>,
    Admin(session): Admin,
    Form(f): Form<SettingsForm>,
) -> Result<Response, AppError> {
    session.check_csrf(&f.csrf)?;
    let problem = if f.name.trim().is_empty() || f.name.chars().count() > 120 {
        Some("The site name has 1 to 120 characters.")
    } else if f.tagline.chars().count() > 200 {
        Some("The tagline has at most 200 characters.")
    } else if !valid_language(f.language.trim()) {
        Some("The language is a code such as en, en-GB or fr.")
    } else if f.time_zone.parse::<chrono_tz::Tz>().is_err() {
        Some("Choose a time zone from the list, such as Europe/London.")
    } else {
        None
    };
    let logo_ok = f.logo.is_empty()
        || state
            .store
            .media_library(None, 500)
            .await?
            .iter()
            .any(|m| m.media.path == f.logo);
    if let Some(problem) =
        problem.or((!logo_ok).then_some("Choose the logo from the media library."))
    {
        return settings_page(
            &state,
            &session,
            f,
            Page::new("admin/settings.html", "Site settings", "settings")
                .status(StatusCode::UNPROCESSABLE_ENTITY)
                .error(problem),
        )
        .await;
    }
    for (key, value) in [
        ("site.name", f.name.trim()),
        ("site.tagline", f.tagline.trim()),
        ("site.language", f.language.trim()),
        ("site.time_zone", f.time_zone.trim()),
        ("site.logo", f.logo.trim()),
    ] {
        state.store.set_setting(key, value).await?;
    }
    state
        .store
        .record_audit(&NewAudit {
            user_id: Some(session.user.id),
            action: "settings changed",
            article_id: None,
            detail: format!("name {:?}, time zone {}", f.name.trim(), f.time_zone.trim()),
        })
        .await?;
    state.sync_changes().await.map_err(sync_error)?;
    Ok(see_other("/admin/settings?saved=1"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn language_tags() {
        for ok in ["en", "en-GB", "pt-BR", "zh-Hant"] {
            assert!(super::valid_language(ok), "{ok}");
        }
        for bad in ["", "EN", "english", "en_GB", "e", "en-"] {
            assert!(!super::valid_language(bad), "{bad}");
        }
    }
}
