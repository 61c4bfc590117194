//! The search index from the operator's side: `search reindex`, `search check`, a server that
//! rebuilds a missing or corrupt index, and an import beside a running server.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::{http_get, run, serve, stderr, stdout};

fn write_lines(path: &Path, lines: &[serde_json::Value]) {
    let mut f = std::fs::File::create(path).expect("create");
    for l in lines {
        writeln!(f, "{l}").expect("write");
    }
}

fn story(id: &str, title: &str, body: &str) -> serde_json::Value {
    serde_json::json!({"id": id, "title": title, "body": body, "section": "economy", "published_at": "2026-01-05T10:00:00Z"})
}

#[test]
fn check_finds_differences_and_reindex_repairs_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("a.jsonl");
    write_lines(
        &file,
        &[
            story("1", "Rates hold", "Quibbling over rates."),
            story("2", "Copper rises", "Copper text."),
            story("3", "Tea falls", "Tea text."),
        ],
    );
    assert!(
        run(&["import", file.to_str().expect("path")], dir.path())
            .status
            .success()
    );

    let check = run(&["search", "check"], dir.path());
    assert_eq!(check.status.code(), Some(3), "{}", stderr(&check));
    assert_eq!(
        stdout(&check)
            .matches("published but not in the index")
            .count(),
        3,
        "{}",
        stdout(&check)
    );

    let reindex = run(&["search", "reindex"], dir.path());
    assert!(reindex.status.success(), "{}", stderr(&reindex));
    assert!(
        stdout(&reindex).starts_with("indexed 3 published articles of 3 in"),
        "{}",
        stdout(&reindex)
    );
    let check = run(&["search", "check"], dir.path());
    assert!(check.status.success(), "{}", stdout(&check));
    assert!(stdout(&check).contains("matches the database (3 articles indexed)"));

    // Edited while no server was running to follow the change log.
    write_lines(
        &file,
        &[story("1", "Rates hold", "Quibbling over rates, edited.")],
    );
    assert!(
        run(&["import", file.to_str().expect("path")], dir.path())
            .status
            .success()
    );
    let check = run(&["search", "check"], dir.path());
    assert_eq!(check.status.code(), Some(3));
    assert!(
        stdout(&check).contains("article 1: the index has version 1, the database version 2"),
        "{}",
        stdout(&check)
    );
}

#[test]
fn a_server_rebuilds_a_corrupt_index_and_follows_an_import_beside_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("a.jsonl");
    write_lines(
        &file,
        &[story(
            "1",
            "Zanzibarian rates hold",
            "Quibbling over rates.",
        )],
    );
    assert!(
        run(&["import", file.to_str().expect("path")], dir.path())
            .status
            .success()
    );
    std::fs::create_dir_all(dir.path().join("search")).expect("mkdir");
    std::fs::write(dir.path().join("search/meta.json"), b"{ corrupt").expect("corrupt");

    let server = serve(dir.path(), &[]);
    assert!(
        server
            .startup
            .iter()
            .any(|l| l.contains("building the search index")),
        "{:?}",
        server.startup
    );
    let rebuilt = loop {
        let line = server
            .log
            .recv_timeout(Duration::from_secs(60))
            .expect("log line");
        if line.contains("search index rebuilt") {
            break line;
        }
    };
    assert!(rebuilt.contains("articles=1"), "{rebuilt}");
    let (status, page) = http_get(&server.addr, "/search?q=zanzibarian");
    assert_eq!(status, 200);
    assert!(page.contains("Zanzibarian rates hold"), "{page}");

    // An import in another process reaches the running server's index through the change log.
    write_lines(&file, &[story("2", "Quokka exports surge", "Quokka text.")]);
    assert!(
        run(&["import", file.to_str().expect("path")], dir.path())
            .status
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, page) = http_get(&server.addr, "/search?q=quokka");
        if page.contains("Quokka exports surge") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the import never reached the index"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let (_, home) = http_get(&server.addr, "/");
    assert!(
        home.contains("Quokka exports surge"),
        "and the page cache followed too"
    );
}
