//! Wire ingest through the server: the push endpoint and its token, feeds polled from a real
//! HTTP server on loopback (ETag and 304, 500, garbage, a slow answer, an oversized one, the
//! private-address rule), drop folders, routing, and the desk: filters, versions, "Use" with
//! the picture fetched and its credit kept, and a kill flagging the article made from it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use broadsheet_app::wire::{WireOptions, ingest, poll_due, poll_due_at, scan_folders};
use broadsheet_core::Role;
use broadsheet_server::Options;
use broadsheet_server::auth::token_hash;
use broadsheet_store::{NewWireSource, WireFilter, WireKind, WireSource};
use http::{HeaderMap, Request, StatusCode};

use crate::newsroom::{location, member, photo_jpeg};
use crate::support::{Reply, Site};

const TOKEN: &str = "wire-token-0123456789abcdefghijklmnop";

async fn site_with(options: WireOptions) -> Site {
    Site::build_with(
        None,
        true,
        Options {
            wire: options,
            ..Options::default()
        },
    )
    .await
}

fn quick() -> WireOptions {
    WireOptions {
        fetch_timeout_secs: 2,
        max_bytes: 64 * 1024,
        max_items: 100,
        pause_after: 3,
    }
}

async fn source(
    site: &Site,
    name: &str,
    kind: WireKind,
    url: &str,
    allow_private: bool,
) -> WireSource {
    site.store
        .upsert_wire_source(&NewWireSource {
            name: name.into(),
            kind,
            url: url.into(),
            token_hash: (kind == WireKind::Push).then(|| token_hash(TOKEN)),
            allow_private,
            poll_secs: 60,
            section: String::new(),
            auto_publish: false,
        })
        .await
        .expect("source")
}

async fn push(site: &Site, name: &str, token: Option<&str>, body: &str) -> Reply {
    let mut req =
        Request::post(format!("/api/wire/{name}")).header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    site.request(req.body(Body::from(body.to_owned())).expect("request"))
        .await
}

fn ninjs(guid: &str, version: u32, headline: &str, extra: &str) -> String {
    format!(
        r#"{{"uri": "{guid}", "version": "{version}", "type": "text", "urgency": 2,
            "headline": "{headline}", "slugline": "MARKETS", "located": "SANTIAGO",
            "copyrightholder": "Andes Wire", "subject": [{{"name": "metals"}}],
            "body_html": "<p>Traders reacted to the news: {headline}.</p><script>alert(1)</script>"{extra}}}"#
    )
}

#[tokio::test]
async fn pushes_need_the_sources_token_and_every_item_is_reported() {
    let site = site_with(quick()).await;
    source(&site, "andes", WireKind::Push, "", false).await;
    let doc = ninjs("urn:andes:1", 1, "Copper hits 18-month high", "");
    for (name, token) in [
        ("andes", None),
        ("andes", Some("wrong-token")),
        ("nobody", Some(TOKEN)),
    ] {
        let r = push(&site, name, token, &doc).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{name} {token:?}");
        assert_eq!(r.header("content-type"), "application/problem+json");
    }
    assert!(
        site.store
            .wire_items(&WireFilter {
                limit: 10,
                ..WireFilter::default()
            })
            .await
            .expect("items")
            .is_empty(),
        "nothing stored from a refused push"
    );
    let r = push(&site, "andes", Some(TOKEN), &doc).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let report: serde_json::Value = serde_json::from_slice(&r.body).expect("json");
    assert_eq!(report["stored"], 1);
    assert_eq!(report["format"], "ninjs");
    // NewsML-G2 is taken on the same endpoint.
    let g2 = r#"<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/"><header><sent>2026-12-04T10:00:00Z</sent></header><itemSet>
      <newsItem guid="urn:andes:g2" version="1"><itemMeta><itemClass qcode="ninat:text"/><provider literal="Andes Wire"/><pubStatus qcode="stat:usable"/></itemMeta>
      <contentMeta><urgency>3</urgency><headline>Lithium output climbs</headline><slugline>CHILE-LITHIUM</slugline></contentMeta>
      <contentSet><inlineXML contenttype="application/xhtml+xml"><html xmlns="http://www.w3.org/1999/xhtml"><body><p>Output rose 9%.</p></body></html></inlineXML></contentSet>
      </newsItem></itemSet></newsMessage>"#;
    let r = push(&site, "andes", Some(TOKEN), g2).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let report: serde_json::Value = serde_json::from_slice(&r.body).expect("json");
    assert_eq!(report["format"], "newsml-g2");
    assert_eq!(report["stored"], 1);
    // The same push again changes nothing.
    let again: serde_json::Value =
        serde_json::from_slice(&push(&site, "andes", Some(TOKEN), &doc).await.body).expect("json");
    assert_eq!(again["unchanged"], 1);
    // Garbage, an entity bomb and an item without text: each refused with its reason.
    for (body, want) in [
        ("{\"uri\": ", "malformed JSON"),
        (
            "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]><nitf><head><title>&b;</title></head></nitf>",
            "entities",
        ),
    ] {
        let r = push(&site, "andes", Some(TOKEN), body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(r.text().contains(want), "{}", r.text());
    }
    let empty = push(
        &site,
        "andes",
        Some(TOKEN),
        r#"[{"uri": "urn:andes:2", "type": "text"}]"#,
    )
    .await;
    assert_eq!(empty.status, StatusCode::OK);
    let report: serde_json::Value = serde_json::from_slice(&empty.body).expect("json");
    assert_eq!(report["stored"], 0);
    assert!(
        report["rejected"][0]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("neither a headline nor a body"),
        "{report}"
    );
    // Over the size limit: 413, nothing stored.
    let big = ninjs(
        "urn:andes:big",
        1,
        "Big",
        &format!(r#", "ednote": "{}""#, "x".repeat(70_000)),
    );
    assert_eq!(
        push(&site, "andes", Some(TOKEN), &big).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    // A kill for a story never seen is kept and reported, not an error.
    let r = push(
        &site,
        "andes",
        Some(TOKEN),
        r#"{"uri": "urn:andes:ghost", "version": "2", "pubstatus": "canceled"}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let ghost = site
        .store
        .wire_items(&WireFilter {
            limit: 50,
            ..WireFilter::default()
        })
        .await
        .expect("items")
        .into_iter()
        .find(|i| i.item.guid == "urn:andes:ghost")
        .expect("the kill is kept on the desk");
    assert!(ghost.killed);
    // Problems are on the desk's sources page.
    let problems = site.store.wire_problems(10).await.expect("problems");
    assert!(problems.iter().any(|p| p.reason.contains("malformed JSON")));
    let items = site
        .store
        .wire_items(&WireFilter {
            limit: 10,
            ..WireFilter::default()
        })
        .await
        .expect("items");
    let copper = items
        .iter()
        .find(|i| i.item.guid == "urn:andes:1")
        .expect("copper");
    assert!(!copper.item.body_html.contains("script"), "sanitised");
}

/// A feed server on loopback whose answers the test changes as it goes.
struct FeedServer {
    base: String,
    hits: Arc<AtomicUsize>,
    conditional: Arc<AtomicUsize>,
}

fn rss(items: usize, title: &str) -> String {
    let mut s = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Loopback Wire</title><link>http://example.com/</link><description>d</description>"#,
    );
    for i in 0..items {
        s.push_str(&format!(
            "<item><guid>item-{i}</guid><title>{title} {i}</title><description>&lt;p&gt;Story {i}.&lt;/p&gt;</description><pubDate>Tue, 01 Dec 2026 10:00:00 GMT</pubDate></item>"
        ));
    }
    s.push_str("</channel></rss>");
    s
}

async fn feed_server() -> FeedServer {
    use axum::routing::get;
    let hits = Arc::new(AtomicUsize::new(0));
    let conditional = Arc::new(AtomicUsize::new(0));
    let (h, c) = (hits.clone(), conditional.clone());
    let app = axum::Router::new()
        .route(
            "/feed.xml",
            get(move |headers: HeaderMap| {
                let (h, c) = (h.clone(), c.clone());
                async move {
                    h.fetch_add(1, Ordering::SeqCst);
                    if headers.get("if-none-match").and_then(|v| v.to_str().ok()) == Some("\"v1\"")
                    {
                        c.fetch_add(1, Ordering::SeqCst);
                        return (
                            StatusCode::NOT_MODIFIED,
                            [("etag", "\"v1\"")],
                            String::new(),
                        );
                    }
                    (
                        StatusCode::OK,
                        [("etag", "\"v1\"")],
                        rss(3, "Loopback story"),
                    )
                }
            }),
        )
        .route(
            "/broken.xml",
            get(|| async { StatusCode::INTERNAL_SERVER_ERROR }),
        )
        .route(
            "/garbage.xml",
            get(|| async { "<rss><channel><item><title>never closed" }),
        )
        .route(
            "/slow.xml",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(10)).await;
                rss(1, "Late")
            }),
        )
        .route(
            "/huge.xml",
            get(|| async { rss(2000, "Padding padding padding") }),
        )
        .route(
            "/photo.jpg",
            get(|| async { ([("content-type", "image/jpeg")], photo_jpeg(640, 427)) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    FeedServer {
        base: format!("http://{addr}"),
        hits,
        conditional,
    }
}

/// A server that sends headers and the start of a body, then never finishes.
async fn endless_server() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let _ = sock
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 1000\r\n\r\n<rss version=\"2.0\"><channel>")
                    .await;
                tokio::time::sleep(Duration::from_secs(60)).await;
            });
        }
    });
    format!("http://{addr}/endless.xml")
}

async fn reload(site: &Site, name: &str) -> WireSource {
    site.store
        .wire_source(name)
        .await
        .expect("get")
        .expect("some")
}

#[tokio::test]
async fn feeds_are_polled_with_conditional_get_backoff_and_limits() {
    let site = site_with(quick()).await;
    let server = feed_server().await;
    // Loopback is refused unless the source allows it.
    let closed = source(
        &site,
        "closed",
        WireKind::Feed,
        &format!("{}/feed.xml", server.base),
        false,
    )
    .await;
    assert_eq!(poll_due(&site.state).await.expect("poll"), 1);
    let closed = reload(&site, &closed.name).await;
    assert!(
        closed
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("private or loopback"),
        "{:?}",
        closed.last_error
    );
    assert_eq!(server.hits.load(Ordering::SeqCst), 0, "no request was made");
    site.store
        .set_wire_source_paused(closed.id, true)
        .await
        .expect("pause");

    let feed = source(
        &site,
        "loop",
        WireKind::Feed,
        &format!("{}/feed.xml", server.base),
        true,
    )
    .await;
    poll_due(&site.state).await.expect("poll");
    let feed = reload(&site, &feed.name).await;
    assert_eq!(feed.etag.as_deref(), Some("\"v1\""));
    assert!(feed.last_error.is_none(), "{:?}", feed.last_error);
    assert!(feed.next_poll_at > chrono::Utc::now(), "next poll is later");
    let items = site
        .store
        .wire_items(&WireFilter {
            source: Some(feed.id),
            limit: 10,
            ..WireFilter::default()
        })
        .await
        .expect("items");
    assert_eq!(items.len(), 3);
    assert_eq!(items[0].item.agency, "Loopback Wire");
    // Not due yet: nothing is fetched.
    assert_eq!(poll_due(&site.state).await.expect("poll"), 0);
    // Due again: the ETag goes back and the 304 changes nothing.
    site.store
        .finish_wire_poll(
            feed.id,
            &broadsheet_store::PollOutcome::Fetched {
                etag: feed.etag.clone(),
                last_modified: None,
                next: chrono::Utc::now(),
            },
            chrono::Utc::now(),
        )
        .await
        .expect("make due");
    poll_due(&site.state).await.expect("poll");
    assert_eq!(
        server.conditional.load(Ordering::SeqCst),
        1,
        "If-None-Match was sent"
    );
    assert!(reload(&site, "loop").await.last_error.is_none());

    // Failures: counted, backed off, paused after `pause_after`; the error is kept.
    let endless = endless_server().await;
    for (name, path, want) in [
        ("broken", format!("{}/broken.xml", server.base), "HTTP 500"),
        (
            "garbage",
            format!("{}/garbage.xml", server.base),
            "unreadable",
        ),
        ("slow", format!("{}/slow.xml", server.base), "timed out"),
        (
            "huge",
            format!("{}/huge.xml", server.base),
            "over 65536 bytes",
        ),
        ("endless", endless.clone(), "timed out"),
        (
            "nowhere",
            "http://127.0.0.1:9/feed.xml".to_owned(),
            "cannot connect",
        ),
    ] {
        let s = source(&site, name, WireKind::Feed, &path, true).await;
        site.store
            .set_wire_source_paused(feed.id, true)
            .await
            .expect("quiet");
        poll_due(&site.state).await.expect("poll");
        let s = reload(&site, &s.name).await;
        let error = s.last_error.clone().unwrap_or_default();
        assert!(error.contains(want), "{name}: {error}");
        assert_eq!(s.failures, 1, "{name}");
        assert!(
            s.next_poll_at > chrono::Utc::now() + chrono::Duration::seconds(100),
            "{name}: backoff doubles the interval"
        );
        assert!(!s.paused, "{name}");
        site.store
            .set_wire_source_paused(s.id, true)
            .await
            .expect("quiet");
    }
    // Three failures in a row pause a source (time moves on past each backoff).
    let g = reload(&site, "garbage").await;
    site.store
        .set_wire_source_paused(g.id, false)
        .await
        .expect("resume");
    for _ in 0..3 {
        let polled = poll_due_at(&site.state, chrono::Utc::now() + chrono::Duration::hours(7))
            .await
            .expect("poll");
        assert_eq!(polled.len(), 1);
        assert!(polled[0].error.is_some());
    }
    let g = reload(&site, "garbage").await;
    assert!(g.paused, "paused after three failures: {g:?}");
    assert_eq!(g.failures, 3);
    assert_eq!(
        poll_due(&site.state).await.expect("poll"),
        0,
        "a paused source is not polled"
    );
    // The desk says so, and keeps working.
    let editor = member(&site, "editor@example.com", Role::Editor).await;
    let desk = editor.get(&site, "/admin/wire").await;
    assert_eq!(desk.status, StatusCode::OK);
    assert!(
        desk.text().contains("garbage</strong> is paused"),
        "{}",
        desk.text()
    );
    assert!(desk.text().contains("Loopback story 0"));
}

#[tokio::test]
async fn the_desk_filters_compares_and_uses_an_item_with_its_picture_credit() {
    let site = site_with(WireOptions::default()).await;
    let server = feed_server().await;
    let src = source(&site, "andes", WireKind::Push, "", true).await;
    let picture = format!(
        r#", "associations": {{"featuremedia": {{"uri": "urn:andes:pic", "type": "picture",
            "headline": "Miners at Escondida", "description_text": "Miners change shifts at the Escondida copper mine",
            "byline": "Rodrigo Garrido", "creditline": "Pool Photo via Andes Wire",
            "renditions": {{"original": {{"href": "{}/photo.jpg", "width": 640}}}}}}}}"#,
        server.base
    );
    for (guid, v, headline, extra) in [
        (
            "urn:andes:1",
            1,
            "Copper hits 18-month high",
            picture.as_str(),
        ),
        ("urn:andes:2", 1, "Chile central bank holds rates", ""),
    ] {
        let doc = ninjs(guid, v, headline, extra);
        ingest(&site.state, &src, doc.into(), "test")
            .await
            .expect("ingest");
    }
    let editor = member(&site, "editor@example.com", Role::Editor).await;
    let desk = editor.get(&site, "/admin/wire").await;
    assert_eq!(desk.status, StatusCode::OK);
    let html = desk.text();
    let a = html.find("Chile central bank holds rates").expect("listed");
    let b = html.find("Copper hits 18-month high").expect("listed");
    assert!(a < b, "newest first");
    for (query, copper, chile) in [
        ("q=copper", true, false),
        ("q=central+bank", false, true),
        ("urgency=1", false, false),
        ("urgency=2&subject=metals", true, true),
        ("source=andes", true, true),
    ] {
        let t = editor
            .get(&site, &format!("/admin/wire?{query}"))
            .await
            .text();
        assert_eq!(t.contains("Copper hits"), copper, "{query}");
        assert_eq!(t.contains("Chile central"), chile, "{query}");
    }
    for bad in ["urgency=12", "source=nobody", "before=x"] {
        let r = editor.get(&site, &format!("/admin/wire?{bad}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    // A second version replaces the first on the desk and can be compared with it.
    let v2 = ninjs("urn:andes:1", 2, "Copper hits 20-month high", &picture);
    ingest(&site.state, &src, v2.into(), "test")
        .await
        .expect("v2");
    let latest = site
        .store
        .wire_items(&WireFilter {
            text: Some("Copper".into()),
            limit: 5,
            ..WireFilter::default()
        })
        .await
        .expect("items");
    assert_eq!(latest.len(), 1);
    assert_eq!(latest[0].item.version, 2);
    let first = site
        .store
        .wire_versions(latest[0].id)
        .await
        .expect("versions")[1]
        .clone();
    let cmp = editor
        .get(
            &site,
            &format!("/admin/wire/{}?compare={}", latest[0].id, first.id),
        )
        .await;
    assert_eq!(cmp.status, StatusCode::OK);
    assert!(
        cmp.text().contains("+ Copper hits 20-month high"),
        "{}",
        cmp.text()
    );
    assert!(cmp.text().contains("- Copper hits 18-month high"));

    // Use: a draft with headline, dateline, source and the picture with its credit.
    let contributor = member(&site, "contributor@example.com", Role::Contributor).await;
    let used = contributor
        .post(&site, &format!("/admin/wire/{}/use", latest[0].id), &[])
        .await;
    assert_eq!(used.status, StatusCode::SEE_OTHER, "{}", used.text());
    let id: i64 = location(&used)
        .trim_start_matches("/admin/articles/")
        .split('?')
        .next()
        .unwrap_or("")
        .parse()
        .expect("article id");
    let article = stored_article(&site, id).await;
    assert_eq!(article.headline, "Copper hits 20-month high");
    assert_eq!(article.status, broadsheet_core::ArticleStatus::Draft);
    assert!(
        article
            .body_markdown
            .starts_with("SANTIAGO — Traders reacted"),
        "{}",
        article.body_markdown
    );
    assert!(!article.body_html.contains("script"));
    assert_eq!(article.sources, vec!["Andes Wire".to_owned()]);
    let hero = article.hero.as_ref().expect("the picture was fetched");
    assert_eq!(hero.credit.photographer.as_deref(), Some("Rodrigo Garrido"));
    assert_eq!(hero.credit.agency.as_deref(), Some("Andes Wire"));
    assert_eq!(
        hero.credit.via.as_deref(),
        Some("Pool Photo via Andes Wire")
    );
    assert_eq!(
        hero.caption,
        "Miners change shifts at the Escondida copper mine"
    );
    // The editor shows where it came from.
    let page = editor
        .get(&site, &format!("/admin/articles/{id}"))
        .await
        .text();
    assert!(page.contains("From the wire"), "{page}");

    // The agency kills the story: the article is flagged at once, on the desk and dashboard.
    let kill =
        r#"{"uri": "urn:andes:1", "version": "3", "pubstatus": "canceled", "headline": "KILL"}"#;
    let report = ingest(&site.state, &src, kill.into(), "test")
        .await
        .expect("kill");
    assert_eq!(report.flagged, vec![id]);
    let dash = editor.get(&site, "/admin").await.text();
    assert!(dash.contains("Withdrawn by the agency"), "{dash}");
    assert!(
        editor
            .get(&site, "/admin/wire")
            .await
            .text()
            .contains("Withdrawn by the agency")
    );
    assert!(
        editor
            .get(&site, &format!("/admin/articles/{id}"))
            .await
            .text()
            .contains("killed this story")
    );
    // A killed story cannot be used again.
    let again = contributor
        .post(&site, &format!("/admin/wire/{}/use", latest[0].id), &[])
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    // Clearing is the desk's job, not a contributor's.
    let r = contributor
        .post(&site, "/admin/wire/flags", &[("article", &id.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = editor
        .post(&site, "/admin/wire/flags", &[("article", &id.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        !editor
            .get(&site, "/admin")
            .await
            .text()
            .contains("Withdrawn by the agency")
    );
}

#[tokio::test]
async fn drop_folders_read_files_and_set_aside_bad_ones_with_the_reason() {
    let site = site_with(quick()).await;
    let src = source(&site, "dropped", WireKind::Folder, "", false).await;
    let dir = broadsheet_app::wire::drop_folder(&site.state, &src.name);
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(
        dir.join("a.json"),
        ninjs("urn:drop:1", 1, "Dropped story", ""),
    )
    .expect("a");
    std::fs::write(dir.join("b.xml"), "<nitf><head>").expect("b");
    std::fs::write(dir.join(".partial.json"), "{").expect("partial");
    assert_eq!(scan_folders(&site.state).await.expect("scan"), 2);
    assert!(dir.join("done/a.json").is_file());
    assert!(dir.join("failed/b.xml").is_file());
    let why = std::fs::read_to_string(dir.join("failed/b.xml.error")).expect("error file");
    assert!(why.contains("malformed XML"), "{why}");
    assert!(
        dir.join(".partial.json").is_file(),
        "files being written are left alone"
    );
    let items = site
        .store
        .wire_items(&WireFilter {
            limit: 5,
            ..WireFilter::default()
        })
        .await
        .expect("items");
    assert_eq!(items[0].item.headline, "Dropped story");
}

/// A push source routing to Markets, publishing at once or as drafts.
async fn routed_source(site: &Site, name: &str, auto_publish: bool) {
    site.store
        .upsert_wire_source(&NewWireSource {
            name: name.into(),
            kind: WireKind::Push,
            url: String::new(),
            token_hash: Some(token_hash(TOKEN)),
            allow_private: false,
            poll_secs: 60,
            section: "markets".into(),
            auto_publish,
        })
        .await
        .expect("source");
}

pub(crate) async fn stored_article(site: &Site, id: i64) -> broadsheet_core::Article {
    site.store
        .article_by_id(id)
        .await
        .expect("get")
        .expect("article")
}

#[tokio::test]
async fn a_routing_rule_publishes_a_sources_items_in_its_section() {
    let site = site_with(quick()).await;
    routed_source(&site, "results", true).await;
    let r = push(
        &site,
        "results",
        Some(TOKEN),
        &ninjs("urn:r:1", 1, "Closing prices for Friday", ""),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let report: serde_json::Value = serde_json::from_slice(&r.body).expect("json");
    let id = report["routed"][0].as_i64().expect("routed");
    let article = stored_article(&site, id).await;
    assert_eq!(article.section.slug.as_str(), "markets");
    let page = site.get(&format!("/article/{}", article.slug)).await;
    assert_eq!(page.status, StatusCode::OK, "published at once");
    // A new version updates the same article.
    push(
        &site,
        "results",
        Some(TOKEN),
        &ninjs("urn:r:1", 2, "Closing prices for Friday, corrected", ""),
    )
    .await;
    let again = stored_article(&site, id).await;
    assert_eq!(again.headline, "Closing prices for Friday, corrected");

    // Routed as drafts: a newer version updates a draft, but never one an editor has taken on.
    routed_source(&site, "desk-drafts", false).await;
    let r = push(
        &site,
        "desk-drafts",
        Some(TOKEN),
        &ninjs("urn:d:1", 1, "Draft from the wire", ""),
    )
    .await;
    let report: serde_json::Value = serde_json::from_slice(&r.body).expect("json");
    let id = report["routed"][0].as_i64().expect("routed");
    let mut draft = stored_article(&site, id).await;
    assert_eq!(draft.status, broadsheet_core::ArticleStatus::Draft);
    push(
        &site,
        "desk-drafts",
        Some(TOKEN),
        &ninjs("urn:d:1", 2, "Draft from the wire, v2", ""),
    )
    .await;
    draft = stored_article(&site, id).await;
    assert_eq!(
        draft.headline, "Draft from the wire, v2",
        "a draft follows the wire"
    );
    // The desk publishes it; version 3 must not pull it back to a draft.
    let mut input = crate::pages::article("x", "markets", &draft.headline, "Edited by the desk.");
    input.external_id = draft.external_id.clone();
    input.status = broadsheet_core::ArticleStatus::Published;
    site.store.save_article(&input).await.expect("publish");
    push(
        &site,
        "desk-drafts",
        Some(TOKEN),
        &ninjs("urn:d:1", 3, "Draft from the wire, v3", ""),
    )
    .await;
    let kept = stored_article(&site, id).await;
    assert_eq!(kept.status, broadsheet_core::ArticleStatus::Published);
    assert_eq!(kept.headline, "Draft from the wire, v2");
    let editor = member(&site, "editor@example.com", Role::Editor).await;
    let page = editor
        .get(&site, &format!("/admin/articles/{id}"))
        .await
        .text();
    assert!(page.contains("A newer version (3) has arrived"), "{page}");
}

/// Letting a source reach this machine or the internal network is the operator's decision,
/// made on the server, never a box in the admin: an editor or an administrator who sends it is
/// refused and nothing is saved; an edit keeps what the operator chose.
#[tokio::test]
async fn only_the_operator_lets_a_source_reach_private_addresses() {
    let site = Site::demo().await;
    let editor = member(&site, "editor@example.com", Role::Editor).await;
    let admin = member(&site, "boss@example.com", Role::Admin).await;
    let form = [
        ("name", "internal"),
        ("kind", "feed"),
        ("url", "http://127.0.0.1:9/feed.xml"),
        ("poll_secs", "300"),
        ("section", "economy"),
        ("allow_private", "1"),
    ];
    for who in [&editor, &admin] {
        let r = who.post(&site, "/admin/wire/sources", &form).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
        assert!(r.text().contains("--allow-private"), "{}", r.text());
    }
    assert!(
        site.store.wire_sources().await.expect("sources").is_empty(),
        "nothing saved"
    );
    // Without the field, the source is saved, and keeps to public addresses.
    let r = editor.post(&site, "/admin/wire/sources", &form[..5]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(!site.store.wire_sources().await.expect("sources")[0].allow_private);
    // The operator allows it on the server; an administrator's later edit keeps that.
    let source = site
        .store
        .wire_source("internal")
        .await
        .expect("read")
        .expect("source");
    site.store
        .upsert_wire_source(&broadsheet_store::NewWireSource {
            name: source.name.clone(),
            kind: source.kind,
            url: source.url.clone(),
            token_hash: None,
            allow_private: true,
            poll_secs: source.poll_secs,
            section: source.section.clone(),
            auto_publish: source.auto_publish,
        })
        .await
        .expect("operator");
    let r = admin.post(&site, "/admin/wire/sources", &form[..5]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(
        site.store.wire_sources().await.expect("sources")[0].allow_private,
        "the operator's choice is kept"
    );
}

#[tokio::test]
async fn use_says_in_the_editor_why_the_agencys_picture_is_missing() {
    let site = site_with(WireOptions::default()).await;
    let server = feed_server().await;
    let src = source(&site, "andes", WireKind::Push, "", true).await;
    let editor = member(&site, "editor@example.com", Role::Editor).await;
    for (guid, path, code, words) in [
        (
            "urn:andes:gone",
            "/no-such-photo.jpg",
            "unreachable",
            "could not be fetched",
        ),
        (
            "urn:andes:text",
            "/garbage.xml",
            "not-a-photo",
            "not a photo the library takes",
        ),
    ] {
        let picture = format!(
            r#", "associations": {{"featuremedia": {{"uri": "{guid}:pic", "type": "picture",
                "description_text": "A picture", "creditline": "Andes Wire",
                "renditions": {{"original": {{"href": "{}{path}"}}}}}}}}"#,
            server.base
        );
        ingest(
            &site.state,
            &src,
            ninjs(guid, 1, "Mine output falls", &picture).into(),
            "test",
        )
        .await
        .expect("ingest");
        let row = site
            .store
            .wire_items(&WireFilter {
                limit: 50,
                ..WireFilter::default()
            })
            .await
            .expect("items")
            .into_iter()
            .find(|r| r.item.guid == guid)
            .expect("the item");
        let used = editor
            .post(&site, &format!("/admin/wire/{}/use", row.id), &[])
            .await;
        assert_eq!(used.status, StatusCode::SEE_OTHER, "{}", used.text());
        let to = location(&used);
        assert!(to.ends_with(&format!("&picture={code}")), "{to}");
        let page = editor.get(&site, &to).await.text();
        assert!(page.contains(words), "{page}");
        assert!(page.contains(r#"role="alert""#));
        let id: i64 = to
            .trim_start_matches("/admin/articles/")
            .split('?')
            .next()
            .and_then(|s| s.parse().ok())
            .expect("article id");
        assert!(
            stored_article(&site, id).await.hero.is_none(),
            "the draft is made without it"
        );
    }
    // A code made up in the address shows nothing.
    let page = editor
        .get(&site, "/admin/articles/1?picture=%3Cscript%3E")
        .await
        .text();
    assert!(
        !page.contains("could not be fetched") && !page.contains("<script>"),
        "{page}"
    );
}
