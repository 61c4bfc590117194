//! IPTC NewsML-G2: a `newsMessage` of items, or one `newsItem` / `packageItem`. Text items
//! carry their body as inline XHTML or NITF (or inline plain text); picture items a
//! `remoteContent` per rendition with caption and credit; packages carry text as far as their
//! item references have titles and descriptions. `pubStatus stat:canceled` or `stat:withheld`
//! is a kill; a `sig:correction` / `edStat:C` signal a correction.

use broadsheet_core::{Credit, WireItem, WirePicture, WireSignal};
use roxmltree::Node;

use super::text::{escape, parse_time, text_to_html};
use super::xml::{attr, child, children, document, find, inner_html, is, path, text};
use super::{Rejected, WireError, nitf, urgency, version};

pub fn parse(doc_text: &str) -> Result<Vec<Result<WireItem, Rejected>>, WireError> {
    let doc = document(doc_text)?;
    let root = doc.root_element();
    let header = child(root, "header");
    let sender = header
        .and_then(|h| child(h, "sender"))
        .map(text)
        .unwrap_or_default();
    let priority = header
        .and_then(|h| child(h, "priority"))
        .and_then(|p| urgency(&text(p)));
    let items: Vec<Node> = if is(root, "newsMessage") {
        root.children()
            .filter(|n| is(*n, "itemSet"))
            .flat_map(|s| s.children())
            .filter(|n| is(*n, "newsItem") || is(*n, "packageItem"))
            .collect()
    } else {
        vec![root]
    };
    if items.is_empty() {
        return Err(WireError::new(
            "the NewsML-G2 message holds no newsItem or packageItem",
        ));
    }
    Ok(items
        .into_iter()
        .enumerate()
        .map(|(i, n)| {
            let mut it = item(n);
            if it.agency.is_empty() {
                it.agency = sender.clone();
            }
            if it.urgency.is_none() {
                it.urgency = priority;
            }
            if it.headline.is_empty() && it.body_html.is_empty() && it.pictures.is_empty() {
                Err(Rejected {
                    item: if it.guid.is_empty() {
                        format!("item {}", i + 1)
                    } else {
                        it.guid
                    },
                    reason: "the item carries no text (a concept, planning or media-only item)"
                        .into(),
                })
            } else {
                Ok(it)
            }
        })
        .collect())
}

fn qcode_tail(q: &str) -> &str {
    q.rsplit(':').next().unwrap_or(q)
}

/// "nprov:REUTERS" or a literal: who sent it.
fn provider(meta: Option<Node>, content: Option<Node>, item: Node) -> String {
    if let Some(p) = meta.and_then(|m| child(m, "provider")) {
        if let Some(v) = attr(p, "literal") {
            return v.to_owned();
        }
        let name = child(p, "name").map(text).unwrap_or_default();
        if !name.is_empty() {
            return name;
        }
        if let Some(q) = attr(p, "qcode") {
            return qcode_tail(q).to_owned();
        }
    }
    if let Some(c) = content {
        for el in ["infoSource", "creator"] {
            if let Some(v) = children(c, el).find_map(|n| attr(n, "literal")) {
                return v.to_owned();
            }
        }
    }
    path(item, &["rightsInfo", "copyrightHolder"])
        .and_then(|h| {
            attr(h, "literal")
                .map(str::to_owned)
                .or_else(|| Some(text(h)))
        })
        .unwrap_or_default()
}

fn signal(meta: Option<Node>) -> WireSignal {
    let Some(meta) = meta else {
        return WireSignal::None;
    };
    let status = child(meta, "pubStatus")
        .and_then(|p| attr(p, "qcode"))
        .unwrap_or("")
        .to_ascii_lowercase();
    if status.ends_with("canceled") || status.ends_with("cancelled") || status.ends_with("withheld")
    {
        return WireSignal::Kill;
    }
    let mut out = WireSignal::None;
    for s in children(meta, "signal").filter_map(|s| attr(s, "qcode")) {
        let s = s.to_ascii_lowercase();
        if s.contains("kill") || s.contains("withdraw") || s == "edstat:k" {
            return WireSignal::Kill;
        }
        if s.contains("correct") || s == "edstat:c" {
            out = WireSignal::Correction;
        }
    }
    out
}

fn subjects(content: Node) -> Vec<String> {
    children(content, "subject")
        .filter_map(|s| {
            let name = child(s, "name").map(text).unwrap_or_default();
            if !name.is_empty() {
                return Some(name);
            }
            attr(s, "literal")
                .or_else(|| attr(s, "qcode"))
                .map(str::to_owned)
        })
        .collect()
}

/// The body from `contentSet`: inline NITF or XHTML, else inline text.
fn body(item: Node) -> String {
    let Some(set) = child(item, "contentSet") else {
        return String::new();
    };
    for inline in children(set, "inlineXML") {
        if let Some(content) = find(inline, "body.content") {
            return nitf::content_html(content);
        }
        if let Some(b) = find(inline, "body") {
            return inner_html(b);
        }
        let html = inner_html(inline);
        if !html.trim().is_empty() {
            return html;
        }
    }
    children(set, "inlineData")
        .map(|d| {
            let raw = d.text().unwrap_or("");
            // Some agencies send HTML as inline "text/plain".
            if attr(d, "contenttype").is_some_and(|t| t.contains("html"))
                || raw.trim_start().starts_with('<')
            {
                raw.to_owned()
            } else {
                text_to_html(raw)
            }
        })
        .find(|h| !h.is_empty())
        .unwrap_or_default()
}

/// The largest rendition of a picture item.
fn picture_href(item: Node) -> Option<String> {
    let set = child(item, "contentSet")?;
    children(set, "remoteContent")
        .filter_map(|r| {
            let href = attr(r, "href").or_else(|| attr(r, "residref"))?;
            let w: u64 = attr(r, "width").and_then(|w| w.parse().ok()).unwrap_or(0);
            Some((w, href.to_owned()))
        })
        .max_by_key(|(w, _)| *w)
        .map(|(_, h)| h)
        .filter(|h| h.starts_with("http://") || h.starts_with("https://"))
}

fn package_body(item: Node) -> (String, String) {
    let mut html = String::new();
    let mut first_title = String::new();
    for r in item.descendants().filter(|n| is(*n, "itemRef")) {
        let title = child(r, "title")
            .or_else(|| child(r, "headline"))
            .map(text)
            .unwrap_or_default();
        let desc = child(r, "description").map(text).unwrap_or_default();
        if first_title.is_empty() {
            first_title.clone_from(&title);
        }
        if !title.is_empty() {
            html.push_str(&format!("<h3>{}</h3>", escape(&title)));
        }
        if !desc.is_empty() {
            html.push_str(&format!("<p>{}</p>", escape(&desc)));
        }
    }
    (html, first_title)
}

fn item(node: Node) -> WireItem {
    let meta = child(node, "itemMeta");
    let content = child(node, "contentMeta");
    let class = meta
        .and_then(|m| child(m, "itemClass"))
        .and_then(|c| attr(c, "qcode"))
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut it = WireItem {
        format: "newsml-g2".into(),
        agency: provider(meta, content, node),
        guid: attr(node, "guid").unwrap_or("").to_owned(),
        version: version(attr(node, "version").unwrap_or("")),
        signal: signal(meta),
        language: node
            .attributes()
            .find(|a| a.name() == "lang")
            .map(|a| a.value().to_owned())
            .unwrap_or_default(),
        sent_at: meta.and_then(|m| {
            child(m, "versionCreated")
                .or_else(|| child(m, "firstCreated"))
                .and_then(|t| parse_time(&text(t)))
        }),
        embargo: meta
            .and_then(|m| child(m, "embargoed"))
            .and_then(|e| parse_time(&text(e))),
        ..WireItem::default()
    };
    let title = meta
        .and_then(|m| child(m, "title"))
        .map(text)
        .unwrap_or_default();
    if let Some(c) = content {
        it.urgency = child(c, "urgency").and_then(|u| urgency(&text(u)));
        it.headline = children(c, "headline")
            .find(|h| {
                attr(*h, "role").is_none_or(|r| r.ends_with("main") || r.ends_with("headline"))
            })
            .or_else(|| child(c, "headline"))
            .map(text)
            .unwrap_or_default();
        it.slugline = child(c, "slugline").map(text).unwrap_or_default();
        it.byline = children(c, "by").map(text).collect::<Vec<_>>().join(", ");
        it.dateline = child(c, "dateline")
            .map(text)
            .filter(|d| !d.is_empty() && !d.starts_with(|c: char| c.is_ascii_digit()))
            .or_else(|| {
                child(c, "located").map(|l| {
                    child(l, "name")
                        .map(text)
                        .unwrap_or_else(|| attr(l, "literal").unwrap_or("").to_owned())
                })
            })
            .unwrap_or_default();
        it.subjects = subjects(c);
        if let Some(l) = child(c, "language").and_then(|l| attr(l, "tag")) {
            it.language = l.to_owned();
        }
    }
    if it.headline.is_empty() {
        it.headline.clone_from(&title);
    }
    let description = content
        .map(|c| {
            children(c, "description")
                .map(text)
                .filter(|d| !d.is_empty())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    if class.ends_with("picture") || class.ends_with("graphic") {
        let credit_line = content
            .and_then(|c| child(c, "creditline"))
            .map(text)
            .unwrap_or_default();
        let caption = description
            .first()
            .cloned()
            .unwrap_or_else(|| it.headline.clone());
        it.pictures.push(WirePicture {
            href: picture_href(node),
            caption: caption.clone(),
            credit: Credit::parse(
                credit_line.trim_end_matches(['–', '-']).trim(),
                Some(it.byline.as_str()).filter(|b| !b.is_empty()),
            ),
        });
        it.body_html = text_to_html(&caption);
    } else if is(node, "packageItem") {
        let (html, first) = package_body(node);
        it.body_html = if html.is_empty() {
            text_to_html(&description.join("\n\n"))
        } else {
            html
        };
        if it.headline.is_empty() {
            it.headline = first;
        }
    } else {
        it.body_html = body(node);
        if it.body_html.trim().is_empty() {
            it.body_html = text_to_html(&description.join("\n\n"));
        }
    }
    it
}
