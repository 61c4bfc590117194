//! `broadsheet newsletter send-digest [--now]`: the same path as the server's daily job. Safe to
//! run beside a running server and to run again after a crash: the send journal makes every
//! (issue, subscriber) go out once and a second run resumes the first.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use broadsheet_render::Theme;
use broadsheet_search::{SearchIndex, SearchSettings, TantivyIndex};
use broadsheet_server::AppState;

use crate::cmd;
use crate::config::Config;

#[derive(Debug, clap::Subcommand)]
pub enum NewsletterCommand {
    /// Send today's digest if its time has come and it has not gone out (or finish it).
    SendDigest(SendArgs),
}

#[derive(Debug, clap::Args)]
pub struct SendArgs {
    /// Compose and send today's digest now, whatever the configured time.
    #[arg(long)]
    pub now: bool,
}

pub async fn run(config: Config, command: NewsletterCommand) -> anyhow::Result<ExitCode> {
    cmd::init_logging("info,sqlx=warn");
    let NewsletterCommand::SendDigest(args) = command;
    let store = cmd::open(&config).await?;
    let theme = Theme::load(config.theme.as_deref()).context("cannot load the theme")?;
    // Sending reads the database only; the server keeps the search index.
    let search: Arc<dyn SearchIndex> =
        Arc::new(TantivyIndex::in_memory(SearchSettings::default())?);
    let site = cmd::site_config(&config, store.as_ref()).await?;
    let state = AppState::new(
        store,
        search,
        theme,
        site,
        config.media_dir(),
        cmd::options(&config)?,
    )
    .await?;
    tracing::info!(mail = %state.mailer.describe(), "mail");
    match broadsheet_server::newsletter::send::run_digest(&state, chrono::Utc::now(), args.now)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
    {
        Some(report) => {
            let c = report.counts;
            println!(
                "{} (issue {}): {} sent, {} failed, {} bounced, {} remaining",
                report.key, report.issue_id, c.sent, c.failed, c.bounced, c.remaining
            );
        }
        None => println!("nothing to send"),
    }
    Ok(ExitCode::SUCCESS)
}
