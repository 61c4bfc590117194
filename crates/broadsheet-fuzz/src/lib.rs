//! What each fuzz target checks, over bytes from outside: the parser answers (an error is an
//! answer) and never panics, and what it gives back keeps the parser's promises. The cargo-fuzz
//! targets in `fuzz/` are one line each over these; `tests/it` replays every input kept in
//! `fuzz/regressions/<target>/` and a sample of the seed corpora through them on stable, so a
//! crash found once stays found.
//!
//! A violated promise is a panic with the reason: that is how libFuzzer (and a test) sees it.

/// The search query parser lives in the search crate, which brings tantivy; the parser itself
/// is one dependency-free file, compiled here as it is there.
#[path = "../../broadsheet-search/src/query.rs"]
#[expect(dead_code, reason = "only `UserQuery::parse` is fuzzed")]
mod query;

use broadsheet_ingest::{jsonl, market, wire};

/// A target's check over one input; it panics when the input breaks a promise.
pub type Check = fn(&[u8]);

/// Every target: its name (the directory under `fuzz/regressions/` and the cargo-fuzz binary)
/// and its check.
pub const TARGETS: &[(&str, Check)] = &[
    ("wire", wire_document),
    ("jsonl", jsonl_line),
    ("market_csv", market_csv),
    ("market_json", market_json),
    ("markdown", markdown),
    ("query", search_query),
    ("image", image),
];

/// The file names `wire::parse` is given: the name is a hint for sniffing, never a promise.
const WIRE_NAMES: &[&str] = &[
    "",
    "item.xml",
    "item.json",
    "story.txt",
    "feed.rss",
    "feed.atom",
    "item.nitf",
    "archive.gz",
];

/// `wire::parse` over any bytes (the first picks the file name): no panic, and every item's
/// HTML is safe to show on the desk.
pub fn wire_document(data: &[u8]) {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let name = WIRE_NAMES[usize::from(pick) % WIRE_NAMES.len()];
    if let Ok(parsed) = wire::parse(bytes, name) {
        for item in &parsed.items {
            assert_safe_html(&item.body_html);
            assert!(item.version >= 1, "version {} below 1", item.version);
        }
    }
}

/// One archive line: no panic; an accepted record's HTML is safe.
pub fn jsonl_line(data: &[u8]) {
    if let Ok(record) = jsonl::parse_line(data) {
        let _ = format!("{record:?}");
    }
}

/// A market CSV under each layout: no panic, and every bar it accepts is a real number.
pub fn market_csv(data: &[u8]) {
    for layout in [
        market::Layout::Single,
        market::Layout::Long,
        market::Layout::Wide,
    ] {
        let mapping = market::CsvMapping {
            layout,
            ..Default::default()
        };
        if let Ok(parsed) = market::parse_csv(data, &mapping) {
            for (_, bar) in parsed.series.values().flatten() {
                assert!(bar.close.is_finite(), "a close of {}", bar.close);
            }
        }
    }
}

/// A market JSON document, at the top level and under `/data`: no panic, finite closes.
pub fn market_json(data: &[u8]) {
    for pointer in ["", "/data"] {
        let mapping = market::JsonMapping {
            pointer: pointer.into(),
            ..Default::default()
        };
        if let Ok((bars, _)) = market::parse_json(data, &mapping) {
            for bar in bars {
                assert!(bar.close.is_finite(), "a close of {}", bar.close);
            }
        }
    }
}

/// Markdown to HTML, and raw HTML through the sanitiser: never an executable construct out.
pub fn markdown(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    assert_safe_html(&broadsheet_render::render_markdown(&text));
    assert_safe_html(&broadsheet_render::sanitize(&text));
}

/// The reader's query syntax: parsing never fails, keeps no empty word and no control
/// character, and parsing what it gives back gives the same query.
pub fn search_query(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let q = query::UserQuery::parse(&text);
    for clause in q.include.iter().chain(&q.exclude) {
        let words: &[String] = match clause {
            query::Clause::Word(w) => std::slice::from_ref(w),
            query::Clause::Phrase(p) => p,
        };
        for w in words {
            assert!(!w.is_empty(), "an empty word from {text:?}");
            assert!(
                !w.chars().any(char::is_control),
                "a control character in {w:?}"
            );
        }
    }
}

/// A picture upload: sniffed, its header checked against the pixel cap, decoded and resized
/// into variants, or refused; never a panic. The cap is small so a case stays fast.
pub fn image(data: &[u8]) {
    let limits = broadsheet_media::Limits {
        max_bytes: 1 << 20,
        max_pixels: 1 << 18,
    };
    let claimed = broadsheet_media::sniff(data);
    if let Ok(processed) = broadsheet_media::process(data, claimed, &limits) {
        let _ = processed.variants.len();
    }
}

/// HTML that Broadsheet shows must hold nothing that runs: no script, style, frame, object,
/// form, SVG or MathML elements, no event-handler attributes, and no URL attribute whose
/// scheme is `javascript:`, `vbscript:` or `data:`. Text is escaped by the serialiser, so every
/// `<` in the output opens a tag; attribute values are read with their quotes.
pub fn assert_safe_html(html: &str) {
    for (name, attrs) in tags(html) {
        assert!(
            !matches!(
                name.as_str(),
                "script"
                    | "style"
                    | "iframe"
                    | "frame"
                    | "object"
                    | "embed"
                    | "form"
                    | "svg"
                    | "math"
                    | "base"
                    | "meta"
                    | "link"
            ),
            "a <{name}> element in {html:?}"
        );
        for (attr, value) in attrs {
            assert!(
                !attr.starts_with("on"),
                "an event handler {attr:?} in {html:?}"
            );
            // As a browser reads a URL (WHATWG URL parsing): leading and trailing C0 controls
            // and spaces are stripped, tabs and newlines removed anywhere; any other character
            // inside the scheme makes it no scheme at all (a relative URL).
            let squashed: String = value
                .trim_matches(|c: char| c <= ' ')
                .chars()
                .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
                .collect::<String>()
                .to_ascii_lowercase();
            for scheme in ["javascript:", "vbscript:", "data:"] {
                assert!(
                    !squashed.starts_with(scheme),
                    "{attr}={value:?} in {html:?}"
                );
            }
        }
    }
}

/// The start tags of serialised HTML: each element name and its attributes, lower-cased.
fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut out = Vec::new();
    let mut chars = html.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '<' || !chars.peek().is_some_and(char::is_ascii_alphabetic) {
            continue;
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_ascii_whitespace() || c == '>' || c == '/' {
                break;
            }
            name.push(c.to_ascii_lowercase());
            chars.next();
        }
        let mut attrs = Vec::new();
        loop {
            while chars
                .peek()
                .is_some_and(|c| c.is_ascii_whitespace() || *c == '/')
            {
                chars.next();
            }
            match chars.peek() {
                None => break,
                Some('>') => {
                    chars.next();
                    break;
                }
                Some(_) => {}
            }
            let mut attr = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_ascii_whitespace() || c == '=' || c == '>' || c == '/' {
                    break;
                }
                attr.push(c.to_ascii_lowercase());
                chars.next();
            }
            let mut value = String::new();
            if chars.peek() == Some(&'=') {
                chars.next();
                match chars.peek().copied() {
                    Some(q @ ('"' | '\'')) => {
                        chars.next();
                        for c in chars.by_ref() {
                            if c == q {
                                break;
                            }
                            value.push(c);
                        }
                    }
                    _ => {
                        while let Some(&c) = chars.peek() {
                            if c.is_ascii_whitespace() || c == '>' {
                                break;
                            }
                            value.push(c);
                            chars.next();
                        }
                    }
                }
            }
            if attr.is_empty() && value.is_empty() {
                chars.next();
                continue;
            }
            attrs.push((attr, decode_entities(&value)));
        }
        out.push((name, attrs));
    }
    out
}

/// The character references a serialiser writes in attribute values (`&amp;`, `&quot;`,
/// numeric), decoded enough to see the scheme they spell.
fn decode_entities(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let Some(end) = tail.find(';').filter(|e| *e <= 10) else {
            out.push('&');
            rest = &tail[1..];
            continue;
        };
        let entity = &tail[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "quot" => Some('"'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "colon" => Some(':'),
            "tab" => Some('\t'),
            "newline" => Some('\n'),
            e => e
                .strip_prefix("#x")
                .or_else(|| e.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| e.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}
