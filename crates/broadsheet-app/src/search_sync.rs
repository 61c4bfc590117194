//! Keeping the search index a faithful cache of the database: a full rebuild from the store,
//! and catching up with the change log (which also carries writes made by other processes).

use std::sync::Arc;

use broadsheet_search::SearchIndex;
use broadsheet_store::Store;

/// What keeping the index current can fail with: the store, the index, or its worker.
pub type SyncError = crate::Error;

const BATCH: u32 = 1000;
/// A rebuild commits (becomes searchable) every this many articles: often enough that a large
/// archive fills in visibly, rarely enough that segments and merges stay few.
const COMMIT_EVERY: usize = 25_000;

async fn apply(
    index: &Arc<dyn SearchIndex>,
    upserts: Vec<broadsheet_core::Article>,
    removals: Vec<i64>,
    seq: i64,
) -> Result<(), SyncError> {
    let index = index.clone();
    tokio::task::spawn_blocking(move || index.apply(&upserts, &removals, seq))
        .await
        .map_err(|e| SyncError::Worker(e.to_string()))??;
    Ok(())
}

/// Empties the index and indexes every article again; calls `progress(done, total)` after each
/// batch. Returns how many articles were read. The index then reflects the change log as it
/// was when the rebuild started; `catch_up` applies what changed since.
pub async fn rebuild(
    store: &dyn Store,
    index: &Arc<dyn SearchIndex>,
    progress: impl Fn(usize, usize),
) -> Result<usize, SyncError> {
    let head = store.change_head().await?;
    let total = store.counts().await?.articles.max(0) as usize;
    let cleared = index.clone();
    tokio::task::spawn_blocking(move || cleared.clear())
        .await
        .map_err(|e| SyncError::Worker(e.to_string()))??;
    let mut after = 0;
    let mut done = 0;
    let mut staged = 0;
    loop {
        let batch = store.articles_after(after, BATCH).await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        done += batch.len();
        staged += batch.len();
        if staged >= COMMIT_EVERY {
            apply(index, batch, Vec::new(), head).await?;
            staged = 0;
        } else {
            let staging = index.clone();
            tokio::task::spawn_blocking(move || staging.stage(&batch))
                .await
                .map_err(|e| SyncError::Worker(e.to_string()))??;
        }
        progress(done, total);
    }
    // The final commit makes the rest searchable and records the log position.
    apply(index, Vec::new(), Vec::new(), head).await?;
    Ok(done)
}

/// Applies the change log after the index's position. Returns how many articles were
/// re-indexed or removed; `None` when the index has no position (it needs a rebuild).
pub async fn catch_up(
    store: &dyn Store,
    index: &Arc<dyn SearchIndex>,
) -> Result<Option<usize>, SyncError> {
    let Some(mut seq) = index.applied_seq() else {
        return Ok(None);
    };
    let mut touched = 0;
    loop {
        let changes = store.changes_since(seq).await?;
        if changes.upto == seq {
            return Ok(Some(touched));
        }
        let mut upserts = Vec::new();
        let mut removals = Vec::new();
        for id in changes
            .keys
            .iter()
            .filter_map(|k| k.strip_prefix("article:")?.parse::<i64>().ok())
        {
            match store.article_by_id(id).await? {
                Some(article) => upserts.push(article),
                None => removals.push(id),
            }
        }
        touched += upserts.len() + removals.len();
        apply(index, upserts, removals, changes.upto).await?;
        seq = changes.upto;
    }
}
