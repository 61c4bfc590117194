//! `broadsheet migrate-to`: the demo site plus a newsletter with a send journal, copied from
//! SQLite into an empty PostgreSQL schema by the real binary, then read through both stores.

use broadsheet_core::Email;
use broadsheet_store::Market as _;
use broadsheet_store::postgres::testing::{self, Schema};
use broadsheet_store::{IssueKind, ListFilter, NewIssue, Newsletter, SqliteStore, Store};
use chrono::Utc;

use crate::support::{bin, run, stderr, stdout};

#[test]
fn a_sqlite_site_moves_to_postgres_whole_and_only_into_an_empty_database() {
    let Some(url) = testing::url("migrate-to") else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("site");
    let demo = run(&["demo"], &data);
    assert!(demo.status.success(), "{}", stderr(&demo));
    let issue_id = rt.block_on(async {
        let store = SqliteStore::open(&data.join("broadsheet.db"))
            .await
            .expect("open");
        let now = Utc::now();
        for i in 0..25 {
            let email = Email::parse(&format!("r{i}@example.com")).expect("email");
            let s = store.sign_up(&email, &[], now, 0).await.expect("sign up");
            if i % 5 != 0 {
                store
                    .confirm_subscriber(s.subscriber.id, now)
                    .await
                    .expect("confirm");
            }
        }
        let (issue, _) = store
            .create_issue(&NewIssue {
                key: "digest:2026-12-01".into(),
                kind: IssueKind::Digest,
                subject: "Monday".into(),
                intro: "Good morning".into(),
                content: "{}".into(),
            })
            .await
            .expect("issue");
        let claimed = store
            .claim_deliveries(issue.id, 7, now, 60)
            .await
            .expect("claim");
        let ids: Vec<i64> = claimed.iter().map(|d| d.subscriber.id).collect();
        store.mark_sent(issue.id, &ids, now).await.expect("sent");
        issue.id
    });

    let schema = rt.block_on(Schema::create(&url));
    let target = schema.url_with_schema();
    let moved = bin()
        .args(["migrate-to", &target, "--data"])
        .arg(&data)
        .output()
        .expect("migrate-to");
    assert!(
        moved.status.success(),
        "{}\n{}",
        stdout(&moved),
        stderr(&moved)
    );
    let report = stdout(&moved);
    assert!(report.contains("counts and checksums match"), "{report}");
    assert!(!report.contains("DIFFERS"), "{report}");
    for table in [
        "articles",
        "send_journal",
        "subscribers",
        "bars",
        "settings",
    ] {
        assert!(
            report
                .lines()
                .any(|l| l.starts_with(table) && l.ends_with("checksum ok")),
            "{table} in {report}"
        );
    }

    rt.block_on(async {
        let lite = SqliteStore::open(&data.join("broadsheet.db"))
            .await
            .expect("open");
        let pg = schema.open().await;
        assert_eq!(
            lite.counts().await.expect("c"),
            pg.counts().await.expect("c")
        );
        let now = Utc::now();
        let listed = front_page(&pg, now).await;
        assert!(!listed.is_empty());
        assert_eq!(front_page(&lite, now).await, listed, "the same front page");
        assert_eq!(
            lite.subscriber_counts().await.expect("s").active,
            pg.subscriber_counts().await.expect("s").active
        );
        assert_eq!(
            lite.send_counts(issue_id).await.expect("j"),
            pg.send_counts(issue_id).await.expect("j"),
            "the send journal came along: a resumed send skips who already got it"
        );
        for i in lite.instruments().await.expect("instruments") {
            assert_eq!(
                lite.latest_bars(i.id, 30).await.expect("bars"),
                pg.latest_bars(i.id, 30).await.expect("bars"),
                "{}",
                i.symbol
            );
        }
        // New rows continue after the copied ids.
        let input = crate::support::story(
            "after-move",
            "Written on PostgreSQL",
            broadsheet_core::ArticleStatus::Published,
            now,
        );
        let saved = pg.save_article(&input).await.expect("a new story saves");
        assert!(saved.id > listed.iter().map(|l| l.0).max().unwrap_or(0));
    });

    // Again into the same database: refused, nothing changed.
    let again = bin()
        .args(["migrate-to", &target, "--data"])
        .arg(&data)
        .output()
        .expect("again");
    assert!(!again.status.success());
    assert!(stderr(&again).contains("not empty"), "{}", stderr(&again));

    // Hostile inputs: no site, and a URL that is not PostgreSQL.
    let empty = bin()
        .args(["migrate-to", &target, "--data"])
        .arg(dir.path().join("nothing-here"))
        .output()
        .expect("no site");
    assert!(!empty.status.success());
    assert!(
        stderr(&empty).contains("holds no site"),
        "{}",
        stderr(&empty)
    );
    let wrong = bin()
        .args(["migrate-to", "mysql://root@127.0.0.1/x", "--data"])
        .arg(&data)
        .output()
        .expect("wrong url");
    assert!(!wrong.status.success());
    assert!(stderr(&wrong).contains("postgres://"), "{}", stderr(&wrong));
}

async fn front_page(s: &dyn Store, now: chrono::DateTime<Utc>) -> Vec<(i64, String, String)> {
    s.list_public(&ListFilter::All, now, None, 50)
        .await
        .expect("list")
        .items
        .into_iter()
        .map(|a| (a.id, a.slug.to_string(), a.headline))
        .collect()
}
