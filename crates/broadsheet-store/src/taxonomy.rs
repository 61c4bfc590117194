//! The taxonomy part of the store: sections (the menu's tree), authors and tags, as readers
//! browse them.

use async_trait::async_trait;
use broadsheet_core::{Author, NewSection, Section, Slug, Tag, Timestamp};

use crate::Result;

#[async_trait]
pub trait Taxonomy: Send + Sync {
    /// Creates or updates a section, matched on slug. Its parent must exist and may not be the
    /// section itself or one of its descendants.
    async fn upsert_section(&self, section: &NewSection) -> Result<Section>;
    async fn sections(&self) -> Result<Vec<Section>>;

    /// Creates an author (slug derived from the name unless given) or updates the bio of the
    /// existing one with that slug.
    async fn upsert_author(&self, name: &str, slug: Option<&Slug>, bio: &str) -> Result<Author>;
    async fn author_by_slug(&self, slug: &Slug) -> Result<Option<Author>>;
    /// Every author with at least one public story as of `now`, by name.
    async fn public_authors(&self, now: Timestamp) -> Result<Vec<Author>>;
    async fn tag_by_slug(&self, slug: &Slug) -> Result<Option<Tag>>;
    /// Every tag on at least one public story as of `now`, with how many, by name.
    async fn public_tags(&self, now: Timestamp) -> Result<Vec<(Tag, i64)>>;
}
