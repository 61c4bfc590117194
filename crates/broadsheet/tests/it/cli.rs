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

/// SIGTERM to a `broadsheet worker` while a job is in the middle of a step (a webhook POST to
/// a receiver that takes its time): the step finishes and is recorded, then the worker stops
/// cleanly. Nothing starts after the signal.
#[test]
fn sigterm_lets_the_running_job_finish_its_step_then_stops_the_worker() {
    use std::io::{BufRead, BufReader, Read};
    use std::process::Stdio;

    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("site");
    std::fs::create_dir_all(data.join("media")).expect("media");
    let receiver = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = receiver.local_addr().expect("addr").port();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        use broadsheet_store::{NewWebhook, SqliteStore, Webhooks};
        let store = SqliteStore::open(&data.join("broadsheet.db"))
            .await
            .expect("store");
        let hook = store
            .create_webhook(&NewWebhook {
                url: format!("http://127.0.0.1:{port}/hook"),
                events: vec!["article.published".into()],
                secret: "s".repeat(40),
                description: "slow receiver".into(),
            })
            .await
            .expect("webhook");
        assert!(
            store
                .record_event_for(hook.id, "article.published", &serde_json::json!({}))
                .await
                .expect("event")
        );
    });
    // The receiver reads the request, says so, takes 1.5 s, then answers 200.
    let (got_tx, got_rx) = std::sync::mpsc::channel();
    let answer = std::thread::spawn(move || {
        let (mut conn, _) = receiver.accept().expect("the worker connects");
        let mut buf = [0u8; 65536];
        let _ = conn.read(&mut buf).expect("request");
        got_tx.send(()).expect("signal");
        std::thread::sleep(Duration::from_millis(1500));
        let _ =
            conn.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    });
    let mut worker = bin()
        .args(["worker", "--data"])
        .arg(&data)
        .env("BROADSHEET_LOG", "info")
        .env("BROADSHEET_SITE__BASE_URL", "https://news.example")
        .env("BROADSHEET_WEBHOOKS__ALLOW_PRIVATE", "true")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr_pipe = worker.stderr.take().expect("stderr");
    let log = std::thread::spawn(move || {
        BufReader::new(stderr_pipe)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });
    got_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the webhook job sends its delivery");
    let signalled = std::time::Instant::now();
    let kill = Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    let status = worker.wait().expect("wait");
    let waited = signalled.elapsed();
    answer.join().expect("receiver");
    let log = log.join().expect("log");
    assert!(status.success(), "{status:?}: {log:?}");
    assert!(
        waited >= Duration::from_millis(1000),
        "stopped after {waited:?}, before the step under way had its answer: {log:?}"
    );
    assert!(log.iter().any(|l| l.contains("worker stopped")), "{log:?}");
    let deliveries = rt.block_on(async {
        use broadsheet_store::{SqliteStore, Webhooks};
        let store = SqliteStore::open(&data.join("broadsheet.db"))
            .await
            .expect("store");
        store.webhook_deliveries(10).await.expect("deliveries")
    });
    assert_eq!(deliveries.len(), 1);
    assert_eq!(
        (deliveries[0].status, deliveries[0].last_status),
        (broadsheet_store::HookStatus::Delivered, Some(200)),
        "the delivery under way at the signal was recorded: {:?}",
        deliveries[0]
    );
}

/// The worker sends mail (digests, alerts) whose links must be absolute: on a site without a
/// public address it refuses to start, says how to set one, and runs no job.
#[test]
fn a_worker_without_a_public_address_refuses_to_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("site");
    let out = bin()
        .args(["worker", "--data"])
        .arg(&data)
        .env_remove("BROADSHEET_SITE__BASE_URL")
        .output()
        .expect("run");
    assert!(!out.status.success(), "the worker ran");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot run the background jobs") && err.contains("base_url"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}
