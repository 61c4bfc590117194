//! cargo-fuzz target `jsonl`: the check is `broadsheet_fuzz::jsonl_line`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| broadsheet_fuzz::jsonl_line(data));
