//! Accounts as the application sees them: the first administrator's setup link, which
//! `serve` prints on a site that has no accounts yet.

use broadsheet_store::{StoreError, TokenKind};

use crate::context::App;

/// How long the first-admin setup link works.
pub const SETUP_HOURS: i64 = 24;

impl App {
    /// On a site without accounts, a one-time link (valid for a day) that creates the first
    /// administrator; `None` once anyone has an account.
    pub async fn setup_link(&self) -> Result<Option<String>, StoreError> {
        if self.store.user_count().await? > 0 {
            return Ok(None);
        }
        let token = crate::secrets::random_token();
        self.store
            .create_token(
                TokenKind::Setup,
                &crate::secrets::token_hash(&token),
                None,
                self.now() + chrono::Duration::hours(SETUP_HOURS),
            )
            .await?;
        Ok(Some(format!("/admin/setup/{token}")))
    }
}
