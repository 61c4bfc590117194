//! Two real `broadsheet serve` processes on one PostgreSQL database (a schema of its own),
//! both running jobs: an unpublish through node A's Admin API reaches node B's cached page;
//! a scheduled story is published once; the daily digest goes to a real SMTP server while
//! node B is killed (SIGKILL) part-way, and every subscriber gets exactly one copy.

use std::collections::HashMap;
use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use broadsheet_core::{ArticleStatus, Email, NewSection, Slug};
use broadsheet_store::postgres::testing::{self, Schema};
use broadsheet_store::{Newsletter, Store, Taxonomy};
use chrono::Utc;

use crate::newsletter::{received, sink, started};
use crate::support::{bin, exchange, http_get, http_post, serve, stderr, stdout, story};

const SUBSCRIBERS: usize = 150;
const PASSWORD: &str = "correct-horse-battery-staple";

/// Waits for `done` up to `limit`, checking every 50 ms; the time it took, or `None`.
fn wait_for(limit: Duration, mut done: impl FnMut() -> bool) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if done() {
            return Some(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[test]
fn two_nodes_share_one_database_and_run_each_job_once() {
    let Some(url) = testing::url("two nodes on PostgreSQL") else {
        return;
    };
    // A relay per node, so the test knows which node sent what: A's answers in 150 ms, B's
    // takes a second over each message, which leaves B killed mid-message with time to spare.
    // The 3-second lease leaves each message begun with at least a second and a half in hand.
    let (Some(sink_a), Some(sink_b)) = (sink(150), sink(1000)) else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let schema = rt.block_on(Schema::create(&url));
    let db = schema.url_with_schema();
    let now = Utc::now();
    let (old_slug, due_id, due_slug) = rt.block_on(async {
        let store = schema.open().await;
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
        // Two days old: outside the digest's 24 hours, so no digest goes out until the
        // scheduled story is published.
        let old = store
            .save_article(&story(
                "old",
                "Rates held in October",
                ArticleStatus::Published,
                now - chrono::Duration::days(2),
            ))
            .await
            .expect("old story");
        let due = store
            .save_article(&story(
                "due",
                "Budget published at noon",
                ArticleStatus::Scheduled,
                now + chrono::Duration::seconds(8),
            ))
            .await
            .expect("scheduled story");
        for i in 0..SUBSCRIBERS {
            let email = Email::parse(&format!("reader-{i}@example.com")).expect("email");
            let s = store.sign_up(&email, &[], now, 0).await.expect("sign up");
            store
                .confirm_subscriber(s.subscriber.id, now)
                .await
                .expect("confirm");
        }
        (old.slug.to_string(), due.id, due.slug.to_string())
    });

    let dir = tempfile::tempdir().expect("tempdir");
    let config = |name: &str, port: u16| {
        let path = dir.path().join(name);
        std::fs::write(
            &path,
            format!(
                "[mail]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nfrom = \"news@example.com\"\n\
                 timeout_secs = 5\npool_size = 2\n\n\
                 [newsletter]\nsend_time = \"00:00\"\nconcurrency = 2\nlease_secs = 3\nretry_base_secs = 1\n"
            ),
        )
        .expect("config");
        path
    };
    let (config_a, config_b) = (config("a.toml", sink_a.port), config("b.toml", sink_b.port));
    let cli = |args: &[&str]| {
        let out = bin()
            .args(args)
            .args(["--database", &db, "--data"])
            .arg(dir.path().join("cli"))
            .output()
            .expect("cli");
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        stdout(&out)
    };
    let mut add = bin()
        .args(["user", "add", "--role", "editor", "editor@example.com"])
        .args(["--password-stdin", "--database", &db, "--data"])
        .arg(dir.path().join("cli"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("user add");
    add.stdin
        .take()
        .expect("stdin")
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .expect("password");
    assert!(add.wait().expect("user add").success());
    let key = cli(&[
        "api-key",
        "add",
        "--user",
        "editor@example.com",
        "two-node test",
    ])
    .trim()
    .to_owned();

    let node = |name: &str, config: &std::path::Path| {
        let config = config.to_str().expect("utf-8");
        serve(
            &dir.path().join(name),
            &["--database", db.as_str(), "--config", config],
        )
    };
    let a = node("node-a", &config_a);
    let mut b = node("node-b", &config_b);

    // Sessions live in the database: signed in on A, the editor is signed in on B.
    let form = format!("email=editor%40example.com&password={PASSWORD}");
    let (status, raw) = exchange(
        &a.addr,
        &format!(
            "POST /admin/sign-in HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\n\r\n{form}",
            form.len()
        ),
    );
    assert_eq!(status, 303, "{raw}");
    let cookie = raw
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let dashboard = |addr: &str, cookie: &str| {
        exchange(addr, &format!("GET /admin HTTP/1.1\r\nCookie: {cookie}")).0
    };
    assert_eq!(dashboard(&b.addr, &cookie), 200, "A's session works on B");
    assert_eq!(
        dashboard(&b.addr, "bs_session=forged"),
        303,
        "to the sign-in page"
    );

    // B serves (and caches) the old story; A takes it down; B stops serving it.
    let page = format!("/article/{old_slug}");
    assert_eq!(http_get(&b.addr, &page).0, 200);
    assert_eq!(
        http_get(&b.addr, &page).0,
        200,
        "second read from B's cache"
    );
    let id = rt.block_on(async {
        let store = schema.open().await;
        store
            .article_by_slug(&Slug::parse(&old_slug).expect("slug"))
            .await
            .expect("read")
            .expect("old")
            .id
    });
    let (status, raw) = http_post(
        &a.addr,
        &format!("/api/v1/admin/articles/{id}/unpublish"),
        &key,
        "{}",
    );
    assert_eq!(status, 200, "{raw}");
    let seen = wait_for(Duration::from_secs(30), || {
        http_get(&b.addr, &page).0 == 404
    })
    .expect("node B stops serving the story A unpublished");
    eprintln!("node B saw node A's change after {} ms", seen.as_millis());

    // The scheduled story: both schedulers run; it is published once.
    wait_for(Duration::from_secs(60), || {
        http_get(&b.addr, &format!("/article/{due_slug}")).0 == 200
    })
    .expect("the scheduled story is published");
    assert_eq!(http_get(&a.addr, &format!("/article/{due_slug}")).0, 200);
    // One search index in PostgreSQL: whichever node indexed the story, both find it.
    for node in [&a, &b] {
        wait_for(Duration::from_secs(30), || {
            http_get(&node.addr, "/search?q=budget+noon")
                .1
                .contains("Budget published at noon")
        })
        .expect("the story is found by search on every node");
    }

    // Its publication makes a digest due on both nodes. Once B has delivered a message, kill
    // it (SIGKILL) the moment it begins the next: that message is cut off mid-way, and the rest
    // of B's claimed rows wait out their lease.
    let mut seen_started = 0;
    wait_for(Duration::from_secs(90), || {
        let now_started = started(&sink_b);
        let fresh = now_started > seen_started;
        seen_started = now_started;
        fresh && !received(&sink_b).is_empty()
    })
    .expect("node B takes part in the digest");
    b.child.kill().expect("kill node B");
    b.child.wait().expect("reap node B");
    let from_b = received(&sink_b).len();
    eprintln!(
        "node B killed after delivering {from_b}, with {} begun",
        started(&sink_b)
    );
    let all = || {
        let mut r = received(&sink_a);
        r.extend(received(&sink_b));
        r
    };
    wait_for(Duration::from_secs(120), || all().len() >= SUBSCRIBERS)
        .expect("node A finishes the digest, taking over B's leased rows");
    // Long enough for any duplicate to show up (leases are 3 s).
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(
        received(&sink_b).len(),
        from_b,
        "nothing from B after its death"
    );
    let mut copies: HashMap<String, usize> = HashMap::new();
    for rcpt in all() {
        *copies.entry(rcpt).or_default() += 1;
    }
    assert_eq!(copies.len(), SUBSCRIBERS, "no one skipped");
    let twice: Vec<_> = copies.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "no one mailed twice: {twice:?}");

    rt.block_on(async {
        let pool = sqlx::PgPool::connect(&db).await.expect("connect");
        let published: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'published' AND article_id = $1",
        )
        .bind(due_id)
        .fetch_one(&pool)
        .await
        .expect("audit");
        assert_eq!(published, 1, "the scheduled story was published once");
        let issues: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM newsletter_issues")
            .fetch_one(&pool)
            .await
            .expect("issues");
        assert_eq!(issues, 1, "one digest, composed once");
        pool.close().await;
    });
    drop(a);
}

/// A loopback TCP proxy in front of PostgreSQL that a test can cut (every open connection
/// reset, new ones refused) and restore: the database going away and coming back, as a
/// restart looks to a node, without restarting the machine's server under other tests.
struct Proxy {
    port: u16,
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    open: std::sync::Arc<std::sync::Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    fn start(target: &str) -> Self {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::{Arc, Mutex};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let up = Arc::new(AtomicBool::new(true));
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (up2, open2, target) = (up.clone(), open.clone(), target.to_owned());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if !up2.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&target) else {
                    continue;
                };
                let mut held = open2.lock().expect("lock");
                for s in [&client, &server] {
                    if let Ok(c) = s.try_clone() {
                        held.push(c);
                    }
                }
                drop(held);
                for (mut from, mut to) in [
                    (
                        client.try_clone().expect("clone"),
                        server.try_clone().expect("clone"),
                    ),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        Self { port, up, open }
    }

    fn cut(&self) {
        self.up.store(false, std::sync::atomic::Ordering::SeqCst);
        for s in self.open.lock().expect("lock").drain(..) {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn a_node_answers_503_while_the_database_is_gone_and_recovers_without_a_restart() {
    let Some(url) = testing::url("database outage") else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let schema = rt.block_on(Schema::create(&url));
    let slugs: Vec<String> = rt.block_on(async {
        let store = schema.open().await;
        let mut slugs = Vec::new();
        for i in 0..3 {
            let saved = store
                .save_article(&story(
                    &format!("s{i}"),
                    &format!("Story number {i}"),
                    ArticleStatus::Published,
                    Utc::now() - chrono::Duration::hours(1),
                ))
                .await
                .expect("story");
            slugs.push(saved.slug.to_string());
        }
        slugs
    });
    let proxy = Proxy::start("127.0.0.1:5432");
    let via_proxy = schema.url_with_schema().replacen(
        "127.0.0.1:5432",
        &format!("127.0.0.1:{}", proxy.port),
        1,
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("broadsheet.toml");
    std::fs::write(&config, "[postgres]\nacquire_timeout_secs = 2\n").expect("config");
    let node = serve(
        &dir.path().join("node"),
        &[
            "--database",
            via_proxy.as_str(),
            "--config",
            config.to_str().expect("utf-8"),
            "--no-jobs",
        ],
    );
    assert_eq!(http_get(&node.addr, "/readyz").0, 200);
    assert_eq!(
        http_get(&node.addr, &format!("/article/{}", slugs[0])).0,
        200
    );

    // Readers keep coming throughout: four clients asking for the cached page, pages that
    // need the database and the readiness check, before, during and after the outage.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load: Vec<_> = (0..4)
        .map(|i| {
            let (addr, stop) = (node.addr.clone(), stop.clone());
            let cached = format!("/article/{}", slugs[0]);
            std::thread::spawn(move || {
                let mut seen: HashMap<(&str, u16), usize> = HashMap::new();
                let mut n = 0usize;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    // A story never published needs the database every time: 404 while it
                    // answers, 503 while it does not.
                    let (kind, path) = match n % 3 {
                        0 => ("cached", cached.clone()),
                        1 => ("readyz", "/readyz".to_owned()),
                        _ => ("uncached", format!("/article/no-such-story-{i}-{n}")),
                    };
                    *seen.entry((kind, http_get(&addr, &path).0)).or_default() += 1;
                    n += 1;
                }
                seen
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));

    proxy.cut();
    assert_eq!(
        http_get(&node.addr, "/readyz").0,
        503,
        "not ready without a database"
    );
    assert_eq!(
        http_get(&node.addr, "/healthz").0,
        200,
        "but the process is up"
    );
    // The page it has cached is still served, from memory.
    assert_eq!(
        http_get(&node.addr, &format!("/article/{}", slugs[0])).0,
        200,
        "the cached page during the cut"
    );
    // A page it has not cached needs the database: a clear 503, not a 500 or a hang.
    let status = http_get(&node.addr, &format!("/article/{}", slugs[1])).0;
    let log: Vec<String> = node.log.try_iter().collect();
    assert_eq!(status, 503, "{}", log.join("\n"));
    // The APIs answer the same way as pages (one mapping from store errors to statuses): a
    // key cannot be checked without the database, so 503 with Retry-After, as problem+json.
    let (status, raw) = exchange(
        &node.addr,
        "GET /api/v1/articles HTTP/1.1\r\nAuthorization: Bearer some-content-key",
    );
    let head = raw.split("\r\n\r\n").next().unwrap_or("").to_lowercase();
    assert_eq!(status, 503, "{raw}");
    assert!(head.contains("retry-after: 5"), "{raw}");
    assert!(head.contains("application/problem+json"), "{raw}");

    proxy.restore();
    wait_for(Duration::from_secs(60), || {
        http_get(&node.addr, "/readyz").0 == 200
    })
    .expect("ready again once the database is back");
    assert_eq!(
        http_get(&node.addr, &format!("/article/{}", slugs[2])).0,
        200
    );
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut seen: HashMap<(&str, u16), usize> = HashMap::new();
    for t in load {
        for (key, n) in t.join().expect("a load thread") {
            *seen.entry(key).or_default() += n;
        }
    }
    eprintln!("answers under load through the outage: {seen:?}");
    // Each kind of request on its own: the cached page is 200 every time, before, during and
    // after the cut; the rest are 200/404 while the database answers and 503 while it does
    // not; never a 500 or a dropped request.
    for ((kind, status), n) in &seen {
        let allowed: &[u16] = match *kind {
            "cached" => &[200],
            "readyz" => &[200, 503],
            _ => &[404, 503],
        };
        assert!(
            allowed.contains(status),
            "{n} {kind} requests answered {status}: {seen:?}"
        );
    }
    for key in [
        ("readyz", 503),
        ("uncached", 503),
        ("uncached", 404),
        ("cached", 200),
    ] {
        assert!(seen.contains_key(&key), "no {key:?} among {seen:?}");
    }
    drop(node);
}
