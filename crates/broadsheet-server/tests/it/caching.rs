//! HTTP caching, compression, and the page cache following content changes.

use std::io::Read;

use broadsheet_core::{Article, ArticleInput, Slug};
use broadsheet_store::{SqliteStore, Store};
use http::StatusCode;

use crate::pages::article;
use crate::support::Site;

const COPPER: &str = "/article/copper-hits-18-month-high-on-supply-worries";

fn as_input(a: &Article) -> ArticleInput {
    ArticleInput {
        external_id: a.external_id.clone(),
        slug: Some(a.slug.clone()),
        headline: a.headline.clone(),
        standfirst: a.standfirst.clone(),
        body_markdown: a.body_markdown.clone(),
        section: a.section.slug.clone(),
        section_name: a.section.name.clone(),
        authors: a.authors.iter().map(|x| x.name.clone()).collect(),
        tags: a.tags.iter().map(|x| x.name.clone()).collect(),
        hero: a.hero.as_ref().map(|h| broadsheet_core::HeroInput {
            media_id: h.media.id,
            alt: h.alt.clone(),
            caption: h.caption.clone(),
            credit: h.credit.clone(),
        }),
        sources: a.sources.clone(),
        instruments: a.instruments.clone(),
        status: a.status,
        importance: a.importance,
        published_at: a.published_at,
        editorial: Default::default(),
    }
}

#[tokio::test]
async fn etag_and_last_modified_answer_304() {
    let site = Site::demo().await;
    for path in ["/", COPPER, "/section/markets"] {
        let first = site.get(path).await;
        let etag = first.header("etag").to_owned();
        let modified = first.header("last-modified").to_owned();
        assert!(etag.starts_with("W/\""), "{path}");
        assert!(modified.ends_with("GMT"), "{path}");
        assert!(first.header("cache-control").contains("max-age"), "{path}");
        let again = site.get_with(path, &[("if-none-match", &etag)]).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{path}");
        assert!(again.body.is_empty());
        assert_eq!(again.header("etag"), etag);
        let other = site
            .get_with(path, &[("if-none-match", "W/\"0000\"")])
            .await;
        assert_eq!(other.status, StatusCode::OK, "{path}");
        let since = site
            .get_with(path, &[("if-modified-since", &modified)])
            .await;
        assert_eq!(since.status, StatusCode::NOT_MODIFIED, "{path}");
        let old = site
            .get_with(
                path,
                &[("if-modified-since", "Sun, 06 Nov 1994 08:49:37 GMT")],
            )
            .await;
        assert_eq!(old.status, StatusCode::OK, "{path}");
        let junk = site
            .get_with(path, &[("if-modified-since", "yesterday")])
            .await;
        assert_eq!(junk.status, StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn gzip_and_brotli_carry_the_same_page() {
    let site = Site::demo().await;
    let plain = site.get(COPPER).await;
    assert_eq!(plain.header("content-encoding"), "");
    assert_eq!(plain.header("vary"), "Accept-Encoding");

    let gz = site.get_with(COPPER, &[("accept-encoding", "gzip")]).await;
    assert_eq!(gz.header("content-encoding"), "gzip");
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gz.body[..])
        .read_to_end(&mut unzipped)
        .expect("gunzip");
    assert_eq!(unzipped, plain.body);
    assert!(gz.body.len() < plain.body.len() / 2);

    let br = site
        .get_with(COPPER, &[("accept-encoding", "gzip, deflate, br")])
        .await;
    assert_eq!(br.header("content-encoding"), "br");
    let mut unbrotli = Vec::new();
    brotli::Decompressor::new(&br.body[..], 4096)
        .read_to_end(&mut unbrotli)
        .expect("unbrotli");
    assert_eq!(unbrotli, plain.body);
    assert_eq!(br.header("etag"), plain.header("etag"));
}

#[tokio::test]
async fn static_assets_are_fingerprinted_and_immutable() {
    let site = Site::demo().await;
    let html = site.get("/").await.text();
    let start = html.find("/static/site.").expect("css link");
    let end = start + html[start..].find('"').expect("quote");
    let css = site
        .get_with(&html[start..end], &[("accept-encoding", "br")])
        .await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.header("content-type"), "text/css; charset=utf-8");
    assert_eq!(
        css.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(css.header("content-encoding"), "br");
}

#[tokio::test]
async fn editing_an_article_refreshes_its_page_its_section_and_home_only() {
    let site = Site::demo().await;
    let copper = site
        .store
        .article_by_slug(&Slug::parse(&COPPER[9..]).expect("slug"))
        .await
        .expect("read")
        .expect("found");
    let unrelated = "/article/parliament-debates-rules-for-artificial-intelligence-in-hiring";
    for path in [
        "/",
        COPPER,
        "/section/commodities",
        "/section/markets",
        unrelated,
    ] {
        assert!(
            !site
                .get(path)
                .await
                .text()
                .contains("Copper smashes records"),
            "{path}"
        );
    }
    let cached_before = site.state.cached_pages();
    let unrelated_etag = site.get(unrelated).await.header("etag").to_owned();

    let mut edited = as_input(&copper);
    edited.headline = "Copper smashes records on supply worries".into();
    edited.importance = 20;
    site.store.save_article(&edited).await.expect("save");
    assert!(site.state.sync_changes().await.expect("sync") > 0);

    assert!(
        site.state.cached_pages() < cached_before,
        "dependent pages dropped"
    );
    assert!(site.state.cached_pages() >= 1, "unrelated pages kept");
    for path in ["/", COPPER, "/section/commodities", "/section/markets"] {
        assert!(
            site.get(path)
                .await
                .text()
                .contains("Copper smashes records"),
            "{path} refreshed"
        );
    }
    assert_eq!(site.get(unrelated).await.header("etag"), unrelated_etag);
}

#[tokio::test]
async fn a_write_by_another_process_reaches_the_cache_through_the_change_log() {
    let site = Site::demo().await;
    assert!(
        !site
            .get("/section/politics")
            .await
            .text()
            .contains("From the other process")
    );
    // A second store on the same file stands for `broadsheet import` running beside the server.
    let db = site
        .state
        .media_dir
        .parent()
        .expect("data dir")
        .join("broadsheet.db");
    let other = SqliteStore::open(&db).await.expect("second handle");
    other
        .save_article(&article(
            "other-1",
            "politics",
            "From the other process",
            "Hi.",
        ))
        .await
        .expect("save");
    assert!(
        !site
            .get("/section/politics")
            .await
            .text()
            .contains("From the other process"),
        "still cached"
    );
    site.state.sync_changes().await.expect("sync");
    assert!(
        site.get("/section/politics")
            .await
            .text()
            .contains("From the other process")
    );
    assert!(
        site.get("/")
            .await
            .text()
            .contains("From the other process")
    );
}

#[tokio::test]
async fn unpublishing_removes_the_page() {
    let site = Site::demo().await;
    let copper = site
        .store
        .article_by_slug(&Slug::parse(&COPPER[9..]).expect("slug"))
        .await
        .expect("read")
        .expect("found");
    assert_eq!(site.get(COPPER).await.status, StatusCode::OK);
    let mut pulled = as_input(&copper);
    pulled.status = broadsheet_core::ArticleStatus::Unpublished;
    site.store.save_article(&pulled).await.expect("save");
    site.state.sync_changes().await.expect("sync");
    assert_eq!(site.get(COPPER).await.status, StatusCode::NOT_FOUND);
    assert!(
        !site
            .get("/section/commodities")
            .await
            .text()
            .contains(&copper.headline)
    );
}
