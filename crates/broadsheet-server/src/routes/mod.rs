//! The route table and its middleware stack. One file per resource.

mod api_calendar;
pub(crate) mod api_market;
mod article;
mod assets;
mod calendar;
mod error_pages;
mod extract;
mod feeds;
mod home;
mod listing;
mod markets;
mod metrics;
mod search;
mod sitemaps;

pub(crate) use crate::client::Client;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use broadsheet_syndication::feed::Format;

use crate::error::AppError;
use crate::state::AppState;
use error_pages::error_pages;

const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'";
/// Media is served as-is: an SVG opened directly must not run anything.
const MEDIA_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

/// Longest file name (one path segment, as sent, percent-encoded) a media path may have: the
/// names Broadsheet stores are far shorter, and a file system refuses names over 255 bytes.
const MEDIA_NAME_MAX: usize = 200;

/// A media path that names no file Broadsheet could have stored is 404 for every method before
/// the file service sees it: the file service answers a path the file system refuses (a NUL
/// byte: `HEAD /media/%00`; a name too long: `/media/aaaa…`, found by `tools/hostile.py`) with
/// a 500, its error for an unexpected I/O failure.
async fn only_storable_media_paths(req: Request, next: axum::middleware::Next) -> Response {
    let path = req.uri().path();
    if path.contains("%00")
        || path
            .split('/')
            .any(|segment| segment.len() > MEDIA_NAME_MAX)
    {
        return AppError::NotFound.into_response();
    }
    next.run(req).await
}

pub(crate) fn router(state: AppState) -> Router {
    // Media from the data directory's folder, or (several nodes) from the shared media store.
    let media: Router<AppState> = if state.media_remote {
        Router::new().route("/{*path}", get(remote_media))
    } else {
        Router::new().fallback_service(
            ServeDir::new(&state.media_dir).append_index_html_on_directories(false),
        )
    };
    let media = media
        .layer(axum::middleware::from_fn(only_storable_media_paths))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=86400"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(MEDIA_CSP),
        ))
        .with_state(state.clone());
    let x_request_id = HeaderName::from_static("x-request-id");

    Router::new()
        .route("/", get(home::home))
        .route("/article/{slug}", get(article::article))
        .route("/section/{slug}", get(listing::section))
        .route("/tag/{slug}", get(listing::tag))
        .route("/author/{slug}", get(listing::author))
        .route("/section/{slug}/{file}", get(feeds::section))
        .route("/tag/{slug}/{file}", get(feeds::tag))
        .route("/author/{slug}/{file}", get(feeds::author))
        .route("/feed.xml", get(|s, h| feeds::site(s, h, Format::Rss)))
        .route("/feed.atom", get(|s, h| feeds::site(s, h, Format::Atom)))
        .route("/feed.json", get(|s, h| feeds::site(s, h, Format::Json)))
        .route("/sitemap.xml", get(sitemaps::index))
        .route("/sitemaps/{file}", get(sitemaps::file))
        .route("/robots.txt", get(sitemaps::robots))
        .route(
            "/api/market/quotes",
            axum::routing::post(api_market::push)
                .layer(axum::extract::DefaultBodyLimit::max(api_market::MAX_PUSH_BYTES)),
        )
        .route(
            "/api/wire/{source}",
            axum::routing::post(crate::wire::push).layer(axum::extract::DefaultBodyLimit::max(
                state.wire_options.max_bytes,
            )),
        )
        .route(
            "/api/calendar/releases",
            axum::routing::post(api_calendar::push)
                .layer(axum::extract::DefaultBodyLimit::max(api_market::MAX_PUSH_BYTES)),
        )
        .route("/calendar", get(calendar::page))
        .route("/calendar.ics", get(calendar::feed))
        .route("/calendar/{indicator}", get(calendar::indicator))
        .route("/calendar/{indicator}/data.csv", get(calendar::csv))
        .route("/markets", get(markets::markets))
        .route("/markets/{symbol}", get(markets::instrument))
        .route("/markets/{symbol}/data.csv", get(markets::csv))
        .route("/search", get(search::search))
        .route("/search/suggest", get(search::suggest))
        .route("/static/{file}", get(assets::asset))
        .route("/healthz", get(health))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics::metrics))
        .nest_service("/media", media)
        .merge(crate::api::router(&state))
        .merge(crate::admin::router(&state))
        .merge(newsletter_routes())
        .fallback(fallback)
        .layer(from_fn_with_state(state.clone(), error_pages))
        .layer(CatchPanicLayer::new())
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(30)))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", id, method = %req.method(), path = req.uri().path())
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
        .layer(SetRequestIdLayer::new(x_request_id, Counter::default()))
        .layer(axum::middleware::from_fn(crate::metrics::track))
        .with_state(state)
}

fn newsletter_routes() -> Router<AppState> {
    use crate::newsletter::routes as n;
    Router::new()
        .route("/subscribe", get(n::form).post(n::subscribe))
        .route("/subscribe/confirm/{token}", get(n::confirm))
        .route(
            "/newsletter/preferences/{token}",
            get(n::preferences).post(n::save_preferences),
        )
        .route("/newsletter/preferences/{token}/export", get(n::export))
        .route(
            "/newsletter/unsubscribe/{token}",
            get(n::unsubscribe_page).post(n::unsubscribe),
        )
        .route("/newsletter", get(n::archive))
        .route("/newsletter/{id}", get(n::issue))
        .route_layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
        .layer(
            tower_http::csrf::CsrfLayer::new().with_rejection_response(|_| {
                AppError::Forbidden(
                    "This form was sent from another site, so it was refused.".into(),
                )
                .into_response()
            }),
        )
}

/// Request ids: process start time and a counter, unique per node without randomness.
#[derive(Clone)]
struct Counter {
    prefix: String,
    next: std::sync::Arc<AtomicU64>,
}

impl Default for Counter {
    fn default() -> Self {
        let start = chrono::Utc::now().timestamp_millis();
        Self {
            prefix: format!("{start:x}"),
            next: Default::default(),
        }
    }
}

impl MakeRequestId for Counter {
    fn make_request_id<B>(&mut self, _: &http::Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n}", self.prefix))
            .ok()
            .map(RequestId::new)
    }
}

/// `GET /media/{path}` from a remote media store (S3). Stored paths are unique (every upload
/// gets its own name), so the answer can be cached for a day like the local files.
async fn remote_media(
    State(state): State<AppState>,
    axum::extract::Path(path): axum::extract::Path<String>,
) -> Result<Response, AppError> {
    match state.media_store.get(&path).await {
        Ok(Some(stored)) => {
            let mut r = stored.bytes.into_response();
            if let Ok(v) = HeaderValue::from_str(&stored.content_type) {
                r.headers_mut().insert(header::CONTENT_TYPE, v);
            }
            Ok(r)
        }
        Ok(None) | Err(broadsheet_media::StorageError::Path(_)) => Err(AppError::NotFound),
        Err(e) => {
            tracing::warn!(path = %path, error = %e, "media store unavailable");
            Err(AppError::Unavailable(
                "The picture store is not answering. Please try again in a moment.".into(),
            ))
        }
    }
}

/// The process is up and answering (for a supervisor's liveness check); touches nothing.
async fn health() -> &'static str {
    "ok\n"
}

/// Ready for traffic (for a load balancer): `broadsheet_app::readiness` (the database answers,
/// the data directory's disk has room). 503 with the reason otherwise, so a node whose
/// database is gone or whose disk is full is taken out of rotation.
async fn ready(State(state): State<AppState>) -> Response {
    match broadsheet_app::readiness::check(&state).await {
        Ok(()) => {
            let mut r = "ready\n".into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(why) => {
            let why = format!("not ready: {why}");
            tracing::warn!(reason = %why, "readiness check failed");
            api_market::problem(StatusCode::SERVICE_UNAVAILABLE, &why)
        }
    }
}

/// Unknown paths get the 404 page; a path with a trailing slash is sent to the one without.
async fn fallback(req: Request) -> Response {
    let path = req.uri().path();
    if path.len() > 1 && path.ends_with('/') && !path.starts_with("//") {
        let trimmed = path.trim_end_matches('/');
        let target = match req.uri().query() {
            Some(q) => format!("{trimmed}?{q}"),
            None => trimmed.to_owned(),
        };
        if !trimmed.is_empty() {
            return Redirect::permanent(&target).into_response();
        }
    }
    AppError::NotFound.into_response()
}
