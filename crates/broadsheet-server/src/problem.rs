//! The one RFC 9457 problem+json builder, for every machine-facing answer (the Content and
//! Admin APIs, the market and wire pushes, `/metrics`). Problems are never cached, and a 401
//! says which scheme it wants.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

/// A problem document; `param` names the parameter at fault and why.
pub(crate) fn problem_with(
    status: StatusCode,
    detail: &str,
    param: Option<(&str, &str)>,
) -> Response {
    let mut body = serde_json::json!({
        "type": "about:blank",
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
    });
    if let Some((name, reason)) = param {
        body["invalid_params"] = serde_json::json!([{ "name": name, "reason": reason }]);
    }
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if status == StatusCode::UNAUTHORIZED {
        headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// A problem document about the request as a whole.
pub(crate) fn problem(status: StatusCode, detail: &str) -> Response {
    problem_with(status, detail, None)
}
