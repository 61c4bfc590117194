//! One line of an import file: `{id, title, body, section, published_at, author, source, url}`.
//! Unknown fields are ignored; everything else is checked here so that a bad line is
//! rejected with a reason before anything is written.

use broadsheet_core::Timestamp;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

/// Bodies above this are refused: no real story is a megabyte of text, and such a line is
/// far more likely a mistake (or a hostile file) than an article.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
pub const MAX_TITLE_CHARS: usize = 300;
pub const MAX_ID_BYTES: usize = 200;

/// `text` in at most `max` characters: cut at the last space in its final stretch when there
/// is one, with an ellipsis.
fn shorten(text: &str, max: usize) -> String {
    let head: String = text.chars().take(max.saturating_sub(1)).collect();
    let cut = head
        .char_indices()
        .rev()
        .take(60)
        .find(|(_, c)| c.is_whitespace())
        .map_or(head.len(), |(i, _)| i);
    format!("{}…", head[..cut].trim_end())
}

/// A line that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRecord {
    pub id: String,
    /// At most `MAX_TITLE_CHARS`: a longer one is shortened, and `title_was` says how long it
    /// was (a long title is a warning, not a lost story).
    pub title: String,
    pub title_was: Option<usize>,
    /// Plain text, paragraphs separated by a blank line.
    pub body: String,
    pub section: Option<String>,
    pub published_at: Option<Timestamp>,
    pub author: Option<String>,
    pub source: Option<String>,
    pub url: Option<String>,
}

/// Why a line was rejected; the message is shown to the operator with the line number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error("not valid UTF-8 (byte {0})")]
    InvalidUtf8(usize),
    #[error("not valid JSON: {0}")]
    InvalidJson(String),
    #[error("not a JSON object")]
    NotAnObject,
    #[error("missing {0}")]
    Missing(&'static str),
    #[error("{field} must be {expected}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
    },
    #[error("{0} is empty")]
    Empty(&'static str),
    #[error("{field} is too long ({actual} {unit}, limit {limit})")]
    TooLong {
        field: &'static str,
        actual: usize,
        limit: usize,
        unit: &'static str,
    },
    #[error("published_at {0:?} is not a date (expected RFC 3339, e.g. 2026-11-30T08:00:00Z)")]
    BadDate(String),
}

#[derive(Deserialize)]
struct Raw {
    id: Option<Value>,
    title: Option<Value>,
    body: Option<Value>,
    section: Option<Value>,
    published_at: Option<Value>,
    author: Option<Value>,
    source: Option<Value>,
    url: Option<Value>,
}

/// Parses one line (without its newline).
pub fn parse_line(line: &[u8]) -> Result<ImportRecord, LineError> {
    let text = std::str::from_utf8(line).map_err(|e| LineError::InvalidUtf8(e.valid_up_to()))?;
    let value: Value =
        serde_json::from_str(text).map_err(|e| LineError::InvalidJson(e.to_string()))?;
    if !value.is_object() {
        return Err(LineError::NotAnObject);
    }
    let raw: Raw =
        serde_json::from_value(value).map_err(|e| LineError::InvalidJson(e.to_string()))?;

    let id = match raw.id {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(_)) => return Err(LineError::Empty("id")),
        None | Some(Value::Null) => return Err(LineError::Missing("id")),
        Some(_) => {
            return Err(LineError::WrongType {
                field: "id",
                expected: "a string or number",
            });
        }
    };
    if id.len() > MAX_ID_BYTES {
        return Err(LineError::TooLong {
            field: "id",
            actual: id.len(),
            limit: MAX_ID_BYTES,
            unit: "bytes",
        });
    }
    let title = required_text(raw.title, "title")?;
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    let chars = title.chars().count();
    let (title, title_was) = if chars > MAX_TITLE_CHARS {
        (shorten(&title, MAX_TITLE_CHARS), Some(chars))
    } else {
        (title, None)
    };
    let body = required_text(raw.body, "body")?;
    if body.len() > MAX_BODY_BYTES {
        return Err(LineError::TooLong {
            field: "body",
            actual: body.len(),
            limit: MAX_BODY_BYTES,
            unit: "bytes",
        });
    }
    let published_at = match optional_text(raw.published_at, "published_at")? {
        Some(s) => Some(parse_date(&s).ok_or(LineError::BadDate(s))?),
        None => None,
    };
    Ok(ImportRecord {
        id,
        title,
        title_was,
        body,
        section: optional_text(raw.section, "section")?,
        published_at,
        author: optional_text(raw.author, "author")?,
        source: optional_text(raw.source, "source")?,
        url: optional_text(raw.url, "url")?,
    })
}

fn required_text(v: Option<Value>, field: &'static str) -> Result<String, LineError> {
    match v {
        None | Some(Value::Null) => Err(LineError::Missing(field)),
        Some(Value::String(s)) if s.trim().is_empty() => Err(LineError::Empty(field)),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(LineError::WrongType {
            field,
            expected: "a string",
        }),
    }
}

fn optional_text(v: Option<Value>, field: &'static str) -> Result<Option<String>, LineError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(_) => Err(LineError::WrongType {
            field,
            expected: "a string or null",
        }),
    }
}

/// RFC 3339, or a bare `YYYY-MM-DD[ HH:MM:SS]` taken as UTC.
pub fn parse_date(s: &str) -> Option<Timestamp> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return Some(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_err(line: &[u8], expected: &str) {
        match parse_line(line) {
            Ok(r) => panic!("accepted {r:?}"),
            Err(e) => assert_eq!(e.to_string(), expected, "{}", String::from_utf8_lossy(line)),
        }
    }

    #[test]
    fn rejects_bad_lines_with_reasons() {
        check_err(
            b"{not json",
            "not valid JSON: key must be a string at line 1 column 2",
        );
        check_err(b"[1,2]", "not a JSON object");
        check_err(br#"{"id":"a","body":"x"}"#, "missing title");
        check_err(br#"{"id":"a","title":"  ","body":"x"}"#, "title is empty");
        check_err(br#"{"id":"a","title":"T","body":""}"#, "body is empty");
        check_err(br#"{"id":"a","title":"T"}"#, "missing body");
        check_err(br#"{"title":"T","body":"x"}"#, "missing id");
        check_err(
            br#"{"id":[1],"title":"T","body":"x"}"#,
            "id must be a string or number",
        );
        check_err(
            br#"{"id":"a","title":5,"body":"x"}"#,
            "title must be a string",
        );
        check_err(
            br#"{"id":"a","title":"T","body":"x","section":{}}"#,
            "section must be a string or null",
        );
        check_err(
            b"{\"id\":\"a\",\"title\":\"caf\xe9\",\"body\":\"x\"}",
            "not valid UTF-8 (byte 22)",
        );
        check_err(
            br#"{"id":"a","title":"T","body":"x","published_at":"yesterday"}"#,
            "published_at \"yesterday\" is not a date (expected RFC 3339, e.g. 2026-11-30T08:00:00Z)",
        );
        let big = format!(
            r#"{{"id":"a","title":"T","body":"{}"}}"#,
            "x".repeat(10 * 1024 * 1024)
        );
        check_err(
            big.as_bytes(),
            "body is too long (10485760 bytes, limit 1048576)",
        );
        // A long title is shortened (at a space near the end when there is one), not refused.
        let words = "word ".repeat(100);
        let long_title = format!(r#"{{"id":"a","title":"{words}","body":"x"}}"#);
        let r = parse_line(long_title.as_bytes()).expect("kept");
        assert_eq!(r.title_was, Some(499));
        assert!(r.title.chars().count() <= MAX_TITLE_CHARS, "{}", r.title);
        assert!(r.title.ends_with("word…"), "{}", r.title);
        let one_word = format!(r#"{{"id":"a","title":"{}","body":"x"}}"#, "t".repeat(301));
        let r = parse_line(one_word.as_bytes()).expect("kept");
        assert_eq!(r.title.chars().count(), MAX_TITLE_CHARS);
    }

    #[test]
    fn accepts_the_corpus_shape_and_ignores_extra_fields() {
        let r = parse_line(
            br#"{"id": "reuters-1", "title": "BAHIA  COCOA REVIEW", "body": "Showers.\n\nMore.", "section": null, "published_at": "1987-02-26T15:01:01Z", "author": null, "source": "Reuters", "url": null, "topics": ["cocoa"], "places": []}"#,
        )
        .expect("valid");
        assert_eq!(r.id, "reuters-1");
        assert_eq!(r.title, "BAHIA COCOA REVIEW");
        assert_eq!(r.section, None);
        assert_eq!(r.source.as_deref(), Some("Reuters"));
        assert_eq!(r.published_at.map(|t| t.timestamp()), Some(541_350_061));
        let n = parse_line(br#"{"id": 42, "title": "T", "body": "b"}"#).expect("numeric id");
        assert_eq!(n.id, "42");
    }

    #[test]
    fn dates_in_common_shapes() {
        for s in [
            "2026-11-30T08:00:00Z",
            "2026-11-30T09:00:00+01:00",
            "2026-11-30 08:00:00",
            "2026-11-30T08:00:00",
        ] {
            assert_eq!(
                parse_date(s).map(|t| t.timestamp()),
                Some(1_796_025_600),
                "{s}"
            );
        }
        assert!(parse_date("2026-11-30").is_some());
        assert!(parse_date("30/11/2026").is_none());
    }
}
