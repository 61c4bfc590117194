//! The search crate's own PostgreSQL schema: numbered SQL files embedded in the binary,
//! applied in order when `PgSearch` opens, each in one transaction, recorded in
//! `_search_migrations`. The store's migrations know nothing of these tables; nodes opening
//! together take an advisory lock of their own first, so each migration is applied once.

use sqlx::PgPool;

use crate::{Result, SearchError};

/// Not the store's keys (`0x6272_6f61_6400_0001` and `…_0002`).
const LOCK: i64 = 0x6272_6f61_6400_0003;

const MIGRATIONS: &[(i64, &str, &str)] = &[(
    1,
    "search",
    include_str!("../migrations/postgres/0001_search.sql"),
)];

pub(crate) async fn run(pool: &PgPool) -> Result<()> {
    let mut conn = pool.acquire().await?;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(LOCK)
        .execute(&mut *conn)
        .await?;
    let result = apply(&mut conn).await;
    // Unlocked whatever happened; a connection that broke took its lock with it.
    let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(LOCK)
        .execute(&mut *conn)
        .await;
    result
}

async fn apply(conn: &mut sqlx::PgConnection) -> Result<()> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS _search_migrations (version BIGINT PRIMARY KEY,
         name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .execute(&mut *conn)
    .await?;
    let current: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _search_migrations")
            .fetch_one(&mut *conn)
            .await?;
    let known = MIGRATIONS.last().map_or(0, |m| m.0);
    if current > known {
        return Err(SearchError::Open {
            path: "postgres".into(),
            reason: format!(
                "the search tables are at version {current}, newer than this binary knows \
                 ({known}): run the newer binary, or restore a backup taken before it ran"
            ),
        });
    }
    for &(version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO _search_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(version)
        .bind(name)
        .bind(chrono::Utc::now().timestamp())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(version, name, "applied search migration on PostgreSQL");
    }
    Ok(())
}
