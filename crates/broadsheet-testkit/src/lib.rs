//! Tests that need something outside the repository (a PostgreSQL database, an SMTP server, an
//! S3 server, the research corpora in `../shared/data`, a tmpfs) fail when it is missing,
//! unless the environment says skipping is allowed: `BROADSHEET_ALLOW_SKIP=1`, which
//! `tools/test` (the README's test command, for a machine without services) sets and CI never
//! does. A skip is printed and, when `BROADSHEET_SKIP_LOG` names a file, appended to it as one
//! tab-separated line (needs, test, how to provide it), from which `tools/test` prints one
//! summary line per missing thing at the end of the run. No dependencies: the store and media
//! crates' `testing` modules use it too.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Set to `1` to let tests skip when what they need is missing.
pub const ALLOW_VAR: &str = "BROADSHEET_ALLOW_SKIP";
/// A file every skip is appended to (one line each).
pub const LOG_VAR: &str = "BROADSHEET_SKIP_LOG";

/// Whether the environment allows skipping.
pub fn skipping_allowed() -> bool {
    std::env::var(ALLOW_VAR).is_ok_and(|v| v == "1")
}

/// `test` cannot run because `needs` is missing (`how` says how to provide it). Fails the test
/// (panics) unless skipping is allowed; otherwise prints `SKIPPED …` and records the skip. The
/// caller returns after this.
#[track_caller]
pub fn skip(test: &str, needs: &str, how: &str) {
    assert!(
        skipping_allowed(),
        "{test} needs {needs}, which is missing: {how}. \
         (On a machine without it, run the tests with {ALLOW_VAR}=1, as tools/test does.)"
    );
    eprintln!("SKIPPED {test}: needs {needs} ({how})");
    if let Some(path) = std::env::var_os(LOG_VAR) {
        let line = format!("{needs}\t{test}\t{how}\n").replace(['\r'], " ");
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            // One write per line: appends of a short line from parallel tests do not interleave.
            let _ = f.write_all(line.as_bytes());
        }
    }
}

/// The research corpora: `BROADSHEET_SHARED_DATA`, or `shared/data` beside the repository.
/// `None` after [`skip`] when the directory is absent.
#[track_caller]
pub fn shared_data(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("BROADSHEET_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    if dir.is_dir() {
        Some(dir)
    } else {
        skip(
            test,
            "the research corpora (../shared/data)",
            &format!("{} not found; set BROADSHEET_SHARED_DATA", dir.display()),
        );
        None
    }
}

/// Whether `python3` can import `module` (the SMTP and S3 test servers are Python programs).
pub fn python_has(module: &str) -> bool {
    std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
