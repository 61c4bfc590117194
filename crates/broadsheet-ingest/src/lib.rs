//! Parsers that turn outside content into Broadsheet's types. Pure functions over bytes,
//! tested against fixtures; no I/O.
//!
//! `jsonl`: the archive import format, one article per JSON line.
//! `market`: market-data CSV files in their many layouts, through a column mapping.
//! `wire`: agency copy (ninjs, NewsML-G2, NITF, IPTC 7901/ANPA, RSS, Atom, JSON Feed).

pub mod calendar;
pub mod jsonl;
pub mod market;
pub mod wire;
