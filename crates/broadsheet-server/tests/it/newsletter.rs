//! The newsletter against a real SMTP server (`tools/smtp_sink.py`): sign-up, confirmation and
//! welcome; bots and bad input; preferences; the digest's content and headers; one-click
//! unsubscribe; temporary and permanent failures. The send killed part-way is tested with real
//! processes in the binary's tests.

use axum::body::Body;
use broadsheet_core::Email;
use broadsheet_server::Options;
use chrono::Utc;
use http::{Request, StatusCode};

use crate::smtp::Sink;
use crate::support::{Reply, Site};

async fn site_with(sink: &Sink) -> Site {
    site_of(sink, true).await
}

/// A site with the menu sections Economy and Markets and no stories (`demo` false), or the demo.
async fn site_of(sink: &Sink, demo: bool) -> Site {
    site_at(sink, demo, None).await
}

/// The public address the digest test gives its site: mail links are absolute with it.
const BASE_URL: &str = "https://news.example.com";

async fn site_at(sink: &Sink, demo: bool, base_url: Option<&str>) -> Site {
    let mut options = Options {
        mailer: Some(sink.mailer()),
        ..Default::default()
    };
    options.newsletter.min_fill_secs = 0;
    options.newsletter.retry_base_secs = 1;
    options.newsletter.lease_secs = 2;
    options.newsletter.concurrency = 2;
    let site = Site::build_full(None, demo, options, base_url).await;
    if !demo {
        for (i, (slug, name)) in [("economy", "Economy"), ("markets", "Markets")]
            .into_iter()
            .enumerate()
        {
            site.store
                .upsert_section(&broadsheet_core::NewSection {
                    slug: broadsheet_core::Slug::parse(slug).expect("slug"),
                    name: name.into(),
                    description: String::new(),
                    parent: None,
                    position: i as i32,
                    in_menu: true,
                })
                .await
                .expect("section");
        }
        site.state.sync_changes().await.expect("sync");
    }
    site
}

async fn post(site: &Site, uri: &str, body: &str) -> Reply {
    site.request(
        Request::post(uri)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "text/html")
            .body(Body::from(body.to_owned()))
            .expect("request"),
    )
    .await
}

/// The signed form time from a page's sign-up form.
async fn form_time(site: &Site) -> String {
    hidden_t(&site.get("/subscribe").await.text())
}

/// The hidden `t` of the (first) sign-up form on a page.
pub(crate) fn hidden_t(html: &str) -> String {
    let at = html.find("name=\"t\" value=\"").expect("t") + 16;
    let end = at + html[at..].find('"').expect("end");
    html[at..end].to_owned()
}

/// Mail to `sink`, and a minimum fill time no test sign-up meets.
fn strict_options(sink: &Sink) -> Options {
    let mut options = Options {
        mailer: Some(sink.mailer()),
        ..Default::default()
    };
    options.newsletter.min_fill_secs = 30;
    options
}

fn link(message: &str, prefix: &str) -> String {
    let at = message.find(prefix).expect("a link");
    message[at..]
        .split(|c: char| c.is_whitespace() || c == '"' || c == '>')
        .next()
        .unwrap_or("")
        .to_owned()
}

async fn subscribe(site: &Site, address: &str) -> Reply {
    let t = form_time(site).await;
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("email", address)
        .append_pair("t", &t)
        .append_pair("website", "")
        .finish();
    post(site, "/subscribe", &body).await
}

#[tokio::test]
async fn sign_up_confirm_and_welcome_through_a_real_smtp_server() {
    let Some(sink) = Sink::start("newsletter sign-up", &[]) else {
        return;
    };
    let site = site_with(&sink).await;
    let r = subscribe(&site, "Reader@Example.com").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("Check your inbox"));
    let got = sink.wait_for(1);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].rcpt, "reader@example.com");
    assert!(got[0].subject.contains("Confirm"));
    let confirm = link(&sink.messages()[0], "/subscribe/confirm/");

    // Signing up again at once sends nothing more.
    subscribe(&site, "reader@example.com").await;
    let r = site.get(&confirm).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("You are subscribed"));
    let got = sink.wait_for(2);
    assert_eq!(got.len(), 2, "the welcome, and no second confirmation");
    assert!(got[1].subject.contains("Welcome"));
    let s = site
        .store
        .subscribers(Some("reader@"), 10)
        .await
        .expect("list");
    assert_eq!(s[0].status, broadsheet_store::SubscriberStatus::Active);

    // A replayed link confirms nothing new and sends no second welcome.
    let again = site.get(&confirm).await;
    assert!(again.text().contains("Already confirmed"));
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(sink.received().len(), 2);

    // A tampered link is refused with a reason.
    let mut tampered = confirm.clone();
    tampered.push('0');
    let r = site.get(&tampered).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("not valid"));
}

#[tokio::test]
async fn bots_bad_addresses_and_floods_get_no_mail() {
    let Some(sink) = Sink::start("newsletter bots", &[]) else {
        return;
    };
    let mut options = strict_options(&sink);
    options.newsletter.sign_ups_per_minute = 4;
    let site = Site::build_with(None, true, options).await;
    let t = form_time(&site).await;
    for (what, body, status) in [
        (
            "honeypot",
            format!("email=bot%40example.com&website=http%3A%2F%2Fspam&t={t}"),
            StatusCode::OK,
        ),
        (
            "too fast",
            format!("email=fast%40example.com&t={t}"),
            StatusCode::OK,
        ),
        (
            "no form time",
            "email=notime%40example.com".to_owned(),
            StatusCode::OK,
        ),
        (
            "header injection",
            format!("email=a%40example.com%0D%0ABcc%3A+victim%40example.com&t={t}"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let r = post(&site, "/subscribe", &body).await;
        assert_eq!(r.status, status, "{what}");
    }
    let long = format!("email={}%40example.com&t={t}", "a".repeat(300));
    let r = post(&site, "/subscribe", &long).await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the fifth sign-up in a minute"
    );
    assert!(r.header("retry-after").parse::<u64>().is_ok());
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(sink.received().len(), 0, "no mail to anyone");
    assert!(
        site.store
            .subscribers(None, 10)
            .await
            .expect("list")
            .is_empty(),
        "nobody stored"
    );
}

#[tokio::test]
async fn a_sign_up_faster_than_a_person_gets_a_visible_second_step_not_a_silent_drop() {
    let Some(sink) = Sink::start("newsletter second step", &[]) else {
        return;
    };
    let site = Site::build_with(None, true, strict_options(&sink)).await;
    let t = form_time(&site).await;
    let r = post(
        &site,
        "/subscribe",
        &format!("email=Quick%40Example.com&t={t}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("<h1>One more step</h1>"), "{html}");
    assert!(html.contains("not a robot"));
    assert!(
        html.contains(r#"value="quick@example.com""#),
        "the address is kept"
    );
    let step = hidden_t(&html);
    assert_ne!(step, t);
    assert!(
        site.store
            .subscribers(None, 10)
            .await
            .expect("list")
            .is_empty(),
        "nothing stored yet"
    );

    // The second step's token does not pass for something else, and a bot still fails it.
    for (what, body) in [
        (
            "honeypot",
            format!("email=quick%40example.com&website=x&t={step}"),
        ),
        (
            "forged",
            format!("email=quick%40example.com&t={}", step.replace('.', ".1")),
        ),
        ("edited", format!("email=quick%40example.com&t=1{step}")),
    ] {
        let r = post(&site, "/subscribe", &body).await;
        assert!(
            r.text().contains("Check your inbox"),
            "{what}: answered like a person"
        );
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(sink.received().len(), 0, "no mail for the bots");

    // The person's button: sent at once, and the confirmation goes out.
    let r = post(
        &site,
        "/subscribe",
        &format!("email=quick%40example.com&t={step}"),
    )
    .await;
    assert!(r.text().contains("Check your inbox"));
    let got = sink.wait_for(1);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].rcpt, "quick@example.com");
}

async fn active(site: &Site, address: &str) -> i64 {
    let email = Email::parse(address).expect("email");
    let s = site
        .store
        .sign_up(&email, &[], Utc::now(), 0)
        .await
        .expect("sign up");
    site.store
        .confirm_subscriber(s.subscriber.id, Utc::now())
        .await
        .expect("confirm");
    s.subscriber.id
}

/// A story published now, so the digest has something from the last 24 hours.
async fn fresh_story(site: &Site, id: &str, section: &str, headline: &str, importance: i32) {
    let mut a = crate::pages::article(id, section, headline, "Body of the story.");
    a.importance = importance;
    a.standfirst = format!("Why {headline} matters");
    site.store.save_article(&a).await.expect("story");
}

#[tokio::test]
async fn the_digest_goes_once_to_each_subscriber_with_unsubscribe_headers() {
    let Some(sink) = Sink::start("newsletter digest", &[]) else {
        return;
    };
    let site = site_at(&sink, false, Some(BASE_URL)).await;
    fresh_story(&site, "d1", "economy", "Central bank holds rates", 3).await;
    fresh_story(&site, "d2", "markets", "Stocks rally on the news", 1).await;
    fresh_story(&site, "d3", "economy", "Jobs report beats forecasts", 1).await;
    for i in 0..6 {
        fresh_story(
            &site,
            &format!("d4{i}"),
            if i % 2 == 0 { "economy" } else { "markets" },
            &format!("Market note {i}"),
            0,
        )
        .await;
    }
    let a = active(&site, "ana@example.com").await;
    let b = active(&site, "ben@example.com").await;
    // Not confirmed, or left: nothing for them.
    let pending = Email::parse("pending@example.com").expect("email");
    site.store
        .sign_up(&pending, &[], Utc::now(), 0)
        .await
        .expect("sign up");
    let gone = active(&site, "gone@example.com").await;
    site.store.unsubscribe(gone).await.expect("unsubscribe");
    site.store
        .set_preferences(
            b,
            &broadsheet_store::Preferences {
                digest: true,
                sections: vec!["markets".into()],
                ..Default::default()
            },
        )
        .await
        .expect("prefs");

    let report = broadsheet_app::newsletter::send::run_digest(&site.state, Utc::now(), true)
        .await
        .expect("send")
        .expect("a digest");
    assert_eq!((report.counts.sent, report.counts.remaining), (2, 0));
    let got = sink.received();
    let mut to: Vec<&str> = got.iter().map(|r| r.rcpt.as_str()).collect();
    to.sort();
    assert_eq!(to, vec!["ana@example.com", "ben@example.com"]);
    assert!(
        got.iter()
            .all(|r| r.subject.contains("Central bank holds rates")),
        "lead in the subject"
    );
    // A second run sends nothing more.
    assert!(
        broadsheet_app::newsletter::send::run_digest(&site.state, Utc::now(), true)
            .await
            .expect("again")
            .is_none()
    );
    assert_eq!(sink.received().len(), 2);

    let messages = sink.messages();
    let ana = messages
        .iter()
        .find(|m| m.contains("To: ana@example.com"))
        .expect("ana's copy");
    for header in [
        // RFC 8058: an absolute https URI.
        "List-Unsubscribe: <https://news.example.com/newsletter/unsubscribe/",
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        &format!(
            "Message-ID: <digest-{}.{a}@news.example.com>",
            report.issue_id
        ),
        "Content-Type: multipart/alternative",
        "Content-Type: text/plain",
        "Content-Type: text/html",
    ] {
        assert!(ana.contains(header), "{header} in\n{ana}");
    }
    let ben = messages
        .iter()
        .find(|m| m.contains("To: ben@example.com"))
        .expect("ben's copy");
    assert!(
        ana.contains("\r\nECONOMY\r\n") && ana.contains("\r\nMARKETS\r\n"),
        "{ana}"
    );
    assert!(
        !ben.contains("\r\nECONOMY\r\n") && ben.contains("\r\nMARKETS\r\n"),
        "only the sections ben chose"
    );

    // The whole plain-text part, up to the MIME boundary (not the "-- " before the footer),
    // with the per-issue and per-reader parts redacted.
    let boundary = ana
        .split("boundary=\"")
        .nth(1)
        .and_then(|b| b.split('"').next())
        .expect("a multipart boundary");
    let text = ana
        .split("Content-Type: text/plain")
        .nth(1)
        .and_then(|t| t.split_once("\r\n\r\n").map(|p| p.1))
        .and_then(|t| t.split(&format!("\r\n--{boundary}")).next())
        .expect("the text part")
        .replace("\r\n", "\n");
    assert!(
        text.contains("/newsletter/unsubscribe/") && text.contains("/newsletter/preferences/"),
        "the footer's links are in the snapshot: {text}"
    );
    insta::with_settings!({filters => vec![
        (r"/(preferences|unsubscribe)/\d+\.\d+\.[0-9a-f]+", "/$1/[TOKEN]"),
        (r"/newsletter/\d+", "/newsletter/[ISSUE]"),
        (r"/article/[a-z0-9-]+", "/article/[SLUG]"),
        (r"(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) \d+ \w+ \d{4}", "[DATE]"),
    ]}, {
        insta::assert_snapshot!("digest_text", text);
    });

    // One-click unsubscribe from the List-Unsubscribe link: 200, no page, done.
    let unsub = link(ana, "/newsletter/unsubscribe/");
    let r = site
        .request(
            Request::post(&unsub)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from("List-Unsubscribe=One-Click"))
                .expect("request"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.text(), "unsubscribed\n");
    assert_eq!(
        site.store
            .subscriber(a)
            .await
            .expect("read")
            .expect("s")
            .status,
        broadsheet_store::SubscriberStatus::Unsubscribed
    );
    // A GET of the link (a mail scanner) unsubscribes nobody.
    let prefs = link(ben, "/newsletter/unsubscribe/");
    assert_eq!(site.get(&prefs).await.status, StatusCode::OK);
    assert_eq!(
        site.store
            .subscriber(b)
            .await
            .expect("read")
            .expect("s")
            .status,
        broadsheet_store::SubscriberStatus::Active
    );
    // The archive shows the issue.
    let archive = site.get("/newsletter").await.text();
    assert!(archive.contains("Central bank holds rates"));
    let page = site.get(&format!("/newsletter/{}", report.issue_id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("Stocks rally on the news"));
}

#[tokio::test]
async fn temporary_failures_are_retried_and_permanent_ones_bounce() {
    let Some(sink) = Sink::start("newsletter failures", &[]) else {
        return;
    };
    let site = site_of(&sink, false).await;
    fresh_story(&site, "f1", "economy", "Budget passes", 2).await;
    for who in ["ok-1", "ok-2", "temp-1", "temp-2", "perm-1"] {
        active(&site, &format!("{who}@example.com")).await;
    }
    let report = broadsheet_app::newsletter::send::run_digest(&site.state, Utc::now(), true)
        .await
        .expect("send")
        .expect("a digest");
    assert_eq!(
        (
            report.counts.sent,
            report.counts.bounced,
            report.counts.failed,
            report.counts.remaining
        ),
        (4, 1, 0, 0)
    );
    let got = sink.received();
    for who in ["ok-1", "ok-2", "temp-1", "temp-2"] {
        let n = got
            .iter()
            .filter(|r| r.rcpt == format!("{who}@example.com"))
            .count();
        assert_eq!(n, 1, "{who} got exactly one copy");
    }
    assert!(!got.iter().any(|r| r.rcpt.starts_with("perm-")));
    let perm = site
        .store
        .subscribers(Some("perm-1"), 1)
        .await
        .expect("list");
    assert_eq!(perm[0].bounces, 1);
}

/// Two senders on one journal (as two nodes would be) through a relay that takes 300 ms per
/// message: a batch takes longer than the 2-second lease it was claimed with, so the sender
/// must renew it as it goes, or the other one takes over rows still waiting and both send them.
#[tokio::test]
async fn a_batch_that_outlasts_its_lease_is_renewed_not_sent_twice() {
    let Some(sink) = Sink::start("newsletter lease renewal", &["--delay-ms", "300"]) else {
        return;
    };
    let site = site_of(&sink, false).await;
    fresh_story(&site, "l1", "economy", "Rates on hold", 2).await;
    let mut everyone = Vec::new();
    for i in 0..24 {
        let address = format!("reader{i}@example.com");
        active(&site, &address).await;
        everyone.push(address);
    }
    let now = Utc::now();
    let (a, b) = tokio::join!(
        broadsheet_app::newsletter::send::run_digest(&site.state, now, true),
        broadsheet_app::newsletter::send::run_digest(&site.state, now, true)
    );
    let (a, b) = (
        a.expect("a").expect("a digest"),
        b.expect("b").expect("a digest"),
    );
    assert_eq!(a.issue_id, b.issue_id, "one issue");
    assert_eq!((a.counts.sent, a.counts.remaining), (24, 0));
    let got = sink.received();
    for address in &everyone {
        let n = got.iter().filter(|r| &r.rcpt == address).count();
        assert_eq!(n, 1, "{address} got {n} copies");
    }
    assert_eq!(got.len(), 24);
}

#[tokio::test]
async fn preferences_export_and_delete_through_the_signed_link() {
    let Some(sink) = Sink::start("newsletter preferences", &[]) else {
        return;
    };
    let site = site_with(&sink).await;
    subscribe(&site, "pat@example.com").await;
    sink.wait_for(1);
    let confirm = link(&sink.messages()[0], "/subscribe/confirm/");
    site.get(&confirm).await;
    let welcome = sink.wait_for(2);
    assert_eq!(welcome.len(), 2);
    let prefs = link(&sink.messages()[1], "/newsletter/preferences/");
    let page = site.get(&prefs).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("pat@example.com"));
    let r = post(
        &site,
        &prefs,
        "digest=1&alerts=1&section=markets&section=not-a-section&action=save",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let s = site.store.subscribers(Some("pat@"), 1).await.expect("list");
    assert!(s[0].alerts);
    assert_eq!(
        s[0].sections,
        vec!["markets".to_owned()],
        "unknown sections dropped"
    );
    let export = site.get(&format!("{prefs}/export")).await;
    assert!(
        export
            .header("content-type")
            .starts_with("application/json")
    );
    assert!(export.text().contains("\"email\": \"pat@example.com\""));
    let r = post(&site, &prefs, "action=delete").await;
    assert!(r.text().contains("Your data is deleted"));
    assert!(
        site.store
            .subscribers(Some("pat@"), 1)
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(
        site.get(&prefs).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_breaking_story_goes_once_to_those_who_want_alerts() {
    let Some(sink) = Sink::start("newsletter alerts", &[]) else {
        return;
    };
    let site = site_of(&sink, false).await;
    let wants = active(&site, "alerts@example.com").await;
    active(&site, "digest-only@example.com").await;
    site.store
        .set_preferences(
            wants,
            &broadsheet_store::Preferences {
                digest: true,
                alerts: true,
                ..Default::default()
            },
        )
        .await
        .expect("prefs");
    fresh_story(&site, "b1", "economy", "Rates cut in surprise move", 3).await;
    let id = site
        .store
        .article_by_external_id("b1")
        .await
        .expect("read")
        .expect("story")
        .id;
    use broadsheet_app::newsletter::send::start_alert;
    assert!(start_alert(&site.state, id).await.expect("alert"));
    assert!(
        !start_alert(&site.state, id).await.expect("again"),
        "once per story"
    );
    let got = sink.wait_for(1);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let got = if got.len() == 1 { sink.received() } else { got };
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].rcpt, "alerts@example.com");
    assert!(got[0].subject.starts_with("Breaking: Rates cut"));
}

#[tokio::test]
async fn an_smtp_server_that_is_down_gets_a_clear_answer_and_loses_no_one() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let config = broadsheet_mail::SmtpConfig {
        host: Some("127.0.0.1".into()),
        port,
        tls: broadsheet_mail::TlsMode::None,
        timeout_secs: 2,
        ..Default::default()
    };
    let mut options = Options {
        mailer: Some(std::sync::Arc::new(
            broadsheet_mail::SmtpMailer::new(&config).expect("smtp"),
        )),
        ..Default::default()
    };
    options.newsletter.min_fill_secs = 0;
    let site = Site::build_with(None, true, options).await;
    let r = subscribe(&site, "patient@example.com").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        r.text().contains("could not send the confirmation"),
        "{}",
        r.text()
    );
    let kept = site
        .store
        .subscribers(Some("patient@"), 1)
        .await
        .expect("list");
    assert_eq!(kept.len(), 1, "the sign-up is kept");
    assert_eq!(kept[0].status, broadsheet_store::SubscriberStatus::Pending);
}

/// The CSV export is opened in spreadsheets: an address that starts like a formula
/// (`=1+2@…` is a valid address) is written with a leading apostrophe so it stays text, and
/// addresses carrying right-to-left overrides are refused when they come in.
#[tokio::test]
async fn the_subscriber_export_is_safe_to_open_in_a_spreadsheet() {
    let site = Site::demo().await;
    for address in [
        "=1+2@evil.example",
        "+sum@x.example",
        "-cmd@x.example",
        "plain@x.example",
    ] {
        active(&site, address).await;
    }
    let admin =
        crate::newsroom::member(&site, "boss@example.com", broadsheet_core::Role::Admin).await;
    let r = admin.get(&site, "/admin/newsletter/subscribers.csv").await;
    assert_eq!(r.status, StatusCode::OK);
    let csv = r.text();
    for line in csv.lines().skip(1) {
        assert!(
            !line.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "a cell a spreadsheet would run: {line:?}"
        );
    }
    assert!(csv.contains("\n'=1+2@evil.example,"), "{csv}");
    assert!(csv.contains("\nplain@x.example,"), "{csv}");
    for hostile in [
        "gnp.exe\u{202e}@x.example",
        "a\u{2066}b@x.example",
        "zero\u{200b}width@x.example",
    ] {
        assert!(Email::parse(hostile).is_err(), "{hostile:?}");
    }
}

#[tokio::test]
async fn the_digest_carries_the_leads_photo_with_its_credit_standfirsts_and_a_market_summary() {
    use broadsheet_app::newsletter::compose;
    let Some(sink) = Sink::start("newsletter digest content", &[]) else {
        return;
    };
    let site = site_at(&sink, true, Some(BASE_URL)).await;
    // The demo's art is vector (SVG), which mail clients do not show: no picture for it.
    let now = Utc::now();
    let content = compose::choose(&site.state, now).await.expect("choose");
    assert!(
        content
            .lead
            .as_ref()
            .expect("a lead in the demo")
            .image
            .is_none()
    );

    // A photo uploaded through the API, on a pinned story: the lead, with its picture.
    use crate::api::{admin_key, json, send, send_json, story};
    let editor = admin_key(&site, "desk@example.com", broadsheet_core::Role::Editor).await;
    let jpeg = crate::newsroom::photo_jpeg(1800, 1000);
    let up = send(&site, "POST", "/api/v1/admin/media?alt=Cranes%20over%20the%20harbour&photographer=Hanne%20Voss&agency=MPA&name=cranes.jpg", &editor, jpeg, "image/jpeg").await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.text());
    let media_id = json(&up)["media"]["id"].as_i64().expect("id");
    let mut body = story("Harbour cranes idle as dockers strike");
    body["hero"] = serde_json::json!({ "media_id": media_id, "alt": "Cranes over the harbour", "caption": "The east quay at dawn.", "photographer": "Hanne Voss", "agency": "MPA" });
    body["pinned"] = serde_json::json!(true);
    body["importance"] = serde_json::json!(3);
    let created = send_json(&site, "POST", "/api/v1/admin/articles", &editor, &body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let id = json(&created)["article"]["id"].as_i64().expect("id");
    let published = send(
        &site,
        "POST",
        &format!("/api/v1/admin/articles/{id}/publish"),
        &editor,
        vec![],
        "application/json",
    )
    .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.text());

    let now = Utc::now();
    let content = compose::choose(&site.state, now).await.expect("choose");
    let lead = content.lead.as_ref().expect("a lead story");
    assert_eq!(lead.headline, "Harbour cranes idle as dockers strike");
    let image = lead.image.as_ref().expect("the lead's photo");
    assert!(
        (600..1800).contains(&image.width),
        "a resized copy near twice the mail's 600 px column, not the 1,800 px original: {}",
        image.width
    );
    assert_eq!(image.credit, "Hanne Voss, MPA");
    assert!(
        image.url.starts_with("https://news.example.com/media/") && image.url.ends_with(".jpg"),
        "{}",
        image.url
    );
    assert!(
        !image.alt.is_empty() && !image.credit.is_empty(),
        "{image:?}"
    );
    assert!(
        content.top.iter().all(|i| !i.standfirst.is_empty()),
        "the demo's stories have standfirsts"
    );
    let names: Vec<&str> = content.markets.iter().map(|m| m.name.as_str()).collect();
    assert!(names.contains(&"Carrow 40"), "{names:?}");
    assert!(
        content
            .markets
            .iter()
            .all(|m| m.url.starts_with("https://news.example.com/markets/"))
    );

    let mut copy =
        compose::render(&site.state, "digest", "Subject", "", 1, now, &content).expect("render");
    // The template escapes "/" in attributes as "&#x2f;", which a mail client reads as "/".
    copy.html = copy.html.replace("&#x2f;", "/");
    assert!(
        copy.html.contains(&format!("src=\"{}\"", image.url)),
        "the picture in the HTML: {}",
        copy.html
    );
    assert!(copy.html.contains(&format!(
        "alt=\"{}\"",
        broadsheet_core::html::escape(&image.alt)
    )));
    assert!(copy.html.contains(&format!(
        "Photo: {}",
        broadsheet_core::html::escape(&image.credit)
    )));
    assert!(
        copy.html
            .contains(&broadsheet_core::html::escape(&content.top[0].standfirst))
    );
    assert!(copy.html.contains(">Markets<") && copy.html.contains("Carrow 40"));
    assert!(copy.text.contains(&format!("(Photo: {})", image.credit)));
    assert!(copy.text.contains(&content.top[0].standfirst));
    let carrow = content
        .markets
        .iter()
        .find(|m| m.name == "Carrow 40")
        .expect("Carrow 40");
    assert!(
        copy.text.contains(&format!(
            "- Carrow 40: {} points, {}",
            carrow.value, carrow.direction_text
        )),
        "{}",
        copy.text
    );

    // The issue frozen before this change (no pictures, no markets) still reads.
    let old = r#"{"lead":{"id":1,"headline":"h","standfirst":"s","url":"u","section":"x"},"top":[],"sections":[]}"#;
    let parsed: compose::DigestContent = serde_json::from_str(old).expect("an old issue");
    assert!(parsed.lead.expect("lead").image.is_none() && parsed.markets.is_empty());
}
