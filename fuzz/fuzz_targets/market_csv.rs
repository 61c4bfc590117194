//! cargo-fuzz target `market_csv`: the check is `broadsheet_fuzz::market_csv`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| broadsheet_fuzz::market_csv(data));
