//! What readers get: the pages, the menu, the figure and credit, and clear answers to bad URLs.

use broadsheet_core::{ArticleInput, ArticleStatus, Slug};
use http::StatusCode;
use scraper::{Html, Selector};

use crate::support::Site;

fn select<'a>(doc: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    doc.select(&Selector::parse(css).expect("selector"))
        .collect()
}

fn text(doc: &Html, css: &str) -> String {
    select(doc, css)
        .first()
        .map(|e| e.text().collect::<String>())
        .unwrap_or_default()
        .trim()
        .to_owned()
}

pub fn article(id: &str, section: &str, headline: &str, body: &str) -> ArticleInput {
    ArticleInput {
        external_id: Some(id.into()),
        slug: None,
        headline: headline.into(),
        standfirst: String::new(),
        body_markdown: body.into(),
        section: Slug::parse(section).expect("slug"),
        section_name: section.into(),
        authors: vec![],
        tags: vec![],
        hero: None,
        sources: vec![],
        instruments: vec![],
        status: ArticleStatus::Published,
        importance: 0,
        published_at: Some(chrono::Utc::now() - chrono::Duration::minutes(1)),
        editorial: Default::default(),
    }
}

/// The scripts on a page are the deferred, same-origin helpers (search suggestions, the
/// newsletter dialog); nothing inline (the CSP forbids it anyway) and nothing needed to read.
fn only_the_suggestion_script(doc: &Html) -> bool {
    let scripts = select(doc, "script:not([type='application/ld+json'])");
    scripts.len() == 2
        && scripts.iter().all(|s| {
            s.value().attr("defer").is_some()
                && s.value().attr("src").is_some_and(|src| {
                    src.starts_with("/static/search.") || src.starts_with("/static/newsletter.")
                })
        })
}

/// Dates and content hashes change from run to run; everything else must not.
fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "[iso-date]");
    s.add_filter(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", "[iso-date]");
    s.add_filter(r"\d{1,2} (January|February|March|April|May|June|July|August|September|October|November|December) \d{4}(, \d\d:\d\d UTC)?", "[date]");
    s.add_filter(r"\.[0-9a-f]{16}\.(css|svg|js)", ".[hash].$1");
    s.add_filter(r"&copy; \d{4}", "&copy; [year]");
    s.add_filter(
        r#"name="t" value="[0-9a-f.]+""#,
        r#"name="t" value="[form-time]""#,
    );
    s
}

#[tokio::test]
async fn home_page_has_lead_menu_search_and_section_blocks() {
    let site = Site::demo().await;
    let r = site.get("/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), "text/html; charset=utf-8");
    let doc = Html::parse_document(&r.text());
    for landmark in [
        "header.masthead",
        "nav.menu",
        "main#main",
        "footer.site-footer",
    ] {
        assert_eq!(select(&doc, landmark).len(), 1, "{landmark}");
    }
    let menu: Vec<String> = select(
        &doc,
        "nav.menu .menu-list > li > a, nav.menu .menu-list > li summary",
    )
    .iter()
    .map(|e| e.text().collect::<String>())
    .collect();
    assert_eq!(
        menu,
        [
            "Home",
            "Politics",
            "Economy",
            "Markets",
            "World",
            "Technology"
        ]
    );
    let world_sub: Vec<String> = select(&doc, "nav.menu li.has-sub details")
        .iter()
        .find(|d| d.text().any(|t| t == "World"))
        .expect("World submenu")
        .select(&Selector::parse("ul.submenu a").expect("sel"))
        .map(|e| e.text().collect())
        .collect();
    assert_eq!(world_sub, ["All World", "Asia", "Europe", "Americas"]);
    let form = select(&doc, "form[role=search]");
    assert_eq!(form[0].value().attr("action"), Some("/search"));
    assert_eq!(form[0].value().attr("method"), Some("get"));
    assert_eq!(
        text(&doc, ".card-lead .card-headline"),
        "Valdoria's parliament passes emergency budget after all-night session"
    );
    assert_eq!(select(&doc, ".top-grid .card").len(), 6);
    let blocks: Vec<String> = select(&doc, ".section-block .section-title")
        .iter()
        .map(|e| e.text().collect())
        .collect();
    assert_eq!(
        blocks,
        ["Politics", "Economy", "Markets", "World", "Technology"]
    );
    assert!(
        only_the_suggestion_script(&doc),
        "no script needed to read the page"
    );
}

#[tokio::test]
async fn article_page_shows_figure_caption_structured_credit_sources_and_breadcrumb() {
    let site = Site::demo().await;
    let path = site.first_article_on("/section/politics").await;
    let r = site.get(&path).await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = Html::parse_document(&r.text());
    assert_eq!(
        text(&doc, "article.story h1"),
        "Valdoria's parliament passes emergency budget after all-night session"
    );
    assert!(text(&doc, ".standfirst").starts_with("The coalition survived"));
    assert_eq!(text(&doc, ".byline"), "By Amara Okonjo");
    assert_eq!(
        select(&doc, ".byline a")[0].value().attr("href"),
        Some("/author/amara-okonjo")
    );
    let img = select(&doc, "figure.hero img");
    assert!(
        img[0]
            .value()
            .attr("src")
            .is_some_and(|s| s.starts_with("/media/demo/"))
    );
    assert!(
        img[0]
            .value()
            .attr("alt")
            .is_some_and(|a| a.contains("parliament chamber"))
    );
    assert_eq!(img[0].value().attr("width"), Some("1200"));
    assert!(
        text(&doc, "figure.hero figcaption .caption")
            .starts_with("Members of the Valdorian parliament")
    );
    assert_eq!(text(&doc, "figcaption .credit-photographer"), "Hanne Voss");
    assert_eq!(
        text(&doc, "figcaption .credit-agency"),
        "Meridian Press Agency"
    );
    assert_eq!(
        text(&doc, "figcaption .credit-via"),
        "Parliament Pool Photo via MPA"
    );
    assert_eq!(
        text(&doc, "figcaption .credit"),
        "Photo: Hanne Voss, Meridian Press Agency, Parliament Pool Photo via MPA"
    );
    assert_eq!(text(&doc, ".sources"), "Sources: MPA, Carrow Wire");
    let crumbs: Vec<String> = select(&doc, ".breadcrumb a")
        .iter()
        .map(|e| e.text().collect())
        .collect();
    assert_eq!(crumbs, ["Home", "Politics"]);
    let tags: Vec<&str> = select(&doc, ".tags a")
        .iter()
        .filter_map(|e| e.value().attr("href"))
        .collect();
    assert!(tags.contains(&"/tag/budget"), "{tags:?}");
    assert!(!select(&doc, "time[datetime]").is_empty());
    assert!(text(&doc, ".story-body").contains("Meridian Press Agency (MPA)"));
    assert_eq!(select(&doc, ".story-body blockquote").len(), 1);
    assert_eq!(select(&doc, "aside.more .card").len(), 4);
    assert_eq!(
        select(&doc, "nav.menu a[aria-current=page]")[0]
            .text()
            .collect::<String>(),
        "Politics"
    );
    // The media file it points at is served.
    let src = img[0].value().attr("src").expect("src");
    let media = site.get(src).await;
    assert_eq!(media.status, StatusCode::OK);
    assert_eq!(media.header("content-type"), "image/svg+xml");
    assert!(media.header("content-security-policy").contains("sandbox"));
}

#[tokio::test]
async fn article_and_section_pages_match_their_snapshots() {
    let site = Site::demo().await;
    let article = site
        .get("/article/copper-hits-18-month-high-on-supply-worries")
        .await;
    assert_eq!(article.status, StatusCode::OK);
    let section = site.get("/section/markets").await;
    assert_eq!(section.status, StatusCode::OK);
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("article_page", article.text());
        insta::assert_snapshot!("section_page", section.text());
    });
}

#[tokio::test]
async fn section_tag_and_author_pages_list_their_stories() {
    let site = Site::demo().await;
    let world = Html::parse_document(&site.get("/section/world").await.text());
    let sections: Vec<String> = select(&world, ".listing .kicker")
        .iter()
        .map(|e| e.text().collect::<String>())
        .collect();
    for sub in ["Asia", "Europe", "Americas"] {
        assert!(
            sections.iter().any(|s| s == sub),
            "{sub} stories listed on World: {sections:?}"
        );
    }
    let subs: Vec<String> = select(&world, ".subsections a")
        .iter()
        .map(|e| e.text().collect())
        .collect();
    assert_eq!(subs, ["Asia", "Europe", "Americas"]);
    let asia = Html::parse_document(&site.get("/section/asia").await.text());
    let crumbs: Vec<String> = select(&asia, ".breadcrumb a")
        .iter()
        .map(|e| e.text().collect())
        .collect();
    assert_eq!(crumbs, ["Home", "World", "Asia"]);
    assert_eq!(select(&asia, ".listing .card").len(), 3);
    let tag = Html::parse_document(&site.get("/tag/copper").await.text());
    assert_eq!(text(&tag, "h1"), "Copper");
    assert_eq!(select(&tag, ".listing .card").len(), 3);
    let author = Html::parse_document(&site.get("/author/mei-tanabe").await.text());
    assert_eq!(text(&author, "h1"), "Mei Tanabe");
    assert_eq!(
        text(&author, ".listing-description"),
        "Asia-Pacific correspondent."
    );
    assert_eq!(select(&author, ".listing .card").len(), 3);
}

#[tokio::test]
async fn section_pages_paginate_with_a_stable_cursor() {
    let site = Site::demo().await;
    let batch: Vec<_> = (0..45)
        .map(|i| {
            let mut a = article(
                &format!("p-{i}"),
                "politics",
                &format!("Archive story {i:02}"),
                "Text.",
            );
            a.published_at = Some(chrono::Utc::now() - chrono::Duration::days(30 + i));
            a
        })
        .collect();
    for r in site.store.save_articles(&batch).await.expect("save") {
        r.expect("item");
    }
    site.state.sync_changes().await.expect("sync");
    let mut seen = Vec::new();
    let mut url = "/section/politics".to_owned();
    for _ in 0..10 {
        let doc = Html::parse_document(&site.get(&url).await.text());
        seen.extend(
            select(&doc, ".listing .card-headline a")
                .iter()
                .map(|e| e.text().collect::<String>()),
        );
        match select(&doc, ".pager a[rel=next]")
            .first()
            .and_then(|a| a.value().attr("href"))
        {
            Some(next) => url = next.replace("&amp;", "&"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 45 + 6, "every politics story once");
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len());
    assert_eq!(seen.last().map(String::as_str), Some("Archive story 44"));
}

#[tokio::test]
async fn unknown_paths_and_slugs_get_the_404_page() {
    let site = Site::demo().await;
    for path in [
        "/nope",
        "/article/does-not-exist",
        "/article/UPPER-case",
        "/article/%FF%FE",
        "/article/..%2F..%2Fetc%2Fpasswd",
        "/article/a%00b",
        "/section/nope",
        "/tag/nope",
        "/author/nope",
        "/static/site.css",
        "/static/..%2Fsecret",
        "/media/../broadsheet.db",
        "/media/%2e%2e/broadsheet.db",
        "/media/nope.svg",
        "/article/",
    ] {
        let r = site.get(path).await;
        if r.status == StatusCode::PERMANENT_REDIRECT {
            continue;
        }
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            r.header("content-type"),
            "text/html; charset=utf-8",
            "{path}"
        );
        let doc = Html::parse_document(&r.text());
        assert_eq!(text(&doc, "h1"), "Page not found", "{path}");
        assert_eq!(
            select(&doc, "nav.menu").len(),
            1,
            "{path}: the menu is there to find a way on"
        );
    }
    // HEAD answers with GET's status (`HEAD /media/%00` was a 500); hyper drops the body.
    for path in [
        "/media/%00",
        "/media/a%00b.jpg",
        "/media/nope.svg",
        "/media/%2e%2e/broadsheet.db",
        "/article/a%00b",
        // A name longer than any file system takes (a 500 before).
        &format!("/media/{}", "a".repeat(5000)),
        &format!("/media/2026/{}.webp", "b".repeat(300)),
    ] {
        let get = site.get(path).await.status;
        let head = site
            .request(
                http::Request::head(path)
                    .body(axum::body::Body::empty())
                    .expect("request"),
            )
            .await;
        assert_eq!(head.status, get, "HEAD {path}");
        assert!(
            head.status.is_client_error(),
            "HEAD {path}: {}",
            head.status
        );
    }
}

#[tokio::test]
async fn malformed_query_parameters_get_the_400_page_and_never_a_500() {
    let site = Site::demo().await;
    for query in [
        "after=garbage",
        "after=1_0",
        "after=1_2&after=3_4",
        "after=%ZZ",
        "after=",
        "after=99999999999999999999_1",
        "after=%FF",
    ] {
        let r = site.get(&format!("/section/politics?{query}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}");
        let doc = Html::parse_document(&r.text());
        assert_eq!(text(&doc, "h1"), "Bad request", "{query}");
        assert_eq!(
            r.text().matches("<script").count(),
            2,
            "{query}: only search.js and newsletter.js"
        );
    }
    // Parameters a page does not use are ignored.
    for uri in [
        "/?page=%ZZ&&=",
        "/article/copper-hits-18-month-high-on-supply-worries?utm_source=x",
        "/section/politics?foo",
    ] {
        assert_eq!(site.get(uri).await.status, StatusCode::OK, "{uri}");
    }
}

#[tokio::test]
async fn wrong_methods_and_trailing_slashes_are_answered_properly() {
    let site = Site::demo().await;
    let post = site
        .request(
            http::Request::post("/")
                .body(axum::body::Body::from("x"))
                .expect("req"),
        )
        .await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(post.text().contains("Method not allowed"));
    let slash = site.get("/section/politics/").await;
    assert_eq!(slash.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(slash.header("location"), "/section/politics");
    assert_eq!(
        site.get("//evil.example/").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn drafts_and_scheduled_stories_never_reach_readers() {
    let site = Site::demo().await;
    let mut draft = article(
        "draft-1",
        "politics",
        "Secret draft about the budget",
        "Not yet.",
    );
    draft.status = ArticleStatus::Draft;
    let mut scheduled = article("sched-1", "politics", "Embargoed budget story", "Later.");
    scheduled.published_at = Some(chrono::Utc::now() + chrono::Duration::hours(3));
    for a in [&draft, &scheduled] {
        let saved = site.store.save_article(a).await.expect("save");
        site.state.sync_changes().await.expect("sync");
        assert_eq!(
            site.get(&format!("/article/{}", saved.slug)).await.status,
            StatusCode::NOT_FOUND
        );
    }
    for page in ["/", "/section/politics"] {
        let html = site.get(page).await.text();
        assert!(
            !html.contains("Secret draft") && !html.contains("Embargoed"),
            "{page}"
        );
    }
}

#[tokio::test]
async fn hostile_markup_in_content_is_neutralised_on_the_page() {
    let site = Site::demo().await;
    let body = "Hello <script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)> <a href=\"JAVASCRIPT:alert(4)\" onclick=\"alert(5)\">y</a>";
    let a = article(
        "evil-1",
        "politics",
        "<script>alert('headline')</script> Rates rise",
        body,
    );
    let saved = site.store.save_article(&a).await.expect("save");
    let html = site.get(&format!("/article/{}", saved.slug)).await.text();
    let lower = html.to_lowercase();
    assert_eq!(
        lower.matches("<script").count()
            - lower
                .matches("<script type=\"application/ld+json\">")
                .count(),
        2,
        "only search.js and newsletter.js besides the JSON-LD data: {html}"
    );
    assert!(!lower.contains("<script>"), "{html}");
    assert!(!lower.contains("javascript:"));
    assert!(!lower.contains("onerror") && !lower.contains("onclick"));
    assert!(html.contains("&lt;script&gt;alert("), "headline is escaped");
}

#[tokio::test]
async fn an_article_page_with_its_css_is_light_and_self_contained() {
    let site = Site::demo().await;
    let page = site
        .get_with(
            "/article/copper-hits-18-month-high-on-supply-worries",
            &[("accept-encoding", "br")],
        )
        .await;
    let doc_text = site
        .get("/article/copper-hits-18-month-high-on-supply-worries")
        .await
        .text();
    let doc = Html::parse_document(&doc_text);
    let mut transferred = page.body.len();
    for link in select(&doc, "link[rel=stylesheet]") {
        let href = link.value().attr("href").expect("href");
        assert!(href.starts_with("/static/"), "{href}");
        transferred += site
            .get_with(href, &[("accept-encoding", "br")])
            .await
            .body
            .len();
    }
    // The README's claim, read from the README: the figures it states are the ones checked.
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("README.md");
    let claim = readme_page_weight(&readme);
    let (plain_kb, brotli_kb) = claim.expect(
        "README.md states the page weight as \"an article page with its CSS well under N KB (under M KB with brotli)\"",
    );
    assert!(
        transferred < brotli_kb * 1024,
        "the README says under {brotli_kb} KB with brotli; page and CSS are {transferred} bytes"
    );
    assert!(
        doc_text.len() < plain_kb * 1024,
        "the README says under {plain_kb} KB uncompressed: {} bytes",
        doc_text.len()
    );
    for (css, attr) in [
        ("script", "src"),
        ("link", "href"),
        ("img", "src"),
        ("iframe", "src"),
    ] {
        for e in select(&doc, css) {
            // The canonical URL is absolute by definition, and names this site.
            if e.value().attr("rel") == Some("canonical") {
                continue;
            }
            let url = e.value().attr(attr).unwrap_or("");
            assert!(
                !url.starts_with("http") && !url.starts_with("//"),
                "third-party {css}: {url}"
            );
        }
    }
    assert!(only_the_suggestion_script(&doc));
}

#[tokio::test]
async fn pages_are_well_formed_html() {
    let site = Site::demo().await;
    for path in [
        "/",
        "/section/world",
        "/article/copper-hits-18-month-high-on-supply-worries",
        "/tag/copper",
        "/author/mei-tanabe",
        "/nope",
    ] {
        let doc = Html::parse_document(&site.get(path).await.text());
        assert!(doc.errors.is_empty(), "{path}: {:?}", doc.errors);
        assert_eq!(select(&doc, "html[lang=en]").len(), 1, "{path}");
        assert_eq!(select(&doc, "h1").len(), 1, "{path}: one h1");
        assert!(
            select(&doc, "img:not([alt])").is_empty(),
            "{path}: every image has alt"
        );
    }
}

#[tokio::test]
async fn responses_carry_security_headers_and_a_request_id() {
    let site = Site::demo().await;
    let r = site.get("/").await;
    assert!(
        r.header("content-security-policy")
            .contains("default-src 'self'")
    );
    assert_eq!(r.header("x-content-type-options"), "nosniff");
    assert_eq!(
        r.header("referrer-policy"),
        "strict-origin-when-cross-origin"
    );
    let a = site.get("/").await.header("x-request-id").to_owned();
    let b = site.get("/nope").await.header("x-request-id").to_owned();
    assert!(!a.is_empty() && a != b);
}

#[tokio::test]
async fn an_empty_site_says_how_to_fill_it() {
    let site = Site::empty().await;
    let r = site.get("/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("No stories yet"));
    assert_eq!(site.get("/healthz").await.status, StatusCode::OK);
    let ready = site.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.text(), "ready\n");
    assert_eq!(ready.header("cache-control"), "no-store");
}

#[tokio::test]
async fn a_theme_directory_overrides_templates_and_css() {
    let theme = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(theme.path().join("templates")).expect("mkdir");
    std::fs::create_dir_all(theme.path().join("static")).expect("mkdir");
    std::fs::write(
        theme.path().join("templates/error.html"),
        "{% extends \"base.html\" %}{% block main %}<h1>Custom {{ status }}</h1>{% endblock %}",
    )
    .expect("write");
    std::fs::write(
        theme.path().join("static/site.css"),
        "body{background:#000}",
    )
    .expect("write");
    let site = Site::with_theme(Some(theme.path()), true).await;
    let r = site.get("/nope").await;
    assert!(r.text().contains("<h1>Custom 404</h1>"), "{}", r.text());
    let doc = Html::parse_document(&site.get("/").await.text());
    let css = select(&doc, "link[rel=stylesheet]")[0]
        .value()
        .attr("href")
        .expect("href")
        .to_owned();
    assert_eq!(site.get(&css).await.text(), "body{background:#000}");
}

#[tokio::test]
async fn metrics_are_off_without_a_token_and_count_requests_and_cache_hits_with_one() {
    let off = Site::demo().await;
    assert_eq!(off.get("/metrics").await.status, StatusCode::NOT_FOUND);
    let site = Site::build_with(
        None,
        true,
        broadsheet_server::Options {
            metrics: broadsheet_server::metrics::MetricsOptions {
                token: Some("metrics-token-0123456789".into()),
            },
            ..Default::default()
        },
    )
    .await;
    let bearer = |t: &str| format!("Bearer {t}");
    assert_eq!(
        site.get_with("/metrics", &[("authorization", &bearer("wrong"))])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let value = |text: &str, name: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} missing in {text}"))
    };
    let read = || async {
        let r = site
            .get_with(
                "/metrics",
                &[("authorization", &bearer("metrics-token-0123456789"))],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(
            r.header("content-type")
                .starts_with("text/plain; version=0.0.4")
        );
        r.text()
    };
    let before = read().await;
    site.get("/").await;
    site.get("/").await;
    site.get("/no-such-page").await;
    let after = read().await;
    // Counters are per process and tests run side by side: they only ever grow.
    for (name, at_least) in [
        ("broadsheet_http_requests_total{status=\"2xx\"}", 2.0),
        ("broadsheet_http_requests_total{status=\"4xx\"}", 1.0),
        ("broadsheet_page_cache_hits_total", 1.0),
        ("broadsheet_http_request_duration_seconds_count", 3.0),
    ] {
        assert!(
            value(&after, name) - value(&before, name) >= at_least,
            "{name}: {} -> {}",
            value(&before, name),
            value(&after, name)
        );
    }
    assert!(value(&after, "broadsheet_page_cache_pages") >= 1.0);
    assert!(after.contains("# TYPE broadsheet_http_request_duration_seconds histogram"));
    assert!(after.contains("broadsheet_mail_sent_total"));

    // A background job's runs, run as the runner runs them, are on /metrics with its name.
    let job = broadsheet_app::jobs::PublishScheduled;
    let runs = "broadsheet_job_runs_total{job=\"publish-scheduled\"}";
    let before = read().await;
    let had = before
        .lines()
        .find(|l| l.starts_with(runs))
        .map_or(0.0, |_| value(&before, runs));
    broadsheet_app::jobs::run_once(&site.state, &job)
        .await
        .expect("the job runs");
    let after = read().await;
    assert!(value(&after, runs) >= had + 1.0, "{after}");
    assert!(after.contains("broadsheet_job_running{job=\"publish-scheduled\"} 0"));
    assert!(
        after.contains("broadsheet_job_last_success_timestamp_seconds{job=\"publish-scheduled\"}")
    );
}

/// The two figures of the README's "an article page with its CSS well under N KB (under M KB
/// with brotli)".
fn readme_page_weight(readme: &str) -> Option<(usize, usize)> {
    let flat = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    let rest = flat
        .split("an article page with its CSS well under ")
        .nth(1)?;
    let (plain, rest) = rest.split_once(" KB (under ")?;
    let (brotli, _) = rest.split_once(" KB with brotli)")?;
    Some((plain.parse().ok()?, brotli.parse().ok()?))
}
