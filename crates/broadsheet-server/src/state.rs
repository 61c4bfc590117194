//! `AppState`: what every handler shares: the application (`broadsheet_app::App`: store,
//! theme, mailer, site settings) and what HTTP adds to it (the search index, the read-through
//! page cache invalidated from the change log, limits, assets, the market strip).

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use broadsheet_search::SearchIndex;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;

use axum::response::Response;
use broadsheet_render::Theme;
use broadsheet_store::{Store, StoreError};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};

use broadsheet_app::{App, AppOptions, Parts, SiteConfig};

use crate::cache::{CachedPage, PageCache};
use crate::error::AppError;
use crate::respond::respond;

/// Feed settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeedOptions {
    /// Whole stories in feeds (`true`) or only their standfirst.
    pub full_text: bool,
    /// Stories per feed.
    pub items: u32,
}

impl Default for FeedOptions {
    fn default() -> Self {
        Self {
            full_text: true,
            items: 20,
        }
    }
}

/// The rendered page a handler produces, before caching and encoding.
pub(crate) struct Rendered {
    pub html: String,
    /// Content keys the page shows (see `broadsheet_store::key_*`).
    pub deps: Vec<String>,
    pub last_modified: Option<chrono::DateTime<chrono::Utc>>,
}

/// Per-client request limits for the expensive public endpoints (search, suggestions, the
/// Content API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Sustained searches per second per client address.
    pub search_per_second: u32,
    /// Searches a client may make in a burst before the sustained rate applies.
    pub search_burst: u32,
    /// Sustained Content API requests per second per client address.
    pub api_per_second: u32,
    /// Content API requests a client may make in a burst.
    pub api_burst: u32,
    /// Seconds a connection has to send each request head (also how long an idle keep-alive
    /// connection is kept); then it is closed.
    pub header_timeout_secs: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            search_per_second: 5,
            search_burst: 30,
            api_per_second: 20,
            api_burst: 100,
            header_timeout_secs: 10,
        }
    }
}

/// How long a rendered page is served from memory at most (see `cache.rs` for why).
const PAGE_MAX_AGE: Duration = Duration::from_secs(60);

/// Market-data settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MarketOptions {
    /// Quotes older than this many days are shown as delayed, with their date.
    pub stale_after_days: i64,
    /// The bearer token a data vendor sends to `POST /api/market/quotes`; pushing is off
    /// without one.
    pub push_token: Option<String>,
    /// Sources polled for prices.
    pub providers: Vec<broadsheet_app::providers::ProviderConfig>,
}

impl Default for MarketOptions {
    fn default() -> Self {
        Self {
            stale_after_days: 4,
            push_token: None,
            providers: Vec::new(),
        }
    }
}

/// Economic-calendar settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CalendarOptions {
    /// The bearer token a data vendor sends to `POST /api/calendar/releases`; pushing is off
    /// without one.
    pub push_token: Option<String>,
}

/// Newsroom settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NewsroomOptions {
    /// Largest photo upload, in megabytes.
    pub upload_max_mb: usize,
    /// Largest photo, in megapixels (a guard against decompression bombs).
    pub upload_max_megapixels: u64,
    /// Sign-in attempts per minute from one client address.
    pub sign_in_per_ip_per_minute: u32,
    /// Sign-in attempts per minute for one account from one client address.
    pub sign_in_per_account_per_minute: u32,
    /// Sign-in attempts per minute for one account from all addresses together.
    pub sign_in_account_ceiling_per_minute: u32,
    /// Mark session cookies `Secure` (set automatically when the base URL is https).
    pub secure_cookies: bool,
}

impl Default for NewsroomOptions {
    fn default() -> Self {
        Self {
            upload_max_mb: 20,
            upload_max_megapixels: 50,
            sign_in_per_ip_per_minute: 20,
            sign_in_per_account_per_minute: 5,
            sign_in_account_ceiling_per_minute: 30,
            secure_cookies: false,
        }
    }
}

impl NewsroomOptions {
    pub(crate) fn upload_limits(&self) -> broadsheet_media::Limits {
        broadsheet_media::Limits {
            max_bytes: self.upload_max_mb.max(1) * 1024 * 1024,
            max_pixels: self.upload_max_megapixels.max(1) * 1_000_000,
        }
    }
}

/// `[proxy]`: the reverse proxies in front of this node.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProxyOptions {
    /// Addresses or networks (`127.0.0.1`, `10.0.0.0/24`) of proxies whose
    /// `X-Forwarded-For` names the client. Empty (the default): the header is ignored.
    #[serde(with = "nets")]
    pub trusted: Vec<IpNet>,
}

/// Networks written as a bare address (one host) or in CIDR notation.
mod nets {
    use std::net::IpAddr;

    use ipnet::IpNet;
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    pub fn serialize<S: Serializer>(nets: &[IpNet], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(nets.iter().map(ToString::to_string))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<IpNet>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|s| {
                let s = s.trim();
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        D::Error::custom(format!(
                            "{s:?} is not an IP address or network (like 10.0.0.0/24)"
                        ))
                    })
            })
            .collect()
    }
}

/// Everything `AppState` is configured with beyond its parts.
#[derive(Clone, Default)]
pub struct Options {
    pub limits: Limits,
    pub market: MarketOptions,
    pub calendar: CalendarOptions,
    pub newsroom: NewsroomOptions,
    /// Where mail goes; without one, to `outbox/` beside the media folder.
    pub mailer: Option<Arc<dyn broadsheet_mail::Mailer>>,
    pub newsletter: broadsheet_app::newsletter::NewsletterOptions,
    pub feeds: FeedOptions,
    pub webhooks: broadsheet_app::webhooks::WebhookOptions,
    pub wire: broadsheet_app::wire::WireOptions,
    pub metrics: crate::metrics::MetricsOptions,
    /// Where media is stored when not in the data directory (S3 for several nodes).
    pub media_store: Option<Arc<dyn broadsheet_media::MediaStorage>>,
    /// The reverse proxies whose `X-Forwarded-For` names the client.
    pub proxy: ProxyOptions,
    /// The application's clock: the system's unless a test gives one it moves by hand.
    pub clock: Option<Arc<dyn broadsheet_app::Clock>>,
}

impl Options {
    /// The application's share of these options.
    pub fn app(&self) -> AppOptions {
        AppOptions {
            mailer: self.mailer.clone(),
            media_store: self.media_store.clone(),
            newsletter: self.newsletter.clone(),
            webhooks: self.webhooks,
            wire: self.wire,
            clock: self.clock.clone(),
        }
    }
}

pub(crate) const PAGE_CACHE_CONTROL: &str = "public, max-age=30, stale-while-revalidate=60";

/// What HTTP adds to the application: the search index pages query, the page cache and its
/// invalidation, theme assets, per-client limits, sessions' settings and the market strip.
pub struct Inner {
    pub app: App,
    pub search: Arc<dyn SearchIndex>,
    pub(crate) newsroom: NewsroomOptions,
    /// `[proxy] trusted`: see `client.rs`.
    pub(crate) trusted_proxies: Vec<ipnet::IpNet>,
    pub(crate) sign_in_limiter: crate::limits::SignInLimiter,
    pub(crate) signup_limiter: DefaultKeyedRateLimiter<IpAddr>,
    pub(crate) cache: Arc<PageCache>,
    /// Theme assets by file name, with their compressed forms made once.
    pub(crate) assets: HashMap<String, Arc<CachedPage>>,
    pub(crate) search_limiter: DefaultKeyedRateLimiter<IpAddr>,
    pub(crate) api_limiter: DefaultKeyedRateLimiter<IpAddr>,
    pub(crate) market_options: MarketOptions,
    pub(crate) calendar_options: CalendarOptions,
    pub(crate) feeds: FeedOptions,
    pub(crate) metrics_options: crate::metrics::MetricsOptions,
    /// The market strip shown on every page, computed once per market change.
    ticker: Arc<std::sync::RwLock<Option<Arc<Vec<crate::market::Quote>>>>>,
}

impl std::ops::Deref for Inner {
    type Target = App;
    fn deref(&self) -> &App {
        &self.app
    }
}

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// The `[wire]` settings this state was made with.
    pub fn wire_options(&self) -> broadsheet_app::wire::WireOptions {
        self.app.wire_options
    }

    /// Builds the application over its parts, then the HTTP state over it.
    pub async fn new(
        store: Arc<dyn Store>,
        search: Arc<dyn SearchIndex>,
        theme: Theme,
        site: SiteConfig,
        media_dir: PathBuf,
        options: Options,
    ) -> Result<Self, StoreError> {
        let app = App::new(Parts {
            store,
            search: Some(search.clone()),
            theme,
            site,
            media_dir,
            options: options.app(),
        })
        .await
        .map_err(|e| match e {
            broadsheet_app::Error::Store(e) => e,
            other => StoreError::Unavailable(other.to_string()),
        })?;
        Ok(Self::over(app, search, options))
    }

    /// The HTTP state over `app`, whose search index pages query.
    pub fn over(app: App, search: Arc<dyn SearchIndex>, options: Options) -> Self {
        let limits = options.limits;
        let per_second = NonZeroU32::new(limits.search_per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(limits.search_burst).unwrap_or(per_second);
        let search_limiter = RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst));
        let api_per_second = NonZeroU32::new(limits.api_per_second).unwrap_or(NonZeroU32::MIN);
        let api_burst = NonZeroU32::new(limits.api_burst).unwrap_or(api_per_second);
        let api_limiter =
            RateLimiter::keyed(Quota::per_second(api_per_second).allow_burst(api_burst));
        let assets = app
            .theme
            .assets()
            .map(|(file, asset)| {
                let page = CachedPage::new(
                    StatusCode::OK,
                    asset.content_type,
                    "public, max-age=31536000, immutable",
                    Bytes::copy_from_slice(&asset.bytes),
                    None,
                );
                (file.to_owned(), Arc::new(page))
            })
            .collect();
        let mut newsroom = options.newsroom;
        newsroom.secure_cookies |= app
            .site()
            .base_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"));
        let signups =
            NonZeroU32::new(options.newsletter.sign_ups_per_minute).unwrap_or(NonZeroU32::MIN);
        let cache = Arc::new(PageCache::new(20_000, PAGE_MAX_AGE));
        let ticker = Arc::new(std::sync::RwLock::new(None));
        {
            // The change log reaches the page cache and the market strip through the
            // application's `sync_changes`.
            let cache = cache.clone();
            let ticker = ticker.clone();
            app.on_change(Box::new(move |keys: &[String]| {
                cache.invalidate(keys);
                if keys
                    .iter()
                    .any(|k| k == broadsheet_store::KEY_MARKET || k == broadsheet_store::KEY_ALL)
                {
                    *ticker.write().unwrap_or_else(|e| e.into_inner()) = None;
                }
            }));
        }
        Self(Arc::new(Inner {
            signup_limiter: RateLimiter::keyed(Quota::per_minute(signups).allow_burst(signups)),
            trusted_proxies: options.proxy.trusted.clone(),
            sign_in_limiter: crate::limits::SignInLimiter::new(
                newsroom.sign_in_per_ip_per_minute,
                newsroom.sign_in_per_account_per_minute,
                newsroom.sign_in_account_ceiling_per_minute,
            ),
            newsroom,
            assets,
            search,
            search_limiter,
            api_limiter,
            market_options: options.market,
            calendar_options: options.calendar,
            feeds: options.feeds,
            metrics_options: options.metrics.clone(),
            ticker,
            cache,
            app,
        }))
    }

    /// Counts one search by the client at `ip` against its allowance (pages, suggestions and
    /// the Content API's search share it).
    pub(crate) fn check_search_rate(&self, ip: IpAddr) -> Result<(), AppError> {
        use governor::clock::{Clock, DefaultClock};
        self.search_limiter.check_key(&ip).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            AppError::TooManyRequests {
                retry_after_secs: wait.as_secs() + 1,
            }
        })
    }

    /// The instruments shown in the market strip, with their latest quotes.
    pub(crate) async fn ticker(&self) -> Result<Arc<Vec<crate::market::Quote>>, StoreError> {
        if let Some(t) = self
            .ticker
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            return Ok(t.clone());
        }
        let quotes = Arc::new(broadsheet_app::quotes::strip(self, self.fresh_since()).await?);
        *self.ticker.write().unwrap_or_else(|e| e.into_inner()) = Some(quotes.clone());
        Ok(quotes)
    }

    /// Quotes from before this day are shown as delayed.
    pub(crate) fn fresh_since(&self) -> chrono::NaiveDate {
        chrono::Utc::now().date_naive()
            - chrono::Duration::days(self.market_options.stale_after_days.max(0))
    }

    pub fn cached_pages(&self) -> usize {
        self.cache.len()
    }

    /// Serves `key` from the page cache, or renders it with `render`, stores and serves it.
    pub(crate) async fn cached<F>(
        &self,
        key: String,
        headers: &HeaderMap,
        render: F,
    ) -> Result<Response, AppError>
    where
        F: Future<Output = Result<Rendered, AppError>>,
    {
        self.cached_as(key, headers, "text/html; charset=utf-8", render)
            .await
    }

    /// `cached` for a document that is not an HTML page (feeds, sitemaps, robots.txt).
    pub(crate) async fn cached_as<F>(
        &self,
        key: String,
        headers: &HeaderMap,
        content_type: &'static str,
        render: F,
    ) -> Result<Response, AppError>
    where
        F: Future<Output = Result<Rendered, AppError>>,
    {
        if let Some(page) = self.cache.get(&key) {
            crate::metrics::Metrics::add(&crate::metrics::METRICS.cache_hits, 1);
            return Ok(respond(&page, headers));
        }
        crate::metrics::Metrics::add(&crate::metrics::METRICS.cache_misses, 1);
        let generation = self.cache.generation();
        let rendered = render.await?;
        let page = Arc::new(CachedPage::new(
            StatusCode::OK,
            content_type,
            PAGE_CACHE_CONTROL,
            Bytes::from(rendered.html),
            rendered.last_modified,
        ));
        let response = respond(&page, headers);
        self.cache.insert(generation, key, rendered.deps, page);
        Ok(response)
    }
}
