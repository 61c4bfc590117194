//! `S3Storage`: media in a bucket of any S3-compatible service (AWS, MinIO, Ceph, R2, …), so
//! several stateless nodes share one media store. Requests are signed with rusty-s3 (SigV4,
//! presigned for a minute) and sent with reqwest; paths are checked like `LocalDir`'s.

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};
use serde::{Deserialize, Serialize};

use crate::storage::{MediaStorage, StorageError, Stored, check_path};

/// `[media.s3]` settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Config {
    /// `https://s3.eu-west-1.amazonaws.com`, `http://127.0.0.1:9000`, …
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key: String,
    #[serde(skip_serializing)]
    pub secret_key: String,
    /// Buckets addressed as `endpoint/bucket/key` (MinIO, most self-hosted services) rather
    /// than `bucket.endpoint/key`.
    pub path_style: bool,
}

pub struct S3Storage {
    bucket: Bucket,
    credentials: Credentials,
    client: reqwest::Client,
}

const SIGNED_FOR: Duration = Duration::from_secs(60);

fn remote(path: &str, e: impl std::fmt::Display) -> StorageError {
    StorageError::Remote {
        path: path.to_owned(),
        reason: e.to_string(),
    }
}

impl S3Storage {
    pub fn new(config: &S3Config) -> Result<Self, StorageError> {
        let bad = |why: &str| StorageError::Config(why.to_owned());
        let endpoint: reqwest::Url = config
            .endpoint
            .parse()
            .map_err(|_| bad("media.s3.endpoint is not a URL"))?;
        if config.bucket.is_empty() || config.access_key.is_empty() || config.secret_key.is_empty()
        {
            return Err(bad("media.s3 needs bucket, access_key and secret_key"));
        }
        let style = if config.path_style {
            UrlStyle::Path
        } else {
            UrlStyle::VirtualHost
        };
        let region = if config.region.is_empty() {
            "us-east-1".to_owned()
        } else {
            config.region.clone()
        };
        let bucket = Bucket::new(endpoint, style, config.bucket.clone(), region)
            .map_err(|e| bad(&format!("media.s3: {e}")))?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| bad(&e.to_string()))?;
        Ok(Self {
            bucket,
            credentials: Credentials::new(config.access_key.clone(), config.secret_key.clone()),
            client,
        })
    }

    /// Creates the bucket (for tests and first set-up); an existing one is fine.
    pub async fn create_bucket(&self) -> Result<(), StorageError> {
        let url = self
            .bucket
            .create_bucket(&self.credentials)
            .sign(SIGNED_FOR);
        let r = self
            .client
            .put(url)
            .header(reqwest::header::CONTENT_LENGTH, "0")
            .send()
            .await
            .map_err(|e| remote("(bucket)", e))?;
        if r.status().is_success() || r.status() == reqwest::StatusCode::CONFLICT {
            Ok(())
        } else {
            Err(remote("(bucket)", format!("HTTP {}", r.status())))
        }
    }
}

#[async_trait]
impl MediaStorage for S3Storage {
    async fn put(&self, path: &str, bytes: Bytes, content_type: &str) -> Result<(), StorageError> {
        check_path(path)?;
        let url = self
            .bucket
            .put_object(Some(&self.credentials), path)
            .sign(SIGNED_FOR);
        // S3 stores an object whole or not at all: readers never see half a file.
        let r = self
            .client
            .put(url)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(bytes)
            .send()
            .await
            .map_err(|e| remote(path, e))?;
        if !r.status().is_success() {
            return Err(remote(path, format!("HTTP {}", r.status())));
        }
        Ok(())
    }

    async fn delete(&self, path: &str) -> Result<(), StorageError> {
        check_path(path)?;
        let url = self
            .bucket
            .delete_object(Some(&self.credentials), path)
            .sign(SIGNED_FOR);
        let r = self
            .client
            .delete(url)
            .send()
            .await
            .map_err(|e| remote(path, e))?;
        if r.status().is_success() || r.status() == reqwest::StatusCode::NOT_FOUND {
            Ok(())
        } else {
            Err(remote(path, format!("HTTP {}", r.status())))
        }
    }

    async fn get(&self, path: &str) -> Result<Option<Stored>, StorageError> {
        check_path(path)?;
        let url = self
            .bucket
            .get_object(Some(&self.credentials), path)
            .sign(SIGNED_FOR);
        let r = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| remote(path, e))?;
        if r.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !r.status().is_success() {
            return Err(remote(path, format!("HTTP {}", r.status())));
        }
        let content_type = r
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/octet-stream")
            .to_owned();
        let bytes = r.bytes().await.map_err(|e| remote(path, e))?;
        Ok(Some(Stored {
            bytes,
            content_type,
        }))
    }
}
