//! Backup and restore of the embedded default (SQLite and a media folder). A backup is taken
//! while the site runs: first a consistent snapshot of the database (`VACUUM INTO`), then the
//! media files (write-once, so every file the snapshot refers to is there), then a `MANIFEST`
//! with the size and SHA-256 of every file. A restore checks the manifest, that every file it
//! names is a regular file inside the backup (no symbolic link out of it), the checksums and the
//! database's integrity before it writes anything, and writes only into a data directory
//! without a database; the database goes in last, so a restore cut short leaves no site.
//!
//! On PostgreSQL the database has its own tools; the CLI refuses these commands there.

use std::io::{BufRead, Write};
use std::path::{Component, Path, PathBuf};

use broadsheet_store::{SqliteStore, Store, StoreError};
use sha2::{Digest, Sha256};

const MANIFEST: &str = "MANIFEST";
const DB: &str = "broadsheet.db";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Not done as asked (an occupied target, no site, a damaged or foreign backup): the
    /// message says why and what to do.
    #[error("{0}")]
    Refused(String),
    #[error("{what}: {err}")]
    Io { what: String, err: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
}

type Result<T> = std::result::Result<T, BackupError>;

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> BackupError {
    let what = what.into();
    move |err| BackupError::Io { what, err }
}

fn refused<T>(message: String) -> Result<T> {
    Err(BackupError::Refused(message))
}

/// Where a site keeps its database and media.
#[derive(Debug, Clone)]
pub struct SiteFiles {
    pub data: PathBuf,
    pub database: PathBuf,
    pub media: PathBuf,
}

/// What a backup or a restore did.
#[derive(Debug, Clone, Copy)]
pub struct Report {
    pub articles: i64,
    pub media_files: usize,
    pub bytes: u64,
}

/// One line of the manifest: `SHA256  BYTES  PATH` (PATH relative to the backup, `/`-separated).
struct Entry {
    sha256: String,
    bytes: u64,
    path: String,
}

fn sha256_of(path: &Path) -> Result<(String, u64)> {
    let what = || format!("cannot read {}", path.display());
    let mut file = std::fs::File::open(path).map_err(io(what()))?;
    let mut hasher = Sha256::new();
    let bytes = std::io::copy(&mut file, &mut hasher).map_err(io(what()))?;
    let digest = hasher.finalize();
    Ok((digest.iter().map(|b| format!("{b:02x}")).collect(), bytes))
}

/// Every regular file below `root`, as `/`-separated relative paths, sorted; unfinished
/// uploads (`*.part`) and symbolic links are left out.
fn files_below(root: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        let what = || format!("cannot list {}", dir.display());
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io(what())(e)),
        };
        for e in entries {
            let e = e.map_err(io(what()))?;
            let path = e.path();
            let kind = e.file_type().map_err(io(what()))?;
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

/// Backs `site` up into `dest`, a new or empty directory.
pub async fn backup(site: &SiteFiles, dest: &Path) -> Result<Report> {
    if dest.exists()
        && std::fs::read_dir(dest)
            .map_err(io(format!("{} is not a directory", dest.display())))?
            .next()
            .is_some()
    {
        return refused(format!(
            "{} is not empty: back up into a new directory",
            dest.display()
        ));
    }
    if !site.database.is_file() {
        return refused(format!("{} holds no site to back up", site.data.display()));
    }
    std::fs::create_dir_all(dest.join("media"))
        .map_err(io(format!("cannot create {}", dest.display())))?;
    let store = SqliteStore::open(&site.database).await?;
    store.backup_into(&dest.join(DB)).await?;
    let counts = store.counts().await?;
    // Media after the database: every file the snapshot names was written before it.
    let mut entries = Vec::new();
    for rel in files_below(&site.media)? {
        let from = site.media.join(&rel);
        let to = dest.join("media").join(&rel);
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir).map_err(io(format!("cannot create {}", dir.display())))?;
        }
        match std::fs::copy(&from, &to) {
            Ok(_) => {}
            // Removed since it was listed (a failed upload cleaned up): not in the snapshot.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io(format!("cannot copy {}", from.display()))(e)),
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
    let manifest_path = dest.join(MANIFEST);
    let what = format!("cannot write {}", manifest_path.display());
    let mut manifest = std::fs::File::create(&manifest_path).map_err(io(what.clone()))?;
    for e in &entries {
        writeln!(manifest, "{}  {}  {}", e.sha256, e.bytes, e.path).map_err(io(what.clone()))?;
    }
    manifest.sync_all().map_err(io(what))?;
    Ok(Report {
        articles: counts.articles,
        media_files: entries.len() - 1,
        bytes: entries.iter().map(|e| e.bytes).sum(),
    })
}

fn read_manifest(src: &Path) -> Result<Vec<Entry>> {
    let path = src.join(MANIFEST);
    let Ok(file) = std::fs::File::open(&path) else {
        return refused(format!(
            "{} is not a Broadsheet backup (no {MANIFEST})",
            src.display()
        ));
    };
    let mut out = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io(format!("cannot read {}", path.display())))?;
        let at = || format!("{} line {}", path.display(), n + 1);
        let mut parts = line.splitn(3, "  ");
        let (Some(sha256), Some(bytes), Some(rel)) = (parts.next(), parts.next(), parts.next())
        else {
            return refused(format!("{}: not `SHA256  BYTES  PATH`", at()));
        };
        let safe = rel
            .split('/')
            .all(|p| !p.is_empty() && p != "." && p != "..")
            && (rel == DB || rel.starts_with("media/"));
        if !safe {
            return refused(format!("{}: path {rel:?} is not allowed", at()));
        }
        let Ok(bytes) = bytes.parse() else {
            return refused(format!("{}: bad size", at()));
        };
        out.push(Entry {
            sha256: sha256.to_owned(),
            bytes,
            path: rel.to_owned(),
        });
    }
    if !out.iter().any(|e| e.path == DB) {
        return refused(format!("{} names no database", path.display()));
    }
    Ok(out)
}

/// `rel` below `root` is a regular file reached through real directories: no component is a
/// symbolic link, which could point anywhere on the machine (a backup with
/// `media/x.jpg -> /etc/passwd` would otherwise restore and serve that file).
fn regular_file_inside(root: &Path, rel: &str) -> Result<PathBuf> {
    let mut path = root.to_owned();
    let parts: Vec<&str> = rel.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        debug_assert!(matches!(
            Path::new(part).components().next(),
            Some(Component::Normal(_))
        ));
        path.push(part);
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return refused(format!("the backup is incomplete: {rel} is missing"));
            }
            Err(e) => return Err(io(format!("cannot read {}", path.display()))(e)),
        };
        let last = i + 1 == parts.len();
        let fine = if last {
            meta.file_type().is_file()
        } else {
            meta.file_type().is_dir()
        };
        if !fine {
            return refused(format!(
                "the backup is damaged: {rel} is not a regular file in it \
                 (a symbolic link or something else: restore copies only files)"
            ));
        }
    }
    Ok(path)
}

/// Restores the backup in `src` into `site`, whose data directory holds no database.
pub async fn restore(src: &Path, site: &SiteFiles) -> Result<Report> {
    if site.database.exists() {
        return refused(format!(
            "{} already holds a site: restore into an empty data directory",
            site.data.display()
        ));
    }
    let entries = read_manifest(src)?;
    // Everything is checked before anything is written.
    let mut total = 0;
    for e in &entries {
        let path = regular_file_inside(src, &e.path)?;
        let (sha256, bytes) = sha256_of(&path)?;
        if bytes != e.bytes || sha256 != e.sha256 {
            return refused(format!(
                "the backup is damaged: {} does not match its checksum in {MANIFEST}",
                e.path
            ));
        }
        total += bytes;
    }
    if let Err(problems) = SqliteStore::integrity_check(&src.join(DB)).await? {
        return refused(format!("the backup's database is damaged: {problems}"));
    }
    std::fs::create_dir_all(&site.media)
        .map_err(io(format!("cannot create {}", site.media.display())))?;
    for e in entries.iter().filter(|e| e.path != DB) {
        let rel = e.path.trim_start_matches("media/");
        let to = site.media.join(rel);
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir).map_err(io(format!("cannot create {}", dir.display())))?;
        }
        std::fs::copy(src.join(&e.path), &to)
            .map_err(io(format!("cannot write {}", to.display())))?;
    }
    // The database last, under a temporary name: until it is in place there is no site here.
    let tmp = site.data.join("broadsheet.db.restoring");
    std::fs::copy(src.join(DB), &tmp).map_err(io(format!("cannot write {}", tmp.display())))?;
    std::fs::rename(&tmp, &site.database)
        .map_err(io(format!("cannot write {}", site.database.display())))?;
    // Opening brings an older backup's schema up to date.
    let store = SqliteStore::open(&site.database).await?;
    let counts = store.counts().await?;
    Ok(Report {
        articles: counts.articles,
        media_files: entries.len() - 1,
        bytes: total,
    })
}
