//! The tantivy index: schema, analyzers, building queries from `UserQuery`, ranking, facets,
//! snippets, suggestions, "did you mean" and related articles.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use broadsheet_core::{Article, ArticleStatus, AuthorRef, Timestamp};
use chrono::{DateTime, Datelike, Utc};
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, RangeQuery,
    RegexQuery, TermQuery, TermSetQuery,
};
use tantivy::schema::{
    FAST, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer,
};
use tantivy::{
    DateTime as TDate, DocAddress, DocId, Index, IndexReader, IndexWriter, Order, ReloadPolicy,
    Score, SegmentReader, TantivyDocument, Term,
};

use crate::query::{Clause, UserQuery};

mod queries;
use crate::text::html_to_text;
use crate::{
    Hit, Result, SearchError, SearchIndex, SearchRequest, SearchResults, Sort, Suggestion,
};

/// Bumped whenever the schema or analyzers change: an index of another version is rebuilt.
const SCHEMA_VERSION: u32 = 2;
/// Indexing memory budget: enough for two indexing threads (tantivy wants 15 MB each) while
/// keeping a server that rebuilds its index at start well inside its memory target.
const WRITER_MEMORY: usize = 20 * 1024 * 1024;
const SNIPPET_CHARS: usize = 220;

/// Field weights: a match in the headline counts most.
const BOOSTS: &[(&str, f32)] = &[
    ("headline", 3.0),
    ("standfirst", 1.6),
    ("body", 1.0),
    ("people", 2.0),
    ("tags", 2.0),
    ("section", 1.5),
    ("media", 1.0),
    ("sources", 1.2),
];

/// Ranking settings.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchSettings {
    /// How much newer stories are favoured: a story published now scores up to
    /// (1 + recency_boost) times its relevance, halving every `recency_half_life_days`.
    pub recency_boost: f32,
    pub recency_half_life_days: f32,
}

impl Default for SearchSettings {
    fn default() -> Self {
        Self {
            recency_boost: 0.2,
            recency_half_life_days: 30.0,
        }
    }
}

/// How an index came up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenState {
    /// It reflects the change log up to this position.
    Current(i64),
    /// It is new (or was discarded, for the reason given) and must be built from the database.
    NeedsRebuild(String),
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    slug: Field,
    headline: Field,
    standfirst: Field,
    body: Field,
    media: Field,
    people: Field,
    tags: Field,
    section: Field,
    sources: Field,
    text_raw: Field,
    headline_raw: Field,
    section_id: Field,
    section_slug: Field,
    section_name: Field,
    section_facet: Field,
    year_facet: Field,
    author_ids: Field,
    tag_ids: Field,
    published_at: Field,
    version: Field,
    authors_json: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let en_index = TextFieldIndexing::default()
        .set_tokenizer("bs_en")
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    let en = TextOptions::default().set_indexing_options(en_index);
    let en_stored = en.clone().set_stored();
    let raw = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("bs_raw")
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let f = Fields {
        id: b.add_u64_field("id", INDEXED | STORED | FAST),
        slug: b.add_text_field("slug", STORED),
        headline: b.add_text_field("headline", en_stored.clone()),
        standfirst: b.add_text_field("standfirst", en_stored.clone()),
        body: b.add_text_field("body", en_stored),
        media: b.add_text_field("media", en.clone()),
        people: b.add_text_field("people", en.clone()),
        tags: b.add_text_field("tags", en.clone()),
        section: b.add_text_field("section", en.clone()),
        sources: b.add_text_field("sources", en),
        text_raw: b.add_text_field("text_raw", raw.clone()),
        headline_raw: b.add_text_field("headline_raw", raw),
        section_id: b.add_u64_field("section_id", INDEXED | FAST),
        section_slug: b.add_text_field("section_slug", STORED),
        section_name: b.add_text_field("section_name", STORED),
        section_facet: b.add_facet_field("section_facet", FacetOptions::default()),
        year_facet: b.add_facet_field("year_facet", FacetOptions::default()),
        author_ids: b.add_u64_field("author_ids", INDEXED),
        tag_ids: b.add_u64_field("tag_ids", INDEXED),
        published_at: b.add_date_field("published_at", INDEXED | STORED | FAST),
        version: b.add_i64_field("version", STORED | FAST),
        authors_json: b.add_text_field("authors_json", STORED),
    };
    (b.build(), f)
}

fn analyzer(stem: bool) -> TextAnalyzer {
    let base = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter);
    if stem {
        base.filter(Stemmer::new(Language::English)).build()
    } else {
        base.build()
    }
}

fn tokens(analyzer: &TextAnalyzer, text: &str) -> Vec<String> {
    let mut a = analyzer.clone();
    let mut stream = a.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Payload {
    schema: u32,
    seq: i64,
}

pub struct TantivyIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter<TantivyDocument>>,
    f: Fields,
    en: TextAnalyzer,
    raw: TextAnalyzer,
    settings: SearchSettings,
    seq: Mutex<Option<i64>>,
}

impl TantivyIndex {
    /// Opens the index in `dir`, creating it when absent. An index that cannot be opened, or
    /// was built by another schema version, is discarded and reported as `NeedsRebuild`.
    pub fn open(dir: &Path, settings: SearchSettings) -> Result<(Self, OpenState)> {
        let io = |e: std::io::Error| SearchError::Open {
            path: dir.display().to_string(),
            reason: e.to_string(),
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let (schema, _) = schema();
        let has_meta = dir.join("meta.json").exists();
        let opened = if has_meta {
            match Index::open_in_dir(dir) {
                Ok(index) if index.schema() == schema => match read_payload(&index) {
                    Some(p) if p.schema == SCHEMA_VERSION => Ok((index, OpenState::Current(p.seq))),
                    _ => Err("it was built by another version".to_owned()),
                },
                Ok(_) => Err("its schema is out of date".to_owned()),
                Err(e) => Err(format!("it cannot be read ({e})")),
            }
        } else {
            Err("there is none yet".to_owned())
        };
        let (index, state) = match opened {
            Ok(found) => found,
            Err(reason) => {
                if has_meta {
                    tracing::warn!(dir = %dir.display(), %reason, "discarding the search index");
                    clear_dir(dir).map_err(io)?;
                }
                let index = Index::create_in_dir(dir, schema).map_err(|e| SearchError::Open {
                    path: dir.display().to_string(),
                    reason: e.to_string(),
                })?;
                (index, OpenState::NeedsRebuild(reason))
            }
        };
        let this = Self::from_index(index, settings, Some(1)).map_err(|e| match e {
            SearchError::Index(tantivy::TantivyError::LockFailure(..)) => SearchError::Open {
                path: dir.display().to_string(),
                reason: "another Broadsheet process is using it (stop the server first)".into(),
            },
            other => other,
        })?;
        if let OpenState::Current(seq) = state {
            *this.seq.lock().unwrap_or_else(|e| e.into_inner()) = Some(seq);
        }
        Ok((this, state))
    }

    /// The indexed versions in the index at `dir`, read without taking the writer lock (so a
    /// running server may keep writing).
    pub fn read_versions_in(dir: &Path) -> Result<HashMap<i64, i64>> {
        if !dir.join("meta.json").exists() {
            return Ok(HashMap::new());
        }
        let index = Index::open_in_dir(dir)?;
        let reader: IndexReader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        versions_of(&reader.searcher())
    }

    /// Size of the index files in `dir`, in bytes.
    pub fn size_on_disk(dir: &Path) -> u64 {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .flatten()
                    .filter_map(|e| e.metadata().ok())
                    .filter(|m| m.is_file())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    }

    /// An index in memory (tests, and a server whose data directory has no room for one).
    pub fn in_memory(settings: SearchSettings) -> Result<Self> {
        // One indexing thread: documents land in one segment in order, so equal scores tie-break
        // the same way on every run (tests compare pages).
        Self::from_index(Index::create_in_ram(schema().0), settings, Some(1))
    }

    fn from_index(index: Index, settings: SearchSettings, threads: Option<usize>) -> Result<Self> {
        index.tokenizers().register("bs_en", analyzer(true));
        index.tokenizers().register("bs_raw", analyzer(false));
        let (_, f) = schema();
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let writer = match threads {
            Some(n) => index.writer_with_num_threads(n, WRITER_MEMORY)?,
            None => index.writer(WRITER_MEMORY)?,
        };
        Ok(Self {
            index,
            reader,
            writer: Mutex::new(writer),
            f,
            en: analyzer(true),
            raw: analyzer(false),
            settings,
            seq: Mutex::new(None),
        })
    }

    fn document(&self, a: &Article) -> TantivyDocument {
        let f = self.f;
        let mut d = TantivyDocument::default();
        let body = html_to_text(&a.body_html);
        d.add_u64(f.id, a.id as u64);
        d.add_text(f.slug, a.slug.as_str());
        d.add_text(f.headline, &a.headline);
        d.add_text(f.standfirst, &a.standfirst);
        d.add_text(f.body, &body);
        if let Some(h) = &a.hero {
            d.add_text(f.media, format!("{} {} {}", h.alt, h.caption, h.credit));
        }
        for au in &a.authors {
            d.add_text(f.people, &au.name);
            d.add_u64(f.author_ids, au.id as u64);
        }
        for t in &a.tags {
            d.add_text(f.tags, &t.name);
            d.add_u64(f.tag_ids, t.id as u64);
        }
        d.add_text(f.section, &a.section.name);
        for s in &a.sources {
            d.add_text(f.sources, s);
        }
        d.add_text(
            f.text_raw,
            format!("{}\n{}\n{}", a.headline, a.standfirst, body),
        );
        d.add_text(f.headline_raw, &a.headline);
        d.add_u64(f.section_id, a.section.id as u64);
        d.add_text(f.section_slug, a.section.slug.as_str());
        d.add_text(f.section_name, &a.section.name);
        d.add_facet(f.section_facet, format!("/{}", a.section.slug).as_str());
        let published = a.published_at.unwrap_or(a.created_at);
        d.add_facet(f.year_facet, format!("/{}", published.year()).as_str());
        d.add_date(
            f.published_at,
            TDate::from_timestamp_secs(published.timestamp()),
        );
        d.add_i64(f.version, a.version);
        d.add_text(
            f.authors_json,
            serde_json::to_string(&a.authors).unwrap_or_default(),
        );
        d
    }

    fn id_term(&self, id: i64) -> Term {
        Term::from_field_u64(self.f.id, id as u64)
    }
}

fn versions_of(searcher: &tantivy::Searcher) -> Result<HashMap<i64, i64>> {
    let mut out = HashMap::new();
    for segment in searcher.segment_readers() {
        let ids = segment.fast_fields().u64("id")?.first_or_default_col(0);
        let versions = segment
            .fast_fields()
            .i64("version")?
            .first_or_default_col(0);
        let alive = segment.alive_bitset();
        for doc in 0..segment.max_doc() {
            if alive.is_some_and(|a| !a.is_alive(doc)) {
                continue;
            }
            out.insert(ids.get_val(doc) as i64, versions.get_val(doc));
        }
    }
    Ok(out)
}

fn read_payload(index: &Index) -> Option<Payload> {
    let meta = index.load_metas().ok()?;
    serde_json::from_str(meta.payload.as_deref()?).ok()
}

fn clear_dir(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path: PathBuf = entry?.path();
        if path.is_dir() {
            std::fs::remove_dir_all(&path)?;
        } else {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

/// Escaped snippet text with highlighted ranges in `<mark>`.
fn snippet_html(fragment: &str, highlighted: &[std::ops::Range<usize>]) -> String {
    use broadsheet_core::html::escape_into as escape;
    let mut out = String::with_capacity(fragment.len() + 32);
    let mut last = 0;
    for r in highlighted {
        if r.start < last
            || r.end > fragment.len()
            || !fragment.is_char_boundary(r.start)
            || !fragment.is_char_boundary(r.end)
        {
            continue;
        }
        escape(&fragment[last..r.start], &mut out);
        out.push_str("<mark>");
        escape(&fragment[r.clone()], &mut out);
        out.push_str("</mark>");
        last = r.end;
    }
    escape(&fragment[last..], &mut out);
    out
}

fn lead(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = cut
        .rsplit_once(' ')
        .map_or(cut.as_str(), |(a, _)| a)
        .to_owned();
    format!("{cut}…")
}

impl SearchIndex for TantivyIndex {
    fn search(&self, req: &SearchRequest, now: Timestamp) -> Result<SearchResults> {
        let parsed = UserQuery::parse(&req.query);
        let Some(query) = self.build(req, &parsed, now) else {
            return Ok(SearchResults::default());
        };
        let searcher = self.reader.searcher();
        let mut sections = FacetCollector::for_field("section_facet");
        sections.add_facet("/");
        let mut years = FacetCollector::for_field("year_facet");
        years.add_facet("/");
        let (total, section_counts, year_counts) =
            searcher.search(&query, &(Count, sections, years))?;

        let limit = req.limit.clamp(1, 100);
        let top = TopDocs::with_limit(limit).and_offset(req.offset);
        // Filters without words have nothing to rank by relevance: newest first.
        let by_date = req.sort == Sort::Newest || parsed.is_empty();
        let addresses: Vec<DocAddress> = match by_date {
            true => searcher
                .search(
                    &query,
                    &top.order_by_fast_field::<TDate>("published_at", Order::Desc),
                )?
                .into_iter()
                .map(|(_, a)| a)
                .collect(),
            false => {
                let boost = self.settings.recency_boost;
                let half_life = self.settings.recency_half_life_days.max(0.1) * 86_400.0;
                let now_secs = now.timestamp();
                let tweak = move |segment: &SegmentReader| {
                    let dates = segment
                        .fast_fields()
                        .date("published_at")
                        .ok()
                        .map(|c| c.first_or_default_col(TDate::from_timestamp_secs(0)));
                    move |doc: DocId, score: Score| -> Score {
                        let Some(dates) = &dates else { return score };
                        let age =
                            (now_secs - dates.get_val(doc).into_timestamp_secs()).max(0) as f32;
                        score * (1.0 + boost * 0.5f32.powf(age / half_life))
                    }
                };
                searcher
                    .search(&query, &top.tweak_score(tweak))?
                    .into_iter()
                    .map(|(_, a)| a)
                    .collect()
            }
        };

        let generator = SnippetGenerator::create(&searcher, &query, self.f.body).map(|mut g| {
            g.set_max_num_chars(SNIPPET_CHARS);
            g
        });
        let mut hits = Vec::with_capacity(addresses.len());
        for address in addresses {
            let doc: TantivyDocument = searcher.doc(address)?;
            let snippet = match &generator {
                Ok(g) => {
                    let s = g.snippet_from_doc(&doc);
                    if s.highlighted().is_empty() {
                        None
                    } else {
                        Some(snippet_html(s.fragment(), s.highlighted()))
                    }
                }
                Err(_) => None,
            };
            let snippet = snippet.unwrap_or_else(|| {
                let body = doc
                    .get_first(self.f.standfirst)
                    .and_then(|v| v.as_str())
                    .filter(|s| !s.is_empty())
                    .or_else(|| doc.get_first(self.f.body).and_then(|v| v.as_str()))
                    .unwrap_or("");
                snippet_html(&lead(body, SNIPPET_CHARS), &[])
            });
            hits.push(self.hit(&doc, snippet));
        }

        let mut section_facets: Vec<(String, u64)> = section_counts
            .get("/")
            .map(|(facet, n)| (facet.to_path_string().trim_start_matches('/').to_owned(), n))
            .collect();
        section_facets.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut year_facets: Vec<(i32, u64)> = year_counts
            .get("/")
            .filter_map(|(facet, n)| {
                facet
                    .to_path_string()
                    .trim_start_matches('/')
                    .parse()
                    .ok()
                    .map(|y| (y, n))
            })
            .collect();
        year_facets.sort_by_key(|y| std::cmp::Reverse(y.0));
        let did_you_mean = if total == 0 {
            self.did_you_mean(&parsed)
        } else {
            None
        };
        Ok(SearchResults {
            total,
            hits,
            sections: section_facets,
            years: year_facets,
            did_you_mean,
        })
    }

    fn suggest(&self, prefix: &str, now: Timestamp, limit: usize) -> Result<Vec<Suggestion>> {
        let words = tokens(&self.raw, prefix);
        let Some((last, complete)) = words.split_last() else {
            return Ok(Vec::new());
        };
        let ends_with_space = prefix.ends_with(char::is_whitespace);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, self.visible(now))];
        for w in complete {
            let t = Term::from_field_text(self.f.headline_raw, w);
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(t, IndexRecordOption::Basic)),
            ));
        }
        if ends_with_space {
            let t = Term::from_field_text(self.f.headline_raw, last);
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(t, IndexRecordOption::Basic)),
            ));
        } else {
            // Only ASCII punctuation has a meaning in a pattern, and only it may be escaped:
            // "\\" before another character (the combining dot of a lower-cased "İ") is an
            // invalid pattern, not a literal.
            let escaped: String = last
                .chars()
                .flat_map(|c| {
                    c.is_ascii_punctuation()
                        .then_some('\\')
                        .into_iter()
                        .chain(std::iter::once(c))
                })
                .collect();
            let Ok(regex) = RegexQuery::from_pattern(&format!("{escaped}.*"), self.f.headline_raw)
            else {
                // A prefix no pattern can be made of completes nothing; it is not an error.
                return Ok(Vec::new());
            };
            clauses.push((Occur::Must, Box::new(regex)));
        }
        let searcher = self.reader.searcher();
        let top = TopDocs::with_limit(limit.clamp(1, 20))
            .order_by_fast_field::<TDate>("published_at", Order::Desc);
        let mut out = Vec::new();
        for (_, address) in searcher.search(&BooleanQuery::new(clauses), &top)? {
            let doc: TantivyDocument = searcher.doc(address)?;
            let hit = self.hit(&doc, String::new());
            out.push(Suggestion {
                headline: hit.headline,
                slug: hit.slug,
            });
        }
        Ok(out)
    }

    fn related(&self, id: i64, now: Timestamp, limit: usize) -> Result<Vec<Hit>> {
        let searcher = self.reader.searcher();
        let found = searcher.search(
            &TermQuery::new(self.id_term(id), IndexRecordOption::Basic),
            &TopDocs::with_limit(1).order_by_score(),
        )?;
        let Some((_, address)) = found.first() else {
            return Ok(Vec::new());
        };
        let doc: TantivyDocument = searcher.doc(*address)?;
        // "More like this", made deterministic: the article's most distinctive words by
        // tf-idf (ties broken alphabetically), searched in headlines and bodies.
        let text = [
            self.f.headline,
            self.f.headline,
            self.f.standfirst,
            self.f.body,
        ]
        .iter()
        .filter_map(|f| doc.get_first(*f).and_then(|v| v.as_str()))
        .collect::<Vec<_>>()
        .join("\n");
        let mut tf: BTreeMap<String, f32> = BTreeMap::new();
        for t in tokens(&self.en, &text) {
            if t.chars().count() >= 3 && !t.chars().all(|c| c.is_ascii_digit()) {
                *tf.entry(t).or_default() += 1.0;
            }
        }
        let docs = searcher.num_docs().max(1) as f32;
        let mut weighted: Vec<(f32, String)> = tf
            .into_iter()
            .filter_map(|(term, n)| {
                let df = searcher
                    .doc_freq(&Term::from_field_text(self.f.body, &term))
                    .unwrap_or(0) as f32;
                // Words in nearly every story (or in no other) say nothing about likeness.
                (df >= 2.0 && df <= (docs * 0.2).max(3.0)).then(|| (n * (docs / df).ln(), term))
            })
            .collect();
        weighted.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (_, term) in weighted.into_iter().take(25) {
            for (field, boost) in [(self.f.headline, 2.0), (self.f.body, 1.0)] {
                let q = TermQuery::new(
                    Term::from_field_text(field, &term),
                    IndexRecordOption::WithFreqs,
                );
                should.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), boost))));
            }
        }
        if should.is_empty() {
            return Ok(Vec::new());
        }
        let query = BooleanQuery::new(vec![
            (
                Occur::Must,
                Box::new(BooleanQuery::new(should)) as Box<dyn Query>,
            ),
            (Occur::Must, self.visible(now)),
            (
                Occur::MustNot,
                Box::new(TermQuery::new(self.id_term(id), IndexRecordOption::Basic)),
            ),
        ]);
        let mut out = Vec::new();
        for (_, address) in searcher.search(
            &query,
            &TopDocs::with_limit(limit.clamp(1, 20)).order_by_score(),
        )? {
            let doc: TantivyDocument = searcher.doc(address)?;
            out.push(self.hit(&doc, String::new()));
        }
        Ok(out)
    }

    fn stage(&self, upserts: &[Article]) -> Result<()> {
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        for a in upserts {
            writer.delete_term(self.id_term(a.id));
            if a.status == ArticleStatus::Published && a.published_at.is_some() {
                writer.add_document(self.document(a))?;
            }
        }
        Ok(())
    }

    fn apply(&self, upserts: &[Article], removals: &[i64], seq: i64) -> Result<()> {
        self.stage(upserts)?;
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        for id in removals {
            writer.delete_term(self.id_term(*id));
        }
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(
            &serde_json::to_string(&Payload {
                schema: SCHEMA_VERSION,
                seq,
            })
            .unwrap_or_default(),
        );
        commit.commit()?;
        drop(writer);
        self.reader.reload()?;
        *self.seq.lock().unwrap_or_else(|e| e.into_inner()) = Some(seq);
        Ok(())
    }

    fn clear(&self) -> Result<()> {
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        writer.delete_all_documents()?;
        writer.commit()?;
        drop(writer);
        self.reader.reload()?;
        *self.seq.lock().unwrap_or_else(|e| e.into_inner()) = None;
        Ok(())
    }

    fn applied_seq(&self) -> Option<i64> {
        *self.seq.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn versions(&self) -> Result<HashMap<i64, i64>> {
        versions_of(&self.reader.searcher())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_escape_and_mark() {
        assert_eq!(
            snippet_html("a <b> rates & c", &[std::ops::Range { start: 6, end: 11 }]),
            "a &lt;b&gt; <mark>rates</mark> &amp; c"
        );
        assert_eq!(
            snippet_html("abc", &[std::ops::Range { start: 5, end: 9 }]),
            "abc"
        );
    }
}
