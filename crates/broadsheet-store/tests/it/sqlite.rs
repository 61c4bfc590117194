//! The conformance suite on SQLite, plus what only SQLite files can get wrong.

use broadsheet_store::{SqliteStore, StoreError};

async fn open() -> Option<(tempfile::TempDir, SqliteStore)> {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(&dir.path().join("test.db"))
        .await
        .expect("open");
    Some((dir, store))
}

crate::store_suite!(open);

#[tokio::test]
async fn a_file_that_is_not_a_database_is_named_in_the_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("broadsheet.db");
    std::fs::write(&path, vec![b'x'; 8192]).expect("write");
    let err = SqliteStore::open(&path).await.err().expect("must fail");
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&path).expect("read"),
        vec![b'x'; 8192],
        "file untouched"
    );
}

#[tokio::test]
async fn another_applications_database_is_not_taken_over() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("other.db");
    {
        let other = SqliteStore::open(&dir.path().join("scratch.db"))
            .await
            .expect("open");
        drop(other);
    }
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=rwc", path.display()))
        .await
        .expect("connect");
    sqlx::query("CREATE TABLE invoices (id INTEGER)")
        .execute(&pool)
        .await
        .expect("create");
    pool.close().await;
    let err = SqliteStore::open(&path).await.err().expect("must fail");
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err:?}");
}

#[tokio::test]
async fn reopening_keeps_data_and_does_not_reapply_migrations() {
    let (dir, store) = open().await.expect("sqlite opens");
    store_one(&store).await;
    drop(store);
    let path = dir.path().join("test.db");
    let before = applied_migrations(&path).await;
    assert!(!before.is_empty(), "the first open applied the migrations");
    // A second later, so that a migration applied again would carry a new time.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let store = SqliteStore::open(&path).await.expect("reopen");
    use broadsheet_store::Store;
    assert_eq!(store.counts().await.expect("counts").articles, 1);
    drop(store);
    assert_eq!(
        applied_migrations(&path).await,
        before,
        "the same migrations, applied at the same instants: none ran again"
    );
}

/// Every applied migration: (version, name, when it was applied).
async fn applied_migrations(path: &std::path::Path) -> Vec<(i64, String, i64)> {
    use sqlx::{ConnectOptions, Row};
    let mut c = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .connect()
        .await
        .expect("connect");
    sqlx::query("SELECT version, name, applied_at FROM _migrations ORDER BY version")
        .fetch_all(&mut c)
        .await
        .expect("the migrations table")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

async fn store_one(store: &SqliteStore) {
    use broadsheet_store::Store;
    store
        .save_article(&crate::conformance::input("one", "Headline one", 1))
        .await
        .expect("save");
}

/// A write that waits out the busy timeout behind another process's write transaction is
/// `Unavailable` (the server answers 503 with Retry-After), not a database error (500). Takes
/// the ten seconds of the timeout.
#[tokio::test]
async fn a_write_that_waits_out_the_lock_is_unavailable_not_a_failure() {
    use broadsheet_store::SiteState;
    use sqlx::{ConnectOptions, Connection};
    let Some((dir, store)) = open().await else {
        return;
    };
    let path = dir.path().join("test.db");
    let mut other = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .connect()
        .await
        .expect("a second connection");
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .expect("the other writer takes the lock");
    let err = store
        .set_setting("site.name", "Waiting")
        .await
        .expect_err("the lock outlasts the timeout");
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    sqlx::query("ROLLBACK")
        .execute(&mut other)
        .await
        .expect("release");
    other.close().await.expect("close");
    store
        .set_setting("site.name", "Written")
        .await
        .expect("writes work again once the lock is gone");
}
