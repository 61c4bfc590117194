//! The media library: search by name, caption, alt text and credit, and photo upload. An
//! upload is checked and processed completely before anything is written; a failure on the
//! way removes what was written, so a rejected upload leaves nothing behind.

use axum::extract::multipart::MultipartError;
use axum::extract::{Multipart, Query, State};
use axum::response::Response;
use broadsheet_core::{Credit, LibraryItem, MediaVariant, NewMedia};
use broadsheet_media::{Format, ProcessError};
use bytes::Bytes;
use http::StatusCode;
use serde::{Deserialize, Serialize};

use super::{Page, see_other};
use crate::auth::Session;
use crate::error::AppError;
use crate::state::AppState;

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct LibraryQuery {
    q: String,
    uploaded: String,
}

#[derive(Serialize)]
struct Item {
    #[serde(flatten)]
    item: LibraryItem,
    thumb: String,
    credit_line: String,
}

#[derive(Serialize, Default)]
struct LibraryPage {
    q: String,
    items: Vec<Item>,
    max_mb: usize,
    form: UploadFields,
}

/// What the uploader says about a photo: the library's defaults for it.
#[derive(Serialize, Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub(crate) struct UploadFields {
    pub alt: String,
    pub caption: String,
    pub photographer: String,
    pub agency: String,
    pub via: String,
}

impl UploadFields {
    /// Sets the field `name` (ignoring names that are not a field) to `value`, trimmed and
    /// cut to 2,000 characters.
    pub fn set(&mut self, name: &str, value: &str) {
        let value = value.trim().chars().take(2000).collect::<String>();
        match name {
            "alt" => self.alt = value,
            "caption" => self.caption = value,
            "photographer" => self.photographer = value,
            "agency" => self.agency = value,
            "via" => self.via = value,
            _ => {}
        }
    }
}

/// Why an upload was not stored.
#[derive(Debug)]
pub(crate) enum UploadFailure {
    /// Over the size or pixel limits (413).
    TooLarge(String),
    /// Not an image we take, or a damaged one (422).
    Refused(String),
    Internal(AppError),
}

async fn page(
    state: &AppState,
    session: &Session,
    q: &str,
    form: UploadFields,
    page: Page<'_>,
) -> Result<Response, AppError> {
    let text = q.trim().chars().take(200).collect::<String>();
    let items = state
        .store
        .media_library((!text.is_empty()).then_some(text.as_str()), 60)
        .await?
        .into_iter()
        .map(|item| Item {
            thumb: item
                .media
                .variants
                .iter()
                .find(|v| v.format == "jpeg")
                .map_or_else(|| item.media.path.clone(), |v| v.path.clone()),
            credit_line: item.credit.to_string(),
            item,
        })
        .collect();
    let view = LibraryPage {
        q: text,
        items,
        max_mb: state.newsroom.upload_max_mb,
        form,
    };
    page.render(state, Some(session), view)
}

pub(crate) async fn library(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<LibraryQuery>,
) -> Result<Response, AppError> {
    let notice = (!q.uploaded.is_empty()).then(|| {
        format!(
            "Uploaded (media {}). Choose it as the hero photo in the editor.",
            q.uploaded
        )
    });
    page(
        &state,
        &session,
        &q.q,
        UploadFields::default(),
        Page::new("admin/media.html", "Media library", "media").notice(notice),
    )
    .await
}

fn read_error(e: MultipartError, max_mb: usize) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge(format!(
            "The file is larger than the {max_mb} MB limit. Nothing was uploaded."
        ))
    } else {
        AppError::BadRequest(format!("the upload could not be read ({})", e.body_text()))
    }
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

pub(crate) async fn upload(
    State(state): State<AppState>,
    session: Session,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let max_mb = state.newsroom.upload_max_mb;
    let mut csrf = String::new();
    let mut fields = UploadFields::default();
    let mut file: Option<(String, Option<String>, Bytes)> = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| read_error(e, max_mb))?
    {
        let name = field.name().unwrap_or("").to_owned();
        if name == "file" {
            let file_name = field.file_name().unwrap_or("").to_owned();
            let content_type = field.content_type().map(str::to_owned);
            let bytes = field.bytes().await.map_err(|e| read_error(e, max_mb))?;
            file = Some((file_name, content_type, bytes));
            continue;
        }
        let value = field.text().await.map_err(|e| read_error(e, max_mb))?;
        if name == "csrf" {
            csrf = value.trim().to_owned();
        } else {
            fields.set(&name, &value);
        }
    }
    session.check_csrf(&csrf)?;
    let refuse = |status: StatusCode, message: String, fields: UploadFields| {
        let state = state.clone();
        let session = session.clone();
        async move {
            page(
                &state,
                &session,
                "",
                fields,
                Page::new("admin/media.html", "Media library", "media")
                    .status(status)
                    .error(message),
            )
            .await
        }
    };
    let Some((file_name, content_type, bytes)) = file.filter(|f| !f.2.is_empty()) else {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose a photo to upload.".into(),
            fields,
        )
        .await;
    };
    // What the upload claims to be: its declared type, else its file name.
    let claimed = content_type
        .as_deref()
        .and_then(Format::from_mime)
        .or_else(|| Format::from_file_name(&file_name));
    match store_upload(&state, session.user.id, &file_name, claimed, bytes, &fields).await {
        Ok(media) => Ok(see_other(&format!("/admin/media?uploaded={}", media.id))),
        Err(UploadFailure::TooLarge(e)) => {
            refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("Not uploaded: {e}."),
                fields,
            )
            .await
        }
        Err(UploadFailure::Refused(e)) => {
            refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("Not uploaded: {e}."),
                fields,
            )
            .await
        }
        Err(UploadFailure::Internal(e)) => Err(e),
    }
}

/// Checks, re-encodes and stores a photo with its variants, and registers it in the library.
/// Nothing is left behind when any step fails. Shared by the upload form and the Admin API.
pub(crate) async fn store_upload(
    state: &AppState,
    user_id: i64,
    file_name: &str,
    claimed: Option<Format>,
    bytes: Bytes,
    fields: &UploadFields,
) -> Result<broadsheet_core::Media, UploadFailure> {
    let limits = state.newsroom.upload_limits();
    let processed =
        tokio::task::spawn_blocking(move || broadsheet_media::process(&bytes, claimed, &limits))
            .await
            .map_err(|e| UploadFailure::Internal(AppError::Internal(e.to_string())))?;
    let processed = match processed {
        Ok(p) => p,
        Err(e @ ProcessError::TooLarge { .. }) => {
            return Err(UploadFailure::TooLarge(e.to_string()));
        }
        Err(e) => return Err(UploadFailure::Refused(e.to_string())),
    };

    let now = chrono::Utc::now();
    let id = &broadsheet_app::secrets::random_token()[..10];
    let dir = format!("uploads/{}", now.format("%Y/%m"));
    let stem = stem(file_name);
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
        if let Err(e) = state
            .media_store
            .put(&path, Bytes::from(v.bytes.clone()), mime)
            .await
        {
            cleanup(state, &written).await;
            return Err(UploadFailure::Internal(AppError::Internal(e.to_string())));
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
        cleanup(state, &written).await;
        return Err(UploadFailure::Internal(AppError::Internal(
            "no JPEG variant was made".into(),
        )));
    };
    let part = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let bytes = processed
        .variants
        .iter()
        .find(|v| v.format == "jpeg" && v.width == largest.width)
        .map_or(0, |v| v.bytes.len() as u64);
    let saved = state
        .store
        .upsert_media(&NewMedia {
            path: largest.path.clone(),
            mime: "image/jpeg".into(),
            width: largest.width,
            height: largest.height,
            bytes,
            variants,
            name: file_name.chars().take(200).collect(),
            alt: fields.alt.trim().to_owned(),
            caption: fields.caption.trim().to_owned(),
            credit: Credit {
                photographer: part(&fields.photographer),
                agency: part(&fields.agency),
                via: part(&fields.via),
            },
            uploaded_by: Some(user_id),
        })
        .await;
    match saved {
        Ok(media) => {
            tracing::info!(media = media.id, user = user_id, "photo uploaded");
            Ok(media)
        }
        Err(e) => {
            cleanup(state, &written).await;
            Err(UploadFailure::Internal(e.into()))
        }
    }
}

async fn cleanup(state: &AppState, paths: &[String]) {
    for p in paths {
        if let Err(e) = state.media_store.delete(p).await {
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
