//! The media library: search by name, caption, alt text and credit, and the upload form. The
//! upload itself is `broadsheet_app::media::store_upload` (checked and processed completely
//! before anything is written; a refused upload leaves nothing behind).

use axum::extract::multipart::MultipartError;
use axum::extract::{Multipart, Query, State};
use axum::response::Response;
use broadsheet_app::media::{MediaDetails, Upload, UploadError, store_upload};
use broadsheet_core::{Credit, LibraryItem};
use broadsheet_media::Format;
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
    /// The copy a photo in the story's body uses: the JPEG variant nearest 1,200 px wide.
    large: String,
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
    /// What the form says, for the library: the credit's parts as one `Credit`.
    pub fn details(&self) -> MediaDetails {
        MediaDetails {
            alt: self.alt.clone(),
            caption: self.caption.clone(),
            credit: Credit {
                photographer: Some(self.photographer.clone()),
                agency: Some(self.agency.clone()),
                via: Some(self.via.clone()),
            },
        }
    }

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
            large: item
                .media
                .variants
                .iter()
                .filter(|v| v.format == "jpeg")
                .min_by_key(|v| v.width.abs_diff(1200))
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
    let upload = Upload {
        user_id: session.user.id,
        file_name,
        claimed,
        bytes,
        details: fields.details(),
    };
    match store_upload(&state, state.newsroom.upload_limits(), upload).await {
        Ok(media) => Ok(see_other(&format!("/admin/media?uploaded={}", media.id))),
        Err(UploadError::TooLarge(e)) => {
            refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("Not uploaded: {e}."),
                fields,
            )
            .await
        }
        Err(UploadError::Refused(e)) => {
            refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("Not uploaded: {e}."),
                fields,
            )
            .await
        }
        Err(UploadError::Failed(e)) => Err(e.into()),
    }
}
