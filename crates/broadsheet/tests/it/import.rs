//! `broadsheet import`: bad lines are reported and skipped, good lines land, re-imports update.

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use broadsheet_store::{SqliteStore, Store, Taxonomy};

use crate::support::{bin, run, stderr, stdout};

fn write(path: &Path, lines: &[Vec<u8>]) {
    let mut f = std::fs::File::create(path).expect("create");
    for l in lines {
        f.write_all(l)
            .and_then(|()| f.write_all(b"\n"))
            .expect("write");
    }
}

fn line(v: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&v).expect("json")
}

async fn store(data: &Path) -> SqliteStore {
    SqliteStore::open(&data.join("broadsheet.db"))
        .await
        .expect("open")
}

#[tokio::test]
async fn bad_lines_are_reported_and_good_lines_imported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("in.jsonl");
    let mut invalid_utf8 = br#"{"id":"u-1","title":"Caf"#.to_vec();
    invalid_utf8.extend_from_slice(b"\xff\xfe");
    invalid_utf8.extend_from_slice(br#"","body":"x"}"#);
    let huge = line(
        serde_json::json!({"id": "big-1", "title": "Huge", "body": "x".repeat(10 * 1024 * 1024)}),
    );
    write(
        &file,
        &[
            line(
                serde_json::json!({"id": "a-1", "title": "Cocoa rains help crop", "body": "First paragraph.\n\nSecond paragraph.", "section": "commodities", "published_at": "1987-02-26T15:01:01Z", "author": "Ana Ruiz", "source": "Reuters", "url": null, "topics": ["cocoa"]}),
            ),
            b"{not json".to_vec(),
            line(serde_json::json!({"id": "no-title", "body": "text", "author": "Ghost Writer"})),
            line(serde_json::json!({"id": "no-body", "title": "Empty", "body": "   "})),
            invalid_utf8,
            huge,
            line(serde_json::json!({"id": "a-1", "title": "Same id again", "body": "dup"})),
            line(
                serde_json::json!({"id": "a-3", "title": "Scripted", "body": "<script>alert(1)</script> and <img src=x onerror=alert(2)>", "section": null}),
            ),
            b"   ".to_vec(),
            b"[1,2,3]".to_vec(),
            line(
                serde_json::json!({"id": "d-1", "title": "Bad date", "body": "b", "published_at": "last Tuesday"}),
            ),
            // A title over 300 characters is shortened with a warning, not a lost story.
            line(serde_json::json!({"id": "long-1", "title": "Long ".repeat(80), "body": "Kept."})),
        ],
    );
    let out = run(&["import", file.to_str().expect("utf-8 path")], dir.path());
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    for expected in [
        "line 2: not valid JSON",
        "line 3: missing title",
        "line 4: body is empty",
        "line 5: not valid UTF-8",
        "line 6: body is too long (10485760 bytes, limit 1048576)",
        "line 7: duplicate id \"a-1\" (first on line 1)",
        "line 10: not a JSON object",
        "line 11: published_at \"last Tuesday\" is not a date",
        "line 12: warning: the title had 399 characters; it was shortened to 300",
    ] {
        assert!(err.contains(expected), "{expected:?} missing from:\n{err}");
    }
    assert!(
        !err.contains("line 1:") && !err.contains("line 8:") && !err.contains("line 9:"),
        "{err}"
    );
    assert!(
        stdout(&out).contains("imported 3 new, 0 updated, 0 unchanged, 8 rejected (12 lines"),
        "{}",
        stdout(&out)
    );

    let store = store(dir.path()).await;
    assert_eq!(store.counts().await.expect("counts").articles, 3);
    let long = store
        .article_by_external_id("long-1")
        .await
        .expect("read")
        .expect("the long-titled story was kept");
    assert!(long.headline.ends_with("Long…"), "{}", long.headline);
    assert!(long.headline.chars().count() <= 300);
    let a1 = store
        .article_by_external_id("a-1")
        .await
        .expect("read")
        .expect("a-1");
    assert_eq!(a1.headline, "Cocoa rains help crop");
    assert_eq!(
        a1.body_html,
        "<p>First paragraph.</p>\n<p>Second paragraph.</p>\n"
    );
    assert_eq!(a1.section.name, "Commodities");
    assert_eq!(a1.sources, ["Reuters"]);
    assert_eq!(a1.authors[0].name, "Ana Ruiz");
    assert_eq!(a1.published_at.map(|t| t.timestamp()), Some(541_350_061));
    let a3 = store
        .article_by_external_id("a-3")
        .await
        .expect("read")
        .expect("a-3");
    assert!(
        !a3.body_html.contains("<script") && !a3.body_html.contains("<img"),
        "{}",
        a3.body_html
    );
    assert!(
        a3.body_html.contains("&lt;script&gt;"),
        "shown as text: {}",
        a3.body_html
    );
    assert_eq!(a3.section.slug.as_str(), "news");
    for rejected in ["no-title", "no-body", "u-1", "big-1", "d-1"] {
        assert!(
            store
                .article_by_external_id(rejected)
                .await
                .expect("read")
                .is_none(),
            "{rejected}"
        );
    }
    assert!(
        store
            .author_by_slug(&broadsheet_core::Slug::parse("ghost-writer").expect("slug"))
            .await
            .expect("read")
            .is_none()
    );
}

#[tokio::test]
async fn importing_again_updates_and_never_duplicates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("in.jsonl");
    let story = |body: &str| {
        line(
            serde_json::json!({"id": 7, "title": "Rates hold", "body": body, "section": "Economy"}),
        )
    };
    let other = line(
        serde_json::json!({"id": "x", "title": "Rates hold", "body": "Another story, same title"}),
    );
    write(&file, &[story("v1"), other.clone()]);
    let path = file.to_str().expect("path");
    let first = run(&["import", path], dir.path());
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stdout(&first).contains("imported 2 new, 0 updated, 0 unchanged, 0 rejected"),
        "{}",
        stdout(&first)
    );
    let second = run(&["import", path], dir.path());
    assert!(
        stdout(&second).contains("imported 0 new, 0 updated, 2 unchanged, 0 rejected"),
        "{}",
        stdout(&second)
    );
    write(&file, &[story("v2"), other]);
    let third = run(&["import", path], dir.path());
    assert!(
        stdout(&third).contains("imported 0 new, 1 updated, 1 unchanged, 0 rejected"),
        "{}",
        stdout(&third)
    );

    let store = store(dir.path()).await;
    assert_eq!(store.counts().await.expect("counts").articles, 2);
    let seven = store
        .article_by_external_id("7")
        .await
        .expect("read")
        .expect("7");
    assert_eq!(seven.body_markdown, "v2");
    let x = store
        .article_by_external_id("x")
        .await
        .expect("read")
        .expect("x");
    assert_ne!(seven.slug, x.slug, "same title, unique slugs");
}

#[tokio::test]
async fn markdown_bodies_and_standard_input_are_accepted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = bin()
        .args(["import", "-", "--body-format", "markdown", "--data"])
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(&line(serde_json::json!({"id": "m", "title": "Marked", "body": "Some **bold** [link](javascript:alert(1))"})))
        .expect("write");
    drop(stdin);
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "{}", stderr(&out));
    let store = store(dir.path()).await;
    let m = store
        .article_by_external_id("m")
        .await
        .expect("read")
        .expect("m");
    assert!(
        m.body_html.contains("<strong>bold</strong>"),
        "{}",
        m.body_html
    );
    assert!(!m.body_html.contains("javascript"), "{}", m.body_html);
}

#[test]
fn a_missing_file_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(&["import", "/nonexistent/file.jsonl"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: cannot open /nonexistent/file.jsonl"),
        "{}",
        stderr(&out)
    );
}
