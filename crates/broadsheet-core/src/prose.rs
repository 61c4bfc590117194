//! Small rules of English for text built around names the newsroom chooses.

use std::borrow::Cow;

/// The site's name with a definite article, for sentences such as "the {name} daily": a name
/// that already begins with "The" ("The Meridian Ledger") keeps its own, so no text ever reads
/// "the The Meridian Ledger". `sentence_start` capitalises the added article.
pub fn with_the(name: &str, sentence_start: bool) -> Cow<'_, str> {
    let has_article = name
        .split_whitespace()
        .next()
        .is_some_and(|w| w.eq_ignore_ascii_case("the"));
    match (has_article, sentence_start) {
        (true, _) => Cow::Borrowed(name),
        (false, true) => Cow::Owned(format!("The {name}")),
        (false, false) => Cow::Owned(format!("the {name}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_and_without_their_own_article() {
        assert_eq!(with_the("Broadsheet Daily", false), "the Broadsheet Daily");
        assert_eq!(with_the("Broadsheet Daily", true), "The Broadsheet Daily");
        assert_eq!(
            with_the("The Meridian Ledger", false),
            "The Meridian Ledger"
        );
        assert_eq!(with_the("The Meridian Ledger", true), "The Meridian Ledger");
        assert_eq!(with_the("THE TIMES", false), "THE TIMES");
        // "Theory Weekly" and "Thetford Post" do not begin with the word "The".
        assert_eq!(with_the("Theory Weekly", false), "the Theory Weekly");
        assert_eq!(with_the("Thetford Post", true), "The Thetford Post");
    }
}
