//! `AppState`: what every handler shares (store, theme, page cache, site settings), and the
//! read-through page cache with change-log driven invalidation.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::response::Response;
use broadsheet_render::Theme;
use broadsheet_store::{Store, StoreError};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};

use crate::cache::{CachedPage, PageCache};
use crate::error::AppError;
use crate::respond::respond;

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
    /// Public base URL (`https://news.example.com`), for canonical links.
    pub base_url: Option<String>,
}

impl Default for SiteConfig {
    fn default() -> Self {
        Self {
            name: "Broadsheet".into(),
            tagline: "News that matters, served fast".into(),
            language: "en".into(),
            base_url: None,
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

pub(crate) const PAGE_CACHE_CONTROL: &str = "public, max-age=30, stale-while-revalidate=60";

pub struct Inner {
    pub store: Arc<dyn Store>,
    pub theme: Theme,
    pub site: SiteConfig,
    pub media_dir: PathBuf,
    pub(crate) cache: PageCache,
    /// Theme assets by file name, with their compressed forms made once.
    pub(crate) assets: HashMap<String, Arc<CachedPage>>,
    change_seq: tokio::sync::Mutex<i64>,
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
    pub async fn new(
        store: Arc<dyn Store>,
        theme: Theme,
        site: SiteConfig,
        media_dir: PathBuf,
    ) -> Result<Self, StoreError> {
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
        Ok(Self(Arc::new(Inner {
            assets,
            store,
            theme,
            site,
            media_dir,
            cache: PageCache::new(20_000),
            change_seq: tokio::sync::Mutex::new(head),
        })))
    }

    /// Reads the change log since the last call and drops the cached pages it touches.
    /// Returns how many keys were invalidated.
    pub async fn sync_changes(&self) -> Result<usize, StoreError> {
        let mut seq = self.change_seq.lock().await;
        let mut total = 0;
        loop {
            let changes = self.store.changes_since(*seq).await?;
            if changes.upto == *seq {
                return Ok(total);
            }
            self.cache.invalidate(&changes.keys);
            total += changes.keys.len();
            *seq = changes.upto;
        }
    }

    /// Polls the change log every `every`, so writes by other processes (an import, another
    /// node) reach this node's cache within that time.
    pub fn spawn_change_watcher(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let state = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = state.sync_changes().await {
                    tracing::warn!(error = %e, "cannot read the change log");
                }
            }
        })
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
        if let Some(page) = self.cache.get(&key) {
            return Ok(respond(&page, headers));
        }
        let generation = self.cache.generation();
        let rendered = render.await?;
        let page = Arc::new(CachedPage::new(
            StatusCode::OK,
            "text/html; charset=utf-8",
            PAGE_CACHE_CONTROL,
            Bytes::from(rendered.html),
            rendered.last_modified,
        ));
        let response = respond(&page, headers);
        self.cache.insert(generation, key, rendered.deps, page);
        Ok(response)
    }
}
