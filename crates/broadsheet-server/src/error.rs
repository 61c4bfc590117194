//! `AppError`, the one error type of the HTTP layer, with the one mapping from errors to
//! statuses (`status`, `retry_after`). The middleware that turns every error response into
//! the theme's error page is `routes/error_pages.rs`.

use axum::response::{IntoResponse, Response};
use broadsheet_render::RenderError;
use broadsheet_store::StoreError;
use http::StatusCode;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Search(#[from] broadsheet_search::SearchError),
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("the search worker stopped: {0}")]
    Worker(String),
    /// Not signed in: pages redirect to the sign-in form, other requests get 401.
    #[error("not signed in")]
    SignIn { next: String, get: bool },
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("too many sign-in attempts")]
    TooManyAttempts { retry_after_secs: u64 },
    #[error("too large: {0}")]
    TooLarge(String),
    /// A user's mistake the page explains (a form's own page is re-shown instead where the
    /// form can be kept).
    #[error("unprocessable: {0}")]
    Unprocessable(String),
    #[error("internal: {0}")]
    Internal(String),
    /// Something outside us is down (the mail relay): try again later.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

impl From<broadsheet_app::Error> for AppError {
    fn from(e: broadsheet_app::Error) -> Self {
        match e {
            broadsheet_app::Error::Store(e) => Self::Store(e),
            broadsheet_app::Error::Search(e) => Self::Search(e),
            broadsheet_app::Error::Render(e) => Self::Render(e),
            broadsheet_app::Error::Worker(e) => Self::Worker(e),
            broadsheet_app::Error::Unavailable(e) => Self::Unavailable(e),
            broadsheet_app::Error::Config(e) | broadsheet_app::Error::Internal(e) => {
                Self::Internal(e)
            }
        }
    }
}

impl AppError {
    /// The one mapping from errors (the store's included) to statuses, for pages and APIs
    /// alike.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Self::NotFound | Self::Store(StoreError::NotFound { .. }) => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::TooManyRequests { .. } | Self::TooManyAttempts { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            Self::SignIn { get: true, .. } => StatusCode::SEE_OTHER,
            Self::SignIn { get: false, .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unprocessable(_) | Self::Store(StoreError::Invalid(_)) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Self::Store(StoreError::Conflict(_)) => StatusCode::CONFLICT,
            Self::Unavailable(_) | Self::Store(StoreError::Unavailable(_)) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Store(_)
            | Self::Render(_)
            | Self::Search(_)
            | Self::Worker(_)
            | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Seconds a client should wait before trying again, when the answer says so.
    pub(crate) fn retry_after(&self) -> Option<u64> {
        match self {
            Self::TooManyRequests { retry_after_secs }
            | Self::TooManyAttempts { retry_after_secs } => Some((*retry_after_secs).max(1)),
            Self::Store(StoreError::Unavailable(_)) => Some(5),
            _ => None,
        }
    }

    /// What a machine client is told of a 5xx (the detail goes to the log, not the client).
    pub(crate) fn public_detail(&self) -> &'static str {
        if self.status() == StatusCode::SERVICE_UNAVAILABLE {
            "the site cannot reach its database or a service it needs just now; try again in a moment"
        } else {
            "something went wrong on our side"
        }
    }
}

/// Marks a response as an error whose page the middleware should render.
#[derive(Debug, Clone)]
pub(crate) struct ErrorInfo {
    pub message: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        // The status is `status()`, the one mapping the APIs use too; here only the words.
        let message = match &self {
            Self::NotFound => {
                "We could not find that page. It may have moved, or the address may be mistyped."
                    .to_owned()
            }
            Self::BadRequest(why) => format!("The address is not valid: {why}."),
            Self::TooManyRequests { .. } => {
                "You have searched a lot in a short time. Please wait a few seconds and try again."
                    .to_owned()
            }
            Self::SignIn { next, get: true } => {
                let target = format!(
                    "/admin/sign-in?next={}",
                    form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                );
                return axum::response::Redirect::to(&target).into_response();
            }
            Self::SignIn { get: false, .. } => {
                "Your session has ended, so this was not saved. Sign in again in another tab, \
                 then go back and send the form again."
                    .to_owned()
            }
            Self::Forbidden(why)
            | Self::TooLarge(why)
            | Self::Unprocessable(why)
            | Self::Unavailable(why) => why.clone(),
            Self::TooManyAttempts { .. } => {
                "Too many attempts in a short time. Please wait a minute and try again.".to_owned()
            }
            Self::Store(StoreError::Invalid(e)) => format!("Not saved: {e}."),
            Self::Store(StoreError::Conflict(why)) => format!("Not saved: {why}."),
            Self::Store(StoreError::Unavailable(why)) => {
                tracing::warn!(error = %why, "database unavailable");
                "The site cannot reach its database just now. Please try again in a moment."
                    .to_owned()
            }
            Self::Store(StoreError::NotFound { .. }) => {
                "We could not find that. It may have been deleted.".to_owned()
            }
            Self::Store(_)
            | Self::Render(_)
            | Self::Search(_)
            | Self::Worker(_)
            | Self::Internal(_) => {
                // Logged here, once, with the detail; the reader gets a plain apology.
                tracing::error!(error = %self, "request failed");
                "Something went wrong on our side. Please try again in a moment.".to_owned()
            }
        };
        let mut response = self.status().into_response();
        if let Some(secs) = self.retry_after() {
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
        }
        response.extensions_mut().insert(ErrorInfo { message });
        response
    }
}
