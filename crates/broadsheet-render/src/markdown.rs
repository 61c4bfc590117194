//! Markdown source to sanitised HTML, and plain wire text to Markdown that renders literally.

use std::sync::LazyLock;

use pulldown_cmark::{Options, Parser, html};

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.add_tags(["figure", "figcaption", "aside"])
        .link_rel(Some("noopener noreferrer"))
        .add_tag_attributes("td", ["align"])
        .add_tag_attributes("th", ["align"])
        // Images must come from this site: a reader's page makes no third-party requests.
        .attribute_filter(|element, attribute, value| {
            if element == "img" && attribute == "src" && !is_local_url(value) {
                None
            } else {
                Some(value.into())
            }
        });
    b
});

fn is_local_url(url: &str) -> bool {
    url.starts_with('/') && !url.starts_with("//") && !url.starts_with("/\\")
}

/// Removes scripts, event handlers, `javascript:` URLs, styles and anything else that is not
/// plain article markup.
pub fn sanitize(html: &str) -> String {
    SANITIZER.clean(html).to_string()
}

/// Renders Markdown (CommonMark with tables, footnotes, strikethrough and typographic quotes)
/// and sanitises the result.
pub fn render_markdown(source: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_SMART_PUNCTUATION;
    let mut raw = String::with_capacity(source.len() * 5 / 4);
    html::push_html(&mut raw, Parser::new_ext(source, options));
    sanitize(&raw)
}

/// Plain text whose paragraphs are separated by blank lines (wire copy, imports) as Markdown
/// that renders to exactly that text: Markdown and HTML syntax in it is escaped.
pub fn plain_text_to_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    let normalized = text.replace("\r\n", "\n").replace('\r', "\n");
    for paragraph in normalized.split("\n\n") {
        let words: Vec<&str> = paragraph.split_whitespace().collect();
        if words.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        let line = words.join(" ");
        escape_line(&line, &mut out);
    }
    out
}

fn escape_line(line: &str, out: &mut String) {
    // Digits then '.' or ')' at the start would make an ordered list.
    let lead_digits = line.bytes().take_while(u8::is_ascii_digit).count();
    let bytes = line.as_bytes();
    // Smart punctuation would turn "--" into a dash: keep runs of hyphens as typed.
    let in_hyphen_run =
        |i: usize| (i > 0 && bytes[i - 1] == b'-') || bytes.get(i + 1).is_some_and(|&b| b == b'-');
    for (i, c) in line.char_indices() {
        let at_start = i == 0;
        let escape = match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '!' | '|' | '~' | '&' | '$' => true,
            '-' => at_start || in_hyphen_run(i),
            '#' | '+' | '=' | ':' => at_start,
            '.' | ')' => lead_digits > 0 && i == lead_digits,
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_sanitized(markdown: &str, must_not_contain: &[&str]) {
        let html = render_markdown(markdown).to_lowercase();
        for bad in must_not_contain {
            assert!(
                !html.contains(bad),
                "{bad:?} survived in {html:?} (from {markdown:?})"
            );
        }
    }

    #[test]
    fn hostile_markup_is_removed() {
        check_sanitized("<script>alert(1)</script>hello", &["<script", "alert(1)"]);
        check_sanitized("<img src=/x.png onerror=alert(1)>", &["onerror"]);
        check_sanitized("[click](javascript:alert(1))", &["javascript:"]);
        check_sanitized("[click](JaVaScRiPt:alert(1))", &["javascript:"]);
        check_sanitized("<a href=\"javascript&#58;alert(1)\">x</a>", &["javascript"]);
        check_sanitized("<iframe src=//evil></iframe>", &["<iframe"]);
        check_sanitized("<svg onload=alert(1)>", &["onload", "<svg"]);
        check_sanitized("<p style=\"background:url(x)\">s</p>", &["style="]);
        check_sanitized("<div onclick=\"x()\">a</div>", &["onclick"]);
        check_sanitized(
            "![x](https://tracker.example/pixel.gif)",
            &["tracker.example"],
        );
        check_sanitized(
            "<form action=/x><input name=a></form>",
            &["<form", "<input"],
        );
    }

    #[test]
    fn ordinary_markdown_survives() {
        let html = render_markdown(
            "Rates **rose** to [4%](https://example.org/a).\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n![Chart](/media/c.png)",
        );
        assert!(html.contains("<strong>rose</strong>"), "{html}");
        assert!(html.contains("href=\"https://example.org/a\""), "{html}");
        assert!(html.contains("rel=\"noopener noreferrer\""), "{html}");
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains("src=\"/media/c.png\""), "{html}");
    }

    fn check_plain(text: &str, expected_html: &str) {
        assert_eq!(
            render_markdown(&plain_text_to_markdown(text)).trim(),
            expected_html,
            "{text:?}"
        );
    }

    #[test]
    fn plain_text_renders_literally() {
        check_plain(
            "Shares *rose* 5% <b>today</b>",
            "<p>Shares *rose* 5% &lt;b&gt;today&lt;/b&gt;</p>",
        );
        check_plain(
            "1. Not a list\n\n# not a heading",
            "<p>1. Not a list</p>\n<p># not a heading</p>",
        );
        check_plain(
            "- dash\n\n+ plus\n\n---",
            "<p>- dash</p>\n<p>+ plus</p>\n<p>---</p>",
        );
        check_plain("    indented   code?", "<p>indented code?</p>");
        check_plain(
            "a [link](http://x) & `code`",
            "<p>a [link](http://x) &amp; `code`</p>",
        );
        check_plain("one\nline\r\n\r\ntwo", "<p>one line</p>\n<p>two</p>");
        check_plain(
            "<script>alert(1)</script>",
            "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>",
        );
        check_plain("\n\n\n", "");
    }
}
