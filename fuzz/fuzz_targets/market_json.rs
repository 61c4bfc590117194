//! cargo-fuzz target `market_json`: the check is `broadsheet_fuzz::market_json`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| broadsheet_fuzz::market_json(data));
