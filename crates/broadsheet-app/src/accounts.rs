//! Accounts as the application sees them: passwords (argon2id hashing, verification and the
//! rules a new one must meet), API keys (made here, shown once, only their hash kept), and the
//! first administrator's setup link, which `serve` prints on a site that has no accounts yet.
//! The admin's forms, `broadsheet user add` and `broadsheet api-key add` all call these.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use broadsheet_store::{Accounts, ApiKey, ApiKeyKind, NewApiKey, StoreError, TokenKind};

use crate::context::App;
use crate::secrets::{random_token, token_hash};

pub const MIN_PASSWORD: usize = 10;
pub const MAX_PASSWORD: usize = 1024;

/// An argon2id PHC string for `password` (RustCrypto's recommended parameters).
pub fn hash_password(password: &str) -> Result<String, crate::Error> {
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| crate::Error::Internal(format!("cannot hash a password: {e}")))
}

/// Argon2id is deliberately slow and memory-hungry (19 MiB a hash with the default
/// parameters): at most one hash per core runs at once, so a burst of sign-ins waits its turn
/// instead of taking memory for all of them at the same moment.
fn argon2_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    })
}

/// `f` on a blocking thread, holding one of the argon2 slots.
async fn with_argon2_slot<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, crate::Error> {
    let _slot = argon2_slots()
        .acquire()
        .await
        .map_err(|e| crate::Error::Worker(e.to_string()))?;
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| crate::Error::Worker(e.to_string()))
}

/// `hash_password` on a blocking thread, in its turn: argon2 must not hold up an async
/// worker, nor run for every request at once.
pub async fn hash_password_off_thread(password: String) -> Result<String, crate::Error> {
    with_argon2_slot(move || hash_password(&password)).await?
}

/// `verify_password` on a blocking thread, in its turn.
pub async fn verify_password_off_thread(
    hash: String,
    password: String,
) -> Result<bool, crate::Error> {
    with_argon2_slot(move || verify_password(&hash, &password)).await
}

/// Whether `password` matches the stored PHC string; a malformed hash never matches.
pub fn verify_password(hash: &str, password: &str) -> bool {
    argon2::Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// A hash no password matches, compared against when the address is unknown so that sign-in
/// takes as long for a wrong address as for a wrong password.
pub fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(&random_token()).unwrap_or_default())
}

/// The rules a new password must meet, as a message for the person choosing it.
pub fn password_problem(password: &str) -> Option<String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD {
        Some(format!(
            "The password needs at least {MIN_PASSWORD} characters."
        ))
    } else if n > MAX_PASSWORD {
        Some(format!(
            "The password can have at most {MAX_PASSWORD} characters."
        ))
    } else {
        None
    }
}

/// Makes an API key: returns it (shown once; only its hash is kept) and its record. Needs
/// only the accounts part of the store.
pub async fn create_api_key(
    store: &dyn Accounts,
    name: &str,
    kind: ApiKeyKind,
    user_id: Option<i64>,
) -> Result<(String, ApiKey), StoreError> {
    let key = format!(
        "{}{}",
        match kind {
            ApiKeyKind::Content => "bsc_",
            ApiKeyKind::Admin => "bsa_",
        },
        random_token()
    );
    let prefix = key[..12].to_owned();
    let record = store
        .create_api_key(&NewApiKey {
            name,
            kind,
            key_hash: &token_hash(&key),
            prefix: &prefix,
            user_id,
        })
        .await?;
    Ok((key, record))
}

/// How long the first-admin setup link works.
pub const SETUP_HOURS: i64 = 24;

impl App {
    /// On a site without accounts, a one-time link (valid for a day) that creates the first
    /// administrator; `None` once anyone has an account.
    pub async fn setup_link(&self) -> Result<Option<String>, StoreError> {
        if self.store.user_count().await? > 0 {
            return Ok(None);
        }
        let token = random_token();
        self.store
            .create_token(
                TokenKind::Setup,
                &token_hash(&token),
                None,
                self.now() + chrono::Duration::hours(SETUP_HOURS),
            )
            .await?;
        Ok(Some(format!("/admin/setup/{token}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse battery").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "correct horse battery"));
        assert!(!verify_password(&h, "correct horse batterY"));
        assert!(!verify_password("not a hash", "x"));
        assert!(!verify_password(dummy_hash(), ""));
        assert!(password_problem("short").is_some());
        assert!(password_problem("long enough now").is_none());
        assert!(password_problem(&"x".repeat(MAX_PASSWORD + 1)).is_some());
    }
}
