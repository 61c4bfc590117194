//! cargo-fuzz target `markdown`: the check is `broadsheet_fuzz::markdown`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| broadsheet_fuzz::markdown(data));
