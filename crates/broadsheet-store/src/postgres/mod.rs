//! The PostgreSQL store, for several stateless nodes on one database. The queries are the
//! SQLite store's (`../sql/`, compiled again here against the PostgreSQL driver); this module
//! holds connecting, migrations under an advisory lock, and the dialect hooks: JSON tests,
//! change-log ordering and `NOTIFY`.

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
pub mod testing;
#[path = "../sql/webhooks.rs"]
mod webhooks;
#[path = "../sql/wire.rs"]
mod wire;

use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use sqlx::Postgres;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::{Result, StoreError};
use articles::record_changes;

type Backend = PgStore;
type Db = Postgres;
type Conn = sqlx::PgConnection;
type DbRow = sqlx::postgres::PgRow;

/// The channel every write notifies after it commits: other nodes drop the pages it touched.
pub const CHANGES_CHANNEL: &str = "broadsheet_changes";

/// The SQL that differs from SQLite's.
mod dialect {
    use super::{CHANGES_CHANNEL, Conn};
    use crate::Result;

    /// Tests that a JSON array column holds a string; the caller binds the string and closes
    /// the parenthesis.
    pub(super) fn json_has(column: &str) -> String {
        format!("jsonb_exists(({column})::jsonb, ")
    }

    /// Serialises appends to the change log until the writing transaction ends, so log
    /// positions are handed out in commit order: a node that has read up to N can never see
    /// a smaller position commit later and miss it. Content writes are rare next to reads,
    /// and the lock is taken last in each transaction, so it is held only for the commit.
    pub(super) async fn before_change_log(tx: &mut Conn) -> Result<()> {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(super::CHANGE_LOG_LOCK)
            .execute(tx)
            .await?;
        Ok(())
    }

    /// Claiming nodes pass over rows another node is claiming instead of waiting for it.
    pub(super) const SKIP_LOCKED: &str = " FOR UPDATE SKIP LOCKED";

    /// Tells every listening node, when (and only if) the transaction commits.
    pub(super) async fn after_change_log(tx: &mut Conn, _keys: &str) -> Result<()> {
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(CHANGES_CHANNEL)
            .execute(tx)
            .await?;
        Ok(())
    }
}

/// Advisory lock keys (arbitrary, fixed constants in the `broadsheet` space).
const CHANGE_LOG_LOCK: i64 = 0x6272_6f61_6400_0001;
const MIGRATION_LOCK: i64 = 0x6272_6f61_6400_0002;

/// How a node connects.
#[derive(Debug, Clone)]
pub struct PgSettings {
    /// The most connections this node holds.
    pub max_connections: u32,
    /// How long a request waits for a free connection (or a new one) before the store
    /// answers `Unavailable`.
    pub acquire_timeout: Duration,
    /// The schema the tables live in, if not the connection's default (`public`).
    pub schema: Option<String>,
    /// How the node's connections are named in `pg_stat_activity`.
    pub application_name: String,
}

impl Default for PgSettings {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(3),
            schema: None,
            application_name: "broadsheet".to_owned(),
        }
    }
}

pub struct PgStore {
    read: PgPool,
    write: PgPool,
    options: PgConnectOptions,
    /// Woken by the `LISTEN` task whenever any node commits a write.
    changed: Arc<tokio::sync::Notify>,
    listener: OnceLock<()>,
}

impl PgStore {
    /// Connects to `url` (`postgres://user@host/db`) and brings the schema up to date.
    pub async fn open(url: &str) -> Result<Self> {
        Self::open_with(url, &PgSettings::default()).await
    }

    pub async fn open_with(url: &str, settings: &PgSettings) -> Result<Self> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(StoreError::Invalid(broadsheet_core::CoreError::invalid(
                "database",
                "a PostgreSQL URL starts with postgres:// or postgresql://",
            )));
        }
        let mut options: PgConnectOptions = url.parse().map_err(|e: sqlx::Error| {
            StoreError::Invalid(broadsheet_core::CoreError::invalid(
                "database",
                format!("not a PostgreSQL URL: {e}"),
            ))
        })?;
        options = options.application_name(&settings.application_name);
        if let Some(schema) = &settings.schema {
            if !schema
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(StoreError::Invalid(broadsheet_core::CoreError::invalid(
                    "schema",
                    "a schema name is letters, digits and underscores",
                )));
            }
            options = options.options([("search_path", schema.as_str())]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections.max(2))
            .min_connections(0)
            .acquire_timeout(settings.acquire_timeout)
            // A connection that broke while the server restarted is found before use.
            .test_before_acquire(true)
            .connect_with(options.clone())
            .await
            .map_err(|e| match StoreError::from(e) {
                StoreError::Unavailable(why) => {
                    StoreError::Unavailable(format!("{}: {why}", url_for_log(url)))
                }
                other => other,
            })?;
        migrate::run(&pool).await?;
        Ok(Self {
            read: pool.clone(),
            write: pool,
            options,
            changed: Arc::new(tokio::sync::Notify::new()),
            listener: OnceLock::new(),
        })
    }

    /// Waits for a `NOTIFY` on the change channel (started on first use) or `max`.
    pub(crate) async fn wait_for_change_impl(&self, max: Duration) {
        self.listener.get_or_init(|| {
            let pool = self.write.clone();
            let changed = Arc::downgrade(&self.changed);
            tokio::spawn(listen(pool, changed));
        });
        let _ = tokio::time::timeout(max, self.changed.notified()).await;
    }

    pub(crate) async fn begin(&self) -> Result<sqlx::Transaction<'static, Postgres>> {
        Ok(self.write.begin().await?)
    }

    /// The connection options, for a `LISTEN` connection of its own.
    pub fn connect_options(&self) -> &PgConnectOptions {
        &self.options
    }

    /// The pool (for the search index and the job runner, which share its connections).
    pub fn pool(&self) -> &PgPool {
        &self.write
    }
}

/// Holds a connection listening on the change channel and wakes waiting watchers; reconnects
/// after the server restarts, and ends when the store is dropped.
async fn listen(pool: PgPool, changed: Weak<tokio::sync::Notify>) {
    loop {
        let mut listener = match sqlx::postgres::PgListener::connect_with(&pool).await {
            Ok(l) => l,
            Err(e) => {
                tracing::debug!(error = %e, "cannot listen for changes yet");
                tokio::time::sleep(Duration::from_secs(1)).await;
                if changed.strong_count() == 0 {
                    return;
                }
                continue;
            }
        };
        if let Err(e) = listener.listen(CHANGES_CHANNEL).await {
            tracing::debug!(error = %e, "cannot listen for changes yet");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        loop {
            // Checked now and then so a dropped store's task ends.
            match tokio::time::timeout(Duration::from_secs(5), listener.try_recv()).await {
                Ok(Ok(Some(_))) => match changed.upgrade() {
                    Some(n) => n.notify_waiters(),
                    None => return,
                },
                // The connection was lost: the next try_recv reconnects and re-listens;
                // wake watchers so they poll the log for anything missed meanwhile.
                Ok(Ok(None)) => match changed.upgrade() {
                    Some(n) => n.notify_waiters(),
                    None => return,
                },
                Ok(Err(e)) => {
                    tracing::debug!(error = %e, "change listener lost its connection");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    break;
                }
                Err(_) => {
                    if changed.strong_count() == 0 {
                        return;
                    }
                }
            }
        }
    }
}

/// The URL without its password, for messages.
pub fn url_for_log(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((userinfo, host)) => {
                let user = userinfo.split(':').next().unwrap_or("");
                format!("{scheme}://{user}@{host}")
            }
            None => url.to_owned(),
        },
        None => "(not a URL)".to_owned(),
    }
}
