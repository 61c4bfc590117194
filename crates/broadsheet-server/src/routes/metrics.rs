//! `GET /metrics`: the Prometheus text, behind the bearer token `[metrics] token`; 404 when
//! no token is set, so the numbers stay private by default.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};

use crate::metrics::METRICS;
use crate::problem::problem;
use crate::state::AppState;

/// `GET /metrics`.
pub(crate) async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(expected) = state
        .metrics_options
        .token
        .as_deref()
        .filter(|t| !t.is_empty())
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !broadsheet_app::secrets::same(given, expected) {
        return problem(
            StatusCode::UNAUTHORIZED,
            "/metrics wants the token set as metrics.token",
        );
    }
    let mut r = METRICS.render(state.cached_pages()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
