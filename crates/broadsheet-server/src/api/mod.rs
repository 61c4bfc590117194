//! The Content API under `/api/v1`: read-only JSON for articles (also as IPTC ninjs),
//! sections, authors, tags, search, market data and the economic calendar, for apps and partner
//! sites.
//!
//! Every request but the OpenAPI document carries a content key (`?key=` or
//! `Authorization: Bearer`), made with `broadsheet api-key add`. Errors are RFC 9457
//! problem+json naming the parameter at fault; answers are cached and revalidated like pages
//! (ETag, 304), and each client address has its own rate limit (429 with `Retry-After`).

mod admin;
mod content;

use std::fmt::Write as _;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::{FromRequestParts, Request};
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use broadsheet_store::StoreError;
use governor::clock::{Clock, DefaultClock};
use http::request::Parts;
use http::{HeaderValue, StatusCode, header};

use crate::auth::token_hash;
use crate::client::Client;
use crate::error::AppError;
use crate::state::AppState;

/// The OpenAPI 3.1 description of this API, served at `/api/v1/openapi.json`.
pub const OPENAPI: &str = include_str!("openapi.json");

pub(crate) fn router(state: &AppState) -> Router<AppState> {
    let upload_limit = state.newsroom.upload_limits().max_bytes;
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/articles", get(content::articles))
        .route("/api/v1/articles/{slug}", get(content::article))
        .route("/api/v1/articles/{slug}/ninjs", get(content::ninjs))
        .route("/api/v1/sections", get(content::sections))
        .route("/api/v1/sections/{slug}", get(content::section))
        .route("/api/v1/authors", get(content::authors))
        .route("/api/v1/authors/{slug}", get(content::author))
        .route("/api/v1/tags", get(content::tags))
        .route("/api/v1/tags/{slug}", get(content::tag))
        .route("/api/v1/search", get(content::search))
        .route("/api/v1/markets", get(content::markets))
        .route("/api/v1/markets/{symbol}", get(content::instrument))
        .route("/api/v1/calendar", get(content::calendar))
        .route("/api/v1/calendar/{indicator}", get(content::indicator))
        .route(
            "/api/v1/admin/articles",
            post(admin::create).layer(DefaultBodyLimit::max(admin::MAX_JSON_BYTES)),
        )
        .route(
            "/api/v1/admin/articles/{id}",
            get(admin::get_article)
                .put(admin::update)
                .layer(DefaultBodyLimit::max(admin::MAX_JSON_BYTES)),
        )
        .route(
            "/api/v1/admin/articles/{id}/publish",
            post(admin::publish).layer(DefaultBodyLimit::max(admin::MAX_JSON_BYTES)),
        )
        .route(
            "/api/v1/admin/articles/{id}/unpublish",
            post(admin::unpublish).layer(DefaultBodyLimit::max(admin::MAX_JSON_BYTES)),
        )
        .route(
            "/api/v1/admin/media",
            post(admin::upload).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/api/v1", get(not_found))
        .route("/api/v1/{*rest}", get(not_found))
        .layer(from_fn(problems_only))
}

async fn openapi() -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        OPENAPI,
    )
        .into_response()
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such resource in this API".into())
}

/// Whatever answers an API request with an error (axum's 405 for a wrong method, a
/// rejection) answers in problem+json, never with the site's HTML error page.
async fn problems_only(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    // Public content, read by partner sites' pages too; keys, not cookies, authorise.
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if (status.is_client_error() || status.is_server_error()) && !is_problem {
        let allow = response.headers().get(header::ALLOW).cloned();
        let mut problem = problem(status, &default_detail(status), None);
        if let Some(allow) = allow {
            problem.headers_mut().insert(header::ALLOW, allow);
        }
        problem.headers_mut().insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        return problem;
    }
    response
}

fn default_detail(status: StatusCode) -> String {
    match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            "this address does not take that method (see /api/v1/openapi.json)".into()
        }
        StatusCode::NOT_FOUND => "no such resource in this API".into(),
        s => s.canonical_reason().unwrap_or("error").to_lowercase(),
    }
}

pub(crate) use crate::problem::problem_with as problem;

/// What an API request can fail with, each answered as problem+json.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// No key, or one that is unknown or revoked.
    Unauthorized(&'static str),
    NotFound(String),
    /// A malformed parameter: its name and what is wrong with it.
    Invalid {
        param: &'static str,
        reason: String,
    },
    TooManyRequests {
        retry_after_secs: u64,
    },
    /// The key's user may not do this (or a content key tried to write).
    Forbidden(String),
    /// A well-formed request the newsroom's rules refuse (no headline, a past schedule).
    Unprocessable(String),
    /// Based on a stale version; `latest` is the current one.
    Conflict {
        why: String,
        latest: Option<i64>,
    },
    TooLarge(String),
    Internal(AppError),
}

impl ApiError {
    pub(crate) fn invalid(param: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            param,
            reason: reason.into(),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound => Self::NotFound("not found".into()),
            AppError::TooManyRequests { retry_after_secs } => {
                Self::TooManyRequests { retry_after_secs }
            }
            e => Self::Internal(e),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        Self::Internal(AppError::from(e))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::Unauthorized(why) => {
                let mut r = problem(StatusCode::UNAUTHORIZED, why, None);
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"content\""),
                );
                r
            }
            Self::NotFound(what) => problem(StatusCode::NOT_FOUND, &what, None),
            Self::Forbidden(why) => problem(StatusCode::FORBIDDEN, &why, None),
            Self::Unprocessable(why) => problem(StatusCode::UNPROCESSABLE_ENTITY, &why, None),
            Self::TooLarge(why) => problem(StatusCode::PAYLOAD_TOO_LARGE, &why, None),
            Self::Conflict { why, latest } => {
                let detail = match latest {
                    Some(v) => format!("{why}; the latest version is {v}"),
                    None => why,
                };
                problem(StatusCode::CONFLICT, &detail, None)
            }
            Self::Invalid { param, reason } => problem(
                StatusCode::BAD_REQUEST,
                &format!("{param}: {reason}"),
                Some((param, &reason)),
            ),
            Self::TooManyRequests { retry_after_secs } => {
                let mut r = problem(
                    StatusCode::TOO_MANY_REQUESTS,
                    &format!("too many requests; try again in {retry_after_secs} s"),
                    None,
                );
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                r
            }
            Self::Internal(e) => {
                // The same status as a page would get (503 with Retry-After for a database
                // that cannot be reached, 409 for a conflict, …); the detail only for a
                // mistake the caller can fix.
                let (status, retry_after) = (e.status(), e.retry_after());
                let mut r = if status.is_server_error() {
                    if status == StatusCode::SERVICE_UNAVAILABLE {
                        tracing::warn!(error = %e, "API: unavailable");
                    } else {
                        tracing::error!(error = %e, "API request failed");
                    }
                    problem(status, e.public_detail(), None)
                } else {
                    problem(status, &e.to_string(), None)
                };
                if let Some(secs) = retry_after {
                    r.headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
                }
                r
            }
        }
    }
}

/// A request with a valid content (or admin) key, within its client's rate limit.
pub(crate) struct ContentKey;

impl FromRequestParts<AppState> for ContentKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let client = Client::from_request_parts(parts, state).await?;
        check_rate(state, &client)?;
        let key = bearer(parts)
            .or_else(|| query_key(parts))
            .ok_or(ApiError::Unauthorized(
                "a content key is required: ?key= or Authorization: Bearer",
            ))?;
        if key.len() > 200 {
            return Err(ApiError::Unauthorized("unknown or revoked key"));
        }
        let found = state.store.api_key(&token_hash(&key)).await?;
        found
            .map(|_| Self)
            .ok_or(ApiError::Unauthorized("unknown or revoked key"))
    }
}

/// The per-client limit shared by the Content and Admin APIs.
fn check_rate(state: &AppState, client: &Client) -> Result<(), ApiError> {
    state
        .api_limiter
        .check_key(&client.ip())
        .map_err(|not_until| ApiError::TooManyRequests {
            retry_after_secs: not_until
                .wait_time_from(DefaultClock::default().now())
                .as_secs()
                + 1,
        })
}

fn bearer(parts: &Parts) -> Option<String> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

fn query_key(parts: &Parts) -> Option<String> {
    form_urlencoded::parse(parts.uri.query()?.as_bytes())
        .find(|(k, _)| k == "key")
        .map(|(_, v)| v.into_owned())
}

pub use broadsheet_app::accounts::create_api_key;

/// The query string without `key`, parameters sorted: the cache key of an answer, so a
/// client's key never becomes part of what is cached and equal queries share an entry.
pub(crate) fn cache_key(path: &str, query: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .filter(|(k, _)| k != "key")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.sort();
    let mut key = format!("api:{path}");
    for (i, (k, v)) in pairs.iter().enumerate() {
        let _ = write!(key, "{}{k}={v}", if i == 0 { '?' } else { '&' });
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_keys_leave_out_the_key_and_ignore_order() {
        assert_eq!(
            cache_key("/api/v1/articles", Some("tag=a&key=secret&limit=5")),
            cache_key("/api/v1/articles", Some("limit=5&tag=a"))
        );
        assert!(!cache_key("/x", Some("key=secret")).contains("secret"));
    }
}
