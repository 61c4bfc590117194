//! The accounts tables on SQLite and PostgreSQL: users, sessions, API keys and one-time
//! tokens. Creating an account is audited in the same transaction.

use async_trait::async_trait;
use broadsheet_core::{CoreError, Email, Role, Slug, Timestamp, User};
use chrono::Utc;
use sqlx::Row;

use super::newsroom::audit;
use super::rows::ts;
use super::{Backend, DbRow};
use crate::accounts::{Accounts, ApiKey, ApiKeyKind, NewApiKey, NewUser, SessionInfo, TokenKind};
use crate::{Result, StoreError};

const USER_COLUMNS: &str =
    "SELECT id, email, name, role, author_id, disabled, created_at, password_hash FROM users";

fn user_from_row(r: &DbRow) -> Result<User> {
    let email: String = r.try_get("email")?;
    let role: String = r.try_get("role")?;
    Ok(User {
        id: r.try_get("id")?,
        email: Email::parse(&email)?,
        name: r.try_get("name")?,
        role: role.parse()?,
        author_id: r.try_get("author_id")?,
        disabled: r.try_get("disabled")?,
        created_at: ts(r.try_get("created_at")?),
    })
}

#[async_trait]
impl Accounts for Backend {
    async fn create_user(&self, u: &NewUser) -> Result<User> {
        let name = u.name.trim();
        if name.is_empty() || name.chars().count() > 120 {
            return Err(CoreError::invalid("name", "must be 1 to 120 characters").into());
        }
        let mut tx = self.begin().await?;
        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(u.email.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(format!(
                "an account for {} already exists",
                u.email
            )));
        }
        // The byline profile: an author of that name if there is one (a writer whose stories
        // were imported before they had an account), else a new one.
        let base = Slug::derive(name).unwrap_or_else(|| Slug::parse("author").expect("literal"));
        let author_id: i64 = match sqlx::query_scalar::<_, i64>(
            "SELECT id FROM authors WHERE slug = $1 AND id NOT IN
               (SELECT author_id FROM users WHERE author_id IS NOT NULL)",
        )
        .bind(base.as_str())
        .fetch_optional(&mut *tx)
        .await?
        {
            Some(id) => id,
            None => {
                let mut n = 1;
                loop {
                    let slug = if n == 1 {
                        base.clone()
                    } else {
                        base.with_suffix(n)
                    };
                    let inserted: Option<i64> = sqlx::query_scalar(
                        "INSERT INTO authors (slug, name) VALUES ($1, $2)
                         ON CONFLICT (slug) DO NOTHING RETURNING id",
                    )
                    .bind(slug.as_str())
                    .bind(name)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some(id) = inserted {
                        break id;
                    }
                    n += 1;
                }
            }
        };
        let row = sqlx::query(
            "INSERT INTO users (email, name, role, password_hash, author_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             RETURNING id, email, name, role, author_id, disabled, created_at, password_hash",
        )
        .bind(u.email.as_str())
        .bind(name)
        .bind(u.role.as_str())
        .bind(&u.password_hash)
        .bind(author_id)
        .bind(Utc::now().timestamp())
        .fetch_one(&mut *tx)
        .await?;
        let user = user_from_row(&row)?;
        audit(
            &mut tx,
            None,
            "user created",
            None,
            &format!("{} ({})", user.email, user.role),
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn user_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.read)
            .await?)
    }

    async fn user_by_email(&self, email: &Email) -> Result<Option<(User, String)>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{USER_COLUMNS} WHERE email = $1"
        )))
        .bind(email.as_str())
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| Ok((user_from_row(&r)?, r.try_get("password_hash")?)))
            .transpose()
    }

    async fn user_by_id(&self, id: i64) -> Result<Option<User>> {
        sqlx::query(sqlx::AssertSqlSafe(format!("{USER_COLUMNS} WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    async fn users(&self) -> Result<Vec<User>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{USER_COLUMNS} ORDER BY disabled, name"
        )))
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(user_from_row)
        .collect()
    }

    async fn update_user(&self, id: i64, role: Role, disabled: bool) -> Result<()> {
        let mut tx = self.begin().await?;
        let done = sqlx::query("UPDATE users SET role = $1, disabled = $2 WHERE id = $3")
            .bind(role.as_str())
            .bind(disabled)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: format!("user {id}"),
            });
        }
        let admins: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = FALSE",
        )
        .fetch_one(&mut *tx)
        .await?;
        if admins == 0 {
            return Err(StoreError::Conflict(
                "the site needs at least one active administrator".into(),
            ));
        }
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn set_password(&self, id: i64, password_hash: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf: &str,
        expires_at: Timestamp,
    ) -> Result<()> {
        let now = Utc::now().timestamp();
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf)
        .bind(now)
        .bind(expires_at.timestamp())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn session(&self, token_hash: &str, now: Timestamp) -> Result<Option<SessionInfo>> {
        let row = sqlx::query(
            "SELECT u.id, u.email, u.name, u.role, u.author_id, u.disabled, u.created_at,
                    s.csrf, s.expires_at
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled = FALSE",
        )
        .bind(token_hash)
        .bind(now.timestamp())
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            Ok(SessionInfo {
                user: user_from_row(&r)?,
                csrf: r.try_get("csrf")?,
                expires_at: ts(r.try_get("expires_at")?),
            })
        })
        .transpose()
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    async fn create_api_key(&self, key: &NewApiKey<'_>) -> Result<ApiKey> {
        if (key.kind == ApiKeyKind::Admin) != key.user_id.is_some() {
            return Err(CoreError::invalid(
                "user",
                "an admin key needs a user and a content key must not have one",
            )
            .into());
        }
        let name = key.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(CoreError::invalid("name", "must be 1 to 100 characters").into());
        }
        let now = Utc::now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_keys (name, kind, key_hash, prefix, user_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(name)
        .bind(key.kind.as_str())
        .bind(key.key_hash)
        .bind(key.prefix)
        .bind(key.user_id)
        .bind(now.timestamp())
        .fetch_one(&self.write)
        .await?;
        Ok(ApiKey {
            id,
            name: name.to_owned(),
            kind: key.kind,
            prefix: key.prefix.to_owned(),
            user_id: key.user_id,
            created_at: ts(now.timestamp()),
            revoked_at: None,
        })
    }

    async fn api_key(&self, key_hash: &str) -> Result<Option<ApiKey>> {
        let row = sqlx::query(
            "SELECT k.* FROM api_keys k LEFT JOIN users u ON u.id = k.user_id
             WHERE k.key_hash = $1 AND k.revoked_at IS NULL
               AND (k.user_id IS NULL OR u.disabled = FALSE)",
        )
        .bind(key_hash)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(api_key_from_row).transpose()
    }

    async fn api_keys(&self) -> Result<Vec<ApiKey>> {
        let rows = sqlx::query("SELECT * FROM api_keys ORDER BY id DESC")
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(api_key_from_row).collect()
    }

    async fn revoke_api_key(&self, id: i64, now: Timestamp) -> Result<bool> {
        let done =
            sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(now.timestamp())
                .bind(id)
                .execute(&self.write)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn create_token(
        &self,
        kind: TokenKind,
        token_hash: &str,
        user_id: Option<i64>,
        expires_at: Timestamp,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO one_time_tokens (token_hash, kind, user_id, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(kind.as_str())
        .bind(user_id)
        .bind(expires_at.timestamp())
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn take_token(
        &self,
        kind: TokenKind,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<Option<i64>>> {
        // One statement: of two requests racing with the same link, one wins.
        let row: Option<(Option<i64>,)> = sqlx::query_as(
            "UPDATE one_time_tokens SET used_at = $1
             WHERE token_hash = $2 AND kind = $3 AND used_at IS NULL AND expires_at > $1
             RETURNING user_id",
        )
        .bind(now.timestamp())
        .bind(token_hash)
        .bind(kind.as_str())
        .fetch_optional(&self.write)
        .await?;
        Ok(row.map(|r| r.0))
    }
}

fn api_key_from_row(r: &DbRow) -> Result<ApiKey> {
    Ok(ApiKey {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        kind: crate::accounts::api_key_kind(&r.try_get::<String, _>("kind")?)?,
        prefix: r.try_get("prefix")?,
        user_id: r.try_get("user_id")?,
        created_at: ts(r.try_get("created_at")?),
        revoked_at: r.try_get::<Option<i64>, _>("revoked_at")?.map(ts),
    })
}
