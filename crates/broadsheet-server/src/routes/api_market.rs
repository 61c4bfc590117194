//! `POST /api/market/quotes`: a data vendor pushes prices, authenticated with a bearer token.
//! Errors are RFC 9457 problem+json; each quote is accepted or rejected on its own, by
//! `broadsheet_app::markets::push_quotes`.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::response::{IntoResponse, Response};
use broadsheet_app::markets::Quote;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Deserialize;

use crate::error::AppError;
use crate::state::AppState;

/// Pushes larger than this are refused with 413.
pub(crate) const MAX_PUSH_BYTES: usize = 1024 * 1024;

pub(crate) use crate::problem::problem;

/// Compares without stopping at the first difference, so timing does not reveal the token.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Push {
    quotes: Vec<Quote>,
}

pub(crate) async fn push(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let Some(expected) = state
        .market_options
        .push_token
        .as_deref()
        .filter(|t| !t.is_empty())
    else {
        return Ok(problem(
            StatusCode::UNAUTHORIZED,
            "pushing market data is not enabled on this site (set market.push_token)",
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match given {
        None => {
            return Ok(problem(
                StatusCode::UNAUTHORIZED,
                "an Authorization: Bearer token is required",
            ));
        }
        Some(t) if !same(t.as_bytes(), expected.as_bytes()) => {
            return Ok(problem(StatusCode::UNAUTHORIZED, "the token is not valid"));
        }
        Some(_) => {}
    }
    let body = match body {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Ok(problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("the body is over {MAX_PUSH_BYTES} bytes"),
            ));
        }
        Err(e) => return Ok(problem(StatusCode::BAD_REQUEST, &e.body_text())),
    };
    let push: Push = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(e) => {
            return Ok(problem(
                StatusCode::BAD_REQUEST,
                &format!("the body is not a valid push: {e}"),
            ));
        }
    };
    let outcome = broadsheet_app::markets::push_quotes(&state, &push.quotes).await?;
    let status = if outcome.accepted == 0 && !outcome.rejected.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut response =
        (status, serde_json::to_string(&outcome).unwrap_or_default()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}
