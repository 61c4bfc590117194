//! A test site: temp data directory, SQLite store, the demo content, the built-in theme.

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use broadsheet_render::Theme;
use broadsheet_search::{SearchIndex, SearchSettings, TantivyIndex};
use broadsheet_server::{AppState, Limits, MarketOptions, Options, SiteConfig};
use broadsheet_store::{SqliteStore, Store};
use http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// The market push token every test site accepts.
pub const PUSH_TOKEN: &str = "test-push-token-0123456789abcdef";

pub struct Site {
    pub _dir: tempfile::TempDir,
    pub store: Arc<dyn Store>,
    pub state: AppState,
    pub app: Router,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

impl Site {
    pub async fn demo() -> Self {
        Self::with_theme(None, true).await
    }

    pub async fn empty() -> Self {
        Self::with_theme(None, false).await
    }

    pub async fn with_theme(theme: Option<&Path>, demo: bool) -> Self {
        // Generous limits: the rate-limit test makes its own site with tight ones.
        Self::build(
            theme,
            demo,
            Limits {
                search_per_second: 1000,
                search_burst: 1000,
                api_per_second: 1000,
                api_burst: 1000,
                ..Limits::default()
            },
        )
        .await
    }

    pub async fn build(theme: Option<&Path>, demo: bool, limits: Limits) -> Self {
        let market = MarketOptions {
            push_token: Some(PUSH_TOKEN.into()),
            ..Default::default()
        };
        Self::build_with(
            theme,
            demo,
            Options {
                limits,
                market,
                calendar: broadsheet_server::CalendarOptions {
                    push_token: Some(PUSH_TOKEN.into()),
                },
                ..Default::default()
            },
        )
        .await
    }

    pub async fn build_with(theme: Option<&Path>, demo: bool, options: Options) -> Self {
        Self::build_full(theme, demo, options, None).await
    }

    /// As `build_with`, with the site's public address (`[site] base_url`) set.
    pub async fn build_full(
        theme: Option<&Path>,
        demo: bool,
        options: Options,
        base_url: Option<&str>,
    ) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let store: Arc<dyn Store> = Arc::new(
            SqliteStore::open(&dir.path().join("broadsheet.db"))
                .await
                .expect("store"),
        );
        let media = dir.path().join("media");
        std::fs::create_dir_all(&media).expect("media dir");
        if demo {
            broadsheet_demo::install(store.as_ref(), &media)
                .await
                .expect("demo");
        }
        let site = SiteConfig {
            name: "The Meridian Ledger".into(),
            base_url: base_url.map(str::to_owned),
            ..SiteConfig::default()
        };
        let search: Arc<dyn SearchIndex> =
            Arc::new(TantivyIndex::in_memory(SearchSettings::default()).expect("index"));
        let state = AppState::new(
            store.clone(),
            search,
            Theme::load(theme).expect("theme"),
            site,
            media,
            options,
        )
        .await
        .expect("state");
        broadsheet_server::rebuild(store.as_ref(), &state.search, |_, _| {})
            .await
            .expect("index");
        let app = broadsheet_server::router(state.clone());
        Self {
            _dir: dir,
            store,
            state,
            app,
        }
    }

    pub async fn request(&self, req: Request<Body>) -> Reply {
        let resp = self.app.clone().oneshot(req).await.expect("infallible");
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.request(Request::get(uri).body(Body::empty()).expect("request"))
            .await
    }

    pub async fn get_with(&self, uri: &str, headers: &[(&str, &str)]) -> Reply {
        let mut req = Request::get(uri);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.request(req.body(Body::empty()).expect("request"))
            .await
    }

    /// The path of the first article linked from `page`.
    pub async fn first_article_on(&self, page: &str) -> String {
        let html = self.get(page).await.text();
        let start = html.find("href=\"/article/").expect("an article link") + 6;
        let end = start + html[start..].find('"').expect("end quote");
        html[start..end].to_owned()
    }
}

/// Every `(method, path)` a router function registers, read from its source file
/// (`src/<file>`): each `.route("path", get(…).post(…))` with the methods its method router
/// names. The route tables the matrix tests walk are compared with this, so a route added to
/// the router and not to its table fails a test.
pub fn routes_in_source(file: &str) -> Vec<(http::Method, String)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join(file);
    let src = std::fs::read_to_string(&path).expect("router source");
    let mut out = Vec::new();
    let mut rest = src.as_str();
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + ".route(".len()..];
        let quoted = rest.trim_start();
        let Some(after_quote) = quoted.strip_prefix('"') else {
            panic!(
                "a .route( without a literal path in {file}: {}",
                &quoted[..60.min(quoted.len())]
            );
        };
        let end = after_quote.find('"').expect("closing quote");
        let route = after_quote[..end].to_owned();
        // The method router: up to the parenthesis that closes `.route(`.
        let body = &after_quote[end + 1..];
        let mut depth = 1;
        let mut close = body.len();
        for (i, c) in body.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        close = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let methods = &body[..close];
        for (name, method) in [
            ("get", http::Method::GET),
            ("post", http::Method::POST),
            ("put", http::Method::PUT),
            ("delete", http::Method::DELETE),
            ("patch", http::Method::PATCH),
        ] {
            let call = format!("{name}(");
            let named = methods.match_indices(&call).any(|(i, _)| {
                i == 0 || {
                    let before = methods.as_bytes()[i - 1];
                    !(before.is_ascii_alphanumeric() || before == b'_' || before == b':')
                }
            });
            if named {
                out.push((method, route.clone()));
            }
        }
    }
    assert!(!out.is_empty(), "no routes found in {file}");
    out
}
