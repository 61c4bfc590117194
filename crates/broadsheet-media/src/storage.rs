//! `MediaStorage`: where media files live. Paths are relative, made of safe segments only.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("unsafe media path {0:?}")]
    Path(String),
    #[error("media storage is not set up: {0}")]
    Config(String),
    #[error("media store refused {path}: {reason}")]
    Remote { path: String, reason: String },
    #[error("cannot write media {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

#[async_trait]
pub trait MediaStorage: Send + Sync {
    /// Stores `bytes` at `path`, replacing what was there; a reader never sees half a file.
    async fn put(&self, path: &str, bytes: Bytes, content_type: &str) -> Result<(), StorageError>;
    /// Removes the file at `path`; a missing file is not an error.
    async fn delete(&self, path: &str) -> Result<(), StorageError>;
    /// The file at `path`, or `None` when there is none.
    async fn get(&self, path: &str) -> Result<Option<Stored>, StorageError>;
}

/// A stored file as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub bytes: Bytes,
    pub content_type: String,
}

/// Refuses a path that is not made of safe segments (letters, digits, `-`, `_`, `.`, no
/// segment starting with a dot).
pub(crate) fn check_path(path: &str) -> Result<(), StorageError> {
    let safe = !path.is_empty()
        && path.split('/').all(|p| {
            !p.is_empty()
                && !p.starts_with('.')
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        });
    if safe {
        Ok(())
    } else {
        Err(StorageError::Path(path.to_owned()))
    }
}

/// The content type of a stored file by its extension.
pub fn content_type_of(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "png" => "image/png",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// Media in a folder of the data directory, served by the web server from there.
pub struct LocalDir {
    root: PathBuf,
}

impl LocalDir {
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_owned(),
        }
    }

    fn resolve(&self, path: &str) -> Result<PathBuf, StorageError> {
        check_path(path)?;
        Ok(self.root.join(path))
    }
}

#[async_trait]
impl MediaStorage for LocalDir {
    async fn put(&self, path: &str, bytes: Bytes, _content_type: &str) -> Result<(), StorageError> {
        let target = self.resolve(path)?;
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| StorageError::Io { path, source }
        };
        if let Some(dir) = target.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(io(dir))?;
        }
        let tmp = target.with_extension("part");
        tokio::fs::write(&tmp, &bytes).await.map_err(io(&tmp))?;
        tokio::fs::rename(&tmp, &target)
            .await
            .map_err(io(&target))?;
        Ok(())
    }

    async fn delete(&self, path: &str) -> Result<(), StorageError> {
        let target = self.resolve(path)?;
        match tokio::fs::remove_file(&target).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(StorageError::Io {
                path: target,
                source,
            }),
        }
    }

    async fn get(&self, path: &str) -> Result<Option<Stored>, StorageError> {
        let target = self.resolve(path)?;
        match tokio::fs::read(&target).await {
            Ok(bytes) => Ok(Some(Stored {
                bytes: Bytes::from(bytes),
                content_type: content_type_of(path).to_owned(),
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StorageError::Io {
                path: target,
                source,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn writes_and_deletes_inside_the_root_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = LocalDir::new(dir.path());
        store
            .put(
                "uploads/2026/a-480.jpg",
                Bytes::from_static(b"x"),
                "image/jpeg",
            )
            .await
            .expect("put");
        assert!(dir.path().join("uploads/2026/a-480.jpg").is_file());
        for bad in ["../x.jpg", "/etc/x", "a//b", ".hidden/x", "a/b c.jpg", ""] {
            assert!(
                matches!(
                    store.put(bad, Bytes::new(), "image/jpeg").await,
                    Err(StorageError::Path(_))
                ),
                "{bad:?}"
            );
        }
        store
            .delete("uploads/2026/a-480.jpg")
            .await
            .expect("delete");
        store.delete("uploads/2026/a-480.jpg").await.expect("again");
        assert!(!dir.path().join("uploads/2026/a-480.jpg").exists());
    }
}
