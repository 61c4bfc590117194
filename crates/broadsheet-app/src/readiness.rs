//! Is this node ready for traffic? The database answers a read within two seconds, and the
//! disk that holds the data directory (the SQLite file, the search index, the outbox) has
//! room for writes. A load balancer takes a node that is not ready out of rotation; it comes
//! back by itself once the cause is gone (the database returns, space is freed).

use std::path::Path;
use std::time::Duration;

use crate::App;

/// Below this much free space the data directory's disk counts as full: SQLite needs room for
/// its write-ahead log and the index for its segments, and a write that fails midway is
/// refused (503), not half-done, but every write would fail.
pub const MIN_FREE_BYTES: u64 = 16 << 20;

/// `Ok` when ready, else why not, in words for the operator.
pub async fn check(app: &App) -> Result<(), String> {
    match tokio::time::timeout(Duration::from_secs(2), app.store.change_head()).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(format!("the database cannot be read: {e}")),
        Err(_) => return Err("the database did not answer within 2 s".to_owned()),
    }
    let data_dir = app.media_dir.parent().unwrap_or(&app.media_dir);
    match free_bytes(data_dir) {
        Some(free) if free < MIN_FREE_BYTES => Err(format!(
            "the disk holding {} is full ({} KB free); writes are refused until space is freed",
            data_dir.display(),
            free / 1024
        )),
        _ => Ok(()),
    }
}

/// Bytes an unprivileged process may still write on the file system holding `dir`; `None`
/// when that cannot be asked (the directory is gone, or a platform without `statvfs`).
fn free_bytes(dir: &Path) -> Option<u64> {
    let stat = rustix::fs::statvfs(dir).ok()?;
    Some(stat.f_bavail.saturating_mul(stat.f_frsize))
}
