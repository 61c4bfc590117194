//! Search behaviour over a small hand-made archive: what is found, what never is. Every check
//! runs on both indexes: tantivy (embedded) and PostgreSQL full-text search (scale-out, in a
//! schema of its own when `BROADSHEET_TEST_POSTGRES` names a database).

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

/// An index implementation under test.
pub trait Backend {
    fn empty(&self) -> Box<dyn SearchIndex>;
}

struct Tantivy;

impl Backend for Tantivy {
    fn empty(&self) -> Box<dyn SearchIndex> {
        Box::new(TantivyIndex::in_memory(SearchSettings::default()).expect("index"))
    }
}

/// PostgreSQL: a schema of its own with the store's migrations, and a runtime whose worker
/// threads drive the connections while the test thread calls the synchronous trait.
struct Postgres {
    runtime: tokio::runtime::Runtime,
    store: broadsheet_store::PgStore,
    _schema: broadsheet_store::postgres::testing::Schema,
}

impl Postgres {
    fn new() -> Option<Self> {
        let url = broadsheet_store::postgres::testing::url("search behaviour on PostgreSQL")?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let (schema, store) = runtime.block_on(async {
            let schema = broadsheet_store::postgres::testing::Schema::create(&url).await;
            let store = schema.open().await;
            (schema, store)
        });
        Some(Self {
            runtime,
            store,
            _schema: schema,
        })
    }
}

impl Backend for Postgres {
    fn empty(&self) -> Box<dyn SearchIndex> {
        let pool = self.store.pool().clone();
        let idx = self
            .runtime
            .block_on(broadsheet_search::PgSearch::open(
                pool,
                SearchSettings::default(),
            ))
            .expect("open");
        idx.clear().expect("empty");
        Box::new(idx)
    }
}

macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod tantivy_index {
            $(
                #[test]
                fn $name() {
                    super::$name(&super::Tantivy);
                }
            )*
        }
        mod postgres_index {
            $(
                #[test]
                fn $name() {
                    let Some(backend) = super::Postgres::new() else { return };
                    super::$name(&backend);
                }
            )*
        }
    };
}

on_both!(
    words_are_stemmed_folded_and_all_required,
    typos_on_longer_words_are_forgiven,
    phrases_and_exclusions,
    filters_by_section_author_tag_and_date,
    drafts_and_embargoed_stories_never_leak,
    facets_count_sections_and_years,
    snippets_highlight_matches_and_escape,
    relevance_prefers_headline_matches_and_sorts_by_date_on_request,
    did_you_mean_offers_a_close_indexed_word,
    suggestions_complete_headlines,
    related_articles_exclude_the_article_itself,
    updates_replace_and_unpublishing_removes,
    hostile_queries_are_answered_not_failed,
);

fn index(b: &dyn Backend) -> Box<dyn SearchIndex> {
    let idx = b.empty();
    idx.apply(&archive(), &[], 1).expect("apply");
    idx
}

fn ids(idx: &dyn SearchIndex, req: SearchRequest) -> Vec<i64> {
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

fn words_are_stemmed_folded_and_all_required(b: &dyn Backend) {
    let idx = index(b);
    assert_eq!(ids(idx.as_ref(), q("interest rate")), [1]);
    assert_eq!(ids(idx.as_ref(), q("CAFE")), [3], "accents fold");
    assert_eq!(ids(idx.as_ref(), q("cafés")), [3]);
    assert_eq!(
        ids(idx.as_ref(), q("rallied")),
        [4],
        "stemming: rallied ~ rally"
    );
    assert_eq!(ids(idx.as_ref(), q("copper bank")), [2]);
    assert_eq!(
        ids(idx.as_ref(), q("Paredes")),
        [2],
        "photo credits are searchable"
    );
    assert_eq!(
        ids(idx.as_ref(), q("Halvorsen")),
        [1],
        "authors are searchable"
    );
    assert_eq!(ids(idx.as_ref(), q("kcna")), [2], "sources are searchable");
}

fn typos_on_longer_words_are_forgiven(b: &dyn Backend) {
    let idx = index(b);
    assert_eq!(ids(idx.as_ref(), q("inflaton")), [1], "one edit");
    assert_eq!(ids(idx.as_ref(), q("infaltion")), [1], "a swap");
    assert_eq!(ids(idx.as_ref(), q("coppr")), [2]);
    assert_eq!(
        ids(idx.as_ref(), q("bnak")),
        Vec::<i64>::new(),
        "short words must be spelt right"
    );
}

fn phrases_and_exclusions(b: &dyn Backend) {
    let idx = index(b);
    assert_eq!(ids(idx.as_ref(), q("\"central bank\"")), [1]);
    assert_eq!(ids(idx.as_ref(), q("bank")), [1, 2, 4]);
    assert_eq!(ids(idx.as_ref(), q("bank -copper")), [1, 4]);
    assert_eq!(ids(idx.as_ref(), q("bank -\"central bank\"")), [2, 4]);
    assert_eq!(ids(idx.as_ref(), q("central -bank")), [3]);
}

fn filters_by_section_author_tag_and_date(b: &dyn Backend) {
    let idx = index(b);
    let base = q("bank");
    assert_eq!(
        ids(
            idx.as_ref(),
            SearchRequest {
                sections: vec![2],
                ..base.clone()
            }
        ),
        [2, 4]
    );
    assert_eq!(
        ids(
            idx.as_ref(),
            SearchRequest {
                author: Some(10),
                ..base.clone()
            }
        ),
        [1]
    );
    assert_eq!(
        ids(
            idx.as_ref(),
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
            idx.as_ref(),
            SearchRequest {
                from: Some(since),
                ..base.clone()
            }
        ),
        [1, 4]
    );
    assert_eq!(
        ids(
            idx.as_ref(),
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

fn drafts_and_embargoed_stories_never_leak(b: &dyn Backend) {
    let idx = index(b);
    for text in ["secret draft", "embargoed", "central bank", "unpublished"] {
        let found = ids(idx.as_ref(), q(text));
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

fn facets_count_sections_and_years(b: &dyn Backend) {
    let idx = index(b);
    let r = idx.search(&q("bank"), Utc::now()).expect("search");
    assert_eq!(r.total, 3);
    assert_eq!(
        r.sections,
        [("markets".to_owned(), 2), ("economy".to_owned(), 1)]
    );
    let years: u64 = r.years.iter().map(|(_, n)| n).sum();
    assert_eq!(years, 3);
}

fn snippets_highlight_matches_and_escape(b: &dyn Backend) {
    let idx = b.empty();
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

fn relevance_prefers_headline_matches_and_sorts_by_date_on_request(b: &dyn Backend) {
    let idx = index(b);
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
    // A page past the end has no hits but still the count and the facets.
    let past = idx
        .search(
            &SearchRequest {
                offset: 30,
                limit: 10,
                ..q("bank")
            },
            Utc::now(),
        )
        .expect("search");
    assert!(past.hits.is_empty());
    assert_eq!(past.total, 3);
    assert_eq!(past.sections.iter().map(|(_, n)| n).sum::<u64>(), 3);
}

fn did_you_mean_offers_a_close_indexed_word(b: &dyn Backend) {
    let idx = index(b);
    let r = idx.search(&q("bnak shares"), Utc::now()).expect("search");
    assert_eq!(r.total, 0);
    assert_eq!(r.did_you_mean.as_deref(), Some("bank shares"));
    let none = idx.search(&q("zzzzqqq"), Utc::now()).expect("search");
    assert_eq!(none.did_you_mean, None);
}

fn suggestions_complete_headlines(b: &dyn Backend) {
    let idx = index(b);
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

fn related_articles_exclude_the_article_itself(b: &dyn Backend) {
    let idx = index(b);
    let r = idx.related(4, Utc::now(), 5).expect("related");
    assert!(!r.is_empty());
    assert!(r.iter().all(|h| h.id != 4));
    assert!(idx.related(999, Utc::now(), 5).expect("related").is_empty());
}

fn updates_replace_and_unpublishing_removes(b: &dyn Backend) {
    let idx = index(b);
    let mut edited = archive().remove(3);
    edited.headline = "Bank shares slump".into();
    edited.version = 7;
    idx.apply(&[edited.clone()], &[], 2).expect("apply");
    assert_eq!(ids(idx.as_ref(), q("slump")), [4]);
    assert!(ids(idx.as_ref(), q("rally")).is_empty());
    assert_eq!(idx.versions().expect("versions").get(&4), Some(&7));
    edited.status = ArticleStatus::Unpublished;
    idx.apply(&[edited], &[2], 3).expect("apply");
    assert!(ids(idx.as_ref(), q("slump")).is_empty());
    assert!(ids(idx.as_ref(), q("copper")).is_empty());
    assert_eq!(idx.applied_seq(), Some(3));
    let mut left: Vec<i64> = idx.versions().expect("versions").into_keys().collect();
    left.sort_unstable();
    assert_eq!(
        left,
        [1, 3, 6],
        "the embargoed story is indexed, the draft never was"
    );
}

fn hostile_queries_are_answered_not_failed(b: &dyn Backend) {
    let idx = index(b);
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
        // Lower-cased, "İ" is "i" and a combining dot: once an invalid escape in a pattern.
        "İstanbul",
        "Iİ",
        "a\u{301}",
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

/// The search crate creates its own tables on PostgreSQL. A database whose tables were made
/// before they were the crate's (by the store's former migration 3, with no
/// `_search_migrations` log) is adopted as it is, its documents kept; a log newer than this
/// binary is refused with a message, not half-used.
#[test]
fn postgres_search_owns_its_tables_and_adopts_older_ones() {
    let Some(backend) = Postgres::new() else {
        return;
    };
    let pool = backend.store.pool().clone();
    let open = |pool: sqlx::PgPool| {
        backend.runtime.block_on(broadsheet_search::PgSearch::open(
            pool,
            SearchSettings::default(),
        ))
    };
    let idx = open(pool.clone()).expect("open creates the tables");
    idx.apply(&archive(), &[], 1).expect("apply");
    drop(idx);
    let (store_versions, search_versions): (Vec<i64>, Vec<i64>) = backend.runtime.block_on(async {
        let store: Vec<i64> = sqlx::query_scalar("SELECT version FROM _migrations")
            .fetch_all(&pool)
            .await
            .expect("store log");
        let search: Vec<i64> = sqlx::query_scalar("SELECT version FROM _search_migrations")
            .fetch_all(&pool)
            .await
            .expect("search log");
        // As a site upgraded from before the move looks: the tables, no search log.
        sqlx::query("DROP TABLE _search_migrations")
            .execute(&pool)
            .await
            .expect("drop log");
        (store, search)
    });
    assert!(store_versions.contains(&3), "{store_versions:?}");
    assert_eq!(search_versions, [1]);
    let idx = open(pool.clone()).expect("an older database is adopted");
    assert_eq!(idx.applied_seq(), Some(1), "its state is kept");
    assert_eq!(ids(&idx, q("interest rate")), [1], "its documents are kept");
    drop(idx);
    backend.runtime.block_on(async {
        sqlx::query("INSERT INTO _search_migrations VALUES (99, 'future', 0)")
            .execute(&pool)
            .await
            .expect("future");
    });
    let err = open(pool).err().expect("a newer schema is refused");
    assert!(err.to_string().contains("newer than this binary"), "{err}");
}
