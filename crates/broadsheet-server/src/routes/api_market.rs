//! `POST /api/market/quotes`: a data vendor pushes prices, authenticated with a bearer token.
//! Errors are RFC 9457 problem+json; each quote is accepted or rejected on its own.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::response::{IntoResponse, Response};
use broadsheet_core::{Bar, Symbol};
use chrono::NaiveDate;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::{Deserialize, Serialize};

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
    quotes: Vec<PushedQuote>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PushedQuote {
    symbol: String,
    date: NaiveDate,
    close: f64,
    open: Option<f64>,
    high: Option<f64>,
    low: Option<f64>,
    volume: Option<f64>,
}

#[derive(Serialize)]
struct Rejected {
    index: usize,
    symbol: String,
    error: String,
}

#[derive(Serialize)]
struct Outcome {
    accepted: usize,
    rejected: Vec<Rejected>,
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
    let today = chrono::Utc::now().date_naive();
    let mut outcome = Outcome {
        accepted: 0,
        rejected: Vec::new(),
    };
    let mut reject = |index: usize, symbol: &str, error: String| {
        outcome.rejected.push(Rejected {
            index,
            symbol: symbol.to_owned(),
            error,
        });
    };
    let mut by_instrument: Vec<(i64, Vec<Bar>)> = Vec::new();
    for (index, q) in push.quotes.iter().enumerate() {
        let Ok(symbol) = Symbol::parse(&q.symbol) else {
            reject(index, &q.symbol, "not a symbol".into());
            continue;
        };
        let Some(instrument) = state.store.instrument_by_symbol(&symbol).await? else {
            reject(index, &q.symbol, "unknown symbol".into());
            continue;
        };
        let bar = Bar {
            date: q.date,
            open: q.open,
            high: q.high,
            low: q.low,
            close: q.close,
            volume: q.volume,
        };
        if let Err(e) = bar.validate(instrument.kind, today) {
            reject(index, &q.symbol, e.to_string());
            continue;
        }
        match by_instrument
            .iter_mut()
            .find(|(id, _)| *id == instrument.id)
        {
            Some((_, bars)) => bars.push(bar),
            None => by_instrument.push((instrument.id, vec![bar])),
        }
    }
    for (id, bars) in &by_instrument {
        state.store.save_bars(*id, bars, "push").await?;
        outcome.accepted += bars.len();
    }
    if outcome.accepted > 0 {
        state
            .sync_changes()
            .await
            .map_err(|e| AppError::Worker(e.to_string()))?;
    }
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
