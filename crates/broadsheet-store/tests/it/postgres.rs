//! The conformance suite on PostgreSQL (each test in a schema of its own), plus what only a
//! shared server can get wrong: nodes migrating at once, another application's schema.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use broadsheet_core::ArticleStatus;
use broadsheet_store::postgres::testing::{self, Schema};
use broadsheet_store::{
    IssueKind, NewIssue, Newsletter, Newsroom, PgStore, SiteState, Store, StoreError, Webhooks,
};
use chrono::Utc;

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
    assert_eq!(applied, vec![1, 2, 3, 4], "each migration recorded once");
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

/// Two nodes (two stores, two pools) on one schema.
async fn two_nodes(test: &str) -> Option<(Schema, Arc<PgStore>, Arc<PgStore>)> {
    let url = testing::url(test)?;
    let schema = Schema::create(&url).await;
    let a = Arc::new(schema.open().await);
    let b = Arc::new(schema.open().await);
    Some((schema, a, b))
}

#[tokio::test]
async fn two_nodes_publishing_due_stories_at_once_publish_each_once() {
    let Some((_schema, a, b)) = two_nodes("concurrent scheduling").await else {
        return;
    };
    let now = Utc::now();
    let mut ids = BTreeSet::new();
    for i in 0..20 {
        let mut input = crate::conformance::input(&format!("due-{i}"), &format!("Due {i}"), 0);
        input.status = ArticleStatus::Scheduled;
        input.published_at = Some(now + chrono::Duration::minutes(5));
        ids.insert(a.save_article(&input).await.expect("save").id);
    }
    let later = now + chrono::Duration::minutes(6);
    let hooks = a
        .create_webhook(&broadsheet_store::NewWebhook {
            url: "http://127.0.0.1:9/hook".into(),
            events: vec!["article.published".into()],
            secret: "s".repeat(32),
            description: String::new(),
        })
        .await
        .expect("hook");
    let (ra, rb) = tokio::join!(a.publish_due(later), b.publish_due(later));
    let (ra, rb) = (ra.expect("a"), rb.expect("b"));
    let mut all: Vec<i64> = ra.iter().chain(rb.iter()).copied().collect();
    all.sort_unstable();
    assert_eq!(all.len(), 20, "each story published by exactly one node");
    assert_eq!(all.into_iter().collect::<BTreeSet<_>>(), ids);
    let deliveries = a.webhook_deliveries(100).await.expect("deliveries");
    assert!(deliveries.iter().all(|d| d.webhook_id == hooks.id));
    assert_eq!(
        deliveries.len(),
        20,
        "one event per story, not one per node"
    );
}

#[tokio::test]
async fn two_senders_claim_disjoint_deliveries_and_a_lapsed_lease_is_taken_over() {
    let Some((_schema, a, b)) = two_nodes("concurrent claims").await else {
        return;
    };
    let now = Utc::now();
    let (issue, created) =
        crate::conformance::subscribers_and_issue(a.as_ref(), 60, "digest:2026-12-04").await;
    assert!(created);
    let mut seen = BTreeSet::new();
    loop {
        let (ca, cb) = tokio::join!(
            a.claim_deliveries(issue.id, 7, now, 300),
            b.claim_deliveries(issue.id, 7, now, 300)
        );
        let (ca, cb) = (ca.expect("a claims"), cb.expect("b claims"));
        if ca.is_empty() && cb.is_empty() {
            break;
        }
        for d in ca.iter().chain(cb.iter()) {
            assert!(
                seen.insert(d.subscriber.id),
                "subscriber {} claimed twice",
                d.subscriber.id
            );
        }
    }
    assert_eq!(seen.len(), 60, "every subscriber claimed once");
    // Nothing was marked sent: once the leases lapse, a node takes the rows over.
    let later = now + chrono::Duration::seconds(301);
    let retaken = b
        .claim_deliveries(issue.id, 100, later, 300)
        .await
        .expect("retake");
    assert_eq!(retaken.len(), 60);
    assert!(retaken.iter().all(|d| d.attempts == 2));
    // The same issue composed again on the other node is the same issue.
    let (again, created) = b
        .create_issue(&NewIssue {
            key: "digest:2026-12-04".into(),
            kind: IssueKind::Digest,
            subject: "Today".into(),
            intro: String::new(),
            content: "{}".into(),
        })
        .await
        .expect("again");
    assert!(!created);
    assert_eq!(again.id, issue.id);
}

#[tokio::test]
async fn racing_nodes_composing_one_issue_get_the_same_one() {
    let Some((_schema, a, b)) = two_nodes("concurrent compose").await else {
        return;
    };
    let issue = |n: &str| NewIssue {
        key: "digest:race".into(),
        kind: IssueKind::Digest,
        subject: format!("From {n}"),
        intro: String::new(),
        content: "{}".into(),
    };
    let (ia, ib) = (issue("a"), issue("b"));
    let (ra, rb) = tokio::join!(a.create_issue(&ia), b.create_issue(&ib));
    let (ra, rb) = (ra.expect("a"), rb.expect("b"));
    assert_eq!(ra.0.id, rb.0.id);
    assert!(ra.1 ^ rb.1, "exactly one node created it");
}

#[tokio::test]
async fn a_write_on_one_node_wakes_the_other_at_once() {
    let Some((_schema, a, b)) = two_nodes("notify").await else {
        return;
    };
    let head = b.change_head().await.expect("head");
    // Start listening (the first wait starts the listener), then write on A while B waits.
    b.wait_for_change(Duration::from_millis(50)).await;
    let waiter = {
        let b = b.clone();
        tokio::spawn(async move {
            b.wait_for_change(Duration::from_secs(600)).await;
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    a.set_setting("site.name", "Two Nodes")
        .await
        .expect("write");
    // A NOTIFY ends B's wait; without one this would wait ten minutes and time the test out.
    tokio::time::timeout(Duration::from_secs(60), waiter)
        .await
        .expect("B woke on A's write")
        .expect("task");
    let changes = b.changes_since(head).await.expect("changes");
    assert!(changes.keys.iter().any(|k| k == "all"));
}

#[tokio::test]
async fn a_full_pool_answers_unavailable_instead_of_queueing_forever() {
    let Some(url) = testing::url("full pool") else {
        return;
    };
    let schema = Schema::create(&url).await;
    let settings = broadsheet_store::PgSettings {
        max_connections: 2,
        acquire_timeout: Duration::from_millis(500),
        ..schema.settings()
    };
    let store = PgStore::open_with(&url, &settings).await.expect("open");
    let held = [
        store.pool().acquire().await.expect("first"),
        store.pool().acquire().await.expect("second"),
    ];
    let err = store.counts().await.expect_err("no connection free");
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    drop(held);
    assert_eq!(store.counts().await.expect("free again").articles, 0);
}
