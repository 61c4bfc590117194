//! `/admin/api-keys`: keys for the Content API (read) and the Admin API (write as a user).
//! Admins only. A new key is shown once, on the page that made it; the database keeps only
//! its hash, so a lost key is revoked and replaced, never recovered.

use axum::Form;
use axum::extract::State;
use axum::response::Response;
use broadsheet_store::{ApiKey, ApiKeyKind, StoreError};
use http::StatusCode;
use serde::{Deserialize, Serialize};

use super::{Page, local_label};
use crate::auth::{Admin, Session};
use crate::error::AppError;
use crate::state::AppState;

#[derive(Serialize)]
struct Row {
    #[serde(flatten)]
    key: ApiKey,
    user: String,
    made: String,
    revoked: String,
}

#[derive(Serialize)]
struct KeysPage {
    keys: Vec<Row>,
    users: Vec<(i64, String)>,
    /// The key just made, shown this once.
    new_key: Option<String>,
}

async fn render(
    state: &AppState,
    session: &Session,
    page: Page<'_>,
    new_key: Option<String>,
) -> Result<Response, AppError> {
    let users = state.store.users().await?;
    let tz = state.site().tz();
    let keys = state
        .store
        .api_keys()
        .await?
        .into_iter()
        .map(|k| Row {
            user: k
                .user_id
                .and_then(|id| users.iter().find(|u| u.id == id))
                .map(|u| u.email.as_str().to_owned())
                .unwrap_or_default(),
            made: local_label(Some(k.created_at), tz),
            revoked: k
                .revoked_at
                .map(|t| local_label(Some(t), tz))
                .unwrap_or_default(),
            key: k,
        })
        .collect();
    let users = users
        .into_iter()
        .filter(|u| !u.disabled)
        .map(|u| {
            (
                u.id,
                format!("{} ({}, {})", u.name, u.email.as_str(), u.role.label()),
            )
        })
        .collect();
    page.render(
        state,
        Some(session),
        KeysPage {
            keys,
            users,
            new_key,
        },
    )
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Admin(session): Admin,
) -> Result<Response, AppError> {
    render(
        &state,
        &session,
        Page::new("admin/api_keys.html", "API keys", "api-keys"),
        None,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct KeyForm {
    csrf: String,
    name: String,
    /// `content`, or a user's id for an admin key.
    owner: String,
    /// `create` or `revoke`.
    action: String,
    id: String,
}

pub(crate) async fn save(
    State(state): State<AppState>,
    Admin(session): Admin,
    Form(f): Form<KeyForm>,
) -> Result<Response, AppError> {
    session.check_csrf(&f.csrf)?;
    let page = || Page::new("admin/api_keys.html", "API keys", "api-keys");
    if f.action == "revoke" {
        let id: i64 =
            f.id.parse()
                .map_err(|_| AppError::BadRequest("the key is not valid".into()))?;
        if !state.store.revoke_api_key(id, chrono::Utc::now()).await? {
            return Err(AppError::NotFound);
        }
        tracing::info!(key = id, user = session.user.id, "API key revoked");
        return render(
            &state,
            &session,
            page().notice(Some("Key revoked.".into())),
            None,
        )
        .await;
    }
    let (kind, user_id) = match f.owner.as_str() {
        "" | "content" => (ApiKeyKind::Content, None),
        id => match id.parse::<i64>() {
            Ok(id)
                if state
                    .store
                    .user_by_id(id)
                    .await?
                    .is_some_and(|u| !u.disabled) =>
            {
                (ApiKeyKind::Admin, Some(id))
            }
            _ => {
                return render(
                    &state,
                    &session,
                    page()
                        .status(StatusCode::UNPROCESSABLE_ENTITY)
                        .error("Not made: choose a user who can sign in, or a content key."),
                    None,
                )
                .await;
            }
        },
    };
    match crate::api::create_api_key(state.store.as_ref(), &f.name, kind, user_id).await {
        Ok((key, record)) => {
            tracing::info!(key = record.id, user = session.user.id, "API key made");
            render(
                &state,
                &session,
                page().notice(Some("Key made. Copy it now: it is not shown again.".into())),
                Some(key),
            )
            .await
        }
        Err(StoreError::Invalid(e)) => {
            render(
                &state,
                &session,
                page()
                    .status(StatusCode::UNPROCESSABLE_ENTITY)
                    .error(format!("Not made: {e}.")),
                None,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
