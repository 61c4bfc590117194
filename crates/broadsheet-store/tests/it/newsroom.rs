//! The newsroom half of the conformance suite: accounts, sessions, one-time links, edit
//! conflicts, embargoes, scheduling, revisions, notes, redirects and the audit log. Part of
//! `store_suite!`, so every backend runs it.

use broadsheet_core::{ArticleStatus, Email, NoteKind, Role, Slug};
use broadsheet_store::{AdminFilter, NewUser, Store, StoreError, TokenKind};
use chrono::{Duration, Utc};

use crate::conformance::input;

fn email(s: &str) -> Email {
    Email::parse(s).expect("email")
}

async fn user(store: &dyn Store, address: &str, role: Role) -> broadsheet_core::User {
    store
        .create_user(&NewUser {
            email: email(address),
            name: format!("User {address}"),
            role,
            password_hash: "$argon2id$stub".into(),
        })
        .await
        .expect("create user")
}

pub async fn accounts_are_unique_by_address_and_get_a_byline(store: &dyn Store) {
    let u = user(store, "Ana@Example.com", Role::Editor).await;
    assert_eq!(u.email.as_str(), "ana@example.com");
    assert!(u.author_id.is_some());
    let again = store
        .create_user(&NewUser {
            email: email("ana@example.com"),
            name: "Another Ana".into(),
            role: Role::Admin,
            password_hash: "x".into(),
        })
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    assert_eq!(store.user_count().await.expect("count"), 1);
    let (found, hash) = store
        .user_by_email(&email("ANA@example.com"))
        .await
        .expect("lookup")
        .expect("found");
    assert_eq!(found.id, u.id);
    assert_eq!(hash, "$argon2id$stub");
}

pub async fn the_last_admin_cannot_be_demoted_or_disabled(store: &dyn Store) {
    let admin = user(store, "admin@example.com", Role::Admin).await;
    let err = store.update_user(admin.id, Role::Editor, false).await;
    assert!(matches!(err, Err(StoreError::Conflict(_))), "{err:?}");
    let err = store.update_user(admin.id, Role::Admin, true).await;
    assert!(matches!(err, Err(StoreError::Conflict(_))), "{err:?}");
    let other = user(store, "second@example.com", Role::Admin).await;
    store
        .update_user(admin.id, Role::Editor, false)
        .await
        .expect("now allowed");
    assert_eq!(
        store
            .user_by_id(admin.id)
            .await
            .expect("read")
            .map(|u| u.role),
        Some(Role::Editor)
    );
    let _ = other;
}

pub async fn sessions_expire_and_end_with_password_changes_and_disabling(store: &dyn Store) {
    let _admin = user(store, "admin@example.com", Role::Admin).await;
    let u = user(store, "writer@example.com", Role::Contributor).await;
    let now = Utc::now();
    store
        .create_session("h1", u.id, "csrf1", now + Duration::hours(1))
        .await
        .expect("session");
    let s = store.session("h1", now).await.expect("read").expect("live");
    assert_eq!((s.user.id, s.csrf.as_str()), (u.id, "csrf1"));
    assert!(
        store
            .session("h1", now + Duration::hours(2))
            .await
            .expect("read")
            .is_none(),
        "expired"
    );
    assert!(store.session("nope", now).await.expect("read").is_none());

    store.set_password(u.id, "new").await.expect("password");
    assert!(store.session("h1", now).await.expect("read").is_none());

    store
        .create_session("h2", u.id, "c", now + Duration::hours(1))
        .await
        .expect("session");
    store
        .update_user(u.id, Role::Contributor, true)
        .await
        .expect("disable");
    assert!(store.session("h2", now).await.expect("read").is_none());

    store
        .update_user(u.id, Role::Contributor, false)
        .await
        .expect("enable");
    store
        .create_session("h3", u.id, "c", now + Duration::hours(1))
        .await
        .expect("session");
    store.delete_session("h3").await.expect("sign out");
    assert!(store.session("h3", now).await.expect("read").is_none());
}

pub async fn one_time_tokens_work_once_and_expire(store: &dyn Store) {
    let u = user(store, "a@example.com", Role::Admin).await;
    let now = Utc::now();
    store
        .create_token(TokenKind::Reset, "t1", Some(u.id), now + Duration::hours(1))
        .await
        .expect("token");
    store
        .create_token(
            TokenKind::Reset,
            "t2",
            Some(u.id),
            now - Duration::seconds(1),
        )
        .await
        .expect("token");
    assert_eq!(
        store
            .take_token(TokenKind::Setup, "t1", now)
            .await
            .expect("take"),
        None,
        "wrong kind"
    );
    assert_eq!(
        store
            .take_token(TokenKind::Reset, "t1", now)
            .await
            .expect("take"),
        Some(Some(u.id))
    );
    assert_eq!(
        store
            .take_token(TokenKind::Reset, "t1", now)
            .await
            .expect("take"),
        None,
        "reused"
    );
    assert_eq!(
        store
            .take_token(TokenKind::Reset, "t2", now)
            .await
            .expect("take"),
        None,
        "expired"
    );
}

pub async fn a_save_from_a_stale_version_is_refused_and_changes_nothing(store: &dyn Store) {
    let mut a = input("n-1", "Original headline", 1);
    a.external_id = None;
    let saved = store.save_article(&a).await.expect("save");
    let mut first = a.clone();
    first.editorial.id = Some(saved.id);
    first.editorial.base_version = Some(1);
    first.headline = "First editor".into();
    store.save_article(&first).await.expect("first save");
    let mut second = first.clone();
    second.headline = "Second editor".into();
    let err = store.save_article(&second).await;
    assert!(matches!(err, Err(StoreError::Conflict(_))), "{err:?}");
    let got = store
        .article_by_id(saved.id)
        .await
        .expect("read")
        .expect("found");
    assert_eq!((got.headline.as_str(), got.version), ("First editor", 2));

    let mut missing = first.clone();
    missing.editorial.id = Some(999_999);
    let err = store.save_article(&missing).await;
    assert!(matches!(err, Err(StoreError::NotFound { .. })), "{err:?}");
}

pub async fn an_embargo_keeps_a_published_story_private_until_its_time(store: &dyn Store) {
    let now = Utc::now();
    let mut a = input("n-2", "Embargoed figures", 1);
    a.editorial.embargo_until = Some(now + Duration::hours(2));
    let saved = store.save_article(&a).await.expect("save");
    assert!(
        store
            .public_article_by_slug(&saved.slug, now)
            .await
            .expect("read")
            .is_none()
    );
    let got = store
        .public_article_by_slug(&saved.slug, now + Duration::hours(3))
        .await
        .expect("read")
        .expect("public after the embargo");
    assert_eq!(
        got.embargo_until.map(|t| t.timestamp()),
        Some((now + Duration::hours(2)).timestamp())
    );
}

pub async fn scheduled_stories_are_published_once_when_due(store: &dyn Store) {
    let now = Utc::now();
    let mut a = input("n-3", "Scheduled story", 0);
    a.status = ArticleStatus::Scheduled;
    a.published_at = Some(now + Duration::minutes(30));
    let saved = store.save_article(&a).await.expect("save");
    assert!(store.publish_due(now).await.expect("due").is_empty());
    let later = now + Duration::minutes(31);
    assert!(
        store
            .public_article_by_slug(&saved.slug, later)
            .await
            .expect("read")
            .is_none(),
        "scheduled is not published"
    );
    let head = store.change_head().await.expect("head");
    assert_eq!(store.publish_due(later).await.expect("due"), vec![saved.id]);
    assert!(
        store.publish_due(later).await.expect("due").is_empty(),
        "once"
    );
    let changes = store.changes_since(head).await.expect("changes");
    assert!(changes.keys.contains(&format!("article:{}", saved.id)));
    let got = store
        .public_article_by_slug(&saved.slug, later)
        .await
        .expect("read")
        .expect("public");
    assert_eq!(got.status, ArticleStatus::Published);
    let log = store.audit_log(10, None).await.expect("audit");
    assert!(
        log.iter()
            .any(|e| e.action == "published" && e.article_id == Some(saved.id)),
        "{log:?}"
    );

    let mut no_time = input("n-4", "No time", 0);
    no_time.status = ArticleStatus::Scheduled;
    no_time.published_at = None;
    assert!(matches!(
        store.save_article(&no_time).await,
        Err(StoreError::Invalid(_))
    ));
}

pub async fn every_save_keeps_a_revision_and_notes_are_shown(store: &dyn Store) {
    let u = user(store, "ed@example.com", Role::Editor).await;
    let mut a = input("n-5", "Rates held", 1);
    a.editorial.actor = Some(u.id);
    let saved = store.save_article(&a).await.expect("save");
    let mut b = a.clone();
    b.body_markdown = "A corrected body".into();
    b.editorial.note = Some((
        NoteKind::Correction,
        "An earlier version misstated the rate.".into(),
    ));
    store.save_article(&b).await.expect("save");
    let revisions = store.revisions(saved.id).await.expect("revisions");
    assert_eq!(
        revisions.iter().map(|r| r.version).collect::<Vec<_>>(),
        vec![2, 1]
    );
    assert_eq!(revisions[0].snapshot.body_markdown, "A corrected body");
    assert_eq!(revisions[1].snapshot.body_markdown, a.body_markdown);
    assert_eq!(
        revisions[1].user_name.as_deref(),
        Some("User ed@example.com")
    );
    let one = store
        .revision(saved.id, 1)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(one.snapshot.headline, "Rates held");
    let got = store
        .article_by_id(saved.id)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(got.notes.len(), 1);
    assert_eq!(got.notes[0].kind, NoteKind::Correction);
    assert_eq!(got.created_by, Some(u.id));
}

pub async fn a_published_slug_change_leaves_a_redirect(store: &dyn Store) {
    let mut a = input("n-6", "Old headline", 1);
    a.external_id = None;
    let saved = store.save_article(&a).await.expect("save");
    let mut b = a.clone();
    b.editorial.id = Some(saved.id);
    b.slug = Some(Slug::parse("new-headline").expect("slug"));
    store.save_article(&b).await.expect("save");
    assert_eq!(
        store
            .redirect_for(&saved.slug)
            .await
            .expect("read")
            .map(|s| s.to_string()),
        Some("new-headline".into())
    );
    // Back to the old slug: the redirect must not shadow the article.
    let mut c = b.clone();
    c.slug = Some(saved.slug.clone());
    store.save_article(&c).await.expect("save");
    assert_eq!(store.redirect_for(&saved.slug).await.expect("read"), None);

    let mut draft = input("n-7", "Draft headline", 1);
    draft.status = ArticleStatus::Draft;
    draft.external_id = None;
    let d = store.save_article(&draft).await.expect("save");
    let mut d2 = draft.clone();
    d2.editorial.id = Some(d.id);
    d2.slug = Some(Slug::parse("renamed-draft").expect("slug"));
    store.save_article(&d2).await.expect("save");
    assert_eq!(
        store.redirect_for(&d.slug).await.expect("read"),
        None,
        "never public"
    );
}

pub async fn the_admin_list_filters_by_status_creator_and_words(store: &dyn Store) {
    let u = user(store, "w@example.com", Role::Contributor).await;
    for (i, (headline, status)) in [
        ("Copper rally", ArticleStatus::Draft),
        ("Copper slump", ArticleStatus::InReview),
        ("Oil 50% up", ArticleStatus::Published),
    ]
    .into_iter()
    .enumerate()
    {
        let mut a = input(&format!("n-l{i}"), headline, 1);
        a.status = status;
        a.editorial.actor = (i < 2).then_some(u.id);
        store.save_article(&a).await.expect("save");
    }
    let list = |f: AdminFilter| async move {
        let (rows, total) = store.admin_articles(&f).await.expect("list");
        assert_eq!(rows.len() as i64, total);
        rows.into_iter().map(|r| r.headline).collect::<Vec<_>>()
    };
    let all = AdminFilter {
        limit: 50,
        ..Default::default()
    };
    assert_eq!(list(all.clone()).await.len(), 3);
    let mine = AdminFilter {
        created_by: Some(u.id),
        ..all.clone()
    };
    assert_eq!(list(mine).await.len(), 2);
    let review = AdminFilter {
        status: Some(ArticleStatus::InReview),
        ..all.clone()
    };
    assert_eq!(list(review).await, vec!["Copper slump".to_owned()]);
    let words = AdminFilter {
        text: Some("copper RALLY".into()),
        ..all.clone()
    };
    assert_eq!(list(words).await, vec!["Copper rally".to_owned()]);
    let percent = AdminFilter {
        text: Some("%".into()),
        ..all.clone()
    };
    assert_eq!(
        list(percent).await,
        vec!["Oil 50% up".to_owned()],
        "wildcards are literal"
    );
}

pub async fn deleting_is_audited_and_pinning_orders_the_home_page(store: &dyn Store) {
    let now = Utc::now();
    let mut ids = Vec::new();
    for i in 0..3 {
        let a = input(&format!("n-p{i}"), &format!("Story {i}"), 100 + i);
        ids.push(store.save_article(&a).await.expect("save").id);
    }
    store
        .set_pinned(&[ids[2], ids[0]], None)
        .await
        .expect("pin");
    let top = store.top_stories(now, 1, 3).await.expect("top");
    assert_eq!(
        top.iter().map(|a| a.id).collect::<Vec<_>>(),
        vec![ids[2], ids[0]],
        "pinned first in order, even outside the window of the newest one"
    );
    assert!(store.delete_article(ids[1], None).await.expect("delete"));
    assert!(
        !store
            .delete_article(ids[1], None)
            .await
            .expect("delete again")
    );
    let log = store.audit_log(50, None).await.expect("audit");
    assert!(
        log.iter()
            .any(|e| e.action == "deleted" && e.article_id == Some(ids[1]))
    );
}

pub async fn api_keys_are_found_by_hash_until_revoked(store: &dyn Store) {
    use broadsheet_store::{ApiKeyKind, NewApiKey};
    let key = store
        .create_api_key(&NewApiKey {
            name: "  iOS app ",
            kind: ApiKeyKind::Content,
            key_hash: "hash-1",
            prefix: "bsc_12345678",
            user_id: None,
        })
        .await
        .expect("key");
    assert_eq!(key.name, "iOS app");
    assert_eq!(
        store.api_key("hash-1").await.expect("find"),
        Some(key.clone())
    );
    assert_eq!(store.api_key("hash-2").await.expect("find"), None);
    // An admin key needs a user; a content key must not have one; names are required.
    user(store, "boss@example.com", Role::Admin).await;
    let u = user(store, "keys@example.com", Role::Editor).await;
    for (kind, user_id, name) in [
        (ApiKeyKind::Admin, None, "x"),
        (ApiKeyKind::Content, Some(u.id), "x"),
        (ApiKeyKind::Content, None, "   "),
    ] {
        let r = store
            .create_api_key(&NewApiKey {
                name,
                kind,
                key_hash: "hash-bad",
                prefix: "p",
                user_id,
            })
            .await;
        assert!(matches!(r, Err(StoreError::Invalid(_))), "{r:?}");
    }
    assert_eq!(store.api_keys().await.expect("list").len(), 1);
    // A hash is unique.
    let dup = store
        .create_api_key(&NewApiKey {
            name: "again",
            kind: ApiKeyKind::Content,
            key_hash: "hash-1",
            prefix: "p",
            user_id: None,
        })
        .await;
    assert!(dup.is_err());
    // An admin key lives while its user is enabled.
    store
        .create_api_key(&NewApiKey {
            name: "editor's script",
            kind: ApiKeyKind::Admin,
            key_hash: "hash-admin",
            prefix: "bsa_1",
            user_id: Some(u.id),
        })
        .await
        .expect("admin key");
    assert!(store.api_key("hash-admin").await.expect("find").is_some());
    store
        .update_user(u.id, Role::Editor, true)
        .await
        .expect("disable");
    assert!(store.api_key("hash-admin").await.expect("find").is_none());

    assert!(
        store
            .revoke_api_key(key.id, Utc::now())
            .await
            .expect("revoke")
    );
    assert!(
        !store
            .revoke_api_key(key.id, Utc::now())
            .await
            .expect("again")
    );
    assert_eq!(store.api_key("hash-1").await.expect("find"), None);
    let listed = store.api_keys().await.expect("list");
    assert!(
        listed
            .iter()
            .any(|k| k.id == key.id && k.revoked_at.is_some())
    );
}
