//! Market data as pages show it: the quotes are the application's (`broadsheet_app::quotes`),
//! shared with the digest e-mail's market summary.

pub(crate) use broadsheet_app::quotes::{Quote, format_number, quote};
