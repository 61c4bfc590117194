//! Sending an issue through the send journal. Rows are claimed in batches with a lease that
//! the sender renews while it works through the batch; each message is sent and its row
//! marked at once, temporary failures come back after a doubling delay, permanent ones mark
//! the address bounced. A sender that dies leaves its claimed rows to be taken again when
//! their lease runs out; everything else it did is recorded.
//!
//! `run_digest` is the one path of the daily job and `broadsheet newsletter send-digest`.

use std::collections::{HashMap, HashSet};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use broadsheet_mail::{Email, MailError};
use broadsheet_store::{Delivery, Issue, IssueKind, NewIssue, SendCounts, Subscriber};
use chrono::{DateTime, Utc};
use governor::{Quota, RateLimiter};
use serde::Serialize;

use super::compose::{self, Copy, DigestContent, PREFS_LINK, UNSUBSCRIBE_LINK};
use super::links::{Purpose, sign};
use crate::context::App;
use crate::error::Error;

/// What a send did.
#[derive(Debug, Clone, Serialize)]
pub struct SendReport {
    pub issue_id: i64,
    pub key: String,
    /// Whether this run created the issue (rather than resuming one).
    pub created: bool,
    pub counts: SendCounts,
}

/// Sends today's digest if it is due (or at once with `force`), resuming it if it was begun.
/// `None` when nothing was due or there were no stories to send.
pub async fn run_digest(
    app: &App,
    now: DateTime<Utc>,
    force: bool,
) -> Result<Option<SendReport>, Error> {
    let site = app.site();
    let local = now.with_timezone(&site.tz());
    let key = format!("digest:{}", local.format("%Y-%m-%d"));
    if let Some(issue) = app.store.issue_by_key(&key).await? {
        if issue.finished {
            return Ok(None);
        }
        let counts = send_issue(app, &issue).await?;
        return Ok(Some(SendReport {
            issue_id: issue.id,
            key,
            created: false,
            counts,
        }));
    }
    if !force {
        let due =
            chrono::NaiveTime::parse_from_str(app.newsletter.options.send_time.trim(), "%H:%M")
                .is_ok_and(|at| local.time() >= at);
        if !due {
            return Ok(None);
        }
    }
    if app.store.subscriber_counts().await?.active == 0 {
        // Nobody to send it to: composing would mark today's digest as sent, and a reader who
        // subscribes later today would get nothing (a new site's first start did this).
        tracing::info!("no active subscribers: no digest composed yet");
        return Ok(None);
    }
    let content = compose::choose(app, now).await?;
    let Some(lead) = &content.lead else {
        tracing::info!("no stories in the last 24 hours: no digest today");
        return Ok(None);
    };
    let date_key = format!("newsletter.intro.{}", local.format("%Y-%m-%d"));
    let intro = app.store.setting(&date_key).await?.unwrap_or_default();
    let (issue, created) = app
        .store
        .create_issue(&NewIssue {
            key: key.clone(),
            kind: IssueKind::Digest,
            subject: format!("{}: {}", site.name, lead.headline),
            intro,
            content: serde_json::to_string(&content).unwrap_or_default(),
        })
        .await?;
    tracing::info!(issue = issue.id, %key, "digest composed");
    let counts = send_issue(app, &issue).await?;
    Ok(Some(SendReport {
        issue_id: issue.id,
        key,
        created,
        counts,
    }))
}

/// Sends a breaking-news alert for a public article to those who want alerts, in the
/// background. One alert per article, however often it is asked for; `false` when there was
/// one already or the article is not public.
pub async fn start_alert(app: &App, article_id: i64) -> Result<bool, Error> {
    let key = format!("alert:{article_id}");
    if app.store.issue_by_key(&key).await?.is_some() {
        return Ok(false);
    }
    let Some(a) = app.store.article_by_id(article_id).await? else {
        return Ok(false);
    };
    if !a.is_public(app.now()) {
        return Ok(false);
    }
    let content = DigestContent {
        lead: Some(compose::Item {
            id: a.id,
            headline: a.headline.clone(),
            standfirst: a.standfirst.clone(),
            url: app.site().url(&format!("/article/{}", a.slug)),
            section: a.section.name.clone(),
            image: a.hero.as_ref().and_then(|h| compose::picture(app, h)),
        }),
        ..Default::default()
    };
    start_alert_issue(app, key, format!("Breaking: {}", a.headline), &content).await
}

/// Makes the alert issue `key` (once: `false` when it exists) and sends it in the background
/// to subscribers who want alerts: a breaking story's, or an economic release's figure.
pub async fn start_alert_issue(
    app: &App,
    key: String,
    subject: String,
    content: &DigestContent,
) -> Result<bool, Error> {
    let (issue, created) = app
        .store
        .create_issue(&NewIssue {
            key,
            kind: IssueKind::Alert,
            subject,
            intro: String::new(),
            content: serde_json::to_string(content).unwrap_or_default(),
        })
        .await?;
    if created {
        let app = app.clone();
        tokio::spawn(async move {
            if let Err(e) = send_issue(&app, &issue).await {
                tracing::error!(issue = issue.id, error = %e, "cannot send the alert");
            }
        });
    }
    Ok(created)
}

/// Finishes every issue that was begun and not finished (after a restart).
pub async fn resume_unfinished(app: &App) -> Result<usize, Error> {
    let mut n = 0;
    for issue in app.store.issues(None, 20).await? {
        if !issue.finished {
            send_issue(app, &issue).await?;
            n += 1;
        }
    }
    Ok(n)
}

/// One subscriber's e-mail from a rendered copy.
pub fn personalise(app: &App, issue: &Issue, copy: &Copy, subscriber: &Subscriber) -> Email {
    let site = app.site();
    let far = app.now().timestamp() + 400 * 86_400;
    let secret = &app.newsletter.secret;
    let prefs = super::links::preferences_url(app, subscriber.id);
    let unsub_token = sign(secret, Purpose::Unsubscribe, subscriber.id, far);
    let unsub = site.url(&format!("/newsletter/unsubscribe/{unsub_token}"));
    let host = crate::context::mail_host(&site);
    let fill = |s: &str| {
        s.replace(PREFS_LINK, &prefs)
            .replace(UNSUBSCRIBE_LINK, &unsub)
    };
    Email {
        to: subscriber.email.to_string(),
        subject: issue.subject.clone(),
        text: fill(&copy.text),
        html: Some(fill(&copy.html)),
        message_id: Some(format!(
            "<{}-{}.{}@{host}>",
            issue.kind, issue.id, subscriber.id
        )),
        headers: vec![
            (
                "List-Unsubscribe".into(),
                format!("<{unsub}>, <mailto:unsubscribe@{host}?subject=unsubscribe-{unsub_token}>"),
            ),
            (
                "List-Unsubscribe-Post".into(),
                "List-Unsubscribe=One-Click".into(),
            ),
            ("List-Id".into(), format!("<digest.{host}>")),
        ],
    }
}

/// Sends every row of the issue's journal that is still to do, and waits for retries.
pub async fn send_issue(app: &App, issue: &Issue) -> Result<SendCounts, Error> {
    let content: DigestContent = serde_json::from_str(&issue.content).unwrap_or_default();
    let opts = &app.newsletter.options;
    let concurrency = opts.concurrency.max(1);
    let limiter = NonZeroU32::new(opts.messages_per_second)
        .map(|n| Arc::new(RateLimiter::direct(Quota::per_second(n))));
    let semaphore = Arc::new(tokio::sync::Semaphore::new(concurrency));
    // One rendering per distinct choice of sections.
    let mut copies: HashMap<Vec<String>, Arc<Copy>> = HashMap::new();
    let log = SentLog::open(app, issue.id).await?;
    let started = std::time::Instant::now();
    let lease = app.newsletter.lease_secs();
    loop {
        let claimed_at = Instant::now();
        let batch = app
            .store
            .claim_deliveries(issue.id, (concurrency * 16) as u32, app.now(), lease)
            .await?;
        if batch.is_empty() {
            let counts = app.store.send_counts(issue.id).await?;
            if counts.remaining == 0 {
                app.store.finish_issue(issue.id, app.now()).await?;
                log.remove();
                tracing::info!(
                    issue = issue.id,
                    sent = counts.sent,
                    failed = counts.failed,
                    bounced = counts.bounced,
                    seconds = started.elapsed().as_secs_f32(),
                    "issue sent"
                );
                return Ok(counts);
            }
            // Retries not due yet, or rows another sender holds: look again shortly.
            tokio::time::sleep(Duration::from_millis(250)).await;
            continue;
        }
        let mut held = Holding::new(claimed_at, lease);
        let mut tasks = tokio::task::JoinSet::new();
        let mut failed = None;
        for (i, delivery) in batch.iter().enumerate() {
            let permit = semaphore
                .clone()
                .acquire_owned()
                .await
                .map_err(|e| Error::Internal(e.to_string()))?;
            if let Some(l) = &limiter {
                l.until_ready().await;
            }
            // A message is begun only with half a lease or more still ours, so no other
            // sender can take its row while it is on the wire.
            if let Err(e) = held.renew_if_due(app, issue.id, &batch[i..]).await {
                failed = Some(e);
                break;
            }
            if !held.holds(delivery.subscriber.id) {
                continue;
            }
            let mut key = delivery.subscriber.sections.clone();
            key.sort();
            let copy = match copies.get(&key) {
                Some(c) => c.clone(),
                None => {
                    let rendered = compose::render(
                        app,
                        &issue.kind,
                        &issue.subject,
                        &issue.intro,
                        issue.id,
                        issue.created_at,
                        &content.for_sections(&key),
                    );
                    let c = match rendered {
                        Ok(c) => Arc::new(c),
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    };
                    copies.insert(key, c.clone());
                    c
                }
            };
            let email = personalise(app, issue, &copy, &delivery.subscriber);
            let app = app.clone();
            let issue_id = issue.id;
            let log = log.clone();
            let attempts = delivery.attempts;
            let id = delivery.subscriber.id;
            tasks.spawn(async move {
                let _permit = permit;
                let result = app.mailer.send(&email).await;
                let recorded = match result {
                    Ok(()) => {
                        // First the local log (one small append, microseconds after the
                        // server's 250), then the database.
                        log.record(id);
                        app.store.mark_sent(issue_id, &[id], app.now()).await
                    }
                    Err(MailError::Temporary(why)) => {
                        let opts = &app.newsletter.options;
                        let delay = opts.retry_base_secs.max(1)
                            * 2i64.pow(attempts.clamp(1, 12) as u32 - 1);
                        tracing::warn!(issue = issue_id, subscriber = id, error = %why, retry_in = delay, "temporary failure");
                        app
                            .store
                            .mark_retry(
                                issue_id,
                                id,
                                attempts,
                                app.now() + chrono::Duration::seconds(delay),
                                opts.max_attempts,
                                &why,
                            )
                            .await
                    }
                    Err(e) => {
                        tracing::warn!(issue = issue_id, subscriber = id, error = %e, "permanent failure");
                        app
                            .store
                            .mark_bounced(issue_id, id, attempts, &e.to_string())
                            .await
                    }
                };
                if let Err(e) = recorded {
                    tracing::error!(issue = issue_id, subscriber = id, error = %e, "cannot record a delivery");
                }
            });
        }
        // Messages under way are seen to the end (and recorded) even when the batch stops.
        while tasks.join_next().await.is_some() {}
        if let Some(e) = failed {
            return Err(e);
        }
    }
}

/// The rows of a claimed batch this sender still holds, and until when (by its own clock).
/// The batch is claimed with one lease; before each message, when less than half of it is
/// left, the rows not yet sent are renewed together, so a slow relay or a low sending rate
/// never lets a lease run out under rows still waiting their turn. A row another sender took
/// over meanwhile (this one having stalled past its lease) is dropped, not sent twice.
struct Holding {
    /// When the lease certainly still holds: the store counts leases in whole seconds, so a
    /// lease of n seconds taken at any instant lasts at least n − 1.
    until: Instant,
    lease: i64,
    lost: HashSet<i64>,
}

impl Holding {
    fn new(claimed_at: Instant, lease: i64) -> Self {
        Self {
            until: claimed_at + Self::span(lease),
            lease,
            lost: HashSet::new(),
        }
    }

    fn span(lease: i64) -> Duration {
        Duration::from_secs(lease.saturating_sub(1).max(0).unsigned_abs())
    }

    fn holds(&self, subscriber_id: i64) -> bool {
        !self.lost.contains(&subscriber_id)
    }

    async fn renew_if_due(
        &mut self,
        app: &App,
        issue_id: i64,
        rest: &[Delivery],
    ) -> Result<(), Error> {
        let half = Duration::from_millis(self.lease.unsigned_abs() * 500);
        if self.until.saturating_duration_since(Instant::now()) >= half {
            return Ok(());
        }
        let ask: Vec<(i64, i64)> = rest
            .iter()
            .filter(|d| self.holds(d.subscriber.id))
            .map(|d| (d.subscriber.id, d.attempts))
            .collect();
        let at = Instant::now();
        let renewed: HashSet<i64> = app
            .store
            .renew_deliveries(issue_id, &ask, app.now(), self.lease)
            .await?
            .into_iter()
            .collect();
        self.until = at + Self::span(self.lease);
        let before = self.lost.len();
        self.lost
            .extend(ask.iter().map(|h| h.0).filter(|id| !renewed.contains(id)));
        if self.lost.len() > before {
            tracing::warn!(
                issue = issue_id,
                rows = self.lost.len() - before,
                "rows taken over by another sender after this one's lease ran out: left to it"
            );
        }
        Ok(())
    }
}

/// An append-only file of the subscribers a send has delivered to, written the moment the
/// server accepts each message. The database row is marked right after; if the process dies
/// between the two, the next send of the issue reads this file first, so the window in which
/// a kill can cause a second copy shrinks from a database round trip to one `write`.
#[derive(Clone)]
struct SentLog {
    path: std::path::PathBuf,
    file: Arc<std::sync::Mutex<Option<std::fs::File>>>,
}

impl SentLog {
    async fn open(app: &App, issue_id: i64) -> Result<Self, Error> {
        let dir = app
            .media_dir
            .parent()
            .map_or_else(|| app.media_dir.join("journal"), |d| d.join("journal"));
        let path = dir.join(format!("issue-{issue_id}.log"));
        if let Ok(text) = std::fs::read_to_string(&path) {
            let ids: Vec<i64> = text.lines().filter_map(|l| l.trim().parse().ok()).collect();
            if !ids.is_empty() {
                tracing::info!(
                    issue = issue_id,
                    recovered = ids.len(),
                    "deliveries recovered from the sent log"
                );
                app.store.mark_sent(issue_id, &ids, app.now()).await?;
            }
        }
        let file = std::fs::create_dir_all(&dir)
            .and_then(|()| {
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
            })
            .map_err(|e| Error::Internal(format!("cannot open {}: {e}", path.display())))?;
        Ok(Self {
            path,
            file: Arc::new(std::sync::Mutex::new(Some(file))),
        })
    }

    fn record(&self, subscriber_id: i64) {
        use std::io::Write;
        let mut guard = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(f) = guard.as_mut()
            && let Err(e) = writeln!(f, "{subscriber_id}")
        {
            tracing::warn!(error = %e, "cannot append to the sent log");
        }
    }

    fn remove(&self) {
        *self.file.lock().unwrap_or_else(|e| e.into_inner()) = None;
        let _ = std::fs::remove_file(&self.path);
    }
}
