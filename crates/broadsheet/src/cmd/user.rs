//! `broadsheet user add|list`: newsroom accounts from the command line, for the first admin
//! on a server without a browser and for scripted set-ups.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::Context;
use broadsheet_core::{Email, Role};
use broadsheet_store::NewUser;

use crate::cmd;
use crate::config::Config;

#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is read from standard input with --password-stdin,
    /// or generated and printed once.
    Add(AddArgs),
    /// List the accounts.
    List,
}

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// The person's e-mail address (their sign-in name).
    pub email: String,
    /// admin, editor, author or contributor.
    #[arg(long, value_parser = parse_role)]
    pub role: Role,
    /// The name on their byline [default: the part of the address before the @].
    #[arg(long)]
    pub name: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse().map_err(|e: broadsheet_core::CoreError| e.reason)
}

pub async fn run(config: Config, command: UserCommand) -> anyhow::Result<ExitCode> {
    cmd::init_logging("warn");
    let store = cmd::open(&config).await?;
    match command {
        UserCommand::List => {
            for u in store.users().await? {
                println!(
                    "{}\t{}\t{}{}",
                    u.email,
                    u.role,
                    u.name,
                    if u.disabled { "\t(disabled)" } else { "" }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        UserCommand::Add(args) => {
            let email = Email::parse(&args.email).map_err(|e| anyhow::anyhow!("{e}"))?;
            let (password, generated) = if args.password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .context("cannot read the password from standard input")?;
                (line.trim_end_matches(['\r', '\n']).to_owned(), false)
            } else {
                (generate_password(), true)
            };
            if let Some(problem) = broadsheet_app::accounts::password_problem(&password) {
                anyhow::bail!("{problem}");
            }
            let name = args
                .name
                .unwrap_or_else(|| email.as_str().split('@').next().unwrap_or("").to_owned());
            let hash = tokio::task::spawn_blocking(move || {
                broadsheet_app::accounts::hash_password(&password).map(|h| (h, password))
            })
            .await
            .context("password hashing stopped")?
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            let user = store
                .create_user(&NewUser {
                    email,
                    name,
                    role: args.role,
                    password_hash: hash.0,
                })
                .await?;
            println!("created {} ({})", user.email, user.role);
            if generated {
                println!("password (shown once): {}", hash.1);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// 20 characters from an alphabet without look-alikes (about 115 bits).
fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let token = broadsheet_app::secrets::random_token();
    token
        .as_bytes()
        .chunks(2)
        .take(20)
        .map(|pair| {
            let byte =
                u8::from_str_radix(std::str::from_utf8(pair).unwrap_or("00"), 16).unwrap_or(0);
            ALPHABET[usize::from(byte) % ALPHABET.len()] as char
        })
        .collect()
}
