//! RSS 0.9x/1.0/2.0, Atom and JSON Feed through feed-rs (one model for every dialect, its own
//! encoding handling). An entry's version is the time it was last updated, so an edited entry
//! is a new version of the same item.

use broadsheet_core::{Credit, WireItem, WirePicture};
use feed_rs::model::{Entry, FeedType};

use super::text::text_to_html;
use super::{Items, WireError};

pub fn parse(bytes: &[u8]) -> Result<(&'static str, Items), WireError> {
    // An XML declaration anywhere but at the start is not XML, and quick-xml (under feed-rs
    // 3.0) panics on one that names an encoding ("set_encoding() called after prefix buffer
    // was drained"): found by the `wire` fuzz target, kept in fuzz/regressions/wire/.
    if late_xml_declaration(bytes) {
        return Err(WireError::new(
            "malformed feed: an XML declaration (<?xml …?>) after the start of the document",
        ));
    }
    // A panic inside the third-party parser on input nobody has tried yet is a malformed feed
    // to the caller, not a lost import or a dead poller.
    let parsed = std::panic::catch_unwind(|| feed_rs::parser::parse(bytes))
        .map_err(|_| WireError::new("malformed feed: the feed parser could not read it"))?;
    let feed = parsed.map_err(|e| WireError::new(format!("malformed feed: {e}")))?;
    let format = match feed.feed_type {
        FeedType::Atom => "atom",
        FeedType::JSON => "json-feed",
        FeedType::RSS0 | FeedType::RSS1 | FeedType::RSS2 => "rss",
    };
    let agency = feed
        .title
        .as_ref()
        .map(|t| t.content.trim().to_owned())
        .unwrap_or_default();
    let language = feed.language.clone().unwrap_or_default();
    let items = feed
        .entries
        .into_iter()
        .map(|e| Ok(entry(e, format, &agency, &language)))
        .collect();
    Ok((format, items))
}

/// Whether `<?xml` appears anywhere after the document's first characters (a byte-order mark
/// and whitespace may come first).
fn late_xml_declaration(bytes: &[u8]) -> bool {
    let start = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = &start[start.iter().take_while(|b| b.is_ascii_whitespace()).count()..];
    let rest = start.strip_prefix(b"<?xml").unwrap_or(start);
    rest.windows(5).any(|w| w.eq_ignore_ascii_case(b"<?xml"))
}

fn entry(e: Entry, format: &str, agency: &str, language: &str) -> WireItem {
    let body = match (&e.content, &e.summary) {
        (Some(c), _) if c.body.as_deref().is_some_and(|b| !b.trim().is_empty()) => {
            let b = c.body.clone().unwrap_or_default();
            if c.content_type.to_string().contains("html") || b.contains('<') {
                b
            } else {
                text_to_html(&b)
            }
        }
        (_, Some(s)) => {
            if s.content_type.to_string().contains("html") || s.content.contains('<') {
                s.content.clone()
            } else {
                text_to_html(&s.content)
            }
        }
        _ => String::new(),
    };
    let pictures = e
        .media
        .iter()
        .filter_map(|m| {
            let href = m
                .content
                .iter()
                .filter(|c| {
                    c.content_type
                        .as_ref()
                        .is_none_or(|t| t.to_string().starts_with("image"))
                })
                .filter_map(|c| {
                    c.url
                        .as_ref()
                        .map(|u| (c.width.unwrap_or(0), u.to_string()))
                })
                .max_by_key(|(w, _)| *w)
                .map(|(_, u)| u)?;
            let credit = m
                .credits
                .iter()
                .map(|c| c.entity.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            Some(WirePicture {
                href: Some(href),
                caption: m
                    .description
                    .as_ref()
                    .or(m.title.as_ref())
                    .map(|t| t.content.clone())
                    .unwrap_or_default(),
                credit: Credit::parse(&credit, None),
            })
        })
        .collect();
    let when = e.updated.or(e.published);
    WireItem {
        format: format.to_owned(),
        agency: agency.to_owned(),
        guid: e.id.clone(),
        version: when.map_or(1, |t| t.timestamp().max(1)),
        headline: e
            .title
            .as_ref()
            .map(|t| t.content.clone())
            .unwrap_or_default(),
        byline: e
            .authors
            .iter()
            .filter_map(|p| p.name.as_deref())
            .collect::<Vec<_>>()
            .join(", "),
        body_html: body,
        subjects: e
            .categories
            .iter()
            .map(|c| c.label.clone().unwrap_or_else(|| c.term.clone()))
            .collect(),
        language: e.language.clone().unwrap_or_else(|| language.to_owned()),
        pictures,
        sent_at: when,
        link: e.links.first().map(|l| l.href.clone()),
        ..WireItem::default()
    }
}
