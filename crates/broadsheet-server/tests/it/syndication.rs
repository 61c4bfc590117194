//! Feeds, sitemaps, robots.txt and the structured data in page heads, read back through real
//! parsers: feed-rs for RSS, Atom and JSON Feed, roxmltree for sitemaps, serde_json for JSON-LD.

use broadsheet_core::ArticleStatus;
use broadsheet_server::{FeedOptions, Options};
use http::StatusCode;
use scraper::{Html, Selector};
use serde_json::Value;

use crate::pages::article;
use crate::support::Site;

const COPPER: &str = "/article/copper-hits-18-month-high-on-supply-worries";
const ORIGIN: &str = "http://localhost";

fn parse_feed(body: &[u8], what: &str) -> feed_rs::model::Feed {
    feed_rs::parser::parse(body).unwrap_or_else(|e| panic!("{what} does not parse: {e}"))
}

/// Links of the entries, in feed order.
fn entry_links(feed: &feed_rs::model::Feed) -> Vec<String> {
    feed.entries
        .iter()
        .map(|e| e.links.first().map(|l| l.href.clone()).unwrap_or_default())
        .collect()
}

fn json_ld(html: &str) -> Vec<Value> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(r#"script[type="application/ld+json"]"#).expect("selector");
    doc.select(&sel)
        .map(|s| {
            let text = s.text().collect::<String>();
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("JSON-LD {text:?}: {e}"))
        })
        .collect()
}

fn meta(html: &str, property: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(&format!(
        r#"meta[property="{property}"], meta[name="{property}"]"#
    ))
    .expect("selector");
    doc.select(&sel)
        .next()
        .and_then(|m| m.value().attr("content").map(str::to_owned))
}

fn xml_locs(body: &str, element: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(body).unwrap_or_else(|e| panic!("XML: {e}\n{body}"));
    doc.descendants()
        .filter(|n| n.tag_name().name() == element)
        .flat_map(|n| n.children().filter(|c| c.tag_name().name() == "loc"))
        .filter_map(|n| n.text().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn the_site_feed_parses_in_all_three_formats() {
    let site = Site::demo().await;
    let mut firsts = Vec::new();
    for (path, mime) in [
        ("/feed.xml", "application/rss+xml"),
        ("/feed.atom", "application/atom+xml"),
        ("/feed.json", "application/feed+json"),
    ] {
        let reply = site.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert!(reply.header("content-type").starts_with(mime), "{path}");
        let feed = parse_feed(&reply.body, path);
        assert_eq!(
            feed.title.as_ref().map(|t| t.content.as_str()),
            Some("The Meridian Ledger"),
            "{path}"
        );
        assert!(
            (2..=20).contains(&feed.entries.len()),
            "{path}: {}",
            feed.entries.len()
        );
        let links = entry_links(&feed);
        assert!(
            links
                .iter()
                .all(|l| l.starts_with("http://localhost/article/")),
            "{path}: absolute article links {links:?}"
        );
        // Newest first.
        let dates: Vec<_> = feed.entries.iter().map(|e| e.published).collect();
        assert!(
            dates.iter().all(Option::is_some),
            "{path}: every entry dated"
        );
        assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{path}: {dates:?}");
        for entry in &feed.entries {
            assert!(entry.title.is_some(), "{path}");
            // Full text by default, with links that work away from the site.
            let body = entry
                .content
                .as_ref()
                .and_then(|c| c.body.clone())
                .unwrap_or_default();
            assert!(body.contains("<p>"), "{path}: full text in {:?}", entry.id);
            assert!(!body.contains(" href=\"/"), "{path}: relative link in feed");
            assert!(!body.contains(" src=\"/"), "{path}: relative image in feed");
        }
        firsts.push(links[0].clone());
    }
    assert!(firsts.windows(2).all(|w| w[0] == w[1]), "{firsts:?}");
}

#[tokio::test]
async fn feeds_carry_authors_categories_and_the_hero_picture() {
    let site = Site::demo().await;
    let feed = parse_feed(&site.get("/feed.atom").await.body, "atom");
    let copper = feed
        .entries
        .iter()
        .find(|e| e.links.iter().any(|l| l.href.ends_with(COPPER)))
        .expect("the copper story is in the site feed");
    assert_eq!(copper.authors[0].name.as_deref(), Some("Rafael Quintero"));
    assert!(copper.categories.iter().any(|c| c.term == "Copper"));
    assert!(copper.id.starts_with("tag:localhost,"), "{}", copper.id);

    let rss = parse_feed(&site.get("/feed.xml").await.body, "rss");
    let copper = rss
        .entries
        .iter()
        .find(|e| e.links.iter().any(|l| l.href.ends_with(COPPER)))
        .expect("copper in RSS");
    let enclosure = copper
        .media
        .iter()
        .flat_map(|m| &m.content)
        .find_map(|c| c.url.as_ref())
        .expect("the hero as an enclosure");
    assert!(enclosure.as_str().starts_with("http://localhost/media/"));

    let json: Value = serde_json::from_slice(&site.get("/feed.json").await.body).expect("json");
    assert_eq!(json["version"], "https://jsonfeed.org/version/1.1");
    let item = json["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["url"].as_str().is_some_and(|u| u.ends_with(COPPER)))
        .expect("copper in JSON Feed");
    assert!(
        item["image"]
            .as_str()
            .is_some_and(|u| u.starts_with("http://localhost/media/"))
    );
    assert_eq!(item["authors"][0]["name"], "Rafael Quintero");
}

#[tokio::test]
async fn section_tag_and_author_feeds_carry_only_their_stories() {
    let site = Site::demo().await;
    for (page, feed_path) in [
        ("/section/politics", "/section/politics/feed.atom"),
        ("/section/markets", "/section/markets/feed.xml"),
        ("/tag/copper", "/tag/copper/feed.json"),
        (
            "/author/rafael-quintero",
            "/author/rafael-quintero/feed.xml",
        ),
    ] {
        let listing = site.get(page).await.text();
        let reply = site.get(feed_path).await;
        assert_eq!(reply.status, StatusCode::OK, "{feed_path}");
        let feed = parse_feed(&reply.body, feed_path);
        let links = entry_links(&feed);
        assert!(!links.is_empty(), "{feed_path}");
        for link in &links {
            let path = link.strip_prefix(ORIGIN).expect("absolute");
            assert!(
                listing.contains(&format!("href=\"{path}\"")),
                "{feed_path}: {path} is not on {page}"
            );
        }
        // The listing page announces its own feeds beside the site's.
        assert!(
            listing.contains(&format!("href=\"{page}/feed.xml\"")),
            "{page} autodiscovery"
        );
        assert!(listing.contains("href=\"/feed.xml\""), "{page}");
    }
    // A parent section's feed includes its subsections' stories, as its page does.
    let feed = parse_feed(
        &site.get("/section/markets/feed.json").await.body,
        "markets",
    );
    assert!(entry_links(&feed).iter().any(|l| l.ends_with(COPPER)));
}

#[tokio::test]
async fn bad_feed_addresses_are_not_found() {
    let site = Site::demo().await;
    for path in [
        "/section/no-such-section/feed.xml",
        "/tag/no-such-tag/feed.atom",
        "/author/nobody/feed.json",
        "/section/politics/feed.html",
        "/section/politics/feed.xml.bak",
        "/section/politics/FEED.XML",
        "/tag/%3Cscript%3E/feed.xml",
        "/tag/..%2F..%2Fetc/feed.xml",
        "/feed.rss",
    ] {
        let reply = site.get(path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            reply.header("content-type").starts_with("text/html"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn feeds_answer_304_and_follow_new_stories() {
    let site = Site::demo().await;
    for path in ["/feed.xml", "/feed.atom", "/section/politics/feed.json"] {
        let first = site.get(path).await;
        let etag = first.header("etag").to_owned();
        assert!(etag.starts_with("W/\""), "{path}");
        assert!(first.header("last-modified").ends_with("GMT"), "{path}");
        let again = site.get_with(path, &[("if-none-match", &etag)]).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{path}");
        assert!(again.body.is_empty(), "{path}");
    }
    let before = site.get("/feed.atom").await.header("etag").to_owned();
    let politics_before = site
        .get("/section/politics/feed.json")
        .await
        .header("etag")
        .to_owned();
    site.store
        .save_article(&article(
            "feed-new-1",
            "politics",
            "Fresh vote on the budget",
            "The chamber sat again.",
        ))
        .await
        .expect("save");
    assert!(site.state.sync_changes().await.expect("sync") > 0);
    let reply = site
        .get_with("/feed.atom", &[("if-none-match", &before)])
        .await;
    assert_eq!(reply.status, StatusCode::OK, "the feed changed");
    let feed = parse_feed(&reply.body, "atom");
    assert_eq!(
        feed.entries[0].title.as_ref().map(|t| t.content.as_str()),
        Some("Fresh vote on the budget")
    );
    let politics = site.get("/section/politics/feed.json").await;
    assert_ne!(politics.header("etag"), politics_before);
    assert!(politics.text().contains("Fresh vote on the budget"));
}

#[tokio::test]
async fn drafts_and_scheduled_stories_stay_out_of_feeds_and_sitemaps() {
    let site = Site::demo().await;
    let mut draft = article("draft-1", "politics", "Secret draft headline", "Not yet.");
    draft.status = ArticleStatus::Draft;
    draft.published_at = None;
    let mut later = article("later-1", "politics", "Embargoed until tomorrow", "Soon.");
    later.published_at = Some(chrono::Utc::now() + chrono::Duration::days(1));
    site.store.save_article(&draft).await.expect("draft");
    site.store.save_article(&later).await.expect("scheduled");
    site.state.sync_changes().await.expect("sync");
    for path in [
        "/feed.xml",
        "/feed.atom",
        "/feed.json",
        "/section/politics/feed.xml",
        "/sitemaps/articles-1.xml",
        "/sitemaps/news.xml",
    ] {
        let text = site.get(path).await.text();
        assert!(!text.contains("Secret draft"), "{path}");
        assert!(!text.contains("secret-draft"), "{path}");
        assert!(!text.contains("Embargoed"), "{path}");
        assert!(!text.contains("embargoed"), "{path}");
    }
}

#[tokio::test]
async fn summary_feeds_and_a_shorter_length_are_options() {
    let site = Site::build_with(
        None,
        true,
        Options {
            feeds: FeedOptions {
                full_text: false,
                items: 3,
            },
            ..Default::default()
        },
    )
    .await;
    for path in ["/feed.xml", "/feed.atom"] {
        let feed = parse_feed(&site.get(path).await.body, path);
        assert_eq!(feed.entries.len(), 3, "{path}");
        for e in &feed.entries {
            assert!(
                e.content.as_ref().and_then(|c| c.body.as_ref()).is_none(),
                "{path}: no full text"
            );
            assert!(e.summary.is_some(), "{path}: the standfirst");
        }
    }
    // JSON Feed needs content in every item: the standfirst, as text, stands in.
    let json: Value = serde_json::from_slice(&site.get("/feed.json").await.body).expect("json");
    let items = json["items"].as_array().expect("items");
    assert_eq!(items.len(), 3);
    for item in items {
        assert!(item.get("content_html").is_none(), "{item}");
        assert_eq!(item["content_text"], item["summary"]);
    }
}

#[tokio::test]
async fn hostile_headlines_stay_inside_feeds_and_json_ld() {
    let site = Site::demo().await;
    let headline = "</script><script>alert(1)</script> & ]]> \"quotes\" <b>bold</b>";
    let mut a = article("hostile-1", "politics", headline, "Body & <em>more</em>.");
    a.standfirst = "Ends with </title><!--".into();
    site.store.save_article(&a).await.expect("save");
    site.state.sync_changes().await.expect("sync");
    for path in ["/feed.xml", "/feed.atom", "/feed.json"] {
        let feed = parse_feed(&site.get(path).await.body, path);
        assert_eq!(
            feed.entries[0].title.as_ref().map(|t| t.content.as_str()),
            Some(headline),
            "{path}"
        );
    }
    let path = site.first_article_on("/section/politics").await;
    let html = site.get(&path).await.text();
    assert!(
        !html.contains("<script>alert"),
        "no script element injected"
    );
    let docs = json_ld(&html);
    let news = docs
        .iter()
        .find(|d| d["@type"] == "NewsArticle")
        .expect("NewsArticle");
    assert_eq!(news["headline"], headline);
    assert_eq!(news["description"], "Ends with </title><!--");
    assert_eq!(meta(&html, "og:title").as_deref(), Some(headline));

    // RSS readers treat <description> as HTML: a standfirst is text, so it goes in escaped
    // (it went in raw inside CDATA, and an author's markup reached every reader).
    let mut b = article("hostile-2", "politics", "A quiet headline", "Body.");
    b.standfirst =
        "Read <iframe src=javascript:alert(1)></iframe></script><script>x()</script> ]]> now"
            .into();
    site.store.save_article(&b).await.expect("save");
    site.state.sync_changes().await.expect("sync");
    let rss = site.get("/feed.xml").await.text();
    assert!(
        !rss.contains("<iframe") && !rss.contains("<script"),
        "markup from a standfirst in the RSS feed: {rss}"
    );
    assert!(
        rss.contains("&lt;iframe src=javascript:alert(1)&gt;"),
        "{rss}"
    );
    let feed = parse_feed(rss.as_bytes(), "/feed.xml");
    let entry = feed
        .entries
        .iter()
        .find(|e| {
            e.title
                .as_ref()
                .is_some_and(|t| t.content == "A quiet headline")
        })
        .expect("the entry");
    assert_eq!(
        entry.summary.as_ref().map(|t| t.content.as_str()),
        Some(
            "Read &lt;iframe src=javascript:alert(1)&gt;&lt;/iframe&gt;&lt;/script&gt;&lt;script&gt;x()&lt;/script&gt; ]]&gt; now"
        ),
        "the description is the standfirst as HTML-escaped text"
    );
}

#[tokio::test]
async fn article_pages_carry_news_article_breadcrumbs_and_link_previews() {
    let site = Site::demo().await;
    let html = site.get(COPPER).await.text();
    let docs = json_ld(&html);
    let news = docs
        .iter()
        .find(|d| d["@type"] == "NewsArticle")
        .expect("NewsArticle");
    assert_eq!(news["@context"], "https://schema.org");
    assert_eq!(news["url"], format!("{ORIGIN}{COPPER}"));
    assert_eq!(news["mainEntityOfPage"]["@id"], format!("{ORIGIN}{COPPER}"));
    assert!(
        news["headline"]
            .as_str()
            .is_some_and(|h| h.starts_with("Copper"))
    );
    for field in ["datePublished", "dateModified"] {
        let value = news[field].as_str().expect(field);
        chrono::DateTime::parse_from_rfc3339(value).unwrap_or_else(|e| panic!("{field}: {e}"));
    }
    assert_eq!(news["author"][0]["@type"], "Person");
    assert_eq!(news["author"][0]["name"], "Rafael Quintero");
    assert_eq!(news["publisher"]["name"], "The Meridian Ledger");
    // A site without a logo of its own names the theme's icon.
    let logo = news["publisher"]["logo"]["url"]
        .as_str()
        .expect("publisher logo");
    assert!(
        logo.starts_with("http://localhost/static/favicon."),
        "{logo}"
    );
    assert_eq!(
        site.get(logo.strip_prefix(ORIGIN).expect("origin"))
            .await
            .status,
        StatusCode::OK
    );
    let image = &news["image"][0];
    assert_eq!(image["@type"], "ImageObject");
    assert!(
        image["url"]
            .as_str()
            .is_some_and(|u| u.starts_with("http://localhost/media/"))
    );
    assert!(image["width"].as_u64().is_some_and(|w| w > 0));
    assert!(image["creditText"].as_str().is_some_and(|c| !c.is_empty()));

    let crumbs = docs
        .iter()
        .find(|d| d["@type"] == "BreadcrumbList")
        .expect("BreadcrumbList");
    let items = crumbs["itemListElement"].as_array().expect("items");
    assert_eq!(items[0]["item"], "http://localhost/");
    assert_eq!(items[0]["position"], 1);
    assert!(
        items
            .last()
            .and_then(|i| i["item"].as_str())
            .is_some_and(|u| u.starts_with("http://localhost/section/"))
    );

    assert_eq!(meta(&html, "og:type").as_deref(), Some("article"));
    assert_eq!(meta(&html, "og:url"), Some(format!("{ORIGIN}{COPPER}")));
    assert!(meta(&html, "og:image").is_some_and(|u| u.starts_with("http://localhost/media/")));
    assert_eq!(
        meta(&html, "twitter:card").as_deref(),
        Some("summary_large_image")
    );
    assert!(meta(&html, "article:published_time").is_some());
    let doc = Html::parse_document(&html);
    let canonical = doc
        .select(&Selector::parse(r#"link[rel="canonical"]"#).expect("selector"))
        .next()
        .and_then(|l| l.value().attr("href"))
        .map(str::to_owned);
    assert_eq!(canonical, Some(format!("{ORIGIN}{COPPER}")));
}

#[tokio::test]
async fn the_front_page_describes_the_publication_and_its_search() {
    let site = Site::demo().await;
    let html = site.get("/").await.text();
    let docs = json_ld(&html);
    assert!(docs.iter().any(|d| d["@type"] == "NewsMediaOrganization"));
    let website = docs
        .iter()
        .find(|d| d["@type"] == "WebSite")
        .expect("WebSite");
    let template = website["potentialAction"]["target"]["urlTemplate"]
        .as_str()
        .expect("SearchAction");
    assert_eq!(template, "http://localhost/search?q={search_term_string}");
    // The template really searches.
    let reply = site.get("/search?q=copper").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.text().contains("Copper"));
    for mime in [
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
    ] {
        assert!(
            html.contains(&format!("type=\"{mime}\"")),
            "{mime} autodiscovery"
        );
    }
    // Pages that are not the front page carry no front-page data.
    assert!(json_ld(&site.get("/section/politics").await.text()).is_empty());
}

#[tokio::test]
async fn the_sitemap_index_lists_sitemaps_that_list_every_public_story() {
    let site = Site::demo().await;
    let index = site.get("/sitemap.xml").await;
    assert_eq!(index.status, StatusCode::OK);
    assert!(index.header("content-type").starts_with("application/xml"));
    let files = xml_locs(&index.text(), "sitemap");
    assert!(
        files.contains(&format!("{ORIGIN}/sitemaps/pages.xml")),
        "{files:?}"
    );
    assert!(
        files.contains(&format!("{ORIGIN}/sitemaps/news.xml")),
        "{files:?}"
    );
    assert!(
        files.contains(&format!("{ORIGIN}/sitemaps/articles-1.xml")),
        "{files:?}"
    );

    let mut urls = Vec::new();
    for file in &files {
        let reply = site.get(file.strip_prefix(ORIGIN).expect("absolute")).await;
        assert_eq!(reply.status, StatusCode::OK, "{file}");
        assert!(reply.header("etag").starts_with("W/"), "{file} is cached");
        let text = reply.text();
        assert!(
            text.contains(r#"xmlns="http://www.sitemaps.org/schemas/sitemap/0.9""#),
            "{file}"
        );
        urls.extend(xml_locs(&text, "url"));
    }
    assert!(urls.contains(&format!("{ORIGIN}/")));
    assert!(urls.contains(&format!("{ORIGIN}/section/politics")));
    assert!(urls.contains(&format!("{ORIGIN}{COPPER}")));
    // Every story on the front page is in the article sitemap.
    let home = site.get("/").await.text();
    let articles = xml_locs(&site.get("/sitemaps/articles-1.xml").await.text(), "url");
    for piece in home.split("href=\"/article/").skip(1) {
        let slug = &piece[..piece.find('"').expect("quote")];
        assert!(
            articles.contains(&format!("{ORIGIN}/article/{slug}")),
            "{slug} missing from the sitemap"
        );
    }
    // With its hero picture as an image sitemap entry.
    let body = site.get("/sitemaps/articles-1.xml").await.text();
    let doc = roxmltree::Document::parse(&body).expect("xml");
    let copper = doc
        .descendants()
        .find(|n| {
            n.tag_name().name() == "url"
                && n.children()
                    .any(|c| c.text() == Some(&format!("{ORIGIN}{COPPER}")))
        })
        .expect("copper url");
    assert!(copper.descendants().any(|n| n.tag_name().name() == "image"
        && n.tag_name().namespace() == Some("http://www.google.com/schemas/sitemap-image/1.1")));
}

#[tokio::test]
async fn the_news_sitemap_holds_the_last_two_days_only() {
    let site = Site::demo().await;
    let body = site.get("/sitemaps/news.xml").await.text();
    let doc = roxmltree::Document::parse(&body).expect("xml");
    let news_ns = Some("http://www.google.com/schemas/sitemap-news/0.9");
    let dates: Vec<_> = doc
        .descendants()
        .filter(|n| {
            n.tag_name().name() == "publication_date" && n.tag_name().namespace() == news_ns
        })
        .map(|n| chrono::DateTime::parse_from_rfc3339(n.text().expect("date")).expect("rfc 3339"))
        .collect();
    assert!(!dates.is_empty(), "the demo has recent stories");
    let cutoff = chrono::Utc::now() - chrono::Duration::hours(48);
    assert!(dates.iter().all(|d| *d >= cutoff), "{dates:?}");
    let names: Vec<_> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "name" && n.tag_name().namespace() == news_ns)
        .filter_map(|n| n.text())
        .collect();
    assert!(names.iter().all(|n| *n == "The Meridian Ledger"));
    assert_eq!(names.len(), dates.len());

    // A story published three days ago is in the article sitemap but not the news one.
    let mut old = article("old-1", "politics", "An older story from the week", "Old.");
    old.published_at = Some(chrono::Utc::now() - chrono::Duration::days(3));
    site.store.save_article(&old).await.expect("save");
    site.state.sync_changes().await.expect("sync");
    assert!(
        !site
            .get("/sitemaps/news.xml")
            .await
            .text()
            .contains("older-story")
    );
    assert!(
        site.get("/sitemaps/articles-1.xml")
            .await
            .text()
            .contains("an-older-story-from-the-week")
    );
}

#[tokio::test]
async fn bad_sitemap_names_are_not_found_and_robots_points_at_the_sitemaps() {
    let site = Site::demo().await;
    for path in [
        "/sitemaps/articles-0.xml",
        "/sitemaps/articles-2.xml",
        "/sitemaps/articles-01.xml",
        "/sitemaps/articles-x.xml",
        "/sitemaps/articles--1.xml",
        "/sitemaps/articles-99999999999999999999.xml",
        "/sitemaps/articles-1.xml.gz",
        "/sitemaps/other.xml",
    ] {
        let reply = site.get(path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
    }
    let robots = site.get("/robots.txt").await;
    assert_eq!(robots.status, StatusCode::OK);
    assert!(robots.header("content-type").starts_with("text/plain"));
    let text = robots.text();
    assert!(
        text.contains("Sitemap: http://localhost/sitemap.xml"),
        "{text}"
    );
    assert!(text.contains("Disallow: /admin/"), "{text}");
}

#[tokio::test]
async fn an_empty_site_has_valid_empty_feeds_and_sitemaps() {
    let site = Site::empty().await;
    for path in ["/feed.xml", "/feed.atom", "/feed.json"] {
        let reply = site.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert!(parse_feed(&reply.body, path).entries.is_empty(), "{path}");
    }
    let index = site.get("/sitemap.xml").await;
    assert_eq!(index.status, StatusCode::OK);
    for file in xml_locs(&index.text(), "sitemap") {
        let reply = site.get(file.strip_prefix(ORIGIN).expect("absolute")).await;
        assert_eq!(reply.status, StatusCode::OK, "{file}");
        roxmltree::Document::parse(&reply.text()).expect("xml");
    }
}
