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
    /// The database cannot be reached now (down, restarting, or every connection busy past
    /// the wait): the caller answers 503 and tries again later.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::PoolTimedOut => {
                Self::Unavailable("no database connection became free in time".into())
            }
            // A connection that broke, or a server that hung up mid-handshake (as one
            // restarting does) is a database that is away, not a bug.
            sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_) => Self::Unavailable(e.to_string()),
            // SQLSTATE class 08 (connection exception), 57P (the server is shutting down,
            // restarting or cannot connect now) and 53 (insufficient resources: disk full,
            // out of memory, too many connections).
            sqlx::Error::Database(db)
                if db
                    .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                    .is_some()
                    && db.code().is_some_and(|c| {
                        c.starts_with("08") || c.starts_with("57P") || c.starts_with("53")
                    }) =>
            {
                Self::Unavailable(db.message().to_owned())
            }
            // SQLite's FULL: the disk (or the file system's quota) has no room for the write,
            // which SQLite has rolled back. The operator frees space; nothing needs restarting.
            sqlx::Error::Database(db) if sqlite_code(db.as_ref()) == Some(13) => {
                Self::Unavailable(format!("the disk is full: {}", db.message()))
            }
            // SQLite's BUSY and LOCKED (any extended code) after the busy timeout: another
            // writer held the database for longer than a request waits. Try again, not a bug.
            sqlx::Error::Database(db) if matches!(sqlite_code(db.as_ref()), Some(5 | 6)) => {
                Self::Unavailable(format!(
                    "the database stayed busy with another write: {}",
                    db.message()
                ))
            }
            _ => Self::Database(e),
        }
    }
}

/// The primary result code of an SQLite error (the low byte of its extended code).
fn sqlite_code(db: &dyn sqlx::error::DatabaseError) -> Option<i64> {
    db.try_downcast_ref::<sqlx::sqlite::SqliteError>()?;
    db.code()?.parse::<i64>().ok().map(|c| c & 0xff)
}
