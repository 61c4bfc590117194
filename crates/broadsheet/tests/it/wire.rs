//! `broadsheet wire import` and `broadsheet wire source`, run as an operator runs them, and a
//! push to the running server over real HTTP.

use crate::support::{http_post, run, serve, shared_data, stderr, stdout};

const NINJS: &str = r#"{"uri": "urn:cli:1", "version": "1", "type": "text",
  "headline": "Port strike halts copper shipments", "located": "ANTOFAGASTA",
  "copyrightholder": "Andes Wire", "body_html": "<p>Dockers walked out.</p>"}"#;

const NITF: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<nitf><head><docdata><doc-id regsrc="PA" id-string="pa-77"/><urgency ed-urg="3"/></docdata></head>
<body><body.head><hedline><hl1>Sterling slips after data</hl1></hedline><byline>By Jo Bloggs</byline>
<dateline>LONDON</dateline></body.head><body.content><p>The pound fell.</p></body.content></body></nitf>"#;

#[test]
fn wire_import_reads_files_reports_refusals_by_name_and_is_idempotent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let files = dir.path().join("in");
    std::fs::create_dir_all(&files).expect("dir");
    let (good, nitf, bad) = (
        files.join("story.json"),
        files.join("pa.xml"),
        files.join("broken.xml"),
    );
    std::fs::write(&good, NINJS).expect("write");
    std::fs::write(&nitf, NITF).expect("write");
    std::fs::write(&bad, "<newsMessage><itemSet>").expect("write");
    let missing = files.join("missing.xml");
    let paths: Vec<String> = [&good, &nitf, &bad, &missing]
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let mut args = vec!["wire", "import"];
    args.extend(paths.iter().map(String::as_str));
    let out = run(&args, &data);
    let (o, e) = (stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(3), "{o}\n{e}");
    assert!(o.contains("story.json: ninjs, 1 stored"), "{o}");
    assert!(o.contains("pa.xml: nitf, 1 stored"), "{o}");
    assert!(e.contains("broken.xml: refused: malformed XML"), "{e}");
    assert!(e.contains("missing.xml: cannot read"), "{e}");
    assert!(!e.contains("panicked"), "{e}");
    // Again: nothing new, exit 0.
    let out = run(&["wire", "import", &paths[0], &paths[1]], &data);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("0 stored, 1 unchanged"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_push_source_made_on_the_command_line_takes_pushes_with_its_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let out = run(&["wire", "source", "add", "andes", "--push"], data);
    assert!(out.status.success(), "{}", stderr(&out));
    let token = stdout(&out).trim().to_owned();
    assert!(token.starts_with("wire_") && token.len() > 30, "{token}");
    let bad = run(&["wire", "source", "add", "Bad Name", "--push"], data);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("name"), "{}", stderr(&bad));
    let feed = run(&["wire", "source", "add", "f", "--feed", "ftp://x"], data);
    assert!(!feed.status.success());
    assert!(stderr(&feed).contains("http"), "{}", stderr(&feed));
    let server = serve(data, &[]);
    let (status, _) = http_post(&server.addr, "/api/wire/andes", "not-the-token", NINJS);
    assert_eq!(status, 401);
    let (status, body) = http_post(&server.addr, "/api/wire/andes", &token, NINJS);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"stored\":1"), "{body}");
    let list = run(&["wire", "source", "list"], data);
    assert!(stdout(&list).contains("andes\tpush"), "{}", stdout(&list));
}

#[test]
fn every_shared_wire_sample_goes_through_the_binary() {
    let Some(shared) = shared_data("wire import of the shared samples") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut files = Vec::new();
    for sub in ["wire-samples", "ninjs/examples", "newsml-g2/examples"] {
        collect(&shared.join(sub), &mut files);
    }
    assert!(files.len() > 150, "{}", files.len());
    let mut args = vec!["wire".to_owned(), "import".to_owned()];
    args.extend(files.iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&args, dir.path());
    let e = stderr(&out);
    assert!(!e.contains("panicked"), "{e}");
    // Some samples are not news (concept items, NewsML 1.x): refused by name, exit 3.
    assert_eq!(out.status.code(), Some(3), "{e}");
    let summary = e.lines().last().unwrap_or("");
    let stored: usize = summary
        .split(" items stored")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(stored > 100, "{summary}");
}

fn collect(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if p.is_dir() {
            collect(&p, out);
        } else if !(name.starts_with("LICENSE") || name == "MANIFEST.tsv" || name.ends_with(".md"))
        {
            out.push(p);
        }
    }
}

#[test]
fn logs_are_json_lines_when_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.xml");
    std::fs::write(&bad, "<nitf><head>").expect("write");
    let out = crate::support::bin()
        .args(["wire", "import", &bad.display().to_string(), "--data"])
        .arg(dir.path().join("data"))
        .env("BROADSHEET_LOG_FORMAT", "json")
        .output()
        .expect("run");
    let err = stderr(&out);
    let logged: Vec<serde_json::Value> = err
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    let refused = logged
        .iter()
        .find(|v| v["fields"]["message"] == "wire document refused")
        .unwrap_or_else(|| panic!("no JSON log line in {err}"));
    assert_eq!(refused["level"], "WARN");
    assert_eq!(refused["fields"]["source"], "files");
}
