//! The editor: its form (parsed into a `broadsheet_app::publishing::Draft`), the page with its
//! workflow actions, saving through the one publishing path, and the live preview.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use broadsheet_app::publishing::{self, Action, Draft, EditError};
use broadsheet_core::{
    Article, ArticleAccess, ArticleStatus, Credit, HeroInput, LibraryItem, Section, may_delete,
    may_edit, may_publish,
};
use broadsheet_render::render_markdown;
use broadsheet_store::Saved;
use chrono::Utc;
use http::{HeaderValue, StatusCode, header};
use serde::{Deserialize, Serialize};

use super::{Page, local_input, local_label, parse_local, see_other};
use crate::auth::Session;
use crate::error::AppError;
use crate::state::AppState;

use super::articles::{access, cannot_edit, load, status_label};

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub(crate) struct EditorForm {
    pub(crate) csrf: String,
    pub(crate) base_version: String,
    pub(crate) headline: String,
    pub(crate) standfirst: String,
    pub(crate) slug: String,
    pub(crate) body: String,
    pub(crate) section: String,
    pub(crate) authors: String,
    pub(crate) tags: String,
    pub(crate) sources: String,
    pub(crate) instruments: String,
    pub(crate) importance: String,
    pub(crate) pinned: String,
    pub(crate) publish_at: String,
    pub(crate) embargo_until: String,
    pub(crate) hero_media_id: String,
    pub(crate) hero_alt: String,
    pub(crate) hero_caption: String,
    pub(crate) credit_photographer: String,
    pub(crate) credit_agency: String,
    pub(crate) credit_via: String,
    pub(crate) seo_title: String,
    pub(crate) seo_description: String,
    pub(crate) note_kind: String,
    pub(crate) note_text: String,
    /// Send it to alert subscribers once it is public.
    pub(crate) alert: String,
    /// The economic release the story is about (an id), and the one it was about when the
    /// form was opened: only a change is saved, so links made from the release's page stay.
    pub(crate) release: String,
    pub(crate) release_was: String,
    pub(crate) action: String,
}

impl EditorForm {
    fn from_article(a: &Article, tz: chrono_tz::Tz) -> Self {
        let hero = a.hero.as_ref();
        let text = |o: Option<&Option<String>>| o.and_then(|o| o.clone()).unwrap_or_default();
        Self {
            base_version: a.version.to_string(),
            headline: a.headline.clone(),
            standfirst: a.standfirst.clone(),
            slug: a.slug.to_string(),
            body: a.body_markdown.clone(),
            section: a.section.slug.to_string(),
            authors: a
                .authors
                .iter()
                .map(|x| x.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            tags: a
                .tags
                .iter()
                .map(|x| x.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            sources: a.sources.join(", "),
            instruments: a
                .instruments
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            // Imports and the demo rate stories on a wider scale than the newsroom's four
            // steps: shown (and saved again) as the nearest step, so such a story can be
            // edited, published and unpublished like any other.
            importance: a.importance.clamp(0, 3).to_string(),
            pinned: if a.pinned { "on".into() } else { String::new() },
            publish_at: local_input(a.published_at, tz),
            embargo_until: local_input(a.embargo_until, tz),
            hero_media_id: hero.map(|h| h.media.id.to_string()).unwrap_or_default(),
            hero_alt: hero.map(|h| h.alt.clone()).unwrap_or_default(),
            hero_caption: hero.map(|h| h.caption.clone()).unwrap_or_default(),
            credit_photographer: text(hero.map(|h| &h.credit.photographer)),
            credit_agency: text(hero.map(|h| &h.credit.agency)),
            credit_via: text(hero.map(|h| &h.credit.via)),
            seo_title: a.seo_title.clone(),
            seo_description: a.seo_description.clone(),
            ..Default::default()
        }
    }
}

fn list_of(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

impl EditorForm {
    /// The form's strings parsed into a draft, or the message to show above the form. The
    /// rules that hold for every desk (a headline, a section that exists, alt text, …) are
    /// `broadsheet_app::publishing`'s.
    fn to_draft(&self, action: Action, tz: chrono_tz::Tz) -> Result<Draft, String> {
        let slug = match self.slug.trim() {
            "" => None,
            s => Some(publishing::parse_slug(s)?),
        };
        let instruments = list_of(&self.instruments)
            .iter()
            .map(|s| publishing::parse_instrument(s))
            .collect::<Result<Vec<_>, _>>()?;
        let importance = match self.importance.trim() {
            "" => 0,
            s => publishing::check_importance(s.parse::<i32>().unwrap_or(-1))?,
        };
        let hero = match self.hero_media_id.trim() {
            "" => None,
            id => Some(HeroInput {
                media_id: id
                    .parse::<i64>()
                    .map_err(|_| "Choose the hero photo from the media library.".to_owned())?,
                alt: self.hero_alt.clone(),
                caption: self.hero_caption.clone(),
                credit: Credit {
                    photographer: Some(self.credit_photographer.clone()),
                    agency: Some(self.credit_agency.clone()),
                    via: Some(self.credit_via.clone()),
                },
            }),
        };
        let publish_at = parse_local(&self.publish_at, tz, "Publish at")?;
        let embargo_until = parse_local(&self.embargo_until, tz, "Embargo until")?;
        let note = publishing::parse_note(&self.note_kind, &self.note_text)?;
        let base_version = match self.base_version.trim() {
            "" => None,
            v => Some(
                v.parse::<i64>()
                    .map_err(|_| "The form is damaged: reload the article.".to_owned())?,
            ),
        };
        Ok(Draft {
            action,
            headline: self.headline.clone(),
            standfirst: self.standfirst.clone(),
            slug,
            body_markdown: self.body.clone(),
            section: self.section.clone(),
            authors: list_of(&self.authors),
            tags: list_of(&self.tags),
            sources: list_of(&self.sources),
            instruments,
            importance,
            pinned: !self.pinned.is_empty(),
            publish_at,
            embargo_until,
            hero,
            seo_title: self.seo_title.clone(),
            seo_description: self.seo_description.clone(),
            note,
            base_version,
            alert: !self.alert.is_empty(),
        })
    }
}

/// An edit from the editor's form: the newsroom's rules for the user and action first (a
/// refusal is the answer, whatever else is wrong), then the form parsed, then the one
/// publishing path every desk shares.
pub(crate) async fn edit_from_form(
    state: &AppState,
    session: &Session,
    article: Option<&Article>,
    form: &EditorForm,
) -> Result<(Saved, ArticleStatus), EditError> {
    let action = Action::parse(&form.action)?;
    publishing::authorize(&session.user, article, action)?;
    let draft = form
        .to_draft(action, state.site().tz())
        .map_err(EditError::Invalid)?;
    publishing::apply_edit(state, &session.user, article, draft).await
}

/// Whether the article is the session's user's own (`broadsheet_app::publishing::access`).
#[derive(Serialize)]
struct EditorPage {
    id: Option<i64>,
    form: EditorForm,
    status: &'static str,
    status_key: &'static str,
    version: Option<i64>,
    sections: Vec<Section>,
    media: Vec<LibraryItem>,
    can_publish: bool,
    can_delete: bool,
    preview: Option<String>,
    public_url: Option<String>,
    notes: Vec<NoteView>,
    time_zone: String,
    /// The current stored version when a save was refused as stale.
    conflict: Option<i64>,
    /// The wire item it was made from, and what has happened to its story since.
    wire: Option<super::wire::WireLink>,
    /// Economic releases of the weeks around today a story can be about.
    releases: Vec<ReleaseOption>,
}

#[derive(Serialize)]
struct ReleaseOption {
    id: String,
    label: String,
}

/// The releases from six weeks ago to three weeks ahead, newest first, with the one `keep`
/// names even when it is older.
async fn release_options(
    state: &AppState,
    keep: &str,
    tz: chrono_tz::Tz,
) -> Result<Vec<ReleaseOption>, AppError> {
    let now = Utc::now();
    let mut events = state
        .store
        .events(&broadsheet_store::EventFilter {
            from: Some(now - chrono::Duration::days(42)),
            until: Some(now + chrono::Duration::days(21)),
            limit: 500,
            newest_first: true,
            ..Default::default()
        })
        .await?;
    if let Ok(id) = keep.parse::<i64>()
        && !events.iter().any(|e| e.id == id)
        && let Some(e) = state.store.event(id).await?
    {
        events.push(e);
    }
    let indicators = broadsheet_app::calendar::indicators(state).await?;
    Ok(events
        .iter()
        .filter_map(|e| {
            let r = broadsheet_app::calendar::Release::new(indicators.get(&e.indicator_id)?, e, tz);
            let period = if r.period.is_empty() {
                String::new()
            } else {
                format!(" ({})", r.period)
            };
            Some(ReleaseOption {
                id: e.id.to_string(),
                label: format!("{} {}{period}, {} {}", r.country, r.title, r.date, r.time),
            })
        })
        .collect())
}

/// Saves the editor's choice of release for a story: only when it changed, replacing the one
/// the form was opened with and leaving other links alone.
async fn save_release(
    state: &AppState,
    article_id: i64,
    form: &EditorForm,
) -> Result<(), AppError> {
    if form.release == form.release_was {
        return Ok(());
    }
    let mut linked = state.store.article_events(article_id).await?;
    if let Ok(was) = form.release_was.parse::<i64>() {
        linked.retain(|id| *id != was);
    }
    if let Ok(now) = form.release.parse::<i64>() {
        linked.push(now);
    }
    state.store.set_article_events(article_id, &linked).await?;
    state.sync_changes().await?;
    Ok(())
}

#[derive(Serialize)]
struct NoteView {
    kind: &'static str,
    text: String,
    at: String,
}

struct EditorState<'a> {
    article: Option<&'a Article>,
    form: EditorForm,
    preview: Option<String>,
    conflict: Option<i64>,
}

async fn editor(
    state: &AppState,
    session: &Session,
    page: Page<'_>,
    e: EditorState<'_>,
) -> Result<Response, AppError> {
    let tz = state.site();
    let tz_name = tz.time_zone.clone();
    let tz = tz.tz();
    let (can_publish, can_delete) = match e.article {
        Some(a) => (
            may_publish(session.user.role, access(a, session).own),
            may_delete(session.user.role, access(a, session)),
        ),
        None => (may_publish(session.user.role, true), false),
    };
    let now = Utc::now();
    let releases = release_options(state, &e.form.release, tz).await?;
    let view = EditorPage {
        id: e.article.map(|a| a.id),
        status: e.article.map_or("New", |a| status_label(a.status)),
        status_key: e.article.map_or("draft", |a| a.status.as_str()),
        version: e.article.map(|a| a.version),
        sections: state.store.sections().await?,
        media: state.store.media_library(None, 100).await?,
        can_publish,
        can_delete,
        preview: e.preview,
        public_url: e
            .article
            .filter(|a| a.is_public(now))
            .map(|a| format!("/article/{}", a.slug)),
        notes: e
            .article
            .map(|a| {
                a.notes
                    .iter()
                    .map(|n| NoteView {
                        kind: match n.kind {
                            broadsheet_core::NoteKind::Correction => "Correction",
                            broadsheet_core::NoteKind::Update => "Update",
                        },
                        text: n.text.clone(),
                        at: local_label(Some(n.at), tz),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        time_zone: tz_name,
        form: e.form,
        conflict: e.conflict,
        wire: match e.article {
            Some(a) => super::wire::link_of(state, a.id).await?,
            None => None,
        },
        releases,
    };
    page.render(state, Some(session), view)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct EditQuery {
    saved: String,
    /// Why a wire item's picture is missing from the draft made from it (a code, see
    /// `PictureProblem`; anything else is ignored).
    picture: String,
}

pub(crate) async fn new(
    State(state): State<AppState>,
    session: Session,
) -> Result<Response, AppError> {
    let sections = state.store.sections().await?;
    let form = EditorForm {
        authors: session.user.name.clone(),
        section: sections
            .iter()
            .find(|s| s.in_menu)
            .or(sections.first())
            .map(|s| s.slug.to_string())
            .unwrap_or_default(),
        importance: "0".into(),
        ..Default::default()
    };
    editor(
        &state,
        &session,
        Page::new("admin/editor.html", "New article", "new"),
        EditorState {
            article: None,
            form,
            preview: None,
            conflict: None,
        },
    )
    .await
}

pub(crate) async fn edit(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Query(q): Query<EditQuery>,
) -> Result<Response, AppError> {
    let article = load(&state, &id).await?;
    if !may_edit(session.user.role, access(&article, &session)) {
        return Err(cannot_edit(&article));
    }
    let notice = match q.saved.as_str() {
        "" => None,
        "submit" => Some("Submitted for review.".to_owned()),
        "schedule" => Some(format!(
            "Scheduled for {}.",
            local_label(article.published_at, state.site().tz())
        )),
        "publish" if article.status == ArticleStatus::Scheduled => Some(format!(
            "Scheduled for {} (its embargo or publication time).",
            local_label(article.published_at, state.site().tz())
        )),
        "publish" => Some("Published.".to_owned()),
        "unpublish" => Some("Unpublished: readers no longer see it.".to_owned()),
        "restore" => Some("The revision was restored as a new version.".to_owned()),
        _ => Some("Saved.".to_owned()),
    };
    let mut form = EditorForm::from_article(&article, state.site().tz());
    if let Some(id) = state.store.article_events(article.id).await?.first() {
        form.release = id.to_string();
        form.release_was = form.release.clone();
    }
    let mut page =
        Page::new("admin/editor.html", article.headline.clone(), "articles").notice(notice);
    if let Some(problem) = broadsheet_app::wire_use::PictureProblem::parse(&q.picture) {
        page = page.error(problem.sentence());
    }
    editor(
        &state,
        &session,
        page,
        EditorState {
            article: Some(&article),
            form,
            preview: None,
            conflict: None,
        },
    )
    .await
}

pub(crate) async fn create(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<EditorForm>,
) -> Result<Response, AppError> {
    submit(state, session, None, form).await
}

pub(crate) async fn save(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Form(form): Form<EditorForm>,
) -> Result<Response, AppError> {
    let article = load(&state, &id).await?;
    submit(state, session, Some(article), form).await
}

/// The one path every editor action takes: check the forgery token and the rules, then
/// preview or save; any problem shows the form again with everything the editor typed.
async fn submit(
    state: AppState,
    session: Session,
    article: Option<Article>,
    form: EditorForm,
) -> Result<Response, AppError> {
    session.check_csrf(&form.csrf)?;
    let title = article
        .as_ref()
        .map_or_else(|| "New article".to_owned(), |a| a.headline.clone());
    let active = if article.is_some() { "articles" } else { "new" };
    let again = |status: StatusCode, message: String, form: EditorForm, conflict| {
        let state = state.clone();
        let session = session.clone();
        let article = article.clone();
        let title = title.clone();
        async move {
            editor(
                &state,
                &session,
                Page::new("admin/editor.html", title, active)
                    .status(status)
                    .error(message),
                EditorState {
                    article: article.as_ref(),
                    form,
                    preview: None,
                    conflict,
                },
            )
            .await
        }
    };

    if form.action == "preview" {
        if let Some(a) = &article
            && !may_edit(session.user.role, access(a, &session))
        {
            return Err(cannot_edit(a));
        }
        let preview = render_markdown(&form.body);
        return editor(
            &state,
            &session,
            Page::new("admin/editor.html", title.clone(), active),
            EditorState {
                article: article.as_ref(),
                form,
                preview: Some(preview),
                conflict: None,
            },
        )
        .await;
    }
    if let Err(EditError::Invalid(why)) = Action::parse(&form.action) {
        return Err(AppError::BadRequest(why));
    }
    match edit_from_form(&state, &session, article.as_ref(), &form).await {
        Ok((saved, status)) => {
            save_release(&state, saved.id, &form).await?;
            let action = if form.action.is_empty() {
                "save"
            } else {
                form.action.as_str()
            };
            // A contributor who submits hands the story to the desk and cannot open it again.
            let after = ArticleAccess { own: true, status };
            if !may_edit(session.user.role, after) {
                return Ok(see_other(&format!("/admin?submitted={}", saved.id)));
            }
            Ok(see_other(&format!(
                "/admin/articles/{}?saved={action}",
                saved.id
            )))
        }
        Err(EditError::Forbidden(message)) => Err(AppError::Forbidden(message)),
        Err(EditError::Invalid(message)) => {
            again(StatusCode::UNPROCESSABLE_ENTITY, message, form, None).await
        }
        Err(EditError::Conflict { why, latest }) => {
            let message = format!(
                "Not saved: {why}. Your text is still in this form. Open the latest version in \
                 another tab (or compare revisions), copy your changes across, then save from \
                 there."
            );
            again(StatusCode::CONFLICT, message, form, latest).await
        }
        Err(EditError::Failed(e)) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub(crate) struct PreviewForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: String,
}

/// The live preview: the body rendered and sanitised exactly as the page will show it.
pub(crate) async fn preview(
    session: Session,
    Form(form): Form<PreviewForm>,
) -> Result<Response, AppError> {
    session.check_csrf(&form.csrf)?;
    let html = render_markdown(&form.body);
    let mut r = html.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}
