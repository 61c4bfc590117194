//! Background jobs and the one runner that runs them. A `Job` says its name, how often it
//! runs and what one run does; the runner owns everything else, the same way for every job:
//! the tick (a run that overruns delays the next, it never piles up), the wait before a job
//! runs again (at once when it says more is due, doubling up to 16 intervals after failures it
//! reports), an optional lease so that a job runs on one node at a time, a tracing span per
//! run, per-job metrics on `/metrics`, and stopping: `Runner::shutdown` lets a running job
//! finish its step, then ends every loop.
//!
//! `standard` is the list a node runs: scheduled publishing, the newsletter, sign-up expiry,
//! webhooks, wire polling, drop folders, market polling and the change watcher. Every one is
//! safe on several nodes at once: publishing is one conditional `UPDATE`, newsletter and
//! webhook deliveries are claimed row by row with leases, feeds are claimed with a lease, and
//! market polling holds a job lease per provider. `broadsheet serve --no-jobs` leaves all but
//! the change watcher to `broadsheet worker` processes.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::context::App;
use crate::error::Error;
use crate::providers::QuoteProvider;

/// What the runner does after a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Wait the job's interval.
    Wait,
    /// Run again at once (a full batch: more is due).
    Now,
    /// The run failed in a way worth slowing down for: the wait doubles with each such run
    /// in a row, up to 16 intervals.
    Backoff,
}

#[async_trait]
pub trait Job: Send + Sync + 'static {
    /// Unique among the jobs of a process; the metrics label and the lease's name.
    fn name(&self) -> String;
    fn interval(&self) -> Duration;
    /// Whether only one node may run the job at a time. The runner then takes a lease named
    /// after the job before each run, long enough to outlast the run and its wait.
    fn exclusive(&self) -> bool {
        false
    }
    /// What the runner waits on between runs: the interval, unless the job has something
    /// better to wait for (the change watcher wakes on the store's notifications).
    async fn wait(&self, app: &App, wait: Duration) {
        let _ = app;
        tokio::time::sleep(wait).await;
    }
    async fn run(&self, app: &App) -> Result<Next, Error>;
}

/// This process among the nodes: host name, process id and a random part (a restarted
/// process is a new holder, so it waits out its predecessor's leases like anyone else).
pub fn node_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        let host = std::fs::read_to_string("/etc/hostname")
            .ok()
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_else(|| "node".to_owned());
        let token = crate::secrets::random_token();
        format!("{host}:{}:{}", std::process::id(), &token[..8])
    })
}

/// Runs jobs, each on a task of its own, until `shutdown`.
pub struct Runner {
    app: App,
    stop: CancellationToken,
    tasks: tokio::task::JoinSet<()>,
}

impl Runner {
    pub fn new(app: App) -> Self {
        Self {
            app,
            stop: CancellationToken::new(),
            tasks: tokio::task::JoinSet::new(),
        }
    }

    /// Starts `job`: its first run is at once.
    pub fn spawn(&mut self, job: Arc<dyn Job>) {
        let app = self.app.clone();
        let stop = self.stop.clone();
        self.tasks.spawn(run_loop(app, job, stop));
    }

    /// Starts every job of `jobs`.
    pub fn spawn_all(&mut self, jobs: Vec<Arc<dyn Job>>) {
        for job in jobs {
            self.spawn(job);
        }
    }

    /// Tells every job to stop, waits up to `grace` for the running ones to finish their
    /// step, and returns whether all of them did.
    pub async fn shutdown(mut self, grace: Duration) -> bool {
        self.stop.cancel();
        let all = async { while self.tasks.join_next().await.is_some() {} };
        let finished = tokio::time::timeout(grace, all).await.is_ok();
        if !finished {
            tracing::warn!("background jobs still running after {grace:?}; stopping anyway");
            self.tasks.abort_all();
        }
        finished
    }
}

/// Runs `job` once, with its span and metrics, as the runner does: for tests and commands.
pub async fn run_once(app: &App, job: &dyn Job) -> Result<Next, Error> {
    let name = job.name();
    crate::metrics::job(&name, |s| s.running = true);
    let started = Instant::now();
    let result = job
        .run(app)
        .instrument(tracing::info_span!("job", job = %name))
        .await;
    let seconds = started.elapsed().as_secs_f64();
    let now = app.now().timestamp();
    crate::metrics::job(&name, |s| {
        s.running = false;
        s.runs += 1;
        s.seconds += seconds;
        match &result {
            Ok(Next::Backoff) | Err(_) => s.failures += 1,
            Ok(_) => s.last_success = Some(now),
        }
    });
    result
}

async fn run_loop(app: App, job: Arc<dyn Job>, stop: CancellationToken) {
    let name = job.name();
    let interval = job.interval().max(Duration::from_millis(10));
    let mut failures = 0u32;
    loop {
        let wait = interval * 2u32.pow(failures);
        if job.exclusive() {
            // The lease outlasts a run and its wait; the holder renews it each round, and if
            // it dies another node takes over when it runs out.
            let lease = i64::try_from(wait.as_secs()).unwrap_or(i64::MAX / 2) + 60;
            match app
                .store
                .try_lease(&name, node_id(), app.now(), lease)
                .await
            {
                Ok(true) => {}
                Ok(false) => {
                    if pause(&app, job.as_ref(), interval, &stop).await {
                        return;
                    }
                    continue;
                }
                Err(e) => {
                    tracing::warn!(job = %name, error = %e, "cannot take the job's lease");
                    if pause(&app, job.as_ref(), interval, &stop).await {
                        return;
                    }
                    continue;
                }
            }
        }
        let next = match run_once(&app, job.as_ref()).await {
            Ok(next) => next,
            Err(e) => {
                tracing::warn!(job = %name, error = %e, "background job failed");
                Next::Wait
            }
        };
        failures = match next {
            Next::Backoff => (failures + 1).min(4),
            Next::Wait | Next::Now => 0,
        };
        if stop.is_cancelled() {
            return;
        }
        if next == Next::Now {
            continue;
        }
        if pause(&app, job.as_ref(), interval * 2u32.pow(failures), &stop).await {
            return;
        }
    }
}

/// Waits as the job wants, or until the runner stops; `true` when it stopped.
async fn pause(app: &App, job: &dyn Job, wait: Duration, stop: &CancellationToken) -> bool {
    tokio::select! {
        () = stop.cancelled() => true,
        () = job.wait(app, wait) => stop.is_cancelled(),
    }
}

/// Scheduled stories whose time has come are published.
pub struct PublishScheduled;

#[async_trait]
impl Job for PublishScheduled {
    fn name(&self) -> String {
        "publish-scheduled".into()
    }
    fn interval(&self) -> Duration {
        Duration::from_secs(5)
    }
    async fn run(&self, app: &App) -> Result<Next, Error> {
        app.publish_due(app.now()).await?;
        Ok(Next::Wait)
    }
}

/// The daily digest when its time comes; at its first run, any send a restart interrupted.
/// On its own task, so a long send never holds up scheduled stories.
#[derive(Default)]
pub struct Newsletter {
    resumed: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl Job for Newsletter {
    fn name(&self) -> String {
        "newsletter".into()
    }
    fn interval(&self) -> Duration {
        Duration::from_secs(5)
    }
    async fn run(&self, app: &App) -> Result<Next, Error> {
        if !self.resumed.swap(true, std::sync::atomic::Ordering::AcqRel) {
            crate::newsletter::send::resume_unfinished(app).await?;
        }
        crate::newsletter::send::run_digest(app, app.now(), false).await?;
        Ok(Next::Wait)
    }
}

/// Unconfirmed sign-ups are removed after `[newsletter] confirm_hours`.
pub struct ExpireSignUps;

#[async_trait]
impl Job for ExpireSignUps {
    fn name(&self) -> String {
        "expire-sign-ups".into()
    }
    fn interval(&self) -> Duration {
        Duration::from_secs(5)
    }
    async fn run(&self, app: &App) -> Result<Next, Error> {
        let hours = app.newsletter.options.confirm_hours.max(1);
        let n = app
            .store
            .expire_pending(app.now() - chrono::Duration::hours(hours))
            .await?;
        if n > 0 {
            tracing::info!(expired = n, "unconfirmed sign-ups removed");
        }
        Ok(Next::Wait)
    }
}

/// Due webhook deliveries are sent.
pub struct Webhooks;

#[async_trait]
impl Job for Webhooks {
    fn name(&self) -> String {
        "webhooks".into()
    }
    fn interval(&self) -> Duration {
        Duration::from_secs(2)
    }
    async fn run(&self, app: &App) -> Result<Next, Error> {
        let n = crate::webhooks::deliver_due(app).await?;
        Ok(if n == crate::webhooks::BATCH as usize {
            Next::Now
        } else {
            Next::Wait
        })
    }
}

/// Wire feeds that are due are polled.
pub struct WirePolling;

#[async_trait]
impl Job for WirePolling {
    fn name(&self) -> String {
        "wire-polling".into()
    }
    fn interval(&self) -> Duration {
        Duration::from_secs(5)
    }
    async fn run(&self, app: &App) -> Result<Next, Error> {
        crate::wire::poll_due(app).await?;
        Ok(Next::Wait)
    }
}

/// Files dropped in folder sources' folders are read.
pub struct DropFolders;

#[async_trait]
impl Job for DropFolders {
    fn name(&self) -> String {
        "wire-folders".into()
    }
    fn interval(&self) -> Duration {
        Duration::from_secs(5)
    }
    async fn run(&self, app: &App) -> Result<Next, Error> {
        crate::wire::scan_folders(app).await?;
        Ok(Next::Wait)
    }
}

/// One market-data provider, polled on its interval by one node at a time.
pub struct MarketPolling(pub Arc<dyn QuoteProvider>);

#[async_trait]
impl Job for MarketPolling {
    fn name(&self) -> String {
        format!("market:{}", self.0.name())
    }
    fn interval(&self) -> Duration {
        self.0.interval()
    }
    fn exclusive(&self) -> bool {
        true
    }
    async fn run(&self, app: &App) -> Result<Next, Error> {
        let report = crate::providers::poll_once(app, self.0.as_ref()).await;
        for e in &report.errors {
            tracing::warn!(provider = self.0.name(), error = %e, "market provider");
        }
        Ok(if report.saved == 0 && !report.errors.is_empty() {
            Next::Backoff
        } else {
            Next::Wait
        })
    }
}

/// Reads the change log whenever the store says another writer committed (a `NOTIFY` on
/// PostgreSQL) and at least every interval, so writes by other processes (an import, another
/// node) reach this node's caches and index at once, or within that time.
pub struct ChangeWatcher(pub Duration);

#[async_trait]
impl Job for ChangeWatcher {
    fn name(&self) -> String {
        "change-watcher".into()
    }
    fn interval(&self) -> Duration {
        self.0
    }
    async fn wait(&self, app: &App, wait: Duration) {
        app.store.wait_for_change(wait).await;
    }
    async fn run(&self, app: &App) -> Result<Next, Error> {
        app.sync_changes().await?;
        Ok(Next::Wait)
    }
}

/// The jobs a node runs besides the change watcher: every background job of the site.
pub fn standard(providers: Vec<Arc<dyn QuoteProvider>>) -> Vec<Arc<dyn Job>> {
    let mut jobs: Vec<Arc<dyn Job>> = vec![
        Arc::new(PublishScheduled),
        Arc::new(Newsletter::default()),
        Arc::new(ExpireSignUps),
        Arc::new(Webhooks),
        Arc::new(WirePolling),
        Arc::new(DropFolders),
    ];
    jobs.extend(
        providers
            .into_iter()
            .map(|p| Arc::new(MarketPolling(p)) as Arc<dyn Job>),
    );
    jobs
}
