//! The articles, sections, authors, tags, media, market and settings half of the SQL store,
//! shared by the SQLite and PostgreSQL backends: this file is compiled once inside each
//! backend module, where `Backend`, `Db`, `Conn`, `DbRow` and `dialect` name that backend's
//! store, driver types and the few SQL fragments that differ.

use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;
use broadsheet_core::policy;
use broadsheet_core::{
    Article, ArticleInput, ArticleStatus, ArticleSummary, AuthorRef, CoreError, Cursor, Media,
    NewMedia, Page, Slug, Symbol, TagRef, Timestamp,
};
use chrono::Utc;
use sqlx::{QueryBuilder, Row};

use super::{Backend, Conn, Db, rows};

use super::rows::{ARTICLE_COLUMNS, SUMMARY_COLUMNS, article_from_row, summary_from_row};
use crate::hash::input_hash;
use crate::{
    ArticleQuery, ArticleVersion, Counts, KEY_HOME, ListFilter, Result, SaveKind, Saved,
    SitemapRow, Store, StoreError, key_article, key_author, key_section, key_tag,
};

impl Backend {
    async fn load_article(&self, clause: &'static str, bind: Bind<'_>) -> Result<Option<Article>> {
        let mut q = QueryBuilder::<Db>::new(ARTICLE_COLUMNS);
        q.push(clause);
        match bind {
            Bind::Id(id) => q.push_bind(id),
            Bind::Text(s) => q.push_bind(s.to_owned()),
            Bind::TextAndTime(s, now) => {
                q.push_bind(s.to_owned());
                q.push(" AND a.status = 'published' AND a.published_at <= ");
                q.push_bind(now.timestamp())
            }
        };
        Ok(self.load_articles(q).await?.pop())
    }

    /// Runs an `ARTICLE_COLUMNS` query and fills in every article's authors and tags with one
    /// query each for the whole batch.
    async fn load_articles(&self, mut q: QueryBuilder<Db>) -> Result<Vec<Article>> {
        let rows = q.build().fetch_all(&self.read).await?;
        let mut articles = rows
            .iter()
            .map(article_from_row)
            .collect::<Result<Vec<_>>>()?;
        let ids: Vec<i64> = articles.iter().map(|a| a.id).collect();
        let mut authors = self.authors_of(&ids).await?;
        let mut tags = self.tags_of(&ids).await?;
        let mut instruments = self.instruments_of(&ids).await?;
        let mut notes = self.notes_of(&ids).await?;
        for a in &mut articles {
            a.notes = notes.remove(&a.id).unwrap_or_default();
            a.authors = authors.remove(&a.id).unwrap_or_default();
            a.tags = tags.remove(&a.id).unwrap_or_default();
            a.instruments = instruments.remove(&a.id).unwrap_or_default();
        }
        Ok(articles)
    }

    async fn instruments_of(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<Symbol>>> {
        let mut out: HashMap<i64, Vec<Symbol>> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let mut q = QueryBuilder::<Db>::new(
            "SELECT article_id, symbol FROM article_instruments WHERE article_id IN (",
        );
        let mut list = q.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        q.push(") ORDER BY article_id, position");
        for r in q.build().fetch_all(&self.read).await? {
            let symbol: String = r.try_get("symbol")?;
            out.entry(r.try_get("article_id")?)
                .or_default()
                .push(Symbol::parse(&symbol)?);
        }
        Ok(out)
    }

    async fn tags_of(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<TagRef>>> {
        self.refs_of(
            "SELECT at.article_id, t.id, t.slug, t.name FROM article_tags at
             JOIN tags t ON t.id = at.tag_id WHERE at.article_id IN (",
            ") ORDER BY at.article_id, t.name",
            ids,
            |id, slug, name| TagRef { id, slug, name },
        )
        .await
    }

    async fn authors_of(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<AuthorRef>>> {
        self.refs_of(
            "SELECT aa.article_id, au.id, au.slug, au.name FROM article_authors aa
             JOIN authors au ON au.id = aa.author_id WHERE aa.article_id IN (",
            ") ORDER BY aa.article_id, aa.position",
            ids,
            |id, slug, name| AuthorRef { id, slug, name },
        )
        .await
    }

    /// `(id, slug, name)` rows of a join table for a batch of articles, grouped by article and
    /// made into `T` by `make`.
    async fn refs_of<T>(
        &self,
        select: &'static str,
        order: &'static str,
        ids: &[i64],
        make: fn(i64, Slug, String) -> T,
    ) -> Result<HashMap<i64, Vec<T>>> {
        let mut out: HashMap<i64, Vec<T>> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let mut q = QueryBuilder::<Db>::new(select);
        let mut list = q.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        q.push(order);
        for r in q.build().fetch_all(&self.read).await? {
            let item = make(
                r.try_get("id")?,
                rows::slug(&r, "slug")?,
                r.try_get("name")?,
            );
            out.entry(r.try_get("article_id")?).or_default().push(item);
        }
        Ok(out)
    }

    async fn with_authors(&self, mut items: Vec<ArticleSummary>) -> Result<Vec<ArticleSummary>> {
        let ids: Vec<i64> = items.iter().map(|a| a.id).collect();
        let mut authors = self.authors_of(&ids).await?;
        for item in &mut items {
            item.authors = authors.remove(&item.id).unwrap_or_default();
        }
        Ok(items)
    }
}

enum Bind<'a> {
    Id(i64),
    Text(&'a str),
    TextAndTime(&'a str, Timestamp),
}

pub(super) async fn record_changes(tx: &mut Conn, keys: &BTreeSet<String>) -> Result<()> {
    if keys.is_empty() {
        return Ok(());
    }
    let joined = keys
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ");
    // The dialect makes the log's order the order in which writes commit (PostgreSQL) and
    // tells other nodes at once; readers then never skip a position that commits late.
    super::dialect::before_change_log(&mut *tx).await?;
    sqlx::query("INSERT INTO changes (keys, at) VALUES ($1, $2)")
        .bind(&joined)
        .bind(Utc::now().timestamp())
        .execute(&mut *tx)
        .await?;
    super::dialect::after_change_log(tx, &joined).await
}

/// Returns the id of the section with this slug, creating it (hidden from the menu: the
/// newsroom decides what the menu shows) when it does not exist.
async fn ensure_section(tx: &mut Conn, slug: &Slug, name: &str) -> Result<i64> {
    let name = if name.trim().is_empty() {
        slug.as_str()
    } else {
        name.trim()
    };
    Ok(sqlx::query_scalar(
        "INSERT INTO sections (slug, name, position, in_menu)
         VALUES ($1, $2, (SELECT COALESCE(MAX(position), 0) + 1 FROM sections), FALSE)
         ON CONFLICT (slug) DO UPDATE SET slug = excluded.slug RETURNING id",
    )
    .bind(slug.as_str())
    .bind(name)
    .fetch_one(tx)
    .await?)
}

async fn ensure_named(tx: &mut Conn, table: Named, field: &'static str, name: &str) -> Result<i64> {
    let name = name.trim();
    let slug = Slug::derive(name)
        .ok_or_else(|| CoreError::invalid(field, format!("{name:?} has no letters or digits")))?;
    let sql = match table {
        Named::Author => {
            "INSERT INTO authors (slug, name) VALUES ($1, $2)
             ON CONFLICT (slug) DO UPDATE SET slug = excluded.slug RETURNING id"
        }
        Named::Tag => {
            "INSERT INTO tags (slug, name) VALUES ($1, $2)
             ON CONFLICT (slug) DO UPDATE SET slug = excluded.slug RETURNING id"
        }
    };
    Ok(sqlx::query_scalar(sql)
        .bind(slug.as_str())
        .bind(name)
        .fetch_one(tx)
        .await?)
}

/// The stored state of an article being saved over.
struct Existing {
    id: i64,
    slug: Slug,
    hash: String,
    section_id: i64,
    published_at: Option<i64>,
    status: ArticleStatus,
    version: i64,
    pinned: i64,
}

#[derive(Clone, Copy)]
enum Named {
    Author,
    Tag,
}

pub(super) async fn section_and_ancestors(tx: &mut Conn, id: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "WITH RECURSIVE up (id, parent_id, depth) AS (
             SELECT id, parent_id, 0 FROM sections WHERE id = $1
             UNION ALL
             SELECT s.id, s.parent_id, up.depth + 1 FROM sections s JOIN up ON s.id = up.parent_id
             WHERE up.depth < 16)
         SELECT id FROM up",
    )
    .bind(id)
    .fetch_all(tx)
    .await?)
}

/// The first free slug among `base`, `base-2`, `base-3`, … (ignoring article `except`): the
/// taken ones from the database, the choice by `policy::first_free`.
async fn unique_slug(tx: &mut Conn, base: &Slug, except: Option<i64>) -> Result<Slug> {
    let taken: BTreeSet<String> = sqlx::query_scalar(
        "SELECT slug FROM articles
         WHERE (slug = $1 OR (slug > $1 || '-' AND slug < $1 || '.')) AND ($2 IS NULL OR id <> $2)",
    )
    .bind(base.as_str())
    .bind(except)
    .fetch_all(tx)
    .await?
    .into_iter()
    .collect();
    Ok(policy::first_free(base, &taken))
}

/// Writes one article inside an open transaction; adds the cache keys it touched to `keys`.
/// The one place an article's HTML is made: its Markdown, rendered and sanitised. An input
/// over the size limit is refused by `validate` before anything is rendered.
fn body_html(input: &ArticleInput) -> String {
    if input.body_markdown.len() > broadsheet_core::BODY_MAX {
        return String::new();
    }
    broadsheet_render::render_markdown(&input.body_markdown)
}

/// `body_html` is `input`'s Markdown rendered by [`body_html`].
async fn save_one(
    tx: &mut Conn,
    input: &ArticleInput,
    body_html: &str,
    keys: &mut BTreeSet<String>,
) -> Result<Saved> {
    input.validate()?;
    let hash = input_hash(input, body_html);
    let now = Utc::now().timestamp();

    let select = "SELECT id, slug, input_hash, section_id, published_at, status, version, pinned
                  FROM articles WHERE ";
    let existing = match (input.editorial.id, &input.external_id) {
        (Some(id), _) => {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!("{select} id = $1")))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            if row.is_none() {
                return Err(StoreError::NotFound {
                    what: format!("article {id}"),
                });
            }
            row
        }
        (None, Some(ext)) => {
            sqlx::query(sqlx::AssertSqlSafe(format!("{select} external_id = $1")))
                .bind(ext)
                .fetch_optional(&mut *tx)
                .await?
        }
        (None, None) => None,
    };
    let existing = match existing {
        Some(r) => Some(Existing {
            id: r.try_get("id")?,
            slug: rows::slug(&r, "slug")?,
            hash: r.try_get("input_hash")?,
            section_id: r.try_get("section_id")?,
            published_at: r.try_get("published_at")?,
            status: r.try_get::<String, _>("status")?.parse()?,
            version: r.try_get("version")?,
            pinned: r.try_get("pinned")?,
        }),
        None => None,
    };
    if let (Some(e), Some(base)) = (&existing, input.editorial.base_version)
        && e.version != base
    {
        return Err(StoreError::Conflict(format!(
            "the article was changed by someone else after you opened it \
             (you started from version {base}, it is now at version {})",
            e.version
        )));
    }
    if let Some(e) = &existing
        && e.hash == hash
        && input.editorial.note.is_none()
    {
        return Ok(Saved {
            id: e.id,
            slug: e.slug.clone(),
            kind: SaveKind::Unchanged,
        });
    }

    if let Some(hero) = &input.hero {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM media WHERE id = $1")
            .bind(hero.media_id)
            .fetch_optional(&mut *tx)
            .await?;
        if found.is_none() {
            return Err(CoreError::invalid(
                "hero",
                format!("media {} does not exist", hero.media_id),
            )
            .into());
        }
    }

    let section_id = ensure_section(tx, &input.section, &input.section_name).await?;
    let mut author_ids = Vec::new();
    for name in &input.authors {
        let id = ensure_named(tx, Named::Author, "author", name).await?;
        if !author_ids.contains(&id) {
            author_ids.push(id);
        }
    }
    let mut tag_ids = Vec::new();
    for name in &input.tags {
        let id = ensure_named(tx, Named::Tag, "tag", name).await?;
        if !tag_ids.contains(&id) {
            tag_ids.push(id);
        }
    }

    // The slug and publication-time rules are `broadsheet_core::policy`'s; only finding which
    // slugs are taken is done here.
    let slug = match policy::slug_choice(
        existing.as_ref().map(|e| &e.slug),
        input.slug.as_ref(),
        &input.headline,
    ) {
        policy::SlugChoice::Keep(slug) => slug,
        policy::SlugChoice::Claim(base) => {
            unique_slug(tx, &base, existing.as_ref().map(|e| e.id)).await?
        }
    };
    let seconds = |t: i64| chrono::DateTime::from_timestamp(t, 0);
    let embargo = input.editorial.embargo_until.map(|t| t.timestamp());
    let status = input.status;
    let published_at = policy::publication_time(
        status,
        input.published_at.and_then(|p| seconds(p.timestamp())),
        existing
            .as_ref()
            .and_then(|e| e.published_at)
            .and_then(seconds),
        embargo.and_then(seconds),
        seconds(now).unwrap_or_else(Utc::now),
    )?
    .map(|t| t.timestamp());
    let pinned: i64 = match (&existing, input.editorial.pinned) {
        (_, false) => 0,
        (Some(e), true) if e.pinned > 0 => e.pinned,
        (_, true) => {
            sqlx::query_scalar("SELECT COALESCE(MAX(pinned), 0) + 1 FROM articles")
                .fetch_one(&mut *tx)
                .await?
        }
    };
    let ed = &input.editorial;
    let sources = serde_json::to_string(&input.sources).unwrap_or_else(|_| "[]".into());
    let (hero_id, alt, caption, credit) = match &input.hero {
        Some(h) => (
            Some(h.media_id),
            h.alt.as_str(),
            h.caption.as_str(),
            h.credit.clone(),
        ),
        None => (None, "", "", Default::default()),
    };

    let (id, kind) = match &existing {
        Some(Existing {
            id,
            section_id: old_section,
            ..
        }) => {
            keys.extend(
                section_and_ancestors(tx, *old_section)
                    .await?
                    .into_iter()
                    .map(key_section),
            );
            let old_authors: Vec<i64> =
                sqlx::query_scalar("SELECT author_id FROM article_authors WHERE article_id = $1")
                    .bind(id)
                    .fetch_all(&mut *tx)
                    .await?;
            let old_tags: Vec<i64> =
                sqlx::query_scalar("SELECT tag_id FROM article_tags WHERE article_id = $1")
                    .bind(id)
                    .fetch_all(&mut *tx)
                    .await?;
            keys.extend(old_authors.into_iter().map(key_author));
            keys.extend(old_tags.into_iter().map(key_tag));
            sqlx::query(
                "UPDATE articles SET slug = $1, headline = $2, standfirst = $3, body_markdown = $4,
                 body_html = $5, section_id = $6, hero_media_id = $7, hero_alt = $8, hero_caption = $9,
                 credit_photographer = $10, credit_agency = $11, credit_via = $12, sources = $13,
                 status = $14, importance = $15, published_at = $16, updated_at = $17, input_hash = $18,
                 embargo_until = $19, pinned = $20, seo_title = $21, seo_description = $22,
                 version = version + 1
                 WHERE id = $23",
            )
            .bind(slug.as_str())
            .bind(&input.headline)
            .bind(&input.standfirst)
            .bind(&input.body_markdown)
            .bind(body_html)
            .bind(section_id)
            .bind(hero_id)
            .bind(alt)
            .bind(caption)
            .bind(&credit.photographer)
            .bind(&credit.agency)
            .bind(&credit.via)
            .bind(&sources)
            .bind(status.as_str())
            .bind(input.importance)
            .bind(published_at)
            .bind(now)
            .bind(&hash)
            .bind(embargo)
            .bind(pinned)
            .bind(&ed.seo_title)
            .bind(&ed.seo_description)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM article_authors WHERE article_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM article_tags WHERE article_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            (*id, SaveKind::Updated)
        }
        None => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO articles (external_id, slug, headline, standfirst, body_markdown,
                 body_html, section_id, hero_media_id, hero_alt, hero_caption, credit_photographer,
                 credit_agency, credit_via, sources, status, importance, published_at, created_at,
                 updated_at, input_hash, embargo_until, pinned, seo_title, seo_description,
                 created_by)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)
                 RETURNING id",
            )
            .bind(&input.external_id)
            .bind(slug.as_str())
            .bind(&input.headline)
            .bind(&input.standfirst)
            .bind(&input.body_markdown)
            .bind(body_html)
            .bind(section_id)
            .bind(hero_id)
            .bind(alt)
            .bind(caption)
            .bind(&credit.photographer)
            .bind(&credit.agency)
            .bind(&credit.via)
            .bind(&sources)
            .bind(status.as_str())
            .bind(input.importance)
            .bind(published_at)
            .bind(now)
            .bind(now)
            .bind(&hash)
            .bind(embargo)
            .bind(pinned)
            .bind(&ed.seo_title)
            .bind(&ed.seo_description)
            .bind(ed.actor)
            .fetch_one(&mut *tx)
            .await?;
            (id, SaveKind::Created)
        }
    };

    for (position, author_id) in author_ids.iter().enumerate() {
        sqlx::query(
            "INSERT INTO article_authors (article_id, author_id, position) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(author_id)
        .bind(position as i64)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("DELETE FROM article_instruments WHERE article_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    for (position, symbol) in input.instruments.iter().enumerate() {
        sqlx::query(
            "INSERT INTO article_instruments (article_id, symbol, position) VALUES ($1, $2, $3)
             ON CONFLICT (article_id, symbol) DO NOTHING",
        )
        .bind(id)
        .bind(symbol.as_str())
        .bind(position as i64)
        .execute(&mut *tx)
        .await?;
    }
    for tag_id in &tag_ids {
        sqlx::query("INSERT INTO article_tags (article_id, tag_id) VALUES ($1, $2)")
            .bind(id)
            .bind(tag_id)
            .execute(&mut *tx)
            .await?;
    }

    super::newsroom::after_save(
        tx,
        super::newsroom::SaveFacts {
            id,
            input,
            slug: &slug,
            status,
            published_at,
            pinned: pinned > 0,
            old: existing.as_ref().map(|e| (e.status, &e.slug)),
            now,
        },
    )
    .await?;

    keys.insert(key_article(id));
    keys.insert(KEY_HOME.to_owned());
    keys.extend(
        section_and_ancestors(tx, section_id)
            .await?
            .into_iter()
            .map(key_section),
    );
    keys.extend(author_ids.into_iter().map(key_author));
    keys.extend(tag_ids.into_iter().map(key_tag));
    Ok(Saved { id, slug, kind })
}

#[async_trait]
impl Store for Backend {
    async fn upsert_media(&self, m: &NewMedia) -> Result<Media> {
        let variants = serde_json::to_string(&m.variants).unwrap_or_else(|_| "[]".into());
        let text = |o: &Option<String>| o.clone().unwrap_or_default();
        let row = sqlx::query(
            "INSERT INTO media (path, mime, width, height, bytes, created_at, variants, name, alt,
               caption, credit_photographer, credit_agency, credit_via, uploaded_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
             ON CONFLICT (path) DO UPDATE SET mime = excluded.mime, width = excluded.width,
               height = excluded.height, bytes = excluded.bytes, variants = excluded.variants
             RETURNING id, path, mime, width, height, bytes, variants",
        )
        .bind(&m.path)
        .bind(&m.mime)
        .bind(i64::from(m.width))
        .bind(i64::from(m.height))
        .bind(m.bytes as i64)
        .bind(Utc::now().timestamp())
        .bind(variants)
        .bind(&m.name)
        .bind(&m.alt)
        .bind(&m.caption)
        .bind(text(&m.credit.photographer))
        .bind(text(&m.credit.agency))
        .bind(text(&m.credit.via))
        .bind(m.uploaded_by)
        .fetch_one(&self.write)
        .await?;
        rows::media_from_row(&row, "")
    }

    async fn save_article(&self, input: &ArticleInput) -> Result<Saved> {
        input.validate()?;
        let html = body_html(input);
        let mut tx = self.begin().await?;
        let mut keys = BTreeSet::new();
        let saved = save_one(&mut tx, input, &html, &mut keys).await?;
        record_changes(&mut tx, &keys).await?;
        tx.commit().await?;
        Ok(saved)
    }

    async fn save_articles(&self, inputs: &[ArticleInput]) -> Result<Vec<Result<Saved>>> {
        // Rendered before the write transaction opens: Markdown is CPU work that need not
        // hold the write lock.
        let html: Vec<String> = inputs.iter().map(body_html).collect();
        let mut tx = self.begin().await?;
        let mut keys = BTreeSet::new();
        let mut out = Vec::with_capacity(inputs.len());
        for (input, html) in inputs.iter().zip(&html) {
            sqlx::query("SAVEPOINT item").execute(&mut *tx).await?;
            let mut item_keys = BTreeSet::new();
            match save_one(&mut tx, input, html, &mut item_keys).await {
                Ok(saved) => {
                    sqlx::query("RELEASE item").execute(&mut *tx).await?;
                    keys.append(&mut item_keys);
                    out.push(Ok(saved));
                }
                Err(e) => {
                    sqlx::query("ROLLBACK TO item").execute(&mut *tx).await?;
                    sqlx::query("RELEASE item").execute(&mut *tx).await?;
                    out.push(Err(e));
                }
            }
        }
        record_changes(&mut tx, &keys).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn article_by_slug(&self, slug: &Slug) -> Result<Option<Article>> {
        self.load_article(" WHERE a.slug = ", Bind::Text(slug.as_str()))
            .await
    }

    async fn article_by_id(&self, id: i64) -> Result<Option<Article>> {
        self.load_article(" WHERE a.id = ", Bind::Id(id)).await
    }

    async fn articles_after(&self, after_id: i64, limit: u32) -> Result<Vec<Article>> {
        let mut q = QueryBuilder::<Db>::new(ARTICLE_COLUMNS);
        q.push(" WHERE a.id > ");
        q.push_bind(after_id);
        q.push(" ORDER BY a.id LIMIT ");
        q.push_bind(i64::from(limit));
        self.load_articles(q).await
    }

    async fn article_versions(&self) -> Result<Vec<ArticleVersion>> {
        let rows = sqlx::query("SELECT id, status, version FROM articles ORDER BY id")
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| {
                let status: String = r.try_get("status")?;
                Ok(ArticleVersion {
                    id: r.try_get("id")?,
                    status: status.parse()?,
                    version: r.try_get("version")?,
                })
            })
            .collect()
    }

    async fn article_by_external_id(&self, external_id: &str) -> Result<Option<Article>> {
        self.load_article(" WHERE a.external_id = ", Bind::Text(external_id))
            .await
    }

    async fn public_article_by_slug(&self, slug: &Slug, now: Timestamp) -> Result<Option<Article>> {
        self.load_article(" WHERE a.slug = ", Bind::TextAndTime(slug.as_str(), now))
            .await
    }

    async fn list_public(
        &self,
        filter: &ListFilter,
        now: Timestamp,
        after: Option<Cursor>,
        limit: u32,
    ) -> Result<Page<ArticleSummary>> {
        self.query_public(&ArticleQuery::from(filter), now, after, limit)
            .await
    }

    async fn query_public(
        &self,
        query: &ArticleQuery,
        now: Timestamp,
        after: Option<Cursor>,
        limit: u32,
    ) -> Result<Page<ArticleSummary>> {
        let mut q = QueryBuilder::<Db>::new(SUMMARY_COLUMNS);
        q.push(" WHERE a.status = 'published' AND a.published_at <= ");
        q.push_bind(now.timestamp());
        if let Some(ids) = &query.sections {
            if ids.is_empty() {
                return Ok(Page {
                    items: Vec::new(),
                    next: None,
                });
            }
            q.push(" AND a.section_id IN (");
            let mut list = q.separated(", ");
            for id in ids {
                list.push_bind(*id);
            }
            q.push(")");
        }
        if let Some(id) = query.tag {
            q.push(" AND a.id IN (SELECT article_id FROM article_tags WHERE tag_id = ");
            q.push_bind(id);
            q.push(")");
        }
        if let Some(id) = query.author {
            q.push(" AND a.id IN (SELECT article_id FROM article_authors WHERE author_id = ");
            q.push_bind(id);
            q.push(")");
        }
        if let Some(t) = query.published_from {
            q.push(" AND a.published_at >= ");
            q.push_bind(t.timestamp());
        }
        if let Some(t) = query.published_until {
            q.push(" AND a.published_at < ");
            q.push_bind(t.timestamp());
        }
        if let Some(t) = query.updated_since {
            q.push(" AND a.updated_at >= ");
            q.push_bind(t.timestamp());
        }
        if let Some(c) = after {
            q.push(" AND (a.published_at, a.id) < (");
            q.push_bind(c.published_at.timestamp());
            q.push(", ");
            q.push_bind(c.id);
            q.push(")");
        }
        q.push(" ORDER BY a.published_at DESC, a.id DESC LIMIT ");
        q.push_bind(i64::from(limit) + 1);
        let rows = q.build().fetch_all(&self.read).await?;
        let mut items = rows
            .iter()
            .map(summary_from_row)
            .collect::<Result<Vec<_>>>()?;
        let next = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|a| Cursor {
                published_at: a.published_at,
                id: a.id,
            })
        } else {
            None
        };
        Ok(Page {
            items: self.with_authors(items).await?,
            next,
        })
    }

    async fn top_stories(
        &self,
        now: Timestamp,
        window: u32,
        limit: u32,
    ) -> Result<Vec<ArticleSummary>> {
        let mut q = QueryBuilder::<Db>::new(SUMMARY_COLUMNS);
        // Pinned stories lead, in the editors' order, however old; then the most important
        // of the newest.
        q.push(" JOIN (SELECT id FROM articles WHERE status = 'published' AND published_at <= ");
        q.push_bind(now.timestamp());
        q.push(" AND pinned > 0 UNION SELECT id FROM (SELECT id FROM articles WHERE status = 'published' AND published_at <= ");
        q.push_bind(now.timestamp());
        q.push(" ORDER BY published_at DESC, id DESC LIMIT ");
        q.push_bind(i64::from(window));
        q.push(
            ") newest) w ON w.id = a.id ORDER BY a.pinned = 0, a.pinned, a.importance DESC,
             a.published_at DESC, a.id DESC LIMIT ",
        );
        q.push_bind(i64::from(limit));
        let rows = q.build().fetch_all(&self.read).await?;
        let items = rows
            .iter()
            .map(summary_from_row)
            .collect::<Result<Vec<_>>>()?;
        self.with_authors(items).await
    }

    async fn counts(&self) -> Result<Counts> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM articles) AS articles,
                    (SELECT COUNT(*) FROM articles WHERE status = 'published') AS published,
                    (SELECT COUNT(*) FROM sections) AS sections,
                    (SELECT COUNT(*) FROM authors) AS authors,
                    (SELECT COUNT(*) FROM tags) AS tags",
        )
        .fetch_one(&self.read)
        .await?;
        Ok(Counts {
            articles: row.try_get("articles")?,
            published: row.try_get("published")?,
            sections: row.try_get("sections")?,
            authors: row.try_get("authors")?,
            tags: row.try_get("tags")?,
        })
    }

    async fn sitemap_rows(
        &self,
        now: Timestamp,
        offset: u64,
        limit: u32,
    ) -> Result<Vec<SitemapRow>> {
        let rows = sqlx::query(
            "SELECT a.id, a.slug, a.updated_at, m.path AS image FROM articles a
             LEFT JOIN media m ON m.id = a.hero_media_id
             WHERE a.status = 'published' AND a.published_at <= $1
             ORDER BY a.id LIMIT $2 OFFSET $3",
        )
        .bind(now.timestamp())
        .bind(i64::from(limit))
        .bind(i64::try_from(offset).unwrap_or(i64::MAX))
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SitemapRow {
                    id: r.try_get("id")?,
                    slug: rows::slug(r, "slug")?,
                    updated_at: rows::ts(r.try_get("updated_at")?),
                    image: r.try_get("image")?,
                })
            })
            .collect()
    }

    async fn sitemap_files(&self, now: Timestamp, per_file: u32) -> Result<Vec<Timestamp>> {
        let rows = sqlx::query(
            "SELECT (n - 1) / $1 AS file, MAX(updated_at) AS updated FROM (
               SELECT row_number() OVER (ORDER BY id) AS n, updated_at FROM articles
               WHERE status = 'published' AND published_at <= $2) numbered
             GROUP BY file ORDER BY file",
        )
        .bind(i64::from(per_file.max(1)))
        .bind(now.timestamp())
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| Ok(rows::ts(r.try_get("updated")?)))
            .collect()
    }
}
