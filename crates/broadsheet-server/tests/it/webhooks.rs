//! Webhooks against a real HTTP receiver on loopback: signed deliveries checked with an HMAC
//! written here from RFC 2104 (not the hmac crate the server uses), retries with backoff on
//! 500s, timeouts and refused connections, failure after the last attempt, and the admin page.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use broadsheet_app::Clock as _;
use broadsheet_app::webhooks::{WebhookOptions, deliver_due};
use broadsheet_core::Role;
use broadsheet_server::Options;
use broadsheet_store::{HookStatus, NewWebhook, WebhookDelivery};
use http::{HeaderMap, StatusCode};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::pages::article;
use crate::support::Site;

/// HMAC-SHA256 from its definition (RFC 2104): H((K ^ opad) || H((K ^ ipad) || m)).
fn hmac_sha256(key: &[u8], message: &[u8]) -> String {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let inner: Vec<u8> = k
        .iter()
        .map(|b| b ^ 0x36)
        .chain(message.iter().copied())
        .collect();
    let inner_hash = Sha256::digest(&inner);
    let outer: Vec<u8> = k
        .iter()
        .map(|b| b ^ 0x5c)
        .chain(inner_hash.iter().copied())
        .collect();
    Sha256::digest(&outer)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn the_test_hmac_matches_rfc_4231() {
    // RFC 4231, test case 2.
    assert_eq!(
        hmac_sha256(b"Jefe", b"what do ya want for nothing?"),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

/// A receiver on 127.0.0.1 that records what it is sent and answers with `status`
/// (0: never answers).
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<(HeaderMap, String)>>>,
    status: Arc<AtomicU16>,
}

async fn receiver() -> Receiver {
    let got: Arc<Mutex<Vec<(HeaderMap, String)>>> = Arc::default();
    let status = Arc::new(AtomicU16::new(204));
    let (g, s) = (got.clone(), status.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let (g, s) = (g.clone(), s.clone());
            async move {
                g.lock()
                    .expect("lock")
                    .push((headers, String::from_utf8_lossy(&body).into_owned()));
                let code = s.load(Ordering::SeqCst);
                if code == 0 {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                }
                StatusCode::from_u16(code.max(200)).unwrap_or(StatusCode::OK)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Receiver {
        url: format!("http://{addr}/hook"),
        got,
        status,
    }
}

async fn site() -> Site {
    site_at(None).await
}

/// With `clock`, the application's time is the test's to move.
async fn site_at(clock: Option<Arc<broadsheet_app::ManualClock>>) -> Site {
    Site::build_with(
        None,
        true,
        Options {
            webhooks: WebhookOptions {
                timeout_secs: 1,
                max_attempts: 3,
                retry_base_secs: 1,
                // The receivers here are on 127.0.0.1.
                allow_private: true,
            },
            clock: clock.map(|c| c as Arc<dyn broadsheet_app::Clock>),
            ..Default::default()
        },
    )
    .await
}

async fn subscribe(site: &Site, url: &str, events: &[&str]) -> broadsheet_store::Webhook {
    site.store
        .create_webhook(&NewWebhook {
            url: url.into(),
            events: events.iter().map(|e| (*e).to_owned()).collect(),
            secret: "whsec_0123456789abcdef0123456789abcdef".into(),
            description: "test".into(),
        })
        .await
        .expect("webhook")
}

async fn log(site: &Site) -> Vec<WebhookDelivery> {
    site.store.webhook_deliveries(100).await.expect("log")
}

#[tokio::test]
async fn a_published_story_is_delivered_signed_and_verifiable() {
    let site = site().await;
    let rx = receiver().await;
    let hook = subscribe(&site, &rx.url, &["article.published", "article.updated"]).await;
    let saved = site
        .store
        .save_article(&article("hook-1", "economy", "Rates held at 4%", "Held."))
        .await
        .expect("save");
    // Publishing does not wait for the receiver: the story is public before anything is sent.
    assert_eq!(
        site.get(&format!("/article/{}", saved.slug)).await.status,
        StatusCode::OK
    );
    assert_eq!(log(&site).await[0].status, HookStatus::Pending);

    assert_eq!(deliver_due(&site.state).await.expect("send"), 1);
    let got = rx.got.lock().expect("lock").clone();
    assert_eq!(got.len(), 1);
    let (headers, body) = &got[0];
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["broadsheet-event"], "article.published");
    let signature = headers["broadsheet-signature"].to_str().expect("ascii");
    let (t, v1) = signature
        .strip_prefix("t=")
        .and_then(|s| s.split_once(",v1="))
        .expect("t=…,v1=…");
    let t: i64 = t.parse().expect("timestamp");
    assert!(
        (chrono::Utc::now().timestamp() - t).abs() < 60,
        "a fresh timestamp"
    );
    assert_eq!(
        v1,
        hmac_sha256(hook.secret.as_bytes(), format!("{t}.{body}").as_bytes()),
        "the signature verifies with the secret"
    );
    assert_ne!(
        v1,
        hmac_sha256(
            b"another secret, not this hook's",
            format!("{t}.{body}").as_bytes()
        )
    );
    let json: Value = serde_json::from_str(body).expect("JSON");
    assert_eq!(json["event"], "article.published");
    assert_eq!(json["site"], "http://localhost");
    assert_eq!(json["data"]["article"]["headline"], "Rates held at 4%");
    assert_eq!(
        json["data"]["article"]["url"],
        format!("http://localhost/article/{}", saved.slug)
    );
    let delivered = log(&site).await;
    assert_eq!(delivered[0].status, HookStatus::Delivered);
    assert_eq!(delivered[0].last_status, Some(204));
    // Nothing more is due: a delivered event is never sent twice.
    assert_eq!(deliver_due(&site.state).await.expect("send"), 0);
    assert_eq!(rx.got.lock().expect("lock").len(), 1);
}

#[tokio::test]
async fn failing_receivers_are_retried_with_backoff_then_marked_failed() {
    // The application's clock is moved by hand: the backoff is not slept through. The store
    // stamps the event with the real time in whole seconds; the clock starts on the next one.
    let clock = Arc::new(broadsheet_app::ManualClock::new(
        chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp() + 1, 0).expect("time"),
    ));
    let site = site_at(Some(clock.clone())).await;
    let rx = receiver().await;
    rx.status.store(500, Ordering::SeqCst);
    subscribe(&site, &rx.url, &["article.published"]).await;
    site.store
        .save_article(&article(
            "hook-2",
            "economy",
            "A story for a broken receiver",
            ".",
        ))
        .await
        .expect("save");

    let first_try = clock.now();
    assert_eq!(deliver_due(&site.state).await.expect("send"), 1);
    let d = log(&site).await[0].clone();
    assert_eq!(
        (d.status, d.attempts, d.last_status),
        (HookStatus::Pending, 1, Some(500))
    );
    assert_eq!(
        (d.next_attempt_at - first_try).num_seconds(),
        1,
        "the first wait is the base (retry_base_secs = 1)"
    );
    assert_eq!(
        deliver_due(&site.state).await.expect("send"),
        0,
        "not before its time"
    );

    clock.advance(chrono::Duration::seconds(1));
    let second_try = clock.now();
    assert_eq!(deliver_due(&site.state).await.expect("send"), 1);
    let second = log(&site).await[0].clone();
    assert_eq!((second.status, second.attempts), (HookStatus::Pending, 2));
    assert_eq!(
        (second.next_attempt_at - second_try).num_seconds(),
        2,
        "the wait doubles"
    );

    clock.advance(chrono::Duration::seconds(1));
    assert_eq!(
        deliver_due(&site.state).await.expect("send"),
        0,
        "the second wait is longer than the first"
    );
    clock.advance(chrono::Duration::seconds(1));
    assert_eq!(deliver_due(&site.state).await.expect("send"), 1);
    let last = log(&site).await[0].clone();
    assert_eq!((last.status, last.attempts), (HookStatus::Failed, 3));
    assert_eq!(
        last.last_error.as_deref(),
        Some("answered 500 Internal Server Error")
    );
    assert_eq!(rx.got.lock().expect("lock").len(), 3);
    clock.advance(chrono::Duration::hours(1));
    assert_eq!(
        deliver_due(&site.state).await.expect("send"),
        0,
        "given up for good"
    );
}

#[tokio::test]
async fn receivers_that_hang_or_refuse_are_retried_and_never_block_others() {
    let site = site().await;
    let slow = receiver().await;
    slow.status.store(0, Ordering::SeqCst);
    let fine = receiver().await;
    // A port nothing listens on: bound, then closed.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}/hook", l.local_addr().expect("addr"))
    };
    subscribe(&site, &slow.url, &["article.published"]).await;
    subscribe(&site, &closed, &["article.published"]).await;
    subscribe(&site, &fine.url, &["article.published"]).await;
    site.store
        .save_article(&article("hook-3", "economy", "Three receivers", "."))
        .await
        .expect("save");
    assert_eq!(deliver_due(&site.state).await.expect("send"), 3);
    let rows = log(&site).await;
    let by_url = |u: &str| rows.iter().find(|d| d.url == u).expect("row").clone();
    let slow_row = by_url(&slow.url);
    assert_eq!(slow_row.status, HookStatus::Pending);
    assert_eq!(slow_row.last_error.as_deref(), Some("no answer within 1 s"));
    let closed_row = by_url(&closed);
    assert_eq!(closed_row.status, HookStatus::Pending);
    assert_eq!(closed_row.last_error.as_deref(), Some("cannot connect"));
    assert_eq!(by_url(&fine.url).status, HookStatus::Delivered);
    assert_eq!(fine.got.lock().expect("lock").len(), 1);
}

#[tokio::test]
async fn updates_unpublishing_and_confirmed_subscribers_are_events() {
    let site = site().await;
    let rx = receiver().await;
    subscribe(
        &site,
        &rx.url,
        &[
            "article.updated",
            "article.unpublished",
            "subscriber.created",
        ],
    )
    .await;
    let mut a = article("hook-4", "economy", "First version", ".");
    site.store.save_article(&a).await.expect("publish");
    a.headline = "Second version".into();
    site.store.save_article(&a).await.expect("update");
    a.status = broadsheet_core::ArticleStatus::Unpublished;
    site.store.save_article(&a).await.expect("unpublish");
    let email = broadsheet_core::Email::parse("reader@example.com").expect("email");
    let s = site
        .store
        .sign_up(&email, &[], chrono::Utc::now(), 60)
        .await
        .expect("sign up");
    site.store
        .confirm_subscriber(s.subscriber.id, chrono::Utc::now())
        .await
        .expect("confirm");
    while deliver_due(&site.state).await.expect("send") > 0 {}
    let events: Vec<String> = rx
        .got
        .lock()
        .expect("lock")
        .iter()
        .map(|(h, _)| h["broadsheet-event"].to_str().expect("ascii").to_owned())
        .collect();
    assert_eq!(events.len(), 3, "{events:?}");
    for e in [
        "article.updated",
        "article.unpublished",
        "subscriber.created",
    ] {
        assert!(events.iter().any(|x| x == e), "{e} in {events:?}");
    }
}

#[tokio::test]
async fn admins_add_test_and_delete_webhooks_and_read_the_delivery_log() {
    let site = site().await;
    let rx = receiver().await;
    let admin = crate::newsroom::member(&site, "boss@example.com", Role::Admin).await;
    let editor = crate::newsroom::member(&site, "desk@example.com", Role::Editor).await;
    assert_eq!(
        editor.get(&site, "/admin/webhooks").await.status,
        StatusCode::FORBIDDEN
    );

    // Bad addresses and no events are refused, with what was typed kept.
    for (url, events) in [
        ("ftp://example.com/", vec!["article.published"]),
        ("http://", vec!["article.published"]),
        (rx.url.as_str(), vec![]),
    ] {
        let mut form = vec![("url", url), ("description", "partner")];
        form.extend(events.iter().map(|e| ("events", *e)));
        let reply = admin.post(&site, "/admin/webhooks", &form).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        assert!(reply.text().contains("Not added"));
    }
    assert!(site.store.webhooks().await.expect("list").is_empty());
    // A forged form (no CSRF token) changes nothing.
    let forged = crate::newsroom::post_as(
        &site,
        &admin,
        "/admin/webhooks",
        &[("url", rx.url.as_str()), ("events", "article.published")],
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(site.store.webhooks().await.expect("list").is_empty());

    let added = admin
        .post(
            &site,
            "/admin/webhooks",
            &[
                ("url", rx.url.as_str()),
                ("description", "partner app"),
                ("events", "article.published"),
                ("events", "subscriber.created"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text());
    let hooks = site.store.webhooks().await.expect("list");
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].events, ["article.published", "subscriber.created"]);
    assert!(hooks[0].secret.starts_with("whsec_") && hooks[0].secret.len() > 40);
    let page = admin.get(&site, "/admin/webhooks").await.text();
    assert!(
        page.contains(&hooks[0].secret),
        "the admin sees the secret to hand over"
    );

    let id = hooks[0].id.to_string();
    let ping = admin
        .post(
            &site,
            "/admin/webhooks/action",
            &[("id", &id), ("action", "ping")],
        )
        .await;
    assert_eq!(ping.status, StatusCode::SEE_OTHER);
    deliver_due(&site.state).await.expect("send");
    assert_eq!(
        rx.got.lock().expect("lock")[0].0["broadsheet-event"],
        "ping"
    );
    let page = admin.get(&site, "/admin/webhooks").await.text();
    assert!(
        page.contains("delivered") && page.contains("HTTP 204"),
        "the log shows it"
    );

    let gone = admin
        .post(
            &site,
            "/admin/webhooks/action",
            &[("id", &id), ("action", "delete")],
        )
        .await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    assert!(site.store.webhooks().await.expect("list").is_empty());
    let again = admin
        .post(
            &site,
            "/admin/webhooks/action",
            &[("id", &id), ("action", "delete")],
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let bad = admin
        .post(
            &site,
            "/admin/webhooks/action",
            &[("id", "x"), ("action", "delete")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

/// By default a webhook cannot reach this machine or the internal network, in any spelling of
/// the address: the attempt fails with the reason, the receiver gets nothing, and the log
/// records no status of the internal service (it would be a port scanner for admins).
#[tokio::test]
async fn receivers_on_private_addresses_are_refused_by_default() {
    let site = Site::build_with(None, true, Options::default()).await;
    let rx = receiver().await;
    let port = rx
        .url
        .rsplit(':')
        .next()
        .and_then(|p| p.split('/').next())
        .expect("port");
    for url in [
        rx.url.clone(),
        format!("http://2130706433:{port}/hook"),
        format!("http://[::ffff:127.0.0.1]:{port}/hook"),
        format!("http://localhost:{port}/hook"),
    ] {
        subscribe(&site, &url, &["article.published"]).await;
    }
    site.store
        .save_article(&article(
            "hook-private",
            "economy",
            "A story for an internal receiver",
            ".",
        ))
        .await
        .expect("save");
    assert_eq!(deliver_due(&site.state).await.expect("send"), 4);
    for d in log(&site).await {
        assert_eq!(d.status, HookStatus::Pending, "{d:?}");
        assert_eq!(d.last_status, None, "no internal status is recorded: {d:?}");
        assert!(
            d.last_error
                .as_deref()
                .is_some_and(|e| e.contains("not allowed")),
            "{d:?}"
        );
    }
    assert!(
        rx.got.lock().expect("lock").is_empty(),
        "nothing reached the receiver"
    );
}
