//! Schema migrations for SQLite: numbered SQL files embedded in the binary, applied in order,
//! each in its own transaction, recorded in `_migrations`.

use std::path::Path;

use sqlx::SqlitePool;

use crate::{Result, StoreError};

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "market",
        include_str!("../../migrations/sqlite/0002_market.sql"),
    ),
    (
        3,
        "article_instruments",
        include_str!("../../migrations/sqlite/0003_article_instruments.sql"),
    ),
    (
        4,
        "newsroom",
        include_str!("../../migrations/sqlite/0004_newsroom.sql"),
    ),
    (
        5,
        "newsletter",
        include_str!("../../migrations/sqlite/0005_newsletter.sql"),
    ),
    (
        6,
        "api_keys",
        include_str!("../../migrations/sqlite/0006_api_keys.sql"),
    ),
    (
        7,
        "webhooks",
        include_str!("../../migrations/sqlite/0007_webhooks.sql"),
    ),
    (
        8,
        "wire",
        include_str!("../../migrations/sqlite/0008_wire.sql"),
    ),
    (
        9,
        "job_leases",
        include_str!("../../migrations/sqlite/0009_job_leases.sql"),
    ),
    (
        10,
        "calendar",
        include_str!("../../migrations/sqlite/0010_calendar.sql"),
    ),
];

pub(super) async fn run(pool: &SqlitePool, path: &Path) -> Result<()> {
    let known = MIGRATIONS.last().map_or(0, |m| m.0);
    let has_log: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_migrations'",
    )
    .fetch_one(pool)
    .await
    .map_err(|e| super::open_error(path, e))?;
    if has_log == 0 {
        // A database that holds tables but no migration log belongs to something else: adding
        // our tables to it would mix two applications' data.
        let tables: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
        .fetch_one(pool)
        .await?;
        if tables > 0 {
            return Err(StoreError::NotADatabase {
                path: path.to_owned(),
                reason: format!("it holds {tables} tables of another application"),
            });
        }
        sqlx::query(
            "CREATE TABLE _migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
             applied_at INTEGER NOT NULL)",
        )
        .execute(pool)
        .await?;
    }
    let current: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _migrations")
        .fetch_one(pool)
        .await?;
    if current > known {
        return Err(StoreError::TooNew {
            path: path.to_owned(),
            found: current,
            known,
        });
    }
    for &(version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO _migrations (version, name, applied_at) VALUES (?, ?, ?)")
            .bind(version)
            .bind(name)
            .bind(chrono::Utc::now().timestamp())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version, name, "applied migration");
    }
    Ok(())
}
