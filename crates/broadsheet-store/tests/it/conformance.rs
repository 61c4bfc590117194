//! The behaviour every `Store` backend must have. `store_suite!(open)` instantiates each
//! check as a test for a backend whose `open().await` returns `Some((guard, store))`, or
//! `None` (having said why) when that backend is not available here.

use broadsheet_core::{ArticleInput, ArticleStatus, Credit, HeroInput, NewMedia, NewSection, Slug};
use broadsheet_store::{ListFilter, SaveKind, Store, StoreError};
use chrono::{Duration, Utc};

#[macro_export]
macro_rules! store_suite {
    ($open:path) => {
        $crate::store_suite!(@tests $open;
            saves_and_reads_back_every_field,
            external_id_makes_saves_idempotent,
            slugs_are_unique_and_stable,
            only_published_past_articles_are_public,
            keyset_pages_are_stable_under_inserts,
            listings_filter_by_section_subtree_tag_and_author,
            a_failed_item_in_a_batch_leaves_nothing_behind,
            invalid_input_is_refused_with_its_field,
            sections_nest_but_never_in_a_cycle,
            writes_log_the_cache_keys_they_touch,
            top_stories_rank_by_importance_then_date,
            settings_round_trip,
            publishing_without_a_time_means_now_and_keeps_it,
            articles_can_be_walked_by_id_for_rebuilds,
            market_bars_are_upserted_by_day_and_read_by_range,
            sitemaps_list_public_articles_in_files_of_a_given_size,
            article_queries_combine_every_filter,
            public_authors_and_tags_leave_out_drafts,
            webhook_deliveries_are_written_with_the_change_and_leased_to_one_sender,
            wire_items_keep_their_versions_and_a_kill_flags_the_articles_made_from_them,
            a_job_lease_has_one_holder_until_it_runs_out,
            a_delivery_lease_is_renewed_by_its_holder_only,
            calendar_releases_are_matched_versioned_and_linked,
        );
        $crate::store_suite!(@newsroom $open;
            accounts_are_unique_by_address_and_get_a_byline,
            the_last_admin_cannot_be_demoted_or_disabled,
            sessions_expire_and_end_with_password_changes_and_disabling,
            one_time_tokens_work_once_and_expire,
            a_save_from_a_stale_version_is_refused_and_changes_nothing,
            an_embargo_keeps_a_published_story_private_until_its_time,
            scheduled_stories_are_published_once_when_due,
            every_save_keeps_a_revision_and_notes_are_shown,
            a_published_slug_change_leaves_a_redirect,
            the_admin_list_filters_by_status_creator_and_words,
            deleting_is_audited_and_pinning_orders_the_home_page,
            api_keys_are_found_by_hash_until_revoked,
        );
    };
    (@newsroom $open:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let Some((_guard, store)) = $open().await else { return };
                $crate::newsroom::$name(&store).await;
            }
        )*
    };
    (@tests $open:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let Some((_guard, store)) = $open().await else { return };
                $crate::conformance::$name(&store).await;
            }
        )*
    };
}

pub fn input(id: &str, headline: &str, hours_ago: i64) -> ArticleInput {
    ArticleInput {
        external_id: Some(id.to_owned()),
        slug: None,
        headline: headline.to_owned(),
        standfirst: format!("About {headline}"),
        body_markdown: format!("Body of {headline}"),
        section: Slug::parse("economy").expect("slug"),
        section_name: "Economy".into(),
        authors: vec!["Ines Halvorsen".into()],
        tags: vec!["Rates".into()],
        hero: None,
        sources: vec!["MPA".into()],
        instruments: vec![],
        status: ArticleStatus::Published,
        importance: 0,
        published_at: Some(Utc::now() - Duration::hours(hours_ago)),
        editorial: Default::default(),
    }
}

fn slug(s: &str) -> Slug {
    Slug::parse(s).expect("slug")
}

pub async fn saves_and_reads_back_every_field(store: &dyn Store) {
    let media = store
        .upsert_media(&NewMedia {
            path: "demo/a.svg".into(),
            mime: "image/svg+xml".into(),
            width: 1200,
            height: 675,
            bytes: 1234,
            ..Default::default()
        })
        .await
        .expect("media");
    let mut a = input("x-1", "Copper hits high", 2);
    a.authors = vec!["Rafael Quintero".into(), "Mei Tanabe".into()];
    a.tags = vec!["Copper".into(), "Mining".into()];
    a.sources = vec!["KCNA".into(), "AP".into()];
    a.instruments = vec![
        broadsheet_core::Symbol::parse("BRENT").expect("s"),
        broadsheet_core::Symbol::parse("GOLD").expect("s"),
    ];
    a.importance = 7;
    a.hero = Some(HeroInput {
        media_id: media.id,
        alt: "A mine".into(),
        caption: "The pit".into(),
        credit: Credit {
            photographer: Some("Gavriil Grigorov".into()),
            agency: Some("Sputnik".into()),
            via: Some("Kremlin Pool Photo via AP".into()),
        },
    });
    let saved = store.save_article(&a).await.expect("save");
    assert_eq!(saved.kind, SaveKind::Created);
    assert_eq!(saved.slug.as_str(), "copper-hits-high");
    let got = store
        .article_by_slug(&saved.slug)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(got.headline, a.headline);
    assert_eq!(got.standfirst, a.standfirst);
    assert_eq!(got.body_markdown, a.body_markdown);
    // The HTML is derived from the Markdown by the store, in one place.
    assert_eq!(got.body_html, "<p>Body of Copper hits high</p>\n");
    let mut hostile = input("x-script", "A hostile body", 2);
    hostile.body_markdown = "Hi <script>alert(1)</script> [x](javascript:alert(2))".into();
    let saved_hostile = store.save_article(&hostile).await.expect("save");
    let got_hostile = store
        .article_by_id(saved_hostile.id)
        .await
        .expect("read")
        .expect("found");
    assert!(
        got_hostile.body_html.starts_with("<p>Hi ")
            && !got_hostile.body_html.contains("<script")
            && !got_hostile.body_html.contains("javascript:"),
        "the stored HTML is sanitised: {}",
        got_hostile.body_html
    );
    assert_eq!(got.section.slug.as_str(), "economy");
    assert_eq!(
        got.authors
            .iter()
            .map(|x| x.name.as_str())
            .collect::<Vec<_>>(),
        ["Rafael Quintero", "Mei Tanabe"]
    );
    assert_eq!(
        got.tags.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(),
        ["Copper", "Mining"]
    );
    assert_eq!(got.sources, ["KCNA", "AP"]);
    assert_eq!(
        got.instruments
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>(),
        ["BRENT", "GOLD"]
    );
    assert_eq!(got.importance, 7);
    assert_eq!(got.status, ArticleStatus::Published);
    assert_eq!(
        got.published_at.map(|t| t.timestamp()),
        a.published_at.map(|t| t.timestamp())
    );
    let hero = got.hero.expect("hero");
    assert_eq!(hero.media, media);
    assert_eq!(
        hero.credit.to_string(),
        "Gavriil Grigorov, Sputnik, Kremlin Pool Photo via AP"
    );
    assert_eq!(got.external_id.as_deref(), Some("x-1"));
    let by_ext = store
        .article_by_external_id("x-1")
        .await
        .expect("read")
        .expect("found");
    assert_eq!(by_ext.id, got.id);
}

pub async fn external_id_makes_saves_idempotent(store: &dyn Store) {
    let a = input("wire-7", "Rates hold", 1);
    let first = store.save_article(&a).await.expect("save");
    let again = store.save_article(&a).await.expect("save");
    assert_eq!(
        (first.kind, again.kind),
        (SaveKind::Created, SaveKind::Unchanged)
    );
    assert_eq!(first.id, again.id);
    let before = store
        .article_by_slug(&first.slug)
        .await
        .expect("read")
        .expect("found");
    let mut changed = a.clone();
    changed.body_markdown = "New body".into();
    let third = store.save_article(&changed).await.expect("save");
    assert_eq!((third.kind, third.id), (SaveKind::Updated, first.id));
    let after = store
        .article_by_slug(&first.slug)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(after.body_markdown, "New body");
    assert_eq!(
        (before.version, after.version),
        (1, 2),
        "versions count changes, not saves"
    );
    assert_eq!(after.created_at, before.created_at);
    assert_eq!(store.counts().await.expect("counts").articles, 1);
}

pub async fn slugs_are_unique_and_stable(store: &dyn Store) {
    let mut slugs = Vec::new();
    for i in 0..3 {
        let saved = store
            .save_article(&input(&format!("s-{i}"), "BAHIA COCOA REVIEW", 1))
            .await
            .expect("save");
        slugs.push(saved.slug.to_string());
    }
    assert_eq!(
        slugs,
        [
            "bahia-cocoa-review",
            "bahia-cocoa-review-2",
            "bahia-cocoa-review-3"
        ]
    );
    // A new headline on update keeps the published slug (links must not break).
    let mut renamed = input("s-1", "Cocoa review, corrected", 1);
    renamed.body_markdown = "x".into();
    let saved = store.save_article(&renamed).await.expect("save");
    assert_eq!(saved.slug.as_str(), "bahia-cocoa-review-2");
    // Symbols-only headlines still get a slug; no external id always creates.
    let mut odd = input("s-9", "!!!", 1);
    odd.external_id = None;
    assert_eq!(
        store.save_article(&odd).await.expect("save").slug.as_str(),
        "article"
    );
    assert_eq!(
        store.save_article(&odd).await.expect("save").slug.as_str(),
        "article-2"
    );
}

pub async fn only_published_past_articles_are_public(store: &dyn Store) {
    let now = Utc::now();
    let public = store
        .save_article(&input("p", "Public story", 1))
        .await
        .expect("save");
    let mut draft = input("d", "Draft story", 1);
    draft.status = ArticleStatus::Draft;
    let draft = store.save_article(&draft).await.expect("save");
    let mut future = input("f", "Embargoed story", -5);
    future.status = ArticleStatus::Published;
    let future = store.save_article(&future).await.expect("save");
    let mut unpublished = input("u", "Pulled story", 2);
    unpublished.status = ArticleStatus::Unpublished;
    let unpublished = store.save_article(&unpublished).await.expect("save");

    assert!(
        store
            .public_article_by_slug(&public.slug, now)
            .await
            .expect("read")
            .is_some()
    );
    for hidden in [&draft.slug, &future.slug, &unpublished.slug] {
        assert!(
            store
                .public_article_by_slug(hidden, now)
                .await
                .expect("read")
                .is_none(),
            "{hidden}"
        );
        assert!(
            store.article_by_slug(hidden).await.expect("read").is_some(),
            "{hidden} stored"
        );
    }
    let listed = store
        .list_public(&ListFilter::All, now, None, 50)
        .await
        .expect("list");
    assert_eq!(
        listed.items.iter().map(|a| a.id).collect::<Vec<_>>(),
        [public.id]
    );
    let top = store.top_stories(now, 50, 10).await.expect("top");
    assert_eq!(top.iter().map(|a| a.id).collect::<Vec<_>>(), [public.id]);
    let later = now + Duration::hours(6);
    assert!(
        store
            .public_article_by_slug(&future.slug, later)
            .await
            .expect("read")
            .is_some()
    );
}

pub async fn keyset_pages_are_stable_under_inserts(store: &dyn Store) {
    // A little ahead: stories "published now" below must count as published at any second
    // boundary (regression: this test once failed when the clock ticked mid-test).
    let now = Utc::now() + Duration::seconds(5);
    let batch: Vec<_> = (0..25)
        .map(|i| input(&format!("k-{i}"), &format!("Story {i}"), 100 + i))
        .collect();
    for r in store.save_articles(&batch).await.expect("save") {
        r.expect("item");
    }
    let first = store
        .list_public(&ListFilter::All, now, None, 10)
        .await
        .expect("page 1");
    assert_eq!(first.items.len(), 10);
    let cursor = first.next.expect("more pages");
    // Newer stories arrive between the two page loads.
    for i in 0..5 {
        store
            .save_article(&input(&format!("new-{i}"), &format!("Breaking {i}"), 0))
            .await
            .expect("save");
    }
    let second = store
        .list_public(&ListFilter::All, now, Some(cursor), 10)
        .await
        .expect("page 2");
    let third = store
        .list_public(&ListFilter::All, now, second.next, 10)
        .await
        .expect("page 3");
    assert!(third.next.is_none());
    let headlines: Vec<String> = first
        .items
        .iter()
        .chain(&second.items)
        .chain(&third.items)
        .map(|a| a.headline.clone())
        .collect();
    let expected: Vec<String> = (0..25).map(|i| format!("Story {i}")).collect();
    assert_eq!(headlines, expected, "no story skipped or repeated");
    // Same timestamps: the id breaks the tie.
    let when = Some(Utc::now() - Duration::days(30));
    let ties: Vec<_> = (0..3)
        .map(|i| ArticleInput {
            published_at: when,
            editorial: Default::default(),
            ..input(&format!("t-{i}"), &format!("Tie {i}"), 0)
        })
        .collect();
    for r in store.save_articles(&ties).await.expect("save") {
        r.expect("item");
    }
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .list_public(&ListFilter::All, now, after, 4)
            .await
            .expect("page");
        seen.extend(page.items.iter().map(|a| a.id));
        match page.next {
            Some(c) => after = Some(c),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), seen.len());
    assert_eq!(seen.len(), 33);
}

pub async fn listings_filter_by_section_subtree_tag_and_author(store: &dyn Store) {
    let now = Utc::now();
    for (slug, parent) in [("world", None), ("asia", Some("world")), ("tech", None)] {
        store
            .upsert_section(&NewSection {
                slug: Slug::parse(slug).expect("slug"),
                name: slug.into(),
                description: String::new(),
                parent: parent.map(|p| Slug::parse(p).expect("slug")),
                position: 0,
                in_menu: true,
            })
            .await
            .expect("section");
    }
    let mut a = input("a", "Asia story", 1);
    a.section = slug("asia");
    a.tags = vec!["Chips".into()];
    a.authors = vec!["Mei Tanabe".into()];
    let mut w = input("w", "World story", 2);
    w.section = slug("world");
    w.tags = vec![];
    let mut t = input("t", "Tech story", 3);
    t.section = slug("tech");
    t.tags = vec!["Chips".into()];
    for x in [&a, &w, &t] {
        store.save_article(x).await.expect("save");
    }
    let sections = store.sections().await.expect("sections");
    let id = |s: &str| {
        sections
            .iter()
            .find(|x| x.slug.as_str() == s)
            .expect("section")
            .id
    };
    let heads = |p: broadsheet_core::Page<broadsheet_core::ArticleSummary>| {
        p.items.into_iter().map(|a| a.headline).collect::<Vec<_>>()
    };
    let subtree = broadsheet_core::section_subtree(&sections, id("world"));
    assert_eq!(
        heads(
            store
                .list_public(&ListFilter::Sections(subtree), now, None, 10)
                .await
                .expect("list")
        ),
        ["Asia story", "World story"]
    );
    assert_eq!(
        heads(
            store
                .list_public(&ListFilter::Sections(vec![id("asia")]), now, None, 10)
                .await
                .expect("list")
        ),
        ["Asia story"]
    );
    assert!(
        store
            .list_public(&ListFilter::Sections(vec![]), now, None, 10)
            .await
            .expect("list")
            .items
            .is_empty()
    );
    let chips = store
        .tag_by_slug(&slug("chips"))
        .await
        .expect("tag")
        .expect("exists");
    assert_eq!(
        heads(
            store
                .list_public(&ListFilter::Tag(chips.id), now, None, 10)
                .await
                .expect("list")
        ),
        ["Asia story", "Tech story"]
    );
    let mei = store
        .author_by_slug(&slug("mei-tanabe"))
        .await
        .expect("author")
        .expect("exists");
    assert_eq!(
        heads(
            store
                .list_public(&ListFilter::Author(mei.id), now, None, 10)
                .await
                .expect("list")
        ),
        ["Asia story"]
    );
    let page = store
        .list_public(&ListFilter::Author(mei.id), now, None, 10)
        .await
        .expect("list");
    assert_eq!(page.items[0].authors[0].name, "Mei Tanabe");
}

pub async fn a_failed_item_in_a_batch_leaves_nothing_behind(store: &dyn Store) {
    let good = input("g1", "Good one", 1);
    let mut bad = input("b1", "Bad one", 1);
    bad.authors = vec!["Only In Bad".into()];
    bad.tags = vec!["Only-bad-tag".into()];
    bad.section = slug("only-bad-section");
    bad.hero = Some(HeroInput {
        media_id: 999_999,
        alt: String::new(),
        caption: String::new(),
        credit: Credit::default(),
    });
    let good2 = input("g2", "Good two", 1);
    let results = store
        .save_articles(&[good, bad, good2])
        .await
        .expect("batch");
    assert!(results[0].is_ok() && results[2].is_ok());
    assert!(
        matches!(results[1], Err(StoreError::Invalid(_))),
        "{:?}",
        results[1]
    );
    assert_eq!(store.counts().await.expect("counts").articles, 2);
    assert!(
        store
            .article_by_external_id("b1")
            .await
            .expect("read")
            .is_none()
    );
    assert!(
        store
            .author_by_slug(&slug("only-in-bad"))
            .await
            .expect("read")
            .is_none()
    );
    assert!(
        store
            .tag_by_slug(&slug("only-bad-tag"))
            .await
            .expect("read")
            .is_none()
    );
    assert!(
        !store
            .sections()
            .await
            .expect("sections")
            .iter()
            .any(|s| s.slug.as_str() == "only-bad-section")
    );
}

pub async fn invalid_input_is_refused_with_its_field(store: &dyn Store) {
    type Mutation = Box<dyn Fn(&mut ArticleInput)>;
    let cases: Vec<(&str, Mutation)> = vec![
        ("headline", Box::new(|a| a.headline = "  ".into())),
        ("body", Box::new(|a| a.body_markdown = String::new())),
        ("author", Box::new(|a| a.authors = vec!["???".into()])),
        ("id", Box::new(|a| a.external_id = Some("x".repeat(201)))),
    ];
    for (field, mutate) in cases {
        let mut a = input("inv", "Fine headline", 1);
        mutate(&mut a);
        match store.save_article(&a).await {
            Err(StoreError::Invalid(e)) => assert_eq!(e.field, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    assert_eq!(store.counts().await.expect("counts").articles, 0);
}

pub async fn sections_nest_but_never_in_a_cycle(store: &dyn Store) {
    let section = |s: &str, parent: Option<&str>| NewSection {
        slug: slug(s),
        name: s.to_uppercase(),
        description: String::new(),
        parent: parent.map(slug),
        position: 1,
        in_menu: true,
    };
    store
        .upsert_section(&section("world", None))
        .await
        .expect("world");
    store
        .upsert_section(&section("asia", Some("world")))
        .await
        .expect("asia");
    store
        .upsert_section(&section("japan", Some("asia")))
        .await
        .expect("japan");
    let cycle = store.upsert_section(&section("world", Some("japan"))).await;
    assert!(
        matches!(cycle, Err(StoreError::Invalid(ref e)) if e.field == "parent"),
        "{cycle:?}"
    );
    let own = store.upsert_section(&section("asia", Some("asia"))).await;
    assert!(matches!(own, Err(StoreError::Invalid(_))), "{own:?}");
    let missing = store.upsert_section(&section("mars", Some("space"))).await;
    assert!(
        matches!(missing, Err(StoreError::Invalid(_))),
        "{missing:?}"
    );
    let all = store.sections().await.expect("sections");
    assert_eq!(all.len(), 3);
    let world = all
        .iter()
        .find(|s| s.slug.as_str() == "world")
        .expect("world");
    assert_eq!(world.parent_id, None);
}

pub async fn writes_log_the_cache_keys_they_touch(store: &dyn Store) {
    let head = store.change_head().await.expect("head");
    let saved = store
        .save_article(&input("c1", "Logged", 1))
        .await
        .expect("save");
    let changes = store.changes_since(head).await.expect("changes");
    assert!(changes.upto > head);
    let article = store
        .article_by_slug(&saved.slug)
        .await
        .expect("read")
        .expect("found");
    for key in [
        format!("article:{}", saved.id),
        format!("section:{}", article.section.id),
        "home".into(),
        format!("author:{}", article.authors[0].id),
        format!("tag:{}", article.tags[0].id),
    ] {
        assert!(changes.keys.contains(&key), "{key} in {:?}", changes.keys);
    }
    // Moving the story to another section touches both sections.
    let mut moved = input("c1", "Logged", 1);
    moved.section = slug("markets");
    moved.body_markdown = "moved".into();
    store.save_article(&moved).await.expect("save");
    let after = store.changes_since(changes.upto).await.expect("changes");
    assert!(
        after
            .keys
            .contains(&format!("section:{}", article.section.id)),
        "{:?}",
        after.keys
    );
    // Unchanged saves log nothing.
    store.save_article(&moved).await.expect("save");
    let none = store.changes_since(after.upto).await.expect("changes");
    assert!(none.keys.is_empty() && none.upto == after.upto);
}

pub async fn top_stories_rank_by_importance_then_date(store: &dyn Store) {
    let mut minor = input("m", "Minor but newest", 0);
    minor.importance = 1;
    let mut major = input("M", "Major", 5);
    major.importance = 9;
    let mut old_major = input("O", "Major but outside the window", 500);
    old_major.importance = 10;
    for a in [&minor, &major, &old_major] {
        store.save_article(a).await.expect("save");
    }
    let top = store.top_stories(Utc::now(), 2, 10).await.expect("top");
    assert_eq!(
        top.iter().map(|a| a.headline.as_str()).collect::<Vec<_>>(),
        ["Major", "Minor but newest"]
    );
}

pub async fn settings_round_trip(store: &dyn Store) {
    assert_eq!(store.setting("site.name").await.expect("get"), None);
    store
        .set_setting("site.name", "The Ledger")
        .await
        .expect("set");
    store
        .set_setting("site.name", "The Meridian Ledger")
        .await
        .expect("set");
    assert_eq!(
        store.setting("site.name").await.expect("get").as_deref(),
        Some("The Meridian Ledger")
    );
    assert_eq!(
        store
            .setting_or_init("secret.x", "first")
            .await
            .expect("init"),
        "first"
    );
    assert_eq!(
        store
            .setting_or_init("secret.x", "second")
            .await
            .expect("kept"),
        "first",
        "the first value stays"
    );
}

pub async fn publishing_without_a_time_means_now_and_keeps_it(store: &dyn Store) {
    let mut a = input("nt", "No time given", 0);
    a.published_at = None;
    let before = Utc::now().timestamp();
    let saved = store.save_article(&a).await.expect("save");
    let first = store
        .article_by_slug(&saved.slug)
        .await
        .expect("read")
        .expect("found");
    let when = first.published_at.expect("published now").timestamp();
    assert!(when >= before && when <= Utc::now().timestamp());
    assert_eq!(
        store.save_article(&a).await.expect("save").kind,
        SaveKind::Unchanged
    );
    a.body_markdown = "edited".into();
    store.save_article(&a).await.expect("save");
    let edited = store
        .article_by_slug(&saved.slug)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(
        edited.published_at.map(|t| t.timestamp()),
        Some(when),
        "first publication time kept"
    );
    let mut draft = input("nt-d", "Draft without time", 0);
    draft.published_at = None;
    draft.status = ArticleStatus::Draft;
    let saved = store.save_article(&draft).await.expect("save");
    assert_eq!(
        store
            .article_by_slug(&saved.slug)
            .await
            .expect("read")
            .expect("found")
            .published_at,
        None
    );
}

pub async fn articles_can_be_walked_by_id_for_rebuilds(store: &dyn Store) {
    let mut inputs: Vec<_> = (0..7)
        .map(|i| input(&format!("w-{i}"), &format!("Walk {i}"), i))
        .collect();
    inputs[3].status = ArticleStatus::Draft;
    inputs[5].tags = vec!["Alpha".into(), "Beta".into()];
    for r in store.save_articles(&inputs).await.expect("save") {
        r.expect("item");
    }
    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let batch = store.articles_after(after, 3).await.expect("walk");
        if batch.is_empty() {
            break;
        }
        after = batch.last().expect("last").id;
        seen.extend(batch);
    }
    assert_eq!(
        seen.iter().map(|a| a.headline.as_str()).collect::<Vec<_>>(),
        (0..7).map(|i| format!("Walk {i}")).collect::<Vec<_>>()
    );
    assert_eq!(
        seen[5]
            .tags
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>(),
        ["Alpha", "Beta"]
    );
    assert_eq!(seen[0].authors[0].name, "Ines Halvorsen");
    let by_id = store
        .article_by_id(seen[2].id)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(by_id, seen[2]);
    assert!(store.article_by_id(999_999).await.expect("read").is_none());
    let versions = store.article_versions().await.expect("versions");
    assert_eq!(versions.len(), 7);
    assert_eq!(versions[3].status, ArticleStatus::Draft);
    assert_eq!(versions[0].version, seen[0].version);
}

pub async fn market_bars_are_upserted_by_day_and_read_by_range(store: &dyn Store) {
    use broadsheet_core::{Bar, InstrumentKind, NewInstrument, Symbol};
    let sym = Symbol::parse("BRENT").expect("symbol");
    let new = NewInstrument {
        symbol: sym.clone(),
        name: "Brent crude".into(),
        kind: InstrumentKind::Commodity,
        unit: "USD/bbl".into(),
        decimals: 2,
        group: "Commodities".into(),
        position: 2,
        in_ticker: true,
    };
    let brent = store.upsert_instrument(&new).await.expect("instrument");
    let renamed = store
        .upsert_instrument(&NewInstrument {
            name: "Brent".into(),
            ..new.clone()
        })
        .await
        .expect("update");
    assert_eq!((renamed.id, renamed.name.as_str()), (brent.id, "Brent"));
    let gold = store
        .upsert_instrument(&NewInstrument {
            symbol: Symbol::parse("GOLD").expect("s"),
            position: 1,
            ..new.clone()
        })
        .await
        .expect("gold");
    let all: Vec<String> = store
        .instruments()
        .await
        .expect("list")
        .iter()
        .map(|i| i.symbol.to_string())
        .collect();
    assert_eq!(all, ["GOLD", "BRENT"]);
    assert_eq!(
        store
            .instrument_by_symbol(&sym)
            .await
            .expect("read")
            .map(|i| i.id),
        Some(brent.id)
    );

    let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2020, 4, d).expect("date");
    let bar = |d: u32, close: f64| Bar {
        date: day(d),
        open: None,
        high: Some(close + 1.0),
        low: Some(close - 1.0),
        close,
        volume: None,
    };
    let head = store.change_head().await.expect("head");
    let counts = store
        .save_bars(
            brent.id,
            &[bar(21, 19.33), bar(20, 9.12), bar(22, 20.37)],
            "test",
        )
        .await
        .expect("save");
    assert_eq!(
        (counts.inserted, counts.updated, counts.unchanged),
        (3, 0, 0)
    );
    assert!(
        store
            .changes_since(head)
            .await
            .expect("changes")
            .keys
            .contains(&"market".to_owned())
    );
    let again = store
        .save_bars(brent.id, &[bar(20, 9.12), bar(21, 19.0)], "test")
        .await
        .expect("save");
    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 1, 1));
    let closes: Vec<f64> = store
        .bars(brent.id, None, None)
        .await
        .expect("bars")
        .iter()
        .map(|b| b.close)
        .collect();
    assert_eq!(
        closes,
        [9.12, 19.0, 20.37],
        "oldest first, updated in place"
    );
    let range = store
        .bars(brent.id, Some(day(21)), Some(day(21)))
        .await
        .expect("bars");
    assert_eq!(range.len(), 1);
    assert_eq!(range[0].high, Some(20.0));
    assert!(
        store
            .bars(gold.id, None, None)
            .await
            .expect("bars")
            .is_empty()
    );
    let latest: Vec<f64> = store
        .latest_bars(brent.id, 2)
        .await
        .expect("latest")
        .iter()
        .map(|b| b.close)
        .collect();
    assert_eq!(latest, [19.0, 20.37], "the two most recent, oldest first");
    let (source, written) = store
        .latest_bar_origin(brent.id)
        .await
        .expect("origin")
        .expect("some");
    assert_eq!(source, "test");
    assert!((Utc::now().timestamp() - written).abs() < 3600);
    assert_eq!(
        store.latest_bar_origin(gold.id).await.expect("origin"),
        None
    );
}

pub async fn sitemaps_list_public_articles_in_files_of_a_given_size(store: &dyn Store) {
    let mut inputs: Vec<_> = (0..7)
        .map(|i| input(&format!("s-{i}"), &format!("Map {i}"), i + 1))
        .collect();
    inputs[2].status = ArticleStatus::Draft;
    let media = store
        .upsert_media(&NewMedia {
            path: "demo/map.svg".into(),
            mime: "image/svg+xml".into(),
            width: 1200,
            height: 675,
            bytes: 99,
            ..Default::default()
        })
        .await
        .expect("media");
    inputs[1].hero = Some(HeroInput {
        media_id: media.id,
        alt: "A map".into(),
        caption: String::new(),
        credit: Credit::default(),
    });
    // Scheduled for later: not public yet, so in no sitemap.
    inputs[4].published_at = Some(Utc::now() + Duration::hours(2));
    for r in store.save_articles(&inputs).await.expect("save") {
        r.expect("item");
    }
    let now = Utc::now();
    let all = store.sitemap_rows(now, 0, 100).await.expect("rows");
    assert_eq!(
        all.iter().map(|r| r.slug.as_str()).collect::<Vec<_>>(),
        ["map-0", "map-1", "map-3", "map-5", "map-6"]
    );
    assert_eq!(
        all.iter().map(|r| r.image.as_deref()).collect::<Vec<_>>(),
        [None, Some("demo/map.svg"), None, None, None]
    );
    let second = store.sitemap_rows(now, 2, 2).await.expect("rows");
    assert_eq!(
        second.iter().map(|r| r.slug.as_str()).collect::<Vec<_>>(),
        ["map-3", "map-5"]
    );
    // Five public stories in files of two: three files, each dated by its newest edit.
    let files = store.sitemap_files(now, 2).await.expect("files");
    assert_eq!(files.len(), 3);
    assert_eq!(files[0], all[0].updated_at.max(all[1].updated_at));
    assert_eq!(files[2], all[4].updated_at);
    assert!(
        store
            .sitemap_rows(now, 5, 2)
            .await
            .expect("rows")
            .is_empty()
    );
}

pub async fn article_queries_combine_every_filter(store: &dyn Store) {
    use broadsheet_store::ArticleQuery;
    let mut a = input("q-a", "Query alpha", 30);
    a.tags = vec!["Copper".into()];
    let mut b = input("q-b", "Query beta", 20);
    b.section = slug("markets");
    b.section_name = "Markets".into();
    b.tags = vec!["Copper".into()];
    let mut c = input("q-c", "Query gamma", 10);
    c.authors = vec!["Someone Else".into()];
    let mut future = input("q-f", "Query future", -5);
    future.tags = vec!["Copper".into()];
    for i in [&a, &b, &c, &future] {
        store.save_article(i).await.expect("save");
    }
    let now = Utc::now();
    let heads = |q: ArticleQuery| async move {
        store
            .query_public(&q, Utc::now(), None, 50)
            .await
            .expect("query")
            .items
            .into_iter()
            .map(|x| x.headline)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        heads(ArticleQuery::default()).await,
        ["Query gamma", "Query beta", "Query alpha"]
    );
    let copper = store
        .tag_by_slug(&slug("copper"))
        .await
        .expect("tag")
        .expect("copper");
    let economy = store
        .sections()
        .await
        .expect("sections")
        .into_iter()
        .find(|s| s.slug.as_str() == "economy")
        .expect("economy");
    let ines = store
        .author_by_slug(&slug("ines-halvorsen"))
        .await
        .expect("author")
        .expect("ines");
    assert_eq!(
        heads(ArticleQuery {
            tag: Some(copper.id),
            sections: Some(vec![economy.id]),
            ..Default::default()
        })
        .await,
        ["Query alpha"]
    );
    assert_eq!(
        heads(ArticleQuery {
            author: Some(ines.id),
            published_from: Some(now - Duration::hours(25)),
            ..Default::default()
        })
        .await,
        ["Query beta"]
    );
    assert_eq!(
        heads(ArticleQuery {
            published_until: Some(now - Duration::hours(15)),
            ..Default::default()
        })
        .await,
        ["Query beta", "Query alpha"]
    );
    assert!(
        heads(ArticleQuery {
            updated_since: Some(now + Duration::hours(1)),
            ..Default::default()
        })
        .await
        .is_empty()
    );
    assert!(
        heads(ArticleQuery {
            sections: Some(vec![]),
            ..Default::default()
        })
        .await
        .is_empty()
    );
    // Pages of one follow the same order with a cursor.
    let first = store
        .query_public(&ArticleQuery::default(), now, None, 1)
        .await
        .expect("page");
    let second = store
        .query_public(&ArticleQuery::default(), now, first.next, 1)
        .await
        .expect("page");
    assert_eq!(second.items[0].headline, "Query beta");
}

pub async fn public_authors_and_tags_leave_out_drafts(store: &dyn Store) {
    let mut draft = input("pa-d", "Secret", 1);
    draft.status = ArticleStatus::Draft;
    draft.published_at = None;
    draft.authors = vec!["Hidden Writer".into()];
    draft.tags = vec!["Embargoed Topic".into()];
    store.save_article(&draft).await.expect("draft");
    store
        .save_article(&input("pa-p", "Public", 1))
        .await
        .expect("public");
    let now = Utc::now();
    let authors: Vec<_> = store
        .public_authors(now)
        .await
        .expect("authors")
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(authors, ["Ines Halvorsen"]);
    let tags: Vec<_> = store
        .public_tags(now)
        .await
        .expect("tags")
        .into_iter()
        .map(|(t, n)| (t.name, n))
        .collect();
    assert_eq!(tags, [("Rates".to_owned(), 1)]);
}

pub async fn webhook_deliveries_are_written_with_the_change_and_leased_to_one_sender(
    store: &dyn Store,
) {
    use broadsheet_store::{HookOutcome, HookStatus, NewWebhook};
    let hook = |url: &str, events: &[&str]| NewWebhook {
        url: url.into(),
        events: events.iter().map(|e| (*e).to_owned()).collect(),
        secret: "s".repeat(40),
        description: "partner".into(),
    };
    for bad in [
        hook("ftp://example.com/", &["article.published"]),
        hook("https://", &["article.published"]),
        hook("https://example.com/a b", &["article.published"]),
        hook("https://example.com/", &[]),
        hook("https://example.com/", &["article.deleted"]),
        NewWebhook {
            secret: "short".into(),
            ..hook("https://example.com/", &["article.published"])
        },
    ] {
        assert!(
            matches!(
                store.create_webhook(&bad).await,
                Err(StoreError::Invalid(_))
            ),
            "{bad:?}"
        );
    }
    let up = store
        .create_webhook(&hook(
            "https://partner.example/hooks",
            &[
                "article.published",
                "article.unpublished",
                "subscriber.created",
            ],
        ))
        .await
        .expect("hook");
    let all = store
        .create_webhook(&hook(
            "http://127.0.0.1:9/all",
            &["article.published", "article.updated"],
        ))
        .await
        .expect("hook");
    assert_eq!(store.webhooks().await.expect("list").len(), 2);

    // A draft is no event; publishing is one per subscription; an edit only for "updated".
    let mut a = input("wh-1", "Hooked story", 1);
    a.status = ArticleStatus::Draft;
    a.published_at = None;
    store.save_article(&a).await.expect("draft");
    assert!(store.webhook_deliveries(50).await.expect("log").is_empty());
    a.status = ArticleStatus::Published;
    store.save_article(&a).await.expect("publish");
    a.headline = "Hooked story, edited".into();
    store.save_article(&a).await.expect("edit");
    a.status = ArticleStatus::Unpublished;
    store.save_article(&a).await.expect("unpublish");
    let log = store.webhook_deliveries(50).await.expect("log");
    let seen: Vec<_> = log
        .iter()
        .rev()
        .map(|d| (d.webhook_id, d.event.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            (up.id, "article.published"),
            (all.id, "article.published"),
            (all.id, "article.updated"),
            (up.id, "article.unpublished"),
        ]
    );
    let body: serde_json::Value = serde_json::from_str(&log[0].payload).expect("json");
    assert_eq!(body["event"], "article.unpublished");
    assert_eq!(body["data"]["article"]["headline"], "Hooked story, edited");
    assert!(
        log.iter()
            .all(|d| d.status == HookStatus::Pending && d.attempts == 0)
    );

    // A confirmed subscriber is an event; signing up alone is not.
    let email = broadsheet_core::Email::parse("reader@example.com").expect("email");
    let signed = store
        .sign_up(&email, &[], Utc::now(), 60)
        .await
        .expect("sign up");
    assert_eq!(store.webhook_deliveries(50).await.expect("log").len(), 4);
    store
        .confirm_subscriber(signed.subscriber.id, Utc::now())
        .await
        .expect("confirm");
    store
        .confirm_subscriber(signed.subscriber.id, Utc::now())
        .await
        .expect("confirm again");
    let log = store.webhook_deliveries(50).await.expect("log");
    assert_eq!(
        log.len(),
        5,
        "one event, however often the link is followed"
    );
    assert_eq!(log[0].event, "subscriber.created");

    // Claims lease rows: a second sender gets none of them until the lease runs out.
    let now = Utc::now();
    let first = store
        .claim_webhook_deliveries(now, 60, 3)
        .await
        .expect("claim");
    assert_eq!(first.len(), 3);
    assert!(
        first
            .iter()
            .all(|d| d.attempts == 1 && !d.secret.is_empty())
    );
    let second = store
        .claim_webhook_deliveries(now, 60, 10)
        .await
        .expect("claim");
    assert_eq!(second.len(), 2, "only the unclaimed ones");
    assert!(
        store
            .claim_webhook_deliveries(now, 60, 10)
            .await
            .expect("claim")
            .is_empty()
    );
    let later = store
        .claim_webhook_deliveries(now + Duration::seconds(61), 60, 10)
        .await
        .expect("claim");
    assert_eq!(later.len(), 5, "a lapsed lease is claimed again");
    assert!(later.iter().all(|d| d.attempts == 2));

    store
        .finish_webhook_delivery(first[0].id, &HookOutcome::Delivered { status: 204 }, now)
        .await
        .expect("delivered");
    store
        .finish_webhook_delivery(
            first[1].id,
            &HookOutcome::Retry {
                status: Some(500),
                error: "HTTP 500".into(),
                at: now + Duration::seconds(30),
            },
            now,
        )
        .await
        .expect("retry");
    store
        .finish_webhook_delivery(
            first[2].id,
            &HookOutcome::Failed {
                status: None,
                error: "timed out".into(),
            },
            now,
        )
        .await
        .expect("failed");
    let log = store.webhook_deliveries(50).await.expect("log");
    let by_id = |id| log.iter().find(|d| d.id == id).expect("row").clone();
    assert_eq!(by_id(first[0].id).status, HookStatus::Delivered);
    assert!(by_id(first[0].id).finished_at.is_some());
    assert_eq!(by_id(first[1].id).status, HookStatus::Pending);
    assert_eq!(by_id(first[1].id).last_status, Some(500));
    assert_eq!(by_id(first[2].id).status, HookStatus::Failed);
    assert_eq!(by_id(first[2].id).last_error.as_deref(), Some("timed out"));
    let due = store
        .claim_webhook_deliveries(now + Duration::seconds(31), 60, 10)
        .await
        .expect("claim");
    assert!(
        due.iter().any(|d| d.id == first[1].id),
        "the retry comes due"
    );
    assert!(
        due.iter()
            .all(|d| d.id != first[0].id && d.id != first[2].id)
    );

    assert!(store.delete_webhook(up.id).await.expect("delete"));
    assert!(!store.delete_webhook(up.id).await.expect("again"));
    assert!(
        store
            .webhook_deliveries(50)
            .await
            .expect("log")
            .iter()
            .all(|d| d.webhook_id == all.id)
    );
}

pub async fn wire_items_keep_their_versions_and_a_kill_flags_the_articles_made_from_them(
    store: &dyn Store,
) {
    use broadsheet_core::{WireItem, WireSignal};
    use broadsheet_store::{NewWireSource, WireFilter, WireKind, WireSaveKind};
    let bad = NewWireSource {
        name: "Bad Name".into(),
        kind: WireKind::File,
        url: String::new(),
        token_hash: None,
        allow_private: false,
        poll_secs: 300,
        section: String::new(),
        auto_publish: false,
    };
    assert!(matches!(
        store.upsert_wire_source(&bad).await,
        Err(StoreError::Invalid(_))
    ));
    let feed_without_url = NewWireSource {
        name: "feed".into(),
        kind: WireKind::Feed,
        ..bad.clone()
    };
    assert!(store.upsert_wire_source(&feed_without_url).await.is_err());
    let src = store
        .upsert_wire_source(&NewWireSource {
            name: "agency-x".into(),
            ..bad.clone()
        })
        .await
        .expect("source");
    let item = |guid: &str, version: i64, headline: &str| WireItem {
        format: "ninjs".into(),
        agency: "Agency X".into(),
        guid: guid.into(),
        version,
        urgency: Some(3),
        headline: headline.into(),
        body_html: "<p>Copper rose.</p>".into(),
        subjects: vec!["economy".into()],
        ..WireItem::default()
    };
    let now = Utc::now();
    let saved = store
        .save_wire_items(
            src.id,
            &[
                item("a", 1, "Copper rises"),
                item("b", 1, "Gold falls"),
                item("", 1, "no id"),
                item("a", 1, "Copper rises"),
            ],
            now,
        )
        .await
        .expect("save");
    let kinds: Vec<_> = saved
        .iter()
        .map(|r| r.as_ref().map(|s| s.kind).map_err(|_| ()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            Ok(WireSaveKind::New),
            Ok(WireSaveKind::New),
            Err(()),
            Ok(WireSaveKind::Unchanged)
        ],
        "a bad item fails alone; a repeat changes nothing"
    );
    let first_a = saved[0].as_ref().expect("a").id;
    // A new version replaces the old one on the desk; a late older one stays in the chain.
    let v3 = store
        .save_wire_items(src.id, &[item("a", 3, "Copper rises further")], now)
        .await
        .expect("v3");
    assert_eq!(v3[0].as_ref().expect("v3").kind, WireSaveKind::NewVersion);
    let v2 = store
        .save_wire_items(src.id, &[item("a", 2, "Copper rises more")], now)
        .await
        .expect("v2");
    assert_eq!(v2[0].as_ref().expect("v2").kind, WireSaveKind::Older);
    let desk = store
        .wire_items(&WireFilter {
            limit: 50,
            ..WireFilter::default()
        })
        .await
        .expect("desk");
    let heads: Vec<&str> = desk.iter().map(|r| r.item.headline.as_str()).collect();
    assert_eq!(heads, vec!["Copper rises further", "Gold falls"]);
    let versions = store.wire_versions(first_a).await.expect("versions");
    assert_eq!(
        versions.iter().map(|v| v.item.version).collect::<Vec<_>>(),
        vec![3, 2, 1]
    );
    // Filters: text, urgency, subject, source.
    let f = |text: &str| WireFilter {
        text: Some(text.into()),
        limit: 10,
        ..WireFilter::default()
    };
    assert_eq!(store.wire_items(&f("gold")).await.expect("q").len(), 1);
    assert_eq!(store.wire_items(&f("100%_")).await.expect("q").len(), 0);
    let urgent = WireFilter {
        urgency: Some(2),
        limit: 10,
        ..WireFilter::default()
    };
    assert!(store.wire_items(&urgent).await.expect("u").is_empty());
    let subject = WireFilter {
        subject: Some("economy".into()),
        source: Some(src.id),
        limit: 10,
        ..WireFilter::default()
    };
    assert_eq!(store.wire_items(&subject).await.expect("s").len(), 2);

    // An article made from the story is flagged when the agency kills it.
    let article = store
        .save_article(&input("wire-a", "Copper rises further", 1))
        .await
        .expect("article");
    let latest_a = v3[0].as_ref().expect("v3").id;
    store
        .record_wire_use(latest_a, article.id, now)
        .await
        .expect("use");
    assert_eq!(
        store.wire_uses(first_a).await.expect("uses"),
        vec![article.id]
    );
    assert!(store.wire_flags().await.expect("flags").is_empty());
    let kill = WireItem {
        signal: WireSignal::Kill,
        headline: String::new(),
        body_html: String::new(),
        ..item("a", 4, "")
    };
    let killed = store
        .save_wire_items(src.id, &[kill], now)
        .await
        .expect("kill");
    assert_eq!(killed[0].as_ref().expect("kill").flagged, vec![article.id]);
    let flags = store.wire_flags().await.expect("flags");
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].article_id, article.id);
    assert!(
        store
            .wire_item(first_a)
            .await
            .expect("item")
            .expect("some")
            .killed,
        "every version is marked"
    );
    // A kill for an unknown story is kept (and shown), flagging nothing.
    let stray = store
        .save_wire_items(
            src.id,
            &[WireItem {
                signal: WireSignal::Kill,
                ..item("never-seen", 1, "")
            }],
            now,
        )
        .await
        .expect("stray");
    assert!(stray[0].as_ref().expect("stray").flagged.is_empty());
    assert!(store.clear_wire_flag(article.id, now).await.expect("clear"));
    assert!(store.wire_flags().await.expect("flags").is_empty());

    // Polls: a due feed is leased to one poller, and a failure can pause it.
    let feed = store
        .upsert_wire_source(&NewWireSource {
            name: "feed".into(),
            kind: WireKind::Feed,
            url: "https://example.com/feed.xml".into(),
            ..bad.clone()
        })
        .await
        .expect("feed");
    let claimed = store.claim_wire_polls(now, 60).await.expect("claim");
    assert_eq!(
        claimed.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![feed.id]
    );
    assert!(
        store
            .claim_wire_polls(now, 60)
            .await
            .expect("again")
            .is_empty()
    );
    store
        .finish_wire_poll(
            feed.id,
            &broadsheet_store::PollOutcome::Failed {
                error: "garbage".into(),
                next: now,
                pause: true,
            },
            now,
        )
        .await
        .expect("finish");
    assert!(
        store
            .claim_wire_polls(now, 60)
            .await
            .expect("paused")
            .is_empty()
    );
    let paused = store.wire_source("feed").await.expect("get").expect("some");
    assert!(paused.paused);
    assert_eq!(paused.last_error.as_deref(), Some("garbage"));
    assert!(
        store
            .set_wire_source_paused(feed.id, false)
            .await
            .expect("resume")
    );
    assert_eq!(
        store
            .claim_wire_polls(now, 60)
            .await
            .expect("resumed")
            .len(),
        1
    );
    store
        .log_wire_problem(feed.id, "item 3", "no headline", now)
        .await
        .expect("log");
    let problems = store.wire_problems(10).await.expect("problems");
    assert_eq!(problems[0].source, "feed");
    assert_eq!(problems[0].reason, "no headline");
}

pub async fn a_job_lease_has_one_holder_until_it_runs_out(store: &dyn Store) {
    let now = Utc::now();
    assert!(
        store
            .try_lease("market", "node-a", now, 60)
            .await
            .expect("a takes")
    );
    assert!(
        !store
            .try_lease("market", "node-b", now, 60)
            .await
            .expect("b asks"),
        "b waits while a holds it"
    );
    assert!(
        store
            .try_lease("market", "node-a", now + Duration::seconds(30), 60)
            .await
            .expect("a renews"),
        "the holder renews"
    );
    assert!(
        !store
            .try_lease("market", "node-b", now + Duration::seconds(70), 60)
            .await
            .expect("b asks"),
        "the renewal counts from when it was made"
    );
    assert!(
        store
            .try_lease("market", "node-b", now + Duration::seconds(91), 60)
            .await
            .expect("b takes over"),
        "a lease that ran out goes to the next node"
    );
    assert!(
        store
            .try_lease("digest", "node-a", now, 60)
            .await
            .expect("other job")
    );
    store
        .release_lease("digest", "node-b")
        .await
        .expect("not b's");
    assert!(
        !store
            .try_lease("digest", "node-b", now, 60)
            .await
            .expect("still a's")
    );
    store
        .release_lease("digest", "node-a")
        .await
        .expect("released");
    assert!(
        store
            .try_lease("digest", "node-b", now, 60)
            .await
            .expect("free")
    );
}

/// `readers` confirmed subscribers and a digest issue for them, keyed `key` (created, or
/// the one already there).
pub async fn subscribers_and_issue(
    store: &dyn Store,
    readers: usize,
    key: &str,
) -> (broadsheet_store::Issue, bool) {
    let now = Utc::now();
    for i in 0..readers {
        let email =
            broadsheet_core::Email::parse(&format!("reader{i}@example.com")).expect("email");
        let signed = store.sign_up(&email, &[], now, 0).await.expect("sign up");
        store
            .confirm_subscriber(signed.subscriber.id, now)
            .await
            .expect("confirm");
    }
    store
        .create_issue(&broadsheet_store::NewIssue {
            key: key.into(),
            kind: broadsheet_store::IssueKind::Digest,
            subject: "Today".into(),
            intro: String::new(),
            content: "{}".into(),
        })
        .await
        .expect("issue")
}

pub async fn a_delivery_lease_is_renewed_by_its_holder_only(store: &dyn Store) {
    let now = Utc::now();
    let (issue, _) = subscribers_and_issue(store, 5, "digest:lease").await;
    let held = |claimed: &[broadsheet_store::Delivery]| -> Vec<(i64, i64)> {
        claimed
            .iter()
            .map(|d| (d.subscriber.id, d.attempts))
            .collect()
    };
    let ids = |claimed: &[(i64, i64)]| -> Vec<i64> { claimed.iter().map(|h| h.0).collect() };

    let a = held(
        &store
            .claim_deliveries(issue.id, 3, now, 60)
            .await
            .expect("a claims"),
    );
    assert_eq!(a.len(), 3);
    assert!(a.iter().all(|h| h.1 == 1));
    assert!(
        store
            .renew_deliveries(issue.id, &[], now, 60)
            .await
            .expect("nothing")
            .is_empty()
    );
    // Renewed half-way, the rows outlast their first lease.
    let renewed = store
        .renew_deliveries(issue.id, &a, now + Duration::seconds(30), 60)
        .await
        .expect("a renews");
    assert_eq!(renewed, ids(&a));
    let b = held(
        &store
            .claim_deliveries(issue.id, 10, now + Duration::seconds(70), 60)
            .await
            .expect("b claims"),
    );
    assert_eq!(b.len(), 2, "only the two rows nobody held: {b:?}");
    assert!(b.iter().all(|h| !ids(&a).contains(&h.0)));
    // A renewal with the wrong token (another claim's attempt count) renews nothing.
    let forged: Vec<(i64, i64)> = b.iter().map(|&(id, n)| (id, n + 1)).collect();
    assert!(
        store
            .renew_deliveries(issue.id, &forged, now + Duration::seconds(71), 60)
            .await
            .expect("forged")
            .is_empty()
    );
    // A row sent is no longer held.
    store
        .mark_sent(issue.id, &[a[0].0], now + Duration::seconds(80))
        .await
        .expect("sent");
    let renewed = store
        .renew_deliveries(issue.id, &a, now + Duration::seconds(85), 60)
        .await
        .expect("a renews again");
    assert_eq!(renewed, ids(&a[1..]));
    // Once a's lease runs out, another sender takes its rows, and a can no longer renew them.
    let c = held(
        &store
            .claim_deliveries(issue.id, 10, now + Duration::seconds(200), 60)
            .await
            .expect("c takes over"),
    );
    assert_eq!(c.len(), 4, "a's two unsent rows and b's two: {c:?}");
    assert!(c.iter().all(|h| h.1 == 2), "{c:?}");
    assert!(
        store
            .renew_deliveries(issue.id, &a, now + Duration::seconds(201), 60)
            .await
            .expect("a is too late")
            .is_empty()
    );
    assert_eq!(
        store
            .renew_deliveries(issue.id, &c, now + Duration::seconds(201), 60)
            .await
            .expect("c renews")
            .len(),
        4
    );
    // a, stale, reports a failure on a row c now holds: c's claim stands, no bounce counted.
    let (row, _) = a[1];
    store
        .mark_retry(issue.id, row, 1, now + Duration::seconds(300), 6, "stale")
        .await
        .expect("stale retry");
    store
        .mark_bounced(issue.id, row, 1, "stale")
        .await
        .expect("stale bounce");
    assert_eq!(
        store
            .renew_deliveries(issue.id, &[(row, 2)], now + Duration::seconds(202), 60)
            .await
            .expect("still c's"),
        vec![row],
        "the row is still c's, sending"
    );
    let subscriber = store.subscriber(row).await.expect("read").expect("there");
    assert_eq!(subscriber.bounces, 0);
    // c's own outcome is recorded.
    store
        .mark_bounced(issue.id, row, 2, "550 no such user")
        .await
        .expect("bounce");
    let subscriber = store.subscriber(row).await.expect("read").expect("there");
    assert_eq!(subscriber.bounces, 1);
    assert_eq!(
        store.send_counts(issue.id).await.expect("counts").bounced,
        1
    );
}

pub async fn calendar_releases_are_matched_versioned_and_linked(store: &dyn Store) {
    use broadsheet_core::calendar::{
        EventValues, Importance, NewEvent, NewIndicator, Scale, Scheduled, Timing,
    };
    use broadsheet_store::{EventEdit, EventFilter, EventSave};
    let cpi = store
        .upsert_indicator(&NewIndicator {
            slug: Slug::parse("valdoria-cpi").expect("store"),
            country: "Valdoria".into(),
            title: "CPI y/y".into(),
            category: "Inflation".into(),
            importance: Importance::High,
            unit: "%".into(),
            scale: Scale::Units,
            decimals: 1,
            instrument: None,
        })
        .await
        .expect("store");
    let at = Utc::now()
        .date_naive()
        .and_hms_opt(8, 30, 0)
        .expect("store")
        .and_utc();
    let release = |values: EventValues, external: Option<&str>| NewEvent {
        indicator_id: cpi.id,
        external_id: external.map(str::to_owned),
        period: "Nov".into(),
        scheduled: Scheduled::exact(at),
        values,
    };
    let schedule = EventValues {
        consensus: Some(3.0),
        previous: Some(3.1),
        ..Default::default()
    };
    let since = store.changes_since(0).await.expect("store").upto;
    let first = store
        .save_events(&[release(schedule, None)], "import")
        .await
        .expect("store");
    let EventSave::Inserted(id) = first[0] else {
        panic!("{first:?}")
    };
    assert!(
        store
            .changes_since(since)
            .await
            .expect("store")
            .keys
            .contains(&"calendar".to_owned()),
        "pages showing the calendar are told"
    );
    // The same release again changes nothing; a missing figure never blanks a known one; a
    // figure fills in.
    assert_eq!(
        store
            .save_events(&[release(schedule, None)], "import")
            .await
            .expect("store"),
        [EventSave::Unchanged(id)]
    );
    let actual = EventValues {
        actual: Some(3.4),
        ..Default::default()
    };
    assert_eq!(
        store
            .save_events(&[release(actual, None)], "push")
            .await
            .expect("store"),
        [EventSave::Updated(id)]
    );
    let e = store.event(id).await.expect("store").expect("store");
    assert_eq!(e.values.consensus, Some(3.0));
    assert_eq!(e.values.actual, Some(3.4));
    // An id, once known, matches the release even when its day moves.
    assert_eq!(
        store
            .save_events(&[release(schedule, Some("vendor-1"))], "push")
            .await
            .expect("store"),
        [EventSave::Updated(id)]
    );
    let mut moved = release(schedule, Some("vendor-1"));
    moved.scheduled = Scheduled::day(at.date_naive() + Duration::days(1), Timing::Tentative);
    assert_eq!(
        store.save_events(&[moved], "push").await.expect("store"),
        [EventSave::Updated(id)]
    );
    let e = store
        .event_by_external_id("vendor-1")
        .await
        .expect("store")
        .expect("store");
    assert_eq!(e.scheduled.timing, Timing::Tentative);
    // The newsroom's edit replaces every figure, and each version is kept, newest first.
    let edited = store
        .edit_event(
            id,
            &EventEdit {
                period: "Nov".into(),
                scheduled: Scheduled::exact(at),
                values: EventValues {
                    actual: Some(3.5),
                    ..Default::default()
                },
            },
            "admin:ed@example.com",
        )
        .await
        .expect("store")
        .expect("store");
    assert_eq!(edited.values.consensus, None);
    let versions = store.event_revisions(id).await.expect("store");
    assert_eq!(versions.len(), 5, "{versions:?}");
    assert_eq!(versions[0].source, "admin:ed@example.com");
    assert_eq!(versions[0].values.actual, Some(3.5));
    assert_eq!(versions[4].source, "import");
    // A second release on the same day of the same indicator is a conflict, not a duplicate.
    let other = store
        .save_events(
            &[NewEvent {
                scheduled: Scheduled::exact(at + Duration::days(30)),
                ..release(schedule, None)
            }],
            "import",
        )
        .await
        .expect("store");
    let clash = store
        .edit_event(
            other[0].id(),
            &EventEdit {
                period: "Dec".into(),
                scheduled: Scheduled::exact(at + Duration::hours(2)),
                values: EventValues::default(),
            },
            "admin:ed@example.com",
        )
        .await;
    assert!(matches!(clash, Err(StoreError::Conflict(_))), "{clash:?}");
    // Reads by time and by indicator.
    let all = store
        .events(&EventFilter {
            indicator_id: Some(cpi.id),
            limit: 10,
            ..Default::default()
        })
        .await
        .expect("store");
    assert_eq!(
        all.iter().map(|e| e.id).collect::<Vec<_>>(),
        [id, other[0].id()]
    );
    let later = store
        .events(&EventFilter {
            from: Some(at + Duration::days(1)),
            limit: 10,
            ..Default::default()
        })
        .await
        .expect("store");
    assert_eq!(later.len(), 1);
    // Stories linked to a release; a story that does not exist is not linked.
    let story = store
        .save_article(&input("cal-1", "Inflation jumps", 1))
        .await
        .expect("store");
    store
        .set_event_articles(id, &[story.id, story.id, 999_999])
        .await
        .expect("store");
    assert_eq!(
        store.event_articles(&[id]).await.expect("store"),
        [(id, story.id)]
    );
    store.set_event_articles(id, &[]).await.expect("store");
    assert!(store.event_articles(&[id]).await.expect("store").is_empty());
    // Bad figures are refused before anything is written.
    let bad = store
        .save_events(
            &[release(
                EventValues {
                    actual: Some(f64::NAN),
                    ..Default::default()
                },
                None,
            )],
            "push",
        )
        .await;
    assert!(matches!(bad, Err(StoreError::Invalid(_))), "{bad:?}");
}
