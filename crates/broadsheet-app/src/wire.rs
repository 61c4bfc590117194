//! Agency copy coming in: one `ingest` path (parse, store every version, report each refused
//! item, route by the source's rules, flag killed stories) behind every way in: files
//! (`broadsheet wire import`), a drop folder per source (`wire/NAME/` in the data directory),
//! feeds polled with conditional GET and backoff, and `POST /api/wire/{source}` with a token.
//!
//! Fetching is restricted: only http(s), never a private, loopback or link-local address
//! unless the source allows it, the address checked is the one connected to, no redirects,
//! a size limit read as the body streams, and a timeout on the whole request. A source that
//! keeps failing is paused with its error on the desk; nothing it sends can stop the others.

use std::path::{Path, PathBuf};
use std::time::Duration;

use broadsheet_core::{ArticleInput, ArticleStatus, Slug, WireItem};
use broadsheet_ingest::wire::{self, Rejected};
use broadsheet_store::{PollOutcome, StoreError, WireSaveKind, WireSource};
use chrono::Utc;
use serde::Serialize;

use bytes::Bytes;
use reqwest::{StatusCode, header};

use crate::context::App;
pub use crate::options::WireOptions;

/// Refused items of one document written to the desk's problem log; the rest are counted.
const MAX_LOGGED_PER_DOCUMENT: usize = 20;

/// What one document did.
#[derive(Debug, Default, Serialize)]
pub struct IngestReport {
    pub format: String,
    /// New stories and new versions.
    pub stored: usize,
    pub unchanged: usize,
    pub rejected: Vec<RejectedItem>,
    /// Articles a kill in this document flagged.
    pub flagged: Vec<i64>,
    /// Articles made by the source's routing rule.
    pub routed: Vec<i64>,
}

#[derive(Debug, Serialize)]
pub struct RejectedItem {
    pub item: String,
    pub reason: String,
}

impl From<Rejected> for RejectedItem {
    fn from(r: Rejected) -> Self {
        Self {
            item: r.item,
            reason: r.reason,
        }
    }
}

/// Parses and stores one document of `source`. A document that cannot be read at all is an
/// `Err` with its reason (and logged on the desk); refused items are in the report (and
/// logged). Nothing of a refused item is stored.
pub async fn ingest(
    app: &App,
    source: &WireSource,
    bytes: Bytes,
    name: &str,
) -> Result<IngestReport, IngestError> {
    let options = app.wire_options;
    let label = name.to_owned();
    let parsed = tokio::task::spawn_blocking(move || wire::parse(&bytes, &label))
        .await
        .map_err(|e| IngestError::Internal(e.to_string()))?;
    let now = app.now();
    let parsed = match parsed {
        Ok(p) => p,
        Err(e) => {
            app.store
                .log_wire_problem(source.id, name, &e.reason, now)
                .await?;
            tracing::warn!(source = %source.name, document = %name, reason = %e.reason, "wire document refused");
            return Err(IngestError::Unreadable(e.reason));
        }
    };
    let mut report = IngestReport {
        format: parsed.format.to_owned(),
        rejected: parsed.rejected.into_iter().map(Into::into).collect(),
        ..IngestReport::default()
    };
    let mut items = parsed.items;
    if items.len() > options.max_items {
        for extra in items.drain(options.max_items..) {
            report.rejected.push(RejectedItem {
                item: extra.guid,
                reason: format!("more than {} items in one document", options.max_items),
            });
        }
    }
    for item in &mut items {
        if item.agency.is_empty() {
            item.agency.clone_from(&source.name);
        }
    }
    let saved = app.store.save_wire_items(source.id, &items, now).await?;
    let mut to_route = Vec::new();
    for (item, result) in items.iter().zip(saved) {
        match result {
            Ok(s) => {
                match s.kind {
                    WireSaveKind::New | WireSaveKind::NewVersion => {
                        report.stored += 1;
                        to_route.push((s.id, item));
                    }
                    WireSaveKind::Older => report.stored += 1,
                    WireSaveKind::Unchanged => report.unchanged += 1,
                }
                report.flagged.extend(s.flagged);
            }
            Err(StoreError::Invalid(e)) => report.rejected.push(RejectedItem {
                item: item.guid.clone(),
                reason: e.to_string(),
            }),
            Err(e) => return Err(e.into()),
        }
    }
    crate::metrics::add(&crate::metrics::METRICS.wire_items, report.stored as u64);
    // The desk's log gets the first refusals of a document and a count of the rest: a feed of
    // ten thousand bad items must not become ten thousand log writes on every poll.
    for r in report.rejected.iter().take(MAX_LOGGED_PER_DOCUMENT) {
        app.store
            .log_wire_problem(source.id, &format!("{name}: {}", r.item), &r.reason, now)
            .await?;
    }
    if report.rejected.len() > MAX_LOGGED_PER_DOCUMENT {
        let more = report.rejected.len() - MAX_LOGGED_PER_DOCUMENT;
        app.store
            .log_wire_problem(
                source.id,
                name,
                &format!("and {more} more items refused"),
                now,
            )
            .await?;
    }
    for article in &report.flagged {
        tracing::warn!(source = %source.name, article, "the agency killed a story an article was made from");
    }
    if !source.section.is_empty() {
        for (item_id, item) in to_route {
            if item.signal == broadsheet_core::WireSignal::Kill {
                continue;
            }
            match route(app, source, item_id, item).await {
                Ok(id) => report.routed.push(id),
                Err(e) => {
                    app.store
                        .log_wire_problem(source.id, &item.guid, &format!("routing: {e}"), now)
                        .await?;
                }
            }
        }
        app.sync_changes()
            .await
            .map_err(|e| IngestError::Internal(e.to_string()))?;
    }
    Ok(report)
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The document is not one the parsers read; the reason says why.
    #[error("{0}")]
    Unreadable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

/// The body of a draft made from an item: its paragraphs as Markdown, the dateline first.
pub fn draft_body(item: &WireItem) -> String {
    let text = wire::html_to_paragraphs(&item.body_html);
    let text = if item.dateline.is_empty() || text.starts_with(&item.dateline) {
        text
    } else {
        format!("{} — {text}", item.dateline)
    };
    let body = broadsheet_render::plain_text_to_markdown(&text);
    if body.trim().is_empty() {
        broadsheet_render::plain_text_to_markdown(&item.headline)
    } else {
        body
    }
}

/// An article from an item under a source's routing rule: a draft, or published at once with
/// `auto_publish`. Later versions of the story update the same article (its external id).
async fn route(
    app: &App,
    source: &WireSource,
    item_id: i64,
    item: &WireItem,
) -> Result<i64, String> {
    let section = Slug::parse(&source.section).map_err(|e| e.to_string())?;
    let external_id = format!("wire:{}:{}", source.name, item.guid);
    // A routed draft an editor has since taken further (published, scheduled, in review) is
    // theirs: a newer version does not overwrite it (the editor shows that one has arrived).
    if let Some(existing) = app
        .store
        .article_by_external_id(&external_id)
        .await
        .map_err(|e| e.to_string())?
        && !source.auto_publish
        && existing.status != ArticleStatus::Draft
    {
        return Ok(existing.id);
    }
    let input = ArticleInput {
        external_id: Some(external_id),
        slug: None,
        headline: item.headline.chars().take(300).collect(),
        standfirst: String::new(),
        body_markdown: draft_body(item),
        section: section.clone(),
        section_name: section.to_string(),
        authors: Vec::new(),
        tags: Vec::new(),
        hero: None,
        sources: vec![item.agency.clone()],
        instruments: Vec::new(),
        status: if source.auto_publish {
            ArticleStatus::Published
        } else {
            ArticleStatus::Draft
        },
        importance: 0,
        published_at: None,
        editorial: broadsheet_core::Editorial {
            embargo_until: item.embargo.filter(|e| *e > app.now()),
            ..Default::default()
        },
    };
    let saved = app
        .store
        .save_article(&input)
        .await
        .map_err(|e| e.to_string())?;
    app.store
        .record_wire_use(item_id, saved.id, app.now())
        .await
        .map_err(|e| e.to_string())?;
    Ok(saved.id)
}

/// What a fetch brought.
pub enum Fetch {
    NotModified,
    Body {
        bytes: Bytes,
        etag: Option<String>,
        last_modified: Option<String>,
    },
}

/// Fetches `url` under the wire's rules (see the module). `validators` are sent as
/// If-None-Match / If-Modified-Since.
pub async fn fetch(
    options: &WireOptions,
    url: &str,
    allow_private: bool,
    validators: (Option<&str>, Option<&str>),
) -> Result<Fetch, String> {
    let pinned = crate::outbound::pin(url, allow_private)
        .await
        .map_err(|e| format!("{e}; allow private addresses on the source to fetch it"))?;
    // Connect to the address just checked, not to whatever a second lookup returns.
    let client = pinned
        .builder()
        .timeout(Duration::from_secs(options.fetch_timeout_secs))
        .user_agent(concat!("Broadsheet/", env!("CARGO_PKG_VERSION"), " wire"))
        .build()
        .map_err(|e| e.to_string())?;
    let mut req = client.get(pinned.url.clone());
    if let Some(e) = validators.0 {
        req = req.header(header::IF_NONE_MATCH, e);
    }
    if let Some(m) = validators.1 {
        req = req.header(header::IF_MODIFIED_SINCE, m);
    }
    let mut resp = req.send().await.map_err(|e| describe(&e))?;
    let status = resp.status();
    if status == StatusCode::NOT_MODIFIED {
        return Ok(Fetch::NotModified);
    }
    if status.is_redirection() {
        return Err(format!(
            "HTTP {status}: redirects are not followed; give the source its final address"
        ));
    }
    if !status.is_success() {
        return Err(format!("HTTP {status}"));
    }
    let header_str = |h: &reqwest::Response, name: header::HeaderName| {
        h.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let etag = header_str(&resp, header::ETAG);
    let last_modified = header_str(&resp, header::LAST_MODIFIED);
    if resp
        .content_length()
        .is_some_and(|n| n > options.max_bytes as u64)
    {
        return Err(format!("the answer is over {} bytes", options.max_bytes));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| describe(&e))? {
        if body.len() + chunk.len() > options.max_bytes {
            return Err(format!("the answer is over {} bytes", options.max_bytes));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetch::Body {
        bytes: Bytes::from(body),
        etag,
        last_modified,
    })
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "cannot connect".into()
    } else {
        e.to_string()
    }
}

/// Backoff after `failures` consecutive failures: the interval doubled each time, at most 6 h.
fn backoff(poll_secs: i64, failures: i64) -> i64 {
    let factor = 1i64 << failures.clamp(0, 10);
    poll_secs.saturating_mul(factor).min(6 * 3600)
}

/// Feeds polled at the same time.
const POLLS_AT_ONCE: usize = 4;

/// What one poll of one feed did.
#[derive(Debug)]
pub struct Polled {
    pub source: String,
    /// Items stored (new stories and versions); 0 for a 304.
    pub stored: usize,
    pub unchanged: usize,
    pub rejected: usize,
    pub not_modified: bool,
    pub error: Option<String>,
}

/// Polls every due feed once; returns how many were polled.
pub async fn poll_due(app: &App) -> Result<usize, StoreError> {
    Ok(poll_due_at(app, app.now()).await?.len())
}

/// Polls every feed due at `now` (tests move time on with it) and says what each poll did.
pub async fn poll_due_at(app: &App, now: chrono::DateTime<Utc>) -> Result<Vec<Polled>, StoreError> {
    let options = app.wire_options;
    let lease = i64::try_from(options.fetch_timeout_secs).unwrap_or(60) + 60;
    let due = app.store.claim_wire_polls(now, lease).await?;
    // Feeds are polled side by side (a few at a time), so one that hangs until its timeout
    // holds up no other.
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(POLLS_AT_ONCE));
    let mut tasks = tokio::task::JoinSet::new();
    for source in due {
        let app = app.clone();
        let permits = permits.clone();
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let mut polled = Polled {
                source: source.name.clone(),
                stored: 0,
                unchanged: 0,
                rejected: 0,
                not_modified: false,
                error: None,
            };
            let outcome = poll_one(&app, &source, &mut polled).await;
            if let PollOutcome::Failed { error, .. } = &outcome {
                polled.error = Some(error.clone());
            }
            app.store
                .finish_wire_poll(source.id, &outcome, app.now())
                .await
                .map(|()| polled)
        });
    }
    let mut done = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(result) => done.push(result?),
            Err(e) => tracing::warn!(error = %e, "a wire poll task failed"),
        }
    }
    done.sort_by(|a, b| a.source.cmp(&b.source));
    Ok(done)
}

async fn poll_one(app: &App, source: &WireSource, polled: &mut Polled) -> PollOutcome {
    let options = app.wire_options;
    let next_ok = app.now() + chrono::Duration::seconds(source.poll_secs);
    let failed = |error: String| {
        let failures = source.failures + 1;
        let pause = failures >= options.pause_after;
        crate::metrics::add(&crate::metrics::METRICS.wire_poll_failures, 1);
        tracing::warn!(source = %source.name, error = %error, failures, pause, "wire feed poll failed");
        PollOutcome::Failed {
            error,
            next: app.now() + chrono::Duration::seconds(backoff(source.poll_secs, failures)),
            pause,
        }
    };
    let fetched = fetch(
        &options,
        &source.url,
        source.allow_private,
        (source.etag.as_deref(), source.last_modified.as_deref()),
    )
    .await;
    match fetched {
        Ok(Fetch::NotModified) => {
            polled.not_modified = true;
            PollOutcome::Fetched {
                etag: source.etag.clone(),
                last_modified: source.last_modified.clone(),
                next: next_ok,
            }
        }
        Ok(Fetch::Body {
            bytes,
            etag,
            last_modified,
        }) => match ingest(app, source, bytes, &source.url).await {
            Ok(report) => {
                tracing::info!(source = %source.name, stored = report.stored, rejected = report.rejected.len(), "wire feed polled");
                polled.stored = report.stored;
                polled.unchanged = report.unchanged;
                polled.rejected = report.rejected.len();
                PollOutcome::Fetched {
                    etag,
                    last_modified,
                    next: next_ok,
                }
            }
            Err(IngestError::Unreadable(why)) => failed(format!("unreadable: {why}")),
            Err(e) => failed(e.to_string()),
        },
        Err(e) => {
            let _ = app
                .store
                .log_wire_problem(source.id, &source.url, &e, app.now())
                .await;
            failed(e)
        }
    }
}

/// The drop folder of a source: `wire/NAME/` beside the media folder.
pub fn drop_folder(app: &App, source: &str) -> PathBuf {
    app.media_dir
        .parent()
        .unwrap_or(Path::new("."))
        .join("wire")
        .join(source)
}

/// Reads every file in every folder source's drop folder once: a read file moves to `done/`,
/// one that cannot be read to `failed/` with a `.error` file beside it saying why.
pub async fn scan_folders(app: &App) -> Result<usize, StoreError> {
    let mut n = 0;
    for source in app.store.wire_sources().await? {
        if source.kind != broadsheet_store::WireKind::Folder || source.paused {
            continue;
        }
        let dir = drop_folder(app, &source.name);
        let Ok(mut entries) = tokio::fs::read_dir(&dir).await else {
            continue;
        };
        let mut files = Vec::new();
        while let Ok(Some(e)) = entries.next_entry().await {
            let path = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            // Files still being written are expected under a dot name, then renamed.
            if path.is_file() && !name.starts_with('.') {
                files.push((name, path));
            }
        }
        files.sort();
        for (name, path) in files {
            n += 1;
            let meta = tokio::fs::metadata(&path).await;
            let result = match meta {
                Ok(m) if m.len() > app.wire_options.max_bytes as u64 => Err(format!(
                    "the file is over {} bytes",
                    app.wire_options.max_bytes
                )),
                Ok(_) => match tokio::fs::read(&path).await {
                    Ok(bytes) => match ingest(app, &source, Bytes::from(bytes), &name).await {
                        Ok(_) => Ok(()),
                        Err(IngestError::Store(e)) => return Err(e),
                        Err(e) => Err(e.to_string()),
                    },
                    Err(e) => Err(e.to_string()),
                },
                Err(e) => Err(e.to_string()),
            };
            let to = dir.join(if result.is_ok() { "done" } else { "failed" });
            let _ = tokio::fs::create_dir_all(&to).await;
            if let Err(e) = tokio::fs::rename(&path, to.join(&name)).await {
                tracing::warn!(file = %path.display(), error = %e, "cannot move a wire file");
            }
            if let Err(why) = result {
                let _ = tokio::fs::write(to.join(format!("{name}.error")), why).await;
            }
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_six_hours() {
        assert_eq!(backoff(60, 1), 120);
        assert_eq!(backoff(60, 2), 240);
        assert_eq!(backoff(600, 10), 6 * 3600);
    }
}
