//! A data directory whose disk fills up, against the real binary on a real (small) file
//! system: a tmpfs the test mounts. While the disk is full, writes are refused with 503 and
//! `Retry-After` (not 500) and `/readyz` says why; once space is freed, writes work again
//! without a restart. (SQLite rolls back a transaction whose COMMIT hit SQLITE_FULL itself;
//! the connection pool used to keep counting it as open, and every later write failed with
//! "begin_with at non-zero transaction depth".)

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{add_editor, http_get, http_post, run, serve, sign_in, stderr, stdout};

/// A tmpfs of `size` mounted at `dir`, unmounted on drop; `None` after a skip where mounting
/// is not allowed (a failure unless skipping is allowed: CI runs as root and never skips).
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Self> {
        std::fs::create_dir_all(dir).expect("mount point");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Self(dir.to_owned())),
            other => {
                let why = match other {
                    Ok(o) => stderr(&o),
                    Err(e) => e.to_string(),
                };
                broadsheet_testkit::skip(
                    "disk-full test",
                    "a tmpfs (mount, as root)",
                    &format!("mount failed: {}", why.trim()),
                );
                None
            }
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Writes `path` until the file system has no room left.
fn fill(path: &Path) {
    let mut f = std::fs::File::create(path).expect("filler");
    let chunk = vec![0x5a_u8; 256 * 1024];
    loop {
        if let Err(e) = f.write_all(&chunk).and_then(|()| f.sync_data()) {
            assert_eq!(e.raw_os_error(), Some(28), "ENOSPC, not {e}");
            break;
        }
    }
    // Whatever partial blocks are left.
    let _ = f.write_all(&[0; 4096]);
}

/// The `id` of the article in a 201 response.
fn id(raw: &str) -> i64 {
    let body = raw.split_once("\r\n\r\n").map_or(raw, |(_, b)| b);
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {raw}"));
    v["article"]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no id: {raw}"))
}

fn article(headline: &str, body_bytes: usize) -> String {
    serde_json::json!({
        "headline": headline,
        "body": "Rates held steady. ".repeat(body_bytes / 19 + 1),
        "section": "economy",
    })
    .to_string()
}

#[test]
fn a_full_disk_refuses_writes_with_503_and_readyz_says_so_then_writes_work_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(_mnt) = Tmpfs::mount(&dir.path().join("mnt"), "48m") else {
        return;
    };
    let data = dir.path().join("mnt/site");
    let out = run(&["demo"], &data);
    assert!(out.status.success(), "{}", stderr(&out));
    add_editor(&data, "desk@example.com", "a long enough desk password");
    let out = run(
        &["api-key", "add", "--user", "desk@example.com", "desk"],
        &data,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let key = stdout(&out).trim().to_owned();

    let server = serve(&data, &[]);
    let addr = server.addr.clone();
    assert_eq!(http_get(&addr, "/readyz").0, 200);
    let (status, before) = http_post(
        &addr,
        "/api/v1/admin/articles",
        &key,
        &article("Before", 2000),
    );
    assert_eq!(status, 201, "{before}");

    let filler = dir.path().join("mnt/filler");
    fill(&filler);

    let (status, body) = http_get(&addr, "/readyz");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("full"), "{body}");
    // Each write is refused as "try again later", with nothing half-written; never a 500.
    for i in 0..3 {
        let (status, raw) = http_post(
            &addr,
            "/api/v1/admin/articles",
            &key,
            &article(&format!("While full {i}"), 400_000),
        );
        assert_eq!(status, 503, "write {i} on a full disk: {raw}");
        assert!(raw.to_ascii_lowercase().contains("retry-after"), "{raw}");
    }
    let (status, raw) = sign_in(&addr, "desk@example.com", "a long enough desk password");
    assert_eq!(status, 503, "sign-in needs a session row: {raw}");

    std::fs::remove_file(&filler).expect("free the space");
    assert_eq!(http_get(&addr, "/readyz").0, 200, "ready again");
    let (status, after) = http_post(
        &addr,
        "/api/v1/admin/articles",
        &key,
        &article("After", 2000),
    );
    assert_eq!(status, 201, "writes work again without a restart: {after}");
    let (status, raw) = sign_in(&addr, "desk@example.com", "a long enough desk password");
    assert_eq!(status, 303, "sign-in works again: {raw}");
    assert_eq!(
        id(&after),
        id(&before) + 1,
        "the refused writes left nothing behind, not even a used id"
    );
    let log: Vec<String> = server.log.try_iter().collect();
    assert!(
        !log.iter()
            .any(|l| l.contains("transaction depth") || l.contains("panicked")),
        "{log:#?}"
    );
}
