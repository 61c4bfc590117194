//! Signing in and out, password reset by e-mail, and the one-time setup of the first admin.
//! Messages never say whether an address has an account.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use broadsheet_core::{Email, Role};
use broadsheet_store::{NewUser, TokenKind};
use chrono::{Duration, Utc};
use http::{HeaderMap, StatusCode, header};
use serde::{Deserialize, Serialize};

use super::{Page, safe_next, see_other};
use crate::auth::{
    self, RESET_MINUTES, SESSION_DAYS, Session, hash_password_off_thread, password_problem,
    random_token, token_hash,
};
use crate::error::AppError;
use crate::routes::Client;
use crate::state::AppState;

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct SignInQuery {
    next: String,
    reset: Option<String>,
    signed_out: Option<String>,
}

#[derive(Serialize, Default)]
struct SignInPage {
    next: String,
    email: String,
}

pub(crate) async fn sign_in_form(
    State(state): State<AppState>,
    Query(q): Query<SignInQuery>,
) -> Result<Response, AppError> {
    let notice = if q.reset.is_some() {
        Some("Your password has been changed. Sign in with the new one.".to_owned())
    } else if q.signed_out.is_some() {
        Some("You have signed out.".to_owned())
    } else {
        None
    };
    Page::new("admin/sign_in.html", "Sign in", "")
        .notice(notice)
        .render(
            &state,
            None,
            SignInPage {
                next: safe_next(&q.next).to_owned(),
                email: String::new(),
            },
        )
}

#[derive(Deserialize)]
pub(crate) struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub(crate) async fn sign_in(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Result<Response, AppError> {
    let next = safe_next(&form.next).to_owned();
    let again = |status: StatusCode, message: &str| {
        Page::new("admin/sign_in.html", "Sign in", "")
            .status(status)
            .error(message)
            .render(
                &state,
                None,
                SignInPage {
                    next: next.clone(),
                    email: form.email.clone(),
                },
            )
    };
    if let Err(e) = state.sign_in_limiter.check(client.ip(), form.email.trim()) {
        let mut r = again(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many sign-in attempts. Please wait a minute and try again.",
        )?;
        if let AppError::TooManyAttempts { retry_after_secs } = e
            && let Ok(v) = http::HeaderValue::from_str(&retry_after_secs.to_string())
        {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Ok(r);
    }
    let wrong = "That e-mail address and password do not match an account.";
    let found = match Email::parse(&form.email) {
        Ok(email) => state.store.user_by_email(&email).await?,
        Err(_) => None,
    };
    // The same work whether or not the account exists.
    let hash = found
        .as_ref()
        .map_or_else(|| auth::dummy_hash().to_owned(), |(_, h)| h.clone());
    let password = form.password.clone();
    let matches = auth::accounts::verify_password_off_thread(hash, password).await?;
    let user = match found {
        Some((user, _)) if matches && !user.disabled => user,
        _ => return again(StatusCode::UNAUTHORIZED, wrong),
    };
    // A new session id at every sign-in; any session the browser had before ends.
    let secure = state.newsroom.secure_cookies;
    if let Some(old) = auth::cookie_token(&headers, secure) {
        state.store.delete_session(&token_hash(&old)).await?;
    }
    tracing::info!(user = user.id, "signed in");
    start_session(&state, user.id, &next).await
}

/// A new session for `user_id` (a fresh id and anti-forgery token) and a redirect to `to` that
/// sets its cookie.
async fn start_session(state: &AppState, user_id: i64, to: &str) -> Result<Response, AppError> {
    let token = random_token();
    state
        .store
        .create_session(
            &token_hash(&token),
            user_id,
            &random_token(),
            Utc::now() + Duration::days(SESSION_DAYS),
        )
        .await?;
    let mut r = see_other(to);
    r.headers_mut().insert(
        header::SET_COOKIE,
        auth::session_cookie(state.newsroom.secure_cookies, &token),
    );
    Ok(r)
}

#[derive(Deserialize)]
pub(crate) struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub(crate) async fn sign_out(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, AppError> {
    session.check_csrf(&form.csrf)?;
    state.store.delete_session(&session.token_hash).await?;
    let mut r = see_other("/admin/sign-in?signed_out=1");
    r.headers_mut().insert(
        header::SET_COOKIE,
        auth::clear_cookie(state.newsroom.secure_cookies),
    );
    Ok(r)
}

#[derive(Serialize, Default)]
struct ResetPage {
    email: String,
    sent: bool,
}

pub(crate) async fn reset_form(State(state): State<AppState>) -> Result<Response, AppError> {
    Page::new("admin/reset.html", "Reset your password", "").render(
        &state,
        None,
        ResetPage::default(),
    )
}

#[derive(Deserialize)]
pub(crate) struct ResetRequest {
    #[serde(default)]
    email: String,
}

pub(crate) async fn reset_request(
    State(state): State<AppState>,
    client: Client,
    Form(form): Form<ResetRequest>,
) -> Result<Response, AppError> {
    state
        .sign_in_limiter
        .check(client.ip(), &format!("reset:{}", form.email.trim()))?;
    let Ok(email) = Email::parse(&form.email) else {
        return Page::new("admin/reset.html", "Reset your password", "")
            .status(StatusCode::UNPROCESSABLE_ENTITY)
            .error("Please enter an e-mail address such as name@example.com.")
            .render(
                &state,
                None,
                ResetPage {
                    email: form.email,
                    sent: false,
                },
            );
    };
    if let Some((user, _)) = state.store.user_by_email(&email).await?
        && !user.disabled
    {
        send_reset_link(&state, &user, false).await?;
    }
    Page::new("admin/reset.html", "Reset your password", "").render(
        &state,
        None,
        ResetPage {
            email: String::new(),
            sent: true,
        },
    )
}

/// Mails `user` a one-time link to set a password: a reset, or an invitation for a new account.
pub(crate) async fn send_reset_link(
    state: &AppState,
    user: &broadsheet_core::User,
    invitation: bool,
) -> Result<(), AppError> {
    let token = random_token();
    let minutes = if invitation { 72 * 60 } else { RESET_MINUTES };
    state
        .store
        .create_token(
            TokenKind::Reset,
            &token_hash(&token),
            Some(user.id),
            Utc::now() + Duration::minutes(minutes),
        )
        .await?;
    let site = state.site();
    let link = site.url(&format!("/admin/reset/{token}"));
    let (subject, text) = if invitation {
        (
            format!(
                "You have been invited to {} newsroom",
                broadsheet_core::prose::with_the(&site.name, false)
            ),
            format!(
                "Hello {},\n\nAn account has been created for you in {} newsroom. Choose your \
                 password here (the link works once, for 3 days):\n\n{link}\n",
                user.name,
                broadsheet_core::prose::with_the(&site.name, false)
            ),
        )
    } else {
        (
            format!("Reset your password for {}", site.name),
            format!(
                "Hello {},\n\nSomeone (we hope you) asked to reset your password. Choose a new one \
                 here (the link works once, for {RESET_MINUTES} minutes):\n\n{link}\n\nIf you did \
                 not ask, ignore this message: your password has not changed.\n",
                user.name
            ),
        )
    };
    state
        .mailer
        .send(&broadsheet_mail::Email {
            to: user.email.to_string(),
            subject,
            text,
            ..Default::default()
        })
        .await
        .map_err(|e| AppError::Internal(format!("cannot send mail: {e}")))?;
    Ok(())
}

#[derive(Serialize)]
struct NewPasswordPage {
    token: String,
}

fn token_param(raw: &str) -> Result<String, AppError> {
    if raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(raw.to_owned())
    } else {
        Err(expired_link())
    }
}

fn expired_link() -> AppError {
    AppError::Unprocessable(
        "This link has expired or has already been used. Ask for a new one from the sign-in page."
            .into(),
    )
}

pub(crate) async fn new_password_form(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let token = token_param(&token)?;
    Page::new("admin/new_password.html", "Choose a new password", "").render(
        &state,
        None,
        NewPasswordPage { token },
    )
}

#[derive(Deserialize)]
pub(crate) struct NewPassword {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

pub(crate) async fn new_password(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(form): Form<NewPassword>,
) -> Result<Response, AppError> {
    let token = token_param(&token)?;
    let problem = password_problem(&form.password).or_else(|| {
        (form.password != form.confirm).then(|| "The two passwords differ.".to_owned())
    });
    if let Some(problem) = problem {
        // The link is not used up by a typo.
        return Page::new("admin/new_password.html", "Choose a new password", "")
            .status(StatusCode::UNPROCESSABLE_ENTITY)
            .error(problem)
            .render(&state, None, NewPasswordPage { token });
    }
    let Some(Some(user_id)) = state
        .store
        .take_token(TokenKind::Reset, &token_hash(&token), Utc::now())
        .await?
    else {
        return Err(expired_link());
    };
    let password = form.password;
    let hash = hash_password_off_thread(password).await?;
    state.store.set_password(user_id, &hash).await?;
    tracing::info!(user = user_id, "password reset");
    Ok(see_other("/admin/sign-in?reset=1"))
}

#[derive(Serialize, Default)]
struct SetupPage {
    token: String,
    name: String,
    email: String,
}

pub(crate) async fn setup_form(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let token = token_param(&token)?;
    if state.store.user_count().await? > 0 {
        return Err(already_set_up());
    }
    Page::new("admin/setup.html", "Create the first account", "").render(
        &state,
        None,
        SetupPage {
            token,
            ..Default::default()
        },
    )
}

fn already_set_up() -> AppError {
    AppError::Unprocessable(
        "This site already has an administrator. Sign in, or ask an administrator for an account."
            .into(),
    )
}

#[derive(Deserialize)]
pub(crate) struct SetupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub(crate) async fn setup(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(form): Form<SetupForm>,
) -> Result<Response, AppError> {
    let token = token_param(&token)?;
    if state.store.user_count().await? > 0 {
        return Err(already_set_up());
    }
    let again = |problem: String| {
        Page::new("admin/setup.html", "Create the first account", "")
            .status(StatusCode::UNPROCESSABLE_ENTITY)
            .error(problem)
            .render(
                &state,
                None,
                SetupPage {
                    token: token.clone(),
                    name: form.name.clone(),
                    email: form.email.clone(),
                },
            )
    };
    let email = match Email::parse(&form.email) {
        Ok(e) => e,
        Err(e) => return again(format!("The e-mail address {}.", e.reason)),
    };
    if let Some(p) = password_problem(&form.password) {
        return again(p);
    }
    if form.name.trim().is_empty() {
        return again("Please give your name.".to_owned());
    }
    if state
        .store
        .take_token(TokenKind::Setup, &token_hash(&token), Utc::now())
        .await?
        .is_none()
    {
        return Err(expired_link());
    }
    let password = form.password;
    let hash = hash_password_off_thread(password).await?;
    let user = state
        .store
        .create_user(&NewUser {
            email,
            name: form.name.trim().to_owned(),
            role: Role::Admin,
            password_hash: hash,
        })
        .await?;
    tracing::info!(user = user.id, "first administrator created");
    start_session(&state, user.id, "/admin").await
}
