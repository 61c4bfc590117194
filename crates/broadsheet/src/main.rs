//! The `broadsheet` binary: command-line parsing and wiring. Each subcommand lives in `cmd/`.

mod cmd;
mod config;

/// jemalloc rather than glibc's malloc: glibc keeps what a burst of work freed (an upload
/// decoded, twenty password checks, an index commit) in per-thread arenas and seldom gives it
/// back, so a server's RSS only ever grew. jemalloc's background thread returns pages that
/// have been free for a second: its settings are built in (`JEMALLOC_SYS_WITH_MALLOC_CONF` in
/// `.cargo/config.toml`; `MALLOC_CONF` in the environment still overrides them). Measured with
/// `tools/hostile.py` (README, "Hardening").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Broadsheet: a self-hosted news site, newsroom and archive in one binary.
///
/// Settings come from, in increasing priority: built-in defaults, the TOML file given with
/// --config (or BROADSHEET_CONFIG), BROADSHEET_* environment variables (BROADSHEET_LISTEN,
/// BROADSHEET_DATA, BROADSHEET_THEME, BROADSHEET_SITE__NAME, BROADSHEET_SITE__TAGLINE,
/// BROADSHEET_SITE__BASE_URL), and command-line flags. Logging is set with BROADSHEET_LOG
/// (e.g. "info", "debug,sqlx=warn"). Search ranking and rate limits are set in the file's
/// [search] (recency_boost, recency_half_life_days) and [limits] (search_per_second,
/// search_burst) tables.
#[derive(Debug, Parser)]
#[command(name = "broadsheet", version, max_term_width = 100)]
struct Cli {
    /// TOML configuration file.
    #[arg(long, global = true, env = "BROADSHEET_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,

    /// Data directory: database, media and search index [default: ./broadsheet-data].
    #[arg(long, global = true, value_name = "DIR")]
    data: Option<PathBuf>,

    /// PostgreSQL database shared by several nodes (postgres://user@host/db) instead of the
    /// data directory's SQLite file.
    #[arg(
        long,
        global = true,
        env = "BROADSHEET_DATABASE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    database: Option<String>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the site (creates the data directory and database on first run).
    Serve(cmd::serve::Args),
    /// Fill the data directory with the demo site (a fictional economic-news publication).
    Demo,
    /// Run the background jobs (scheduled publishing, newsletter, webhooks, wire and market
    /// polling) without serving pages: beside `serve --no-jobs` nodes on PostgreSQL.
    Worker,
    /// Copy this SQLite site (content, accounts, subscribers, send journals, market data,
    /// media references) into an empty PostgreSQL database and check every table's count
    /// and checksum.
    MigrateTo {
        /// The PostgreSQL database, postgres://user@host/db.
        #[arg(value_name = "URL")]
        url: String,
    },
    /// Import articles from a JSON Lines file.
    ///
    /// Each line: {"id", "title", "body", "section", "published_at", "author", "source", "url"};
    /// other fields are ignored. "body" is plain text with paragraphs separated by a blank line.
    /// Lines are matched on "id": importing a file again updates those articles. Bad lines are
    /// reported with their line number and skipped; the good ones are imported.
    ///
    /// Exit status: 0 when every line was imported, 3 when some lines were rejected, 1 on an
    /// error that stopped the import.
    Import(cmd::import::Args),
    /// Market data: `import` loads prices from CSV files.
    #[command(subcommand)]
    Market(cmd::market::MarketCommand),
    /// The economic calendar: `import` loads releases from CSV or iCalendar files.
    #[command(subcommand)]
    Calendar(cmd::calendar::CalendarCommand),
    /// The newsletter: `send-digest` sends today's daily digest (or resumes it).
    #[command(subcommand)]
    Newsletter(cmd::newsletter::NewsletterCommand),
    /// Content API keys: `add` makes one, `list` shows them, `revoke` ends one.
    #[command(subcommand, name = "api-key")]
    ApiKey(cmd::api_key::ApiKeyCommand),
    /// Newsroom accounts: `add` creates one, `list` shows them.
    #[command(subcommand)]
    User(cmd::user::UserCommand),
    /// Agency copy: `import` reads wire files onto the desk; `source add|list` manages the
    /// feeds, push endpoints and drop folders the server reads.
    #[command(subcommand)]
    Wire(cmd::wire::WireCommand),
    /// Back up the site while it runs: a consistent copy of the database, the media files and
    /// a manifest of checksums, into a new directory.
    Backup {
        /// Where to write the backup (a new or empty directory).
        dest: std::path::PathBuf,
    },
    /// Restore a backup into an empty data directory, after checking every file against the
    /// backup's manifest and the database's integrity.
    Restore {
        /// The backup directory.
        src: std::path::PathBuf,
    },
    /// Maintain the search index: `reindex` rebuilds it, `check` compares it with the database.
    #[command(subcommand)]
    Search(cmd::search::SearchCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", error_chain(&e));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let overrides = config::Overrides {
        data: cli.data,
        database: cli.database,
        listen: match &cli.command {
            Command::Serve(args) => args.listen,
            _ => None,
        },
        theme: match &cli.command {
            Command::Serve(args) => args.theme.clone(),
            _ => None,
        },
    };
    let config = config::load(cli.config.as_deref(), overrides)?;
    match cli.command {
        Command::Serve(args) => cmd::serve::run(config, args).await,
        Command::Demo => cmd::demo::run(config).await,
        Command::Worker => cmd::serve::worker(config).await,
        Command::MigrateTo { url } => cmd::migrate::run(config, url).await,
        Command::Import(args) => cmd::import::run(config, args).await,
        Command::Search(command) => cmd::search::run(config, command).await,
        Command::Market(command) => cmd::market::run(config, command).await,
        Command::Calendar(command) => cmd::calendar::run(config, command).await,
        Command::User(command) => cmd::user::run(config, command).await,
        Command::ApiKey(command) => cmd::api_key::run(config, command).await,
        Command::Newsletter(command) => cmd::newsletter::run(config, command).await,
        Command::Wire(command) => cmd::wire::run(config, command).await,
        Command::Backup { dest } => cmd::backup::backup(config, dest).await,
        Command::Restore { src } => cmd::backup::restore(config, src).await,
    }
}

/// "a: b: c", leaving out a cause whose text the message before it already includes (our
/// error messages often quote their source).
fn error_chain(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}
