//! `broadsheet user add|list`, the first-admin setup link `serve` prints on a site without
//! accounts, and `broadsheet api-key add|list|revoke`.

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::{bin, http_get, run, stderr, stdout};

fn add(data: &std::path::Path, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    let mut child = bin()
        .args(["user", "add"])
        .args(args)
        .arg("--data")
        .arg(data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).expect("write");
    }
    drop(input);
    child.wait_with_output().expect("wait")
}

fn one_clean_error(out: &std::process::Output, needle: &str) {
    assert!(!out.status.success());
    let err = stderr(out);
    assert!(err.starts_with("error: ") && err.contains(needle), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn accounts_are_added_with_a_given_or_generated_password() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let out = add(
        data,
        &[
            "ana@example.com",
            "--role",
            "admin",
            "--name",
            "Ana Ruiz",
            "--password-stdin",
        ],
        Some("a long enough password\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("created ana@example.com (admin)"));
    assert!(
        !stdout(&out).contains("a long enough password"),
        "never echoed"
    );

    let out = add(data, &["ben@example.com", "--role", "contributor"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let generated = text
        .lines()
        .find_map(|l| l.strip_prefix("password (shown once): "))
        .expect("the generated password");
    assert_eq!(generated.chars().count(), 20);

    let list = stdout(&run(&["user", "list"], data));
    assert!(list.contains("ana@example.com\tadmin\tAna Ruiz"), "{list}");
    assert!(list.contains("ben@example.com\tcontributor\tben"), "{list}");

    one_clean_error(
        &add(data, &["ANA@example.com", "--role", "editor"], None),
        "already exists",
    );
    one_clean_error(
        &add(
            data,
            &["cy@example.com", "--role", "editor", "--password-stdin"],
            Some("short\n"),
        ),
        "at least 10 characters",
    );
    one_clean_error(
        &add(data, &["not-an-address", "--role", "editor"], None),
        "email",
    );
    let bad_role = add(data, &["cy@example.com", "--role", "owner"], None);
    assert!(!bad_role.status.success());
    assert!(stderr(&bad_role).contains("owner"), "{}", stderr(&bad_role));
    let list = stdout(&run(&["user", "list"], data));
    assert_eq!(list.lines().count(), 2, "nothing half-made: {list}");
}

#[test]
fn serve_prints_a_setup_link_only_while_the_site_has_no_accounts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("site");
    let mut child = bin()
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .env("BROADSHEET_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let started = Instant::now();
    let mut link = None;
    while started.elapsed() < Duration::from_secs(60) {
        if let Ok(line) = rx.recv_timeout(Duration::from_secs(1))
            && let Some(at) = line.find("http://")
        {
            link = Some(line[at..].trim().to_owned());
            break;
        }
    }
    let link = link.expect("a setup link on stdout");
    let rest = link.strip_prefix("http://").expect("http");
    let (addr, path) = rest.split_once('/').expect("path");
    assert!(path.starts_with("admin/setup/"), "{link}");
    let (status, page) = http_get(addr, &format!("/{path}"));
    assert_eq!(status, 200);
    assert!(page.contains("Create the first account"), "{page}");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn api_keys_are_made_listed_and_revoked_from_the_command_line() {
    use crate::support::serve;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("site");
    let out = run(&["api-key", "add", "partner app"], &data);
    assert!(out.status.success(), "{}", stderr(&out));
    let key = stdout(&out).trim().to_owned();
    assert!(
        key.starts_with("bsc_") && !key.contains(char::is_whitespace),
        "{key}"
    );
    assert!(stderr(&out).contains("shown only now"));

    let list = stdout(&run(&["api-key", "list"], &data));
    assert!(
        list.contains("partner app") && list.contains(&key[..12]),
        "{list}"
    );
    assert!(!list.contains(&key), "the list never shows a whole key");

    let server = serve(&data, &["--demo"]);
    assert_eq!(
        http_get(&server.addr, &format!("/api/v1/sections?key={key}")).0,
        200
    );
    assert_eq!(http_get(&server.addr, "/api/v1/sections").0, 401);
    let id = list.split('\t').next().expect("id").trim().to_owned();
    let revoke = run(&["api-key", "revoke", &id], &data);
    assert!(revoke.status.success(), "{}", stderr(&revoke));
    assert_eq!(
        http_get(&server.addr, &format!("/api/v1/sections?key={key}")).0,
        401
    );

    let again = run(&["api-key", "revoke", &id], &data);
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains(&format!("no unrevoked API key with id {id}")),
        "{}",
        stderr(&again)
    );
    let blank = run(&["api-key", "add", "   "], &data);
    assert!(!blank.status.success());
    assert!(stderr(&blank).contains("name"), "{}", stderr(&blank));
    assert!(!stderr(&blank).contains("panicked"));
}
