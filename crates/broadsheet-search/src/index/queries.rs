//! Building tantivy queries from a reader's `UserQuery`: each word across the weighted fields
//! (stemmed and as typed, with typo tolerance on longer words), phrases, exclusions, the
//! "visible now" filter and the request's filters; and "did you mean", the indexed word
//! nearest to an unknown one.

use super::*;

/// A word matched only through a typo counts for this much (against BM25 scores of ~5-15).
const FUZZY_BOOST: f32 = 1.5;
const FUZZY_BOOST_UNKNOWN_WORD: f32 = 8.0;

impl TantivyIndex {
    /// Every field matching one analysed word, weighted, plus typo tolerance on longer words.
    pub(super) fn word_query(
        &self,
        stems: &[String],
        raw: &[String],
        fuzzy: bool,
    ) -> Box<dyn Query> {
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if stems.len() > 1 {
            // "U.S." or "well-known" analyse to several tokens: match them as a phrase.
            for field in [self.f.headline, self.f.standfirst, self.f.body] {
                let terms = stems
                    .iter()
                    .map(|s| Term::from_field_text(field, s))
                    .collect();
                should.push((Occur::Should, Box::new(PhraseQuery::new(terms))));
            }
        } else if let Some(stem) = stems.first() {
            for (name, boost) in BOOSTS {
                if let Ok(field) = self.index.schema().get_field(name) {
                    let q = TermQuery::new(
                        Term::from_field_text(field, stem),
                        IndexRecordOption::WithFreqs,
                    );
                    should.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(Box::new(q), *boost)),
                    ));
                }
            }
            if fuzzy && let Some(word) = raw.first() {
                let distance = match word.chars().count() {
                    0..=4 => 0,
                    5..=7 => 1,
                    _ => 2,
                };
                if distance > 0 {
                    // A word the archive does not contain at all is surely a typo: its
                    // near matches then weigh like a real match instead of a consolation.
                    let searcher = self.reader.searcher();
                    let known = [self.f.headline, self.f.body].iter().any(|f| {
                        searcher
                            .doc_freq(&Term::from_field_text(*f, stem))
                            .unwrap_or(0)
                            > 0
                    });
                    let boost = if known {
                        FUZZY_BOOST
                    } else {
                        FUZZY_BOOST_UNKNOWN_WORD
                    };
                    let q = FuzzyTermQuery::new(
                        Term::from_field_text(self.f.text_raw, word),
                        distance,
                        true,
                    );
                    should.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), boost))));
                }
            }
        }
        Box::new(BooleanQuery::new(should))
    }

    pub(super) fn phrase_query(&self, words: &[String]) -> Box<dyn Query> {
        let stems = tokens(&self.en, &words.join(" "));
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for field in [
            self.f.headline,
            self.f.standfirst,
            self.f.body,
            self.f.media,
        ] {
            let q: Box<dyn Query> = if stems.len() == 1 {
                Box::new(TermQuery::new(
                    Term::from_field_text(field, &stems[0]),
                    IndexRecordOption::WithFreqs,
                ))
            } else {
                Box::new(PhraseQuery::new(
                    stems
                        .iter()
                        .map(|s| Term::from_field_text(field, s))
                        .collect(),
                ))
            };
            should.push((Occur::Should, q));
        }
        Box::new(BooleanQuery::new(should))
    }

    pub(super) fn clause_query(&self, clause: &Clause, fuzzy: bool) -> Option<Box<dyn Query>> {
        match clause {
            Clause::Word(w) => {
                let stems = tokens(&self.en, w);
                if stems.is_empty() {
                    return None;
                }
                let raw = tokens(&self.raw, w);
                Some(self.word_query(&stems, &raw, fuzzy))
            }
            Clause::Phrase(words) => {
                if tokens(&self.en, &words.join(" ")).is_empty() {
                    return None;
                }
                Some(self.phrase_query(words))
            }
        }
    }

    pub(super) fn visible(&self, now: Timestamp) -> Box<dyn Query> {
        Box::new(RangeQuery::new(
            Bound::Unbounded,
            Bound::Included(Term::from_field_date(
                self.f.published_at,
                TDate::from_timestamp_secs(now.timestamp()),
            )),
        ))
    }

    /// The query for `req`, or `None` when there is nothing to search for.
    pub(super) fn build(
        &self,
        req: &SearchRequest,
        parsed: &UserQuery,
        now: Timestamp,
    ) -> Option<BooleanQuery> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for c in &parsed.include {
            if let Some(q) = self.clause_query(c, true) {
                clauses.push((Occur::Must, q));
            }
        }
        if clauses.is_empty() && !req.has_filters() {
            return None;
        }
        if clauses.is_empty() {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        for c in &parsed.exclude {
            if let Some(q) = self.clause_query(c, false) {
                clauses.push((Occur::MustNot, q));
            }
        }
        clauses.push((Occur::Must, self.visible(now)));
        if !req.sections.is_empty() {
            let terms = req
                .sections
                .iter()
                .map(|id| Term::from_field_u64(self.f.section_id, *id as u64));
            clauses.push((Occur::Must, Box::new(TermSetQuery::new(terms))));
        }
        if let Some(a) = req.author {
            let t = Term::from_field_u64(self.f.author_ids, a as u64);
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(t, IndexRecordOption::Basic)),
            ));
        }
        if let Some(t) = req.tag {
            let t = Term::from_field_u64(self.f.tag_ids, t as u64);
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(t, IndexRecordOption::Basic)),
            ));
        }
        if req.from.is_some() || req.until.is_some() {
            let date = |t: Timestamp| {
                Term::from_field_date(
                    self.f.published_at,
                    TDate::from_timestamp_secs(t.timestamp()),
                )
            };
            let lower = req
                .from
                .map_or(Bound::Unbounded, |t| Bound::Included(date(t)));
            let upper = req
                .until
                .map_or(Bound::Unbounded, |t| Bound::Excluded(date(t)));
            clauses.push((Occur::Must, Box::new(RangeQuery::new(lower, upper))));
        }
        Some(BooleanQuery::new(clauses))
    }

    pub(super) fn hit(&self, doc: &TantivyDocument, snippet_html: String) -> Hit {
        let f = self.f;
        let text = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_owned()
        };
        let published = doc
            .get_first(f.published_at)
            .and_then(|v| v.as_datetime())
            .map(|d| d.into_timestamp_secs())
            .unwrap_or(0);
        Hit {
            id: doc.get_first(f.id).and_then(|v| v.as_u64()).unwrap_or(0) as i64,
            slug: text(f.slug),
            headline: text(f.headline),
            section_slug: text(f.section_slug),
            section_name: text(f.section_name),
            published_at: DateTime::<Utc>::from_timestamp(published, 0).unwrap_or_default(),
            authors: serde_json::from_str::<Vec<AuthorRef>>(&text(f.authors_json))
                .unwrap_or_default(),
            snippet_html,
        }
    }

    pub(super) fn did_you_mean(&self, parsed: &UserQuery) -> Option<String> {
        let searcher = self.reader.searcher();
        let mut changed = false;
        let mut words = Vec::new();
        for clause in &parsed.include {
            let Clause::Word(w) = clause else {
                words.push(match clause {
                    Clause::Phrase(p) => format!("\"{}\"", p.join(" ")),
                    Clause::Word(w) => w.clone(),
                });
                continue;
            };
            let raw = tokens(&self.raw, w);
            let [word] = raw.as_slice() else {
                words.push(w.clone());
                continue;
            };
            let known = searcher
                .doc_freq(&Term::from_field_text(self.f.text_raw, word))
                .unwrap_or(0)
                > 0;
            if known || word.chars().count() < 3 {
                words.push(w.clone());
                continue;
            }
            match self.closest_term(word) {
                Some(better) => {
                    changed = true;
                    words.push(better);
                }
                None => words.push(w.clone()),
            }
        }
        changed.then(|| words.join(" "))
    }

    /// The most frequent indexed word within two edits of `word` (one for short words).
    pub(super) fn closest_term(&self, word: &str) -> Option<String> {
        let max = if word.chars().count() <= 5 { 1 } else { 2 };
        let searcher = self.reader.searcher();
        let first = word.chars().next()?;
        let mut best: BTreeMap<String, u64> = BTreeMap::new();
        for segment in searcher.segment_readers() {
            let Ok(inverted) = segment.inverted_index(self.f.text_raw) else {
                continue;
            };
            let mut lower = [0u8; 4];
            let start = first.encode_utf8(&mut lower).as_bytes().to_vec();
            let end_char = char::from_u32(first as u32 + 1).unwrap_or(char::MAX);
            let mut upper = [0u8; 4];
            let end = end_char.encode_utf8(&mut upper).as_bytes().to_vec();
            let Ok(mut stream) = inverted.terms().range().ge(&start).lt(&end).into_stream() else {
                continue;
            };
            while stream.advance() {
                let Ok(term) = std::str::from_utf8(stream.key()) else {
                    continue;
                };
                if term.len().abs_diff(word.len()) > max || !within(word, term, max) {
                    continue;
                }
                *best.entry(term.to_owned()).or_default() += u64::from(stream.value().doc_freq);
            }
        }
        best.into_iter().max_by_key(|(_, n)| *n).map(|(t, _)| t)
    }
}

/// Edit distance of `a` and `b` (insertions, deletions, substitutions and swaps of two
/// neighbours, as typists make them) is at most `max`.
fn within(a: &str, b: &str, max: usize) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut before: Vec<usize> = Vec::new();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 0..a.len() {
        let mut cur = vec![i + 1; b.len() + 1];
        for j in 0..b.len() {
            let mut d = (prev[j] + usize::from(a[i] != b[j]))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
            if i > 0 && j > 0 && a[i] == b[j - 1] && a[i - 1] == b[j] {
                d = d.min(before[j - 1] + 1);
            }
            cur[j + 1] = d;
        }
        if cur.iter().min().is_some_and(|&m| m > max) {
            return false;
        }
        before = std::mem::replace(&mut prev, cur);
    }
    prev[b.len()] <= max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_bound() {
        assert!(within("inflation", "inflaton", 1));
        assert!(within("economy", "ecnomy", 1));
        assert!(!within("copper", "coffee", 1));
        assert!(within("copper", "coppre", 2));
        assert!(!within("bank", "banking", 2));
        assert!(within("bnak", "bank", 1));
    }
}
