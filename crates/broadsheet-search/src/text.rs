//! Plain text from sanitised article HTML, for indexing and snippets.

/// Strips tags and decodes entities; block ends become line breaks. The input is our own
/// sanitised HTML, so a small scanner is enough (no scripts or comments survive sanitising).
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find(['<', '&']) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if rest.starts_with('<') {
            let end = rest.find('>').map_or(rest.len(), |e| e + 1);
            let tag = &rest[..end];
            if tag.starts_with("</p")
                || tag.starts_with("<br")
                || tag.starts_with("</h")
                || tag.starts_with("</li")
            {
                out.push('\n');
            }
            rest = &rest[end..];
        } else {
            // Entities are short; look for the ';' among the next few bytes (bytes, so that a
            // multi-byte character right after the '&' cannot split a slice).
            let end = rest.bytes().take(12).position(|b| b == b';');
            let (decoded, used) = match end.map(|e| &rest[1..e]) {
                Some("amp") => ("&".to_owned(), 5),
                Some("lt") => ("<".to_owned(), 4),
                Some("gt") => (">".to_owned(), 4),
                Some("quot") => ("\"".to_owned(), 6),
                Some("nbsp") => (" ".to_owned(), 6),
                Some(num) if num.starts_with('#') => {
                    let n = num.strip_prefix("#x").or_else(|| num.strip_prefix("#X"));
                    let code = match n {
                        Some(hex) => u32::from_str_radix(hex, 16).ok(),
                        None => num[1..].parse().ok(),
                    };
                    match code.and_then(char::from_u32) {
                        Some(c) => (c.to_string(), num.len() + 2),
                        None => ("&".to_owned(), 1),
                    }
                }
                _ => ("&".to_owned(), 1),
            };
            out.push_str(&decoded);
            rest = &rest[used..];
        }
    }
    out.push_str(rest);
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_tags_and_decodes_entities() {
        assert_eq!(
            html_to_text(
                "<p>Rates &amp; bonds &lt;up&gt;</p>\n<p>It&#x27;s &#8220;fine&#8221;</p>"
            ),
            "Rates & bonds <up>\n\nIt's \u{201c}fine\u{201d}"
        );
        assert_eq!(html_to_text("a & b &bogus; &#xZZ;"), "a & b &bogus; &#xZZ;");
        assert_eq!(
            html_to_text("<a href=\"x\">link</a> <strong>b</strong>"),
            "link b"
        );
        assert_eq!(html_to_text("unterminated <b"), "unterminated");
    }

    #[test]
    fn multibyte_text_after_an_ampersand_does_not_panic() {
        assert_eq!(
            html_to_text("S&amp;P’s &amp; Poor’s rating"),
            "S&P’s & Poor’s rating"
        );
        assert_eq!(html_to_text("&’’’’’’"), "&’’’’’’");
        assert_eq!(html_to_text("a &ééééé; b"), "a &ééééé; b");
    }
}
