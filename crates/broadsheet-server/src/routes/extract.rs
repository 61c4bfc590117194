//! Extractors that parse request parts into domain types, answering 404 or 400 pages (never a
//! bare rejection) when they cannot.

use axum::extract::{FromRequestParts, Path};
use broadsheet_core::{Cursor, Slug};
use http::request::Parts;

use crate::error::AppError;

/// A `{slug}` path segment. Anything that is not a valid slug cannot name content: 404.
pub(crate) struct SlugParam(pub Slug);

impl<S: Send + Sync> FromRequestParts<S> for SlugParam {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::NotFound)?;
        Slug::parse(&raw).map(Self).map_err(|_| AppError::NotFound)
    }
}

/// The query of a listing page: `?after=CURSOR`. Other parameters are ignored (so tracking
/// suffixes do not break links); a malformed or repeated `after` is a 400.
pub(crate) struct ListQuery {
    pub after: Option<Cursor>,
}

impl<S: Send + Sync> FromRequestParts<S> for ListQuery {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let query = parts.uri.query().unwrap_or("");
        let mut after = None;
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            if name != "after" {
                continue;
            }
            if after.is_some() {
                return Err(AppError::BadRequest(
                    "the page cursor is given twice".into(),
                ));
            }
            let cursor = Cursor::parse(&value)
                .map_err(|_| AppError::BadRequest("the page cursor is malformed".into()))?;
            after = Some(cursor);
        }
        Ok(Self { after })
    }
}

impl ListQuery {
    /// The cache key for `path` with this query (unknown parameters dropped).
    pub fn key(&self, path: &str) -> String {
        match self.after {
            Some(c) => format!("{path}?after={c}"),
            None => path.to_owned(),
        }
    }
}
