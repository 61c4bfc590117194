//! `broadsheet backup` taken while the server runs and writes, `broadsheet restore` into an
//! empty data directory, and a restored site served again; damaged backups and occupied
//! directories are refused before anything is written.

use crate::support::{http_get, run, serve, stderr, stdout};

#[test]
fn a_backup_taken_while_serving_restores_to_the_same_site() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (live, copy, restored) = (
        dir.path().join("live"),
        dir.path().join("backup"),
        dir.path().join("restored"),
    );
    let out = run(&["demo"], &live);
    assert!(out.status.success(), "{}", stderr(&out));
    let server = serve(&live, &[]);
    let (status, home) = http_get(&server.addr, "/");
    assert_eq!(status, 200);
    // A write while the server runs, then the backup, still while it runs.
    let story = dir.path().join("story.json");
    std::fs::write(
        &story,
        r#"{"uri": "urn:bk:1", "headline": "Backed up wire story", "body_html": "<p>Kept.</p>"}"#,
    )
    .expect("write");
    let out = run(&["wire", "import", &story.display().to_string()], &live);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&["backup", &copy.display().to_string()], &live);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("backed up 34 articles"),
        "{}",
        stdout(&out)
    );
    drop(server);

    let manifest = std::fs::read_to_string(copy.join("MANIFEST")).expect("manifest");
    assert!(
        manifest.lines().count() > 30,
        "the database and every media file"
    );
    let out = run(&["restore", &copy.display().to_string()], &restored);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("restored 34 articles"),
        "{}",
        stdout(&out)
    );

    // The restored site serves the same front page, with its pictures.
    let server = serve(&restored, &[]);
    let (status, restored_home) = http_get(&server.addr, "/");
    assert_eq!(status, 200);
    let headlines = |html: &str| -> Vec<String> {
        let doc = scraper::Html::parse_document(html);
        let sel = scraper::Selector::parse("main a[href^='/article/']").expect("selector");
        doc.select(&sel)
            .map(|a| a.text().collect::<String>())
            .collect()
    };
    assert_eq!(headlines(&home), headlines(&restored_home));
    let first_image = manifest
        .lines()
        .find_map(|l| l.split("  ").nth(2).filter(|p| p.starts_with("media/")))
        .expect("a media file");
    let (status, _) = http_get(&server.addr, &format!("/{first_image}"));
    assert_eq!(status, 200, "{first_image}");
    drop(server);
    // The wire item written while the server ran is in the copy.
    let again = run(&["wire", "import", &story.display().to_string()], &restored);
    assert!(
        stdout(&again).contains("0 stored, 1 unchanged"),
        "{}",
        stdout(&again)
    );

    // Restoring over a site, or backing up into a used directory, is refused.
    let out = run(&["restore", &copy.display().to_string()], &restored);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("already holds a site"),
        "{}",
        stderr(&out)
    );
    let out = run(&["backup", &copy.display().to_string()], &live);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("not empty"), "{}", stderr(&out));
}

/// A demo site backed up: the temporary directory, the site, the backup, its manifest and the
/// first media file the manifest names.
fn backed_up_demo() -> (
    tempfile::TempDir,
    std::path::PathBuf,
    std::path::PathBuf,
    String,
    String,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (live, copy) = (dir.path().join("live"), dir.path().join("backup"));
    assert!(run(&["demo"], &live).status.success());
    assert!(
        run(&["backup", &copy.display().to_string()], &live)
            .status
            .success()
    );
    let manifest = std::fs::read_to_string(copy.join("MANIFEST")).expect("manifest");
    let media = manifest
        .lines()
        .find_map(|l| l.split("  ").nth(2).filter(|p| p.starts_with("media/")))
        .expect("a media file")
        .to_owned();
    (dir, live, copy, manifest, media)
}

#[test]
fn a_damaged_backup_is_refused_before_anything_is_written() {
    let (dir, live, copy, _, media) = backed_up_demo();
    let mut bytes = std::fs::read(copy.join(&media)).expect("read");
    bytes[0] ^= 0xff;
    std::fs::write(copy.join(&media), bytes).expect("write");
    let target = dir.path().join("target");
    let out = run(&["restore", &copy.display().to_string()], &target);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("damaged") && err.contains(&media), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!target.join("broadsheet.db").exists(), "nothing restored");
    assert!(!target.join("media").exists(), "nothing written");
    // A directory that is not a backup at all.
    let out = run(
        &["restore", &live.display().to_string()],
        &dir.path().join("t2"),
    );
    assert!(
        stderr(&out).contains("not a Broadsheet backup"),
        "{}",
        stderr(&out)
    );
}

/// A backup whose media file is a symbolic link out of it (to a secret elsewhere on the
/// machine, with the manifest rewritten to match) is refused: restore copies only regular
/// files inside the backup, and writes nothing.
#[cfg(unix)]
#[test]
fn a_backup_with_a_symbolic_link_out_of_it_is_refused() {
    let (dir, _live, copy, manifest, media) = backed_up_demo();
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, "not for the web").expect("secret");
    std::fs::remove_file(copy.join(&media)).expect("remove");
    std::os::unix::fs::symlink(&secret, copy.join(&media)).expect("symlink");
    // The checksum of what the link points at, so only the link itself gives it away.
    let sha = {
        use sha2::Digest;
        let d = sha2::Sha256::digest(b"not for the web");
        d.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let rewritten: String = manifest
        .lines()
        .map(|l| {
            if l.ends_with(&format!("  {media}")) {
                format!("{sha}  15  {media}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(copy.join("MANIFEST"), rewritten).expect("manifest");
    let target = dir.path().join("target");
    let out = run(&["restore", &copy.display().to_string()], &target);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("not a regular file") && err.contains(&media),
        "{err}"
    );
    assert!(!target.join("broadsheet.db").exists(), "nothing restored");
    assert!(!target.join("media").exists(), "nothing written");
}

#[test]
fn media_store_settings_that_cannot_work_stop_the_server_with_a_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = crate::support::bin()
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(dir.path())
        .env("BROADSHEET_MEDIA__S3__ENDPOINT", "not a url")
        .env("BROADSHEET_MEDIA__S3__BUCKET", "media")
        .env("BROADSHEET_MEDIA__S3__ACCESS_KEY", "k")
        .env("BROADSHEET_MEDIA__S3__SECRET_KEY", "s")
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("media.s3.endpoint is not a URL"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!err.contains("\"s\""), "no secret in the message: {err}");
}
