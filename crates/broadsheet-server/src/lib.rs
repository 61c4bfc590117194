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
mod limits;
mod market;
pub mod metrics;
pub mod newsletter;
mod problem;
mod respond;
mod routes;
mod serve;
mod state;
mod views;
mod wire;

pub use admin::ROUTES as ADMIN_ROUTES;
pub use api::{OPENAPI, create_api_key};
pub use broadsheet_app::SiteConfig;
pub use broadsheet_app::search_sync::{SyncError, catch_up, rebuild};
pub use error::AppError;
pub use serve::{bind, serve};
pub use state::{
    AppState, CalendarOptions, FeedOptions, Limits, MarketOptions, NewsroomOptions, Options,
};

/// The application router for `state`, with all middleware.
pub fn router(state: AppState) -> axum::Router {
    routes::router(state)
}
