//! XML plumbing for the NewsML-G2 and NITF parsers: roxmltree (no network, no external DTDs)
//! behind a refusal of any document that declares entities, and small helpers that find
//! elements by local name whatever their namespace prefix.

use roxmltree::{Document, Node, ParsingOptions};

use super::WireError;
use super::text::escape;

/// Most nodes one document may have (a 20 MB feed has far fewer).
const NODES_LIMIT: u32 = 2_000_000;

/// Refuses a document type declaration that declares entities: agencies never need them, and
/// they are how billion-laughs and external-entity attacks work.
pub fn refuse_entities(text: &str) -> Result<(), WireError> {
    let head = &text[..text.floor_char_boundary(64 * 1024)];
    if let Some(at) = head.find("<!DOCTYPE") {
        let rest = &text[at..];
        let end = rest
            .find("]>")
            .or_else(|| rest.find('>'))
            .unwrap_or(rest.len());
        if rest[..end].contains("<!ENTITY") {
            return Err(WireError::new(
                "the XML document declares entities, which are refused (they can expand without bound or read local files)",
            ));
        }
    }
    Ok(())
}

/// The qualified name of the first element, past the declaration, comments, processing
/// instructions and a document type.
pub fn root_name(text: &str) -> Option<String> {
    let mut rest = text;
    loop {
        let at = rest.find('<')?;
        rest = &rest[at..];
        if let Some(r) = rest.strip_prefix("<?") {
            rest = &r[r.find("?>")? + 2..];
        } else if let Some(r) = rest.strip_prefix("<!--") {
            rest = &r[r.find("-->")? + 3..];
        } else if rest.starts_with("<!") {
            // A DOCTYPE, perhaps with an internal subset.
            let r = &rest[2..];
            let end = match (r.find('['), r.find('>')) {
                (Some(b), Some(g)) if b < g => r.find("]>").map(|e| e + 2)?,
                (_, Some(g)) => g + 1,
                _ => return None,
            };
            rest = &r[end..];
        } else {
            let name: String = rest[1..]
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
                .collect();
            return Some(name);
        }
    }
}

/// Parses with a DTD allowed (NITF files name one) but never fetched, and a node limit.
pub fn document(text: &str) -> Result<Document<'_>, WireError> {
    let opts = ParsingOptions {
        allow_dtd: true,
        nodes_limit: NODES_LIMIT,
    };
    Document::parse_with_options(super::text::strip_xml_declaration(text), opts)
        .map_err(|e| WireError::new(format!("malformed XML: {e}")))
}

pub fn is(node: Node<'_, '_>, local: &str) -> bool {
    node.is_element() && node.tag_name().name() == local
}

/// The first child element with this local name.
pub fn child<'a, 'i>(node: Node<'a, 'i>, local: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|n| is(*n, local))
}

/// Every child element with this local name.
pub fn children<'a, 'i: 'a>(
    node: Node<'a, 'i>,
    local: &'a str,
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children().filter(move |n| is(*n, local))
}

/// The first element below (at any depth) with this local name.
pub fn find<'a, 'i>(node: Node<'a, 'i>, local: &str) -> Option<Node<'a, 'i>> {
    node.descendants().find(|n| is(*n, local) && *n != node)
}

/// A path of child local names.
pub fn path<'a, 'i>(node: Node<'a, 'i>, names: &[&str]) -> Option<Node<'a, 'i>> {
    names.iter().try_fold(node, |n, name| child(n, name))
}

/// All the text below an element, white space collapsed.
pub fn text(node: Node<'_, '_>) -> String {
    let mut s = String::new();
    for d in node.descendants().filter(|d| d.is_text()) {
        s.push_str(d.text().unwrap_or(""));
        s.push(' ');
    }
    super::text::squash(&s)
}

pub fn attr<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    node.attributes()
        .find(|a| a.name() == name)
        .map(|a| a.value())
        .filter(|v| !v.trim().is_empty())
}

/// The children of an element written out as HTML: element names without prefixes, NITF's
/// `hl2` as `h2` and `block` as `div`; only the attributes a sanitiser may keep. The result is
/// sanitised by the caller.
pub fn inner_html(node: Node<'_, '_>) -> String {
    let mut out = String::new();
    for c in node.children() {
        write_html(c, &mut out, 0);
    }
    out
}

fn write_html(node: Node<'_, '_>, out: &mut String, depth: usize) {
    if depth > 200 {
        return;
    }
    if node.is_text() {
        out.push_str(&escape(node.text().unwrap_or("")));
        return;
    }
    if !node.is_element() {
        return;
    }
    let name = match node.tag_name().name() {
        "hl1" => "h2",
        "hl2" => "h3",
        "block" | "body.content" => "div",
        "media" | "media-reference" | "media-metadata" | "media-producer" | "script" | "style" => {
            return;
        }
        other => other,
    };
    out.push('<');
    out.push_str(name);
    for a in node.attributes() {
        if matches!(
            a.name(),
            "href" | "src" | "alt" | "title" | "colspan" | "rowspan"
        ) {
            out.push(' ');
            out.push_str(a.name());
            out.push_str("=\"");
            out.push_str(&escape(a.value()));
            out.push('"');
        }
    }
    out.push('>');
    for c in node.children() {
        write_html(c, out, depth + 1);
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_is_found_past_the_prolog() {
        let doc =
            "<?xml version='1.0'?>\n<!-- c --><!DOCTYPE nitf SYSTEM \"nitf.dtd\"><nitf a='1'/>";
        assert_eq!(root_name(doc).as_deref(), Some("nitf"));
        assert_eq!(root_name("<rdf:RDF x='y'>").as_deref(), Some("rdf:RDF"));
        assert_eq!(
            root_name("<!DOCTYPE x [<!ELEMENT a ANY>]><x/>").as_deref(),
            Some("x")
        );
    }
}
