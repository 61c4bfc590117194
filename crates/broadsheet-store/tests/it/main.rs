//! Store tests: the conformance suite, run against every backend, and SQLite-specific checks.

mod conformance;
mod newsroom;
mod postgres;
mod sqlite;
