//! `AppState`: what every handler shares (store, theme, page cache, site settings), and the
//! read-through page cache with change-log driven invalidation.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use broadsheet_search::SearchIndex;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use axum::response::Response;
use broadsheet_render::Theme;
use broadsheet_store::{Store, StoreError};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};

use crate::cache::{CachedPage, PageCache};
use crate::error::AppError;
use crate::respond::respond;
use crate::search_sync::{self, SyncError};

/// Site-wide settings shown on pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SiteConfig {
    /// The publication's name, shown in the masthead and titles.
    pub name: String,
    /// One line under the name.
    pub tagline: String,
    /// BCP 47 language of the content (`lang` of every page).
    pub language: String,
    /// Public base URL (`https://news.example.com`), for canonical links and the links in
    /// e-mails. An `https` base URL also makes session cookies `Secure`.
    pub base_url: Option<String>,
    /// IANA time zone the newsroom schedules in (`Europe/London`).
    pub time_zone: String,
    /// Path under /media/ of the masthead logo, if any.
    pub logo: Option<String>,
}

impl SiteConfig {
    /// The newsroom's time zone; an unknown name (only a hand-edited config has one) is UTC.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.time_zone.parse().unwrap_or(chrono_tz::UTC)
    }

    /// The absolute URL of `path` for links that leave the site (e-mails), or the path alone
    /// without a base URL.
    pub fn url(&self, path: &str) -> String {
        match &self.base_url {
            Some(base) => format!("{}{path}", base.trim_end_matches('/')),
            None => path.to_owned(),
        }
    }

    /// Scheme and host for the absolute URLs of feeds, sitemaps and structured data. `serve`
    /// sets the base URL to the address it listens on when none is configured, so this is
    /// `http://localhost` only for a state built without one (tests). Never taken from the
    /// request's Host header: a cached page must not carry a URL a client chose.
    pub fn origin(&self) -> String {
        self.base_url
            .as_deref()
            .map_or("http://localhost", |b| b.trim_end_matches('/'))
            .to_owned()
    }

    /// The publication as the syndication crate sees it.
    pub fn syndication(&self) -> broadsheet_syndication::Site {
        broadsheet_syndication::Site {
            name: self.name.clone(),
            tagline: self.tagline.clone(),
            language: self.language.clone(),
            origin: self.origin(),
            logo: self.logo.clone(),
        }
    }
}

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

/// Settings the admin edits, stored in the database and layered over the configuration.
pub(crate) const SITE_SETTINGS: [&str; 5] = [
    "site.name",
    "site.tagline",
    "site.language",
    "site.time_zone",
    "site.logo",
];

impl Default for SiteConfig {
    fn default() -> Self {
        Self {
            name: "Broadsheet".into(),
            tagline: "News that matters, served fast".into(),
            language: "en".into(),
            base_url: None,
            time_zone: "UTC".into(),
            logo: None,
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
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            search_per_second: 5,
            search_burst: 30,
            api_per_second: 20,
            api_burst: 100,
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
    pub providers: Vec<crate::providers::ProviderConfig>,
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
    /// Sign-in attempts per minute for one account.
    pub sign_in_per_account_per_minute: u32,
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

/// Everything `AppState` is configured with beyond its parts.
#[derive(Clone, Default)]
pub struct Options {
    pub limits: Limits,
    pub market: MarketOptions,
    pub newsroom: NewsroomOptions,
    /// Where mail goes; without one, to `outbox/` beside the media folder.
    pub mailer: Option<Arc<dyn broadsheet_mail::Mailer>>,
    pub newsletter: crate::newsletter::NewsletterOptions,
    pub feeds: FeedOptions,
    pub webhooks: crate::webhooks::WebhookOptions,
    pub wire: crate::wire::WireOptions,
    pub metrics: crate::metrics::MetricsOptions,
    /// Where media is stored when not in the data directory (S3 for several nodes).
    pub media_store: Option<Arc<dyn broadsheet_media::MediaStorage>>,
    /// The reverse proxies whose `X-Forwarded-For` names the client.
    pub proxy: crate::client::ProxyOptions,
}

/// The newsletter's settings and what they need at run time.
pub(crate) struct NewsletterState {
    pub options: crate::newsletter::NewsletterOptions,
    /// The key signed links are made with (kept in the database, made once).
    pub secret: Vec<u8>,
    pub lease_secs: i64,
    pub signup_limiter: DefaultKeyedRateLimiter<IpAddr>,
}

pub(crate) const PAGE_CACHE_CONTROL: &str = "public, max-age=30, stale-while-revalidate=60";

pub struct Inner {
    pub store: Arc<dyn Store>,
    pub search: Arc<dyn SearchIndex>,
    pub theme: Theme,
    /// The site as configured; `site()` layers the admin's settings over it.
    base_site: SiteConfig,
    site: std::sync::RwLock<Arc<SiteConfig>>,
    pub media_dir: PathBuf,
    pub(crate) media_store: Arc<dyn broadsheet_media::MediaStorage>,
    /// Media lives in a shared store (S3), not in `media_dir`: `/media` reads it from there.
    pub(crate) media_remote: bool,
    pub mailer: Arc<dyn broadsheet_mail::Mailer>,
    pub(crate) newsroom: NewsroomOptions,
    /// `[proxy] trusted`: see `client.rs`.
    pub(crate) trusted_proxies: Vec<ipnet::IpNet>,
    pub(crate) sign_in_limiter: crate::auth::SignInLimiter,
    pub(crate) newsletter: NewsletterState,
    /// A newsletter job is running in this process.
    newsletter_busy: AtomicBool,
    pub(crate) cache: PageCache,
    /// Theme assets by file name, with their compressed forms made once.
    pub(crate) assets: HashMap<String, Arc<CachedPage>>,
    change_seq: tokio::sync::Mutex<i64>,
    pub(crate) search_limiter: DefaultKeyedRateLimiter<IpAddr>,
    pub(crate) api_limiter: DefaultKeyedRateLimiter<IpAddr>,
    pub(crate) market_options: MarketOptions,
    pub(crate) feeds: FeedOptions,
    pub(crate) webhook_options: crate::webhooks::WebhookOptions,
    pub(crate) wire_options: crate::wire::WireOptions,
    pub(crate) metrics_options: crate::metrics::MetricsOptions,
    pub(crate) webhook_client: reqwest::Client,
    rebuilding: AtomicBool,
    /// The market strip shown on every page, computed once per market change.
    ticker: std::sync::RwLock<Option<Arc<Vec<crate::market::Quote>>>>,
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
    pub fn wire_options(&self) -> crate::wire::WireOptions {
        self.wire_options
    }

    pub async fn new(
        store: Arc<dyn Store>,
        search: Arc<dyn SearchIndex>,
        theme: Theme,
        site: SiteConfig,
        media_dir: PathBuf,
        options: Options,
    ) -> Result<Self, StoreError> {
        let limits = options.limits;
        let per_second = NonZeroU32::new(limits.search_per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(limits.search_burst).unwrap_or(per_second);
        let search_limiter = RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst));
        let api_per_second = NonZeroU32::new(limits.api_per_second).unwrap_or(NonZeroU32::MIN);
        let api_burst = NonZeroU32::new(limits.api_burst).unwrap_or(api_per_second);
        let api_limiter =
            RateLimiter::keyed(Quota::per_second(api_per_second).allow_burst(api_burst));
        // Made before the change-log head is read: creating it logs a change that must not
        // empty this process's fresh cache later.
        // Every node must sign links with the same secret: the first to start stores it.
        let secret = match store.setting("secret.links").await? {
            Some(s) if s.len() >= 64 => s,
            Some(_) => {
                let s = crate::auth::random_token();
                store.set_setting("secret.links", &s).await?;
                s
            }
            None => {
                store
                    .setting_or_init("secret.links", &crate::auth::random_token())
                    .await?
            }
        };
        let head = store.change_head().await?;
        let assets = theme
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
        newsroom.secure_cookies |= site
            .base_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"));
        let mailer = options.mailer.unwrap_or_else(|| {
            let outbox = media_dir
                .parent()
                .map_or_else(|| media_dir.join("outbox"), |d| d.join("outbox"));
            let from = format!(
                "{} <newsroom@localhost>",
                site.name.replace(['<', '>', '"'], "")
            );
            Arc::new(broadsheet_mail::Outbox::new(&outbox, &from))
        });
        let signups =
            NonZeroU32::new(options.newsletter.sign_ups_per_minute).unwrap_or(NonZeroU32::MIN);
        let newsletter = NewsletterState {
            lease_secs: options.newsletter.lease_secs,
            options: options.newsletter.clone(),
            secret: secret.into_bytes(),
            signup_limiter: RateLimiter::keyed(Quota::per_minute(signups).allow_burst(signups)),
        };
        let state = Self(Arc::new(Inner {
            newsletter,
            newsletter_busy: AtomicBool::new(false),
            media_remote: options.media_store.is_some(),
            media_store: options
                .media_store
                .clone()
                .unwrap_or_else(|| Arc::new(broadsheet_media::LocalDir::new(&media_dir))),
            mailer: Arc::new(crate::metrics::CountingMailer(mailer)),
            trusted_proxies: options.proxy.trusted.clone(),
            sign_in_limiter: crate::auth::SignInLimiter::new(
                newsroom.sign_in_per_ip_per_minute,
                newsroom.sign_in_per_account_per_minute,
            ),
            newsroom,
            site: std::sync::RwLock::new(Arc::new(site.clone())),
            base_site: site,
            assets,
            store,
            search,
            search_limiter,
            api_limiter,
            market_options: options.market,
            feeds: options.feeds,
            webhook_options: options.webhooks,
            wire_options: options.wire,
            metrics_options: options.metrics.clone(),
            webhook_client: crate::webhooks::client(&options.webhooks),
            rebuilding: AtomicBool::new(false),
            ticker: std::sync::RwLock::new(None),
            theme,
            media_dir,
            cache: PageCache::new(20_000, PAGE_MAX_AGE),
            change_seq: tokio::sync::Mutex::new(head),
        }));
        state.refresh_site().await?;
        Ok(state)
    }

    /// The site's settings as pages show them now.
    pub fn site(&self) -> Arc<SiteConfig> {
        self.site.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Re-reads the admin's settings over the configured ones.
    async fn refresh_site(&self) -> Result<(), StoreError> {
        let mut site = self.base_site.clone();
        for key in SITE_SETTINGS {
            let Some(value) = self.store.setting(key).await? else {
                continue;
            };
            match key {
                "site.name" => site.name = value,
                "site.tagline" => site.tagline = value,
                "site.language" => site.language = value,
                "site.time_zone" => site.time_zone = value,
                "site.logo" => site.logo = (!value.is_empty()).then_some(value),
                _ => {}
            }
        }
        *self.site.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(site);
        Ok(())
    }

    /// Publishes the scheduled stories whose time has come and brings caches and the index up
    /// to date; returns how many went out.
    pub async fn publish_due(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<usize, SyncError> {
        let ids = self.store.publish_due(now).await?;
        crate::metrics::Metrics::add(&crate::metrics::METRICS.published, ids.len() as u64);
        if !ids.is_empty() {
            tracing::info!(articles = ?ids, "scheduled stories published");
            self.sync_changes().await?;
        }
        Ok(ids.len())
    }

    /// On a site without accounts, a one-time link (valid for a day) that creates the first
    /// administrator; `None` once anyone has an account.
    pub async fn setup_link(&self) -> Result<Option<String>, StoreError> {
        if self.store.user_count().await? > 0 {
            return Ok(None);
        }
        let token = crate::auth::random_token();
        self.store
            .create_token(
                broadsheet_store::TokenKind::Setup,
                &crate::auth::token_hash(&token),
                None,
                chrono::Utc::now() + chrono::Duration::hours(crate::auth::SETUP_HOURS),
            )
            .await?;
        Ok(Some(format!("/admin/setup/{token}")))
    }

    /// Runs `publish_due` every `every`, and the newsletter's jobs (the daily digest when its
    /// time comes, resuming a send a restart interrupted, expiring unconfirmed sign-ups).
    pub fn spawn_scheduler(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let state = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut first = true;
            loop {
                tick.tick().await;
                let now = chrono::Utc::now();
                if let Err(e) = state.publish_due(now).await {
                    tracing::warn!(error = %e, "cannot publish scheduled stories");
                }
                // The newsletter runs beside the scheduler, never in its way: a long send (or
                // one waiting on retries) must not hold up scheduled stories.
                if !state.newsletter_busy.swap(true, Ordering::AcqRel) {
                    let job = state.clone();
                    let resume = std::mem::take(&mut first);
                    tokio::spawn(async move {
                        if resume
                            && let Err(e) = crate::newsletter::send::resume_unfinished(&job).await
                        {
                            tracing::warn!(error = %e, "cannot resume a newsletter send");
                        }
                        if let Err(e) = crate::newsletter::send::run_digest(&job, now, false).await
                        {
                            tracing::warn!(error = %e, "cannot send the daily digest");
                        }
                        job.newsletter_busy.store(false, Ordering::Release);
                    });
                }
                let hours = state.newsletter.options.confirm_hours.max(1);
                match state
                    .store
                    .expire_pending(now - chrono::Duration::hours(hours))
                    .await
                {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(expired = n, "unconfirmed sign-ups removed"),
                    Err(e) => tracing::warn!(error = %e, "cannot expire sign-ups"),
                }
            }
        })
    }

    /// Reads the change log since the last call, drops the cached pages it touches and brings
    /// the search index up to date. Returns how many cache keys were invalidated.
    pub async fn sync_changes(&self) -> Result<usize, SyncError> {
        let mut seq = self.change_seq.lock().await;
        let mut total = 0;
        loop {
            let changes = self.store.changes_since(*seq).await?;
            if changes.upto == *seq {
                break;
            }
            self.cache.invalidate(&changes.keys);
            if changes
                .keys
                .iter()
                .any(|k| k == broadsheet_store::KEY_MARKET || k == broadsheet_store::KEY_ALL)
            {
                *self.ticker.write().unwrap_or_else(|e| e.into_inner()) = None;
            }
            if changes.keys.iter().any(|k| k == broadsheet_store::KEY_ALL) {
                self.refresh_site().await?;
            }
            total += changes.keys.len();
            *seq = changes.upto;
        }
        if !self.rebuilding.load(Ordering::Acquire) {
            search_sync::catch_up(self.store.as_ref(), &self.search).await?;
        }
        Ok(total)
    }

    /// Rebuilds the search index from the database in the background; searches meanwhile
    /// see what is indexed so far.
    pub fn spawn_search_rebuild(&self) -> tokio::task::JoinHandle<()> {
        let state = self.clone();
        self.rebuilding.store(true, Ordering::Release);
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let result = search_sync::rebuild(state.store.as_ref(), &state.search, |_, _| {}).await;
            state.rebuilding.store(false, Ordering::Release);
            match result {
                Ok(n) => tracing::info!(
                    articles = n,
                    seconds = started.elapsed().as_secs_f32(),
                    "search index rebuilt"
                ),
                Err(e) => tracing::error!(error = %e, "cannot rebuild the search index"),
            }
            if let Err(e) = state.sync_changes().await {
                tracing::warn!(error = %e, "cannot catch up after the rebuild");
            }
        })
    }

    /// Reads the change log whenever the store says another writer committed (a `NOTIFY` on
    /// PostgreSQL) and at least every `every`, so writes by other processes (an import,
    /// another node) reach this node's cache at once, or within that time.
    pub fn spawn_change_watcher(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let state = self.clone();
        tokio::spawn(async move {
            loop {
                state.store.wait_for_change(every).await;
                if let Err(e) = state.sync_changes().await {
                    tracing::warn!(error = %e, "cannot read the change log");
                }
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
        let fresh_since = self.fresh_since();
        let mut quotes = Vec::new();
        for i in self
            .store
            .instruments()
            .await?
            .into_iter()
            .filter(|i| i.in_ticker)
        {
            let bars = self.store.latest_bars(i.id, 2).await?;
            quotes.extend(crate::market::quote(&i, &bars, fresh_since));
        }
        let quotes = Arc::new(quotes);
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
