//! `broadsheet api-key add|list|revoke`: keys for the Content API (`/api/v1`). A key is
//! printed once, when it is made; the database keeps only its SHA-256.

use std::process::ExitCode;

use broadsheet_store::ApiKeyKind;

use crate::cmd;
use crate::config::Config;

#[derive(Debug, clap::Subcommand)]
pub enum ApiKeyCommand {
    /// Make a key and print it (once): a content key, or with --user an admin key that acts
    /// as that newsroom user, with their role's rights.
    Add {
        /// What the key is for, e.g. "iOS app" or "partner: Daily Ledger".
        name: String,
        /// The newsroom account (e-mail address) an admin key belongs to.
        #[arg(long)]
        user: Option<String>,
    },
    /// List the keys (their first characters only).
    List,
    /// Revoke a key by its id (from `list`); requests with it get 401 at once.
    Revoke { id: i64 },
}

pub async fn run(config: Config, command: ApiKeyCommand) -> anyhow::Result<ExitCode> {
    cmd::init_logging("warn");
    let store = cmd::open(&config).await?;
    match command {
        ApiKeyCommand::Add { name, user } => {
            let (kind, user_id) = match user {
                None => (ApiKeyKind::Content, None),
                Some(address) => {
                    let email = broadsheet_core::Email::parse(&address)
                        .map_err(|e| anyhow::anyhow!("--user: {e}"))?;
                    let (account, _) = store
                        .user_by_email(&email)
                        .await?
                        .ok_or_else(|| anyhow::anyhow!("--user: no account {address}"))?;
                    if account.disabled {
                        anyhow::bail!("--user: the account {address} is disabled");
                    }
                    (ApiKeyKind::Admin, Some(account.id))
                }
            };
            let (key, record) =
                broadsheet_app::accounts::create_api_key(store.as_ref(), &name, kind, user_id)
                    .await?;
            eprintln!(
                "{} key {} ({}) made; it is shown only now:",
                kind.as_str(),
                record.id,
                record.name
            );
            println!("{key}");
        }
        ApiKeyCommand::List => {
            for k in store.api_keys().await? {
                println!(
                    "{}\t{}\t{}…\t{}\t{}",
                    k.id,
                    k.kind.as_str(),
                    k.prefix,
                    k.name,
                    match k.revoked_at {
                        Some(t) => format!("revoked {}", t.format("%Y-%m-%d %H:%M")),
                        None => format!("made {}", k.created_at.format("%Y-%m-%d %H:%M")),
                    }
                );
            }
        }
        ApiKeyCommand::Revoke { id } => {
            if !store.revoke_api_key(id, chrono::Utc::now()).await? {
                anyhow::bail!("no unrevoked API key with id {id}");
            }
            eprintln!("API key {id} revoked");
        }
    }
    Ok(ExitCode::SUCCESS)
}
