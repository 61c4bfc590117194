//! Search behaviour over a small hand-made archive: what is found, what never is.

mod relevance;

use broadsheet_core::{
    Article, ArticleStatus, AuthorRef, Credit, HeroImage, Media, SectionRef, Slug, TagRef,
};
use broadsheet_search::{
    OpenState, SearchIndex, SearchRequest, SearchSettings, Sort, TantivyIndex,
};
use chrono::{Duration, Utc};

fn slug(s: &str) -> Slug {
    Slug::derive(s).expect("slug")
}

fn article(id: i64, headline: &str, body: &str, section: (i64, &str), days_ago: i64) -> Article {
    let now = Utc::now();
    Article {
        id,
        external_id: None,
        slug: slug(headline),
        headline: headline.into(),
        standfirst: String::new(),
        body_markdown: body.into(),
        body_html: format!("<p>{body}</p>"),
        section: SectionRef {
            id: section.0,
            slug: slug(section.1),
            name: section.1.into(),
        },
        authors: vec![],
        tags: vec![],
        hero: None,
        sources: vec![],
        instruments: vec![],
        status: ArticleStatus::Published,
        importance: 0,
        published_at: Some(now - Duration::days(days_ago)),
        created_at: now - Duration::days(days_ago),
        updated_at: now - Duration::days(days_ago),
        version: 1,
        embargo_until: None,
        pinned: false,
        seo_title: String::new(),
        seo_description: String::new(),
        notes: vec![],
        created_by: None,
    }
}

const ECONOMY: (i64, &str) = (1, "Economy");
const MARKETS: (i64, &str) = (2, "Markets");

fn archive() -> Vec<Article> {
    let mut a1 = article(
        1,
        "Central bank holds interest rates",
        "The central bank kept its benchmark rate at 4.25 percent as inflation eased.",
        ECONOMY,
        1,
    );
    a1.authors = vec![AuthorRef {
        id: 10,
        slug: slug("Ines Halvorsen"),
        name: "Ines Halvorsen".into(),
    }];
    a1.tags = vec![TagRef {
        id: 20,
        slug: slug("Rates"),
        name: "Rates".into(),
    }];
    let mut a2 = article(
        2,
        "Copper hits an eighteen-month high",
        "Copper prices rose as strikes hit mines. The bank of the river flooded.",
        MARKETS,
        3,
    );
    a2.hero = Some(HeroImage {
        media: Media {
            id: 1,
            path: "x.svg".into(),
            mime: "image/svg+xml".into(),
            width: 1,
            height: 1,
            bytes: 1,
            variants: vec![],
        },
        alt: "Ore trucks".into(),
        caption: "Trucks at the Cerro Alto mine".into(),
        credit: Credit {
            photographer: Some("Lucia Paredes".into()),
            agency: Some("Serrano News Service".into()),
            via: None,
        },
    });
    a2.sources = vec!["KCNA".into()];
    let a3 = article(
        3,
        "Café owners protest rent rises",
        "Owners of cafés in the old town say rents have doubled; the central council will respond.",
        ECONOMY,
        400,
    );
    let a4 = article(
        4,
        "Bank shares rally",
        "Shares in the country's largest bank rose after results.",
        MARKETS,
        2,
    );
    let mut draft = article(
        5,
        "Secret draft about the central bank",
        "Unpublished draft text about the central bank.",
        ECONOMY,
        0,
    );
    draft.status = ArticleStatus::Draft;
    let mut future = article(
        6,
        "Embargoed central bank decision",
        "Embargoed text about the central bank.",
        ECONOMY,
        -1,
    );
    future.published_at = Some(Utc::now() + Duration::hours(5));
    vec![a1, a2, a3, a4, draft, future]
}

fn index() -> TantivyIndex {
    let idx = TantivyIndex::in_memory(SearchSettings::default()).expect("index");
    idx.apply(&archive(), &[], 1).expect("apply");
    idx
}

fn ids(idx: &TantivyIndex, req: SearchRequest) -> Vec<i64> {
    let mut ids: Vec<i64> = idx
        .search(&req, Utc::now())
        .expect("search")
        .hits
        .iter()
        .map(|h| h.id)
        .collect();
    ids.sort_unstable();
    ids
}

fn q(text: &str) -> SearchRequest {
    SearchRequest {
        query: text.into(),
        limit: 20,
        ..Default::default()
    }
}

#[test]
fn words_are_stemmed_folded_and_all_required() {
    let idx = index();
    assert_eq!(ids(&idx, q("interest rate")), [1]);
    assert_eq!(ids(&idx, q("CAFE")), [3], "accents fold");
    assert_eq!(ids(&idx, q("cafés")), [3]);
    assert_eq!(ids(&idx, q("rallied")), [4], "stemming: rallied ~ rally");
    assert_eq!(ids(&idx, q("copper bank")), [2]);
    assert_eq!(ids(&idx, q("Paredes")), [2], "photo credits are searchable");
    assert_eq!(ids(&idx, q("Halvorsen")), [1], "authors are searchable");
    assert_eq!(ids(&idx, q("kcna")), [2], "sources are searchable");
}

#[test]
fn typos_on_longer_words_are_forgiven() {
    let idx = index();
    assert_eq!(ids(&idx, q("inflaton")), [1], "one edit");
    assert_eq!(ids(&idx, q("infaltion")), [1], "a swap");
    assert_eq!(ids(&idx, q("coppr")), [2]);
    assert_eq!(
        ids(&idx, q("bnak")),
        Vec::<i64>::new(),
        "short words must be spelt right"
    );
}

#[test]
fn phrases_and_exclusions() {
    let idx = index();
    assert_eq!(ids(&idx, q("\"central bank\"")), [1]);
    assert_eq!(ids(&idx, q("bank")), [1, 2, 4]);
    assert_eq!(ids(&idx, q("bank -copper")), [1, 4]);
    assert_eq!(ids(&idx, q("bank -\"central bank\"")), [2, 4]);
    assert_eq!(ids(&idx, q("central -bank")), [3]);
}

#[test]
fn filters_by_section_author_tag_and_date() {
    let idx = index();
    let base = q("bank");
    assert_eq!(
        ids(
            &idx,
            SearchRequest {
                sections: vec![2],
                ..base.clone()
            }
        ),
        [2, 4]
    );
    assert_eq!(
        ids(
            &idx,
            SearchRequest {
                author: Some(10),
                ..base.clone()
            }
        ),
        [1]
    );
    assert_eq!(
        ids(
            &idx,
            SearchRequest {
                tag: Some(20),
                ..base.clone()
            }
        ),
        [1]
    );
    let since = Utc::now() - Duration::days(2) - Duration::hours(12);
    assert_eq!(
        ids(
            &idx,
            SearchRequest {
                from: Some(since),
                ..base.clone()
            }
        ),
        [1, 4]
    );
    assert_eq!(
        ids(
            &idx,
            SearchRequest {
                until: Some(since),
                ..base.clone()
            }
        ),
        [2]
    );
    // Filters alone list everything they match, newest first.
    let all_markets = idx
        .search(
            &SearchRequest {
                sections: vec![2],
                limit: 10,
                ..Default::default()
            },
            Utc::now(),
        )
        .expect("search");
    assert_eq!(
        all_markets.hits.iter().map(|h| h.id).collect::<Vec<_>>(),
        [4, 2]
    );
}

#[test]
fn drafts_and_embargoed_stories_never_leak() {
    let idx = index();
    for text in ["secret draft", "embargoed", "central bank", "unpublished"] {
        let found = ids(&idx, q(text));
        assert!(
            !found.contains(&5) && !found.contains(&6),
            "{text}: {found:?}"
        );
    }
    assert!(
        idx.suggest("secret", Utc::now(), 10)
            .expect("suggest")
            .is_empty()
    );
    assert!(
        idx.suggest("embargo", Utc::now(), 10)
            .expect("suggest")
            .is_empty()
    );
    let related = idx.related(1, Utc::now(), 10).expect("related");
    assert!(
        related.iter().all(|h| h.id != 5 && h.id != 6 && h.id != 1),
        "{related:?}"
    );
    // Once the embargo passes, the story is found.
    let later = Utc::now() + Duration::hours(6);
    let found = idx.search(&q("embargoed"), later).expect("search");
    assert_eq!(found.hits.iter().map(|h| h.id).collect::<Vec<_>>(), [6]);
}

#[test]
fn facets_count_sections_and_years() {
    let idx = index();
    let r = idx.search(&q("bank"), Utc::now()).expect("search");
    assert_eq!(r.total, 3);
    assert_eq!(
        r.sections,
        [("markets".to_owned(), 2), ("economy".to_owned(), 1)]
    );
    let years: u64 = r.years.iter().map(|(_, n)| n).sum();
    assert_eq!(years, 3);
}

#[test]
fn snippets_highlight_matches_and_escape() {
    let idx = TantivyIndex::in_memory(SearchSettings::default()).expect("index");
    let a = article(
        1,
        "Markup in text",
        "Before <script>alert(1)</script> the copper price & more",
        MARKETS,
        1,
    );
    let mut a = a;
    a.body_html =
        "<p>Before &lt;script&gt;alert(1)&lt;/script&gt; the copper price &amp; more</p>".into();
    idx.apply(&[a], &[], 1).expect("apply");
    let r = idx.search(&q("copper"), Utc::now()).expect("search");
    let s = &r.hits[0].snippet_html;
    assert!(s.contains("<mark>copper</mark>"), "{s}");
    assert!(
        s.contains("&lt;script&gt;") && !s.contains("<script"),
        "{s}"
    );
}

#[test]
fn relevance_prefers_headline_matches_and_sorts_by_date_on_request() {
    let idx = index();
    let r = idx.search(&q("bank"), Utc::now()).expect("search");
    let order: Vec<i64> = r.hits.iter().map(|h| h.id).collect();
    assert!(
        order.iter().position(|&i| i == 4) < order.iter().position(|&i| i == 2),
        "headline match first: {order:?}"
    );
    let newest = idx
        .search(
            &SearchRequest {
                sort: Sort::Newest,
                ..q("bank")
            },
            Utc::now(),
        )
        .expect("search");
    assert_eq!(
        newest.hits.iter().map(|h| h.id).collect::<Vec<_>>(),
        [1, 4, 2]
    );
    let paged = idx
        .search(
            &SearchRequest {
                sort: Sort::Newest,
                offset: 1,
                limit: 1,
                ..q("bank")
            },
            Utc::now(),
        )
        .expect("search");
    assert_eq!((paged.total, paged.hits[0].id), (3, 4));
}

#[test]
fn did_you_mean_offers_a_close_indexed_word() {
    let idx = index();
    let r = idx.search(&q("bnak shares"), Utc::now()).expect("search");
    assert_eq!(r.total, 0);
    assert_eq!(r.did_you_mean.as_deref(), Some("bank shares"));
    let none = idx.search(&q("zzzzqqq"), Utc::now()).expect("search");
    assert_eq!(none.did_you_mean, None);
}

#[test]
fn suggestions_complete_headlines() {
    let idx = index();
    let s = idx.suggest("cop", Utc::now(), 5).expect("suggest");
    assert_eq!(
        s.iter().map(|x| x.headline.as_str()).collect::<Vec<_>>(),
        ["Copper hits an eighteen-month high"]
    );
    let s = idx
        .suggest("central bank h", Utc::now(), 5)
        .expect("suggest");
    assert_eq!(s.len(), 1);
    assert!(idx.suggest("", Utc::now(), 5).expect("suggest").is_empty());
    assert!(
        idx.suggest(".*(", Utc::now(), 5)
            .expect("suggest")
            .is_empty()
    );
}

#[test]
fn related_articles_exclude_the_article_itself() {
    let idx = index();
    let r = idx.related(4, Utc::now(), 5).expect("related");
    assert!(!r.is_empty());
    assert!(r.iter().all(|h| h.id != 4));
    assert!(idx.related(999, Utc::now(), 5).expect("related").is_empty());
}

#[test]
fn updates_replace_and_unpublishing_removes() {
    let idx = index();
    let mut edited = archive().remove(3);
    edited.headline = "Bank shares slump".into();
    edited.version = 7;
    idx.apply(&[edited.clone()], &[], 2).expect("apply");
    assert_eq!(ids(&idx, q("slump")), [4]);
    assert!(ids(&idx, q("rally")).is_empty());
    assert_eq!(idx.versions().expect("versions").get(&4), Some(&7));
    edited.status = ArticleStatus::Unpublished;
    idx.apply(&[edited], &[2], 3).expect("apply");
    assert!(ids(&idx, q("slump")).is_empty());
    assert!(ids(&idx, q("copper")).is_empty());
    assert_eq!(idx.applied_seq(), Some(3));
    let mut left: Vec<i64> = idx.versions().expect("versions").into_keys().collect();
    left.sort_unstable();
    assert_eq!(
        left,
        [1, 3, 6],
        "the embargoed story is indexed, the draft never was"
    );
}

#[test]
fn hostile_queries_are_answered_not_failed() {
    let idx = index();
    let long = "word ".repeat(2000);
    for text in [
        "\"unbalanced",
        "-",
        "\"\"",
        "- -",
        "+",
        "AND OR NOT",
        "a\u{0}b\u{1b}[31m",
        "<script>alert(1)</script>",
        "'; DROP TABLE articles; --",
        "title:bank",
        "bank^10",
        "(((",
        "*",
        "\\",
        &long,
        "ÄÖÜ ß ﬁ",
        "🙂",
    ] {
        let r = idx.search(&q(text), Utc::now());
        assert!(r.is_ok(), "{text:?}: {r:?}");
        assert!(idx.suggest(text, Utc::now(), 5).is_ok(), "{text:?}");
    }
}

#[test]
fn an_index_on_disk_survives_reopening_and_recovers_from_corruption() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let (idx, state) = TantivyIndex::open(dir.path(), SearchSettings::default()).expect("open");
        assert!(matches!(state, OpenState::NeedsRebuild(_)));
        idx.apply(&archive(), &[], 42).expect("apply");
    }
    {
        let (idx, state) =
            TantivyIndex::open(dir.path(), SearchSettings::default()).expect("reopen");
        assert_eq!(state, OpenState::Current(42));
        assert_eq!(ids(&idx, q("copper")), [2]);
    }
    std::fs::write(dir.path().join("meta.json"), b"{ not json").expect("corrupt");
    let (idx, state) = TantivyIndex::open(dir.path(), SearchSettings::default()).expect("recovers");
    assert!(
        matches!(state, OpenState::NeedsRebuild(ref why) if why.contains("cannot be read")),
        "{state:?}"
    );
    assert!(ids(&idx, q("copper")).is_empty());
    assert_eq!(idx.applied_seq(), None);
}
