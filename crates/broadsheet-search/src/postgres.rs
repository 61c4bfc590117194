//! `PgSearch`: the `SearchIndex` of a site on PostgreSQL, shared by all its nodes. Articles
//! are rows of `search_docs` (this crate's own table: `pg_migrate` creates it on open) with a weighted tsvector
//! under a GIN index; queries go through `websearch_to_tsquery` (the same syntax readers use
//! on the embedded index: words, "phrases", -exclusions), snippets through `ts_headline`,
//! and "did you mean" through pg_trgm over the words seen.
//!
//! The trait is synchronous (tantivy is); its callers run it on blocking threads, where this
//! implementation waits on the runtime. Every node applies the change log itself; the writes
//! are idempotent (a row is replaced only by a newer version), so nodes racing agree.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use broadsheet_core::{Article, ArticleStatus, AuthorRef, Timestamp};
use chrono::{DateTime, Utc};
use sqlx::{PgPool, QueryBuilder, Row};

use crate::{
    Hit, Result, SearchIndex, SearchRequest, SearchResults, SearchSettings, Sort, Suggestion,
    html_to_text,
};

/// Snippet options: matched words in `<mark>`, two short fragments.
const HEADLINE_OPTS: &str = "StartSel=<mark>, StopSel=</mark>, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=\" … \"";

pub struct PgSearch {
    pool: PgPool,
    runtime: tokio::runtime::Handle,
    settings: SearchSettings,
    /// The change-log position this node has applied (a node that starts later reads the
    /// shared one; re-applying a change is harmless).
    applied: Mutex<Option<i64>>,
    /// Rows written since the last `ANALYZE`: after a rebuild or a large import the planner
    /// must not go on planning search queries for the empty table it last measured.
    unanalysed: std::sync::atomic::AtomicUsize,
}

/// Rows written after which a commit refreshes the tables' statistics.
const ANALYZE_AFTER: usize = 1000;

impl PgSearch {
    /// Over the store's pool (after the store has migrated it); creates or upgrades the
    /// search tables. Must be called inside the runtime that will drive it.
    pub async fn open(pool: PgPool, settings: SearchSettings) -> Result<Self> {
        crate::pg_migrate::run(&pool).await?;
        let applied: Option<i64> =
            sqlx::query_scalar("SELECT value FROM search_state WHERE key = 'applied_seq'")
                .fetch_optional(&pool)
                .await?;
        Ok(Self {
            pool,
            runtime: tokio::runtime::Handle::current(),
            settings,
            applied: Mutex::new(applied),
            unanalysed: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    fn wait<T>(&self, f: impl std::future::Future<Output = Result<T>>) -> Result<T> {
        self.runtime.block_on(f)
    }

    async fn write(&self, upserts: &[Article], removals: &[i64]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for id in removals {
            sqlx::query("DELETE FROM search_docs WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let mut words = BTreeSet::new();
        for a in upserts {
            let Some(published) = a
                .published_at
                .filter(|_| a.status == ArticleStatus::Published)
            else {
                sqlx::query("DELETE FROM search_docs WHERE id = $1")
                    .bind(a.id)
                    .execute(&mut *tx)
                    .await?;
                continue;
            };
            let text = html_to_text(&a.body_html);
            for w in [a.headline.as_str(), a.standfirst.as_str(), text.as_str()]
                .iter()
                .flat_map(|t| t.split(|c: char| !c.is_alphabetic()))
            {
                let n = w.chars().count();
                if (4..=30).contains(&n) {
                    words.insert(w.to_lowercase());
                }
            }
            let authors: Vec<AuthorRef> = a.authors.clone();
            sqlx::query(
                "INSERT INTO search_docs (id, version, slug, headline, section_id, section_slug,
                   section_name, author_ids, tag_ids, authors, published_at, body, doc)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
                   setweight(to_tsvector('broadsheet_english', $4), 'A')
                   || setweight(to_tsvector('broadsheet_english', $13), 'B')
                   || setweight(to_tsvector('broadsheet_english', $14), 'C')
                   || setweight(to_tsvector('broadsheet_english', $15), 'D'))
                 ON CONFLICT (id) DO UPDATE SET version = excluded.version, slug = excluded.slug,
                   headline = excluded.headline, section_id = excluded.section_id,
                   section_slug = excluded.section_slug, section_name = excluded.section_name,
                   author_ids = excluded.author_ids, tag_ids = excluded.tag_ids,
                   authors = excluded.authors, published_at = excluded.published_at,
                   body = excluded.body, doc = excluded.doc
                 WHERE search_docs.version <= excluded.version",
            )
            .bind(a.id)
            .bind(a.version)
            .bind(a.slug.as_str())
            .bind(&a.headline)
            .bind(a.section.id)
            .bind(a.section.slug.as_str())
            .bind(&a.section.name)
            .bind(a.authors.iter().map(|x| x.id).collect::<Vec<i64>>())
            .bind(a.tags.iter().map(|x| x.id).collect::<Vec<i64>>())
            .bind(serde_json::to_string(&authors).unwrap_or_else(|_| "[]".into()))
            .bind(published.timestamp())
            .bind(escape(&text))
            .bind(&a.standfirst)
            .bind(&text)
            .bind(extra_text(a))
            .execute(&mut *tx)
            .await?;
        }
        if !words.is_empty() {
            let words: Vec<String> = words.into_iter().collect();
            sqlx::query(
                "INSERT INTO search_words (word) SELECT unnest($1::text[])
                 ON CONFLICT (word) DO NOTHING",
            )
            .bind(&words)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The filters every query shares, after `WHERE`.
    fn filters(&self, q: &mut QueryBuilder<sqlx::Postgres>, req: &SearchRequest, now: Timestamp) {
        q.push(" d.published_at <= ").push_bind(now.timestamp());
        if !req.sections.is_empty() {
            q.push(" AND d.section_id = ANY(")
                .push_bind(req.sections.clone())
                .push(")");
        }
        if let Some(a) = req.author {
            q.push(" AND ").push_bind(a).push(" = ANY(d.author_ids)");
        }
        if let Some(t) = req.tag {
            q.push(" AND ").push_bind(t).push(" = ANY(d.tag_ids)");
        }
        if let Some(f) = req.from {
            q.push(" AND d.published_at >= ").push_bind(f.timestamp());
        }
        if let Some(u) = req.until {
            q.push(" AND d.published_at < ").push_bind(u.timestamp());
        }
        if !req.query.trim().is_empty() {
            q.push(" AND d.doc @@ websearch_to_tsquery('broadsheet_english', ")
                .push_bind(req.query.clone())
                .push(")");
        }
    }

    /// Searches; when words match nothing, words of five letters or more are read as the
    /// nearest words the archive holds (typos forgiven, as on the embedded index), and failing
    /// that a respelling is offered.
    async fn run_search(&self, req: &SearchRequest, now: Timestamp) -> Result<SearchResults> {
        let req = SearchRequest {
            query: clean(&req.query),
            ..req.clone()
        };
        let found = self.run_exact(&req, now).await?;
        if found.total > 0 || req.query.trim().is_empty() {
            return Ok(found);
        }
        if let Some(fixed) = self.respell(&req.query, 5).await? {
            let retry = self
                .run_exact(
                    &SearchRequest {
                        query: fixed,
                        ..req.clone()
                    },
                    now,
                )
                .await?;
            if retry.total > 0 {
                return Ok(retry);
            }
        }
        Ok(SearchResults {
            did_you_mean: self.respell(&req.query, 3).await?,
            ..found
        })
    }

    async fn run_exact(&self, req: &SearchRequest, now: Timestamp) -> Result<SearchResults> {
        let words = !req.query.trim().is_empty();
        if words {
            // Only stop words ("the", "of"): nothing to match, as on the embedded index.
            let empty: bool = sqlx::query_scalar(
                "SELECT numnode(websearch_to_tsquery('broadsheet_english', $1)) = 0",
            )
            .bind(&req.query)
            .fetch_one(&self.pool)
            .await?;
            if empty {
                return Ok(SearchResults::default());
            }
        }
        let limit = req.limit.clamp(1, 100) as i64;
        // The page is chosen first from ids and scores alone (the sort carries no text);
        // only its ten or so rows are then read whole and given snippets.
        let mut q = QueryBuilder::<sqlx::Postgres>::new(
            "SELECT d.id, d.slug, d.headline, d.section_slug, d.section_name, d.published_at, d.authors, ",
        );
        if words {
            q.push("ts_headline('broadsheet_english', left(d.body, 6000), websearch_to_tsquery('broadsheet_english', ")
                .push_bind(req.query.clone())
                .push("), ")
                .push_bind(HEADLINE_OPTS)
                .push(")");
        } else {
            q.push("left(d.body, 240)");
        }
        q.push(" AS snippet FROM (SELECT d.id, d.published_at, ");
        if req.sort == Sort::Newest || !words {
            q.push("0::float8 AS score");
        } else {
            // Relevance (ts_rank_cd with length normalisation), lifted for recent stories
            // as the embedded index does: up to (1 + boost), halving every half-life.
            let half_life = f64::from(self.settings.recency_half_life_days.max(0.1)) * 86_400.0;
            q.push("ts_rank_cd(d.doc, websearch_to_tsquery('broadsheet_english', ")
                .push_bind(req.query.clone())
                .push("), 1) * (1 + ")
                .push_bind(f64::from(self.settings.recency_boost))
                .push(" * power(0.5, GREATEST(")
                .push_bind(now.timestamp())
                .push(" - d.published_at, 0) / ")
                .push_bind(half_life)
                .push(")) AS score");
        }
        q.push(" FROM search_docs d WHERE");
        self.filters(&mut q, req, now);
        q.push(" ORDER BY score DESC, d.published_at DESC, d.id DESC LIMIT ")
            .push_bind(limit)
            .push(" OFFSET ")
            .push_bind(req.offset as i64);
        q.push(
            ") page JOIN search_docs d ON d.id = page.id
             ORDER BY page.score DESC, page.published_at DESC, page.id DESC",
        );
        let hits = q
            .build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(hit)
            .collect::<Result<Vec<_>>>()?;

        let mut count = QueryBuilder::<sqlx::Postgres>::new(
            "SELECT d.section_slug, EXTRACT(YEAR FROM to_timestamp(d.published_at))::int AS year,
                    COUNT(*) AS n FROM search_docs d WHERE",
        );
        self.filters(&mut count, req, now);
        count.push(" GROUP BY 1, 2");
        let mut sections: HashMap<String, u64> = HashMap::new();
        let mut years: HashMap<i32, u64> = HashMap::new();
        let mut total = 0u64;
        for r in count.build().fetch_all(&self.pool).await? {
            let n = r.try_get::<i64, _>("n")?.max(0) as u64;
            *sections.entry(r.try_get("section_slug")?).or_default() += n;
            *years.entry(r.try_get("year")?).or_default() += n;
            total += n;
        }
        let mut sections: Vec<(String, u64)> = sections.into_iter().collect();
        sections.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut years: Vec<(i32, u64)> = years.into_iter().collect();
        years.sort_by_key(|y| std::cmp::Reverse(y.0));
        Ok(SearchResults {
            total: total as usize,
            hits,
            sections,
            years,
            did_you_mean: None,
        })
    }

    /// The query with each unknown word of at least `min_len` letters replaced by the
    /// nearest word the archive holds (one edit for words up to five letters, two for longer
    /// ones; pg_trgm ranks the candidates), or `None` when nothing changes.
    async fn respell(&self, query: &str, min_len: usize) -> Result<Option<String>> {
        let mut changed = false;
        let mut out = Vec::new();
        for word in query.split_whitespace() {
            let lower = word.to_lowercase();
            let len = lower.chars().count();
            if word.starts_with('-')
                || word.contains('"')
                || len < min_len
                || len > 30
                || !lower.chars().all(char::is_alphabetic)
            {
                out.push(word.to_owned());
                continue;
            }
            let known: bool =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM search_words WHERE word = $1)")
                    .bind(&lower)
                    .fetch_one(&self.pool)
                    .await?;
            if known {
                out.push(word.to_owned());
                continue;
            }
            let first: String = lower.chars().take(1).collect();
            let candidates: Vec<String> = sqlx::query_scalar(
                "SELECT word FROM search_words
                 WHERE left(word, 1) = $2 AND length(word) BETWEEN $3 AND $4
                 ORDER BY public.similarity(word, $1) DESC, word LIMIT 200",
            )
            .bind(&lower)
            .bind(&first)
            .bind(len as i32 - 2)
            .bind(len as i32 + 2)
            .fetch_all(&self.pool)
            .await?;
            let allowed = if len <= 5 { 1 } else { 2 };
            let best = candidates
                .into_iter()
                .map(|c| (edits(&lower, &c), c))
                .filter(|(d, _)| *d <= allowed)
                .min_by_key(|(d, _)| *d);
            match best {
                Some((_, b)) => {
                    changed = true;
                    out.push(b);
                }
                None => out.push(word.to_owned()),
            }
        }
        Ok(changed.then(|| out.join(" ")))
    }
}

fn hit(r: &sqlx::postgres::PgRow) -> Result<Hit> {
    Ok(Hit {
        id: r.try_get("id")?,
        slug: r.try_get("slug")?,
        headline: r.try_get("headline")?,
        section_slug: r.try_get("section_slug")?,
        section_name: r.try_get("section_name")?,
        published_at: DateTime::<Utc>::from_timestamp(r.try_get("published_at")?, 0)
            .unwrap_or_default(),
        authors: serde_json::from_str(&r.try_get::<String, _>("authors")?).unwrap_or_default(),
        snippet_html: r.try_get("snippet")?,
    })
}

/// What else finds a story: bylines, tags, wire sources and the hero photo's words.
fn extra_text(a: &Article) -> String {
    let mut parts: Vec<&str> = Vec::new();
    parts.extend(a.authors.iter().map(|x| x.name.as_str()));
    parts.extend(a.tags.iter().map(|x| x.name.as_str()));
    parts.extend(a.sources.iter().map(String::as_str));
    if let Some(h) = &a.hero {
        parts.push(&h.alt);
        parts.push(&h.caption);
        for c in [&h.credit.photographer, &h.credit.agency, &h.credit.via]
            .into_iter()
            .flatten()
        {
            parts.push(c);
        }
    }
    parts.join(" ")
}

/// The reader's query without what PostgreSQL cannot take in text (NUL) or needs no part
/// in (other control characters).
fn clean(query: &str) -> String {
    query
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Edits (insertions, deletions, substitutions, swaps of neighbours) between two words.
fn edits(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

// Text made safe for HTML; `ts_headline` then only adds its `<mark>` tags.
use broadsheet_core::html::escape;

/// A prefix query over headlines: every word, the last one as a prefix.
fn prefix_query(prefix: &str) -> Option<String> {
    let words: Vec<String> = prefix
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(8)
        .map(str::to_lowercase)
        .collect();
    let (last, rest) = words.split_last()?;
    let mut parts: Vec<String> = rest.to_vec();
    parts.push(format!("{last}:*"));
    Some(parts.join(" & "))
}

impl SearchIndex for PgSearch {
    fn search(&self, request: &SearchRequest, now: Timestamp) -> Result<SearchResults> {
        self.wait(self.run_search(request, now))
    }

    fn suggest(&self, prefix: &str, now: Timestamp, limit: usize) -> Result<Vec<Suggestion>> {
        let Some(q) = prefix_query(prefix) else {
            return Ok(Vec::new());
        };
        self.wait(async {
            let rows: Vec<(String, String)> = sqlx::query_as(
                "SELECT headline, slug FROM search_docs
                 WHERE published_at <= $1
                   AND to_tsvector('simple', headline) @@ to_tsquery('simple', $2)
                 ORDER BY published_at DESC, id DESC LIMIT $3",
            )
            .bind(now.timestamp())
            .bind(q)
            .bind(limit.clamp(1, 50) as i64)
            .fetch_all(&self.pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(|(headline, slug)| Suggestion { headline, slug })
                .collect())
        })
    }

    fn related(&self, id: i64, now: Timestamp, limit: usize) -> Result<Vec<Hit>> {
        self.wait(async {
            // Any of the article's headline and standfirst words, most matches first.
            let rows = sqlx::query(
                "WITH q AS (
                   SELECT to_tsquery('broadsheet_english',
                            replace(plainto_tsquery('broadsheet_english', headline)::text, ' & ', ' | ')) AS tsq
                   FROM search_docs WHERE id = $1)
                 SELECT d.id, d.slug, d.headline, d.section_slug, d.section_name, d.published_at,
                        d.authors, left(d.body, 240) AS snippet
                 FROM search_docs d, q
                 WHERE d.id <> $1 AND d.published_at <= $2 AND numnode(q.tsq) > 0
                   AND d.doc @@ q.tsq
                 ORDER BY ts_rank(d.doc, q.tsq) DESC, d.published_at DESC LIMIT $3",
            )
            .bind(id)
            .bind(now.timestamp())
            .bind(limit.clamp(1, 50) as i64)
            .fetch_all(&self.pool)
            .await?;
            rows.iter().map(hit).collect()
        })
    }

    fn apply(&self, upserts: &[Article], removals: &[i64], seq: i64) -> Result<()> {
        use std::sync::atomic::Ordering;
        self.wait(async {
            self.write(upserts, removals).await?;
            let written = self
                .unanalysed
                .fetch_add(upserts.len() + removals.len(), Ordering::Relaxed)
                + upserts.len()
                + removals.len();
            if written >= ANALYZE_AFTER {
                self.unanalysed.store(0, Ordering::Relaxed);
                sqlx::query("ANALYZE search_docs, search_words")
                    .execute(&self.pool)
                    .await?;
            }
            sqlx::query(
                "INSERT INTO search_state (key, value) VALUES ('applied_seq', $1)
                 ON CONFLICT (key) DO UPDATE SET value = GREATEST(search_state.value, excluded.value)",
            )
            .bind(seq)
            .execute(&self.pool)
            .await?;
            Ok(())
        })?;
        *self.applied.lock().unwrap_or_else(|e| e.into_inner()) = Some(seq);
        Ok(())
    }

    fn stage(&self, upserts: &[Article]) -> Result<()> {
        self.unanalysed
            .fetch_add(upserts.len(), std::sync::atomic::Ordering::Relaxed);
        self.wait(self.write(upserts, &[]))
    }

    fn clear(&self) -> Result<()> {
        self.wait(async {
            let mut tx = self.pool.begin().await?;
            for sql in [
                "DELETE FROM search_docs",
                "DELETE FROM search_words",
                "DELETE FROM search_state",
            ] {
                sqlx::query(sql).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(())
        })?;
        *self.applied.lock().unwrap_or_else(|e| e.into_inner()) = None;
        Ok(())
    }

    fn applied_seq(&self) -> Option<i64> {
        *self.applied.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn versions(&self) -> Result<HashMap<i64, i64>> {
        self.wait(async {
            let rows: Vec<(i64, i64)> = sqlx::query_as("SELECT id, version FROM search_docs")
                .fetch_all(&self.pool)
                .await?;
            Ok(rows.into_iter().collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_become_safe_tsqueries() {
        assert_eq!(prefix_query("copper hi").as_deref(), Some("copper & hi:*"));
        assert_eq!(prefix_query("it's & (x) | !"), Some("it & s & x:*".into()));
        assert_eq!(prefix_query("  "), None);
    }

    #[test]
    fn edits_count_swaps_as_one() {
        assert_eq!(edits("bnak", "bank"), 1);
        assert_eq!(edits("coppr", "copper"), 1);
        assert_eq!(edits("infaltion", "inflation"), 1);
        assert_eq!(edits("zzzz", "bank"), 4);
    }

    #[test]
    fn control_characters_leave_the_query() {
        assert_eq!(clean("a\u{0}b\u{1b}c"), "a b c");
    }

    #[test]
    fn snippets_are_escaped_before_marking() {
        assert_eq!(escape("a<b>&\"c"), "a&lt;b&gt;&amp;&quot;c");
    }
}
