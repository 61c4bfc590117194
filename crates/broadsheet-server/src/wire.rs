//! `POST /api/wire/{source}`: an agency pushing copy over HTTP. The token check and the
//! answers are HTTP's; storing the document is `broadsheet_app::wire::ingest`, the path every
//! other way in takes too.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path as UrlPath, State};
use axum::response::{IntoResponse, Response};
use broadsheet_app::wire::{IngestError, ingest};
use http::{HeaderMap, StatusCode, header};

use crate::error::AppError;
use crate::problem::problem;
use crate::state::AppState;

/// `POST /api/wire/{source}`: an agency pushes ninjs or NewsML-G2 (or any format the parsers
/// read) with the source's bearer token. 401 for a missing or wrong token (and for an unknown
/// source, so names cannot be probed), 413 over the size limit, 422 for an unreadable document,
/// 200 with what was stored and what was refused.
pub(crate) async fn push(
    State(state): State<AppState>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let Some(given) = given else {
        return Ok(problem(
            StatusCode::UNAUTHORIZED,
            "an Authorization: Bearer token is required",
        ));
    };
    let source = state.store.wire_source(&name).await?;
    let expected = source
        .as_ref()
        .filter(|s| s.kind == broadsheet_store::WireKind::Push && !s.paused)
        .and_then(|s| s.token_hash.clone());
    let given_hash = broadsheet_app::secrets::token_hash(given);
    let ok = expected
        .as_deref()
        .is_some_and(|e| broadsheet_app::secrets::same(e, &given_hash));
    let (true, Some(source)) = (ok, source) else {
        tracing::warn!(source = %name, "wire push with a wrong token");
        return Ok(problem(
            StatusCode::UNAUTHORIZED,
            "the token is not valid for this source",
        ));
    };
    let body = match body {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Ok(problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("the body is over {} bytes", state.wire_options.max_bytes),
            ));
        }
        Err(e) => return Ok(problem(StatusCode::BAD_REQUEST, &e.body_text())),
    };
    match ingest(&state, &source, body, "push").await {
        Ok(report) => Ok((
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::to_string(&report).unwrap_or_default(),
        )
            .into_response()),
        Err(IngestError::Unreadable(why)) => Ok(problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("the document cannot be read: {why}"),
        )),
        Err(IngestError::Store(e)) => Err(e.into()),
        Err(IngestError::Internal(e)) => Err(AppError::Internal(e)),
    }
}
