//! The middleware that turns every error response (ours, axum's rejections, a caught panic)
//! into the theme's error page, with the menu; problem+json answers are left as they are.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::StatusCode;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};

use crate::error::ErrorInfo;
use crate::state::AppState;
use crate::views;

fn title(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "Bad request",
        401 => "Please sign in",
        403 => "Not allowed",
        409 => "Edit conflict",
        422 => "Please check what you entered",
        404 => "Page not found",
        405 => "Method not allowed",
        408 => "Request timed out",
        413 => "Request too large",
        429 => "Too many requests",
        500 => "Something went wrong",
        503 => "Temporarily unavailable",
        _ => status.canonical_reason().unwrap_or("Error"),
    }
}

/// Renders the error page for every 4xx/5xx response that is not already an HTML page.
pub(crate) async fn error_pages(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // API errors are problem+json already, and a push's per-item report (422 when nothing was
    // accepted) is JSON a machine reads: both are left as they are; pages get the themed page.
    if content_type.starts_with("application/problem+json")
        || content_type.starts_with("application/json")
    {
        return response;
    }
    let is_html = content_type.starts_with("text/html");
    let info = response.extensions().get::<ErrorInfo>().cloned();
    if is_html && info.is_none() {
        return response;
    }
    let message = info
        .map(|i| i.message)
        .unwrap_or_else(|| match status.as_u16() {
            404 => "We could not find that page.".into(),
            405 => "This address does not accept that kind of request.".into(),
            s if s >= 500 => {
                "Something went wrong on our side. Please try again in a moment.".into()
            }
            _ => "The request could not be understood.".into(),
        });
    let (mut parts, _) = response.into_parts();
    let html = views::error_page(&state, status, title(status), &message).await;
    parts.headers.insert(
        CONTENT_TYPE,
        http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    parts
        .headers
        .insert(CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    parts.headers.remove(http::header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(html))
}
