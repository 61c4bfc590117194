//! `Slug`: the URL-safe name of an article, section, author or tag.

use std::fmt;

use crate::CoreError;

/// Longest slug we accept; derived slugs are cut at a word boundary below this.
pub const MAX_SLUG_LEN: usize = 120;
/// Derived slugs are cut to this length so that a `-NN` suffix still fits.
const DERIVED_SLUG_LEN: usize = 80;

/// Lowercase ASCII letters, digits and single hyphens, 1 to 120 characters, no hyphen at either
/// end. Holding a `Slug` proves all of that.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(into = "String", try_from = "String")]
pub struct Slug(String);

impl TryFrom<String> for Slug {
    type Error = CoreError;
    fn try_from(s: String) -> Result<Self, CoreError> {
        Self::parse(&s)
    }
}

impl From<Slug> for String {
    fn from(s: Slug) -> String {
        s.0
    }
}

impl Slug {
    /// Accepts a slug exactly as given (for URLs and stored values).
    pub fn parse(s: &str) -> Result<Self, CoreError> {
        let bad = |reason: &str| Err(CoreError::invalid("slug", reason));
        if s.is_empty() {
            return bad("is empty");
        }
        if s.len() > MAX_SLUG_LEN {
            return bad("is longer than 120 characters");
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return bad("may hold only a-z, 0-9 and '-'");
        }
        if s.starts_with('-') || s.ends_with('-') || s.contains("--") {
            return bad("may not start or end with '-' or repeat it");
        }
        Ok(Self(s.to_owned()))
    }

    /// Derives a slug from free text ("Ölpreis steigt 5%" -> "olpreis-steigt-5"), transliterating
    /// non-ASCII letters. `None` when nothing usable is left (text of only symbols).
    pub fn derive(text: &str) -> Option<Self> {
        let full = slug::slugify(text);
        if full.is_empty() {
            return None;
        }
        let mut cut = full.as_str();
        if cut.len() > DERIVED_SLUG_LEN {
            cut = &cut[..DERIVED_SLUG_LEN];
            if let Some(i) = cut.rfind('-').filter(|&i| i > 20) {
                cut = &cut[..i];
            }
            cut = cut.trim_end_matches('-');
        }
        Self::parse(cut).ok()
    }

    /// The `n`th alternative of this slug (`n >= 2`): "rates-rise" -> "rates-rise-2".
    pub fn with_suffix(&self, n: u32) -> Self {
        Self(format!("{}-{n}", self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Slug {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_parse(input: &str, ok: bool) {
        assert_eq!(Slug::parse(input).is_ok(), ok, "{input:?}");
    }

    #[test]
    fn parse_accepts_only_canonical_slugs() {
        check_parse("rates-rise-again", true);
        check_parse("g7", true);
        check_parse("", false);
        check_parse("Rates", false);
        check_parse("-rates", false);
        check_parse("rates-", false);
        check_parse("rates--rise", false);
        check_parse("rates rise", false);
        check_parse("../etc/passwd", false);
        check_parse("%2e%2e", false);
        check_parse(&"a".repeat(121), false);
        check_parse(&"a".repeat(120), true);
    }

    fn check_derive(input: &str, expected: Option<&str>) {
        assert_eq!(
            Slug::derive(input).as_ref().map(Slug::as_str),
            expected,
            "{input:?}"
        );
    }

    #[test]
    fn derive_transliterates_and_trims() {
        check_derive(
            "Central bank holds rates at 4.5%",
            Some("central-bank-holds-rates-at-4-5"),
        );
        check_derive("Ölpreis steigt", Some("olpreis-steigt"));
        check_derive("  --Hello--  ", Some("hello"));
        check_derive("!!!", None);
        check_derive("", None);
        let long = "word ".repeat(40);
        let s = Slug::derive(&long).expect("slug");
        assert!(s.as_str().len() <= 80 && !s.as_str().ends_with('-'), "{s}");
    }

    #[test]
    fn suffix_is_still_a_slug() {
        let s = Slug::derive(&"x".repeat(200))
            .expect("slug")
            .with_suffix(12);
        assert!(Slug::parse(s.as_str()).is_ok());
    }
}
