//! The application's error: what a use case can fail with, in variants a caller can act on.
//! The server maps them to statuses (`StoreError::Unavailable` to 503 with Retry-After, on
//! pages and APIs alike), the CLI to one line and an exit code.

use broadsheet_render::RenderError;
use broadsheet_search::SearchError;
use broadsheet_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Render(#[from] RenderError),
    /// A blocking worker (search, parsing) panicked or was cancelled.
    #[error("the search worker stopped: {0}")]
    Worker(String),
    /// Something outside us (the mail relay) did not answer: try again later. The message is
    /// for the person who asked.
    #[error("{0}")]
    Unavailable(String),
    /// The site is not set up for what was asked (mail without a public address).
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Internal(String),
}
