//! Text helpers the wire parsers share: decoding bytes in the encoding a document declares,
//! times in the shapes agencies write them, plain text to HTML and back, and a stable hash for
//! items that carry no identifier.

use broadsheet_core::Timestamp;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use encoding_rs::Encoding;

/// Decodes a document to text: a byte-order mark wins, then an XML declaration's
/// `encoding="…"`, then UTF-8 if the bytes are valid UTF-8, else Windows-1252 (the usual
/// encoding of older agency text). Returns the text and the encoding's name.
pub fn decode(bytes: &[u8]) -> (String, &'static str) {
    if let Some(text) = decode_utf32(bytes) {
        return text;
    }
    if let Some((enc, bom)) = Encoding::for_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom..]);
        return (text.into_owned(), enc.name());
    }
    // UTF-16 without a mark: '<' next to a zero byte.
    if bytes.len() >= 4 && bytes[0] == 0 && bytes[1] == b'<' {
        let (text, _) = encoding_rs::UTF_16BE.decode_without_bom_handling(bytes);
        return (text.into_owned(), "UTF-16BE");
    }
    if bytes.len() >= 4 && bytes[0] == b'<' && bytes[1] == 0 {
        let (text, _) = encoding_rs::UTF_16LE.decode_without_bom_handling(bytes);
        return (text.into_owned(), "UTF-16LE");
    }
    if let Some(enc) = declared_encoding(bytes)
        && enc != encoding_rs::UTF_8
        // A declaration of UTF-16 in a byte stream with no zero bytes is a lie.
        && enc != encoding_rs::UTF_16LE
        && enc != encoding_rs::UTF_16BE
    {
        let (text, _) = enc.decode_without_bom_handling(bytes);
        return (text.into_owned(), enc.name());
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_owned(), "UTF-8"),
        Err(_) => {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            (text.into_owned(), "windows-1252")
        }
    }
}

/// UTF-32, which encoding_rs leaves out: by its byte-order mark or a '<' in four bytes.
fn decode_utf32(bytes: &[u8]) -> Option<(String, &'static str)> {
    let (big, skip) = match bytes {
        [0, 0, 0xfe, 0xff, ..] => (true, 4),
        [0xff, 0xfe, 0, 0, ..] => (false, 4),
        [0, 0, 0, b'<', ..] => (true, 0),
        [b'<', 0, 0, 0, ..] => (false, 0),
        _ => return None,
    };
    let text = bytes[skip..]
        .chunks_exact(4)
        .map(|c| {
            let n = if big {
                u32::from_be_bytes([c[0], c[1], c[2], c[3]])
            } else {
                u32::from_le_bytes([c[0], c[1], c[2], c[3]])
            };
            char::from_u32(n).unwrap_or('\u{fffd}')
        })
        .collect();
    Some((text, if big { "UTF-32BE" } else { "UTF-32LE" }))
}

/// The encoding named by an XML declaration at the very start.
fn declared_encoding(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(200)];
    let head = String::from_utf8_lossy(head);
    let decl = head.trim_start().strip_prefix("<?xml")?;
    let decl = &decl[..decl.find("?>")?];
    let at = decl.find("encoding")?;
    let rest = decl[at + 8..].trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    let value = &value[..value.find(quote)?];
    Encoding::for_label(value.trim().as_bytes())
}

/// Replaces the encoding in an XML declaration with UTF-8 once the text is decoded, so a
/// parser reading the string does not second-guess it.
pub fn strip_xml_declaration(text: &str) -> &str {
    let t = text.trim_start_matches('\u{feff}');
    let trimmed = t.trim_start();
    if trimmed.starts_with("<?xml")
        && let Some(end) = trimmed.find("?>")
    {
        return &trimmed[end + 2..];
    }
    t
}

/// A time as agencies write it: RFC 3339, `+0000` offsets, NITF's `20131020T192751+1100`,
/// a date alone, or a time without a zone (taken as UTC).
pub fn parse_time(raw: &str) -> Option<Timestamp> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y%m%dT%H%M%S%z",
        "%Y%m%dT%H%M%S%.f%z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(s, f) {
            return Some(t.with_timezone(&Utc));
        }
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(s) {
        return Some(t.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y%m%dT%H%M%S",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s.trim_end_matches('Z'), f) {
            return Some(t.and_utc());
        }
    }
    for f in ["%Y-%m-%d", "%Y%m%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        }
    }
    None
}

pub use broadsheet_core::html::escape;

/// Plain text as HTML paragraphs: blank lines separate paragraphs when there are any;
/// otherwise every line is one.
pub fn text_to_html(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let blocks: Vec<&str> = if text.contains("\n\n") {
        text.split("\n\n").collect()
    } else {
        text.split('\n').collect()
    };
    let mut out = String::with_capacity(text.len() + 64);
    for block in blocks {
        let words: Vec<&str> = block.split_whitespace().collect();
        if words.is_empty() {
            continue;
        }
        out.push_str("<p>");
        out.push_str(&escape(&words.join(" ")));
        out.push_str("</p>\n");
    }
    out
}

/// Sanitised HTML back to plain paragraphs separated by blank lines: for a draft made from an
/// item, whose body the editor writes in Markdown.
pub fn html_to_paragraphs(html: &str) -> String {
    const BLOCKS: [&str; 22] = [
        "p",
        "div",
        "br",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "blockquote",
        "pre",
        "section",
        "table",
        "ul",
        "ol",
        "article",
        "header",
        "footer",
        "hr",
        "dd",
    ];
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..lt]));
        let Some(gt) = rest[lt..].find('>') else {
            rest = "";
            break;
        };
        let tag = &rest[lt + 1..lt + gt];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        if BLOCKS.contains(&name.as_str()) {
            out.push_str("\n\n");
        } else if name == "td" || name == "th" {
            out.push(' ');
        }
        rest = &rest[lt + gt + 1..];
    }
    out.push_str(&decode_entities(rest));
    let mut paragraphs = Vec::new();
    for p in out.split("\n\n") {
        let words: Vec<&str> = p.split_whitespace().collect();
        if !words.is_empty() {
            paragraphs.push(words.join(" "));
        }
    }
    paragraphs.join("\n\n")
}

/// The entities a sanitiser writes, and numeric ones.
fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let Some(semi) = after.bytes().take(12).position(|b| b == b';') else {
            out.push('&');
            rest = &after[1..];
            continue;
        };
        let name = &after[1..semi];
        let decoded = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            _ => name
                .strip_prefix("#x")
                .or_else(|| name.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// FNV-1a, 64 bits: a stable id for an item whose agency gave none, so importing the same
/// file twice finds the same item.
pub fn stable_hash(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain([0u8]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// Collapses runs of white space to one space and trims.
pub fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_every_agency_shape() {
        for s in [
            "2017-08-24T04:38:34+0000",
            "2017-08-24T04:38:34Z",
            "2017-08-24T04:38:34.000Z",
            "20170824T043834+0000",
            "Thu, 24 Aug 2017 04:38:34 GMT",
            "2017-08-24T04:38:34",
        ] {
            assert_eq!(
                parse_time(s).map(|t| t.to_rfc3339()).as_deref(),
                Some("2017-08-24T04:38:34+00:00"),
                "{s}"
            );
        }
        assert!(parse_time("yesterday").is_none());
    }

    #[test]
    fn declared_and_marked_encodings_are_honoured() {
        let latin = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>caf\xe9</a>";
        assert!(decode(latin).0.contains("café"));
        let mut utf16 = vec![0xff, 0xfe];
        for u in "<a>é</a>".encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(decode(&utf16).0, "<a>é</a>");
        assert_eq!(decode(b"caf\xe9").0, "café", "not UTF-8: Windows-1252");
    }

    #[test]
    fn html_and_text_round_trip_by_paragraph() {
        let html = text_to_html("One <b>&\n\nTwo\nlines");
        assert_eq!(html, "<p>One &lt;b&gt;&amp;</p>\n<p>Two lines</p>\n");
        assert_eq!(html_to_paragraphs(&html), "One <b>&\n\nTwo lines");
        assert_eq!(
            html_to_paragraphs("<p>a&nbsp;b &#8212; c</p><ul><li>x</li><li>y</li></ul>"),
            "a b \u{2014} c\n\nx\n\ny"
        );
    }
}
