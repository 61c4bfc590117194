//! `StoreError`: what can go wrong in storage, as variants a caller can act on.

use std::path::PathBuf;

use broadsheet_core::CoreError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Invalid(#[from] CoreError),
    #[error("{what} not found")]
    NotFound { what: String },
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("{} is not a Broadsheet database: {reason}", path.display())]
    NotADatabase { path: PathBuf, reason: String },
    #[error("cannot open database {}: {source}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: sqlx::Error,
    },
    #[error(
        "database {} was written by a newer Broadsheet (schema {found}, this build knows {known})",
        path.display()
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}
