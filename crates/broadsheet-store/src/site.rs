//! The site's own state in the store: settings, job leases between nodes, and the change log
//! every cache and index follows.

use async_trait::async_trait;
use broadsheet_core::Timestamp;

use crate::{Changes, Result};

#[async_trait]
pub trait SiteState: Send + Sync {
    /// A site setting (`site.name`, …), if set.
    async fn setting(&self, key: &str) -> Result<Option<String>>;
    /// Sets a site setting; every cached page shows settings, so this invalidates them all.
    async fn set_setting(&self, key: &str, value: &str) -> Result<()>;
    /// The setting's value, storing `value` first if it has none: of several nodes starting
    /// at once, every one gets the value the first stored (a shared secret, say).
    async fn setting_or_init(&self, key: &str, value: &str) -> Result<String>;

    /// Takes or renews the lease on a recurring job for `holder` (a node) until `now + secs`:
    /// true when `holder` has it, false while another node's lease runs.
    async fn try_lease(&self, job: &str, holder: &str, now: Timestamp, secs: i64) -> Result<bool>;
    /// Gives a lease back early (a node shutting down, a job finished).
    async fn release_lease(&self, job: &str, holder: &str) -> Result<()>;

    /// Waits until another writer may have changed something, or `max` passes: on
    /// PostgreSQL a `NOTIFY` ends the wait at once; elsewhere it is a plain sleep and the
    /// caller polls the change log.
    async fn wait_for_change(&self, max: std::time::Duration);

    /// The change log position now.
    async fn change_head(&self) -> Result<i64>;
    /// Cache keys touched after log position `since`.
    async fn changes_since(&self, since: i64) -> Result<Changes>;
}
