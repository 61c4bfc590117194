//! Agency copy in the formats agencies send, parsed into `broadsheet_core::WireItem`: IPTC ninjs
//! 1.x–3.x (`ninjs`), NewsML-G2 text, picture and package items (`newsml`), NITF (`nitf`),
//! IPTC 7901 and ANPA-1312 text (`anpa`), and RSS 0.9x/1.0/2.0, Atom and JSON Feed (`feed`).
//!
//! `parse` finds the format from the bytes themselves (the file name only breaks ties) and
//! returns every item it could read plus a reason for each it could not, so one bad entry in a
//! feed never loses the rest. Bodies are sanitised here, once, for every format. XML documents
//! that declare entities are refused before parsing (billion laughs, external entities), and no
//! parser ever fetches anything.

mod anpa;
mod feed;
mod newsml;
mod ninjs;
mod nitf;
pub mod text;
mod xml;

use std::fmt;

use broadsheet_core::{WireItem, WireSignal};

pub use text::html_to_paragraphs;

/// Largest document the parsers read.
pub const MAX_DOCUMENT_BYTES: usize = 20 * 1024 * 1024;
/// Most items taken from one document; the rest are reported, not read.
pub const MAX_ITEMS: usize = 20_000;

/// Why a document could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    pub reason: String,
}

impl WireError {
    pub(crate) fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for WireError {}

/// An item of a document that was left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The item's id, or its position ("item 3") when it has none.
    pub item: String,
    pub reason: String,
}

/// What a document held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// `ninjs`, `newsml-g2`, `nitf`, `iptc7901`, `anpa`, `rss`, `atom`, `json-feed`.
    pub format: &'static str,
    pub items: Vec<WireItem>,
    pub rejected: Vec<Rejected>,
}

/// What a parser gives back: each item, or why one was left out.
pub(crate) type Items = Vec<Result<WireItem, Rejected>>;

/// The formats `parse` tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ninjs,
    JsonFeed,
    NewsMlG2,
    NewsMl1,
    Nitf,
    Feed,
    Text7901,
}

/// Reads one document. `name` (a file name or URL) is only used when the bytes alone do not
/// say what they are.
pub fn parse(bytes: &[u8], name: &str) -> Result<Parsed, WireError> {
    // Gzip-compressed files and responses are common: read what they hold, within the same
    // size limit (a small file that inflates past it is refused, not inflated whole).
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let inflated = gunzip(bytes)?;
        return parse(&inflated, name.strip_suffix(".gz").unwrap_or(name));
    }
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(WireError::new(format!(
            "the document is {} bytes; the limit is {MAX_DOCUMENT_BYTES}",
            bytes.len()
        )));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(WireError::new("the document is empty"));
    }
    let (kind, text) = detect(bytes, name)?;
    let (format, raw) = match kind {
        Kind::Ninjs => ("ninjs", ninjs::parse(&text)?),
        Kind::JsonFeed => (
            "json-feed",
            feed::parse(text.trim_start_matches('\u{feff}').as_bytes())?.1,
        ),
        // Decoded here (quick-xml panics on some UTF-16 input); the declaration that named the
        // original encoding goes with it.
        Kind::Feed => feed::parse(text::strip_xml_declaration(&text).as_bytes())?,
        Kind::NewsMlG2 => ("newsml-g2", newsml::parse(&text)?),
        Kind::Nitf => ("nitf", nitf::parse(&text)?),
        Kind::Text7901 => anpa::parse(bytes)?,
        Kind::NewsMl1 => {
            return Err(WireError::new(
                "this is NewsML 1.x, which Broadsheet does not read; ask the agency for NewsML-G2 or ninjs",
            ));
        }
    };
    Ok(finish(format, raw))
}

/// Sanitises, trims and checks every item; those that fail are reported with their reason.
fn finish(format: &'static str, raw: Vec<Result<WireItem, Rejected>>) -> Parsed {
    let mut parsed = Parsed {
        format,
        ..Parsed::default()
    };
    for (i, item) in raw.into_iter().enumerate() {
        let mut item = match item {
            Ok(item) => item,
            Err(r) => {
                parsed.rejected.push(r);
                continue;
            }
        };
        if parsed.items.len() >= MAX_ITEMS {
            parsed.rejected.push(Rejected {
                item: label(&item, i),
                reason: format!("more than {MAX_ITEMS} items in one document"),
            });
            continue;
        }
        if item.format.is_empty() {
            item.format = format.to_owned();
        }
        item.body_html = broadsheet_render::sanitize(&without_head(&item.body_html));
        item.headline = text::squash(&item.headline);
        item.slugline = text::squash(&item.slugline);
        item.byline = text::squash(&item.byline);
        for by in ["By ", "BY ", "by "] {
            if let Some(rest) = item.byline.strip_prefix(by) {
                item.byline = rest.to_owned();
            }
        }
        item.dateline = text::squash(&item.dateline);
        item.agency = text::squash(&item.agency);
        item.guid = item.guid.trim().to_owned();
        item.subjects.retain(|s| !s.trim().is_empty());
        item.subjects.dedup();
        for p in &mut item.pictures {
            p.caption = text::squash(&p.caption);
        }
        if item.guid.is_empty() {
            item.guid = format!(
                "hash:{}",
                text::stable_hash(&[&item.agency, &item.headline, &item.body_html])
            );
        }
        if item.version < 1 {
            item.version = 1;
        }
        if item.headline.is_empty() && item.signal != WireSignal::Kill {
            // A first line of the body makes a better headline than none.
            let first = text::html_to_paragraphs(&item.body_html);
            let first = first.split("\n\n").next().unwrap_or("");
            item.headline = first.chars().take(120).collect();
        }
        match item.validate() {
            Ok(()) => parsed.items.push(item),
            Err(e) => parsed.rejected.push(Rejected {
                item: label(&item, i),
                reason: e.to_string(),
            }),
        }
    }
    parsed
}

/// A whole HTML document's `<head>` (its title would otherwise survive as text).
fn without_head(html: &str) -> std::borrow::Cow<'_, str> {
    let lower = html.to_ascii_lowercase();
    match (lower.find("<head"), lower.find("</head>")) {
        (Some(a), Some(b)) if a < b => format!("{}{}", &html[..a], &html[b + 7..]).into(),
        _ => html.into(),
    }
}

fn label(item: &WireItem, index: usize) -> String {
    if item.guid.is_empty() {
        format!("item {}", index + 1)
    } else {
        item.guid.chars().take(120).collect()
    }
}

/// The document inside a gzip stream, at most `MAX_DOCUMENT_BYTES` of it.
fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, WireError> {
    use std::io::Read;
    let mut out = Vec::new();
    let limit = u64::try_from(MAX_DOCUMENT_BYTES).unwrap_or(u64::MAX) + 1;
    flate2::read::MultiGzDecoder::new(bytes)
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|e| WireError::new(format!("the gzip-compressed document cannot be read: {e}")))?;
    if out.len() > MAX_DOCUMENT_BYTES {
        return Err(WireError::new(format!(
            "the gzip-compressed document holds more than {MAX_DOCUMENT_BYTES} bytes"
        )));
    }
    if out.starts_with(&[0x1f, 0x8b]) {
        return Err(WireError::new("the document is compressed twice"));
    }
    Ok(out)
}

/// What a document is, from its first meaningful bytes.
fn detect(bytes: &[u8], name: &str) -> Result<(Kind, String), WireError> {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    let first = bytes[start];
    // IPTC 7901 and ANPA start with control characters (SYN, SOH).
    if first == 0x01 || first == 0x16 || (first < 0x20 && first != 0) {
        if bytes.contains(&0x01) || bytes.contains(&0x02) {
            return Ok((Kind::Text7901, String::new()));
        }
        if !(first == 0 || first == 0xfe || first == 0xff) {
            return Err(WireError::new(
                "the document starts with control characters but has no IPTC 7901 start of header",
            ));
        }
    }
    let (text, _) = text::decode(bytes);
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let kind = if trimmed.contains("jsonfeed.org/version") {
            Kind::JsonFeed
        } else {
            Kind::Ninjs
        };
        return Ok((kind, text));
    }
    if trimmed.starts_with('<') {
        xml::refuse_entities(&text)?;
        let root = xml::root_name(trimmed).unwrap_or_default();
        let local = root.rsplit(':').next().unwrap_or(&root).to_owned();
        let kind = match local.as_str() {
            "newsMessage" | "newsItem" | "packageItem" => Kind::NewsMlG2,
            "NewsML" => Kind::NewsMl1,
            "nitf" => Kind::Nitf,
            "rss" | "RDF" | "feed" | "channel" => Kind::Feed,
            "" => return Err(WireError::new("the XML document has no root element")),
            "conceptItem" | "knowledgeItem" | "planningItem" | "catalogItem" => {
                return Err(WireError::new(format!(
                    "a NewsML-G2 {local} describes concepts or plans, not a story: nothing to ingest"
                )));
            }
            other => {
                return Err(WireError::new(format!(
                    "unknown XML document: its root element is <{other}>, not a NewsML-G2, NITF, RSS or Atom document"
                )));
            }
        };
        return Ok((kind, text));
    }
    let lower = name.to_ascii_lowercase();
    if bytes.contains(&0x02) || lower.ends_with(".tst") || lower.ends_with(".anpa") {
        return Ok((Kind::Text7901, String::new()));
    }
    Err(WireError::new(
        "not a wire format Broadsheet reads (ninjs, NewsML-G2, NITF, IPTC 7901, RSS, Atom, JSON Feed)",
    ))
}

/// The numeric part of an IPTC urgency or priority, when it is 1 to 9.
pub(crate) fn urgency(raw: &str) -> Option<u8> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    digits.parse::<u8>().ok().filter(|u| (1..=9).contains(u))
}

/// A version number from what an agency writes ("10", "v2"); 1 when there is none.
pub(crate) fn version(raw: &str) -> i64 {
    let digits: String = raw.chars().filter(char::is_ascii_digit).take(18).collect();
    digits.parse::<i64>().ok().filter(|v| *v > 0).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_empty_documents_get_a_reason() {
        assert!(
            parse(b"", "x")
                .expect_err("refused")
                .reason
                .contains("empty")
        );
        let e = parse(b"<html><body>hi</body></html>", "x.html").expect_err("refused");
        assert!(e.reason.contains("<html>"), "{e}");
        let e = parse(b"hello world", "x.txt").expect_err("refused");
        assert!(e.reason.contains("not a wire format"), "{e}");
        let e = parse(b"{\"guid\": ", "x.json").expect_err("refused");
        assert!(e.reason.contains("JSON"), "{e}");
        let e = parse(b"<nitf><head>", "x.xml").expect_err("refused");
        assert!(e.reason.contains("XML"), "{e}");
    }

    #[test]
    fn entity_declarations_are_refused() {
        let laughs = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]>
<nitf><body><body.head><hedline><hl1>&lol2;</hl1></hedline></body.head></body></nitf>"#;
        let e = parse(laughs, "x.xml").expect_err("refused");
        assert!(e.reason.contains("entit"), "{e}");
        let xxe = br#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss version="2.0"><channel><title>&x;</title></channel></rss>"#;
        let e = parse(xxe, "x.xml").expect_err("refused");
        assert!(e.reason.contains("entit"), "{e}");
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(bytes).expect("gzip");
        z.finish().expect("gzip")
    }

    /// Gzip-compressed documents were sniffed as IPTC 7901 (they hold 0x01 and 0x02 bytes) and
    /// panicked the ANPA reader; they are read as what they hold.
    #[test]
    fn gzip_compressed_documents_are_read_and_bombs_refused() {
        let ninjs =
            br#"{"uri": "urn:z:1", "headline": "Zipped rates story", "body_html": "<p>Held.</p>"}"#;
        let plain = parse(ninjs, "a.json").expect("plain");
        let zipped = parse(&gzip(ninjs), "a.json.gz").expect("gzip");
        assert_eq!(zipped.format, "ninjs");
        assert_eq!(zipped.items.len(), 1);
        assert_eq!(zipped.items[0].headline, plain.items[0].headline);
        let anpa = b"\x01a0001 r f BC-Rates\x02   Rates held\n\tThe bank held rates.\x03";
        assert!(parse(&gzip(anpa), "x.anpa.gz").is_ok());
        // Inflating past the document limit is refused, not inflated whole.
        let bomb = gzip(&vec![b' '; MAX_DOCUMENT_BYTES + 10]);
        assert!(bomb.len() < 100_000);
        let e = parse(&bomb, "bomb.gz").expect_err("refused");
        assert!(e.reason.contains("more than"), "{e}");
        // Cut short, twice compressed, or not gzip after the magic bytes: a reason, no panic.
        let cut = gzip(ninjs);
        for bad in [
            &cut[..cut.len() / 2],
            &gzip(&gzip(ninjs))[..],
            &[0x1f, 0x8b, 0, 0][..],
        ] {
            assert!(parse(bad, "x.gz").is_err());
        }
    }

    #[test]
    fn oversized_documents_are_refused_before_parsing() {
        let big = vec![b' '; MAX_DOCUMENT_BYTES + 1];
        assert!(
            parse(&big, "x")
                .expect_err("refused")
                .reason
                .contains("limit")
        );
    }
}
