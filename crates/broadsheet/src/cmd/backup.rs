//! `broadsheet backup DIR` and `broadsheet restore DIR`: the embedded default's backups, done
//! by `broadsheet_app::backup` (see there for what a backup holds and what a restore checks).
//! This file refuses them on PostgreSQL and prints what was done.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use broadsheet_app::backup::{self, SiteFiles};

use crate::cmd;
use crate::config::Config;

/// On PostgreSQL the database has its own tools; these commands cover the SQLite default.
fn sqlite_only(config: &Config, what: &str) -> anyhow::Result<SiteFiles> {
    if config.database.is_some() {
        bail!(
            "`broadsheet {what}` covers the SQLite default; this site runs on PostgreSQL: \
             use pg_dump / pg_restore for the database and your bucket's versioning or \
             replication for media (docs/deployment.md, \"Backups\")"
        );
    }
    Ok(SiteFiles {
        data: config.data.clone(),
        database: config.database_path(),
        media: config.media_dir(),
    })
}

pub async fn backup(config: Config, dest: PathBuf) -> anyhow::Result<ExitCode> {
    cmd::init_logging("warn");
    let site = sqlite_only(&config, "backup")?;
    let started = std::time::Instant::now();
    let done = backup::backup(&site, &dest).await?;
    println!(
        "backed up {} articles and {} media files ({:.1} MB) to {} in {:.1} s",
        done.articles,
        done.media_files,
        done.bytes as f64 / 1e6,
        dest.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(config: Config, src: PathBuf) -> anyhow::Result<ExitCode> {
    cmd::init_logging("warn");
    let site = sqlite_only(&config, "restore")?;
    let done = backup::restore(&src, &site).await?;
    println!(
        "restored {} articles and {} media files into {}; the search index is rebuilt when the server starts",
        done.articles,
        done.media_files,
        config.data.display()
    );
    Ok(ExitCode::SUCCESS)
}
