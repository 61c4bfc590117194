//! The application layer: Broadsheet's use cases over a context (`App`: store, search, theme,
//! mailer, media, site settings, clock, options), below the HTTP server and the CLI, above the
//! crates that do one thing each (store, search, render, mail, media, ingest, syndication).
//!
//! Invariant: nothing here knows HTTP. No axum, no http types, no HTML form structs; a use
//! case takes plain data and returns plain data or an `Error` whose variants a caller maps to
//! what it speaks (a status code, an exit code). The server and the `broadsheet` binary call
//! the same functions, so a digest sent by the command is the digest the server sends.

pub mod accounts;
pub mod backup;
pub mod calendar;
pub mod clock;
mod context;
mod error;
pub mod imports;
pub mod jobs;
pub mod markets;
pub mod media;
pub mod metrics;
pub mod newsletter;
mod options;
pub mod outbound;
pub mod providers;
pub mod publishing;
pub mod quotes;
pub mod readiness;
pub mod search;
pub mod search_sync;
pub mod secrets;
mod site;
pub mod webhooks;
pub mod wire;
pub mod wire_use;

pub use clock::{Clock, ManualClock, SystemClock};
pub use context::{App, AppOptions, Core, Parts};
pub use error::Error;
pub use site::{SITE_SETTINGS, SiteConfig};
