//! Line-oriented agency text: IPTC 7901 (dpa and others: SOH, a header line with source,
//! priority and category, keyword lines, STX, a heading ending with ` =`, the text, ETX and
//! the sending time) and ANPA-1312 (AP: SYN SYN SOH, selector codes, priority and category,
//! the slug line after DC1, STX, `^`-marked heading lines, tab-indented paragraphs, ETX).
//! Both are read as bytes; the text is UTF-8 when valid, else Windows-1252.

use broadsheet_core::{WireItem, WireSignal};

use super::text::{decode, escape};
use super::{Items, WireError};

const SOH: u8 = 0x01;
const STX: u8 = 0x02;
const ETX: u8 = 0x03;

pub fn parse(bytes: &[u8]) -> Result<(&'static str, Items), WireError> {
    let soh = bytes.iter().position(|b| *b == SOH);
    let stx = bytes.iter().position(|b| *b == STX).ok_or_else(|| {
        WireError::new("IPTC 7901 / ANPA text without a start of text (STX) character")
    })?;
    // The header runs from the SOH before the first STX; an SOH after it is body text.
    let header = &bytes[soh.filter(|s| *s < stx).map_or(0, |s| s + 1)..stx];
    let after = &bytes[stx + 1..];
    let etx = after.iter().position(|b| *b == ETX).unwrap_or(after.len());
    let body = &after[..etx];
    let trailer = after.get(etx + 1..).unwrap_or(&[]);
    let anpa = header.contains(&0x1f) || header.contains(&0x11) || header.contains(&0x12);
    let item = if anpa {
        anpa_item(header, body, trailer)
    } else {
        iptc7901_item(header, body)
    };
    Ok((if anpa { "anpa" } else { "iptc7901" }, vec![Ok(item)]))
}

/// Text with control characters other than tab and newline removed.
fn clean(bytes: &[u8]) -> String {
    let (text, _) = decode(bytes);
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect()
}

/// "1ST LEAD", "2nd Ld-Writethru": the n-th lead is version n + 1.
fn lead_version(s: &str) -> Option<i64> {
    let lower = s.to_ascii_lowercase();
    let at = lower.find("ld").or_else(|| lower.find("lead"))?;
    let before = lower[..at]
        .trim_end()
        .trim_end_matches(['s', 't', 'n', 'd', 'r', 'h']);
    let digits: String = before
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse::<i64>().ok().map(|n| n + 1)
}

fn paragraphs_html(paragraphs: &[String]) -> String {
    paragraphs
        .iter()
        .map(|p| format!("<p>{}</p>\n", escape(p)))
        .collect()
}

/// "Berlin (dpa) - text" or "ATLANTA (AP) _ text": the dateline before the dash.
fn split_dateline(first: &str) -> Option<(String, String)> {
    let close = first.find(") ")?;
    if close > 80 || !first[..close].contains('(') {
        return None;
    }
    let rest = first[close + 1..].trim_start();
    let text = rest
        .strip_prefix("- ")
        .or_else(|| rest.strip_prefix("_ "))
        .or_else(|| rest.strip_prefix("– "))
        .or_else(|| rest.strip_prefix("— "))?;
    Some((first[..=close].trim().to_owned(), text.to_owned()))
}

/// Moves the dateline out of the first paragraph, if it has one.
fn take_dateline(paragraphs: &mut [String]) -> String {
    match paragraphs.first().and_then(|p| split_dateline(p)) {
        Some((dateline, text)) => {
            paragraphs[0] = text;
            dateline
        }
        None => String::new(),
    }
}

fn iptc7901_item(header: &[u8], body: &[u8]) -> WireItem {
    let header = clean(header);
    let mut lines = header.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("");
    let tokens: Vec<&str> = first.split_whitespace().collect();
    let keyword = lines.next().unwrap_or("").trim_end_matches('/').to_owned();
    let agency: String = tokens
        .iter()
        .rev()
        .find(|t| t.chars().all(char::is_alphabetic) && t.len() >= 2)
        .map(|t| (*t).to_owned())
        .unwrap_or_default();
    let text = clean(body);
    // The heading runs to the first line ending with "=".
    let all: Vec<&str> = text.lines().collect();
    let heading_end = all
        .iter()
        .take(8)
        .position(|l| l.trim_end().ends_with('='))
        .unwrap_or(0);
    let heading: Vec<String> = all
        .get(..=heading_end)
        .unwrap_or(&all)
        .iter()
        .map(|l| l.trim().trim_end_matches('=').trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    let mut byline = String::new();
    let mut notes = Vec::new();
    let mut headline = String::new();
    for line in &heading {
        if let Some(by) = line.strip_prefix("By ") {
            by.clone_into(&mut byline);
        } else if line.chars().any(char::is_lowercase) && !line.starts_with('(') {
            if headline.is_empty() {
                headline.clone_from(line);
            } else {
                headline = format!("{headline} {line}");
            }
        } else {
            notes.push(line.clone());
        }
    }
    if headline.is_empty() {
        headline = heading.last().cloned().unwrap_or_default();
    }
    let rest = all.get(heading_end + 1..).unwrap_or(&[]).join("\n");
    let mut paragraphs: Vec<String> = rest
        .split("\n\n")
        .map(super::text::squash)
        .filter(|p| !p.is_empty())
        .collect();
    let dateline = take_dateline(&mut paragraphs);
    let version = notes.iter().find_map(|n| lead_version(n)).unwrap_or(1);
    let joined = notes.join(" ").to_ascii_lowercase();
    WireItem {
        format: "iptc7901".into(),
        agency: agency.clone(),
        // The keyword names the story across its leads; the transmission number does not.
        guid: if keyword.is_empty() {
            tokens
                .first()
                .map(|t| format!("{agency}:{t}"))
                .unwrap_or_default()
        } else {
            format!("{agency}:{keyword}")
        },
        version,
        urgency: tokens.get(1).and_then(|p| super::urgency(p)),
        slugline: keyword,
        headline,
        byline,
        dateline,
        body_html: paragraphs_html(&paragraphs),
        signal: if joined.contains("kill") || joined.contains("withdraw") {
            WireSignal::Kill
        } else if joined.contains("correct") {
            WireSignal::Correction
        } else {
            WireSignal::None
        },
        ..WireItem::default()
    }
}

fn anpa_priority(p: &str) -> Option<u8> {
    match p {
        "f" => Some(1),
        "b" => Some(2),
        "u" => Some(3),
        "r" | "s" => Some(5),
        "d" => Some(6),
        "a" => Some(7),
        _ => None,
    }
}

fn anpa_item(header: &[u8], body: &[u8], trailer: &[u8]) -> WireItem {
    // The header: message number, US, selectors, LF, "p c", DC3/DC1 (or DC2), the slug line.
    let split = header
        .iter()
        .position(|b| *b == 0x11 || *b == 0x12)
        .unwrap_or(header.len());
    let meta = clean(&header[..split]);
    let slug_line = clean(header.get(split + 1..).unwrap_or(&[]));
    let msg = meta
        .split(['\u{1f}', '\n', ' '])
        .next()
        .unwrap_or("")
        .trim()
        .to_owned();
    let pc: Vec<&str> = meta
        .lines()
        .nth(1)
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let mut slug_parts = slug_line.split_whitespace();
    let keyword = slug_parts.next().unwrap_or("").to_owned();
    let version_note: Vec<&str> = slug_parts.collect();
    let text = clean(body);
    let mut headline = String::new();
    let mut byline = String::new();
    let mut slugline = keyword.clone();
    let mut body_lines = Vec::new();
    let mut signal = WireSignal::None;
    for raw in text.lines() {
        let line = raw.trim_end();
        if let Some(h) = line.strip_prefix('^') {
            let h = h.trim().trim_end_matches(['<', '=']).trim();
            if h.starts_with("BC-") || h.starts_with("AM-") || h.starts_with("PM-") {
                slugline = h.split(',').next().unwrap_or(h).to_owned();
            } else if let Some(b) = h.strip_prefix("By ") {
                byline = b.to_owned();
            } else if h.starts_with("AP Photo") || h == "END" {
            } else if let Some(note) = h.strip_prefix("Eds:") {
                let note = note.to_ascii_lowercase();
                if note.contains("kill") || note.contains("withdrawn") {
                    signal = WireSignal::Kill;
                } else if note.contains("correct") {
                    signal = WireSignal::Correction;
                }
            } else if headline.is_empty() {
                headline = h.to_owned();
            } else if !byline.is_empty() {
                byline = format!("{byline}, {h}");
            }
            continue;
        }
        body_lines.push(line.trim_end_matches('<').to_owned());
    }
    // Paragraphs start with a tab (or are separated by blank lines).
    let mut paragraphs: Vec<String> = Vec::new();
    for line in body_lines {
        if line.starts_with('\t') || line.trim().is_empty() || paragraphs.is_empty() {
            paragraphs.push(String::new());
        }
        if let Some(p) = paragraphs.last_mut() {
            p.push(' ');
            p.push_str(line.trim());
        }
    }
    let mut paragraphs: Vec<String> = paragraphs
        .iter()
        .map(|p| super::text::squash(p))
        .filter(|p| !p.is_empty())
        .collect();
    let dateline = take_dateline(&mut paragraphs);
    let agency = if dateline.contains("(AP)") || clean(trailer).contains("AP-") {
        "AP".to_owned()
    } else {
        String::new()
    };
    let version = version_note
        .iter()
        .find_map(|n| lead_version(n))
        .unwrap_or(1);
    // Writethrus keep the story's base slug: "BC-BKN--Heat-Hawks".
    let date = version_note
        .iter()
        .find(|t| t.contains('-') && t.len() == 5);
    WireItem {
        format: "anpa".into(),
        agency,
        guid: format!(
            "{}{}",
            slugline,
            date.map(|d| format!(":{d}"))
                .unwrap_or_else(|| format!(":{msg}"))
        ),
        version,
        urgency: pc.first().and_then(|p| anpa_priority(p)),
        slugline,
        headline,
        byline,
        dateline,
        body_html: paragraphs_html(&paragraphs),
        signal,
        ..WireItem::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Once panics: an SOH after the first STX sliced the header backwards, and an empty body
    /// indexed an empty list.
    #[test]
    fn odd_control_characters_and_empty_bodies_are_read_not_panicked_on() {
        for bytes in [
            &b"\x02body\x01more\x03"[..],
            b"\x02\x01",
            b"\x01header\x02",
            b"\x01header\x02\x03",
            b"\x02",
            b"\x01\x1f\x11\x02\x03",
            b"\x16\x16\x01\x02\x01\x03",
        ] {
            let parsed = parse(bytes);
            assert!(parsed.is_ok(), "{bytes:?}: {parsed:?}");
        }
    }

    #[test]
    fn leads_are_versions() {
        assert_eq!(lead_version("1ST LEAD"), Some(2));
        assert_eq!(lead_version("2nd Ld-Writethru"), Some(3));
        assert_eq!(lead_version("1stLd-Writethru"), Some(2));
        assert_eq!(lead_version("EXTRA"), None);
    }

    #[test]
    fn datelines_are_split_from_the_first_paragraph() {
        assert_eq!(
            split_dateline("Berlin (dpa) - Negotiations began"),
            Some(("Berlin (dpa)".into(), "Negotiations began".into()))
        );
        assert_eq!(
            split_dateline("ATLANTA (AP) _ Luol Deng scored"),
            Some(("ATLANTA (AP)".into(), "Luol Deng scored".into()))
        );
        assert_eq!(split_dateline("No dateline here (really) at all"), None);
    }
}
