//! `broadsheet search reindex|check`: rebuild the search index from the database, or report
//! where the two disagree.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use broadsheet_core::ArticleStatus;
use broadsheet_search::TantivyIndex;
use indicatif::{ProgressBar, ProgressStyle};

use crate::cmd;
use crate::config::Config;

#[derive(Debug, clap::Subcommand)]
pub enum SearchCommand {
    /// Rebuild the search index from the database (stop the server first).
    Reindex,
    /// Report every article whose indexed version differs from the database.
    ///
    /// Exit status: 0 when the index matches, 3 when it does not.
    Check,
}

pub async fn run(config: Config, command: SearchCommand) -> anyhow::Result<ExitCode> {
    cmd::init_logging("warn");
    let site = cmd::open_site(&config).await?;
    let store = site.store.clone();
    match command {
        SearchCommand::Reindex => {
            let (index, _) = site.search(&config).await?;
            let bar = std::io::stderr().is_terminal().then(|| {
                let bar = ProgressBar::new(0);
                bar.set_style(
                    ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} articles, {per_sec} ETA {eta}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                bar
            });
            let started = Instant::now();
            let n = broadsheet_app::search_sync::rebuild(store.as_ref(), &index, |done, total| {
                match &bar {
                    Some(bar) => {
                        bar.set_length(total as u64);
                        bar.set_position(done as u64);
                    }
                    None => eprintln!("reindex: {done}/{total} articles"),
                }
            })
            .await
            .context("cannot rebuild the search index")?;
            broadsheet_app::search_sync::catch_up(store.as_ref(), &index).await?;
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            let secs = started.elapsed().as_secs_f64();
            let counted = index.clone();
            let indexed = tokio::task::spawn_blocking(move || counted.versions())
                .await
                .context("the search worker stopped")??
                .len();
            let size = match site.postgres {
                Some(_) => "in PostgreSQL".to_owned(),
                None => format!(
                    "index size {:.1} MB",
                    TantivyIndex::size_on_disk(&config.search_dir()) as f64 / 1e6
                ),
            };
            println!(
                "indexed {indexed} published articles of {n} in {secs:.1} s ({:.0} articles/s); {size}",
                n as f64 / secs.max(1e-3),
            );
            Ok(ExitCode::SUCCESS)
        }
        SearchCommand::Check => {
            let indexed = match site.postgres {
                Some(_) => {
                    let (index, _) = site.search(&config).await?;
                    tokio::task::spawn_blocking(move || index.versions())
                        .await
                        .context("the search worker stopped")??
                }
                None => TantivyIndex::read_versions_in(&config.search_dir())?,
            };
            let mut problems = 0usize;
            let mut report = |line: String| {
                problems += 1;
                println!("{line}");
            };
            let mut seen = std::collections::HashSet::new();
            for v in store.article_versions().await? {
                seen.insert(v.id);
                let should_be_indexed = v.status == ArticleStatus::Published;
                match (should_be_indexed, indexed.get(&v.id)) {
                    (true, None) => {
                        report(format!("article {}: published but not in the index", v.id))
                    }
                    (true, Some(&indexed_version)) if indexed_version != v.version => {
                        report(format!(
                            "article {}: the index has version {indexed_version}, the database version {}",
                            v.id, v.version
                        ))
                    }
                    (false, Some(_)) => report(format!(
                        "article {}: {} but still in the index",
                        v.id, v.status
                    )),
                    _ => {}
                }
            }
            for id in indexed.keys().filter(|id| !seen.contains(id)) {
                report(format!(
                    "article {id}: in the index but not in the database"
                ));
            }
            if problems == 0 {
                println!(
                    "the search index matches the database ({} articles indexed)",
                    indexed.len()
                );
                Ok(ExitCode::SUCCESS)
            } else {
                println!("{problems} differences; `broadsheet search reindex` rebuilds the index");
                Ok(ExitCode::from(3))
            }
        }
    }
}
