//! Archive import from JSON Lines: each line parsed (`broadsheet_ingest::jsonl`), checked for an
//! id seen earlier in the same file, turned into an article and saved in batches of
//! [`BATCH`], each batch in one transaction with a savepoint per article. A line that cannot
//! be imported is returned with its number and reason and the rest go on; nothing is
//! half-written. Re-importing unchanged lines writes nothing (the store's input hash).
//!
//! The CLI reads the file, shows progress and prints the rejections; this is what it does with
//! each line, and the server would do the same with an uploaded file.

use std::collections::HashMap;

use broadsheet_core::{ArticleInput, ArticleStatus, Slug};
use broadsheet_ingest::jsonl::{ImportRecord, MAX_TITLE_CHARS, parse_line};
use broadsheet_render::plain_text_to_markdown;
use broadsheet_store::{SaveKind, Store};

use crate::Error;

/// Articles saved per transaction.
pub const BATCH: usize = 500;

/// How the `body` field of the lines is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    /// Plain text; anything that looks like Markdown or HTML is shown literally.
    Text,
    /// Markdown (raw HTML in it is sanitised).
    Markdown,
}

/// A line that was not imported (or, from `take_warnings`, imported with a change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub line: usize,
    pub reason: String,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ImportCounts {
    pub lines: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: usize,
}

impl ImportCounts {
    /// Lines that are now in the site.
    pub fn done(&self) -> usize {
        self.created + self.updated + self.unchanged
    }
}

/// One import in progress: feed it lines, flush when [`Import::wants_flush`], and once more
/// at the end.
pub struct Import {
    format: BodyFormat,
    seen: HashMap<String, usize>,
    batch: Vec<(usize, ArticleInput)>,
    counts: ImportCounts,
    warnings: Vec<Rejection>,
}

impl Import {
    pub fn new(format: BodyFormat) -> Self {
        Self {
            format,
            seen: HashMap::new(),
            batch: Vec::with_capacity(BATCH),
            counts: ImportCounts::default(),
            warnings: Vec::new(),
        }
    }

    pub fn counts(&self) -> ImportCounts {
        self.counts
    }

    /// Takes the next line of the file (its line ending may be left on). Blank lines are
    /// counted and skipped; a line that cannot be imported is returned.
    pub fn line(&mut self, bytes: &[u8]) -> Option<Rejection> {
        self.counts.lines += 1;
        let line = self.counts.lines;
        let mut bytes = bytes;
        while let [rest @ .., b'\n' | b'\r'] = bytes {
            bytes = rest;
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        let record = match parse_line(bytes) {
            Ok(r) => r,
            Err(e) => return Some(self.reject(line, e.to_string())),
        };
        if let Some(first) = self.seen.get(&record.id) {
            let reason = format!("duplicate id {:?} (first on line {first})", record.id);
            return Some(self.reject(line, reason));
        }
        self.seen.insert(record.id.clone(), line);
        if let Some(was) = record.title_was {
            self.warnings.push(Rejection {
                line,
                reason: format!(
                    "the title had {was} characters; it was shortened to {MAX_TITLE_CHARS}"
                ),
            });
        }
        self.batch.push((line, to_input(record, self.format)));
        None
    }

    /// What was imported with a change the operator should know of (a shortened title),
    /// since the last call.
    pub fn take_warnings(&mut self) -> Vec<Rejection> {
        std::mem::take(&mut self.warnings)
    }

    /// A batch is ready to be saved.
    pub fn wants_flush(&self) -> bool {
        self.batch.len() >= BATCH
    }

    /// Saves the lines taken since the last flush; returns the ones the store refused. An
    /// error is the database's (unreachable, full): nothing of this batch was written.
    pub async fn flush(&mut self, store: &dyn Store) -> Result<Vec<Rejection>, Error> {
        if self.batch.is_empty() {
            return Ok(Vec::new());
        }
        let inputs: Vec<ArticleInput> = self.batch.iter().map(|(_, a)| a.clone()).collect();
        let results = store.save_articles(&inputs).await?;
        let mut rejected = Vec::new();
        for ((line, _), result) in std::mem::take(&mut self.batch).into_iter().zip(results) {
            match result {
                Ok(saved) => match saved.kind {
                    SaveKind::Created => self.counts.created += 1,
                    SaveKind::Updated => self.counts.updated += 1,
                    SaveKind::Unchanged => self.counts.unchanged += 1,
                },
                Err(e) => rejected.push(self.reject(line, e.to_string())),
            }
        }
        Ok(rejected)
    }

    fn reject(&mut self, line: usize, reason: String) -> Rejection {
        self.counts.rejected += 1;
        Rejection { line, reason }
    }
}

/// A display name for a section label: "money-fx" -> "Money-fx", "business" -> "Business";
/// labels that already use capitals are kept.
fn section_name(label: &str) -> String {
    if label.chars().any(char::is_uppercase) {
        return label.to_owned();
    }
    let mut chars = label.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn to_input(r: ImportRecord, format: BodyFormat) -> ArticleInput {
    let body_markdown = match format {
        BodyFormat::Text => plain_text_to_markdown(&r.body),
        BodyFormat::Markdown => r.body,
    };
    let (section, section_name) = match r
        .section
        .as_deref()
        .and_then(|s| Slug::derive(s).map(|slug| (slug, s)))
    {
        Some((slug, label)) => (slug, section_name(label)),
        None => (
            Slug::parse("news").expect("literal slug"),
            "News".to_owned(),
        ),
    };
    ArticleInput {
        external_id: Some(r.id),
        slug: None,
        headline: r.title,
        standfirst: String::new(),
        body_markdown,
        section,
        section_name,
        authors: r.author.into_iter().collect(),
        tags: Vec::new(),
        hero: None,
        sources: r.source.into_iter().collect(),
        instruments: vec![],
        status: ArticleStatus::Published,
        importance: 0,
        // Undated lines are published at their first import and keep that time afterwards.
        published_at: r.published_at,
        editorial: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_names_read_well() {
        assert_eq!(section_name("money-fx"), "Money-fx");
        assert_eq!(section_name("Sci/Tech"), "Sci/Tech");
        assert_eq!(section_name(""), "");
    }

    #[test]
    fn lines_are_numbered_blank_ones_skipped_and_repeats_refused() {
        let mut import = Import::new(BodyFormat::Text);
        let good = br#"{"id":"a","title":"T","body":"B"}"#;
        assert_eq!(import.line(good), None);
        assert_eq!(import.line(b"  \r\n"), None);
        let again = import.line(good).expect("a repeated id");
        assert_eq!(again.line, 3);
        assert!(again.reason.contains("first on line 1"), "{}", again.reason);
        let bad = import.line(b"{not json").expect("bad JSON");
        assert_eq!(bad.line, 4);
        assert_eq!(
            import.counts(),
            ImportCounts {
                lines: 4,
                rejected: 2,
                ..Default::default()
            }
        );
    }
}
