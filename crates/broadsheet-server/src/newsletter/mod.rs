//! The newsletter's pages: sign-up, confirmation, preferences, one-click unsubscribe and the
//! archive (`routes.rs`). Composing and sending are the application's
//! (`broadsheet_app::newsletter`).

pub(crate) mod routes;
