//! `broadsheet newsletter send-digest` as real processes against a real SMTP server: the send
//! is killed part-way (SIGKILL, not a flag), run again, and every subscriber has exactly one
//! copy.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use broadsheet_core::{ArticleStatus, Email, NewSection, Slug};
use broadsheet_store::{Newsletter, SqliteStore, Store, Taxonomy};
use chrono::Utc;

use crate::support::{bin, stderr, stdout};

const SUBSCRIBERS: usize = 150;

pub struct Sink {
    child: std::process::Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn sink(delay_ms: u32) -> Option<Sink> {
    if !broadsheet_testkit::python_has("aiosmtpd") {
        broadsheet_testkit::skip(
            "send-digest kill test",
            "an SMTP server (aiosmtpd)",
            "pip install aiosmtpd",
        );
        return None;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/smtp_sink.py");
    let mut child = Command::new("python3")
        .arg(script)
        .arg("--dir")
        .arg(dir.path())
        .args(["--delay-ms", &delay_ms.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("sink");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("READY");
    let port = line
        .trim()
        .trim_start_matches("READY ")
        .parse()
        .expect("port");
    Some(Sink { child, port, dir })
}

/// How many messages the sink has begun to take (accepted or still in its delay).
pub fn started(sink: &Sink) -> usize {
    std::fs::read_to_string(sink.dir.path().join("started.jsonl"))
        .unwrap_or_default()
        .lines()
        .count()
}

pub fn received(sink: &Sink) -> Vec<String> {
    std::fs::read_to_string(sink.dir.path().join("received.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["rcpt"].as_str().map(str::to_owned))
        .collect()
}

async fn prepare(data: &std::path::Path) {
    std::fs::create_dir_all(data.join("media")).expect("media");
    let store = SqliteStore::open(&data.join("broadsheet.db"))
        .await
        .expect("store");
    store
        .upsert_section(&NewSection {
            slug: Slug::parse("economy").expect("slug"),
            name: "Economy".into(),
            description: String::new(),
            parent: None,
            position: 1,
            in_menu: true,
        })
        .await
        .expect("section");
    let input = crate::support::story(
        "kill-test",
        "Central bank holds rates",
        ArticleStatus::Published,
        Utc::now() - chrono::Duration::minutes(5),
    );
    store.save_article(&input).await.expect("story");
    for i in 0..SUBSCRIBERS {
        let email = Email::parse(&format!("reader-{i}@example.com")).expect("email");
        let s = store
            .sign_up(&email, &[], Utc::now(), 0)
            .await
            .expect("sign up");
        store
            .confirm_subscriber(s.subscriber.id, Utc::now())
            .await
            .expect("confirm");
    }
}

#[test]
fn a_send_killed_part_way_resumes_and_everyone_gets_exactly_one_copy() {
    let Some(sink) = sink(40) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("site");
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(prepare(&data));
    let config = dir.path().join("broadsheet.toml");
    std::fs::write(
        &config,
        format!(
            "[site]\nbase_url = \"https://news.example.com\"\n\n[mail]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nfrom = \"news@example.com\"\ntimeout_secs = 5\npool_size = 2\n\n\
             [newsletter]\nconcurrency = 2\nlease_secs = 2\nretry_base_secs = 1\n",
            sink.port
        ),
    )
    .expect("config");
    let run = || {
        let mut c = bin();
        c.arg("--config")
            .arg(&config)
            .args(["newsletter", "send-digest", "--now", "--data"])
            .arg(&data);
        c
    };

    let mut first = run()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let started = Instant::now();
    while received(&sink).len() < SUBSCRIBERS / 3 && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    // SIGKILL: no shutdown code runs.
    first.kill().expect("kill");
    first.wait().expect("wait");
    let at_kill = received(&sink).len();
    assert!(
        at_kill > 0 && at_kill < SUBSCRIBERS,
        "killed part-way ({at_kill} delivered)"
    );

    let second = run().output().expect("resume");
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(
        stdout(&second).contains(&format!(
            "{SUBSCRIBERS} sent, 0 failed, 0 bounced, 0 remaining"
        )),
        "{}",
        stdout(&second)
    );
    let mut copies: HashMap<String, usize> = HashMap::new();
    for rcpt in received(&sink) {
        *copies.entry(rcpt).or_default() += 1;
    }
    assert_eq!(copies.len(), SUBSCRIBERS, "no one skipped");
    let twice: Vec<_> = copies.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "no one mailed twice: {twice:?}");

    // A third run finds the issue finished and sends nothing.
    let third = run().output().expect("third");
    assert!(
        stdout(&third).contains("nothing to send"),
        "{}",
        stdout(&third)
    );
    assert_eq!(received(&sink).len(), SUBSCRIBERS);
}

#[test]
fn send_digest_without_a_public_address_is_refused_and_says_how_to_set_it() {
    // No relay is needed: the command refuses before composing anything. Mail with relative
    // links (the digest's stories, List-Unsubscribe) would not work in any mail client.
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("site");
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(prepare(&data));
    let out = bin()
        .args(["newsletter", "send-digest", "--now", "--data"])
        .arg(&data)
        .env_remove("BROADSHEET_SITE__BASE_URL")
        .output()
        .expect("run");
    assert!(!out.status.success(), "sent without a public address");
    let err = stderr(&out);
    assert!(err.contains("base_url"), "{err}");
    assert!(
        !data.join("outbox").exists()
            || std::fs::read_dir(data.join("outbox"))
                .expect("outbox")
                .next()
                .is_none(),
        "mail was written anyway"
    );
}
