//! `broadsheet import FILE.jsonl`: bring an archive in, line by line, in batches. Bad lines are
//! reported with their number and reason; good lines are imported; nothing is half-written.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use broadsheet_core::{ArticleInput, ArticleStatus, Slug};
use broadsheet_ingest::jsonl::{ImportRecord, parse_line};
use broadsheet_render::plain_text_to_markdown;
use broadsheet_store::{SaveKind, Store};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cmd;
use crate::config::Config;

const BATCH: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BodyFormat {
    /// Plain text; anything that looks like Markdown or HTML is shown literally.
    Text,
    /// Markdown (raw HTML in it is sanitised).
    Markdown,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The JSON Lines file ("-" reads standard input).
    #[arg(value_name = "FILE.jsonl")]
    pub file: PathBuf,
    /// How the "body" field is written.
    #[arg(long, value_enum, default_value_t = BodyFormat::Text)]
    pub body_format: BodyFormat,
}

#[derive(Debug, Default)]
struct Summary {
    lines: usize,
    created: usize,
    updated: usize,
    unchanged: usize,
    rejected: usize,
}

struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
    last_line: Instant,
}

impl Progress {
    fn new(total_bytes: Option<u64>) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total_bytes.unwrap_or(0));
            let style = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg} ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Self {
            bar,
            started: Instant::now(),
            last_line: Instant::now(),
        }
    }

    fn rate(&self, n: usize) -> f64 {
        n as f64 / self.started.elapsed().as_secs_f64().max(1e-3)
    }

    fn update(&mut self, bytes: u64, total: Option<u64>, s: &Summary) {
        let done = s.created + s.updated + s.unchanged;
        match &self.bar {
            Some(bar) => {
                bar.set_position(bytes);
                bar.set_message(format!("{done} articles, {:.0}/s", self.rate(done)));
            }
            None if self.last_line.elapsed() >= Duration::from_secs(2) => {
                self.last_line = Instant::now();
                let pct =
                    total.map(|t| format!(" ({:.0}%)", bytes as f64 * 100.0 / t.max(1) as f64));
                eprintln!(
                    "import: {} lines read{}, {done} articles, {} rejected, {:.0} articles/s",
                    s.lines,
                    pct.unwrap_or_default(),
                    s.rejected,
                    self.rate(done)
                );
            }
            None => {}
        }
    }

    fn report(&self, line: usize, reason: &str) {
        let text = format!("line {line}: {reason}");
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }
}

pub async fn run(config: Config, args: Args) -> anyhow::Result<ExitCode> {
    cmd::init_logging("warn");
    let (reader, total): (Box<dyn Read>, Option<u64>) = if args.file.as_os_str() == "-" {
        (Box::new(std::io::stdin().lock()), None)
    } else {
        let file = std::fs::File::open(&args.file)
            .with_context(|| format!("cannot open {}", args.file.display()))?;
        let len = file.metadata().ok().map(|m| m.len());
        (Box::new(file), len)
    };
    let store = cmd::open(&config).await?;
    let mut reader = BufReader::with_capacity(1 << 20, reader);
    let mut progress = Progress::new(total);
    let mut summary = Summary::default();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut batch: Vec<(usize, ArticleInput)> = Vec::with_capacity(BATCH);
    let mut buf = Vec::new();
    let mut bytes = 0u64;

    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .with_context(|| format!("cannot read {}", args.file.display()))?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        summary.lines += 1;
        let line_no = summary.lines;
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match parse_line(&buf) {
            Err(e) => {
                summary.rejected += 1;
                progress.report(line_no, &e.to_string());
            }
            Ok(record) => {
                if let Some(first) = seen.get(&record.id) {
                    summary.rejected += 1;
                    progress.report(
                        line_no,
                        &format!("duplicate id {:?} (first on line {first})", record.id),
                    );
                    continue;
                }
                seen.insert(record.id.clone(), line_no);
                batch.push((line_no, to_input(record, args.body_format)));
            }
        }
        if batch.len() >= BATCH {
            flush(store.as_ref(), &mut batch, &mut summary, &progress).await?;
            progress.update(bytes, total, &summary);
        }
    }
    flush(store.as_ref(), &mut batch, &mut summary, &progress).await?;
    progress.update(bytes, total, &summary);
    if let Some(bar) = &progress.bar {
        bar.finish_and_clear();
    }

    let elapsed = progress.started.elapsed().as_secs_f64();
    println!(
        "imported {} new, {} updated, {} unchanged, {} rejected ({} lines in {elapsed:.1} s, {:.0} articles/s)",
        summary.created,
        summary.updated,
        summary.unchanged,
        summary.rejected,
        summary.lines,
        progress.rate(summary.created + summary.updated + summary.unchanged)
    );
    Ok(if summary.rejected > 0 {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

async fn flush(
    store: &dyn Store,
    batch: &mut Vec<(usize, ArticleInput)>,
    summary: &mut Summary,
    progress: &Progress,
) -> anyhow::Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let inputs: Vec<ArticleInput> = batch.iter().map(|(_, a)| a.clone()).collect();
    let results = store
        .save_articles(&inputs)
        .await
        .context("cannot write to the database")?;
    for ((line, _), result) in batch.iter().zip(results) {
        match result {
            Ok(saved) => match saved.kind {
                SaveKind::Created => summary.created += 1,
                SaveKind::Updated => summary.updated += 1,
                SaveKind::Unchanged => summary.unchanged += 1,
            },
            Err(e) => {
                summary.rejected += 1;
                progress.report(*line, &e.to_string());
            }
        }
    }
    batch.clear();
    Ok(())
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
}
