//! The accounts part of the persistence seam: newsroom users, their sessions, API keys and
//! one-time links (invitations, password resets). `Store` requires it; a caller that only
//! signs people in can name this part alone.

use async_trait::async_trait;
use broadsheet_core::{Email, Role, Timestamp, User};

use crate::Result;

/// An account to create. `password_hash` is a PHC string (argon2id); the store never sees a
/// password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub email: Email,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
}

/// A live session and whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub user: User,
    /// The session's anti-forgery token, echoed by every admin form.
    pub csrf: String,
    pub expires_at: Timestamp,
}

/// What a one-time link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Sets a new password for `user_id`.
    Reset,
    /// Creates the first administrator on a site without users.
    Setup,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reset => "reset",
            Self::Setup => "setup",
        }
    }
}

/// What an API key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiKeyKind {
    /// Reads the public Content API.
    Content,
    /// Acts through the Admin API with its user's role.
    Admin,
}

impl ApiKeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Content => "content",
            Self::Admin => "admin",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "content" => Some(Self::Content),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// A key of the HTTP API, without the key itself (only its hash is stored).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApiKey {
    pub id: i64,
    pub name: String,
    pub kind: ApiKeyKind,
    /// The first characters of the key, to tell keys apart in a list.
    pub prefix: String,
    pub user_id: Option<i64>,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

/// A key to record: `user_id` is required for an admin key and refused for a content key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey<'a> {
    pub name: &'a str,
    pub kind: ApiKeyKind,
    pub key_hash: &'a str,
    pub prefix: &'a str,
    pub user_id: Option<i64>,
}

pub(crate) fn api_key_kind(s: &str) -> crate::Result<ApiKeyKind> {
    ApiKeyKind::parse(s).ok_or_else(|| {
        broadsheet_core::CoreError::invalid("kind", format!("{s:?} is not an API key kind")).into()
    })
}

#[async_trait]
pub trait Accounts: Send + Sync {
    /// Creates an account with a byline profile of the same name. A taken address is
    /// `StoreError::Conflict`.
    async fn create_user(&self, user: &NewUser) -> Result<User>;
    async fn user_count(&self) -> Result<i64>;
    /// The account with this address and its password hash.
    async fn user_by_email(&self, email: &Email) -> Result<Option<(User, String)>>;
    async fn user_by_id(&self, id: i64) -> Result<Option<User>>;
    async fn users(&self) -> Result<Vec<User>>;
    /// Changes role and access; disabling ends the user's sessions.
    async fn update_user(&self, id: i64, role: Role, disabled: bool) -> Result<()>;
    /// Replaces the password hash and ends every session of the user.
    async fn set_password(&self, id: i64, password_hash: &str) -> Result<()>;

    async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf: &str,
        expires_at: Timestamp,
    ) -> Result<()>;
    /// The unexpired session with this token hash, if its user is still enabled.
    async fn session(&self, token_hash: &str, now: Timestamp) -> Result<Option<SessionInfo>>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;

    /// Records an API key (its hash). A content key with a user, or an admin key without
    /// one, is `StoreError::Invalid`.
    async fn create_api_key(&self, key: &NewApiKey<'_>) -> Result<ApiKey>;
    /// The unrevoked key with this hash (for an admin key, only while its user is enabled).
    async fn api_key(&self, key_hash: &str) -> Result<Option<ApiKey>>;
    /// Every key, revoked ones included, newest first.
    async fn api_keys(&self) -> Result<Vec<ApiKey>>;
    /// Revokes a key; `false` when there is no such unrevoked key.
    async fn revoke_api_key(&self, id: i64, now: Timestamp) -> Result<bool>;

    async fn create_token(
        &self,
        kind: TokenKind,
        token_hash: &str,
        user_id: Option<i64>,
        expires_at: Timestamp,
    ) -> Result<()>;
    /// Uses a one-time token: `Some(user_id)` the first time, before it expires; `None` for
    /// an unknown, expired or already used one (the caller cannot tell which, nor can anyone
    /// probing links).
    async fn take_token(
        &self,
        kind: TokenKind,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<Option<i64>>>;
}
