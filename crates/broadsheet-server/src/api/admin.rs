//! The Admin API under `/api/v1/admin`: create, update, publish and unpublish articles and
//! upload photos with a per-user admin key (`broadsheet api-key add NAME --user EMAIL`).
//!
//! A key acts as its user, with exactly the rights the admin pages give that user's role:
//! every write goes through `broadsheet_app::publishing::apply_edit` and `broadsheet_app::media::store_upload`,
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
use crate::admin::media::UploadFields;
use crate::auth::{Session, token_hash};
use crate::client::Client;
use crate::error::AppError;
use crate::state::AppState;
use broadsheet_app::media::{Upload, UploadError, store_upload};
use broadsheet_app::publishing::{self, Action, Draft, EditError};
use broadsheet_core::{Credit, HeroInput};

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

/// Lists are arrays; an item with a comma is refused, as the editor's comma-separated fields
/// could not keep it.
fn list(field: &'static str, items: &[String]) -> Result<(), ApiError> {
    if let Some(bad) = items.iter().find(|i| i.contains(',')) {
        return Err(ApiError::invalid(
            field,
            format!("{bad:?}: an item may not contain a comma"),
        ));
    }
    Ok(())
}

impl ArticleBody {
    /// The request as a draft for the one publishing path; a mistake is a 422 with the
    /// newsroom's message, as the editor shows it.
    fn into_draft(self, default_action: Action) -> Result<Draft, ApiError> {
        let action = match self.action.as_deref() {
            None => default_action,
            Some(a @ ("draft" | "submit" | "schedule" | "publish" | "unpublish")) => {
                Action::parse(a).map_err(edit_error)?
            }
            Some(other) => {
                return Err(ApiError::invalid(
                    "action",
                    format!("{other:?} is not draft, submit, schedule, publish or unpublish"),
                ));
            }
        };
        for (field, items) in [
            ("authors", &self.authors),
            ("tags", &self.tags),
            ("sources", &self.sources),
            ("instruments", &self.instruments),
        ] {
            list(field, items)?;
        }
        let invalid = ApiError::Unprocessable;
        let slug = match self.slug.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) => Some(publishing::parse_slug(s).map_err(invalid)?),
        };
        let instruments = self
            .instruments
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(publishing::parse_instrument)
            .collect::<Result<Vec<_>, _>>()
            .map_err(invalid)?;
        let importance = match self.importance {
            None => 0,
            Some(i) => publishing::check_importance(i).map_err(invalid)?,
        };
        let note = match self.note {
            None => None,
            Some(n) => publishing::parse_note(&n.kind, &n.text).map_err(invalid)?,
        };
        let trimmed = |items: Vec<String>| -> Vec<String> {
            items
                .into_iter()
                .map(|i| i.trim().to_owned())
                .filter(|i| !i.is_empty())
                .collect()
        };
        Ok(Draft {
            action,
            headline: self.headline,
            standfirst: self.standfirst,
            slug,
            body_markdown: self.body,
            section: self.section,
            authors: trimmed(self.authors),
            tags: trimmed(self.tags),
            sources: trimmed(self.sources),
            instruments,
            importance,
            pinned: self.pinned,
            publish_at: self.publish_at.map(|t| t.with_timezone(&chrono::Utc)),
            embargo_until: self.embargo_until.map(|t| t.with_timezone(&chrono::Utc)),
            hero: self.hero.filter(|h| h.media_id != 0).map(|h| HeroInput {
                media_id: h.media_id,
                alt: h.alt,
                caption: h.caption,
                credit: Credit {
                    photographer: Some(h.photographer),
                    agency: Some(h.agency),
                    via: Some(h.via),
                },
            }),
            seo_title: self.seo_title,
            seo_description: self.seo_description,
            note,
            base_version: self.base_version,
            alert: false,
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

fn edit_error(e: EditError) -> ApiError {
    match e {
        EditError::Forbidden(m) => ApiError::Forbidden(m),
        EditError::Invalid(m) => ApiError::Unprocessable(m),
        EditError::Conflict { why, latest } => ApiError::Conflict { why, latest },
        EditError::Failed(e) => AppError::from(e).into(),
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
    let draft = body.into_draft(Action::Draft)?;
    let (done, _) = publishing::apply_edit(&state, &session.user, None, draft)
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
    let draft = body.into_draft(Action::Save)?;
    let (done, _) = publishing::apply_edit(&state, &session.user, Some(&article), draft)
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
    action: Action,
) -> Result<Response, ApiError> {
    let t: TransitionBody = if body.iter().all(u8::is_ascii_whitespace) {
        TransitionBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::invalid("body", e.to_string()))?
    };
    let article = load(&state, &id).await?;
    let mut draft = Draft::of(&article, action);
    if let Some(v) = t.base_version {
        draft.base_version = Some(v);
    }
    let (done, _) = publishing::apply_edit(&state, &session.user, Some(&article), draft)
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
    transition(state, session, id, small_body(body)?, Action::Publish).await
}

/// `POST /api/v1/admin/articles/{id}/unpublish`: takes a story off the site.
pub(crate) async fn unpublish(
    State(state): State<AppState>,
    AdminKey(session): AdminKey,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    transition(state, session, id, small_body(body)?, Action::Unpublish).await
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
    value["instruments"] = json!(a.instruments);
    // The newsroom's four steps, as the editor shows them (an import may carry a higher
    // number; it reads, and is written back, as 3).
    value["importance"] = json!(a.importance.clamp(0, 3));
    value["pinned"] = json!(a.pinned);
    value["embargo_until"] = json!(a.embargo_until.map(|t| t.to_rfc3339()));
    // In the shape `hero` is written in, so that a read-modify-write keeps the photo.
    value["hero"] = a.hero.as_ref().map_or(Value::Null, |h| {
        json!({
            "media_id": h.media.id,
            "alt": h.alt,
            "caption": h.caption,
            "photographer": h.credit.photographer.as_deref().unwrap_or_default(),
            "agency": h.credit.agency.as_deref().unwrap_or_default(),
            "via": h.credit.via.as_deref().unwrap_or_default(),
        })
    });
    value["seo_title"] = json!(a.seo_title);
    value["seo_description"] = json!(a.seo_description);
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
    let upload = Upload {
        user_id: session.user.id,
        file_name: name,
        claimed,
        bytes,
        details: fields.details(),
    };
    match store_upload(&state, state.newsroom.upload_limits(), upload).await {
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
        Err(UploadError::TooLarge(m)) => Err(ApiError::TooLarge(m)),
        Err(UploadError::Refused(m)) => Err(ApiError::Unprocessable(m)),
        Err(UploadError::Failed(e)) => Err(AppError::from(e).into()),
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
        assert!(list("tags", &["a".into(), "b".into()]).is_ok());
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
            body.into_draft(Action::Draft),
            Err(ApiError::Invalid {
                param: "action",
                ..
            })
        ));
    }

    #[test]
    fn times_keep_their_instant_whatever_the_offset_sent() {
        // No round trip through the newsroom's local time: the instant is kept to the second.
        let body = ArticleBody {
            publish_at: DateTime::parse_from_rfc3339("2026-06-01T10:30:07+01:00").ok(),
            ..Default::default()
        };
        let draft = body.into_draft(Action::Draft).expect("draft");
        assert_eq!(
            draft.publish_at.map(|t| t.to_rfc3339()),
            Some("2026-06-01T09:30:07+00:00".to_owned())
        );
    }
}
