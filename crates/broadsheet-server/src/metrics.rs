//! Prometheus metrics at `/metrics`: requests by status class, request latency, page-cache
//! hits and misses, cached pages, jobs (scheduled stories published, webhooks delivered and
//! failed, wire items stored, wire polls that failed) and mail sent and refused.
//!
//! Counters are process-wide atomics (one process serves one site); the text is written by
//! hand in the exposition format, which is small enough not to need a crate. `/metrics` is off
//! unless `[metrics] token` is set, and then wants `Authorization: Bearer TOKEN`: the numbers
//! say how busy the site is and nobody outside needs them.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use async_trait::async_trait;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::{Deserialize, Serialize};

use crate::state::AppState;

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
    pub published: AtomicU64,
    pub webhooks_delivered: AtomicU64,
    pub webhooks_failed: AtomicU64,
    pub wire_items: AtomicU64,
    pub wire_poll_failures: AtomicU64,
    pub mail_sent: AtomicU64,
    pub mail_failed: AtomicU64,
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
    published: ZERO,
    webhooks_delivered: ZERO,
    webhooks_failed: ZERO,
    wire_items: ZERO,
    wire_poll_failures: ZERO,
    mail_sent: ZERO,
    mail_failed: ZERO,
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
            (
                "broadsheet_scheduled_published_total",
                "Scheduled stories published by this process.",
                "counter",
                get(&self.published),
            ),
            (
                "broadsheet_webhooks_delivered_total",
                "Webhook deliveries answered 2xx.",
                "counter",
                get(&self.webhooks_delivered),
            ),
            (
                "broadsheet_webhooks_failed_total",
                "Webhook deliveries given up after their last attempt.",
                "counter",
                get(&self.webhooks_failed),
            ),
            (
                "broadsheet_wire_items_stored_total",
                "Agency items stored (new stories and versions).",
                "counter",
                get(&self.wire_items),
            ),
            (
                "broadsheet_wire_poll_failures_total",
                "Wire feed polls that failed.",
                "counter",
                get(&self.wire_poll_failures),
            ),
            (
                "broadsheet_mail_sent_total",
                "Messages the mail relay (or the outbox) accepted.",
                "counter",
                get(&self.mail_sent),
            ),
            (
                "broadsheet_mail_failed_total",
                "Messages refused or not sent.",
                "counter",
                get(&self.mail_failed),
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
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

/// `GET /metrics`.
pub(crate) async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(expected) = state
        .metrics_options
        .token
        .as_deref()
        .filter(|t| !t.is_empty())
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !crate::auth::same(given, expected) {
        return crate::routes::api_market::problem(
            StatusCode::UNAUTHORIZED,
            "/metrics wants the token set as metrics.token",
        );
    }
    let mut r = METRICS.render(state.cached_pages()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// A mailer that counts what the one it wraps sends and refuses.
pub(crate) struct CountingMailer(pub std::sync::Arc<dyn broadsheet_mail::Mailer>);

#[async_trait]
impl broadsheet_mail::Mailer for CountingMailer {
    async fn send(&self, email: &broadsheet_mail::Email) -> Result<(), broadsheet_mail::MailError> {
        let r = self.0.send(email).await;
        Metrics::add(
            if r.is_ok() {
                &METRICS.mail_sent
            } else {
                &METRICS.mail_failed
            },
            1,
        );
        r
    }

    fn describe(&self) -> String {
        self.0.describe()
    }
}
