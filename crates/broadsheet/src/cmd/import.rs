//! `broadsheet import FILE.jsonl`: bring an archive in, line by line, in batches. Bad lines are
//! reported with their number and reason; good lines are imported; nothing is half-written.
//! The import itself is `broadsheet_app::imports`; this file reads the file, shows progress and
//! prints the outcome.

use std::io::{BufRead, BufReader, IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use broadsheet_app::imports::{self, Import, ImportCounts};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cmd;
use crate::config::Config;

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

    fn update(&mut self, bytes: u64, total: Option<u64>, s: &ImportCounts) {
        let done = s.done();
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
    let mut import = Import::new(match args.body_format {
        BodyFormat::Text => imports::BodyFormat::Text,
        BodyFormat::Markdown => imports::BodyFormat::Markdown,
    });
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
        if let Some(r) = import.line(&buf) {
            progress.report(r.line, &r.reason);
        }
        for w in import.take_warnings() {
            progress.report(w.line, &format!("warning: {}", w.reason));
        }
        if import.wants_flush() {
            flush(store.as_ref(), &mut import, &progress).await?;
            progress.update(bytes, total, &import.counts());
        }
    }
    flush(store.as_ref(), &mut import, &progress).await?;
    let counts = import.counts();
    progress.update(bytes, total, &counts);
    if let Some(bar) = &progress.bar {
        bar.finish_and_clear();
    }

    let elapsed = progress.started.elapsed().as_secs_f64();
    println!(
        "imported {} new, {} updated, {} unchanged, {} rejected ({} lines in {elapsed:.1} s, {:.0} articles/s)",
        counts.created,
        counts.updated,
        counts.unchanged,
        counts.rejected,
        counts.lines,
        progress.rate(counts.done())
    );
    Ok(if counts.rejected > 0 {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

async fn flush(
    store: &dyn broadsheet_store::Store,
    import: &mut Import,
    progress: &Progress,
) -> anyhow::Result<()> {
    let rejected = import
        .flush(store)
        .await
        .context("cannot write to the database")?;
    for r in rejected {
        progress.report(r.line, &r.reason);
    }
    Ok(())
}
