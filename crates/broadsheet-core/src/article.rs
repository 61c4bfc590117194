//! Articles and what hangs off them: hero image with its structured credit, media, and the
//! references to section, authors and tags that pages show.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::{CoreError, Slug, Timestamp};

/// Where an article stands in the newsroom's workflow. Only `Published` with a publication time
/// in the past is ever shown to readers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ArticleStatus {
    Draft,
    InReview,
    Scheduled,
    Published,
    Unpublished,
}

impl ArticleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::InReview => "in_review",
            Self::Scheduled => "scheduled",
            Self::Published => "published",
            Self::Unpublished => "unpublished",
        }
    }
}

impl FromStr for ArticleStatus {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, CoreError> {
        Ok(match s {
            "draft" => Self::Draft,
            "in_review" => Self::InReview,
            "scheduled" => Self::Scheduled,
            "published" => Self::Published,
            "unpublished" => Self::Unpublished,
            _ => {
                return Err(CoreError::invalid(
                    "status",
                    format!("unknown status {s:?}"),
                ));
            }
        })
    }
}

impl fmt::Display for ArticleStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A photo credit kept as its parts, e.g. photographer "Gavriil Grigorov", agency "Sputnik",
/// via "Kremlin Pool Photo via AP", so that it can be shown, searched and syndicated properly.
///
/// The one credit type: articles, revisions, the media library, agency copy (kept as JSON in
/// the wire tables) and the APIs all carry this; forms and documents flatten it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Credit {
    pub photographer: Option<String>,
    pub agency: Option<String>,
    pub via: Option<String>,
}

impl Credit {
    /// Each part trimmed; an empty part is no part.
    pub fn trimmed(self) -> Self {
        let part = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        Self {
            photographer: part(self.photographer),
            agency: part(self.agency),
            via: part(self.via),
        }
    }

    /// Splits a one-line credit such as "Kremlin Pool Photo via AP" or "Jane Doe/Reuters" into
    /// its parts: "X via Y" keeps the whole line as `via` with the agency after "via";
    /// "Name/Agency" and "Name, Agency" give photographer and agency; a single word is an agency.
    pub fn parse(line: &str, byline: Option<&str>) -> Self {
        let line = line.trim();
        let byline = byline
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .map(str::to_owned);
        if line.is_empty() {
            return Self {
                photographer: byline,
                ..Self::default()
            };
        }
        if let Some(pos) = line.to_lowercase().rfind(" via ") {
            let agency = line[pos + 5..].trim();
            return Self {
                photographer: byline,
                agency: Some(agency.to_owned()).filter(|a| !a.is_empty()),
                via: Some(line.to_owned()),
            };
        }
        for sep in ['/', ','] {
            if let Some((who, agency)) = line.split_once(sep) {
                let who = who.trim();
                let agency = agency.trim();
                if !who.is_empty() && !agency.is_empty() {
                    return Self {
                        photographer: Some(byline.unwrap_or_else(|| who.to_owned())),
                        agency: Some(agency.to_owned()),
                        via: None,
                    };
                }
            }
        }
        Self {
            photographer: byline,
            agency: Some(line.to_owned()),
            via: None,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.parts().next().is_none()
    }

    fn parts(&self) -> impl Iterator<Item = &str> {
        [&self.photographer, &self.agency, &self.via]
            .into_iter()
            .filter_map(|p| p.as_deref().map(str::trim).filter(|p| !p.is_empty()))
    }
}

impl fmt::Display for Credit {
    /// "Gavriil Grigorov, Sputnik, Kremlin Pool Photo via AP"
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, part) in self.parts().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(part)?;
        }
        Ok(())
    }
}

/// A stored file: an image, with its pixel size and MIME type. `path` is relative to the media
/// root and made of slug-like segments only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Media {
    pub id: i64,
    pub path: String,
    pub mime: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    /// Resized copies of an uploaded photo, narrowest first (empty for vector art).
    pub variants: Vec<MediaVariant>,
}

/// One resized copy of a photo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct MediaVariant {
    pub width: u32,
    pub height: u32,
    /// `jpeg` or `webp`.
    pub format: String,
    pub path: String,
}

/// A media file to register, with what the library shows and searches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewMedia {
    pub path: String,
    pub mime: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    pub variants: Vec<MediaVariant>,
    /// The uploaded file's name, for the library.
    pub name: String,
    pub alt: String,
    pub caption: String,
    pub credit: Credit,
    pub uploaded_by: Option<i64>,
}

/// A media library entry: the file and its default description and credit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LibraryItem {
    pub media: Media,
    pub name: String,
    pub alt: String,
    pub caption: String,
    pub credit: Credit,
    pub created_at: Timestamp,
}

/// The lead picture of an article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeroImage {
    pub media: Media,
    pub alt: String,
    pub caption: String,
    pub credit: Credit,
}

/// The hero image part of an article being written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeroInput {
    pub media_id: i64,
    pub alt: String,
    pub caption: String,
    pub credit: Credit,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SectionRef {
    pub id: i64,
    pub slug: Slug,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct AuthorRef {
    pub id: i64,
    pub slug: Slug,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagRef {
    pub id: i64,
    pub slug: Slug,
    pub name: String,
}

/// A whole article as stored, body in both its Markdown source and its sanitised HTML.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Article {
    pub id: i64,
    pub external_id: Option<String>,
    pub slug: Slug,
    pub headline: String,
    pub standfirst: String,
    pub body_markdown: String,
    /// Sanitised when written; templates may emit it unescaped.
    pub body_html: String,
    pub section: SectionRef,
    pub authors: Vec<AuthorRef>,
    pub tags: Vec<TagRef>,
    pub hero: Option<HeroImage>,
    pub sources: Vec<String>,
    /// Market instruments the story concerns; its page shows their latest values.
    pub instruments: Vec<crate::Symbol>,
    pub status: ArticleStatus,
    pub importance: i32,
    pub published_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// 1 when created, bumped by every change.
    pub version: i64,
    /// Nothing is public before this time.
    pub embargo_until: Option<Timestamp>,
    pub pinned: bool,
    pub seo_title: String,
    pub seo_description: String,
    /// Corrections and updates, oldest first.
    pub notes: Vec<crate::ArticleNote>,
    /// The newsroom user who created it (none for imports).
    pub created_by: Option<i64>,
}

impl Article {
    /// Whether a reader may see it at `now`.
    pub fn is_public(&self, now: Timestamp) -> bool {
        self.status == ArticleStatus::Published && self.published_at.is_some_and(|p| p <= now)
    }
}

/// What listings (home, section, tag and author pages) show of an article.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArticleSummary {
    pub id: i64,
    pub slug: Slug,
    pub headline: String,
    pub standfirst: String,
    pub section: SectionRef,
    pub authors: Vec<AuthorRef>,
    pub hero: Option<HeroImage>,
    pub importance: i32,
    pub published_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The largest article body accepted, in bytes of Markdown.
pub const BODY_MAX: usize = 2_000_000;

/// An article to create or update. With an `external_id` the store matches an existing article
/// on it (imports are idempotent); without one it always creates. `slug: None` derives one from
/// the headline; either way the store makes it unique. A published article without a
/// `published_at` is published now, or keeps the time it was first published.
///
/// The body has one source, its Markdown: the store derives the sanitised HTML from it on
/// save (`broadsheet_render::render_markdown`, in one place), so no caller can store HTML
/// that disagrees with the Markdown or skips the sanitiser.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleInput {
    pub external_id: Option<String>,
    pub slug: Option<Slug>,
    pub headline: String,
    pub standfirst: String,
    pub body_markdown: String,
    pub section: Slug,
    /// Display name for the section when it has to be created.
    pub section_name: String,
    pub authors: Vec<String>,
    pub tags: Vec<String>,
    pub hero: Option<HeroInput>,
    pub sources: Vec<String>,
    pub instruments: Vec<crate::Symbol>,
    pub status: ArticleStatus,
    pub importance: i32,
    pub published_at: Option<Timestamp>,
    /// Newsroom fields; imports leave them at their defaults.
    pub editorial: crate::Editorial,
}

impl ArticleInput {
    /// Checks the rules every stored article meets, whatever wrote it.
    pub fn validate(&self) -> Result<(), CoreError> {
        if self.headline.trim().is_empty() {
            return Err(CoreError::invalid("headline", "is empty"));
        }
        if self.headline.chars().count() > 300 {
            return Err(CoreError::invalid(
                "headline",
                "is longer than 300 characters",
            ));
        }
        if self.body_markdown.trim().is_empty() {
            return Err(CoreError::invalid("body", "is empty"));
        }
        if let Some(id) = &self.external_id
            && (id.is_empty() || id.len() > 200)
        {
            return Err(CoreError::invalid("id", "must be 1 to 200 bytes"));
        }
        if self.standfirst.chars().count() > 1000 {
            return Err(CoreError::invalid(
                "standfirst",
                "is longer than 1000 characters",
            ));
        }
        if self.body_markdown.len() > BODY_MAX {
            return Err(CoreError::invalid("body", "is larger than 2 MB"));
        }
        self.editorial.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_credit(p: Option<&str>, a: Option<&str>, v: Option<&str>, expected: &str) {
        let c = Credit {
            photographer: p.map(Into::into),
            agency: a.map(Into::into),
            via: v.map(Into::into),
        };
        assert_eq!(c.to_string(), expected);
        assert_eq!(c.is_empty(), expected.is_empty());
    }

    #[test]
    fn credit_joins_present_parts() {
        check_credit(
            Some("Gavriil Grigorov"),
            Some("Sputnik"),
            Some("Kremlin Pool Photo via AP"),
            "Gavriil Grigorov, Sputnik, Kremlin Pool Photo via AP",
        );
        check_credit(None, Some("AP"), None, "AP");
        check_credit(Some(" "), None, Some(""), "");
        check_credit(None, None, None, "");
    }

    #[test]
    fn status_round_trips() {
        for s in [
            "draft",
            "in_review",
            "scheduled",
            "published",
            "unpublished",
        ] {
            assert_eq!(s.parse::<ArticleStatus>().map(|s| s.as_str()), Ok(s));
        }
        assert!("live".parse::<ArticleStatus>().is_err());
    }
}
