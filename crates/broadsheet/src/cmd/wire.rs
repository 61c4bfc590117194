//! `broadsheet wire import FILE...` and `broadsheet wire source add|list`: agency copy from
//! files, and the sources the server polls, takes pushes from, or watches a folder for.
//! Imports take the same path as every other way in (`broadsheet_app::wire::ingest`), over
//! the application alone: a running server's index and caches follow the change log.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use broadsheet_app::wire::{IngestError, ingest, poll_due_at};
use broadsheet_store::{NewWireSource, WireKind};
use bytes::Bytes;

use crate::cmd;
use crate::config::Config;

#[derive(Debug, clap::Subcommand)]
pub enum WireCommand {
    /// Read agency files (ninjs, NewsML-G2, NITF, IPTC 7901/ANPA, RSS, Atom, JSON Feed) onto the
    /// wire desk. Importing a file again changes nothing. Exit status 3 when a file or an item
    /// in one was refused (each is reported with its reason); the rest are imported.
    Import {
        /// The source the items are filed under (made if new, as a file source).
        #[arg(long, default_value = "files")]
        source: String,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Poll every feed source that is due now, once, and say what each brought (the server
    /// does this on its own every few seconds).
    Poll,
    /// Wire sources: `add` makes or changes one, `list` shows them.
    #[command(subcommand)]
    Source(SourceCommand),
}

#[derive(Debug, clap::Subcommand)]
pub enum SourceCommand {
    /// Add or change a source: a feed to poll (--feed URL), a push endpoint (--push; prints
    /// its token once), or a drop folder (--folder).
    Add {
        /// Lower-case letters, digits, '-' or '_'.
        name: String,
        #[arg(long, conflicts_with_all = ["push", "folder"])]
        feed: Option<String>,
        #[arg(long, conflicts_with = "folder")]
        push: bool,
        #[arg(long)]
        folder: bool,
        /// Seconds between polls of a feed.
        #[arg(long, default_value_t = 300)]
        every: i64,
        /// Let a feed be fetched from a private or loopback address.
        #[arg(long)]
        allow_private: bool,
        /// Route new items to this section as drafts.
        #[arg(long)]
        section: Option<String>,
        /// With --section: publish routed items at once.
        #[arg(long, requires = "section")]
        publish: bool,
    },
    /// List the sources and their state.
    List,
}

pub async fn run(config: Config, command: WireCommand) -> anyhow::Result<ExitCode> {
    cmd::init_logging("warn");
    let store = cmd::open(&config).await?;
    match command {
        WireCommand::Source(SourceCommand::List) => {
            for s in store.wire_sources().await? {
                println!(
                    "{}\t{}\t{}\t{}{}",
                    s.name,
                    s.kind.as_str(),
                    if s.url.is_empty() { "-" } else { &s.url },
                    if s.paused { "paused" } else { "active" },
                    s.last_error
                        .map(|e| format!("\tlast error: {e}"))
                        .unwrap_or_default()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        WireCommand::Source(SourceCommand::Add {
            name,
            feed,
            push,
            folder,
            every,
            allow_private,
            section,
            publish,
        }) => {
            let kind = match (&feed, push, folder) {
                (Some(_), _, _) => WireKind::Feed,
                (None, true, _) => WireKind::Push,
                (None, false, true) => WireKind::Folder,
                _ => WireKind::File,
            };
            let token = (kind == WireKind::Push)
                .then(|| format!("wire_{}", broadsheet_app::secrets::random_token()));
            let source = store
                .upsert_wire_source(&NewWireSource {
                    name,
                    kind,
                    url: feed.unwrap_or_default(),
                    token_hash: token.as_deref().map(broadsheet_app::secrets::token_hash),
                    allow_private,
                    poll_secs: every,
                    section: section.unwrap_or_default(),
                    auto_publish: publish,
                })
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if kind == WireKind::Folder {
                let dir = config.data.join("wire").join(&source.name);
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
                eprintln!("drop files into {}", dir.display());
            }
            eprintln!("{} source {} saved", kind.as_str(), source.name);
            if let Some(token) = token {
                eprintln!(
                    "push to /api/wire/{} with this token (shown only now):",
                    source.name
                );
                println!("{token}");
            }
            Ok(ExitCode::SUCCESS)
        }
        WireCommand::Poll => {
            let app = cmd::app(&config, store, None).await?;
            let started = std::time::Instant::now();
            let polled = poll_due_at(&app, app.now()).await?;
            let secs = started.elapsed().as_secs_f64();
            let mut failed = false;
            for p in &polled {
                match &p.error {
                    Some(e) => {
                        failed = true;
                        eprintln!("{}: failed: {e}", p.source);
                    }
                    None if p.not_modified => println!("{}: not modified", p.source),
                    None => println!(
                        "{}: {} stored, {} unchanged, {} refused in {secs:.2} s",
                        p.source, p.stored, p.unchanged, p.rejected
                    ),
                }
            }
            if polled.is_empty() {
                eprintln!("no feed is due");
            }
            Ok(if failed {
                ExitCode::from(3)
            } else {
                ExitCode::SUCCESS
            })
        }
        WireCommand::Import { source, files } => {
            let existing = store.wire_source(&source).await?;
            let source = match existing {
                Some(s) => s,
                None => store
                    .upsert_wire_source(&NewWireSource {
                        name: source,
                        kind: WireKind::File,
                        url: String::new(),
                        token_hash: None,
                        allow_private: false,
                        poll_secs: 300,
                        section: String::new(),
                        auto_publish: false,
                    })
                    .await
                    .map_err(|e| anyhow::anyhow!("--source: {e}"))?,
            };
            let app = cmd::app(&config, store, None).await?;
            let started = std::time::Instant::now();
            let (mut stored, mut unchanged, mut refused) = (0usize, 0usize, 0usize);
            for file in &files {
                let name = file.display().to_string();
                let bytes = match std::fs::metadata(file) {
                    Ok(m) if m.len() > app.wire_options.max_bytes as u64 => {
                        eprintln!(
                            "{name}: refused: the file is over {} bytes",
                            app.wire_options.max_bytes
                        );
                        refused += 1;
                        continue;
                    }
                    Ok(_) => std::fs::read(file).with_context(|| format!("cannot read {name}"))?,
                    Err(e) => {
                        eprintln!("{name}: cannot read: {e}");
                        refused += 1;
                        continue;
                    }
                };
                match ingest(&app, &source, Bytes::from(bytes), &name).await {
                    Ok(report) => {
                        stored += report.stored;
                        unchanged += report.unchanged;
                        refused += report.rejected.len();
                        println!(
                            "{name}: {}, {} stored, {} unchanged, {} refused",
                            report.format,
                            report.stored,
                            report.unchanged,
                            report.rejected.len()
                        );
                        for r in &report.rejected {
                            eprintln!("{name}: item {}: {}", r.item, r.reason);
                        }
                        for a in &report.flagged {
                            eprintln!(
                                "{name}: the agency killed the story of article {a}: it is flagged for the editors"
                            );
                        }
                    }
                    Err(IngestError::Unreadable(why)) => {
                        refused += 1;
                        eprintln!("{name}: refused: {why}");
                    }
                    Err(e) => return Err(anyhow::anyhow!("{name}: {e}")),
                }
            }
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "{} files: {stored} items stored, {unchanged} unchanged, {refused} refused in {secs:.2} s ({:.0} items/s)",
                files.len(),
                (stored + unchanged) as f64 / secs.max(1e-9)
            );
            Ok(if refused > 0 {
                ExitCode::from(3)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}
