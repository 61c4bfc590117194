//! `POST /api/market/quotes`: a data vendor pushes prices, authenticated with a bearer token.
//! Errors are RFC 9457 problem+json; each quote is accepted or rejected on its own, by
//! `broadsheet_app::markets::push_quotes`. The token check, the body's limits and the report
//! are shared with the calendar's push (`api_calendar.rs`).

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

/// The problem to answer when a push does not carry `expected` as its bearer token (`None`
/// or empty: pushing is off, and `off` says how to turn it on).
fn check_bearer(headers: &HeaderMap, expected: Option<&str>, off: &str) -> Option<Response> {
    let Some(expected) = expected.filter(|t| !t.is_empty()) else {
        return Some(problem(StatusCode::UNAUTHORIZED, off));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match given {
        None => Some(problem(
            StatusCode::UNAUTHORIZED,
            "an Authorization: Bearer token is required",
        )),
        Some(t) if !same(t.as_bytes(), expected.as_bytes()) => {
            Some(problem(StatusCode::UNAUTHORIZED, "the token is not valid"))
        }
        Some(_) => None,
    }
}

/// The body of a push, or the problem to answer: 413 over the limit, 400 otherwise.
fn push_body<T: serde::de::DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
) -> Result<T, Box<Response>> {
    let body = match body {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Err(Box::new(problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("the body is over {MAX_PUSH_BYTES} bytes"),
            )));
        }
        Err(e) => return Err(Box::new(problem(StatusCode::BAD_REQUEST, &e.body_text()))),
    };
    serde_json::from_slice(&body).map_err(|e| {
        Box::new(problem(
            StatusCode::BAD_REQUEST,
            &format!("the body is not a valid push: {e}"),
        ))
    })
}

/// A vendor's push, whatever it carries: the bearer token (`expected`; pushing is off
/// without one, and `off` says how to turn it on), the body's limit and shape, then `apply`,
/// whose report is the answer: 200, or 422 when it says nothing was accepted.
pub(crate) async fn receive<P, O, Fut>(
    headers: &HeaderMap,
    expected: Option<&str>,
    off: &str,
    body: Result<Bytes, BytesRejection>,
    apply: impl FnOnce(P) -> Fut,
) -> Result<Response, AppError>
where
    P: serde::de::DeserializeOwned,
    O: serde::Serialize,
    Fut: Future<Output = Result<(O, bool), AppError>>,
{
    if let Some(refused) = check_bearer(headers, expected, off) {
        return Ok(refused);
    }
    let push: P = match push_body(body) {
        Ok(p) => p,
        Err(problem) => return Ok(*problem),
    };
    let (report, nothing_accepted) = apply(push).await?;
    let status = if nothing_accepted {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut response = (status, serde_json::to_string(&report).unwrap_or_default()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
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
    let app = state.clone();
    receive(
        &headers,
        state.market_options.push_token.as_deref(),
        "pushing market data is not enabled on this site (set market.push_token)",
        body,
        |push: Push| async move {
            let outcome = broadsheet_app::markets::push_quotes(&app, &push.quotes).await?;
            let nothing = outcome.accepted == 0 && !outcome.rejected.is_empty();
            Ok((outcome, nothing))
        },
    )
    .await
}
