//! Schema migrations for PostgreSQL: numbered SQL files embedded in the binary, applied in
//! order inside one transaction each, recorded in `_migrations`. Nodes starting together
//! take a session advisory lock first, so each migration is applied once.

use sqlx::PgPool;
use sqlx::pool::PoolConnection;

use crate::{Result, StoreError};

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "job_leases",
        include_str!("../../migrations/postgres/0002_job_leases.sql"),
    ),
    (
        3,
        "search",
        include_str!("../../migrations/postgres/0003_search.sql"),
    ),
    (
        4,
        "calendar",
        include_str!("../../migrations/postgres/0004_calendar.sql"),
    ),
];

pub(super) async fn run(pool: &PgPool) -> Result<()> {
    let mut conn = pool.acquire().await?;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(super::MIGRATION_LOCK)
        .execute(&mut *conn)
        .await?;
    let result = apply(&mut conn).await;
    // Unlocked whatever happened; a connection that broke took its lock with it.
    let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(super::MIGRATION_LOCK)
        .execute(&mut *conn)
        .await;
    result
}

async fn apply(conn: &mut PoolConnection<sqlx::Postgres>) -> Result<()> {
    let known = MIGRATIONS.last().map_or(0, |m| m.0);
    let schema: String = sqlx::query_scalar("SELECT current_schema()")
        .fetch_optional(&mut **conn)
        .await?
        .flatten()
        .ok_or_else(|| StoreError::NotADatabase {
            path: "postgres".into(),
            reason: "the connection has no schema to create tables in (check search_path)".into(),
        })?;
    let has_log: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM information_schema.tables
                        WHERE table_schema = $1 AND table_name = '_migrations')",
    )
    .bind(&schema)
    .fetch_one(&mut **conn)
    .await?;
    if !has_log {
        // A schema holding tables but no migration log belongs to something else.
        let tables: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = $1",
        )
        .bind(&schema)
        .fetch_one(&mut **conn)
        .await?;
        if tables > 0 {
            return Err(StoreError::NotADatabase {
                path: format!("postgres schema {schema}").into(),
                reason: format!("it holds {tables} tables of another application"),
            });
        }
        sqlx::query(
            "CREATE TABLE _migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL,
             applied_at BIGINT NOT NULL)",
        )
        .execute(&mut **conn)
        .await?;
    }
    let current: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _migrations")
        .fetch_one(&mut **conn)
        .await?;
    if current > known {
        return Err(StoreError::TooNew {
            path: format!("postgres schema {schema}").into(),
            found: current,
            known,
        });
    }
    for &(version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        let mut tx = sqlx::Connection::begin(&mut **conn).await?;
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO _migrations (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(version)
            .bind(name)
            .bind(chrono::Utc::now().timestamp())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version, name, "applied PostgreSQL migration");
    }
    Ok(())
}
