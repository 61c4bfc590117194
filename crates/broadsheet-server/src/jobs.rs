//! The background jobs a node runs, and who it is when it claims them. Every job is safe to
//! run on several nodes at once: scheduled publishing is one conditional `UPDATE`, newsletter
//! and webhook deliveries are claimed row by row with leases (`SKIP LOCKED` on PostgreSQL),
//! wire feeds are claimed with a lease, and market polling holds a job lease per provider so
//! only one node fetches at a time. `broadsheet serve --no-jobs` leaves them to
//! `broadsheet worker` processes.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::AppState;
use crate::providers::QuoteProvider;

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
        let token = crate::auth::random_token();
        format!("{host}:{}:{}", std::process::id(), &token[..8])
    })
}

/// Starts the scheduler (scheduled stories, the newsletter), the webhook sender, the wire
/// ingester and market polling.
pub fn spawn_all(state: &AppState, providers: Vec<Arc<dyn QuoteProvider>>) {
    state.spawn_scheduler(Duration::from_secs(5));
    state.spawn_webhook_sender(Duration::from_secs(2));
    state.spawn_wire_ingester(Duration::from_secs(5));
    crate::providers::spawn(state, providers);
}
