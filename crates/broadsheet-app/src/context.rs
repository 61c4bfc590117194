//! `App`, the context every use case runs over: the store, the search index (when this
//! process keeps one), the theme (e-mail templates), the mailer, media storage, the site's
//! settings, the clock and the options. Built once by `serve`, `worker` or a CLI command; the
//! HTTP state wraps one and adds only what HTTP needs (page cache, limiters, sessions).
//!
//! Keeping caches current is the context's job too: `sync_changes` reads the change log, tells
//! the registered listeners (the server's page cache) which keys changed, re-reads the site
//! settings when they may have changed, and brings the search index up to date.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use broadsheet_mail::Mailer;
use broadsheet_media::MediaStorage;
use broadsheet_render::Theme;
use broadsheet_search::SearchIndex;
use broadsheet_store::{Store, StoreError};
use chrono::{DateTime, Utc};

use crate::clock::{Clock, SystemClock};
use crate::error::Error;
use crate::options::{NewsletterOptions, WebhookOptions, WireOptions};
use crate::site::{SITE_SETTINGS, SiteConfig};

/// What an `App` is built from.
pub struct Parts {
    pub store: Arc<dyn Store>,
    /// The index this process keeps current; `None` for a command that leaves it to the
    /// server (it catches up from the change log).
    pub search: Option<Arc<dyn SearchIndex>>,
    pub theme: Theme,
    pub site: SiteConfig,
    /// `media/` in the data directory; `outbox/`, `journal/` and `wire/` sit beside it.
    pub media_dir: PathBuf,
    pub options: AppOptions,
}

/// The application's settings and its replaceable parts.
#[derive(Clone, Default)]
pub struct AppOptions {
    /// Where mail goes; without one, to `outbox/` beside the media folder.
    pub mailer: Option<Arc<dyn Mailer>>,
    /// Where media is stored when not in the data directory (S3 for several nodes).
    pub media_store: Option<Arc<dyn MediaStorage>>,
    pub newsletter: NewsletterOptions,
    pub webhooks: WebhookOptions,
    pub wire: WireOptions,
    /// The system clock unless a test gives another.
    pub clock: Option<Arc<dyn Clock>>,
}

/// Called with the content keys a batch of changes touched.
pub type ChangeListener = Box<dyn Fn(&[String]) + Send + Sync>;

/// The newsletter's settings and the key its links are signed with.
pub struct NewsletterConfig {
    pub options: NewsletterOptions,
    /// The key signed links are made with (kept in the database, made once, shared by nodes).
    pub secret: Vec<u8>,
}

impl NewsletterConfig {
    /// How long a claimed row is a sender's before another may take it.
    pub fn lease_secs(&self) -> i64 {
        self.options.lease_secs.max(2)
    }
}

pub struct Core {
    pub store: Arc<dyn Store>,
    pub index: Option<Arc<dyn SearchIndex>>,
    pub theme: Theme,
    pub media_dir: PathBuf,
    pub media_store: Arc<dyn MediaStorage>,
    /// Media lives in a shared store (S3), not in `media_dir`.
    pub media_remote: bool,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
    pub newsletter: NewsletterConfig,
    pub webhook_options: WebhookOptions,
    pub wire_options: WireOptions,
    /// The site as configured; `site()` layers the admin's settings over it.
    base_site: SiteConfig,
    site: RwLock<Arc<SiteConfig>>,
    change_seq: tokio::sync::Mutex<i64>,
    rebuilding: AtomicBool,
    listeners: RwLock<Vec<ChangeListener>>,
}

/// The application context; cheap to clone.
#[derive(Clone)]
pub struct App(Arc<Core>);

impl std::ops::Deref for App {
    type Target = Core;
    fn deref(&self) -> &Core {
        &self.0
    }
}

impl App {
    /// Builds the context: makes the link secret on a new site (the first node to start
    /// stores it; every node signs with it) and reads the admin's settings.
    pub async fn new(parts: Parts) -> Result<Self, Error> {
        let Parts {
            store,
            search,
            theme,
            site,
            media_dir,
            options,
        } = parts;
        let secret = match store.setting("secret.links").await? {
            Some(s) if s.len() >= 64 => s,
            Some(_) => {
                let s = crate::secrets::random_token();
                store.set_setting("secret.links", &s).await?;
                s
            }
            None => {
                store
                    .setting_or_init("secret.links", &crate::secrets::random_token())
                    .await?
            }
        };
        // Read after the secret is made: making it logs a change that must not empty a
        // fresh cache later.
        let head = store.change_head().await?;
        let mailer = options.mailer.clone().unwrap_or_else(|| {
            let outbox = media_dir
                .parent()
                .map_or_else(|| media_dir.join("outbox"), |d| d.join("outbox"));
            let from = format!(
                "{} <newsroom@localhost>",
                site.name.replace(['<', '>', '"'], "")
            );
            Arc::new(broadsheet_mail::Outbox::new(&outbox, &from))
        });
        let app = Self(Arc::new(Core {
            newsletter: NewsletterConfig {
                options: options.newsletter.clone(),
                secret: secret.into_bytes(),
            },
            media_remote: options.media_store.is_some(),
            media_store: options
                .media_store
                .clone()
                .unwrap_or_else(|| Arc::new(broadsheet_media::LocalDir::new(&media_dir))),
            mailer: Arc::new(crate::metrics::CountingMailer(mailer)),
            clock: options
                .clock
                .clone()
                .unwrap_or_else(|| Arc::new(SystemClock)),
            webhook_options: options.webhooks,
            wire_options: options.wire,
            site: RwLock::new(Arc::new(site.clone())),
            base_site: site,
            store,
            index: search,
            theme,
            media_dir,
            change_seq: tokio::sync::Mutex::new(head),
            rebuilding: AtomicBool::new(false),
            listeners: RwLock::new(Vec::new()),
        }));
        app.refresh_site().await?;
        Ok(app)
    }

    /// Now, by the context's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The site's settings as they are now.
    pub fn site(&self) -> Arc<SiteConfig> {
        self.site.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The data directory: the folder that holds `media/`.
    pub fn data_dir(&self) -> PathBuf {
        self.media_dir
            .parent()
            .map_or_else(|| self.media_dir.clone(), std::path::Path::to_path_buf)
    }

    /// The site's absolute public address, or an error saying how to set it: mail carries
    /// links that must work outside the site.
    pub fn mail_base(&self) -> Result<String, Error> {
        self.site()
            .absolute_base()
            .map(|b| b.trim_end_matches('/').to_owned())
            .ok_or_else(|| {
                Error::Config(
                    "mail needs the site's public address for its links: set base_url under \
                     [site] in the configuration file (or BROADSHEET_SITE__BASE_URL=https://…)"
                        .into(),
                )
            })
    }

    /// `f` is called with the keys of every batch of changes `sync_changes` reads.
    pub fn on_change(&self, f: ChangeListener) {
        self.listeners
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(f);
    }

    /// Re-reads the admin's settings over the configured ones.
    async fn refresh_site(&self) -> Result<(), StoreError> {
        let mut stored = Vec::new();
        for key in SITE_SETTINGS {
            if let Some(value) = self.store.setting(key).await? {
                stored.push((key, value));
            }
        }
        let site = self.base_site.clone().with_settings(stored);
        *self.site.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(site);
        Ok(())
    }

    /// Publishes the scheduled stories whose time has come and brings caches and the index up
    /// to date; returns how many went out.
    pub async fn publish_due(&self, now: DateTime<Utc>) -> Result<usize, Error> {
        let ids = self.store.publish_due(now).await?;
        crate::metrics::add(&crate::metrics::METRICS.published, ids.len() as u64);
        if !ids.is_empty() {
            tracing::info!(articles = ?ids, "scheduled stories published");
            self.sync_changes().await?;
        }
        Ok(ids.len())
    }

    /// Reads the change log since the last call, tells the listeners what it touched and
    /// brings the search index up to date. Returns how many cache keys were invalidated.
    pub async fn sync_changes(&self) -> Result<usize, Error> {
        let mut seq = self.change_seq.lock().await;
        let mut total = 0;
        loop {
            let changes = self.store.changes_since(*seq).await?;
            if changes.upto == *seq {
                break;
            }
            for listener in self
                .listeners
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
            {
                listener(&changes.keys);
            }
            if changes.keys.iter().any(|k| k == broadsheet_store::KEY_ALL) {
                self.refresh_site().await?;
            }
            total += changes.keys.len();
            *seq = changes.upto;
        }
        if let Some(index) = &self.index
            && !self.rebuilding.load(Ordering::Acquire)
        {
            crate::search_sync::catch_up(self.store.as_ref(), index).await?;
        }
        Ok(total)
    }

    /// Rebuilds the search index from the database in the background; searches meanwhile
    /// see what is indexed so far.
    pub fn spawn_search_rebuild(&self) -> tokio::task::JoinHandle<()> {
        let app = self.clone();
        self.rebuilding.store(true, Ordering::Release);
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            if let Some(index) = &app.index {
                let result =
                    crate::search_sync::rebuild(app.store.as_ref(), index, |_, _| {}).await;
                match result {
                    Ok(n) => tracing::info!(
                        articles = n,
                        seconds = started.elapsed().as_secs_f32(),
                        "search index rebuilt"
                    ),
                    Err(e) => tracing::error!(error = %e, "cannot rebuild the search index"),
                }
            }
            app.rebuilding.store(false, Ordering::Release);
            if let Err(e) = app.sync_changes().await {
                tracing::warn!(error = %e, "cannot catch up after the rebuild");
            }
        })
    }
}

/// The host part of Message-IDs and addresses: the base URL's host, else `localhost`.
pub(crate) fn mail_host(site: &SiteConfig) -> String {
    site.base_url
        .as_deref()
        .and_then(|u| u.split("://").nth(1))
        .map(|h| h.split(['/', ':']).next().unwrap_or("localhost").to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}
