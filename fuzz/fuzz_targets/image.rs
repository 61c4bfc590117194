//! cargo-fuzz target `image`: the check is `broadsheet_fuzz::image`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| broadsheet_fuzz::image(data));
