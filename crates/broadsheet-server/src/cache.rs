//! The in-memory cache of rendered pages. Each entry records the content keys it shows
//! (`article:12`, `section:3`, `home`, …); a change to any of them drops the entry. A render
//! that raced with an invalidation is served but not stored, so the cache never keeps a page
//! older than the last change it was told about. Entries also expire after a minute, because
//! time itself changes what a page shows: a story scheduled for 09:00 must appear at 09:00 even
//! if nothing is written then.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use broadsheet_store::KEY_ALL;
use bytes::Bytes;
use http::{HeaderValue, StatusCode};

/// A rendered response body with its validators and lazily made compressed variants.
pub struct CachedPage {
    pub status: StatusCode,
    pub content_type: &'static str,
    pub cache_control: &'static str,
    pub body: Bytes,
    pub etag: HeaderValue,
    pub last_modified: Option<HeaderValue>,
    pub gzip: OnceLock<Bytes>,
    pub brotli: OnceLock<Bytes>,
    pub created: Instant,
}

impl CachedPage {
    pub fn new(
        status: StatusCode,
        content_type: &'static str,
        cache_control: &'static str,
        body: Bytes,
        last_modified: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Self {
        let hash = xxhash_rust::xxh3::xxh3_64(&body);
        let etag = HeaderValue::from_str(&format!("W/\"{hash:016x}\""))
            .unwrap_or_else(|_| HeaderValue::from_static("W/\"0\""));
        let last_modified = last_modified.and_then(|t| {
            HeaderValue::from_str(&t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()).ok()
        });
        Self {
            status,
            content_type,
            cache_control,
            body,
            etag,
            last_modified,
            gzip: OnceLock::new(),
            brotli: OnceLock::new(),
            created: Instant::now(),
        }
    }
}

struct Inner {
    pages: HashMap<String, (Arc<CachedPage>, Vec<String>)>,
    by_dep: HashMap<String, HashSet<String>>,
    order: VecDeque<String>,
}

pub struct PageCache {
    inner: RwLock<Inner>,
    generation: AtomicU64,
    capacity: usize,
    max_age: Duration,
}

impl PageCache {
    pub fn new(capacity: usize, max_age: Duration) -> Self {
        Self {
            inner: RwLock::new(Inner {
                pages: HashMap::new(),
                by_dep: HashMap::new(),
                order: VecDeque::new(),
            }),
            generation: AtomicU64::new(0),
            capacity: capacity.max(1),
            max_age,
        }
    }

    pub fn get(&self, key: &str) -> Option<Arc<CachedPage>> {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        // An expired entry reads as a miss; the fresh render replaces it.
        inner
            .pages
            .get(key)
            .filter(|(page, _)| page.created.elapsed() < self.max_age)
            .map(|(page, _)| page.clone())
    }

    /// Taken before reading the content a page shows; passed back to `insert`.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Stores `page` unless an invalidation happened since `generation` was taken.
    pub fn insert(&self, generation: u64, key: String, deps: Vec<String>, page: Arc<CachedPage>) {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        while inner.pages.len() >= self.capacity {
            let Some(old) = inner.order.pop_front() else {
                break;
            };
            remove(&mut inner, &old);
        }
        // Replacing an expired entry keeps its place in the eviction order.
        let existed = inner.pages.contains_key(&key);
        remove(&mut inner, &key);
        for dep in &deps {
            inner
                .by_dep
                .entry(dep.clone())
                .or_default()
                .insert(key.clone());
        }
        inner.pages.insert(key.clone(), (page, deps));
        if !existed {
            inner.order.push_back(key);
        }
    }

    /// Drops every page that depends on any of `keys` (all pages for `all`).
    pub fn invalidate<S: AsRef<str>>(&self, keys: &[S]) {
        if keys.is_empty() {
            return;
        }
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        if keys.iter().any(|k| k.as_ref() == KEY_ALL) {
            inner.pages.clear();
            inner.by_dep.clear();
            inner.order.clear();
            return;
        }
        for key in keys {
            if let Some(pages) = inner.by_dep.remove(key.as_ref()) {
                for page in pages {
                    remove(&mut inner, &page);
                }
            }
        }
        if inner.order.len() > inner.pages.len() * 2 + 64 {
            let Inner { pages, order, .. } = &mut *inner;
            order.retain(|k| pages.contains_key(k));
        }
    }

    pub fn len(&self) -> usize {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .pages
            .len()
    }
}

fn remove(inner: &mut Inner, key: &str) {
    if let Some((_, deps)) = inner.pages.remove(key) {
        for dep in deps {
            if let Some(set) = inner.by_dep.get_mut(&dep) {
                set.remove(key);
                if set.is_empty() {
                    inner.by_dep.remove(&dep);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    fn page(body: &'static str) -> Arc<CachedPage> {
        Arc::new(CachedPage::new(
            StatusCode::OK,
            "text/html",
            "public",
            Bytes::from(body),
            None,
        ))
    }

    fn deps(d: &[&str]) -> Vec<String> {
        d.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn invalidation_drops_exactly_the_dependent_pages() {
        let cache = PageCache::new(100, MINUTE);
        let g = cache.generation();
        cache.insert(g, "/".into(), deps(&["home"]), page("home"));
        cache.insert(
            g,
            "/article/a".into(),
            deps(&["article:1", "section:2"]),
            page("a"),
        );
        cache.insert(
            g,
            "/article/b".into(),
            deps(&["article:2", "section:3"]),
            page("b"),
        );
        cache.invalidate(&["article:1", "home"]);
        assert!(cache.get("/").is_none());
        assert!(cache.get("/article/a").is_none());
        assert!(cache.get("/article/b").is_some());
        cache.invalidate(&["all"]);
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn a_render_that_raced_an_invalidation_is_not_stored() {
        let cache = PageCache::new(100, MINUTE);
        let g = cache.generation();
        cache.invalidate(&["article:9"]);
        cache.insert(g, "/x".into(), deps(&["article:1"]), page("stale"));
        assert!(cache.get("/x").is_none());
    }

    #[test]
    fn entries_expire_so_scheduled_stories_appear_on_time() {
        let cache = PageCache::new(100, Duration::ZERO);
        cache.insert(
            cache.generation(),
            "/".into(),
            deps(&["home"]),
            page("home"),
        );
        assert!(cache.get("/").is_none());
        cache.insert(
            cache.generation(),
            "/".into(),
            deps(&["home"]),
            page("again"),
        );
        assert_eq!(cache.len(), 1, "a re-render replaces the expired entry");
    }

    #[test]
    fn capacity_evicts_oldest() {
        let cache = PageCache::new(2, MINUTE);
        let g = cache.generation();
        for k in ["/1", "/2", "/3"] {
            cache.insert(g, k.into(), deps(&["home"]), page("x"));
        }
        assert_eq!(cache.len(), 2);
        assert!(cache.get("/1").is_none() && cache.get("/3").is_some());
    }
}
