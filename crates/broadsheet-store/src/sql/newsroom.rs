//! The newsroom tables on SQLite: accounts, sessions, one-time tokens, revisions, notes,
//! redirects, the audit log, the media library and tags.

use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;
use broadsheet_core::{
    ArticleInput, ArticleNote, ArticleStatus, AuditEntry, CoreError, Credit, LibraryItem, Revision,
    Slug, Snapshot, Tag, Timestamp,
};
use chrono::Utc;
use sqlx::{QueryBuilder, Row};

use super::record_changes;
use super::rows::{self, ts};
use super::{Backend, Conn, Db, DbRow};
use crate::newsroom::{AdminFilter, AdminRow, NewAudit, Newsroom};
use crate::{KEY_ALL, KEY_HOME, Result, StoreError, key_article, key_tag};

/// What `save_one` knows after writing an article, for the records kept beside it.
pub(super) struct SaveFacts<'a> {
    pub id: i64,
    pub input: &'a ArticleInput,
    pub slug: &'a Slug,
    pub status: ArticleStatus,
    pub published_at: Option<i64>,
    pub pinned: bool,
    /// Status and slug before this save, for an update.
    pub old: Option<(ArticleStatus, &'a Slug)>,
    pub now: i64,
}

/// Keeps a revision of every save, the correction or update note, a redirect from a published
/// article's old slug, and an audit entry for every change of status — all in the save's
/// transaction.
pub(super) async fn after_save(tx: &mut Conn, f: SaveFacts<'_>) -> Result<()> {
    let input = f.input;
    let ed = &input.editorial;
    let version: i64 = sqlx::query_scalar("SELECT version FROM articles WHERE id = $1")
        .bind(f.id)
        .fetch_one(&mut *tx)
        .await?;
    let hero = input.hero.as_ref();
    let text = |o: Option<&Option<String>>| o.and_then(|o| o.clone()).unwrap_or_default();
    let snapshot = Snapshot {
        headline: input.headline.clone(),
        standfirst: input.standfirst.clone(),
        slug: f.slug.to_string(),
        body_markdown: input.body_markdown.clone(),
        section: input.section.to_string(),
        authors: input.authors.clone(),
        tags: input.tags.clone(),
        sources: input.sources.clone(),
        status: f.status.as_str().to_owned(),
        importance: input.importance,
        published_at: f.published_at,
        embargo_until: ed.embargo_until.map(|t| t.timestamp()),
        pinned: f.pinned,
        seo_title: ed.seo_title.clone(),
        seo_description: ed.seo_description.clone(),
        hero_media_id: hero.map(|h| h.media_id),
        hero_alt: hero.map(|h| h.alt.clone()).unwrap_or_default(),
        hero_caption: hero.map(|h| h.caption.clone()).unwrap_or_default(),
        credit_photographer: text(hero.map(|h| &h.credit.photographer)),
        credit_agency: text(hero.map(|h| &h.credit.agency)),
        credit_via: text(hero.map(|h| &h.credit.via)),
    };
    sqlx::query(
        "INSERT INTO article_revisions (article_id, version, user_id, at, snapshot)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (article_id, version) DO UPDATE SET user_id = excluded.user_id,
           at = excluded.at, snapshot = excluded.snapshot",
    )
    .bind(f.id)
    .bind(version)
    .bind(ed.actor)
    .bind(f.now)
    .bind(serde_json::to_string(&snapshot).unwrap_or_default())
    .execute(&mut *tx)
    .await?;

    if let Some((kind, note)) = &ed.note {
        sqlx::query(
            "INSERT INTO article_notes (article_id, kind, text, at) VALUES ($1, $2, $3, $4)",
        )
        .bind(f.id)
        .bind(kind.as_str())
        .bind(note.trim())
        .bind(f.now)
        .execute(&mut *tx)
        .await?;
        audit(tx, ed.actor, kind.as_str(), Some(f.id), note.trim()).await?;
    }

    // A slug that readers may have seen keeps working: it redirects to the new one. The new
    // slug can never itself be a redirect (it would shadow the article).
    sqlx::query("DELETE FROM slug_redirects WHERE old_slug = $1")
        .bind(f.slug.as_str())
        .execute(&mut *tx)
        .await?;
    if let Some((old_status, old_slug)) = f.old
        && old_slug != f.slug
        && matches!(
            old_status,
            ArticleStatus::Published | ArticleStatus::Unpublished
        )
    {
        sqlx::query(
            "INSERT INTO slug_redirects (old_slug, article_id) VALUES ($1, $2)
             ON CONFLICT (old_slug) DO UPDATE SET article_id = excluded.article_id",
        )
        .bind(old_slug.as_str())
        .bind(f.id)
        .execute(&mut *tx)
        .await?;
    }

    // Webhooks hear of what readers can see change: a story going up, changing, coming down.
    let event = match (f.old.map(|o| o.0), f.status) {
        (Some(ArticleStatus::Published), ArticleStatus::Published) => Some("article.updated"),
        (_, ArticleStatus::Published) => Some("article.published"),
        (Some(ArticleStatus::Published), _) => Some("article.unpublished"),
        _ => None,
    };
    if let Some(event) = event {
        let data = serde_json::json!({ "article": {
            "id": f.id,
            "slug": f.slug.as_str(),
            "path": format!("/article/{}", f.slug),
            "headline": input.headline,
            "status": f.status.as_str(),
            "version": version,
            "published_at": f.published_at.map(|t| ts(t).to_rfc3339()),
        }});
        super::webhooks::enqueue(tx, event, &data, f.now).await?;
    }

    let action = match (f.old.map(|o| o.0), f.status) {
        (None, s) => Some(match s {
            ArticleStatus::Draft => "created",
            ArticleStatus::InReview => "submitted",
            ArticleStatus::Scheduled => "scheduled",
            ArticleStatus::Published => "published",
            ArticleStatus::Unpublished => "created",
        }),
        (Some(old), new) if old != new => Some(match new {
            ArticleStatus::Draft => "returned to draft",
            ArticleStatus::InReview => "submitted",
            ArticleStatus::Scheduled => "scheduled",
            ArticleStatus::Published => "published",
            ArticleStatus::Unpublished => "unpublished",
        }),
        _ => None,
    };
    if let Some(action) = action {
        let detail = match (f.status, f.published_at) {
            (ArticleStatus::Scheduled, Some(at)) => format!(
                "{} (for {})",
                input.headline,
                ts(at).format("%Y-%m-%d %H:%M UTC")
            ),
            _ => input.headline.clone(),
        };
        audit(tx, ed.actor, action, Some(f.id), &detail).await?;
    }
    Ok(())
}

pub(super) async fn audit(
    tx: &mut Conn,
    user_id: Option<i64>,
    action: &str,
    article_id: Option<i64>,
    detail: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, user_id, action, article_id, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(Utc::now().timestamp())
    .bind(user_id)
    .bind(action)
    .bind(article_id)
    .bind(detail)
    .execute(tx)
    .await?;
    Ok(())
}

fn revision_from_row(r: &DbRow) -> Result<Revision> {
    let snapshot: String = r.try_get("snapshot")?;
    Ok(Revision {
        article_id: r.try_get("article_id")?,
        version: r.try_get("version")?,
        user_id: r.try_get("user_id")?,
        user_name: r.try_get("user_name")?,
        at: ts(r.try_get("at")?),
        snapshot: serde_json::from_str(&snapshot).unwrap_or_default(),
    })
}

fn library_from_row(r: &DbRow) -> Result<LibraryItem> {
    let opt = |c: &str| -> Result<Option<String>> {
        let v: String = r.try_get(c)?;
        Ok((!v.is_empty()).then_some(v))
    };
    Ok(LibraryItem {
        media: rows::media_from_row(r, "")?,
        name: r.try_get("name")?,
        alt: r.try_get("alt")?,
        caption: r.try_get("caption")?,
        credit: Credit {
            photographer: opt("credit_photographer")?,
            agency: opt("credit_agency")?,
            via: opt("credit_via")?,
        },
        created_at: ts(r.try_get("created_at")?),
    })
}

const LIBRARY_COLUMNS: &str = "SELECT id, path, mime, width, height, bytes, variants, name, alt,
    caption, credit_photographer, credit_agency, credit_via, created_at FROM media";

impl Backend {
    pub(super) async fn notes_of(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<ArticleNote>>> {
        let mut out: HashMap<i64, Vec<ArticleNote>> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let mut q = QueryBuilder::<Db>::new(
            "SELECT article_id, kind, text, at FROM article_notes WHERE article_id IN (",
        );
        let mut list = q.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        q.push(") ORDER BY article_id, at, id");
        for r in q.build().fetch_all(&self.read).await? {
            let kind: String = r.try_get("kind")?;
            out.entry(r.try_get("article_id")?)
                .or_default()
                .push(ArticleNote {
                    kind: kind.parse()?,
                    text: r.try_get("text")?,
                    at: ts(r.try_get("at")?),
                });
        }
        Ok(out)
    }
}

#[async_trait]
impl Newsroom for Backend {
    async fn admin_articles(&self, f: &AdminFilter) -> Result<(Vec<AdminRow>, i64)> {
        fn filters(q: &mut QueryBuilder<Db>, f: &AdminFilter) {
            q.push(" WHERE 1 = 1");
            if let Some(s) = f.status {
                q.push(" AND a.status = ");
                q.push_bind(s.as_str());
            }
            if let Some(id) = f.section_id {
                q.push(" AND a.section_id = ");
                q.push_bind(id);
            }
            if let Some(id) = f.created_by {
                q.push(" AND a.created_by = ");
                q.push_bind(id);
            }
            for word in f.text.iter().flat_map(|t| t.split_whitespace()).take(8) {
                let pattern = super::rows::like_pattern(word);
                q.push(" AND (lower(a.headline) LIKE lower(");
                q.push_bind(pattern.clone());
                q.push(") ESCAPE '\\' OR lower(a.standfirst) LIKE lower(");
                q.push_bind(pattern.clone());
                q.push(") ESCAPE '\\' OR lower(a.slug) LIKE lower(");
                q.push_bind(pattern);
                q.push(") ESCAPE '\\')");
            }
        }
        let mut count = QueryBuilder::<Db>::new("SELECT COUNT(*) FROM articles a");
        filters(&mut count, f);
        let total: i64 = count.build_query_scalar().fetch_one(&self.read).await?;

        let mut q = QueryBuilder::<Db>::new(
            "SELECT a.id, a.slug, a.headline, a.status, s.name AS section, a.created_by,
                    u.name AS created_by_name, a.published_at, a.embargo_until, a.updated_at,
                    a.pinned, a.importance, a.version,
                    COALESCE((SELECT string_agg(au.name, ', ') FROM article_authors aa
                              JOIN authors au ON au.id = aa.author_id
                              WHERE aa.article_id = a.id), '') AS authors
             FROM articles a JOIN sections s ON s.id = a.section_id
             LEFT JOIN users u ON u.id = a.created_by",
        );
        filters(&mut q, f);
        q.push(" ORDER BY a.updated_at DESC, a.id DESC LIMIT ");
        q.push_bind(i64::from(f.limit.clamp(1, 500)));
        q.push(" OFFSET ");
        q.push_bind(i64::from(f.offset));
        let rows = q.build().fetch_all(&self.read).await?;
        let items = rows
            .iter()
            .map(|r| {
                let status: String = r.try_get("status")?;
                Ok(AdminRow {
                    id: r.try_get("id")?,
                    slug: rows::slug(r, "slug")?,
                    headline: r.try_get("headline")?,
                    status: status.parse()?,
                    section: r.try_get("section")?,
                    authors: r.try_get("authors")?,
                    created_by: r.try_get("created_by")?,
                    created_by_name: r.try_get("created_by_name")?,
                    published_at: r.try_get::<Option<i64>, _>("published_at")?.map(ts),
                    embargo_until: r.try_get::<Option<i64>, _>("embargo_until")?.map(ts),
                    updated_at: ts(r.try_get("updated_at")?),
                    pinned: r.try_get::<i64, _>("pinned")? > 0,
                    importance: r.try_get("importance")?,
                    version: r.try_get("version")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((items, total))
    }

    async fn revisions(&self, article_id: i64) -> Result<Vec<Revision>> {
        sqlx::query(
            "SELECT r.article_id, r.version, r.user_id, u.name AS user_name, r.at, r.snapshot
             FROM article_revisions r LEFT JOIN users u ON u.id = r.user_id
             WHERE r.article_id = $1 ORDER BY r.version DESC",
        )
        .bind(article_id)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(revision_from_row)
        .collect()
    }

    async fn revision(&self, article_id: i64, version: i64) -> Result<Option<Revision>> {
        sqlx::query(
            "SELECT r.article_id, r.version, r.user_id, u.name AS user_name, r.at, r.snapshot
             FROM article_revisions r LEFT JOIN users u ON u.id = r.user_id
             WHERE r.article_id = $1 AND r.version = $2",
        )
        .bind(article_id)
        .bind(version)
        .fetch_optional(&self.read)
        .await?
        .as_ref()
        .map(revision_from_row)
        .transpose()
    }

    async fn redirect_for(&self, old: &Slug) -> Result<Option<Slug>> {
        let row = sqlx::query(
            "SELECT a.slug FROM slug_redirects r JOIN articles a ON a.id = r.article_id
             WHERE r.old_slug = $1",
        )
        .bind(old.as_str())
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| rows::slug(&r, "slug")).transpose()
    }

    async fn publish_due(&self, now: Timestamp) -> Result<Vec<i64>> {
        let mut tx = self.begin().await?;
        let due: Vec<(i64, String)> = sqlx::query_as(
            "UPDATE articles SET status = 'published', version = version + 1
             WHERE status = 'scheduled' AND published_at <= $1
               AND (embargo_until IS NULL OR embargo_until <= $1)
             RETURNING id, headline",
        )
        .bind(now.timestamp())
        .fetch_all(&mut *tx)
        .await?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let mut keys = BTreeSet::from([KEY_HOME.to_owned()]);
        for (id, headline) in &due {
            let (slug, version, published_at): (String, i64, Option<i64>) =
                sqlx::query_as("SELECT slug, version, published_at FROM articles WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
            let data = serde_json::json!({ "article": {
                "id": id,
                "slug": slug,
                "path": format!("/article/{slug}"),
                "headline": headline,
                "status": "published",
                "version": version,
                "published_at": published_at.map(|t| ts(t).to_rfc3339()),
            }});
            super::webhooks::enqueue(&mut tx, "article.published", &data, now.timestamp()).await?;
            audit(
                &mut tx,
                None,
                "published",
                Some(*id),
                &format!("{headline} (as scheduled)"),
            )
            .await?;
            keys.insert(key_article(*id));
        }
        // Sections, authors and tags of these stories all list them now.
        keys.insert(KEY_ALL.to_owned());
        record_changes(&mut tx, &keys).await?;
        tx.commit().await?;
        Ok(due.into_iter().map(|d| d.0).collect())
    }

    async fn delete_article(&self, id: i64, actor: Option<i64>) -> Result<bool> {
        let mut tx = self.begin().await?;
        let headline: Option<String> =
            sqlx::query_scalar("DELETE FROM articles WHERE id = $1 RETURNING headline")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(headline) = headline else {
            return Ok(false);
        };
        audit(&mut tx, actor, "deleted", Some(id), &headline).await?;
        record_changes(
            &mut tx,
            &BTreeSet::from([key_article(id), KEY_ALL.to_owned()]),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn record_audit(&self, e: &NewAudit<'_>) -> Result<()> {
        let mut tx = self.begin().await?;
        audit(&mut tx, e.user_id, e.action, e.article_id, &e.detail).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit_log(&self, limit: u32, before: Option<i64>) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT l.id, l.at, l.user_id, u.name AS user_name, l.action, l.article_id, l.detail
             FROM audit_log l LEFT JOIN users u ON u.id = l.user_id
             WHERE l.id < $1 ORDER BY l.id DESC LIMIT $2",
        )
        .bind(before.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.try_get("id")?,
                    at: ts(r.try_get("at")?),
                    user_id: r.try_get("user_id")?,
                    user_name: r.try_get("user_name")?,
                    action: r.try_get("action")?,
                    article_id: r.try_get("article_id")?,
                    detail: r.try_get("detail")?,
                })
            })
            .collect()
    }

    async fn media_library(&self, text: Option<&str>, limit: u32) -> Result<Vec<LibraryItem>> {
        let mut q = QueryBuilder::<Db>::new(LIBRARY_COLUMNS);
        q.push(" WHERE 1 = 1");
        for word in text.iter().flat_map(|t| t.split_whitespace()).take(8) {
            let pattern = super::rows::like_pattern(word);
            q.push(" AND (");
            for (i, col) in [
                "name",
                "alt",
                "caption",
                "credit_photographer",
                "credit_agency",
                "credit_via",
            ]
            .into_iter()
            .enumerate()
            {
                if i > 0 {
                    q.push(" OR ");
                }
                q.push("lower(");
                q.push(col);
                q.push(") LIKE lower(");
                q.push_bind(pattern.clone());
                q.push(") ESCAPE '\\'");
            }
            q.push(")");
        }
        q.push(" ORDER BY created_at DESC, id DESC LIMIT ");
        q.push_bind(i64::from(limit.clamp(1, 500)));
        q.build()
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(library_from_row)
            .collect()
    }

    async fn media_item(&self, id: i64) -> Result<Option<LibraryItem>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{LIBRARY_COLUMNS} WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.read)
        .await?
        .as_ref()
        .map(library_from_row)
        .transpose()
    }

    async fn tags(&self) -> Result<Vec<(Tag, i64)>> {
        let rows = sqlx::query(
            "SELECT t.id, t.slug, t.name,
                    (SELECT COUNT(*) FROM article_tags at WHERE at.tag_id = t.id) AS n
             FROM tags t ORDER BY t.name",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(rows::tag_count_from_row).collect()
    }

    async fn rename_tag(&self, id: i64, name: &str) -> Result<()> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(CoreError::invalid("name", "must be 1 to 100 characters").into());
        }
        let mut tx = self.begin().await?;
        let done = sqlx::query("UPDATE tags SET name = $1 WHERE id = $2")
            .bind(name)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: format!("tag {id}"),
            });
        }
        record_changes(&mut tx, &BTreeSet::from([key_tag(id), KEY_ALL.to_owned()])).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_tag(&self, id: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM tags WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        record_changes(&mut tx, &BTreeSet::from([key_tag(id), KEY_ALL.to_owned()])).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_pinned(&self, ids: &[i64], actor: Option<i64>) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE articles SET pinned = 0 WHERE pinned > 0")
            .execute(&mut *tx)
            .await?;
        for (i, id) in ids.iter().enumerate() {
            sqlx::query("UPDATE articles SET pinned = $1 WHERE id = $2")
                .bind(i as i64 + 1)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let detail = ids
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        audit(&mut tx, actor, "home page curated", None, &detail).await?;
        record_changes(&mut tx, &BTreeSet::from([KEY_HOME.to_owned()])).await?;
        tx.commit().await?;
        Ok(())
    }
}
