//! The newsroom through its routes: accounts and sessions, forgery checks, the authorization
//! matrix over every admin route, the workflow, edit conflicts, revisions, redirects,
//! corrections, embargoes, sanitising, uploads and the site's administration.

use std::io::Cursor;

use axum::body::Body;
use broadsheet_core::{Email, Role};
use broadsheet_server::auth::{hash_password, random_token, token_hash};
use broadsheet_store::{NewUser, TokenKind};
use chrono::{Duration, Utc};
use http::{Method, Request, StatusCode};

use crate::support::{Reply, Site};

const PASSWORD: &str = "correct horse battery staple";

/// A signed-in member of the newsroom.
#[derive(Clone)]
pub struct Member {
    cookie: String,
    csrf: String,
    pub id: i64,
}

fn cookie_of(reply: &Reply) -> String {
    let set = reply.header("set-cookie");
    set.split(';').next().unwrap_or("").to_owned()
}

fn csrf_in(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..at + 64].to_owned()
}

pub async fn add_user(site: &Site, email: &str, role: Role) -> i64 {
    site.store
        .create_user(&NewUser {
            email: Email::parse(email).expect("email"),
            name: format!("{} {}", role.label(), email.split('@').next().unwrap_or("")),
            role,
            password_hash: hash_password(PASSWORD).expect("hash"),
        })
        .await
        .expect("user")
        .id
}

async fn sign_in(site: &Site, email: &str, password: &str) -> Reply {
    post(
        site,
        None,
        "/admin/sign-in",
        &[("email", email), ("password", password)],
    )
    .await
}

pub async fn member(site: &Site, email: &str, role: Role) -> Member {
    let id = add_user(site, email, role).await;
    let r = sign_in(site, email, PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let cookie = cookie_of(&r);
    let page = get(site, Some(&cookie), "/admin").await;
    assert_eq!(page.status, StatusCode::OK);
    Member {
        csrf: csrf_in(&page.text()),
        cookie,
        id,
    }
}

async fn get(site: &Site, cookie: Option<&str>, uri: &str) -> Reply {
    let mut req = Request::get(uri);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    site.request(req.body(Body::empty()).expect("request"))
        .await
}

fn encode(form: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form {
        s.append_pair(k, v);
    }
    s.finish()
}

async fn post(site: &Site, cookie: Option<&str>, uri: &str, form: &[(&str, &str)]) -> Reply {
    post_with(
        site,
        cookie,
        uri,
        form,
        &[("sec-fetch-site", "same-origin")],
    )
    .await
}

async fn post_with(
    site: &Site,
    cookie: Option<&str>,
    uri: &str,
    form: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> Reply {
    let mut req = Request::post(uri).header("content-type", "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    site.request(req.body(Body::from(encode(form))).expect("request"))
        .await
}

impl Member {
    pub async fn get(&self, site: &Site, uri: &str) -> Reply {
        get(site, Some(&self.cookie), uri).await
    }
    pub async fn post(&self, site: &Site, uri: &str, form: &[(&str, &str)]) -> Reply {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(form);
        post(site, Some(&self.cookie), uri, &all).await
    }
}

pub fn location(r: &Reply) -> String {
    r.header("location").to_owned()
}

/// The article id in a `/admin/articles/ID?saved=…` redirect.
fn saved_id(r: &Reply) -> i64 {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let loc = location(r);
    let rest = loc
        .strip_prefix("/admin/articles/")
        .expect("editor redirect");
    rest.split('?').next().unwrap_or("").parse().expect("id")
}

fn story<'a>(headline: &'a str, body: &'a str, action: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("headline", headline),
        ("standfirst", "A standfirst"),
        ("body", body),
        ("section", "economy"),
        ("tags", "Rates, Central banks"),
        ("sources", "Reuters"),
        ("importance", "1"),
        ("action", action),
    ]
}

/// The editor form of article `id` as `m` sees it, as field pairs to post back.
pub async fn form_of(site: &Site, m: &Member, id: i64) -> Vec<(String, String)> {
    let html = m.get(site, &format!("/admin/articles/{id}")).await.text();
    let doc = scraper::Html::parse_document(&html);
    let sel =
        scraper::Selector::parse("form.editor input, form.editor textarea, form.editor select")
            .expect("selector");
    let mut out = Vec::new();
    for el in doc.select(&sel) {
        let v = el.value();
        let Some(name) = v.attr("name") else { continue };
        if name == "csrf" {
            continue;
        }
        let value = match v.name() {
            "textarea" => el.text().collect::<String>(),
            "select" => {
                let opt = scraper::Selector::parse("option[selected]").expect("selector");
                el.select(&opt)
                    .next()
                    .and_then(|o| o.value().attr("value"))
                    .unwrap_or("")
                    .to_owned()
            }
            _ if v.attr("type") == Some("checkbox") => {
                if v.attr("checked").is_none() {
                    continue;
                }
                v.attr("value").unwrap_or("on").to_owned()
            }
            _ => v.attr("value").unwrap_or("").to_owned(),
        };
        out.push((name.to_owned(), value));
    }
    out
}

pub fn with(form: &[(String, String)], changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = form
        .iter()
        .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k))
        .cloned()
        .collect();
    out.extend(
        changes
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    out
}

pub async fn post_form(site: &Site, m: &Member, uri: &str, form: &[(String, String)]) -> Reply {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    m.post(site, uri, &pairs).await
}

fn outbox(site: &Site) -> Vec<String> {
    let dir = site._dir.path().join("outbox");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .map(|p| {
            // Decoded as a mail client would: quoted-printable soft breaks and escapes.
            std::fs::read_to_string(p)
                .expect("eml")
                .replace("=\r\n", "")
                .replace("=3D", "=")
        })
        .collect()
}

fn link_in(eml: &str, prefix: &str) -> String {
    let at = eml.find(prefix).expect("a link");
    eml[at..at + prefix.len() + 64].to_owned()
}

#[tokio::test]
async fn signing_in_rotates_the_session_and_wrong_details_leak_nothing() {
    let site = Site::demo().await;
    add_user(&site, "ana@example.com", Role::Editor).await;

    let wrong = sign_in(&site, "ana@example.com", "not the password").await;
    let unknown = sign_in(&site, "nobody@example.com", PASSWORD).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    let message = "That e-mail address and password do not match an account.";
    assert!(wrong.text().contains(message) && unknown.text().contains(message));
    assert!(wrong.header("set-cookie").is_empty());

    let ok = sign_in(&site, "ANA@example.com", PASSWORD).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&ok), "/admin");
    let set = ok.header("set-cookie");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(attr), "{set}");
    }
    assert!(!set.contains("Secure"), "plain http on loopback");
    let first = cookie_of(&ok);
    assert_eq!(
        get(&site, Some(&first), "/admin").await.status,
        StatusCode::OK
    );

    // Signing in again from the same browser: a new id, and the old one is dead.
    let again = post(
        &site,
        Some(&first),
        "/admin/sign-in",
        &[("email", "ana@example.com"), ("password", PASSWORD)],
    )
    .await;
    let second = cookie_of(&again);
    assert_ne!(first, second);
    assert_eq!(
        get(&site, Some(&first), "/admin").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        get(&site, Some(&second), "/admin").await.status,
        StatusCode::OK
    );

    // A tampered cookie is simply no session.
    let mut tampered = second.clone();
    let last = tampered.pop();
    tampered.push(if last == Some('0') { '1' } else { '0' });
    for bad in [tampered.as_str(), "bs_session=<script>", "bs_session="] {
        let r = get(&site, Some(bad), "/admin/articles").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{bad}");
        assert_eq!(location(&r), "/admin/sign-in?next=%2Fadmin%2Farticles");
    }

    // Only admin paths are accepted as where to go next.
    let r = post(
        &site,
        None,
        "/admin/sign-in",
        &[
            ("email", "ana@example.com"),
            ("password", PASSWORD),
            ("next", "https://evil.example/"),
        ],
    )
    .await;
    assert_eq!(location(&r), "/admin");

    // Signing out ends the session.
    let page = get(&site, Some(&second), "/admin").await.text();
    let out = post(
        &site,
        Some(&second),
        "/admin/sign-out",
        &[("csrf", &csrf_in(&page))],
    )
    .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(out.header("set-cookie").contains("Max-Age=0"));
    assert_eq!(
        get(&site, Some(&second), "/admin").await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn cookies_are_secure_when_the_site_is_served_over_https() {
    let mut options = broadsheet_server::Options::default();
    options.newsroom.secure_cookies = true;
    let site = Site::build_with(None, true, options).await;
    add_user(&site, "ana@example.com", Role::Editor).await;
    let ok = sign_in(&site, "ana@example.com", PASSWORD).await;
    let set = ok.header("set-cookie");
    assert!(
        set.starts_with("__Host-bs_session=") && set.contains("; Secure"),
        "{set}"
    );
}

#[tokio::test]
async fn sign_in_attempts_are_rate_limited_per_account() {
    let site = Site::demo().await;
    add_user(&site, "ana@example.com", Role::Editor).await;
    for _ in 0..5 {
        let r = sign_in(&site, "ana@example.com", "wrong password!").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = sign_in(&site, "ana@example.com", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.header("retry-after").parse::<u64>().is_ok_and(|s| s >= 1));
    assert!(r.text().contains("Too many sign-in attempts"));
    assert!(r.header("set-cookie").is_empty());
}

#[tokio::test]
async fn a_password_reset_link_works_once_and_then_never_again() {
    let site = Site::demo().await;
    add_user(&site, "ana@example.com", Role::Author).await;

    let none = post(
        &site,
        None,
        "/admin/reset",
        &[("email", "nobody@example.com")],
    )
    .await;
    let some = post(&site, None, "/admin/reset", &[("email", "ana@example.com")]).await;
    assert_eq!((none.status, some.status), (StatusCode::OK, StatusCode::OK));
    assert_eq!(
        none.text().replace("nobody@example.com", ""),
        some.text().replace("ana@example.com", ""),
        "the answer does not tell whether the account exists"
    );
    let mails = outbox(&site);
    assert_eq!(mails.len(), 1, "one mail, to the real account");
    assert!(mails[0].contains("To: ana@example.com"));
    let link = link_in(&mails[0], "/admin/reset/");

    assert_eq!(get(&site, None, &link).await.status, StatusCode::OK);
    // A typo does not use the link up.
    let typo = post(
        &site,
        None,
        &link,
        &[("password", "short"), ("confirm", "short")],
    )
    .await;
    assert_eq!(typo.status, StatusCode::UNPROCESSABLE_ENTITY);
    let new = "a brand new password";
    let done = post(&site, None, &link, &[("password", new), ("confirm", new)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&done), "/admin/sign-in?reset=1");
    assert_eq!(
        sign_in(&site, "ana@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        sign_in(&site, "ana@example.com", new).await.status,
        StatusCode::SEE_OTHER
    );

    let reused = post(&site, None, &link, &[("password", new), ("confirm", new)]).await;
    assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reused.text().contains("expired or has already been used"));

    // An expired link says the same and changes nothing.
    let token = random_token();
    let (user, _) = site
        .store
        .user_by_email(&Email::parse("ana@example.com").expect("email"))
        .await
        .expect("read")
        .expect("user");
    site.store
        .create_token(
            TokenKind::Reset,
            &token_hash(&token),
            Some(user.id),
            Utc::now() - Duration::minutes(1),
        )
        .await
        .expect("token");
    let expired = post(
        &site,
        None,
        &format!("/admin/reset/{token}"),
        &[
            ("password", "another new password"),
            ("confirm", "another new password"),
        ],
    )
    .await;
    assert_eq!(expired.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(expired.text().contains("expired or has already been used"));
    assert_eq!(
        sign_in(&site, "ana@example.com", new).await.status,
        StatusCode::SEE_OTHER
    );
    let garbage = get(&site, None, "/admin/reset/not-a-token").await;
    assert_eq!(garbage.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_setup_link_creates_the_first_admin_once() {
    let site = Site::demo().await;
    let link = site
        .state
        .setup_link()
        .await
        .expect("link")
        .expect("no users yet");
    let form = [
        ("name", "Ines Halvorsen"),
        ("email", "ines@example.com"),
        ("password", PASSWORD),
    ];
    let bad = post(
        &site,
        None,
        &link,
        &[("name", "Ines"), ("email", "ines"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = post(&site, None, &link, &form).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text());
    let cookie = cookie_of(&ok);
    let users = get(&site, Some(&cookie), "/admin/users").await;
    assert_eq!(users.status, StatusCode::OK, "signed in as admin");
    assert!(users.text().contains("ines@example.com"));
    let again = post(&site, None, &link, &form).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(site.state.setup_link().await.expect("link").is_none());
}

#[tokio::test]
async fn forms_without_the_token_or_from_another_site_are_refused() {
    let site = Site::demo().await;
    let ed = member(&site, "ed@example.com", Role::Editor).await;
    let before = site.store.counts().await.expect("counts").articles;
    let fields = story("Forged", "Body", "publish");
    for (what, csrf, headers) in [
        ("no token", None, vec![("sec-fetch-site", "same-origin")]),
        (
            "wrong token",
            Some("0".repeat(64)),
            vec![("sec-fetch-site", "same-origin")],
        ),
        (
            "cross-site browser request",
            Some(ed.csrf.clone()),
            vec![("sec-fetch-site", "cross-site")],
        ),
        (
            "foreign origin",
            Some(ed.csrf.clone()),
            vec![("origin", "https://evil.example"), ("host", "localhost")],
        ),
    ] {
        let mut form = fields.clone();
        if let Some(c) = &csrf {
            form.push(("csrf", c));
        }
        let r = post_with(
            &site,
            Some(&ed.cookie),
            "/admin/articles/new",
            &form,
            &headers,
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{what}");
        assert!(r.header("content-type").starts_with("text/html"), "{what}");
    }
    assert_eq!(site.store.counts().await.expect("counts").articles, before);
    // Forms without a session (sign-in, reset, setup) get the cross-origin check too.
    let r = post_with(
        &site,
        None,
        "/admin/sign-in",
        &[("email", "ed@example.com"), ("password", PASSWORD)],
        &[("sec-fetch-site", "cross-site")],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.header("set-cookie").is_empty());
}

/// Every admin route for every role: allowed ones answer anything but 403 and the sign-in
/// redirect; the rest answer 403. Without a session, pages redirect to sign-in and other
/// requests are refused.
#[tokio::test]
async fn authorization_matrix_covers_every_admin_route_and_role() {
    let site = Site::demo().await;
    let admin = member(&site, "admin@example.com", Role::Admin).await;
    let mut members = vec![(Role::Admin, admin.clone())];
    for (role, email) in [
        (Role::Editor, "editor@example.com"),
        (Role::Author, "author@example.com"),
        (Role::Contributor, "contributor@example.com"),
    ] {
        members.push((role, member(&site, email, role).await));
    }
    assert!(broadsheet_server::ADMIN_ROUTES.len() >= 25);
    for (method, path, permission) in broadsheet_server::ADMIN_ROUTES {
        let uri = path.replace("{id}", &members[3].1.id.to_string());
        let anonymous = if *method == Method::GET {
            get(&site, None, &uri).await
        } else {
            post(&site, None, &uri, &[]).await
        };
        if *method == Method::GET {
            assert_eq!(anonymous.status, StatusCode::SEE_OTHER, "{method} {uri}");
            assert!(location(&anonymous).starts_with("/admin/sign-in"), "{uri}");
        } else {
            assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{method} {uri}");
        }
        for (role, m) in &members {
            // Route-level rules only: the article-level rules have their own tests, so the
            // article here is edited only by roles that may edit any article.
            if *path == "/admin/sign-out" {
                continue;
            }
            // Article routes act on an article of the member's own, a fresh draft each time,
            // which every role may open: what is left to check is the route's own rule.
            let uri = if path.starts_with("/admin/articles/{id}") {
                let mut own =
                    crate::pages::article(&random_token()[..12], "economy", "Own draft", "Body");
                own.external_id = None;
                own.status = broadsheet_core::ArticleStatus::Draft;
                own.editorial.actor = Some(m.id);
                let id = site.store.save_article(&own).await.expect("draft").id;
                path.replace("{id}", &id.to_string())
            } else {
                uri.clone()
            };
            let reply = if *method == Method::GET {
                m.get(&site, &uri).await
            } else {
                m.post(
                    &site,
                    &uri,
                    &[("action", "preview"), ("role", "contributor")],
                )
                .await
            };
            let allowed = permission.allows(*role);
            if allowed {
                assert_ne!(
                    reply.status,
                    StatusCode::FORBIDDEN,
                    "{role:?} {method} {uri}"
                );
                assert!(
                    !location(&reply).starts_with("/admin/sign-in"),
                    "{role:?} {uri}"
                );
            } else {
                assert_eq!(
                    reply.status,
                    StatusCode::FORBIDDEN,
                    "{role:?} {method} {uri}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_contributor_drafts_and_submits_and_an_editor_schedules_it() {
    let site = Site::demo().await;
    let writer = member(&site, "writer@example.com", Role::Contributor).await;
    let editor = member(&site, "editor@example.com", Role::Editor).await;

    let created = writer
        .post(
            &site,
            "/admin/articles/new",
            &story("Port strike ends", "Dockers return.", "save"),
        )
        .await;
    let id = saved_id(&created);
    let a = site
        .store
        .article_by_id(id)
        .await
        .expect("read")
        .expect("article");
    assert_eq!(a.status, broadsheet_core::ArticleStatus::Draft);
    assert_eq!(a.created_by, Some(writer.id));
    assert_eq!(
        a.authors[0].name, "Contributor writer",
        "their byline by default"
    );
    let dash = writer.get(&site, "/admin").await.text();
    assert!(dash.contains("Port strike ends"), "on my drafts");

    // Contributors cannot publish, however they ask.
    let form = form_of(&site, &writer, id).await;
    for action in ["publish", "schedule"] {
        let r = post_form(
            &site,
            &writer,
            &format!("/admin/articles/{id}"),
            &with(&form, &[("action", action)]),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{action}");
    }
    let r = post_form(
        &site,
        &writer,
        &format!("/admin/articles/{id}"),
        &with(&form, &[("action", "submit")]),
    )
    .await;
    assert_eq!(
        location(&r),
        format!("/admin?submitted={id}"),
        "back to the dashboard"
    );
    assert_eq!(
        site.store
            .article_by_id(id)
            .await
            .expect("read")
            .expect("a")
            .status,
        broadsheet_core::ArticleStatus::InReview
    );
    // Once submitted it is the desk's.
    assert_eq!(
        writer
            .get(&site, &format!("/admin/articles/{id}"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert!(
        editor
            .get(&site, "/admin")
            .await
            .text()
            .contains("Port strike ends"),
        "in review"
    );

    // The editor schedules it an hour ahead, in the site's time zone (UTC here).
    let when = (Utc::now() + Duration::hours(1))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let form = form_of(&site, &editor, id).await;
    let r = post_form(
        &site,
        &editor,
        &format!("/admin/articles/{id}"),
        &with(&form, &[("action", "schedule"), ("publish_at", &when)]),
    )
    .await;
    saved_id(&r);
    let a = site
        .store
        .article_by_id(id)
        .await
        .expect("read")
        .expect("a");
    assert_eq!(a.status, broadsheet_core::ArticleStatus::Scheduled);
    let path = format!("/article/{}", a.slug);
    assert_eq!(site.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(site.state.publish_due(Utc::now()).await.expect("due"), 0);
    assert_eq!(
        site.state
            .publish_due(Utc::now() + Duration::hours(2))
            .await
            .expect("due"),
        1
    );
    // The reader pages see it as soon as the scheduler has run (and only when its time has
    // come: the pages use the real clock, so this checks the stored state).
    let a = site
        .store
        .article_by_id(id)
        .await
        .expect("read")
        .expect("a");
    assert_eq!(a.status, broadsheet_core::ArticleStatus::Published);
    let audit = editor.get(&site, "/admin/audit").await.text();
    for action in ["submitted", "scheduled", "published"] {
        assert!(audit.contains(action), "audit has {action}");
    }
}

#[tokio::test]
async fn authors_publish_their_own_stories_only() {
    let site = Site::demo().await;
    let author = member(&site, "author@example.com", Role::Author).await;
    let other = member(&site, "other@example.com", Role::Author).await;
    let r = author
        .post(
            &site,
            "/admin/articles/new",
            &story("Budget vote passes", "Narrowly.", "publish"),
        )
        .await;
    let id = saved_id(&r);
    let a = site
        .store
        .article_by_id(id)
        .await
        .expect("read")
        .expect("a");
    assert!(a.is_public(Utc::now()));
    assert_eq!(
        site.get(&format!("/article/{}", a.slug)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        other
            .get(&site, &format!("/admin/articles/{id}"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let form = form_of(&site, &author, id).await;
    let r = post_form(
        &site,
        &other,
        &format!("/admin/articles/{id}"),
        &with(&form, &[("action", "unpublish")]),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = other
        .post(&site, &format!("/admin/articles/{id}/delete"), &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(site.store.article_by_id(id).await.expect("read").is_some());
}

#[tokio::test]
async fn a_stale_save_is_refused_and_the_editors_text_is_kept() {
    let site = Site::demo().await;
    let one = member(&site, "one@example.com", Role::Editor).await;
    let two = member(&site, "two@example.com", Role::Editor).await;
    let id = saved_id(
        &one.post(
            &site,
            "/admin/articles/new",
            &story("Inflation eases", "First draft.", "save"),
        )
        .await,
    );
    let form_one = form_of(&site, &one, id).await;
    let form_two = form_of(&site, &two, id).await;
    saved_id(
        &post_form(
            &site,
            &one,
            &format!("/admin/articles/{id}"),
            &with(&form_one, &[("body", "Edited by one.")]),
        )
        .await,
    );
    let body_two = "The careful rewrite by two, which must not be lost.";
    let r = post_form(
        &site,
        &two,
        &format!("/admin/articles/{id}"),
        &with(&form_two, &[("body", body_two)]),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let html = r.text();
    assert!(html.contains("changed by someone else"), "clear message");
    assert!(html.contains(body_two), "the text stays in the form");
    let stored = site
        .store
        .article_by_id(id)
        .await
        .expect("read")
        .expect("a");
    assert_eq!(stored.body_markdown, "Edited by one.");
}

#[tokio::test]
async fn revisions_can_be_compared_and_restored() {
    let site = Site::demo().await;
    let ed = member(&site, "ed@example.com", Role::Editor).await;
    let id = saved_id(
        &ed.post(
            &site,
            "/admin/articles/new",
            &story("Rates held", "The bank held rates.", "save"),
        )
        .await,
    );
    let form = form_of(&site, &ed, id).await;
    saved_id(
        &post_form(
            &site,
            &ed,
            &format!("/admin/articles/{id}"),
            &with(
                &form,
                &[("headline", "Rates cut"), ("body", "The bank cut rates.")],
            ),
        )
        .await,
    );
    let page = ed
        .get(
            &site,
            &format!("/admin/articles/{id}/revisions?from=1&to=2"),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("<del>- Headline: Rates held</del>"), "{html}");
    assert!(html.contains("<ins>+ Headline: Rates cut</ins>"));
    assert_eq!(
        ed.get(&site, &format!("/admin/articles/{id}/revisions?from=99"))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let r = ed
        .post(
            &site,
            &format!("/admin/articles/{id}/restore"),
            &[("version", "1"), ("base_version", "2")],
        )
        .await;
    saved_id(&r);
    let a = site
        .store
        .article_by_id(id)
        .await
        .expect("read")
        .expect("a");
    assert_eq!((a.headline.as_str(), a.version), ("Rates held", 3));
    // Restoring from a stale page is refused like any stale save.
    let r = ed
        .post(
            &site,
            &format!("/admin/articles/{id}/restore"),
            &[("version", "2"), ("base_version", "2")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_renamed_published_story_redirects_and_shows_its_correction() {
    let site = Site::demo().await;
    let ed = member(&site, "ed@example.com", Role::Editor).await;
    let id = saved_id(
        &ed.post(
            &site,
            "/admin/articles/new",
            &story("Copper at record", "Copper rose 5%.", "publish"),
        )
        .await,
    );
    let old = site
        .store
        .article_by_id(id)
        .await
        .expect("read")
        .expect("a")
        .slug;
    assert_eq!(
        old.as_str(),
        "copper-at-record",
        "derived from the headline"
    );
    let form = form_of(&site, &ed, id).await;
    saved_id(
        &post_form(
            &site,
            &ed,
            &format!("/admin/articles/{id}"),
            &with(
                &form,
                &[
                    ("slug", "copper-near-record"),
                    ("body", "Copper rose 4%."),
                    ("note_kind", "correction"),
                    ("note_text", "An earlier version said copper rose 5%."),
                ],
            ),
        )
        .await,
    );
    let r = site.get(&format!("/article/{old}")).await;
    assert_eq!(r.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(location(&r), "/article/copper-near-record");
    let page = site.get("/article/copper-near-record").await.text();
    assert!(page.contains("Corrected on"), "{page}");
    assert!(page.contains("An earlier version said copper rose 5%."));
    // Slugs stay unique: the same headline again gets its own address.
    let id2 = saved_id(
        &ed.post(
            &site,
            "/admin/articles/new",
            &story("Copper near record", "Again.", "save"),
        )
        .await,
    );
    let slug2 = site
        .store
        .article_by_id(id2)
        .await
        .expect("read")
        .expect("a")
        .slug;
    assert_eq!(slug2.as_str(), "copper-near-record-2");
}

#[tokio::test]
async fn an_embargoed_story_stays_private_and_bad_times_are_explained() {
    let site = Site::demo().await;
    let ed = member(&site, "ed@example.com", Role::Editor).await;
    let later = (Utc::now() + Duration::hours(3))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let mut fields = story("GDP figures", "Growth was 0.4%.", "publish");
    fields.push(("embargo_until", &later));
    let id = saved_id(&ed.post(&site, "/admin/articles/new", &fields).await);
    let a = site
        .store
        .article_by_id(id)
        .await
        .expect("read")
        .expect("a");
    assert!(!a.is_public(Utc::now()));
    assert_eq!(
        site.get(&format!("/article/{}", a.slug)).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(a.is_public(Utc::now() + Duration::hours(4)));

    for (field, value, message) in [
        ("publish_at", "next tuesday", "is not a date and time"),
        (
            "embargo_until",
            "2026-13-40T99:00",
            "is not a date and time",
        ),
    ] {
        let mut fields = story("Bad time", "Body.", "schedule");
        fields.push((field, value));
        let r = ed.post(&site, "/admin/articles/new", &fields).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(r.text().contains(message), "{field}");
        assert!(r.text().contains("Bad time"), "the form keeps the text");
    }
    let past = (Utc::now() - Duration::hours(1))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let mut fields = story("Too late", "Body.", "schedule");
    fields.push(("publish_at", &past));
    let r = ed.post(&site, "/admin/articles/new", &fields).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("That time has passed"));
}

#[tokio::test]
async fn scripts_handlers_javascript_links_and_iframes_are_removed() {
    let site = Site::demo().await;
    let ed = member(&site, "ed@example.com", Role::Editor).await;
    let hostile = "Hello <script>alert(1)</script>\n\n<img src=x onerror=\"alert(2)\">\n\n\
                   [click](javascript:alert(3))\n\n<iframe src=\"https://evil.example\"></iframe>\n\n\
                   <a href=\"#\" onclick=\"alert(4)\">x</a>";
    let id = saved_id(
        &ed.post(
            &site,
            "/admin/articles/new",
            &story("Hostile", hostile, "publish"),
        )
        .await,
    );
    let a = site
        .store
        .article_by_id(id)
        .await
        .expect("read")
        .expect("a");
    let page = site.get(&format!("/article/{}", a.slug)).await.text();
    let preview = ed.post(&site, "/admin/preview", &[("body", hostile)]).await;
    assert_eq!(preview.status, StatusCode::OK);
    for html in [a.body_html.as_str(), page.as_str(), &preview.text()] {
        let body = html.split("class=\"story-body\"").nth(1).unwrap_or(html);
        for bad in [
            "<script>alert",
            "onerror",
            "javascript:",
            "<iframe",
            "onclick",
        ] {
            assert!(!body.contains(bad), "{bad} in {body}");
        }
    }
    assert!(preview.text().contains("Hello"));
}

pub fn photo_jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    }));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("encode");
    out.into_inner()
}

pub async fn upload(
    site: &Site,
    m: &Member,
    file_name: &str,
    content_type: &str,
    bytes: &[u8],
    fields: &[(&str, &str)],
) -> Reply {
    let boundary = "----broadsheet-test-boundary";
    let mut body = Vec::new();
    let mut field = |name: &str, value: &str| {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    };
    field("csrf", &m.csrf);
    for (k, v) in fields {
        field(k, v);
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
             Content-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = Request::post("/admin/media")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header("cookie", &m.cookie)
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(body))
        .expect("request");
    site.request(req).await
}

fn uploads(site: &Site) -> usize {
    fn count(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .map(|d| {
                d.flatten()
                    .map(|e| {
                        if e.path().is_dir() {
                            count(&e.path())
                        } else {
                            1
                        }
                    })
                    .sum()
            })
            .unwrap_or(0)
    }
    count(&site.state.media_dir.join("uploads"))
}

#[tokio::test]
async fn an_uploaded_photo_shows_on_the_article_with_srcset_caption_and_credit() {
    let site = Site::demo().await;
    let ed = member(&site, "ed@example.com", Role::Editor).await;
    let r = upload(
        &site,
        &ed,
        "summit.jpg",
        "image/jpeg",
        &photo_jpeg(2000, 1200),
        &[
            ("alt", "Two leaders shake hands"),
            ("caption", "The leaders met in Vladivostok"),
            ("photographer", "Gavriil Grigorov"),
            ("agency", "Sputnik"),
            ("via", "Kremlin Pool Photo via AP"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let media_id = location(&r).rsplit('=').next().unwrap_or("").to_owned();
    assert_eq!(uploads(&site), 6, "three widths, JPEG and WebP");
    let library = ed.get(&site, "/admin/media?q=pool+grigorov").await.text();
    assert!(library.contains("summit.jpg"), "found by credit");
    assert!(
        !ed.get(&site, "/admin/media?q=nothing-like-it")
            .await
            .text()
            .contains("summit.jpg")
    );

    let mut fields = story("Summit in Vladivostok", "The leaders met.", "publish");
    fields.extend([
        ("hero_media_id", media_id.as_str()),
        ("hero_alt", "Two leaders shake hands"),
        ("hero_caption", "The leaders met in Vladivostok"),
        ("credit_photographer", "Gavriil Grigorov"),
        ("credit_agency", "Sputnik"),
        ("credit_via", "Kremlin Pool Photo via AP"),
    ]);
    let id = saved_id(&ed.post(&site, "/admin/articles/new", &fields).await);
    let a = site
        .store
        .article_by_id(id)
        .await
        .expect("read")
        .expect("a");
    let page = site.get(&format!("/article/{}", a.slug)).await.text();
    assert!(
        page.contains("<source type=\"image/webp\" srcset=\"/media/uploads/"),
        "{page}"
    );
    assert!(page.contains(" 480w, /media/uploads/") && page.contains(" 1600w\""));
    assert!(page.contains("sizes=\""));
    assert!(page.contains("The leaders met in Vladivostok"));
    assert!(page.contains("<span class=\"credit-via\">Kremlin Pool Photo via AP</span>"));
    // Every variant is served.
    for v in &a.hero.as_ref().expect("hero").media.variants {
        assert_eq!(
            site.get(&format!("/media/{}", v.path)).await.status,
            StatusCode::OK
        );
    }
    // Without alt text, typed or in the library, the hero is refused with a reason.
    let r = upload(
        &site,
        &ed,
        "bare.jpg",
        "image/jpeg",
        &photo_jpeg(800, 600),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let bare = location(&r).rsplit('=').next().unwrap_or("").to_owned();
    let mut fields = story("No alt", "Body.", "save");
    fields.push(("hero_media_id", bare.as_str()));
    let r = ed.post(&site, "/admin/articles/new", &fields).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("alt text"));
}

#[tokio::test]
async fn bad_uploads_are_refused_with_a_message_and_leave_nothing() {
    let mut options = broadsheet_server::Options::default();
    options.newsroom.upload_max_mb = 1;
    let site = Site::build_with(None, true, options).await;
    let ed = member(&site, "ed@example.com", Role::Editor).await;
    let media_before = site
        .store
        .media_library(None, 500)
        .await
        .expect("lib")
        .len();
    let jpeg = photo_jpeg(64, 64);
    let png = {
        let mut out = Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(image::RgbImage::new(64, 64))
            .write_to(&mut out, image::ImageFormat::Png)
            .expect("png");
        out.into_inner()
    };
    let big = vec![0xFFu8; 3 * 1024 * 1024];
    /// What, file name, declared type, bytes, expected status, expected message.
    type Case<'a> = (&'a str, &'a str, &'a str, Vec<u8>, StatusCode, &'a str);
    let cases: Vec<Case> = vec![
        (
            "too big",
            "big.jpg",
            "image/jpeg",
            big,
            StatusCode::PAYLOAD_TOO_LARGE,
            "larger than the 1 MB limit",
        ),
        (
            "png as jpeg",
            "photo.jpg",
            "image/jpeg",
            png,
            StatusCode::UNPROCESSABLE_ENTITY,
            "its contents are PNG",
        ),
        (
            "script",
            "photo.jpg",
            "image/jpeg",
            b"<script>alert(1)</script>".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not a JPEG, PNG, WebP or GIF",
        ),
        (
            "truncated",
            "half.jpg",
            "image/jpeg",
            jpeg[..jpeg.len() / 2].to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "damaged or incomplete",
        ),
        (
            "empty",
            "empty.jpg",
            "image/jpeg",
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose a photo",
        ),
        (
            "bomb",
            "bomb.png",
            "image/png",
            bomb_png(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "megapixels accepted",
        ),
    ];
    for (what, name, ty, bytes, status, message) in cases {
        let r = upload(&site, &ed, name, ty, &bytes, &[("caption", "kept")]).await;
        assert_eq!(r.status, status, "{what}");
        assert!(r.text().contains(message), "{what}: {}", r.text());
    }
    assert_eq!(
        site.store
            .media_library(None, 500)
            .await
            .expect("lib")
            .len(),
        media_before
    );
    assert_eq!(uploads(&site), 0, "nothing stored");
}

/// A PNG whose header claims 100,000 × 100,000 pixels.
fn bomb_png() -> Vec<u8> {
    fn crc(bytes: &[u8]) -> u32 {
        let mut c = 0xFFFF_FFFFu32;
        for &b in bytes {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    (c >> 1) ^ 0xEDB8_8320
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    for (kind, data) in [
        (&b"IHDR"[..], ihdr),
        (
            b"IDAT",
            vec![0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
        ),
        (b"IEND", vec![]),
    ] {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(&data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc(&body).to_be_bytes());
    }
    out
}

#[tokio::test]
async fn editors_curate_the_home_page_and_structure_the_menu() {
    let site = Site::demo().await;
    let ed = member(&site, "ed@example.com", Role::Editor).await;
    let old = site
        .store
        .article_by_slug(
            &broadsheet_core::Slug::parse(
                &site.first_article_on("/section/commodities").await[9..],
            )
            .expect("slug"),
        )
        .await
        .expect("read")
        .expect("a");
    let pos = format!("pos-{}", old.id);
    let r = ed.post(&site, "/admin/home", &[(pos.as_str(), "1")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let home = site.get("/").await.text();
    let lead = home.find(&old.headline).expect("on the home page");
    assert!(
        lead < home.find("class=\"card card-small").unwrap_or(usize::MAX),
        "leads the page"
    );
    let r = ed
        .post(&site, "/admin/home", &[(pos.as_str(), "lead")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A new nested section appears in the menu; a cycle is refused.
    let r = ed
        .post(
            &site,
            "/admin/sections",
            &[
                ("name", "Energy"),
                ("parent", "markets"),
                ("position", "9"),
                ("in_menu", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert!(site.get("/").await.text().contains("/section/energy"));
    let r = ed
        .post(
            &site,
            "/admin/sections",
            &[
                ("slug", "markets"),
                ("name", "Markets"),
                ("parent", "energy"),
                ("in_menu", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("Not saved"));

    // Tags are renamed everywhere at once.
    let tags = ed.get(&site, "/admin/tags").await.text();
    assert!(tags.contains("<caption>Tags</caption>"));
    let (tag, _) = site
        .store
        .tags()
        .await
        .expect("tags")
        .into_iter()
        .next()
        .expect("a tag");
    let id = tag.id.to_string();
    let r = ed
        .post(
            &site,
            "/admin/tags",
            &[
                ("id", id.as_str()),
                ("name", "Renamed Tag"),
                ("action", "rename"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        site.get(&format!("/tag/{}", tag.slug))
            .await
            .text()
            .contains("Renamed Tag")
    );
}

#[tokio::test]
async fn admins_manage_users_and_settings() {
    let site = Site::demo().await;
    let admin = member(&site, "admin@example.com", Role::Admin).await;
    let r = admin
        .post(
            &site,
            "/admin/users",
            &[
                ("email", "new@example.com"),
                ("name", "New Writer"),
                ("role", "author"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let mails = outbox(&site);
    assert!(
        mails
            .iter()
            .any(|m| m.contains("To: new@example.com") && m.contains("/admin/reset/"))
    );
    let dup = admin
        .post(
            &site,
            "/admin/users",
            &[
                ("email", "NEW@example.com"),
                ("name", "Again"),
                ("role", "author"),
            ],
        )
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(dup.text().contains("already exists"));
    let demote = admin
        .post(
            &site,
            &format!("/admin/users/{}", admin.id),
            &[("role", "editor")],
        )
        .await;
    assert_eq!(demote.status, StatusCode::CONFLICT, "the last admin stays");

    let r = admin
        .post(
            &site,
            "/admin/settings",
            &[
                ("name", "The Evening Ledger"),
                ("tagline", "Late news"),
                ("language", "en-GB"),
                ("time_zone", "Europe/London"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let home = site.get("/").await.text();
    assert!(home.contains("The Evening Ledger") && home.contains("lang=\"en-GB\""));
    let bad = admin
        .post(
            &site,
            "/admin/settings",
            &[
                ("name", "X"),
                ("language", "en"),
                ("time_zone", "Mars/Olympus"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().contains("time zone"));
    assert!(
        admin
            .get(&site, "/admin/audit")
            .await
            .text()
            .contains("settings changed")
    );
}

/// A form posted with the member's cookie but without their CSRF token (a forgery).
pub async fn post_as(site: &Site, m: &Member, uri: &str, form: &[(&str, &str)]) -> Reply {
    post(site, Some(&m.cookie), uri, form).await
}

/// The admin pages anyone may use: signing in, resetting a password, the first admin's setup.
/// Everything else the admin router registers needs a session and is in `ADMIN_ROUTES`.
const PUBLIC_ADMIN_ROUTES: &[(Method, &str)] = &[
    (Method::GET, "/admin/sign-in"),
    (Method::POST, "/admin/sign-in"),
    (Method::GET, "/admin/reset"),
    (Method::POST, "/admin/reset"),
    (Method::GET, "/admin/reset/{token}"),
    (Method::POST, "/admin/reset/{token}"),
    (Method::GET, "/admin/setup/{token}"),
    (Method::POST, "/admin/setup/{token}"),
];

/// The matrix above walks `ADMIN_ROUTES`; this holds that table to the router itself: every
/// route `admin::router` registers is in it (or is one of the public account pages), and
/// every entry is registered.
#[test]
fn every_route_the_admin_router_registers_is_in_the_authorization_matrix() {
    let mut registered: Vec<(Method, String)> = crate::support::routes_in_source("admin/mod.rs");
    let mut declared: Vec<(Method, String)> = broadsheet_server::ADMIN_ROUTES
        .iter()
        .map(|(m, p, _)| (m.clone(), (*p).to_owned()))
        .chain(
            PUBLIC_ADMIN_ROUTES
                .iter()
                .map(|(m, p)| (m.clone(), (*p).to_owned())),
        )
        .collect();
    let key = |r: &(Method, String)| (r.1.clone(), r.0.to_string());
    registered.sort_by_key(key);
    declared.sort_by_key(key);
    let missing: Vec<_> = registered
        .iter()
        .filter(|r| !declared.contains(r))
        .collect();
    let stale: Vec<_> = declared
        .iter()
        .filter(|r| !registered.contains(r))
        .collect();
    assert!(
        missing.is_empty(),
        "routes in admin::router but not in ADMIN_ROUTES (add them with their permission): {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "ADMIN_ROUTES entries no router registers: {stale:?}"
    );
}

/// One forged post: what it is, the form token it carries, the headers it is sent with.
type Forgery<'a> = (&'a str, Option<&'a str>, Vec<(&'a str, &'a str)>);

/// Every state-changing admin route, posted by a signed-in administrator (allowed everywhere)
/// without the form's token, with a wrong one, or with the right one from another site, is
/// refused with 403 and changes nothing; the public account forms get the cross-site check.
#[tokio::test]
async fn every_state_changing_admin_route_refuses_forged_posts() {
    let site = Site::demo().await;
    let admin = member(&site, "admin@example.com", Role::Admin).await;
    let other = member(&site, "writer@example.com", Role::Author).await;
    let before = site.store.counts().await.expect("counts");
    let posts: Vec<&str> = broadsheet_server::ADMIN_ROUTES
        .iter()
        .filter(|(m, _, _)| *m == Method::POST)
        .map(|(_, p, _)| *p)
        .chain(
            PUBLIC_ADMIN_ROUTES
                .iter()
                .filter(|(m, _)| *m == Method::POST)
                .map(|(_, p)| *p),
        )
        .collect();
    assert!(posts.len() >= 25, "{posts:?}");
    let wrong = "0".repeat(64);
    let mut refused = 0;
    for route in posts {
        let uri = route
            .replace("{id}", &other.id.to_string())
            .replace("{token}", &"a".repeat(43));
        let public = PUBLIC_ADMIN_ROUTES.iter().any(|(_, p)| *p == route);
        let form = [
            ("action", "save"),
            ("headline", "Forged"),
            ("role", "admin"),
        ];
        let mut attempts: Vec<Forgery> = vec![(
            "cross-site",
            Some(admin.csrf.as_str()),
            vec![("sec-fetch-site", "cross-site")],
        )];
        attempts.push((
            "foreign origin",
            Some(admin.csrf.as_str()),
            vec![("origin", "https://evil.example"), ("host", "localhost")],
        ));
        if !public {
            attempts.push(("no token", None, vec![("sec-fetch-site", "same-origin")]));
            attempts.push((
                "wrong token",
                Some(wrong.as_str()),
                vec![("sec-fetch-site", "same-origin")],
            ));
        }
        for (what, token, headers) in attempts {
            let mut fields: Vec<(&str, &str)> = form.to_vec();
            if let Some(t) = token {
                fields.push(("csrf", t));
            }
            let cookie = (!public).then_some(admin.cookie.as_str());
            let r = if route == "/admin/media" {
                // Uploads are multipart: a forged one is refused as forged, not as malformed.
                post_multipart(&site, cookie, &uri, &fields, &headers).await
            } else {
                post_with(&site, cookie, &uri, &fields, &headers).await
            };
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "{what}: POST {uri}: {}",
                r.text()
            );
            refused += 1;
        }
    }
    assert_eq!(
        site.store.counts().await.expect("counts"),
        before,
        "nothing changed"
    );
    assert!(refused >= 100, "{refused}");
    // No forged role change went through either (counts do not show that).
    let (writer, _) = site
        .store
        .user_by_email(&Email::parse("writer@example.com").expect("email"))
        .await
        .expect("read")
        .expect("the writer");
    assert_eq!(writer.role, Role::Author);
}

async fn post_multipart(
    site: &Site,
    cookie: Option<&str>,
    uri: &str,
    fields: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> Reply {
    let mut body = String::new();
    for (k, v) in fields {
        body.push_str(&format!(
            "--forged\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    body.push_str("--forged--\r\n");
    let mut req = Request::post(uri).header("content-type", "multipart/form-data; boundary=forged");
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    site.request(req.body(Body::from(body)).expect("request"))
        .await
}

/// "the The Meridian Ledger daily": every text that puts an article before the site's name.
fn doubled_article(text: &str) -> Option<String> {
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words.windows(2).find_map(|w| {
        let bad = w[1] == "The" && ["the", "The", "your", "a"].contains(&w[0]);
        bad.then(|| format!("{} {}", w[0], w[1]))
    })
}

#[tokio::test]
async fn a_site_name_that_begins_with_the_reads_right_on_every_page_and_in_every_mail() {
    let site = Site::demo().await;
    assert_eq!(site.state.site().name, "The Meridian Ledger");
    assert_eq!(
        doubled_article("Sign up for the The Meridian Ledger daily"),
        Some("the The".into())
    );
    let admin = member(&site, "admin@example.com", Role::Admin).await;
    let article = site.first_article_on("/section/politics").await;
    let mut pages = Vec::new();
    for uri in [
        "/",
        "/section/politics",
        article.as_str(),
        "/markets",
        "/markets/CAR40",
        "/search?q=copper",
        "/search?q=bnak",
        "/subscribe",
        "/newsletter",
        "/nope",
        "/feed.xml",
        "/admin/sign-in",
        "/admin/reset",
    ] {
        pages.push((uri.to_owned(), site.get(uri).await.text()));
    }
    for (method, path, _) in broadsheet_server::ADMIN_ROUTES {
        if *method == Method::GET && !path.contains('{') {
            pages.push((path.to_string(), admin.get(&site, path).await.text()));
        }
    }

    // The mails: an invitation, a password reset, a too-quick sign-up's second step, the
    // confirmation, the welcome, a digest and its page in the archive.
    let r = admin
        .post(
            &site,
            "/admin/users",
            &[
                ("email", "new@example.com"),
                ("name", "New Writer"),
                ("role", "author"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    post(
        &site,
        None,
        "/admin/reset",
        &[("email", "admin@example.com")],
    )
    .await;
    let t = crate::newsletter::hidden_t(&site.get("/subscribe").await.text());
    let quick = post(
        &site,
        None,
        "/subscribe",
        &[("email", "reader@example.com"), ("t", &t)],
    )
    .await;
    let step_page = quick.text();
    assert!(
        step_page.contains("One more step"),
        "the demo's default 3 s minimum"
    );
    let step = crate::newsletter::hidden_t(&step_page);
    let sent = post(
        &site,
        None,
        "/subscribe",
        &[("email", "reader@example.com"), ("t", &step)],
    )
    .await;
    pages.push(("/subscribe (second step)".into(), step_page.clone()));
    pages.push(("/subscribe (sent)".into(), sent.text()));
    let confirm = outbox(&site)
        .iter()
        .find(|m| m.contains("To: reader@example.com"))
        .and_then(|m| {
            let at = m.find("/subscribe/confirm/")?;
            m[at..]
                .split(|c: char| c.is_whitespace() || c == '"' || c == '>')
                .next()
                .map(str::to_owned)
        })
        .expect("a confirmation mail");
    pages.push(("/subscribe/confirm".into(), site.get(&confirm).await.text()));
    let mut fresh = crate::pages::article("the-1", "politics", "Parliament sits late", "Body.");
    fresh.standfirst = "A long night.".into();
    site.store.save_article(&fresh).await.expect("story");
    broadsheet_app::newsletter::send::run_digest(&site.state, chrono::Utc::now(), true)
        .await
        .expect("send")
        .expect("a digest");
    pages.push(("/newsletter".into(), site.get("/newsletter").await.text()));
    let mails = outbox(&site);
    assert!(
        mails.len() >= 5,
        "invitation, reset, confirmation, welcome, digest: {}",
        mails.len()
    );
    for (what, text) in &pages {
        assert_eq!(doubled_article(text), None, "{what}");
    }
    for m in &mails {
        let subject = m.lines().find(|l| l.starts_with("Subject:")).unwrap_or("");
        assert_eq!(doubled_article(m), None, "the mail {subject}");
    }
    assert!(
        mails
            .iter()
            .any(|m| m.contains("Subject: Confirm your subscription to The Meridian Ledger daily"))
    );
    assert!(
        mails
            .iter()
            .any(|m| m.contains("invited to The Meridian Ledger newsroom"))
    );
}

#[tokio::test]
async fn a_photo_chosen_from_the_library_brings_its_alt_text_caption_and_credit() {
    use crate::api::{admin_key, json, send};
    use crate::wire::stored_article;
    let site = Site::demo().await;
    let key = admin_key(&site, "photo-desk@example.com", Role::Editor).await;
    let up = send(
        &site,
        "POST",
        "/api/v1/admin/media?alt=Cranes%20over%20the%20east%20quay&caption=The%20east%20quay%20at%20dawn.&photographer=Hanne%20Voss&agency=MPA&name=quay.jpg",
        &key,
        photo_jpeg(1200, 800),
        "image/jpeg",
    )
    .await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.text());
    let media = json(&up)["media"]["id"].as_i64().expect("id").to_string();

    // Chosen in the editor's list with nothing typed: publishing works, with the library's words.
    let editor = member(&site, "editor@example.com", Role::Editor).await;
    let mut form = story(
        "Dockers strike at the east quay",
        "The strike began at dawn.",
        "publish",
    );
    form.push(("hero_media_id", &media));
    let r = editor.post(&site, "/admin/articles/new", &form).await;
    let id = saved_id(&r);
    let hero = stored_article(&site, id).await.hero.expect("a hero");
    assert_eq!(hero.alt, "Cranes over the east quay");
    assert_eq!(hero.caption, "The east quay at dawn.");
    assert_eq!(hero.credit.photographer.as_deref(), Some("Hanne Voss"));
    assert_eq!(hero.credit.agency.as_deref(), Some("MPA"));

    // What the writer types wins; the same photo kept keeps an emptied caption empty.
    let f = form_of(&site, &editor, id).await;
    let r = post_form(
        &site,
        &editor,
        &format!("/admin/articles/{id}"),
        &with(
            &f,
            &[
                ("hero_alt", "Two idle cranes"),
                ("hero_caption", ""),
                ("action", "save"),
            ],
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let hero = stored_article(&site, id).await.hero.expect("a hero");
    assert_eq!(hero.alt, "Two idle cranes");
    assert_eq!(hero.caption, "");
    assert_eq!(hero.credit.photographer.as_deref(), Some("Hanne Voss"));
}
