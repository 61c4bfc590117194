//! The search pages over the demo site: results, facets, filters, suggestions, related stories,
//! and the answers to hostile queries.

use broadsheet_core::ArticleStatus;
use broadsheet_server::Limits;
use http::StatusCode;
use scraper::{Html, Selector};

use crate::pages::article;
use crate::support::Site;

fn texts(html: &str, css: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    doc.select(&Selector::parse(css).expect("selector"))
        .map(|e| e.text().collect::<String>().trim().to_owned())
        .collect()
}

fn hrefs(html: &str, css: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    doc.select(&Selector::parse(css).expect("selector"))
        .filter_map(|e| e.value().attr("href").map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn results_show_headline_section_date_byline_and_highlighted_snippet() {
    let site = Site::demo().await;
    let r = site.get("/search?q=copper").await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    let headlines = texts(&html, ".hit .card-headline");
    assert_eq!(
        headlines[0], "Copper hits 18-month high on supply worries",
        "{headlines:?}"
    );
    assert!(headlines.len() >= 3);
    assert!(
        texts(&html, ".result-count")[0]
            .starts_with(&format!("{} stories for “copper”", headlines.len()))
    );
    let first_snippet = Html::parse_document(&html);
    let mark = first_snippet
        .select(&Selector::parse(".hit .snippet mark").expect("sel"))
        .next()
        .expect("a highlight");
    assert_eq!(mark.text().collect::<String>().to_lowercase(), "copper");
    assert!(!texts(&html, ".hit .kicker").is_empty());
    assert!(texts(&html, ".hit .meta")[0].starts_with("By Rafael Quintero"));
    assert!(!texts(&html, ".hit time").is_empty());
    // Facets are links that work without JavaScript.
    let facet_links = hrefs(&html, ".facets a");
    assert!(
        facet_links
            .iter()
            .any(|h| h.contains("section=commodities")),
        "{facet_links:?}"
    );
    assert!(
        facet_links.iter().any(|h| h.contains("year=")),
        "{facet_links:?}"
    );
}

#[tokio::test]
async fn facet_links_filter_and_filters_can_be_removed() {
    let site = Site::demo().await;
    let html = site.get("/search?q=copper").await.text();
    let to_markets = hrefs(&html, ".facets a")
        .into_iter()
        .find(|h| h.contains("section=commodities"))
        .expect("link");
    let filtered = site.get(&to_markets.replace("&amp;", "&")).await.text();
    let kickers = texts(&filtered, ".hit .kicker");
    assert!(
        !kickers.is_empty() && kickers.iter().all(|k| k == "Commodities"),
        "{kickers:?}"
    );
    let remove = hrefs(&filtered, ".active-filters a");
    assert_eq!(remove, ["/search?q=copper"]);
    // A parent section includes its subsections.
    let markets = site.get("/search?q=copper&section=markets").await.text();
    assert!(
        texts(&markets, ".hit .kicker")
            .iter()
            .any(|k| k == "Commodities")
    );
    // Author, tag and year filters.
    let by_author = site
        .get("/search?q=copper&author=rafael-quintero")
        .await
        .text();
    assert!(
        texts(&by_author, ".hit .meta")
            .iter()
            .all(|m| m.contains("Rafael Quintero"))
    );
    let by_tag = site.get("/search?tag=mining").await.text();
    assert_eq!(texts(&by_tag, ".hit").len(), 3);
    let none = site.get("/search?q=copper&year=1999").await.text();
    assert!(texts(&none, ".result-count")[0].starts_with("No stories found"));
    // The year of the top hit, taken from its page, filters to a set that still holds it.
    let all = site.get("/search?q=copper").await.text();
    let top = texts(&all, ".hit .card-headline")[0].clone();
    let stamp = Html::parse_document(&all)
        .select(&Selector::parse(".hit time").expect("sel"))
        .next()
        .and_then(|t| t.value().attr("datetime").map(|d| d[..4].to_owned()))
        .expect("a dated hit");
    let that_year = site
        .get(&format!("/search?q=copper&year={stamp}"))
        .await
        .text();
    assert!(
        texts(&that_year, ".hit .card-headline").contains(&top),
        "{stamp}"
    );
    let unknown = site.get("/search?q=copper&section=no-such-section").await;
    assert_eq!(unknown.status, StatusCode::OK);
    assert!(texts(&unknown.text(), ".result-count")[0].starts_with("No stories found"));
}

#[tokio::test]
async fn sorting_and_pages() {
    let site = Site::demo().await;
    let newest = site.get("/search?q=bank&sort=newest").await.text();
    let dates: Vec<String> = Html::parse_document(&newest)
        .select(&Selector::parse(".hit time").expect("sel"))
        .filter_map(|t| t.value().attr("datetime").map(str::to_owned))
        .collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted);
    let all = site.get("/search?q=the").await.text();
    let count = texts(&all, ".result-count")[0].clone();
    assert!(count.contains("showing 1 to 10"), "{count}");
    let next = hrefs(&all, ".pager a[rel=next]")[0].replace("&amp;", "&");
    let page2 = site.get(&next).await.text();
    assert!(texts(&page2, ".result-count")[0].contains("showing 11 to"));
    let first_page: Vec<String> = texts(&all, ".hit .card-headline");
    assert!(
        texts(&page2, ".hit .card-headline")
            .iter()
            .all(|h| !first_page.contains(h))
    );
}

#[tokio::test]
async fn a_misspelt_search_offers_did_you_mean() {
    let site = Site::demo().await;
    let html = site.get("/search?q=bnak").await.text();
    assert!(texts(&html, ".result-count")[0].starts_with("No stories found"));
    assert_eq!(texts(&html, ".did-you-mean a"), ["bank"]);
    assert_eq!(hrefs(&html, ".did-you-mean a"), ["/search?q=bank"]);
    // Longer words are forgiven outright.
    let typo = site.get("/search?q=inflaton").await.text();
    assert!(!texts(&typo, ".hit").is_empty());
}

#[tokio::test]
async fn hostile_queries_get_a_normal_page_and_are_never_reflected_unescaped() {
    let site = Site::demo().await;
    for q in [
        "%22unbalanced",
        "-",
        "%22%22",
        "-+-+--",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "%27%3B+DROP+TABLE+articles%3B+--",
        "%00%01%1b%5B31m",
        "%FF%FE%FD",
        "title%3Abank%5E10",
        "((((",
        "%E2%80%AE",
        "a+AND+OR+NOT",
    ] {
        let r = site.get(&format!("/search?q={q}")).await;
        assert_eq!(r.status, StatusCode::OK, "{q}");
        let html = r.text();
        assert!(!html.contains("<script>alert"), "{q}");
        assert_eq!(Html::parse_document(&html).errors.len(), 0, "{q}");
    }
    let reflected = site
        .get("/search?q=%3Cb%3Ebold%3C%2Fb%3E+%22x")
        .await
        .text();
    assert!(
        reflected.contains("&lt;b&gt;bold&lt;/b&gt;"),
        "escaped in the page"
    );
    let quoted = site
        .get("/search?q=%22%3E%3Cimg+src%3Dx+onerror%3Dalert(1)%3E")
        .await
        .text();
    assert!(
        quoted.contains("value=\"&quot;&gt;&lt;img src=x onerror=alert(1)&gt;\""),
        "attribute stays closed"
    );
    assert!(!quoted.contains("<img src=x"));
    let long = site.get(&format!("/search?q={}", "a".repeat(10_000))).await;
    assert_eq!(long.status, StatusCode::BAD_REQUEST);
    assert!(long.text().contains("longer than 500 characters"));
    for bad in [
        "/search?q=x&page=0",
        "/search?q=x&page=abc",
        "/search?q=x&sort=up",
        "/search?q=x&from=2026-13-45",
        "/search?q=x&section=%20NOT%20A%20SLUG",
    ] {
        assert_eq!(site.get(bad).await.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let empty = site.get("/search").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.text().contains("Type a word"));
}

#[tokio::test]
async fn drafts_never_appear_and_publishing_makes_a_story_searchable() {
    let site = Site::demo().await;
    let mut draft = article(
        "s-draft",
        "politics",
        "Zanzibarian tariff draft",
        "Quixotic zanzibarian tariffs.",
    );
    draft.status = ArticleStatus::Draft;
    site.store.save_article(&draft).await.expect("save");
    site.state.sync_changes().await.expect("sync");
    for path in ["/search?q=zanzibarian", "/search?q=quixotic"] {
        assert!(
            texts(&site.get(path).await.text(), ".hit").is_empty(),
            "{path}"
        );
    }
    let suggest = site.get("/search/suggest?q=zanzib").await.text();
    assert!(!suggest.contains("Zanzibarian"), "{suggest}");
    let mut published = draft.clone();
    published.status = ArticleStatus::Published;
    site.store.save_article(&published).await.expect("save");
    site.state.sync_changes().await.expect("sync");
    assert_eq!(
        texts(
            &site.get("/search?q=zanzibarian").await.text(),
            ".hit .card-headline"
        ),
        ["Zanzibarian tariff draft"]
    );
    let mut pulled = published.clone();
    pulled.status = ArticleStatus::Unpublished;
    site.store.save_article(&pulled).await.expect("save");
    site.state.sync_changes().await.expect("sync");
    assert!(texts(&site.get("/search?q=zanzibarian").await.text(), ".hit").is_empty());
}

#[tokio::test]
async fn suggestions_complete_headlines_and_sections_as_json() {
    let site = Site::demo().await;
    let r = site.get("/search/suggest?q=cop").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), "application/json");
    let v: serde_json::Value = serde_json::from_slice(&r.body).expect("json");
    assert_eq!(v["query"], "cop");
    let labels: Vec<&str> = v["suggestions"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|s| s["label"].as_str())
        .collect();
    assert!(
        labels.contains(&"Copper hits 18-month high on supply worries"),
        "{labels:?}"
    );
    let pol: serde_json::Value =
        serde_json::from_slice(&site.get("/search/suggest?q=Pol").await.body).expect("json");
    assert_eq!(pol["suggestions"][0]["kind"], "section");
    assert_eq!(pol["suggestions"][0]["url"], "/section/politics");
    let short: serde_json::Value =
        serde_json::from_slice(&site.get("/search/suggest?q=c").await.body).expect("json");
    assert_eq!(short["suggestions"].as_array().map(Vec::len), Some(0));
    assert_eq!(
        site.get(&format!("/search/suggest?q={}", "x".repeat(600)))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn article_pages_show_related_stories_but_never_themselves() {
    let site = Site::demo().await;
    let html = site
        .get("/article/copper-hits-18-month-high-on-supply-worries")
        .await
        .text();
    let related = hrefs(&html, ".related a");
    assert!(!related.is_empty());
    assert!(
        related
            .iter()
            .all(|h| h != "/article/copper-hits-18-month-high-on-supply-worries")
    );
    assert!(
        related
            .iter()
            .any(|h| h.contains("copper") || h.contains("mining") || h.contains("mine")),
        "{related:?}"
    );
}

#[tokio::test]
async fn search_is_rate_limited_per_client_with_retry_after() {
    let site = Site::build(
        None,
        true,
        Limits {
            search_per_second: 1,
            search_burst: 3,
            ..Default::default()
        },
    )
    .await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(site.get("/search?q=bank").await);
    }
    assert!(statuses[..3].iter().all(|r| r.status == StatusCode::OK));
    let limited = statuses
        .iter()
        .find(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
        .expect("a 429");
    let retry: u64 = limited
        .header("retry-after")
        .parse()
        .expect("retry-after seconds");
    assert!((1..=2).contains(&retry), "{retry}");
    assert!(limited.text().contains("Too many requests"));
    assert_eq!(
        site.get("/search/suggest?q=bank").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        site.get("/").await.status,
        StatusCode::OK,
        "pages are not limited"
    );
}

async fn search(site: &Site, forwarded_for: &str) -> StatusCode {
    site.get_with("/search?q=bank", &[("x-forwarded-for", forwarded_for)])
        .await
        .status
}

/// Behind a trusted proxy (the in-process peer counts as 127.0.0.1), each reader named by
/// `X-Forwarded-For` has their own allowance; without `[proxy] trusted`, the header is ignored
/// and a reader cannot escape the limit by inventing addresses.
#[tokio::test]
async fn behind_a_trusted_proxy_each_reader_has_their_own_search_limit() {
    let limits = Limits {
        search_per_second: 1,
        search_burst: 2,
        ..Default::default()
    };
    let options = |trusted: &[&str]| broadsheet_server::Options {
        limits,
        proxy: broadsheet_server::client::ProxyOptions {
            trusted: trusted.iter().map(|s| s.parse().expect("net")).collect(),
        },
        ..Default::default()
    };

    let behind = Site::build_with(None, true, options(&["127.0.0.1/32"])).await;
    for _ in 0..2 {
        assert_eq!(search(&behind, "203.0.113.1").await, StatusCode::OK);
    }
    assert_eq!(
        search(&behind, "203.0.113.1").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        search(&behind, "203.0.113.2").await,
        StatusCode::OK,
        "another reader behind the same proxy is not limited by the first"
    );
    // A forged first entry does not help: the proxy's own entry (the right-most) counts.
    assert_eq!(
        search(&behind, "198.51.100.9, 203.0.113.1").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Garbage in the header falls back to the proxy's address, which has its own allowance.
    assert_eq!(search(&behind, "not an address").await, StatusCode::OK);

    let direct = Site::build_with(None, true, options(&[])).await;
    for _ in 0..2 {
        assert_eq!(search(&direct, "203.0.113.1").await, StatusCode::OK);
    }
    assert_eq!(
        search(&direct, "203.0.113.2").await,
        StatusCode::TOO_MANY_REQUESTS,
        "without trusted proxies the header is ignored"
    );
}
