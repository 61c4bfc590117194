//! The rules every save follows for when a story is public and under which address, as pure
//! functions: the store calls them inside its transaction and keeps only what SQL must do
//! (finding which slugs are taken).
//!
//! - **Publication time.** The time asked for; else the time the article already had; else,
//!   for a story published now, `now`. The embargo wins over all of them: a story published or
//!   scheduled before its embargo goes out at the embargo time, so no reader query can see it
//!   early. A scheduled story needs a time.
//! - **Slugs never change by accident.** An existing article keeps its slug unless another is
//!   asked for; a new one takes the slug asked for or one made from its headline; either is
//!   made unique with `-2`, `-3`, ….

use std::collections::BTreeSet;

use crate::{ArticleStatus, CoreError, Slug, Timestamp};

/// When the article is public from, or why it cannot be saved.
pub fn publication_time(
    status: ArticleStatus,
    asked: Option<Timestamp>,
    kept: Option<Timestamp>,
    embargo: Option<Timestamp>,
    now: Timestamp,
) -> Result<Option<Timestamp>, CoreError> {
    let at = asked
        .or(kept)
        .or((status == ArticleStatus::Published).then_some(now));
    let at = match (status, embargo) {
        (ArticleStatus::Published | ArticleStatus::Scheduled, Some(e)) => {
            Some(at.map_or(e, |p| p.max(e)))
        }
        _ => at,
    };
    if status == ArticleStatus::Scheduled && at.is_none() {
        return Err(CoreError::invalid(
            "publish at",
            "a scheduled story needs a time",
        ));
    }
    Ok(at)
}

/// Which slug a save wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlugChoice {
    /// The article's own slug, unchanged.
    Keep(Slug),
    /// This slug, or the first free one after it (`-2`, `-3`, …).
    Claim(Slug),
}

/// The slug a save of an article (`current`: its slug, if it exists) wants.
pub fn slug_choice(current: Option<&Slug>, asked: Option<&Slug>, headline: &str) -> SlugChoice {
    let fallback = || Slug::parse("article").expect("a literal slug");
    match current {
        Some(c) if asked.is_none_or(|a| a == c) => SlugChoice::Keep(c.clone()),
        Some(_) => SlugChoice::Claim(asked.cloned().unwrap_or_else(fallback)),
        None => SlugChoice::Claim(
            asked
                .cloned()
                .or_else(|| Slug::derive(headline))
                .unwrap_or_else(fallback),
        ),
    }
}

/// The first of `base`, `base-2`, `base-3`, … that is not taken.
pub fn first_free(base: &Slug, taken: &BTreeSet<String>) -> Slug {
    if !taken.contains(base.as_str()) {
        return base.clone();
    }
    (2u32..)
        .map(|n| base.with_suffix(n))
        .find(|s| !taken.contains(s.as_str()))
        .expect("an unbounded range finds a free slug")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ArticleStatus::*;

    fn at(h: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(1_700_000_000 + h * 3600, 0).expect("time")
    }

    #[test]
    fn publication_time_follows_ask_then_kept_then_now_and_the_embargo_wins() {
        let now = at(0);
        let check = |status, asked, kept, embargo, expected: Option<Timestamp>| {
            assert_eq!(
                publication_time(status, asked, kept, embargo, now).expect("valid"),
                expected,
                "{status:?} asked {asked:?} kept {kept:?} embargo {embargo:?}"
            );
        };
        check(Published, None, None, None, Some(now));
        check(Published, Some(at(-5)), Some(at(-9)), None, Some(at(-5)));
        check(Published, None, Some(at(-9)), None, Some(at(-9)));
        check(Draft, None, None, None, None);
        check(Draft, None, None, Some(at(3)), None);
        check(Published, None, None, Some(at(3)), Some(at(3)));
        check(Published, Some(at(5)), None, Some(at(3)), Some(at(5)));
        check(Scheduled, Some(at(1)), None, Some(at(3)), Some(at(3)));
        check(Scheduled, None, None, Some(at(2)), Some(at(2)));
        check(Unpublished, None, Some(at(-1)), Some(at(4)), Some(at(-1)));
        assert!(publication_time(Scheduled, None, None, None, now).is_err());
    }

    #[test]
    fn slugs_are_kept_unless_another_is_asked_for_and_made_unique() {
        let s = |v: &str| Slug::parse(v).expect("slug");
        assert_eq!(
            slug_choice(Some(&s("old")), None, "New headline"),
            SlugChoice::Keep(s("old"))
        );
        assert_eq!(
            slug_choice(Some(&s("old")), Some(&s("old")), "x"),
            SlugChoice::Keep(s("old"))
        );
        assert_eq!(
            slug_choice(Some(&s("old")), Some(&s("new")), "x"),
            SlugChoice::Claim(s("new"))
        );
        assert_eq!(
            slug_choice(None, None, "Oil prices rise"),
            SlugChoice::Claim(s("oil-prices-rise"))
        );
        assert_eq!(
            slug_choice(None, None, "!!!"),
            SlugChoice::Claim(s("article"))
        );
        let taken: BTreeSet<String> = ["oil", "oil-2", "oil-4"].map(String::from).into();
        assert_eq!(first_free(&s("oil"), &taken), s("oil-3"));
        assert_eq!(first_free(&s("gas"), &taken), s("gas"));
    }
}
