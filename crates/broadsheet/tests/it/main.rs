//! Tests of the `broadsheet` binary as an operator meets it: its commands, its errors, the
//! import, and (when ../shared/data is present) the real corpora.

mod architecture;
mod backup;
mod calendar;
mod cli;
mod clients;
mod corpus;
mod disk;
mod import;
mod market;
mod migrate;
mod newsletter;
mod nodes;
mod search_cli;
mod support;
mod users;
mod wire;
