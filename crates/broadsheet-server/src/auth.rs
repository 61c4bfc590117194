//! Accounts on the HTTP side (passwords and tokens are `broadsheet_app::accounts` and
//! `broadsheet_app::secrets`): database sessions
//! behind an HttpOnly cookie, the per-session anti-forgery token, sign-in rate limits, and the
//! extractors that guard admin routes (`Session`, `Editor`, `Admin`).
//!
//! Cookies carry a random 256-bit value; the database keeps only its SHA-256, so neither a copy
//! of the database nor a log line can be replayed as a session.

use axum::extract::FromRequestParts;
use broadsheet_core::{Permission, User};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, header};

use crate::error::AppError;
use crate::state::AppState;

/// How long a session lasts without signing in again.
pub(crate) const SESSION_DAYS: i64 = 14;
/// How long a password reset link works.
pub(crate) const RESET_MINUTES: i64 = 60;

pub use broadsheet_app::accounts::{
    self, dummy_hash, hash_password, password_problem, verify_password,
};
pub use broadsheet_app::secrets::{random_token, same, token_hash};

/// `hash_password` on a blocking thread, its failure as an HTTP error.
pub(crate) async fn hash_password_off_thread(password: String) -> Result<String, AppError> {
    Ok(accounts::hash_password_off_thread(password).await?)
}

/// The session cookie's name: `__Host-` prefixed (HTTPS only, this host only) when the site
/// is served over HTTPS.
pub(crate) fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-bs_session"
    } else {
        "bs_session"
    }
}

pub(crate) fn session_cookie(secure: bool, token: &str) -> HeaderValue {
    let secure_attr = if secure { "; Secure" } else { "" };
    let value = format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure_attr}",
        cookie_name(secure),
        SESSION_DAYS * 86_400
    );
    HeaderValue::from_str(&value).expect("token is hex")
}

pub(crate) fn clear_cookie(secure: bool) -> HeaderValue {
    let secure_attr = if secure { "; Secure" } else { "" };
    let value = format!(
        "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure_attr}",
        cookie_name(secure)
    );
    HeaderValue::from_str(&value).expect("static cookie")
}

/// The session token from the request's cookies, if it has the right shape. Anything else
/// (a tampered, truncated or foreign value) is treated as no session at all.
pub(crate) fn cookie_token(headers: &HeaderMap, secure: bool) -> Option<String> {
    let name = cookie_name(secure);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The signed-in user of this request. Without a live session the request is sent to the
/// sign-in page (for a page) or refused (for anything else).
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub user: User,
    pub csrf: String,
    pub token_hash: String,
}

impl Session {
    /// Checks the anti-forgery token a form echoed back.
    pub fn check_csrf(&self, sent: &str) -> Result<(), AppError> {
        if same(&self.csrf, sent) {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "This form has expired or did not come from this site. Go back, reload the \
                 page and try again; nothing was saved."
                    .into(),
            ))
        }
    }

    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        if permission.allows(self.user.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "Your role ({}) does not allow this.",
                self.user.role.label()
            )))
        }
    }
}

impl FromRequestParts<AppState> for Session {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(s) = parts.extensions.get::<Session>() {
            return Ok(s.clone());
        }
        let secure = state.newsroom.secure_cookies;
        let next = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/admin".into());
        let signed_out = || AppError::SignIn {
            next: next.clone(),
            get: parts.method == http::Method::GET,
        };
        let Some(token) = cookie_token(&parts.headers, secure) else {
            return Err(signed_out());
        };
        let hash = token_hash(&token);
        let Some(info) = state.store.session(&hash, chrono::Utc::now()).await? else {
            return Err(signed_out());
        };
        let session = Session {
            user: info.user,
            csrf: info.csrf,
            token_hash: hash,
        };
        parts.extensions.insert(session.clone());
        Ok(session)
    }
}

/// A signed-in editor or admin (sections, menu, tags, home page, audit log).
pub(crate) struct Editor(pub Session);

impl FromRequestParts<AppState> for Editor {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let s = Session::from_request_parts(parts, state).await?;
        s.require(Permission::ManageSite)?;
        Ok(Self(s))
    }
}

/// A signed-in admin (users, site settings).
pub(crate) struct Admin(pub Session);

impl FromRequestParts<AppState> for Admin {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let s = Session::from_request_parts(parts, state).await?;
        s.require(Permission::Admin)?;
        Ok(Self(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_only_their_hash_is_stored() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_ne!(token_hash(&a), a);
        assert_eq!(token_hash(&a), token_hash(&a));
    }

    #[test]
    fn only_a_well_formed_cookie_names_a_session() {
        let token = random_token();
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("a=1; bs_session={token}; b=2")).expect("header"),
        );
        assert_eq!(cookie_token(&h, false), Some(token.clone()));
        assert_eq!(cookie_token(&h, true), None, "secure sites use __Host-");
        for bad in [
            "bs_session=",
            "bs_session=zz",
            "bs_session=../../etc",
            &format!("bs_session={token}x"),
        ] {
            let mut h = HeaderMap::new();
            h.insert(header::COOKIE, HeaderValue::from_str(bad).expect("header"));
            assert_eq!(cookie_token(&h, false), None, "{bad}");
        }
    }

    #[test]
    fn cookies_are_http_only_lax_and_secure_over_https() {
        let c = session_cookie(true, "ab");
        let c = c.to_str().expect("ascii");
        assert!(c.starts_with("__Host-bs_session=ab;"));
        for attr in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
            assert!(c.contains(attr), "{c}");
        }
        assert!(
            !session_cookie(false, "ab")
                .to_str()
                .expect("ascii")
                .contains("Secure")
        );
    }
}
