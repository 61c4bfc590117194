//! The Admin API under `/api/v1/admin`: create, update, publish and unpublish articles and
//! upload photos with a per-user admin key (`broadsheet api-key add NAME --user EMAIL`).
//!
//! A key acts as its user, with exactly the rights the admin pages give that user's role:
//! every write goes through `admin::articles::apply_edit` and `admin::media::store_upload`,
//! the same functions the editor's forms use. Keys come only in the Authorization header
//! (never in a URL, where logs would keep them), and bearer keys need no CSRF token.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use broadsheet_core::{Article, Role, may_edit};
use broadsheet_store::ApiKeyKind;
use chrono::{DateTime, FixedOffset};
use http::request::Parts;
use http::{HeaderMap, StatusCode, header};
use serde::Deserialize;
use serde_json::{Value, json};

use super::ApiError;
use crate::admin::articles::{EditFailure, EditorForm, apply_edit, form_of};
use crate::admin::media::{UploadFailure, UploadFields, store_upload};
use crate::auth::{Session, token_hash};
use crate::routes::Client;
use crate::state::AppState;

/// JSON bodies larger than this are refused with 413.
pub(crate) const MAX_JSON_BYTES: usize = 1024 * 1024;

/// The user an admin key belongs to, as a session without a cookie.
pub(crate) struct AdminKey(Session);

impl FromRequestParts<AppState> for AdminKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let client = Client::from_request_parts(parts, state).await?;
        super::check_rate(state, &client)?;
        let key = super::bearer(parts).ok_or(ApiError::Unauthorized(
            "an admin key is required: Authorization: Bearer",
        ))?;
        if key.len() > 200 {
            return Err(ApiError::Unauthorized("unknown or revoked key"));
        }
        let found = state
            .store
            .api_key(&token_hash(&key))
            .await?
            .ok_or(ApiError::Unauthorized("unknown or revoked key"))?;
        let (ApiKeyKind::Admin, Some(user_id)) = (found.kind, found.user_id) else {
            return Err(ApiError::Forbidden(
                "a content key only reads: writing needs a user's admin key".into(),
            ));
        };
        let user = state
            .store
            .user_by_id(user_id)
            .await?
            .filter(|u| !u.disabled)
            .ok_or(ApiError::Unauthorized("unknown or revoked key"))?;
        Ok(Self(Session {
            user,
            csrf: String::new(),
            token_hash: String::new(),
        }))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Hero {
    media_id: i64,
    alt: String,
    #[serde(default)]
    caption: String,
    #[serde(default)]
    photographer: String,
    #[serde(default)]
    agency: String,
    #[serde(default)]
    via: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Note {
    /// `correction` or `update`.
    kind: String,
    text: String,
}

/// An article as the Admin API takes it. Lists are arrays; times are RFC 3339.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ArticleBody {
    headline: String,
    #[serde(default)]
    standfirst: String,
    /// Markdown.
    body: String,
    /// A section's slug.
    section: String,
    slug: Option<String>,
    #[serde(default)]
    authors: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    instruments: Vec<String>,
    importance: Option<i32>,
    #[serde(default)]
    pinned: bool,
    publish_at: Option<DateTime<FixedOffset>>,
    embargo_until: Option<DateTime<FixedOffset>>,
    hero: Option<Hero>,
    #[serde(default)]
    seo_title: String,
    #[serde(default)]
    seo_description: String,
    note: Option<Note>,
    /// `draft` (the default for a new article), `submit`, `schedule`, `publish`, `unpublish`;
    /// left out, an update keeps the article's status.
    action: Option<String>,
    /// The version this change is based on; a stale one is refused with 409.
    base_version: Option<i64>,
}

fn list(field: &'static str, items: &[String]) -> Result<String, ApiError> {
    if let Some(bad) = items.iter().find(|i| i.contains(',')) {
        return Err(ApiError::invalid(
            field,
            format!("{bad:?}: an item may not contain a comma"),
        ));
    }
    Ok(items.join(", "))
}

impl ArticleBody {
    fn into_form(self, tz: chrono_tz::Tz) -> Result<EditorForm, ApiError> {
        let local = |t: Option<DateTime<FixedOffset>>| {
            t.map(|t| t.with_timezone(&tz).format("%Y-%m-%dT%H:%M:%S").to_string())
                .unwrap_or_default()
        };
        let action = match self.action.as_deref() {
            None => String::new(),
            Some(a @ ("draft" | "submit" | "schedule" | "publish" | "unpublish")) => a.to_owned(),
            Some(other) => {
                return Err(ApiError::invalid(
                    "action",
                    format!("{other:?} is not draft, submit, schedule, publish or unpublish"),
                ));
            }
        };
        let hero = self.hero.unwrap_or_default();
        let has_hero = hero.media_id != 0;
        let (note_kind, note_text) = self.note.map(|n| (n.kind, n.text)).unwrap_or_default();
        Ok(EditorForm {
            base_version: self.base_version.map(|v| v.to_string()).unwrap_or_default(),
            headline: self.headline,
            standfirst: self.standfirst,
            slug: self.slug.unwrap_or_default(),
            body: self.body,
            section: self.section,
            authors: list("authors", &self.authors)?,
            tags: list("tags", &self.tags)?,
            sources: list("sources", &self.sources)?,
            instruments: list("instruments", &self.instruments)?,
            importance: self.importance.map(|i| i.to_string()).unwrap_or_default(),
            pinned: if self.pinned {
                "on".into()
            } else {
                String::new()
            },
            publish_at: local(self.publish_at),
            embargo_until: local(self.embargo_until),
            hero_media_id: if has_hero {
                hero.media_id.to_string()
            } else {
                String::new()
            },
            hero_alt: hero.alt,
            hero_caption: hero.caption,
            credit_photographer: hero.photographer,
            credit_agency: hero.agency,
            credit_via: hero.via,
            seo_title: self.seo_title,
            seo_description: self.seo_description,
            note_kind,
            note_text,
            action,
            ..Default::default()
        })
    }
}

/// The JSON body, or a 400 saying where it is wrong (serde names the field), or 413.
fn article_body(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<ArticleBody, ApiError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let bytes = small_body(body)?;
    if !is_json {
        return Err(ApiError::invalid(
            "body",
            "send JSON with Content-Type: application/json",
        ));
    }
    serde_json::from_slice(&bytes).map_err(|e| ApiError::invalid("body", e.to_string()))
}

fn edit_error(e: EditFailure) -> ApiError {
    match e {
        EditFailure::Forbidden(m) => ApiError::Forbidden(m),
        EditFailure::Invalid(m) => ApiError::Unprocessable(m),
        EditFailure::Conflict { why, latest } => ApiError::Conflict { why, latest },
        EditFailure::Internal(e) => e.into(),
    }
}

/// What a write answers with: the article as it now stands.
fn written(state: &AppState, a: &Article) -> Value {
    let site = state.site().syndication();
    json!({
        "id": a.id,
        "slug": a.slug,
        "status": a.status.as_str(),
        "version": a.version,
        "headline": a.headline,
        "url": site.article_url(a),
        "published_at": a.published_at.map(|t| t.to_rfc3339()),
        "updated_at": a.updated_at.to_rfc3339(),
    })
}

async fn load(state: &AppState, id: &str) -> Result<Article, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::NotFound("no such article".into()))?;
    state
        .store
        .article_by_id(id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such article".into()))
}

async fn saved(state: &AppState, id: i64) -> Result<Article, ApiError> {
    state
        .store
        .article_by_id(id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such article".into()))
}

fn json_response(status: StatusCode, value: &Value) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        value.to_string(),
    )
        .into_response()
}

/// `POST /api/v1/admin/articles`: 201 with the new article.
pub(crate) async fn create(
    State(state): State<AppState>,
    AdminKey(session): AdminKey,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = article_body(&headers, body)?;
    let mut form = body.into_form(state.site().tz())?;
    if form.action.is_empty() {
        form.action = "draft".into();
    }
    let (done, _) = apply_edit(&state, &session, None, &form)
        .await
        .map_err(edit_error)?;
    let a = saved(&state, done.id).await?;
    let mut response = json_response(
        StatusCode::CREATED,
        &json!({ "article": written(&state, &a) }),
    );
    if let Ok(location) = format!("/api/v1/admin/articles/{}", a.id).parse() {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// `PUT /api/v1/admin/articles/{id}`: replaces the article's fields.
pub(crate) async fn update(
    State(state): State<AppState>,
    AdminKey(session): AdminKey,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = article_body(&headers, body)?;
    let article = load(&state, &id).await?;
    let form = body.into_form(state.site().tz())?;
    let (done, _) = apply_edit(&state, &session, Some(&article), &form)
        .await
        .map_err(edit_error)?;
    let a = saved(&state, done.id).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "article": written(&state, &a) }),
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TransitionBody {
    base_version: Option<i64>,
}

async fn transition(
    state: AppState,
    session: Session,
    id: String,
    body: Bytes,
    action: &str,
) -> Result<Response, ApiError> {
    let t: TransitionBody = if body.iter().all(u8::is_ascii_whitespace) {
        TransitionBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::invalid("body", e.to_string()))?
    };
    let article = load(&state, &id).await?;
    let mut form = form_of(&article, state.site().tz(), action);
    if let Some(v) = t.base_version {
        form.base_version = v.to_string();
    }
    let (done, _) = apply_edit(&state, &session, Some(&article), &form)
        .await
        .map_err(edit_error)?;
    let a = saved(&state, done.id).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "article": written(&state, &a) }),
    ))
}

fn small_body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(format!("the body is over {MAX_JSON_BYTES} bytes"))
        } else {
            ApiError::invalid("body", e.body_text())
        }
    })
}

/// `POST /api/v1/admin/articles/{id}/publish`: now, or at its publication time if that is
/// still to come (which schedules it). Editors and admins only, as in the newsroom.
pub(crate) async fn publish(
    State(state): State<AppState>,
    AdminKey(session): AdminKey,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    transition(state, session, id, small_body(body)?, "publish").await
}

/// `POST /api/v1/admin/articles/{id}/unpublish`: takes a story off the site.
pub(crate) async fn unpublish(
    State(state): State<AppState>,
    AdminKey(session): AdminKey,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    transition(state, session, id, small_body(body)?, "unpublish").await
}

/// `GET /api/v1/admin/articles/{id}`: any status, for those who may edit it.
pub(crate) async fn get_article(
    State(state): State<AppState>,
    AdminKey(session): AdminKey,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let a = load(&state, &id).await?;
    let access = crate::admin::articles::access(&a, &session);
    if !may_edit(session.user.role, access) && session.user.role < Role::Editor {
        return Err(ApiError::Forbidden(
            "your role cannot open this article".into(),
        ));
    }
    let mut value = written(&state, &a);
    value["standfirst"] = json!(a.standfirst);
    value["body"] = json!(a.body_markdown);
    value["section"] = json!(a.section.slug);
    value["authors"] = json!(a.authors.iter().map(|x| &x.name).collect::<Vec<_>>());
    value["tags"] = json!(a.tags.iter().map(|x| &x.name).collect::<Vec<_>>());
    value["sources"] = json!(a.sources);
    value["embargo_until"] = json!(a.embargo_until.map(|t| t.to_rfc3339()));
    Ok(json_response(StatusCode::OK, &json!({ "article": value })))
}

/// `POST /api/v1/admin/media?alt=&caption=&photographer=&agency=&via=&name=`: the photo is
/// the raw body, its type in Content-Type. 201 with the library entry.
pub(crate) async fn upload(
    State(state): State<AppState>,
    AdminKey(session): AdminKey,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let max = state.newsroom.upload_limits().max_bytes;
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(format!("the photo is over {max} bytes"))
        } else {
            ApiError::invalid("body", e.body_text())
        }
    })?;
    if bytes.is_empty() {
        return Err(ApiError::invalid(
            "body",
            "send the photo as the request body",
        ));
    }
    let fields = upload_fields(query.as_deref());
    let name = form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "name")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| "upload".into());
    let claimed = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(broadsheet_media::Format::from_mime);
    match store_upload(&state, session.user.id, &name, claimed, bytes, &fields).await {
        Ok(media) => {
            let site = state.site().syndication();
            Ok(json_response(
                StatusCode::CREATED,
                &json!({ "media": {
                    "id": media.id,
                    "url": site.media_url(&media.path),
                    "width": media.width,
                    "height": media.height,
                    "variants": media.variants.iter().map(|v| json!({
                        "url": site.media_url(&v.path),
                        "width": v.width,
                        "height": v.height,
                        "format": v.format,
                    })).collect::<Vec<_>>(),
                }}),
            ))
        }
        Err(UploadFailure::TooLarge(m)) => Err(ApiError::TooLarge(m)),
        Err(UploadFailure::Refused(m)) => Err(ApiError::Unprocessable(m)),
        Err(UploadFailure::Internal(e)) => Err(e.into()),
    }
}

/// The description fields of an upload from the query string; other parameters are ignored.
fn upload_fields(query: Option<&str>) -> UploadFields {
    let mut f = UploadFields::default();
    for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        f.set(&k, &v);
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_items_with_commas_are_refused_by_name() {
        assert_eq!(
            list("tags", &["a".into(), "b".into()]).ok().as_deref(),
            Some("a, b")
        );
        assert!(matches!(
            list("authors", &["Smith, John".into()]),
            Err(ApiError::Invalid {
                param: "authors",
                ..
            })
        ));
    }

    #[test]
    fn unknown_actions_are_refused() {
        let body = ArticleBody {
            action: Some("launch".into()),
            ..Default::default()
        };
        assert!(matches!(
            body.into_form(chrono_tz::UTC),
            Err(ApiError::Invalid {
                param: "action",
                ..
            })
        ));
    }

    #[test]
    fn times_become_the_newsroom_s_local_time() {
        let body = ArticleBody {
            publish_at: DateTime::parse_from_rfc3339("2026-06-01T09:30:00Z").ok(),
            ..Default::default()
        };
        let form = body.into_form(chrono_tz::Europe::London).expect("form");
        assert_eq!(form.publish_at, "2026-06-01T10:30:00");
    }
}
