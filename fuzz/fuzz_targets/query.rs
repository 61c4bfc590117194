//! cargo-fuzz target `query`: the check is `broadsheet_fuzz::search_query`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| broadsheet_fuzz::search_query(data));
