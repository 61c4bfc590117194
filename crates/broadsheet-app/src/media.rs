//! Photo upload, the one path every photo takes into the library (the upload form, the Admin
//! API, a wire picture): checked and re-encoded completely (`broadsheet_media::process`, on a
//! blocking thread) before anything is written, its variants stored, then registered with its
//! alt text, caption and credit. A failure on the way removes what was written, so a refused
//! upload leaves nothing behind.

use broadsheet_core::{Credit, Media, MediaVariant, NewMedia};
use broadsheet_media::{Format, Limits, ProcessError};
use bytes::Bytes;

use crate::{App, Error};

/// What the uploader says about a photo: the library's defaults for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaDetails {
    pub alt: String,
    pub caption: String,
    pub credit: Credit,
}

/// A photo to store.
#[derive(Debug, Clone)]
pub struct Upload {
    pub user_id: i64,
    /// The name it was uploaded under; the stored files are named after it.
    pub file_name: String,
    /// What it claims to be (its declared type or file name), checked against its bytes.
    pub claimed: Option<Format>,
    pub bytes: Bytes,
    pub details: MediaDetails,
}

/// Why an upload was not stored.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// Over the size or pixel limits.
    #[error("{0}")]
    TooLarge(String),
    /// Not an image we take, or a damaged one.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Failed(#[from] Error),
}

/// A name for the stored files: the upload's name reduced to slug characters.
fn stem(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let base = base.rsplit_once('.').map_or(base, |(b, _)| b);
    let slug = broadsheet_core::Slug::derive(base)
        .map(|s| s.to_string())
        .unwrap_or_else(|| "photo".into());
    slug.chars()
        .take(60)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned()
}

/// The pixels being decoded at once, process-wide, and the budget's size: the first upload's
/// pixel limit (one setting per process), clamped to what a semaphore counts.
fn decode_budget(max_pixels: u64) -> (&'static tokio::sync::Semaphore, u32) {
    static BUDGET: std::sync::OnceLock<(tokio::sync::Semaphore, u32)> = std::sync::OnceLock::new();
    let (semaphore, total) = BUDGET.get_or_init(|| {
        let total = u32::try_from(max_pixels.max(1)).unwrap_or(u32::MAX >> 3);
        (tokio::sync::Semaphore::new(total as usize), total)
    });
    (semaphore, *total)
}

/// Checks, re-encodes and stores a photo with its variants, and registers it in the library.
pub async fn store_upload(app: &App, limits: Limits, upload: Upload) -> Result<Media, UploadError> {
    let Upload {
        user_id,
        file_name,
        claimed,
        bytes,
        details,
    } = upload;
    // Decoding takes memory in proportion to the pixels (up to 8 bytes each for a 16-bit
    // picture, and its resized copies): uploads decode concurrently only while their pixels
    // together stay within one largest-allowed picture's, so four maximal uploads at once
    // take one picture's memory at a time, not four.
    let (budget, total) = decode_budget(limits.max_pixels);
    let weight = broadsheet_media::claimed_pixels(&bytes)
        .map_or(1, |p| u32::try_from(p).unwrap_or(u32::MAX))
        .clamp(1, total);
    let slot = budget
        .acquire_many(weight)
        .await
        .map_err(|e| Error::Worker(e.to_string()))?;
    let processed =
        tokio::task::spawn_blocking(move || broadsheet_media::process(&bytes, claimed, &limits))
            .await
            .map_err(|e| Error::Worker(e.to_string()))?;
    drop(slot);
    let processed = match processed {
        Ok(p) => p,
        Err(e @ ProcessError::TooLarge { .. }) => return Err(UploadError::TooLarge(e.to_string())),
        Err(e) => return Err(UploadError::Refused(e.to_string())),
    };

    let now = app.now();
    let id = &crate::secrets::random_token()[..10];
    let dir = format!("uploads/{}", now.format("%Y/%m"));
    let stem = stem(&file_name);
    let mut written: Vec<String> = Vec::new();
    let mut variants = Vec::new();
    for v in &processed.variants {
        let ext = if v.format == "jpeg" { "jpg" } else { "webp" };
        let path = format!("{dir}/{stem}-{id}-{}.{ext}", v.width);
        let mime = if v.format == "jpeg" {
            "image/jpeg"
        } else {
            "image/webp"
        };
        if let Err(e) = app
            .media_store
            .put(&path, Bytes::from(v.bytes.clone()), mime)
            .await
        {
            cleanup(app, &written).await;
            return Err(Error::Internal(e.to_string()).into());
        }
        written.push(path.clone());
        variants.push(MediaVariant {
            width: v.width,
            height: v.height,
            format: v.format.to_owned(),
            path,
        });
    }
    let Some(largest) = variants.iter().rev().find(|v| v.format == "jpeg").cloned() else {
        cleanup(app, &written).await;
        return Err(Error::Internal("no JPEG variant was made".into()).into());
    };
    let bytes = processed
        .variants
        .iter()
        .find(|v| v.format == "jpeg" && v.width == largest.width)
        .map_or(0, |v| v.bytes.len() as u64);
    let saved = app
        .store
        .upsert_media(&NewMedia {
            path: largest.path.clone(),
            mime: "image/jpeg".into(),
            width: largest.width,
            height: largest.height,
            bytes,
            variants,
            name: file_name.chars().take(200).collect(),
            alt: details.alt.trim().to_owned(),
            caption: details.caption.trim().to_owned(),
            credit: details.credit.trimmed(),
            uploaded_by: Some(user_id),
        })
        .await;
    match saved {
        Ok(media) => {
            tracing::info!(media = media.id, user = user_id, "photo uploaded");
            Ok(media)
        }
        Err(e) => {
            cleanup(app, &written).await;
            Err(Error::from(e).into())
        }
    }
}

async fn cleanup(app: &App, paths: &[String]) {
    for p in paths {
        if let Err(e) = app.media_store.delete(p).await {
            tracing::warn!(path = %p, error = %e, "cannot remove a partly uploaded file");
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn stored_names_are_slugs_of_the_upload_name() {
        assert_eq!(
            super::stem("C:\\photos\\Kim Jong Un (AP).JPG"),
            "kim-jong-un-ap"
        );
        assert_eq!(super::stem("../../etc/passwd"), "passwd");
        assert_eq!(super::stem(".jpg"), "photo");
    }
}
