//! The application's counters for `/metrics`: scheduled stories published, webhooks delivered
//! and failed, wire items stored and feed polls failed, mail sent and refused, and one set per
//! background job (runs, failures, time spent, whether it is running now, its last success).
//! Process-wide atomics: one process serves one site. The server writes them out with its
//! own HTTP counters (`render`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;

pub struct Counters {
    pub published: AtomicU64,
    pub webhooks_delivered: AtomicU64,
    pub webhooks_failed: AtomicU64,
    pub wire_items: AtomicU64,
    pub wire_poll_failures: AtomicU64,
    pub mail_sent: AtomicU64,
    pub mail_failed: AtomicU64,
}

/// This process's counters.
pub static METRICS: Counters = Counters {
    published: AtomicU64::new(0),
    webhooks_delivered: AtomicU64::new(0),
    webhooks_failed: AtomicU64::new(0),
    wire_items: AtomicU64::new(0),
    wire_poll_failures: AtomicU64::new(0),
    mail_sent: AtomicU64::new(0),
    mail_failed: AtomicU64::new(0),
};

pub fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

/// What the runner records of one job.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct JobStats {
    pub runs: u64,
    pub failures: u64,
    pub seconds: f64,
    pub running: bool,
    /// Unix time of the last run that did not fail.
    pub last_success: Option<i64>,
}

static JOBS: Mutex<BTreeMap<String, JobStats>> = Mutex::new(BTreeMap::new());

/// Changes the stats of job `name`.
pub fn job(name: &str, f: impl FnOnce(&mut JobStats)) {
    let mut jobs = JOBS.lock().unwrap_or_else(|e| e.into_inner());
    f(jobs.entry(name.to_owned()).or_default());
}

/// The stats of job `name` so far.
pub fn job_stats(name: &str) -> JobStats {
    JOBS.lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(name)
        .copied()
        .unwrap_or_default()
}

/// A metric family of the jobs: name, help, type, and its value for one job.
type Family = (
    &'static str,
    &'static str,
    &'static str,
    fn(&JobStats) -> Option<String>,
);

/// The exposition text of the application's counters and the jobs'.
pub fn render(out: &mut String) {
    let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
    let m = &METRICS;
    for (name, help, value) in [
        (
            "broadsheet_scheduled_published_total",
            "Scheduled stories published by this process.",
            get(&m.published),
        ),
        (
            "broadsheet_webhooks_delivered_total",
            "Webhook deliveries answered 2xx.",
            get(&m.webhooks_delivered),
        ),
        (
            "broadsheet_webhooks_failed_total",
            "Webhook deliveries given up after their last attempt.",
            get(&m.webhooks_failed),
        ),
        (
            "broadsheet_wire_items_stored_total",
            "Agency items stored (new stories and versions).",
            get(&m.wire_items),
        ),
        (
            "broadsheet_wire_poll_failures_total",
            "Wire feed polls that failed.",
            get(&m.wire_poll_failures),
        ),
        (
            "broadsheet_mail_sent_total",
            "Messages the mail relay (or the outbox) accepted.",
            get(&m.mail_sent),
        ),
        (
            "broadsheet_mail_failed_total",
            "Messages refused or not sent.",
            get(&m.mail_failed),
        ),
    ] {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
        );
    }
    let jobs = JOBS.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let families: [Family; 5] = [
        (
            "broadsheet_job_runs_total",
            "Runs of each background job.",
            "counter",
            |s| Some(s.runs.to_string()),
        ),
        (
            "broadsheet_job_failures_total",
            "Runs of each background job that failed.",
            "counter",
            |s| Some(s.failures.to_string()),
        ),
        (
            "broadsheet_job_seconds_total",
            "Time each background job has spent running.",
            "counter",
            |s| Some(format!("{:.6}", s.seconds)),
        ),
        (
            "broadsheet_job_running",
            "1 while the job is running.",
            "gauge",
            |s| Some(u8::from(s.running).to_string()),
        ),
        (
            "broadsheet_job_last_success_timestamp_seconds",
            "When each job last ran without failing.",
            "gauge",
            |s| s.last_success.map(|t| t.to_string()),
        ),
    ];
    for (name, help, kind, value) in families {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (job, stats) in &jobs {
            if let Some(v) = value(stats) {
                let job = job
                    .replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('\n', "\\n");
                let _ = writeln!(out, "{name}{{job=\"{job}\"}} {v}");
            }
        }
    }
}

/// A mailer that counts what the one it wraps sends and refuses.
pub(crate) struct CountingMailer(pub std::sync::Arc<dyn broadsheet_mail::Mailer>);

#[async_trait]
impl broadsheet_mail::Mailer for CountingMailer {
    async fn send(&self, email: &broadsheet_mail::Email) -> Result<(), broadsheet_mail::MailError> {
        let r = self.0.send(email).await;
        add(
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
