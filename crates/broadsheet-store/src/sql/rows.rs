//! Mapping SQLite rows to domain types; the column lists the queries share.

use broadsheet_core::{
    Article, ArticleSummary, Author, CoreError, Credit, HeroImage, Media, Section, SectionRef,
    Slug, Timestamp,
};
use chrono::DateTime;
use sqlx::Row;

use super::DbRow;
use crate::Result;

pub(super) const SUMMARY_COLUMNS: &str = "SELECT a.id, a.slug, a.headline, a.standfirst,
    a.importance, a.published_at, a.updated_at,
    s.id AS section_id, s.slug AS section_slug, s.name AS section_name,
    a.hero_alt, a.hero_caption, a.credit_photographer, a.credit_agency, a.credit_via,
    m.id AS media_id, m.path AS media_path, m.mime AS media_mime, m.width AS media_width,
    m.height AS media_height, m.bytes AS media_bytes, m.variants AS media_variants
    FROM articles a JOIN sections s ON s.id = a.section_id
    LEFT JOIN media m ON m.id = a.hero_media_id";

pub(super) const ARTICLE_COLUMNS: &str = "SELECT a.id, a.slug, a.headline, a.standfirst,
    a.importance, a.published_at, a.updated_at, a.created_at, a.version, a.external_id, a.body_markdown,
    a.body_html, a.sources, a.status, a.embargo_until, a.pinned, a.seo_title, a.seo_description,
    a.created_by,
    s.id AS section_id, s.slug AS section_slug, s.name AS section_name,
    a.hero_alt, a.hero_caption, a.credit_photographer, a.credit_agency, a.credit_via,
    m.id AS media_id, m.path AS media_path, m.mime AS media_mime, m.width AS media_width,
    m.height AS media_height, m.bytes AS media_bytes, m.variants AS media_variants
    FROM articles a JOIN sections s ON s.id = a.section_id
    LEFT JOIN media m ON m.id = a.hero_media_id";

/// Unix seconds to a timestamp; out-of-range values (only a hand-edited database holds them)
/// become the epoch rather than an error on every page that lists them.
pub(super) fn ts(secs: i64) -> Timestamp {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

pub(super) fn slug(row: &DbRow, column: &str) -> Result<Slug> {
    let raw: String = row.try_get(column)?;
    Slug::parse(&raw).map_err(|e| CoreError::invalid("slug", format!("stored {raw:?}: {e}")).into())
}

pub(super) fn media_from_row(row: &DbRow, prefix: &str) -> Result<Media> {
    let col = |c: &str| format!("{prefix}{c}");
    Ok(Media {
        id: row.try_get(col("id").as_str())?,
        path: row.try_get(col("path").as_str())?,
        mime: row.try_get(col("mime").as_str())?,
        width: dim(row.try_get(col("width").as_str())?),
        height: dim(row.try_get(col("height").as_str())?),
        bytes: row.try_get::<i64, _>(col("bytes").as_str())?.max(0) as u64,
        variants: serde_json::from_str(&row.try_get::<String, _>(col("variants").as_str())?)
            .unwrap_or_default(),
    })
}

/// A stored pixel size (a 64-bit integer on every backend) as the `u32` the domain uses.
pub(super) fn dim(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(0)
}

fn hero(row: &DbRow) -> Result<Option<HeroImage>> {
    let id: Option<i64> = row.try_get("media_id")?;
    if id.is_none() {
        return Ok(None);
    }
    Ok(Some(HeroImage {
        media: media_from_row(row, "media_")?,
        alt: row.try_get("hero_alt")?,
        caption: row.try_get("hero_caption")?,
        credit: Credit {
            photographer: row.try_get("credit_photographer")?,
            agency: row.try_get("credit_agency")?,
            via: row.try_get("credit_via")?,
        },
    }))
}

fn section_ref(row: &DbRow) -> Result<SectionRef> {
    Ok(SectionRef {
        id: row.try_get("section_id")?,
        slug: slug(row, "section_slug")?,
        name: row.try_get("section_name")?,
    })
}

pub(super) fn summary_from_row(row: &DbRow) -> Result<ArticleSummary> {
    Ok(ArticleSummary {
        id: row.try_get("id")?,
        slug: slug(row, "slug")?,
        headline: row.try_get("headline")?,
        standfirst: row.try_get("standfirst")?,
        section: section_ref(row)?,
        authors: Vec::new(),
        hero: hero(row)?,
        importance: row.try_get("importance")?,
        published_at: ts(row.try_get::<Option<i64>, _>("published_at")?.unwrap_or(0)),
        updated_at: ts(row.try_get("updated_at")?),
    })
}

pub(super) fn article_from_row(row: &DbRow) -> Result<Article> {
    let sources: String = row.try_get("sources")?;
    let status: String = row.try_get("status")?;
    Ok(Article {
        id: row.try_get("id")?,
        external_id: row.try_get("external_id")?,
        slug: slug(row, "slug")?,
        headline: row.try_get("headline")?,
        standfirst: row.try_get("standfirst")?,
        body_markdown: row.try_get("body_markdown")?,
        body_html: row.try_get("body_html")?,
        section: section_ref(row)?,
        authors: Vec::new(),
        tags: Vec::new(),
        hero: hero(row)?,
        sources: serde_json::from_str(&sources).unwrap_or_default(),
        instruments: Vec::new(),
        status: status.parse()?,
        importance: row.try_get("importance")?,
        published_at: row.try_get::<Option<i64>, _>("published_at")?.map(ts),
        created_at: ts(row.try_get("created_at")?),
        updated_at: ts(row.try_get("updated_at")?),
        version: row.try_get("version")?,
        embargo_until: row.try_get::<Option<i64>, _>("embargo_until")?.map(ts),
        pinned: row.try_get::<i64, _>("pinned")? > 0,
        seo_title: row.try_get("seo_title")?,
        seo_description: row.try_get("seo_description")?,
        notes: Vec::new(),
        created_by: row.try_get("created_by")?,
    })
}

pub(super) fn section_from_row(row: &DbRow) -> Result<Section> {
    Ok(Section {
        id: row.try_get("id")?,
        slug: slug(row, "slug")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        parent_id: row.try_get("parent_id")?,
        position: row.try_get("position")?,
        in_menu: row.try_get("in_menu")?,
    })
}

pub(super) fn author_from_row(row: &DbRow) -> Result<Author> {
    Ok(Author {
        id: row.try_get("id")?,
        slug: slug(row, "slug")?,
        name: row.try_get("name")?,
        bio: row.try_get("bio")?,
        photo_media_id: row.try_get("photo_media_id")?,
    })
}

/// A `(tag, count)` row: columns `id`, `slug`, `name` and `n`.
pub(super) fn tag_count_from_row(r: &DbRow) -> Result<(broadsheet_core::Tag, i64)> {
    Ok((
        broadsheet_core::Tag {
            id: r.try_get("id")?,
            slug: slug(r, "slug")?,
            name: r.try_get("name")?,
        },
        r.try_get("n")?,
    ))
}

/// `LIKE` pattern for a word, with the wildcards in it escaped (`ESCAPE '\\'`).
pub(super) fn like_pattern(word: &str) -> String {
    let escaped = word
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}
