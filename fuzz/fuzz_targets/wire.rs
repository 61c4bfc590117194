//! cargo-fuzz target `wire`: the check is `broadsheet_fuzz::wire_document`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| broadsheet_fuzz::wire_document(data));
