//! cargo-fuzz target `wire`: the check is `broadsheet_fuzz::wire_document`.
//!
//! `wire::parse` runs feed-rs inside `catch_unwind` (a third-party parser's panic is a
//! malformed feed to the caller): libFuzzer's panic hook would abort on that caught panic too,
//! so the default hook is put back and only a panic that escapes our code is a crash.
#![no_main]

libfuzzer_sys::fuzz_target!(
    init: {
        drop(std::panic::take_hook());
    },
    |data: &[u8]| broadsheet_fuzz::wire_document(data)
);
