//! Prometheus metrics at `/metrics`: requests by status class, request latency, page-cache
//! hits and misses and cached pages, then the application's (`broadsheet_app::metrics`:
//! scheduled stories published, webhooks, wire items, mail, and each background job's runs,
//! failures and time).
//!
//! Counters are process-wide atomics (one process serves one site); the text is written by
//! hand in the exposition format, which is small enough not to need a crate. `/metrics` is off
//! unless `[metrics] token` is set, and then wants `Authorization: Bearer TOKEN`: the numbers
//! say how busy the site is and nobody outside needs them.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::StatusCode;
use serde::{Deserialize, Serialize};

/// `[metrics]` settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsOptions {
    /// The bearer token `/metrics` wants; unset, `/metrics` answers 404.
    pub token: Option<String>,
}

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

pub struct Metrics {
    /// By status class: 1xx to 5xx.
    requests: [AtomicU64; 5],
    latency: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_micros: AtomicU64,
    pub cache_hits: AtomicU64,
    pub cache_misses: AtomicU64,
}

#[expect(
    clippy::declare_interior_mutable_const,
    reason = "only used to fill the arrays of the one static"
)]
const ZERO: AtomicU64 = AtomicU64::new(0);

/// This process's metrics.
pub static METRICS: Metrics = Metrics {
    requests: [ZERO; 5],
    latency: [ZERO; BUCKETS.len()],
    latency_count: ZERO,
    latency_micros: ZERO,
    cache_hits: ZERO,
    cache_misses: ZERO,
};

impl Metrics {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    fn observe(&self, status: StatusCode, secs: f64) {
        let class = usize::from(status.as_u16() / 100).clamp(1, 5) - 1;
        self.requests[class].fetch_add(1, Ordering::Relaxed);
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                self.latency[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_micros
            .fetch_add((secs * 1e6) as u64, Ordering::Relaxed);
    }

    /// The exposition text; `cached_pages` is a gauge read from the cache itself.
    pub fn render(&self, cached_pages: usize) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut out = String::with_capacity(2048);
        let _ = writeln!(
            out,
            "# HELP broadsheet_http_requests_total HTTP requests answered, by status class.\n# TYPE broadsheet_http_requests_total counter"
        );
        for (i, c) in self.requests.iter().enumerate() {
            let _ = writeln!(
                out,
                "broadsheet_http_requests_total{{status=\"{}xx\"}} {}",
                i + 1,
                get(c)
            );
        }
        let _ = writeln!(
            out,
            "# HELP broadsheet_http_request_duration_seconds Time to answer a request.\n# TYPE broadsheet_http_request_duration_seconds histogram"
        );
        for (i, bound) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "broadsheet_http_request_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                get(&self.latency[i])
            );
        }
        let count = get(&self.latency_count);
        let _ = writeln!(
            out,
            "broadsheet_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}\nbroadsheet_http_request_duration_seconds_sum {}\nbroadsheet_http_request_duration_seconds_count {count}",
            get(&self.latency_micros) as f64 / 1e6
        );
        for (name, help, kind, value) in [
            (
                "broadsheet_page_cache_hits_total",
                "Pages served from the page cache.",
                "counter",
                get(&self.cache_hits),
            ),
            (
                "broadsheet_page_cache_misses_total",
                "Pages rendered because the cache did not hold them.",
                "counter",
                get(&self.cache_misses),
            ),
            (
                "broadsheet_page_cache_pages",
                "Pages in the page cache now.",
                "gauge",
                cached_pages as u64,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
        broadsheet_app::metrics::render(&mut out);
        out
    }
}

/// Counts every answer and its latency (outermost, so error pages are counted as sent).
pub(crate) async fn track(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let response = next.run(req).await;
    METRICS.observe(response.status(), started.elapsed().as_secs_f64());
    response
}
