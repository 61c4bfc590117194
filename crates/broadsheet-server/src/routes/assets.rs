//! `/static/{file}`: theme assets under content-hashed names, cached for a year.

use axum::extract::{Path, State};
use axum::response::Response;
use http::HeaderMap;

use crate::error::AppError;
use crate::respond::respond;
use crate::state::AppState;

pub(crate) async fn asset(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let page = state.assets.get(&file).ok_or(AppError::NotFound)?;
    Ok(respond(page, &headers))
}
