//! The fuzz targets' checks on stable: every input a fuzzer ever crashed on
//! (`fuzz/regressions/<target>/`), the seed corpora from ../shared/data, property tests, and
//! proof that the HTML check can fail.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

use broadsheet_fuzz::{TARGETS, assert_safe_html};
use proptest::prelude::*;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `check` on `input`; the panic message, if any.
fn failure(check: fn(&[u8]), input: &[u8]) -> Option<String> {
    std::panic::catch_unwind(AssertUnwindSafe(|| check(input)))
        .err()
        .map(|e| {
            e.downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default()
        })
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn every_kept_crash_input_passes_its_check() {
    let mut replayed = 0;
    let mut failures = Vec::new();
    for (name, check) in TARGETS {
        let mut files = Vec::new();
        files_under(&repo().join("fuzz/regressions").join(name), &mut files);
        for f in files {
            let bytes = std::fs::read(&f).expect("read");
            replayed += 1;
            if let Some(why) = failure(*check, &bytes) {
                failures.push(format!("{}: {why}", f.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(
        replayed > 0,
        "fuzz/regressions holds the inputs found so far"
    );
}

/// ../shared/data, or `None` after a skip (a failure unless skipping is allowed).
fn shared_data() -> Option<PathBuf> {
    broadsheet_testkit::shared_data("fuzz seed corpora")
}

#[test]
fn the_seed_corpora_pass_every_check() {
    let Some(data) = shared_data() else { return };
    let mut failures = Vec::new();
    let mut tried = 0;
    let mut run = |target: &str, input: &[u8], from: &str| {
        let (_, check) = TARGETS.iter().find(|(n, _)| *n == target).expect("target");
        tried += 1;
        if let Some(why) = failure(*check, input) {
            failures.push(format!("{target} on {from}: {why}"));
        }
    };
    let mut documents = Vec::new();
    for dir in [
        "wire-samples",
        "ninjs/examples",
        "newsml-g2/examples",
        "feeds",
    ] {
        files_under(&data.join(dir), &mut documents);
    }
    for f in &documents {
        let bytes = std::fs::read(f).expect("read");
        // Each document under two file names: none, and its own extension's.
        for pick in [0_u8, 1, 2, 4] {
            let mut input = vec![pick];
            input.extend_from_slice(&bytes);
            run("wire", &input, &f.display().to_string());
        }
    }
    let mut markets = Vec::new();
    files_under(&data.join("market"), &mut markets);
    for f in markets
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "csv"))
    {
        let bytes = std::fs::read(f).expect("read");
        run(
            "market_csv",
            &bytes[..bytes.len().min(256 * 1024)],
            &f.display().to_string(),
        );
    }
    for f in markets
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "json"))
    {
        run(
            "market_json",
            &std::fs::read(f).expect("read"),
            &f.display().to_string(),
        );
    }
    for corpus in [
        "news-bbc/bbc_news_2225.jsonl",
        "news-agnews/agnews_test_7600.jsonl",
        "news-reuters21578/reuters21578.jsonl",
    ] {
        let text = std::fs::read(data.join(corpus)).expect("corpus");
        for (n, line) in text.split(|b| *b == b'\n').take(1500).enumerate() {
            let from = format!("{corpus}:{}", n + 1);
            run("jsonl", line, &from);
            run("markdown", line, &from);
            run("query", &line[..line.len().min(200)], &from);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {tried}: {failures:#?}",
        failures.len()
    );
    assert!(tried > 5000, "only {tried} seeds");
}

#[test]
fn the_html_check_catches_what_runs_and_lets_text_through() {
    for bad in [
        "<p><script>alert(1)</script></p>",
        "<img src=x onerror=alert(1)>",
        "<a href=\"java&#x73;cript:alert(1)\">x</a>",
        "<a href=' javascript:alert(1)'>x</a>",
        "<a href=\"data:text/html,<script>\">x</a>",
        "<IFRAME src=/x></IFRAME>",
        "<svg><a xlink:href=x>y</a></svg>",
    ] {
        assert!(
            failure(
                |b| assert_safe_html(std::str::from_utf8(b).expect("utf-8")),
                bad.as_bytes()
            )
            .is_some(),
            "{bad} passed"
        );
    }
    assert_safe_html(
        "<p>&lt;script&gt; javascript: onclick=1 is text</p><a href=\"/x?a=1&amp;b=2\" title=\"a > b\">ok</a>",
    );
}

/// Fragments an author (or an agency) might paste, to mix into generated Markdown.
fn hostile() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "<script>alert(1)</script>",
        "</script><script>x</script>",
        "<iframe src=javascript:alert(1)>",
        "<img src=x onerror=alert(1)>",
        "[link](javascript:alert(1))",
        "[link](java\tscript:alert(1))",
        "![pic](data:text/html;base64,PHNjcmlwdD4=)",
        "<a href=\"&#106;avascript:x\">a</a>",
        "<svg onload=alert(1)>",
        "<style>body{}</style>",
        "<form action=/x><input></form>",
        "<div style=\"background:url(javascript:x)\">",
        "<<script>script>",
        "`<script>`",
        "\n```html\n<script>x</script>\n```\n",
        "<details open ontoggle=alert(1)>",
    ])
    .prop_map(str::to_owned)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn sanitised_markdown_never_holds_an_executable_construct(
        parts in prop::collection::vec(prop_oneof![hostile(), "[a-zA-Z <>\"'=/:*_#\\[\\]()\n-]{0,40}"], 1..8)
    ) {
        let text = parts.concat();
        broadsheet_fuzz::markdown(text.as_bytes());
    }

    #[test]
    fn any_query_parses_and_parses_again_to_the_same_words(q in "\\PC{0,80}") {
        broadsheet_fuzz::search_query(q.as_bytes());
    }

    #[test]
    fn any_bytes_are_a_wire_document_or_a_clear_refusal(data in prop::collection::vec(any::<u8>(), 0..2048)) {
        broadsheet_fuzz::wire_document(&data);
    }
}
