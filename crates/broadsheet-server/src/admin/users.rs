//! Newsroom accounts (admins): the list, adding a user with an invitation to choose a
//! password, and changing a user's role or access.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use broadsheet_core::{Email, Role, User};
use broadsheet_store::{NewAudit, NewUser, StoreError};
use http::StatusCode;
use serde::{Deserialize, Serialize};

use super::site::Done;
use super::{Page, see_other};
use crate::auth::{Admin, Session, random_token};
use crate::error::AppError;
use crate::state::AppState;

#[derive(Serialize)]
struct UsersPage {
    users: Vec<User>,
    roles: Vec<(&'static str, &'static str)>,
    form: NewUserForm,
}

#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
pub(crate) struct NewUserForm {
    #[serde(skip_serializing)]
    csrf: String,
    email: String,
    name: String,
    role: String,
}

async fn users_page(
    state: &AppState,
    session: &Session,
    form: NewUserForm,
    page: Page<'_>,
) -> Result<Response, AppError> {
    page.render(
        state,
        Some(session),
        UsersPage {
            users: state.store.users().await?,
            roles: Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
            form,
        },
    )
}

pub(crate) async fn users(
    State(state): State<AppState>,
    Admin(session): Admin,
    Query(d): Query<Done>,
) -> Result<Response, AppError> {
    let notice = match d.saved.as_str() {
        "" => None,
        "invited" => Some("Account created; an invitation to choose a password was sent.".into()),
        _ => Some("Saved.".into()),
    };
    users_page(
        &state,
        &session,
        NewUserForm {
            role: "contributor".into(),
            ..Default::default()
        },
        Page::new("admin/users.html", "Users", "users").notice(notice),
    )
    .await
}

pub(crate) async fn add_user(
    State(state): State<AppState>,
    Admin(session): Admin,
    Form(f): Form<NewUserForm>,
) -> Result<Response, AppError> {
    session.check_csrf(&f.csrf)?;
    let problem = |m: String, f: NewUserForm| {
        let state = state.clone();
        let session = session.clone();
        async move {
            users_page(
                &state,
                &session,
                f,
                Page::new("admin/users.html", "Users", "users")
                    .status(StatusCode::UNPROCESSABLE_ENTITY)
                    .error(m),
            )
            .await
        }
    };
    let email = match Email::parse(&f.email) {
        Ok(e) => e,
        Err(e) => return problem(format!("The e-mail address {}.", e.reason), f).await,
    };
    let role: Role = match f.role.parse() {
        Ok(r) => r,
        Err(_) => return problem("Choose a role.".into(), f).await,
    };
    if f.name.trim().is_empty() {
        return problem("Give the person's name as it appears on bylines.".into(), f).await;
    }
    // A random password nobody knows: the invitation link sets the real one.
    let hash = crate::auth::hash_password_off_thread(random_token()).await?;
    let user = match state
        .store
        .create_user(&NewUser {
            email,
            name: f.name.trim().to_owned(),
            role,
            password_hash: hash,
        })
        .await
    {
        Ok(u) => u,
        Err(
            StoreError::Conflict(why)
            | StoreError::Invalid(broadsheet_core::CoreError { reason: why, .. }),
        ) => {
            return problem(format!("Not created: {why}."), f).await;
        }
        Err(e) => return Err(e.into()),
    };
    super::account::send_reset_link(&state, &user, true).await?;
    state
        .store
        .record_audit(&NewAudit {
            user_id: Some(session.user.id),
            action: "user invited",
            article_id: None,
            detail: format!("{} ({})", user.email, user.role),
        })
        .await?;
    Ok(see_other("/admin/users?saved=invited"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct UpdateUserForm {
    csrf: String,
    role: String,
    disabled: String,
}

pub(crate) async fn update_user(
    State(state): State<AppState>,
    Admin(session): Admin,
    Path(id): Path<String>,
    Form(f): Form<UpdateUserForm>,
) -> Result<Response, AppError> {
    session.check_csrf(&f.csrf)?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let role: Role = f
        .role
        .parse()
        .map_err(|_| AppError::Unprocessable("Choose a role from the list.".into()))?;
    let user = state
        .store
        .user_by_id(id)
        .await?
        .ok_or(AppError::NotFound)?;
    match state
        .store
        .update_user(id, role, !f.disabled.is_empty())
        .await
    {
        Ok(()) => {}
        Err(StoreError::Conflict(why)) => {
            return users_page(
                &state,
                &session,
                NewUserForm::default(),
                Page::new("admin/users.html", "Users", "users")
                    .status(StatusCode::CONFLICT)
                    .error(format!("Not changed: {why}.")),
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    }
    state
        .store
        .record_audit(&NewAudit {
            user_id: Some(session.user.id),
            action: "user changed",
            article_id: None,
            detail: format!(
                "{}: {} → {}{}",
                user.email,
                user.role,
                role,
                if f.disabled.is_empty() {
                    ""
                } else {
                    ", disabled"
                }
            ),
        })
        .await?;
    Ok(see_other("/admin/users?saved=1"))
}
