//! `broadsheet serve`: open (or create) the site and serve it until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use broadsheet_app::App;
use broadsheet_app::jobs::{self, ChangeWatcher, Runner};
use broadsheet_app::providers::{HttpProvider, QuoteProvider};
use broadsheet_render::Theme;
use std::sync::Arc;

use broadsheet_search::OpenState;
use broadsheet_server::AppState;

use crate::cmd;
use crate::config::Config;

/// How long in-flight requests get to finish after a shutdown signal.
const GRACE: Duration = Duration::from_secs(30);

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on [default: 127.0.0.1:8080; env: BROADSHEET_LISTEN].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Theme directory overriding built-in templates and static files [env: BROADSHEET_THEME].
    #[arg(long, value_name = "DIR")]
    pub theme: Option<PathBuf>,
    /// Fill an empty site with the demo publication before serving.
    #[arg(long)]
    pub demo: bool,
    /// Serve pages only: leave scheduled publishing, the newsletter, webhooks, wire polling
    /// and market polling to `broadsheet worker` processes (or other nodes).
    #[arg(long)]
    pub no_jobs: bool,
}

pub async fn run(config: Config, args: Args) -> anyhow::Result<ExitCode> {
    cmd::init_logging("info,sqlx=warn");
    // The port first: a second server started by mistake should fail before touching data.
    let listener = broadsheet_server::bind(config.listen).await?;
    let site = cmd::open_site(&config).await?;
    let store = site.store.clone();
    let theme = Theme::load(config.theme.as_deref()).context("cannot load the theme")?;

    if args.demo {
        if store.counts().await?.articles == 0 {
            let installed = broadsheet_demo::install(store.as_ref(), &config.media_dir()).await?;
            tracing::info!(articles = installed.articles, "installed the demo site");
        } else {
            tracing::info!("the site already has articles; --demo left it as it is");
        }
    }

    let served_on = listener.local_addr().ok();
    let node = start(&config, &site, theme, served_on, !args.no_jobs).await?;
    let search = node.search.clone();
    let state = AppState::over(
        node.app.clone(),
        search,
        cmd::server_options(&config, &node.app),
    );
    let addr = listener.local_addr().unwrap_or(config.listen);
    tracing::info!(data = %config.data.display(), "serving http://{addr}/");
    tracing::info!(mail = %state.mailer.describe(), "mail");
    if let Some(path) = state.setup_link().await? {
        let base = state
            .site()
            .base_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"));
        // On stdout, once: the operator needs it; logs may be collected elsewhere.
        println!(
            "\nThis site has no accounts yet. Create the first administrator (link valid 24 hours):\n\n    {}{path}\n",
            base.trim_end_matches('/')
        );
    }

    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        wait_for_signal().await;
        tracing::info!("shutting down: finishing requests in flight and running jobs");
        let _ = stopping_tx.send(());
    };
    let runner = node.runner;
    let server = broadsheet_server::serve(
        listener,
        broadsheet_server::router(state),
        Duration::from_secs(config.limits.header_timeout_secs.max(1)),
        signal,
    );
    tokio::select! {
        result = server => result.context("the server stopped with an error")?,
        () = async {
            if stopping_rx.await.is_ok() {
                tokio::time::sleep(GRACE).await;
            } else {
                std::future::pending::<()>().await;
            }
        } => tracing::warn!("requests still open after {GRACE:?}; stopping anyway"),
    }
    // A job that is running finishes its step; none starts again.
    runner.shutdown(GRACE).await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// A node's application and its background jobs.
pub struct Node {
    pub app: App,
    /// The index this node's pages query.
    pub search: Arc<dyn broadsheet_search::SearchIndex>,
    pub runner: Runner,
}

/// Builds the node's application over `store`, brings its search index up to date, and
/// starts the change watcher and (with `jobs`) the background jobs. Without a configured or
/// stored `site.base_url`, the address served on (`served_on`) stands in for it.
pub async fn start(
    config: &Config,
    opened: &cmd::Site,
    theme: Theme,
    served_on: Option<SocketAddr>,
    jobs: bool,
) -> anyhow::Result<Node> {
    let store = opened.store.clone();
    let (search, index_state) = opened.search(config).await?;
    let mut site = cmd::site_config(config, store.as_ref()).await?;
    if site.base_url.is_none() {
        // Feeds, sitemaps, canonical links and e-mails need absolute URLs: without a
        // configured base URL they use the address served on (right on this machine; set
        // `site.base_url` behind a proxy).
        site.base_url = served_on.map(|a| {
            if a.ip().is_unspecified() {
                tracing::warn!(
                    "listening on every interface without site.base_url: links in feeds and e-mails will say localhost"
                );
                format!("http://localhost:{}", a.port())
            } else {
                format!("http://{a}")
            }
        });
    }
    let app = cmd::app_with(config, store, Some(search.clone()), theme, site).await?;
    if jobs {
        // The jobs send mail (digests, alerts) whose links must be absolute: a worker on a
        // site without a public address refuses to start rather than fail at every tick.
        app.mail_base().context("cannot run the background jobs")?;
    }
    match index_state {
        OpenState::NeedsRebuild(why) => {
            tracing::info!(reason = %why, "building the search index from the database");
            app.spawn_search_rebuild();
        }
        OpenState::Current(_) => {
            app.sync_changes()
                .await
                .context("cannot bring the search index up to date")?;
        }
    }
    let mut runner = Runner::new(app.clone());
    runner.spawn(Arc::new(ChangeWatcher(Duration::from_millis(500))));
    if jobs {
        let providers = config
            .market
            .providers
            .iter()
            .map(|p| HttpProvider::new(p.clone()).map(|p| Arc::new(p) as Arc<dyn QuoteProvider>))
            .collect::<Result<Vec<_>, _>>()
            .map_err(anyhow::Error::msg)?;
        let mail_timeout = i64::try_from(config.mail.timeout_secs.max(1)).unwrap_or(i64::MAX);
        if config.mail.host.is_some() && config.newsletter.lease_secs <= 4 * mail_timeout {
            tracing::warn!(
                lease_secs = config.newsletter.lease_secs,
                mail_timeout_secs = mail_timeout,
                "newsletter.lease_secs should be more than four times mail.timeout_secs: a message that hangs could outlast its lease and be sent again by another node"
            );
        }
        runner.spawn_all(jobs::standard(providers));
        tracing::info!(node = jobs::node_id(), "running background jobs");
    } else {
        tracing::info!("background jobs left to workers (--no-jobs)");
    }
    Ok(Node {
        app,
        search,
        runner,
    })
}

/// `broadsheet worker`: the background jobs without serving pages, until SIGINT or SIGTERM.
/// It builds no HTTP state: the jobs are the application's. It needs the site's public
/// address (configured or stored) for the links in the mail its jobs send.
pub async fn worker(config: Config) -> anyhow::Result<ExitCode> {
    cmd::init_logging("info,sqlx=warn");
    let site = cmd::open_site(&config).await?;
    let theme = Theme::load(config.theme.as_deref()).context("cannot load the theme")?;
    let node = start(&config, &site, theme, None, true).await?;
    tracing::info!(mail = %node.app.mailer.describe(), "worker running");
    wait_for_signal().await;
    tracing::info!("worker stopping: running jobs finish their step");
    node.runner.shutdown(GRACE).await;
    tracing::info!("worker stopped");
    Ok(ExitCode::SUCCESS)
}

async fn wait_for_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
