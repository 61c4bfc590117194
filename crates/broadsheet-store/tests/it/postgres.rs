//! The conformance suite on PostgreSQL (each test in a schema of its own), plus what only a
//! shared server can get wrong: nodes migrating at once, another application's schema.

use broadsheet_store::postgres::testing::{self, Schema};
use broadsheet_store::{PgStore, Store, StoreError};

async fn open() -> Option<(Schema, PgStore)> {
    let url = testing::url("postgres conformance")?;
    let schema = Schema::create(&url).await;
    let store = schema.open().await;
    Some((schema, store))
}

crate::store_suite!(open);

#[tokio::test]
async fn nodes_starting_together_apply_each_migration_once() {
    let Some(url) = testing::url("concurrent migration") else {
        return;
    };
    let schema = Schema::create(&url).await;
    let settings = schema.settings();
    let opens = (0..4).map(|_| {
        let (url, settings) = (url.clone(), settings.clone());
        tokio::spawn(async move { PgStore::open_with(&url, &settings).await })
    });
    let mut stores = Vec::new();
    for h in opens.collect::<Vec<_>>() {
        stores.push(h.await.expect("task"));
    }
    for s in &stores {
        assert!(s.is_ok(), "every node opens: {:?}", s.as_ref().err());
    }
    let store = stores.into_iter().next().expect("one").expect("ok");
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _migrations ORDER BY version")
        .fetch_all(store.pool())
        .await
        .expect("read log");
    assert_eq!(applied, vec![1], "each migration recorded once");
    assert_eq!(store.counts().await.expect("counts").articles, 0);
}

#[tokio::test]
async fn another_applications_schema_is_not_taken_over() {
    let Some(url) = testing::url("foreign schema") else {
        return;
    };
    let schema = Schema::create(&url).await;
    let pool = sqlx::PgPool::connect(&schema.url_with_schema())
        .await
        .expect("connect");
    sqlx::query("CREATE TABLE invoices (id BIGINT)")
        .execute(&pool)
        .await
        .expect("create");
    let err = PgStore::open_with(&url, &schema.settings())
        .await
        .err()
        .expect("must refuse");
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err:?}");
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()",
    )
    .fetch_one(&pool)
    .await
    .expect("count");
    assert_eq!(
        tables, 1,
        "nothing added beside the other application's table"
    );
}

#[tokio::test]
async fn a_server_that_is_not_there_is_unavailable_not_a_hang() {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    let settings = broadsheet_store::PgSettings {
        acquire_timeout: std::time::Duration::from_secs(2),
        ..Default::default()
    };
    let err = PgStore::open_with("postgres://broadsheet:secret@127.0.0.1:1/none", &settings)
        .await
        .err()
        .expect("must fail");
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    let text = err.to_string();
    assert!(
        !text.contains("secret"),
        "no password in the message: {text}"
    );
}

#[tokio::test]
async fn a_url_that_is_not_postgres_is_refused_clearly() {
    let err = PgStore::open("mysql://x@127.0.0.1/db")
        .await
        .err()
        .expect("refused");
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
}
