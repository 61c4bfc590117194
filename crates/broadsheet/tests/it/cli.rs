//! The command line: help, start-up errors an operator can act on, graceful shutdown.

use std::io::Write;
use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

use crate::support::{bin, http_get, run, serve, stderr, stdout};

#[test]
fn help_documents_every_command_and_option() {
    let top = bin().arg("--help").output().expect("run");
    assert!(top.status.success());
    let text = stdout(&top);
    for needle in [
        "serve",
        "demo",
        "import",
        "--config",
        "--data",
        "BROADSHEET_LISTEN",
        "BROADSHEET_SITE__NAME",
        "BROADSHEET_LOG",
    ] {
        assert!(text.contains(needle), "--help lacks {needle}:\n{text}");
    }
    let serve = stdout(&bin().args(["serve", "--help"]).output().expect("run"));
    for needle in ["--listen", "--theme", "--demo", "--data", "127.0.0.1:8080"] {
        assert!(
            serve.contains(needle),
            "serve --help lacks {needle}:\n{serve}"
        );
    }
    let import = stdout(&bin().args(["import", "--help"]).output().expect("run"));
    for needle in ["--body-format", "Exit status", "published_at"] {
        assert!(
            import.contains(needle),
            "import --help lacks {needle}:\n{import}"
        );
    }
}

fn assert_clean_failure(out: &std::process::Output, needles: &[&str]) {
    assert!(!out.status.success());
    let err = stderr(out);
    assert!(err.starts_with("error: "), "{err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} missing from {err}");
    }
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one clear line: {err}");
}

#[test]
fn a_port_in_use_is_named() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = bin()
        .args(["serve", "--listen", &addr, "--data"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert_clean_failure(&out, &[&format!("cannot listen on {addr}"), "in use"]);
}

#[test]
fn an_unusable_data_directory_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"x").expect("write");
    let data = file.join("data");
    let out = run(&["serve", "--listen", "127.0.0.1:0"], &data);
    assert_clean_failure(
        &out,
        &["cannot create data directory", &data.display().to_string()],
    );
}

#[test]
fn a_file_that_is_not_a_database_is_named_and_left_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("broadsheet.db");
    std::fs::write(&db, b"this is a text file, not SQLite\n".repeat(200)).expect("write");
    let out = run(&["serve", "--listen", "127.0.0.1:0"], dir.path());
    assert_clean_failure(
        &out,
        &["is not a Broadsheet database", &db.display().to_string()],
    );
    assert!(
        std::fs::read_to_string(&db)
            .expect("read")
            .starts_with("this is a text file")
    );
}

#[test]
fn a_bad_config_file_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("broadsheet.toml");
    std::fs::File::create(&config)
        .and_then(|mut f| f.write_all(b"listen = 8080\n"))
        .expect("write");
    let out = bin()
        .arg("--config")
        .arg(&config)
        .args(["serve"])
        .output()
        .expect("run");
    assert_clean_failure(&out, &["invalid configuration", "listen"]);
}

#[test]
fn serve_creates_the_data_directory_serves_the_demo_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("site");
    let mut server = serve(&data, &["--demo"]);
    assert!(
        server
            .startup
            .iter()
            .any(|l| l.contains("installed the demo site")),
        "{:?}",
        server.startup
    );
    for sub in ["broadsheet.db", "media", "search"] {
        assert!(data.join(sub).exists(), "{sub} created");
    }
    let (status, home) = http_get(&server.addr, "/");
    assert_eq!(status, 200);
    assert!(home.contains("The Meridian Ledger"));
    assert_eq!(http_get(&server.addr, "/nope").0, 404);
    // An idle keep-alive connection must not hold the shutdown up.
    let idle = std::net::TcpStream::connect(&server.addr).expect("connect");
    let kill = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    // The log closes when the process exits; it must say it stopped cleanly, in time.
    let mut log = Vec::new();
    while let Ok(line) = server.log.recv_timeout(Duration::from_secs(20)) {
        log.push(line);
    }
    let status = server.child.wait().expect("wait");
    assert!(status.success(), "{status:?}");
    drop(idle);
    assert!(log.iter().any(|l| l.contains("shutting down")), "{log:?}");
    assert!(log.iter().any(|l| l.contains("stopped")), "{log:?}");

    // A second start finds the content and --demo leaves it as it is.
    let again = serve(&data, &["--demo"]);
    assert_eq!(http_get(&again.addr, "/section/politics").0, 200);
    assert!(
        again.startup.iter().any(|l| l.contains("left it as it is")),
        "{:?}",
        again.startup
    );
    assert!(
        !again
            .startup
            .iter()
            .any(|l| l.contains("installed the demo")),
        "{:?}",
        again.startup
    );
}

#[test]
fn demo_command_installs_and_reinstalls_without_duplicates() {
    let dir = tempfile::tempdir().expect("tempdir");
    for _ in 0..2 {
        let out = run(&["demo"], dir.path());
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains("34 articles"), "{}", stdout(&out));
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let counts = rt.block_on(async {
        use broadsheet_store::Store;
        let store = broadsheet_store::SqliteStore::open(&dir.path().join("broadsheet.db"))
            .await
            .expect("open");
        store.counts().await.expect("counts")
    });
    assert_eq!(counts.articles, 34);
}
