//! `broadsheet backup DIR` and `broadsheet restore DIR`: the embedded default's backups. A
//! backup is taken while the site runs: first a consistent snapshot of the database
//! (`VACUUM INTO`), then the media files (write-once, so every file the snapshot refers to is
//! there), then a `MANIFEST` with the size and SHA-256 of every file. A restore checks the
//! manifest and the database's integrity before it writes anything, and writes only into a
//! data directory without a database.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use broadsheet_store::{SqliteStore, Store};
use sha2::{Digest, Sha256};

use crate::cmd;
use crate::config::Config;

const MANIFEST: &str = "MANIFEST";
const DB: &str = "broadsheet.db";

/// One line of the manifest: `SHA256  BYTES  PATH` (PATH relative to the backup, `/`-separated).
struct Entry {
    sha256: String,
    bytes: u64,
    path: String,
}

fn sha256_of(path: &Path) -> anyhow::Result<(String, u64)> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut hasher = Sha256::new();
    let bytes = std::io::copy(&mut file, &mut hasher)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let digest = hasher.finalize();
    Ok((digest.iter().map(|b| format!("{b:02x}")).collect(), bytes))
}

/// Every file below `root`, as `/`-separated relative paths, sorted; unfinished uploads
/// (`*.part`) are left out.
fn files_below(root: &Path) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot list {}", dir.display())),
        };
        for e in entries {
            let e = e.with_context(|| format!("cannot list {}", dir.display()))?;
            let path = e.path();
            let kind = e.file_type()?;
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() && path.extension().is_none_or(|x| x != "part") {
                let rel = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push(rel);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// On PostgreSQL the database has its own tools; these commands cover the SQLite default.
fn sqlite_only(config: &Config, what: &str) -> anyhow::Result<()> {
    if config.database.is_some() {
        bail!(
            "`broadsheet {what}` covers the SQLite default; this site runs on PostgreSQL: \
             use pg_dump / pg_restore for the database and your bucket's versioning or \
             replication for media (docs/deployment.md, \"Backups\")"
        );
    }
    Ok(())
}

pub async fn backup(config: Config, dest: PathBuf) -> anyhow::Result<ExitCode> {
    cmd::init_logging("warn");
    sqlite_only(&config, "backup")?;
    if dest.exists()
        && std::fs::read_dir(&dest)
            .with_context(|| format!("{} is not a directory", dest.display()))?
            .next()
            .is_some()
    {
        bail!(
            "{} is not empty: back up into a new directory",
            dest.display()
        );
    }
    if !config.database_path().is_file() {
        bail!("{} holds no site to back up", config.data.display());
    }
    std::fs::create_dir_all(dest.join("media"))
        .with_context(|| format!("cannot create {}", dest.display()))?;
    let started = std::time::Instant::now();
    let store = SqliteStore::open(&config.database_path()).await?;
    store
        .backup_into(&dest.join(DB))
        .await
        .context("cannot copy the database")?;
    let counts = store.counts().await?;
    // Media after the database: every file the snapshot names was written before it.
    let media = config.media_dir();
    let mut entries = Vec::new();
    for rel in files_below(&media)? {
        let from = media.join(&rel);
        let to = dest.join("media").join(&rel);
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        match std::fs::copy(&from, &to) {
            Ok(_) => {}
            // Removed since it was listed (a failed upload cleaned up): not in the snapshot.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot copy {}", from.display())),
        }
        let (sha256, bytes) = sha256_of(&to)?;
        entries.push(Entry {
            sha256,
            bytes,
            path: format!("media/{rel}"),
        });
    }
    let (sha256, bytes) = sha256_of(&dest.join(DB))?;
    entries.insert(
        0,
        Entry {
            sha256,
            bytes,
            path: DB.into(),
        },
    );
    let mut manifest = std::fs::File::create(dest.join(MANIFEST))
        .with_context(|| format!("cannot write {}", dest.join(MANIFEST).display()))?;
    for e in &entries {
        writeln!(manifest, "{}  {}  {}", e.sha256, e.bytes, e.path)?;
    }
    manifest.sync_all()?;
    let total: u64 = entries.iter().map(|e| e.bytes).sum();
    println!(
        "backed up {} articles and {} media files ({:.1} MB) to {} in {:.1} s",
        counts.articles,
        entries.len() - 1,
        total as f64 / 1e6,
        dest.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

fn read_manifest(src: &Path) -> anyhow::Result<Vec<Entry>> {
    let path = src.join(MANIFEST);
    let file = std::fs::File::open(&path).with_context(|| {
        format!(
            "{} is not a Broadsheet backup (no {MANIFEST})",
            src.display()
        )
    })?;
    let mut out = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {}", path.display()))?;
        let mut parts = line.splitn(3, "  ");
        let (Some(sha256), Some(bytes), Some(rel)) = (parts.next(), parts.next(), parts.next())
        else {
            bail!(
                "{} line {}: not `SHA256  BYTES  PATH`",
                path.display(),
                n + 1
            );
        };
        let safe = rel
            .split('/')
            .all(|p| !p.is_empty() && p != "." && p != "..")
            && (rel == DB || rel.starts_with("media/"));
        if !safe {
            bail!(
                "{} line {}: path {rel:?} is not allowed",
                path.display(),
                n + 1
            );
        }
        out.push(Entry {
            sha256: sha256.to_owned(),
            bytes: bytes
                .parse()
                .with_context(|| format!("{} line {}: bad size", path.display(), n + 1))?,
            path: rel.to_owned(),
        });
    }
    if !out.iter().any(|e| e.path == DB) {
        bail!("{} names no database", path.display());
    }
    Ok(out)
}

pub async fn restore(config: Config, src: PathBuf) -> anyhow::Result<ExitCode> {
    cmd::init_logging("warn");
    sqlite_only(&config, "restore")?;
    if config.database_path().exists() {
        bail!(
            "{} already holds a site: restore into an empty data directory",
            config.data.display()
        );
    }
    let entries = read_manifest(&src)?;
    // Everything is checked before anything is written.
    for e in &entries {
        let path = src.join(&e.path);
        let (sha256, bytes) =
            sha256_of(&path).with_context(|| format!("the backup is incomplete: {}", e.path))?;
        if bytes != e.bytes || sha256 != e.sha256 {
            bail!(
                "the backup is damaged: {} does not match its checksum in {MANIFEST}",
                e.path
            );
        }
    }
    if let Err(problems) = SqliteStore::integrity_check(&src.join(DB)).await? {
        bail!("the backup's database is damaged: {problems}");
    }
    std::fs::create_dir_all(config.media_dir())
        .with_context(|| format!("cannot create {}", config.media_dir().display()))?;
    for e in entries.iter().filter(|e| e.path != DB) {
        let rel = e.path.trim_start_matches("media/");
        let to = config.media_dir().join(rel);
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        std::fs::copy(src.join(&e.path), &to)
            .with_context(|| format!("cannot write {}", to.display()))?;
    }
    // The database last, under a temporary name: until it is in place there is no site here.
    let tmp = config.data.join("broadsheet.db.restoring");
    std::fs::copy(src.join(DB), &tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, config.database_path())
        .with_context(|| format!("cannot write {}", config.database_path().display()))?;
    // Opening brings an older backup's schema up to date.
    let store = SqliteStore::open(&config.database_path()).await?;
    let counts = store.counts().await?;
    println!(
        "restored {} articles and {} media files into {}; the search index is rebuilt when the server starts",
        counts.articles,
        entries.len() - 1,
        config.data.display()
    );
    Ok(ExitCode::SUCCESS)
}
