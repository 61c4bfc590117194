//! NITF 3.x: `head` (title, `docdata` with doc-id, urgency, dates, copyright, keywords,
//! management status) and `body` (`body.head` with headline, byline, dateline, abstract;
//! `body.content` with the text and `media` elements for pictures).

use broadsheet_core::{Credit, WireItem, WirePicture, WireSignal};
use roxmltree::Node;

use super::text::parse_time;
use super::xml::{attr, child, children, document, find, inner_html, is, path, text};
use super::{Rejected, WireError, urgency, version};

pub fn parse(doc_text: &str) -> Result<Vec<Result<WireItem, Rejected>>, WireError> {
    let doc = document(doc_text)?;
    let root = doc.root_element();
    if !is(root, "nitf") {
        return Err(WireError::new("not an NITF document: no <nitf> root"));
    }
    Ok(vec![Ok(item(root))])
}

/// `body.content` as HTML, without the `media` blocks (they become pictures).
pub(crate) fn content_html(content: Node) -> String {
    inner_html(content)
}

fn pictures(body: Node) -> Vec<WirePicture> {
    body.descendants()
        .filter(|n| is(*n, "media") && attr(*n, "media-type").is_none_or(|t| t == "image"))
        .map(|m| {
            let href = children(m, "media-reference")
                .filter_map(|r| attr(r, "source").or_else(|| attr(r, "data")))
                .find(|s| s.starts_with("http://") || s.starts_with("https://"))
                .map(str::to_owned);
            let caption = child(m, "media-caption").map(text).unwrap_or_default();
            let producer = child(m, "media-producer").map(text).unwrap_or_default();
            WirePicture {
                href,
                caption,
                credit: Credit::parse(&producer, None),
            }
        })
        .collect()
}

fn item(root: Node) -> WireItem {
    let head = child(root, "head");
    let docdata = head.and_then(|h| child(h, "docdata"));
    let body = child(root, "body");
    let body_head = body.and_then(|b| child(b, "body.head"));
    let doc_id = docdata.and_then(|d| child(d, "doc-id"));
    let mut it = WireItem {
        format: "nitf".into(),
        guid: doc_id
            .and_then(|d| attr(d, "id-string"))
            .or_else(|| {
                docdata
                    .and_then(|d| child(d, "du-key"))
                    .and_then(|k| attr(k, "key"))
            })
            .unwrap_or("")
            .to_owned(),
        version: docdata
            .and_then(|d| child(d, "du-key"))
            .and_then(|k| attr(k, "version"))
            .map(version)
            .unwrap_or(1),
        urgency: docdata
            .and_then(|d| child(d, "urgency"))
            .and_then(|u| attr(u, "ed-urg"))
            .and_then(urgency),
        ..WireItem::default()
    };
    it.agency = doc_id
        .and_then(|d| attr(d, "regsrc"))
        .map(str::to_owned)
        .or_else(|| {
            docdata
                .and_then(|d| child(d, "doc.copyright"))
                .and_then(|c| attr(c, "holder"))
                .map(str::to_owned)
        })
        .or_else(|| {
            body.and_then(|b| find(b, "distributor"))
                .map(text)
                .filter(|d| !d.is_empty())
        })
        .unwrap_or_default();
    if let Some(d) = docdata {
        let issued = child(d, "date.issue")
            .and_then(|x| attr(x, "norm"))
            .and_then(parse_time);
        let release = child(d, "date.release")
            .and_then(|x| attr(x, "norm"))
            .and_then(parse_time);
        it.sent_at = issued;
        // A release time after the issue time is an embargo.
        if let (Some(r), Some(i)) = (release, issued)
            && r > i
        {
            it.embargo = Some(r);
        }
        let status = child(d, "management-status").map(text).unwrap_or_default();
        if status.contains("cancel") || status.contains("withheld") {
            it.signal = WireSignal::Kill;
        }
        it.subjects = d
            .descendants()
            .filter(|n| is(*n, "keyword"))
            .filter_map(|k| attr(k, "key").map(str::to_owned))
            .collect();
    }
    if let Some(h) = head {
        it.subjects.extend(
            h.descendants()
                .filter(|n| is(*n, "tobject.subject"))
                .filter_map(|s| {
                    attr(s, "tobject.subject.matter")
                        .or_else(|| attr(s, "tobject.subject.type"))
                        .or_else(|| attr(s, "tobject.subject.refnum"))
                        .map(str::to_owned)
                }),
        );
        if let Some(slug) = h
            .children()
            .filter(|n| is(*n, "meta"))
            .find(|m| attr(*m, "name").is_some_and(|n| n.ends_with("keyword")))
            .and_then(|m| attr(m, "content"))
        {
            it.slugline = slug.to_owned();
        }
    }
    if let Some(bh) = body_head {
        it.headline = path(bh, &["hedline", "hl1"]).map(text).unwrap_or_default();
        it.byline = children(bh, "byline")
            .map(|b| {
                // The byline's own text, without its title (`byttl`).
                b.children()
                    .filter(|c| c.is_text())
                    .filter_map(|c| c.text())
                    .collect::<String>()
            })
            .map(|s| super::text::squash(&s))
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
        it.dateline = child(bh, "dateline").map(text).unwrap_or_default();
        if let Some(a) = child(bh, "abstract").map(text)
            && it.headline.is_empty()
        {
            it.headline = a;
        }
    }
    if it.headline.is_empty() {
        it.headline = head
            .and_then(|h| child(h, "title"))
            .map(text)
            .unwrap_or_default();
    }
    if let Some(b) = body {
        if let Some(c) = child(b, "body.content") {
            it.body_html = content_html(c);
        }
        it.pictures = pictures(b);
    }
    if let Some(ed) = docdata
        .and_then(|d| child(d, "ed-msg"))
        .and_then(|e| attr(e, "info"))
    {
        let ed = ed.to_ascii_lowercase();
        if ed.contains("kill") || ed.contains("withdrawn") {
            it.signal = WireSignal::Kill;
        } else if ed.contains("correction") && it.signal == WireSignal::None {
            it.signal = WireSignal::Correction;
        }
    }
    it
}
