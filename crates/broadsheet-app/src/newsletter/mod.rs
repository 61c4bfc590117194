//! The newsletter's use cases: signed links (`links.rs`), composing the daily digest and its
//! e-mails (`compose.rs`), and sending an issue through the send journal (`send.rs`). The
//! server's daily job and `broadsheet newsletter send-digest` share `send::run_digest`; the
//! sign-up, confirmation and preference pages are the server's (`newsletter/routes.rs` there).

pub mod compose;
pub mod links;
pub mod send;
pub mod subscriptions;

pub use crate::options::NewsletterOptions;
