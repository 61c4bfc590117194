//! `broadsheet migrate-to postgres://…`: moves a SQLite site up to PostgreSQL.

use std::process::ExitCode;

use anyhow::{Context, bail};
use broadsheet_store::{PgStore, SqliteStore};

use crate::cmd;
use crate::config::Config;

pub async fn run(config: Config, url: String) -> anyhow::Result<ExitCode> {
    cmd::init_logging("warn");
    let shown = broadsheet_store::postgres::url_for_log(&url);
    let path = config.database_path();
    if !path.is_file() {
        bail!(
            "{} holds no site to copy (no {}): pass the site's --data directory",
            config.data.display(),
            path.display()
        );
    }
    let from = SqliteStore::open(&path).await?;
    let to = PgStore::open(&url)
        .await
        .with_context(|| format!("cannot open PostgreSQL database {shown}"))?;
    let report = broadsheet_store::copy::sqlite_to_postgres(&from, &to)
        .await
        .with_context(|| format!("nothing was copied to {shown}"))?;
    let mut bad = 0;
    for t in &report {
        println!(
            "{:<22} {:>9} rows  {}",
            t.table,
            t.rows,
            if t.matches {
                "checksum ok"
            } else {
                "CHECKSUM DIFFERS"
            }
        );
        bad += usize::from(!t.matches);
    }
    if bad > 0 {
        eprintln!("{bad} tables differ after the copy: do not switch this site over");
        return Ok(ExitCode::from(3));
    }
    let rows: u64 = report.iter().map(|t| t.rows).sum();
    println!(
        "\nCopied {rows} rows in {} tables to {shown}; counts and checksums match.\n\
         Media files stay in {} (or your bucket): point every node at the same media store.\n\
         Start the nodes with --database {shown} (or BROADSHEET_DATABASE_URL).",
        report.len(),
        config.media_dir().display()
    );
    Ok(ExitCode::SUCCESS)
}
