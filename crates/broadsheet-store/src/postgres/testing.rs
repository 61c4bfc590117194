//! Throw-away schemas for tests on a real PostgreSQL: each test gets its own schema in the
//! database named by `BROADSHEET_TEST_POSTGRES` (so tests run in parallel), dropped again
//! when the guard goes. Without the variable the tests fail, unless skipping is allowed
//! (`broadsheet_testkit`: `BROADSHEET_ALLOW_SKIP=1`, as `tools/test` sets on a machine without
//! services).

use std::sync::atomic::{AtomicU32, Ordering};

use super::{PgSettings, PgStore};

/// The variable naming the test database, e.g. `postgres://postgres@127.0.0.1:5432/test`.
pub const URL_VAR: &str = "BROADSHEET_TEST_POSTGRES";

/// The test database's URL, or `None` after a skip (a failure unless skipping is allowed).
#[track_caller]
pub fn url(test: &str) -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            broadsheet_testkit::skip(
                test,
                "PostgreSQL",
                &format!("set {URL_VAR}=postgres://postgres@127.0.0.1:5432/test"),
            );
            None
        }
    }
}

/// A schema of its own; dropped (with everything in it) when this goes.
pub struct Schema {
    pub url: String,
    pub name: String,
}

impl Schema {
    /// Creates a fresh, empty schema.
    pub async fn create(url: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "bs_test_{}_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed),
            chrono::Utc::now().timestamp_subsec_nanos()
        );
        let pool = sqlx::PgPool::connect(url)
            .await
            .expect("connect to the test database");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {name}")))
            .execute(&pool)
            .await
            .expect("create schema");
        pool.close().await;
        Self {
            url: url.to_owned(),
            name,
        }
    }

    /// Settings that put a store in this schema.
    pub fn settings(&self) -> PgSettings {
        PgSettings {
            schema: Some(self.name.clone()),
            application_name: self.name.clone(),
            ..PgSettings::default()
        }
    }

    /// The URL with this schema as the search path, for a separate process.
    pub fn url_with_schema(&self) -> String {
        let sep = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{sep}options=-c%20search_path%3D{}", self.url, self.name)
    }

    pub async fn open(&self) -> PgStore {
        PgStore::open_with(&self.url, &self.settings())
            .await
            .expect("open the PostgreSQL store")
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let url = self.url.clone();
        let name = self.name.clone();
        // Drop runs inside or outside a runtime; a thread of its own works in both.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(pool) = sqlx::PgPool::connect(&url).await {
                    // A test that failed mid-transaction can leave its connections open
                    // holding locks; they go first.
                    let _ = sqlx::query(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                         WHERE application_name = $1 AND pid <> pg_backend_pid()",
                    )
                    .bind(&name)
                    .execute(&pool)
                    .await;
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP SCHEMA IF EXISTS {name} CASCADE"
                    )))
                    .execute(&pool)
                    .await;
                    pool.close().await;
                }
            });
        })
        .join();
    }
}
