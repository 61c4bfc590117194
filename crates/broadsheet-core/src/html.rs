//! The one HTML escaper: text made safe for an element's content or a quoted attribute value
//! (`&`, `<`, `>`, `"` and `'` become references). Every crate that writes text into HTML or
//! SVG by hand uses this, so no two places disagree about what "escaped" means.

/// Appends `text` to `out`, escaped.
pub fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(c),
        }
    }
}

/// `text`, escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    escape_into(text, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_character_that_can_end_text_or_an_attribute_is_escaped() {
        assert_eq!(
            escape(r#"<a href="x" title='y'>Tom & Jerry</a>"#),
            "&lt;a href=&quot;x&quot; title=&#x27;y&#x27;&gt;Tom &amp; Jerry&lt;/a&gt;"
        );
        assert_eq!(escape("plain é text"), "plain é text");
        let mut out = String::from("<p>");
        escape_into("1 < 2", &mut out);
        assert_eq!(out, "<p>1 &lt; 2");
    }
}
