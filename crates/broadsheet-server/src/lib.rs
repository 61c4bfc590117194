//! The HTTP side of Broadsheet: the axum router (public pages, media, assets), the cache of
//! rendered pages and its invalidation, HTTP caching and compression, error pages, and `serve`.
//!
//! Invariant: handlers are thin (extract, one store call or two, render) and every page a
//! reader gets goes through `AppState::cached`, which is where ETags, 304s, compression and
//! invalidation live.

mod admin;
mod api;
pub mod auth;
mod cache;
pub mod client;
mod embeds;
mod error;
pub mod jobs;
mod market;
pub mod metrics;
pub mod newsletter;
pub mod providers;
mod respond;
mod routes;
mod search_sync;
mod serve;
mod state;
mod views;
pub mod webhooks;
pub mod wire;

pub use admin::ROUTES as ADMIN_ROUTES;
pub use api::{OPENAPI, create_api_key};
pub use error::AppError;
pub use search_sync::{SyncError, catch_up, rebuild};
pub use serve::{bind, serve};
pub use state::{
    AppState, FeedOptions, Limits, MarketOptions, NewsroomOptions, Options, SiteConfig,
};

/// The application router for `state`, with all middleware.
pub fn router(state: AppState) -> axum::Router {
    routes::router(state)
}
