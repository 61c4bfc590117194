//! `POST /api/calendar/releases`: a data vendor pushes scheduled releases and their figures,
//! authenticated with `[calendar] push_token`. The same conventions as the market push
//! (problem+json errors, a report per release); each release is checked on its own by
//! `broadsheet_app::calendar::push`.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::response::Response;
use broadsheet_app::calendar::PushedRelease;
use http::HeaderMap;
use serde::Deserialize;

use super::api_market::receive;
use crate::error::AppError;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Push {
    releases: Vec<PushedRelease>,
}

pub(crate) async fn push(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let app = state.clone();
    receive(
        &headers,
        state.calendar_options.push_token.as_deref(),
        "pushing calendar releases is not enabled on this site (set calendar.push_token)",
        body,
        |push: Push| async move {
            let outcome = broadsheet_app::calendar::push(&app, &push.releases).await?;
            let nothing = outcome.accepted == 0 && !outcome.rejected.is_empty();
            Ok((outcome, nothing))
        },
    )
    .await
}
