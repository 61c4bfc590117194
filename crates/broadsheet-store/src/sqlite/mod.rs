//! The SQLite store: one file in WAL mode, a single-connection writer pool (SQLite allows one
//! writer at a time; queuing in-process beats `SQLITE_BUSY`) and a pool of read-only readers.
//! The queries live in `../sql/`, shared with PostgreSQL; this module holds what only SQLite
//! has: opening a file, its migrations, online backup and the dialect hooks.

#[path = "../sql/accounts.rs"]
mod accounts;
#[path = "../sql/articles.rs"]
mod articles;
#[path = "../sql/calendar.rs"]
mod calendar;
#[path = "../sql/market.rs"]
mod market;
mod migrate;
#[path = "../sql/newsletter.rs"]
mod newsletter;
#[path = "../sql/newsroom.rs"]
mod newsroom;
#[path = "../sql/rows.rs"]
mod rows;
#[path = "../sql/site.rs"]
mod site;
#[path = "../sql/taxonomy.rs"]
mod taxonomy;
#[path = "../sql/webhooks.rs"]
mod webhooks;
#[path = "../sql/wire.rs"]
mod wire;

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::Sqlite;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::{Result, StoreError};
use articles::record_changes;

type Backend = SqliteStore;
type Db = Sqlite;
type Conn = sqlx::SqliteConnection;
type DbRow = sqlx::sqlite::SqliteRow;

/// The SQL that differs from PostgreSQL's.
mod dialect {
    use super::Conn;
    use crate::Result;

    /// `EXISTS`-test that a JSON array column holds a string; the caller binds the string
    /// and closes the parenthesis.
    pub(super) fn json_has(column: &str) -> String {
        format!("EXISTS (SELECT 1 FROM json_each({column}) j WHERE j.value = ")
    }

    /// SQLite has one writer at a time (`BEGIN IMMEDIATE`): log positions are already in
    /// commit order, and other processes poll the log.
    pub(super) async fn before_change_log(_tx: &mut Conn) -> Result<()> {
        Ok(())
    }

    pub(super) async fn after_change_log(_tx: &mut Conn, _keys: &str) -> Result<()> {
        Ok(())
    }

    /// Claims need no row locks: the single writer serialises them.
    pub(super) const SKIP_LOCKED: &str = "";
}

pub struct SqliteStore {
    read: SqlitePool,
    write: SqlitePool,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Self> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            // A transaction whose COMMIT failed (SQLITE_FULL on a full disk, above all) was
            // rolled back by SQLite itself, so sqlx's own ROLLBACK fails and its count of open
            // transactions stays at one: every later `begin` on that connection would fail
            // with "begin_with at non-zero transaction depth" until a restart. Such a
            // connection is closed (which rolls back whatever is left) and a fresh one opened.
            .before_acquire(|conn, _| {
                Box::pin(async move { Ok(!sqlx::Connection::is_in_transaction(conn)) })
            })
            .connect_with(options.clone())
            .await
            .map_err(|e| open_error(path, e))?;
        migrate::run(&write, path).await?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options.read_only(true))
            .await
            .map_err(|e| open_error(path, e))?;
        Ok(Self {
            read,
            write,
            path: path.to_owned(),
        })
    }

    /// The read-only pool (for `migrate-to`, which reads every table).
    pub(crate) fn reader(&self) -> &SqlitePool {
        &self.read
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes a consistent copy of the whole database to `dest` (which must not exist) while
    /// the site keeps running: `VACUUM INTO` reads one snapshot, so writes made meanwhile are
    /// either wholly in the copy or not at all.
    pub async fn backup_into(&self, dest: &Path) -> Result<()> {
        let dest = dest.to_str().ok_or_else(|| {
            StoreError::Invalid(broadsheet_core::CoreError::invalid(
                "path",
                "the backup path is not UTF-8",
            ))
        })?;
        sqlx::query("VACUUM INTO ?")
            .bind(dest)
            .execute(&self.read)
            .await?;
        Ok(())
    }

    /// `PRAGMA integrity_check` on the database at `path`, opened read-only: `Ok(())` or the
    /// problems SQLite found.
    pub async fn integrity_check(path: &Path) -> Result<std::result::Result<(), String>> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .create_if_missing(false);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(|e| open_error(path, e))?;
        let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_all(&pool)
            .await
            .map_err(|e| open_error(path, e))?;
        pool.close().await;
        Ok(if rows.len() == 1 && rows[0] == "ok" {
            Ok(())
        } else {
            Err(rows.join("; "))
        })
    }

    /// Another process's writes are found by polling the change log.
    pub(crate) async fn wait_for_change_impl(&self, max: Duration) {
        tokio::time::sleep(max).await;
    }

    pub(crate) async fn begin(&self) -> Result<sqlx::Transaction<'static, Sqlite>> {
        // IMMEDIATE takes the write lock up front, so a second process (an import running
        // beside the server) waits on busy_timeout instead of failing mid-transaction.
        Ok(self.write.begin_with("BEGIN IMMEDIATE").await?)
    }
}

fn open_error(path: &Path, e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && (db.code().as_deref() == Some("26") || db.message().contains("not a database"))
    {
        return StoreError::NotADatabase {
            path: path.to_owned(),
            reason: "the file is not an SQLite database".into(),
        };
    }
    StoreError::Open {
        path: path.to_owned(),
        source: e,
    }
}
