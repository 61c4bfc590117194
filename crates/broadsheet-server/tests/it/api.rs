//! The Content API (`/api/v1`): keys, paging, filters, caching, errors as problem+json, the
//! OpenAPI document against the routes, and ninjs.

use std::collections::HashSet;

use broadsheet_core::ArticleStatus;
use broadsheet_server::{Limits, Options, create_api_key};
use broadsheet_store::ApiKeyKind;
use http::StatusCode;
use serde_json::Value;

use crate::pages::article;
use crate::support::{Reply, Site};

const COPPER: &str = "copper-hits-18-month-high-on-supply-worries";

async fn key(site: &Site) -> String {
    create_api_key(site.store.as_ref(), "tests", ApiKeyKind::Content, None)
        .await
        .expect("key")
        .0
}

async fn get(site: &Site, key: &str, uri: &str) -> Reply {
    site.get_with(uri, &[("authorization", &format!("Bearer {key}"))])
        .await
}

pub(crate) fn json(reply: &Reply) -> Value {
    serde_json::from_slice(&reply.body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", reply.text()))
}

/// A problem+json answer with this status; returns the document.
fn problem(reply: &Reply, status: StatusCode) -> Value {
    assert_eq!(reply.status, status, "{}", reply.text());
    assert_eq!(reply.header("content-type"), "application/problem+json");
    let doc = json(reply);
    assert_eq!(doc["status"], status.as_u16());
    assert!(
        doc["title"].is_string() && doc["detail"].is_string(),
        "{doc}"
    );
    doc
}

#[tokio::test]
async fn a_content_key_is_required_and_revocation_takes_effect_at_once() {
    let site = Site::demo().await;
    let reply = site.get("/api/v1/articles").await;
    problem(&reply, StatusCode::UNAUTHORIZED);
    assert!(reply.header("www-authenticate").starts_with("Bearer"));
    for bad in ["nonsense", "bsc_0000", &"x".repeat(5000)] {
        problem(
            &get(&site, bad, "/api/v1/articles").await,
            StatusCode::UNAUTHORIZED,
        );
    }
    problem(
        &site
            .get_with("/api/v1/articles", &[("authorization", "Basic abc")])
            .await,
        StatusCode::UNAUTHORIZED,
    );

    let (key, record) = create_api_key(site.store.as_ref(), "app", ApiKeyKind::Content, None)
        .await
        .expect("key");
    assert!(key.starts_with("bsc_") && key.len() > 60);
    assert!(key.starts_with(&record.prefix));
    assert_eq!(
        get(&site, &key, "/api/v1/articles").await.status,
        StatusCode::OK
    );
    let by_query = site.get(&format!("/api/v1/articles?key={key}")).await;
    assert_eq!(by_query.status, StatusCode::OK);
    // The key is never stored, only its hash.
    let listed = site.store.api_keys().await.expect("keys");
    assert!(
        listed
            .iter()
            .all(|k| !format!("{k:?}").contains(&key[12..]))
    );

    assert!(
        site.store
            .revoke_api_key(record.id, chrono::Utc::now())
            .await
            .expect("revoke")
    );
    // Even for an answer that is in the cache.
    problem(
        &get(&site, &key, "/api/v1/articles").await,
        StatusCode::UNAUTHORIZED,
    );
    // The OpenAPI document needs no key.
    assert_eq!(
        site.get("/api/v1/openapi.json").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_cursor_walks_every_public_story_once_newest_first() {
    let site = Site::demo().await;
    let key = key(&site).await;
    let mut draft = article("api-draft", "politics", "Draft for the API test", "No.");
    draft.status = ArticleStatus::Draft;
    draft.published_at = None;
    site.store.save_article(&draft).await.expect("draft");

    let mut seen = Vec::new();
    let mut next = Some("/api/v1/articles?limit=7".to_owned());
    let mut pages = 0;
    while let Some(uri) = next {
        let reply = get(
            &site,
            &key,
            uri.strip_prefix("http://localhost").unwrap_or(&uri),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}");
        let doc = json(&reply);
        let items = doc["articles"].as_array().expect("articles");
        assert!(items.len() <= 7);
        seen.extend(items.iter().map(|a| {
            (
                a["published_at"].as_str().expect("date").to_owned(),
                a["id"].as_i64().expect("id"),
            )
        }));
        next = doc["meta"]["next"].as_str().map(str::to_owned);
        pages += 1;
        assert!(pages < 20, "paging must end");
    }
    let public = site
        .store
        .query_public(&Default::default(), chrono::Utc::now(), None, 1000)
        .await
        .expect("all")
        .items
        .len();
    assert_eq!(seen.len(), public, "every public story");
    let ids: HashSet<_> = seen.iter().map(|s| s.1).collect();
    assert_eq!(ids.len(), seen.len(), "none twice");
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted, "newest first");
    let texts = get(&site, &key, "/api/v1/articles?limit=100").await.text();
    assert!(!texts.contains("Draft for the API test"));
}

#[tokio::test]
async fn filters_combine_and_name_the_parameter_they_reject() {
    let site = Site::demo().await;
    let key = key(&site).await;
    let all = json(&get(&site, &key, "/api/v1/articles?limit=100").await);
    let all = all["articles"].as_array().expect("list").clone();

    let markets = json(&get(&site, &key, "/api/v1/articles?section=markets&limit=100").await);
    let markets = markets["articles"].as_array().expect("list");
    assert!(
        markets
            .iter()
            .any(|a| a["section"]["slug"] == "commodities"),
        "subsections too"
    );
    assert!(markets.iter().all(|a| {
        ["markets", "commodities", "currencies", "bonds", "stocks"]
            .contains(&a["section"]["slug"].as_str().unwrap_or(""))
    }));

    let copper = json(
        &get(
            &site,
            &key,
            "/api/v1/articles?tag=copper&author=rafael-quintero",
        )
        .await,
    );
    let copper = copper["articles"].as_array().expect("list");
    assert!(!copper.is_empty());
    for a in copper {
        assert!(
            a["authors"]
                .as_array()
                .expect("authors")
                .iter()
                .any(|p| p["slug"] == "rafael-quintero")
        );
        let slug = a["slug"].as_str().expect("slug");
        let full = json(&get(&site, &key, &format!("/api/v1/articles/{slug}")).await);
        assert!(
            full["article"]["tags"]
                .as_array()
                .expect("tags")
                .iter()
                .any(|t| t["slug"] == "copper")
        );
    }

    // A time window: the middle story's time splits the list.
    let middle = all[all.len() / 2]["published_at"].as_str().expect("date");
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let before = json(
        &get(
            &site,
            &key,
            &format!(
                "/api/v1/articles?limit=100&published_before={}",
                enc(middle)
            ),
        )
        .await,
    );
    let after = json(
        &get(
            &site,
            &key,
            &format!("/api/v1/articles?limit=100&published_after={}", enc(middle)),
        )
        .await,
    );
    assert_eq!(
        before["articles"].as_array().expect("b").len()
            + after["articles"].as_array().expect("a").len(),
        all.len()
    );
    assert!(
        before["articles"]
            .as_array()
            .expect("b")
            .iter()
            .all(|a| a["published_at"].as_str() < Some(middle))
    );
    let future = json(&get(&site, &key, "/api/v1/articles?updated_since=2999-01-01").await);
    assert_eq!(future["articles"].as_array().map(Vec::len), Some(0));
    assert!(future["meta"]["next"].is_null());

    for (query, param) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("limit=-1", "limit"),
        ("cursor=garbage", "cursor"),
        ("cursor=1_0", "cursor"),
        ("section=no-such-section", "section"),
        ("section=Not%20A%20Slug", "section"),
        ("tag=no-such-tag", "tag"),
        ("author=nobody-at-all", "author"),
        ("published_after=yesterday", "published_after"),
        ("published_before=2026-13-45", "published_before"),
        ("updated_since=1700000000", "updated_since"),
        (
            "published_after=2026-02-01&published_before=2026-01-01",
            "published_before",
        ),
    ] {
        let doc = problem(
            &get(&site, &key, &format!("/api/v1/articles?{query}")).await,
            StatusCode::BAD_REQUEST,
        );
        assert_eq!(doc["invalid_params"][0]["name"], param, "{query}: {doc}");
        assert!(
            doc["detail"].as_str().is_some_and(|d| d.starts_with(param)),
            "{doc}"
        );
    }
    // Unknown parameters are ignored, as the site's pages ignore them.
    assert_eq!(
        get(&site, &key, "/api/v1/articles?utm_source=x")
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn answers_revalidate_with_etags_shared_by_every_key() {
    let site = Site::demo().await;
    let a = key(&site).await;
    let b = key(&site).await;
    for uri in [
        "/api/v1/articles?limit=3",
        &format!("/api/v1/articles/{COPPER}"),
        "/api/v1/sections",
        "/api/v1/markets",
    ] {
        let first = get(&site, &a, uri).await;
        assert_eq!(first.status, StatusCode::OK, "{uri}");
        assert_eq!(first.header("content-type"), "application/json", "{uri}");
        assert_eq!(first.header("cache-control"), "private, no-cache", "{uri}");
        assert!(first.header("vary").contains("Authorization"), "{uri}");
        let etag = first.header("etag").to_owned();
        assert!(etag.starts_with("W/\""), "{uri}");
        let again = site
            .get_with(
                uri,
                &[
                    ("authorization", &format!("Bearer {b}")),
                    ("if-none-match", &etag),
                ],
            )
            .await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{uri}");
    }
    // A new story changes the list.
    let etag = get(&site, &a, "/api/v1/articles?limit=3")
        .await
        .header("etag")
        .to_owned();
    site.store
        .save_article(&article(
            "api-new",
            "economy",
            "Fresh figures on growth",
            "Up.",
        ))
        .await
        .expect("save");
    site.state.sync_changes().await.expect("sync");
    let fresh = site
        .get_with(
            "/api/v1/articles?limit=3",
            &[
                ("authorization", &format!("Bearer {a}")),
                ("if-none-match", &etag),
            ],
        )
        .await;
    assert_eq!(fresh.status, StatusCode::OK);
    assert_eq!(
        json(&fresh)["articles"][0]["headline"],
        "Fresh figures on growth"
    );
}

#[tokio::test]
async fn one_story_in_full_and_as_ninjs() {
    let site = Site::demo().await;
    let key = key(&site).await;
    let doc = json(&get(&site, &key, &format!("/api/v1/articles/{COPPER}")).await);
    let a = &doc["article"];
    assert_eq!(a["slug"], COPPER);
    assert_eq!(a["url"], format!("http://localhost/article/{COPPER}"));
    let body = a["body_html"].as_str().expect("body");
    assert!(body.contains("<p>") && !body.contains(" href=\"/"));
    assert!(a["image"]["credit"].as_str().is_some_and(|c| !c.is_empty()));
    assert!(a["image"]["photographer"].is_string());

    let n = json(&get(&site, &key, &format!("/api/v1/articles/{COPPER}/ninjs")).await);
    assert_eq!(n["standard"]["name"], "ninjs");
    assert_eq!(n["standard"]["version"], "2.1");
    assert!(
        n["uri"]
            .as_str()
            .is_some_and(|u| u.starts_with("tag:localhost,"))
    );
    assert_eq!(n["type"], "text");
    assert_eq!(n["headlines"][0]["value"], a["headline"]);
    assert_eq!(n["bodies"][0]["contenttype"], "text/html");
    assert_eq!(n["people"][0]["name"], "Rafael Quintero");
    let picture = &n["associations"][0];
    assert_eq!(picture["type"], "picture");
    assert_eq!(picture["name"], "featureimage");
    assert!(
        picture["renditions"][0]["href"]
            .as_str()
            .is_some_and(|h| h.starts_with("http://localhost/media/"))
    );
    assert!(
        n["subjects"]
            .as_array()
            .expect("subjects")
            .iter()
            .any(|s| s["name"] == "Copper")
    );

    for uri in [
        "/api/v1/articles/no-such-story",
        "/api/v1/articles/NOT%20A%20SLUG",
        "/api/v1/articles/no-such-story/ninjs",
        "/api/v1/sections/nope",
        "/api/v1/authors/nope",
        "/api/v1/tags/nope",
        "/api/v1/markets/NOPE",
        "/api/v1/markets/%3Cscript%3E",
        "/api/v1/unknown",
        "/api/v1",
    ] {
        problem(&get(&site, &key, uri).await, StatusCode::NOT_FOUND);
    }
    let mut draft = article("api-draft-2", "politics", "Unpublished API story", "No.");
    draft.status = ArticleStatus::Draft;
    draft.published_at = None;
    let saved = site.store.save_article(&draft).await.expect("draft");
    problem(
        &get(&site, &key, &format!("/api/v1/articles/{}", saved.slug)).await,
        StatusCode::NOT_FOUND,
    );
    problem(
        &get(
            &site,
            &key,
            &format!("/api/v1/articles/{}/ninjs", saved.slug),
        )
        .await,
        StatusCode::NOT_FOUND,
    );
}

#[tokio::test]
async fn sections_authors_tags_markets_and_search() {
    let site = Site::demo().await;
    let key = key(&site).await;
    let sections = json(&get(&site, &key, "/api/v1/sections").await);
    let commodities = sections["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .find(|s| s["slug"] == "commodities")
        .expect("commodities")
        .clone();
    assert_eq!(commodities["parent"], "markets");
    assert_eq!(
        json(&get(&site, &key, "/api/v1/sections/commodities").await)["section"],
        commodities
    );

    let authors = json(&get(&site, &key, "/api/v1/authors").await);
    assert!(
        authors["authors"]
            .as_array()
            .expect("authors")
            .iter()
            .any(|a| a["slug"] == "rafael-quintero")
    );
    assert_eq!(
        json(&get(&site, &key, "/api/v1/authors/rafael-quintero").await)["author"]["name"],
        "Rafael Quintero"
    );
    let tags = json(&get(&site, &key, "/api/v1/tags").await);
    let copper = tags["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .find(|t| t["slug"] == "copper")
        .expect("copper")
        .clone();
    assert!(copper["articles"].as_i64().is_some_and(|n| n >= 1));
    assert_eq!(
        json(&get(&site, &key, "/api/v1/tags/copper").await)["tag"],
        copper
    );

    let markets = json(&get(&site, &key, "/api/v1/markets").await);
    let gold = markets["instruments"]
        .as_array()
        .expect("list")
        .iter()
        .find(|i| i["symbol"] == "GOLD")
        .expect("gold")
        .clone();
    assert!(gold["last"]["close"].as_f64().is_some_and(|c| c > 0.0));
    let bars = json(
        &get(
            &site,
            &key,
            "/api/v1/markets/GOLD?from=2026-01-01&to=2026-06-30",
        )
        .await,
    );
    let bars = bars["bars"].as_array().expect("bars");
    assert!(!bars.is_empty());
    assert!(bars.iter().all(|b| {
        b["date"]
            .as_str()
            .is_some_and(|d| ("2026-01-01".."2026-07-01").contains(&d))
    }));
    for (query, param) in [
        ("from=01/02/2026", "from"),
        ("to=soon", "to"),
        ("from=2026-06-01&to=2026-01-01", "to"),
    ] {
        let doc = problem(
            &get(&site, &key, &format!("/api/v1/markets/GOLD?{query}")).await,
            StatusCode::BAD_REQUEST,
        );
        assert_eq!(doc["invalid_params"][0]["name"], param);
    }

    let found = json(&get(&site, &key, "/api/v1/search?q=copper&limit=2").await);
    assert!(found["total"].as_u64().is_some_and(|n| n >= 1));
    assert_eq!(found["results"][0]["slug"], COPPER);
    assert!(found["results"].as_array().expect("results").len() <= 2);
    for (query, param) in [
        ("", "q"),
        ("q=", "q"),
        ("q=copper&sort=oldest", "sort"),
        ("q=copper&offset=-3", "offset"),
        ("q=copper&limit=1000", "limit"),
    ] {
        let doc = problem(
            &get(&site, &key, &format!("/api/v1/search?{query}")).await,
            StatusCode::BAD_REQUEST,
        );
        assert_eq!(doc["invalid_params"][0]["name"], param, "{query}");
    }
    let long = "q=".to_owned() + &"a".repeat(501);
    problem(
        &get(&site, &key, &format!("/api/v1/search?{long}")).await,
        StatusCode::BAD_REQUEST,
    );
}

#[tokio::test]
async fn writes_and_unknown_methods_get_problem_json_never_a_page() {
    let site = Site::demo().await;
    let key = key(&site).await;
    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        let reply = site
            .request(
                http::Request::builder()
                    .method(method)
                    .uri("/api/v1/articles")
                    .header("authorization", format!("Bearer {key}"))
                    .body(axum::body::Body::from("{}"))
                    .expect("request"),
            )
            .await;
        problem(&reply, StatusCode::METHOD_NOT_ALLOWED);
        assert!(reply.header("allow").contains("GET"));
    }
}

#[tokio::test]
async fn too_many_requests_get_429_with_retry_after() {
    let site = Site::build_with(
        None,
        true,
        Options {
            limits: Limits {
                api_per_second: 1,
                api_burst: 3,
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .await;
    let key = key(&site).await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(get(&site, &key, "/api/v1/sections").await);
    }
    assert!(statuses[..3].iter().all(|r| r.status == StatusCode::OK));
    let limited = statuses.last().expect("last");
    problem(limited, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        limited
            .header("retry-after")
            .parse::<u64>()
            .is_ok_and(|s| s >= 1)
    );
}

/// Every operation in the OpenAPI document answers 200 with the properties its schema
/// requires (schemathesis, in CI, goes much further).
#[tokio::test]
async fn the_openapi_document_describes_the_routes_that_answer() {
    let site = Site::demo().await;
    let key = key(&site).await;
    let doc: Value = serde_json::from_str(broadsheet_server::OPENAPI).expect("valid JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    let served = json(&site.get("/api/v1/openapi.json").await);
    assert_eq!(served, doc);
    let paths = doc["paths"].as_object().expect("paths");
    assert!(paths.len() >= 18);
    let resolve = |schema: &Value| -> Value {
        match schema["$ref"].as_str() {
            Some(r) => doc.pointer(&r[1..]).expect("ref").clone(),
            None => schema.clone(),
        }
    };
    for (path, item) in paths {
        if path.starts_with("/api/v1/admin") {
            // Writes: each documented operation exists and refuses a content key with 403,
            // a status it documents.
            for (method, op) in item.as_object().expect("operations") {
                let uri = path.replace("{id}", "1");
                let reply = send(
                    &site,
                    &method.to_uppercase(),
                    &uri,
                    &key,
                    b"{}".to_vec(),
                    "application/json",
                )
                .await;
                assert_eq!(
                    reply.status,
                    StatusCode::FORBIDDEN,
                    "{method} {uri}: {}",
                    reply.text()
                );
                assert!(
                    op["responses"].get("403").is_some(),
                    "{method} {path} documents 403"
                );
            }
            continue;
        }
        let uri = path
            .replace(
                "{slug}",
                match path.as_str() {
                    p if p.starts_with("/api/v1/articles") => COPPER,
                    p if p.starts_with("/api/v1/sections") => "markets",
                    p if p.starts_with("/api/v1/authors") => "rafael-quintero",
                    _ => "copper",
                },
            )
            .replace("{symbol}", "GOLD")
            .replace("{indicator}", "valdoria-cpi-y-y");
        let uri = if path == "/api/v1/search" {
            format!("{uri}?q=copper")
        } else {
            uri
        };
        let reply = get(&site, &key, &uri).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}");
        let schema =
            resolve(&item["get"]["responses"]["200"]["content"]["application/json"]["schema"]);
        let body = json(&reply);
        for field in schema["required"].as_array().into_iter().flatten() {
            let field = field.as_str().expect("name");
            assert!(body.get(field).is_some(), "{uri}: {field} missing");
        }
    }
}

// ---- The Admin API ----

pub(crate) async fn admin_key(site: &Site, email: &str, role: broadsheet_core::Role) -> String {
    let id = crate::newsroom::add_user(site, email, role).await;
    create_api_key(site.store.as_ref(), email, ApiKeyKind::Admin, Some(id))
        .await
        .expect("admin key")
        .0
}

pub(crate) async fn send(
    site: &Site,
    method: &str,
    uri: &str,
    key: &str,
    body: Vec<u8>,
    content_type: &str,
) -> Reply {
    site.request(
        http::Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {key}"))
            .header("content-type", content_type)
            .body(axum::body::Body::from(body))
            .expect("request"),
    )
    .await
}

pub(crate) async fn send_json(
    site: &Site,
    method: &str,
    uri: &str,
    key: &str,
    body: &Value,
) -> Reply {
    send(
        site,
        method,
        uri,
        key,
        body.to_string().into_bytes(),
        "application/json",
    )
    .await
}

pub(crate) fn story(headline: &str) -> Value {
    serde_json::json!({
        "headline": headline,
        "standfirst": "Written through the Admin API.",
        "body": "The **first** paragraph.\n\nThe second.",
        "section": "economy",
        "tags": ["Rates", "Admin API"],
        "sources": ["Meridian Press Agency"],
    })
}

async fn article_count(site: &Site) -> usize {
    site.store
        .admin_articles(&broadsheet_store::AdminFilter {
            limit: 1000,
            ..Default::default()
        })
        .await
        .expect("list")
        .0
        .len()
}

#[tokio::test]
async fn a_contributor_drafts_and_an_editor_publishes_through_the_admin_api() {
    use broadsheet_core::Role;
    let site = Site::demo().await;
    let contributor = admin_key(&site, "stringer@example.com", Role::Contributor).await;
    let editor = admin_key(&site, "desk@example.com", Role::Editor).await;

    let created = send_json(
        &site,
        "POST",
        "/api/v1/admin/articles",
        &contributor,
        &story("Rates hold in a quiet week"),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let a = json(&created)["article"].clone();
    assert_eq!(a["status"], "draft");
    let id = a["id"].as_i64().expect("id");
    assert_eq!(
        created.header("location"),
        format!("/api/v1/admin/articles/{id}")
    );
    assert_eq!(created.header("cache-control"), "no-store");

    // Not public yet.
    let slug = a["slug"].as_str().expect("slug").to_owned();
    assert_eq!(
        site.get(&format!("/article/{slug}")).await.status,
        StatusCode::NOT_FOUND
    );

    // The contributor may not publish: the newsroom's rule, answered as 403.
    let refused = send(
        &site,
        "POST",
        &format!("/api/v1/admin/articles/{id}/publish"),
        &contributor,
        vec![],
        "application/json",
    )
    .await;
    let doc = problem(&refused, StatusCode::FORBIDDEN);
    assert!(
        doc["detail"]
            .as_str()
            .is_some_and(|d| d.contains("Contributor")),
        "{doc}"
    );
    // Nor create a story already published.
    let mut direct = story("Straight to the front page");
    direct["action"] = "publish".into();
    let before = article_count(&site).await;
    problem(
        &send_json(
            &site,
            "POST",
            "/api/v1/admin/articles",
            &contributor,
            &direct,
        )
        .await,
        StatusCode::FORBIDDEN,
    );
    assert_eq!(article_count(&site).await, before, "nothing saved");

    // The editor publishes; the story is on the site and in the Content API at once.
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
    assert_eq!(json(&published)["article"]["status"], "published");
    let page = site.get(&format!("/article/{slug}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("Rates hold in a quiet week"));
    let content = key(&site).await;
    assert_eq!(
        get(&site, &content, &format!("/api/v1/articles/{slug}"))
            .await
            .status,
        StatusCode::OK
    );

    // An update from a stale version is refused and changes nothing.
    let mut edit = story("Rates hold in a quiet week, again");
    edit["base_version"] = 1.into();
    let stale = send_json(
        &site,
        "PUT",
        &format!("/api/v1/admin/articles/{id}"),
        &editor,
        &edit,
    )
    .await;
    let doc = problem(&stale, StatusCode::CONFLICT);
    assert!(
        doc["detail"]
            .as_str()
            .is_some_and(|d| d.contains("latest version")),
        "{doc}"
    );
    let current = json(&get(&site, &editor, &format!("/api/v1/admin/articles/{id}")).await);
    assert_eq!(current["article"]["headline"], "Rates hold in a quiet week");
    edit["base_version"] = current["article"]["version"].clone();
    let updated = send_json(
        &site,
        "PUT",
        &format!("/api/v1/admin/articles/{id}"),
        &editor,
        &edit,
    )
    .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text());
    assert_eq!(
        json(&updated)["article"]["status"],
        "published",
        "an update keeps the status"
    );
    assert!(
        site.get(&format!("/article/{slug}"))
            .await
            .text()
            .contains("again")
    );

    // Unpublish takes it off the site.
    let off = send(
        &site,
        "POST",
        &format!("/api/v1/admin/articles/{id}/unpublish"),
        &editor,
        vec![],
        "application/json",
    )
    .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text());
    assert_eq!(json(&off)["article"]["status"], "unpublished");
    assert_eq!(
        site.get(&format!("/article/{slug}")).await.status,
        StatusCode::NOT_FOUND
    );
    problem(
        &get(&site, &content, &format!("/api/v1/articles/{slug}")).await,
        StatusCode::NOT_FOUND,
    );

    // Every change is in the audit log under the key's user.
    let audit = site.store.audit_log(50, None).await.expect("audit");
    assert!(audit.iter().any(|e| e.article_id == Some(id)));
}

#[tokio::test]
async fn a_story_rated_above_the_newsrooms_scale_can_be_unpublished() {
    use broadsheet_core::Role;
    let site = Site::demo().await;
    let editor = admin_key(&site, "desk@example.com", Role::Editor).await;
    let rated = site
        .store
        .articles_after(0, 100)
        .await
        .expect("articles")
        .into_iter()
        .find(|a| a.importance > 3)
        .expect("the demo rates some stories above 3");
    let off = send(
        &site,
        "POST",
        &format!("/api/v1/admin/articles/{}/unpublish", rated.id),
        &editor,
        vec![],
        "application/json",
    )
    .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text());
    assert_eq!(json(&off)["article"]["status"], "unpublished");
    let stored = site
        .store
        .article_by_id(rated.id)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(stored.importance, 3, "saved as the nearest step");
}

#[tokio::test]
async fn admin_api_keys_and_bodies_are_checked_before_anything_is_written() {
    use broadsheet_core::Role;
    let site = Site::demo().await;
    let editor = admin_key(&site, "desk@example.com", Role::Editor).await;
    let content = key(&site).await;
    let before = article_count(&site).await;
    let body = story("Should never be saved");

    problem(
        &send_json(&site, "POST", "/api/v1/admin/articles", "", &body).await,
        StatusCode::UNAUTHORIZED,
    );
    problem(
        &send_json(&site, "POST", "/api/v1/admin/articles", "bsa_wrong", &body).await,
        StatusCode::UNAUTHORIZED,
    );
    let doc = problem(
        &send_json(&site, "POST", "/api/v1/admin/articles", &content, &body).await,
        StatusCode::FORBIDDEN,
    );
    assert!(
        doc["detail"]
            .as_str()
            .is_some_and(|d| d.contains("content key"))
    );
    // An admin key in the URL is not accepted: URLs end up in logs.
    let in_url = site
        .request(
            http::Request::post(format!("/api/v1/admin/articles?key={editor}"))
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body.to_string()))
                .expect("request"),
        )
        .await;
    problem(&in_url, StatusCode::UNAUTHORIZED);

    for (raw, content_type, status, needle) in [
        (b"{not json".to_vec(), "application/json", StatusCode::BAD_REQUEST, "body"),
        (body.to_string().into_bytes(), "text/plain", StatusCode::BAD_REQUEST, "JSON"),
        (br#"{"headline":"x","body":"y","section":"economy","colour":"red"}"#.to_vec(), "application/json", StatusCode::BAD_REQUEST, "colour"),
        (br#"{"body":"y","section":"economy"}"#.to_vec(), "application/json", StatusCode::BAD_REQUEST, "headline"),
        (br#"{"headline":"x","body":"y","section":"economy","publish_at":"tomorrow"}"#.to_vec(), "application/json", StatusCode::BAD_REQUEST, "body"),
        (br#"{"headline":"x","body":"y","section":"economy","tags":["a, b"]}"#.to_vec(), "application/json", StatusCode::BAD_REQUEST, "tags"),
        (br#"{"headline":"x","body":"y","section":"economy","action":"launch"}"#.to_vec(), "application/json", StatusCode::BAD_REQUEST, "action"),
        (br#"{"headline":"   ","body":"y","section":"economy"}"#.to_vec(), "application/json", StatusCode::UNPROCESSABLE_ENTITY, "headline"),
        (br#"{"headline":"x","body":"y","section":"no-such-section"}"#.to_vec(), "application/json", StatusCode::UNPROCESSABLE_ENTITY, "section"),
        (br#"{"headline":"x","body":"y","section":"economy","action":"schedule","publish_at":"2001-01-01T00:00:00Z"}"#.to_vec(), "application/json", StatusCode::UNPROCESSABLE_ENTITY, "passed"),
        (vec![b' '; 2 * 1024 * 1024], "application/json", StatusCode::PAYLOAD_TOO_LARGE, "bytes"),
    ] {
        let reply = send(&site, "POST", "/api/v1/admin/articles", &editor, raw, content_type).await;
        let doc = problem(&reply, status);
        assert!(
            doc["detail"].as_str().is_some_and(|d| d.contains(needle)),
            "{status}: {needle} not in {doc}"
        );
    }
    for uri in [
        "/api/v1/admin/articles/999999/publish",
        "/api/v1/admin/articles/abc/publish",
    ] {
        problem(
            &send(&site, "POST", uri, &editor, vec![], "application/json").await,
            StatusCode::NOT_FOUND,
        );
    }
    problem(
        &send(
            &site,
            "POST",
            "/api/v1/admin/articles/1/publish",
            &editor,
            b"{\"x\":1}".to_vec(),
            "application/json",
        )
        .await,
        StatusCode::BAD_REQUEST,
    );
    assert_eq!(article_count(&site).await, before, "nothing was saved");
}

#[tokio::test]
async fn photos_upload_through_the_admin_api_and_bad_ones_are_refused() {
    use broadsheet_core::Role;
    let site = Site::demo().await;
    let author = admin_key(&site, "writer@example.com", Role::Author).await;
    let jpeg = crate::newsroom::photo_jpeg(1200, 800);
    let reply = send(&site, "POST", "/api/v1/admin/media?alt=Trucks%20at%20a%20mine&photographer=Lucia%20Paredes&agency=SNS&name=trucks.jpg", &author, jpeg, "image/jpeg").await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let media = json(&reply)["media"].clone();
    let id = media["id"].as_i64().expect("id");
    assert!(media["variants"].as_array().is_some_and(|v| v.len() >= 2));
    let url = media["url"].as_str().expect("url");
    assert_eq!(
        site.get(url.strip_prefix("http://localhost").expect("origin"))
            .await
            .status,
        StatusCode::OK
    );
    let item = site
        .store
        .media_item(id)
        .await
        .expect("item")
        .expect("in the library");
    assert_eq!(item.alt, "Trucks at a mine");
    assert_eq!(item.credit.photographer.as_deref(), Some("Lucia Paredes"));

    // The photo can be the hero of a story written through the API.
    let mut body = story("Mines strike as copper climbs");
    body["hero"] = serde_json::json!({ "media_id": id, "alt": "Trucks at a mine", "caption": "The Cerro Alto mine.", "photographer": "Lucia Paredes" });
    body["seo_title"] = serde_json::json!("Copper miners strike");
    let created = send_json(&site, "POST", "/api/v1/admin/articles", &author, &body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());

    // Read, change the headline, write back what was read: the photo, its credit and the
    // SEO title survive (the GET used to leave them out, so the PUT dropped the hero).
    let article_id = json(&created)["article"]["id"].as_i64().expect("id");
    let path = format!("/api/v1/admin/articles/{article_id}");
    let read = send(&site, "GET", &path, &author, Vec::new(), "application/json").await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text());
    let read = json(&read)["article"].clone();
    assert_eq!(read["hero"]["media_id"], id);
    assert_eq!(read["hero"]["photographer"], "Lucia Paredes");
    let mut edit = serde_json::Map::new();
    for field in [
        "standfirst",
        "body",
        "section",
        "authors",
        "tags",
        "sources",
        "instruments",
        "importance",
        "pinned",
        "embargo_until",
        "hero",
        "seo_title",
        "seo_description",
    ] {
        edit.insert(field.to_owned(), read[field].clone());
    }
    edit.insert(
        "headline".into(),
        "Copper mines strike as prices climb".into(),
    );
    edit.insert("base_version".into(), read["version"].clone());
    let put = send_json(
        &site,
        "PUT",
        &path,
        &author,
        &serde_json::Value::Object(edit),
    )
    .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text());
    let saved = site
        .store
        .article_by_id(article_id)
        .await
        .expect("read")
        .expect("article");
    assert_eq!(saved.headline, "Copper mines strike as prices climb");
    let hero = saved
        .hero
        .expect("the hero photo survives a read-modify-write");
    assert_eq!(hero.media.id, id);
    assert_eq!(hero.caption, "The Cerro Alto mine.");
    assert_eq!(hero.credit.photographer.as_deref(), Some("Lucia Paredes"));
    assert_eq!(saved.seo_title, "Copper miners strike");

    let library = site
        .store
        .media_library(None, 1000)
        .await
        .expect("library")
        .len();
    for (bytes, mime, status) in [
        (
            b"not a picture".to_vec(),
            "image/jpeg",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            b"GIF89a".to_vec(),
            "image/png",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (Vec::new(), "image/jpeg", StatusCode::BAD_REQUEST),
        (
            vec![0u8; 40 * 1024 * 1024],
            "image/jpeg",
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ] {
        let reply = send(&site, "POST", "/api/v1/admin/media", &author, bytes, mime).await;
        problem(&reply, status);
    }
    assert_eq!(
        site.store
            .media_library(None, 1000)
            .await
            .expect("library")
            .len(),
        library
    );
}

fn new_key_in(html: &str) -> String {
    let at = html
        .find("id=\"new-key\" value=\"")
        .expect("the new key on the page")
        + 20;
    html[at..at + html[at..].find('"').expect("quote")].to_owned()
}

#[tokio::test]
async fn admins_make_and_revoke_keys_in_the_newsroom() {
    use broadsheet_core::Role;
    let site = Site::demo().await;
    let admin = crate::newsroom::member(&site, "boss@example.com", Role::Admin).await;
    let editor = crate::newsroom::member(&site, "desk@example.com", Role::Editor).await;
    assert_eq!(
        editor.get(&site, "/admin/api-keys").await.status,
        StatusCode::FORBIDDEN
    );

    let made = admin
        .post(
            &site,
            "/admin/api-keys",
            &[
                ("name", "iOS app"),
                ("owner", "content"),
                ("action", "create"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.text());
    let content = new_key_in(&made.text());
    assert!(content.starts_with("bsc_"));
    assert_eq!(
        get(&site, &content, "/api/v1/sections").await.status,
        StatusCode::OK
    );
    let listed = admin.get(&site, "/admin/api-keys").await.text();
    assert!(listed.contains("iOS app") && listed.contains(&content[..12]));
    assert!(!listed.contains(&content), "shown once only");

    // An admin key for the editor writes as the editor.
    let made = admin
        .post(
            &site,
            "/admin/api-keys",
            &[
                ("name", "desk script"),
                ("owner", &editor.id.to_string()),
                ("action", "create"),
            ],
        )
        .await;
    let desk = new_key_in(&made.text());
    assert!(desk.starts_with("bsa_"));
    let created = send_json(
        &site,
        "POST",
        "/api/v1/admin/articles",
        &desk,
        &story("Written by the desk's script"),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());

    for (name, owner) in [("", "content"), ("x", "999999"), ("x", "not-a-user")] {
        let reply = admin
            .post(
                &site,
                "/admin/api-keys",
                &[("name", name), ("owner", owner), ("action", "create")],
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name:?} {owner:?}"
        );
        assert!(reply.text().contains("Not made"));
    }

    let id = site
        .store
        .api_keys()
        .await
        .expect("keys")
        .into_iter()
        .find(|k| k.name == "iOS app")
        .expect("key")
        .id
        .to_string();
    let revoked = admin
        .post(
            &site,
            "/admin/api-keys",
            &[("id", &id), ("action", "revoke")],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert!(revoked.text().contains("revoked"));
    problem(
        &get(&site, &content, "/api/v1/sections").await,
        StatusCode::UNAUTHORIZED,
    );
    let again = admin
        .post(
            &site,
            "/admin/api-keys",
            &[("id", &id), ("action", "revoke")],
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

/// The Admin API's routes; every one needs a user's admin key (what that user may then do to
/// an article is the newsroom policy's, `broadsheet_core::newsroom`, tested on every role and
/// status there and through these routes above).
const ADMIN_API_ROUTES: &[(&str, &str)] = &[
    ("POST", "/api/v1/admin/articles"),
    ("GET", "/api/v1/admin/articles/{id}"),
    ("PUT", "/api/v1/admin/articles/{id}"),
    ("POST", "/api/v1/admin/articles/{id}/publish"),
    ("POST", "/api/v1/admin/articles/{id}/unpublish"),
    ("POST", "/api/v1/admin/media"),
];

/// Every `/api/v1/admin` route the API router registers is in the table, and each refuses a
/// request without a key (401), with an unknown key (401) and with a content key (403), as
/// problem+json, before reading the body; nothing is written.
#[tokio::test]
async fn every_admin_api_route_in_the_router_needs_an_admin_key() {
    let mut registered: Vec<(String, String)> = crate::support::routes_in_source("api/mod.rs")
        .into_iter()
        .filter(|(_, p)| p.starts_with("/api/v1/admin"))
        .map(|(m, p)| (m.to_string(), p))
        .collect();
    let mut declared: Vec<(String, String)> = ADMIN_API_ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    registered.sort();
    declared.sort();
    assert_eq!(registered, declared, "the router against this table");

    let site = Site::demo().await;
    let content = key(&site).await;
    let before = article_count(&site).await;
    for (method, path) in ADMIN_API_ROUTES {
        let uri = path.replace("{id}", "1");
        for (what, auth, want) in [
            ("no key", None, StatusCode::UNAUTHORIZED),
            (
                "unknown key",
                Some("bsa_".to_owned() + &"0".repeat(64)),
                StatusCode::UNAUTHORIZED,
            ),
            ("content key", Some(content.clone()), StatusCode::FORBIDDEN),
        ] {
            let mut req = http::Request::builder()
                .method(*method)
                .uri(&uri)
                .header("content-type", "application/json");
            if let Some(k) = auth {
                req = req.header("authorization", format!("Bearer {k}"));
            }
            let r = site
                .request(
                    req.body(axum::body::Body::from(story("Forged").to_string()))
                        .expect("request"),
                )
                .await;
            assert_eq!(r.status, want, "{what}: {method} {uri}: {}", r.text());
            assert!(
                r.header("content-type")
                    .starts_with("application/problem+json"),
                "{what}: {method} {uri}"
            );
        }
    }
    assert_eq!(article_count(&site).await, before, "nothing written");
}
