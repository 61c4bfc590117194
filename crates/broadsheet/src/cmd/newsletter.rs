//! `broadsheet newsletter send-digest [--now]`: the same path as the server's daily job
//! (`broadsheet_app::newsletter::send::run_digest`), over the application alone. Safe to run
//! beside a running server and to run again after a crash: the send journal makes every
//! (issue, subscriber) go out once and a second run resumes the first. Mail carries links
//! that must work outside the site, so the command refuses to run without the site's public
//! address (`[site] base_url`, or the one stored in the settings).

use std::process::ExitCode;

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
    // Sending reads the database only; the server keeps the search index.
    let app = cmd::app(&config, store, None).await?;
    app.mail_base()?;
    tracing::info!(mail = %app.mailer.describe(), "mail");
    match broadsheet_app::newsletter::send::run_digest(&app, app.now(), args.now).await? {
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
