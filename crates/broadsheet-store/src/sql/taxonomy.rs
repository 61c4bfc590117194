//! Sections, authors and tags in SQL, for both backends.

use std::collections::BTreeSet;

use async_trait::async_trait;
use broadsheet_core::{Author, CoreError, NewSection, Section, Slug, Tag, Timestamp};
use sqlx::Row;

use super::articles::{record_changes, section_and_ancestors};
use super::{Backend, rows};
use crate::{KEY_ALL, Result, Taxonomy, key_author};

#[async_trait]
impl Taxonomy for Backend {
    async fn upsert_section(&self, s: &NewSection) -> Result<Section> {
        let mut tx = self.begin().await?;
        let parent_id: Option<i64> = match &s.parent {
            Some(parent) => {
                let id: Option<i64> = sqlx::query_scalar("SELECT id FROM sections WHERE slug = $1")
                    .bind(parent.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
                let id = id.ok_or_else(|| {
                    CoreError::invalid("parent", format!("section {parent} does not exist"))
                })?;
                let me: Option<i64> = sqlx::query_scalar("SELECT id FROM sections WHERE slug = $1")
                    .bind(s.slug.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(me) = me
                    && section_and_ancestors(&mut tx, id).await?.contains(&me)
                {
                    return Err(CoreError::invalid(
                        "parent",
                        format!("{parent} is {} or below it", s.slug),
                    )
                    .into());
                }
                Some(id)
            }
            None => None,
        };
        let row = sqlx::query(
            "INSERT INTO sections (slug, name, description, parent_id, position, in_menu)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (slug) DO UPDATE SET name = excluded.name,
               description = excluded.description, parent_id = excluded.parent_id,
               position = excluded.position, in_menu = excluded.in_menu
             RETURNING id, slug, name, description, parent_id, position, in_menu",
        )
        .bind(s.slug.as_str())
        .bind(&s.name)
        .bind(&s.description)
        .bind(parent_id)
        .bind(s.position)
        .bind(s.in_menu)
        .fetch_one(&mut *tx)
        .await?;
        let section = rows::section_from_row(&row)?;
        record_changes(&mut tx, &BTreeSet::from([KEY_ALL.to_owned()])).await?;
        tx.commit().await?;
        Ok(section)
    }

    async fn sections(&self) -> Result<Vec<Section>> {
        sqlx::query(
            "SELECT id, slug, name, description, parent_id, position, in_menu FROM sections
             ORDER BY position, name",
        )
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(rows::section_from_row)
        .collect()
    }

    async fn upsert_author(&self, name: &str, slug: Option<&Slug>, bio: &str) -> Result<Author> {
        let name = name.trim();
        let slug = match slug {
            Some(s) => s.clone(),
            None => Slug::derive(name).ok_or_else(|| {
                CoreError::invalid("author", format!("{name:?} has no letters or digits"))
            })?,
        };
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "INSERT INTO authors (slug, name, bio) VALUES ($1, $2, $3)
             ON CONFLICT (slug) DO UPDATE SET name = excluded.name, bio = excluded.bio
             RETURNING id, slug, name, bio, photo_media_id",
        )
        .bind(slug.as_str())
        .bind(name)
        .bind(bio)
        .fetch_one(&mut *tx)
        .await?;
        let author = rows::author_from_row(&row)?;
        record_changes(&mut tx, &BTreeSet::from([key_author(author.id)])).await?;
        tx.commit().await?;
        Ok(author)
    }

    async fn author_by_slug(&self, slug: &Slug) -> Result<Option<Author>> {
        sqlx::query("SELECT id, slug, name, bio, photo_media_id FROM authors WHERE slug = $1")
            .bind(slug.as_str())
            .fetch_optional(&self.read)
            .await?
            .as_ref()
            .map(rows::author_from_row)
            .transpose()
    }

    async fn public_authors(&self, now: Timestamp) -> Result<Vec<Author>> {
        sqlx::query(
            "SELECT id, slug, name, bio, photo_media_id FROM authors au
             WHERE EXISTS (SELECT 1 FROM article_authors aa JOIN articles a ON a.id = aa.article_id
                           WHERE aa.author_id = au.id AND a.status = 'published'
                             AND a.published_at <= $1)
             ORDER BY lower(name), id",
        )
        .bind(now.timestamp())
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(rows::author_from_row)
        .collect()
    }

    async fn public_tags(&self, now: Timestamp) -> Result<Vec<(Tag, i64)>> {
        let rows = sqlx::query(
            "SELECT t.id, t.slug, t.name, COUNT(*) AS n FROM tags t
             JOIN article_tags at ON at.tag_id = t.id
             JOIN articles a ON a.id = at.article_id
             WHERE a.status = 'published' AND a.published_at <= $1
             GROUP BY t.id, t.slug, t.name ORDER BY lower(t.name), t.id",
        )
        .bind(now.timestamp())
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(rows::tag_count_from_row).collect()
    }

    async fn tag_by_slug(&self, slug: &Slug) -> Result<Option<Tag>> {
        let row = sqlx::query("SELECT id, slug, name FROM tags WHERE slug = $1")
            .bind(slug.as_str())
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| {
            Ok(Tag {
                id: r.try_get("id")?,
                slug: rows::slug(&r, "slug")?,
                name: r.try_get("name")?,
            })
        })
        .transpose()
    }
}
