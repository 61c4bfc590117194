//! Subcommands and what they share: logging set-up and opening the data directory.

pub mod api_key;
pub mod backup;
pub mod calendar;
pub mod demo;
pub mod import;
pub mod market;
pub mod migrate;
pub mod newsletter;
pub mod search;
pub mod serve;
pub mod user;
pub mod wire;

use std::sync::Arc;

use anyhow::Context;
use broadsheet_app::{App, AppOptions, Parts, SiteConfig};
use broadsheet_search::{OpenState, PgSearch, SearchIndex, TantivyIndex};
use broadsheet_store::{PgSettings, PgStore, SqliteStore, Store};
use tracing_subscriber::EnvFilter;

use crate::config::Config;

/// Logs go to stderr; `BROADSHEET_LOG` overrides `default` (an EnvFilter directive), and
/// `BROADSHEET_LOG_FORMAT=json` writes one JSON object a line (for journald, Loki, …).
pub fn init_logging(default: &str) {
    let filter =
        EnvFilter::try_from_env("BROADSHEET_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("BROADSHEET_LOG_FORMAT").is_ok_and(|f| f == "json") {
        let _ = builder.json().with_current_span(true).try_init();
    } else {
        let _ = builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init();
    }
}

/// Creates the data directory layout if needed and opens the database.
pub async fn open(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    Ok(open_site(config).await?.store)
}

/// The site's database and search index.
pub struct Site {
    pub store: Arc<dyn Store>,
    /// Set on PostgreSQL: search runs there too, one index for every node.
    pub postgres: Option<Arc<PgStore>>,
}

impl Site {
    /// The search index: PostgreSQL full-text search beside a PostgreSQL store, else tantivy
    /// in the data directory. The state says whether it needs building.
    pub async fn search(
        &self,
        config: &Config,
    ) -> anyhow::Result<(Arc<dyn SearchIndex>, OpenState)> {
        match &self.postgres {
            Some(pg) => {
                let index = PgSearch::open(pg.pool().clone(), config.search)
                    .await
                    .context("cannot open search on PostgreSQL")?;
                let state = match index.applied_seq() {
                    Some(seq) => OpenState::Current(seq),
                    None => OpenState::NeedsRebuild(
                        "search has not been built on this database yet".into(),
                    ),
                };
                Ok((Arc::new(index), state))
            }
            None => {
                let (index, state) = TantivyIndex::open(&config.search_dir(), config.search)?;
                Ok((Arc::new(index), state))
            }
        }
    }
}

pub async fn open_site(config: &Config) -> anyhow::Result<Site> {
    for dir in [
        config.data.clone(),
        config.media_dir(),
        config.data.join("search"),
    ] {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create data directory {}", dir.display()))?;
    }
    let probe = config.data.join(".broadsheet-write-test");
    std::fs::write(&probe, b"")
        .with_context(|| format!("data directory {} is not writable", config.data.display()))?;
    let _ = std::fs::remove_file(&probe);
    match &config.database {
        Some(url) => {
            let settings = PgSettings {
                max_connections: config.postgres.max_connections,
                acquire_timeout: std::time::Duration::from_secs(
                    config.postgres.acquire_timeout_secs.max(1),
                ),
                ..PgSettings::default()
            };
            let store = PgStore::open_with(url, &settings).await.with_context(|| {
                format!(
                    "cannot open PostgreSQL database {}",
                    broadsheet_store::postgres::url_for_log(url)
                )
            })?;
            let store = Arc::new(store);
            Ok(Site {
                store: store.clone(),
                postgres: Some(store),
            })
        }
        None => Ok(Site {
            store: Arc::new(SqliteStore::open(&config.database_path()).await?),
            postgres: None,
        }),
    }
}

/// Site settings: configuration first, then what the newsroom stored, then defaults.
pub async fn site_config(config: &Config, store: &dyn Store) -> anyhow::Result<SiteConfig> {
    let defaults = SiteConfig::default();
    let pick = |configured: &Option<String>, stored: Option<String>, default: String| {
        configured.clone().or(stored).unwrap_or(default)
    };
    Ok(SiteConfig {
        name: pick(
            &config.site.name,
            store.setting("site.name").await?,
            defaults.name,
        ),
        tagline: pick(
            &config.site.tagline,
            store.setting("site.tagline").await?,
            defaults.tagline,
        ),
        language: pick(
            &config.site.language,
            store.setting("site.language").await?,
            defaults.language,
        ),
        base_url: config
            .site
            .base_url
            .clone()
            .or(store.setting("site.base_url").await?),
        time_zone: config.site.time_zone.clone().unwrap_or(defaults.time_zone),
        logo: None,
    })
}

/// The SMTP relay when one is configured; `None` sends mail to the outbox.
pub fn mailer(config: &Config) -> anyhow::Result<Option<Arc<dyn broadsheet_mail::Mailer>>> {
    if config.mail.host.is_none() {
        return Ok(None);
    }
    let smtp = broadsheet_mail::SmtpMailer::new(&config.mail)
        .map_err(|e| anyhow::anyhow!("cannot set up the SMTP relay: {e}"))?;
    Ok(Some(Arc::new(smtp)))
}

/// The application over `store` for a command: `search` is the index this process keeps
/// current (`None` leaves it to the server, which follows the change log).
pub async fn app(
    config: &Config,
    store: Arc<dyn Store>,
    search: Option<Arc<dyn SearchIndex>>,
) -> anyhow::Result<App> {
    let theme =
        broadsheet_render::Theme::load(config.theme.as_deref()).context("cannot load the theme")?;
    let site = site_config(config, store.as_ref()).await?;
    app_with(config, store, search, theme, site).await
}

/// `app` with the theme and site settings already made.
pub async fn app_with(
    config: &Config,
    store: Arc<dyn Store>,
    search: Option<Arc<dyn SearchIndex>>,
    theme: broadsheet_render::Theme,
    site: SiteConfig,
) -> anyhow::Result<App> {
    Ok(App::new(Parts {
        store,
        search,
        theme,
        site,
        media_dir: config.media_dir(),
        options: app_options(config)?,
    })
    .await?)
}

/// The application's options from the configuration: the mailer, media storage, and the
/// newsletter, webhook and wire settings. Every command's `App` is built with these.
pub fn app_options(config: &Config) -> anyhow::Result<AppOptions> {
    Ok(AppOptions {
        mailer: mailer(config)?,
        media_store: match &config.media.s3 {
            Some(s3) => Some(Arc::new(
                broadsheet_media::S3Storage::new(s3).map_err(|e| anyhow::anyhow!("{e}"))?,
            )),
            None => None,
        },
        newsletter: config.newsletter.clone(),
        webhooks: config.webhooks,
        wire: config.wire,
        // The system's: only tests move time by hand.
        clock: None,
    })
}

/// The HTTP layer's options, for `serve` alone: the HTTP settings from the configuration and
/// the application's parts from `app` (the same mailer, media storage and clock, not a
/// second set built from the configuration again).
pub fn server_options(config: &Config, app: &App) -> broadsheet_server::Options {
    broadsheet_server::Options {
        limits: config.limits,
        market: config.market.clone(),
        calendar: config.calendar.clone(),
        newsroom: config.newsroom,
        mailer: Some(app.mailer.clone()),
        newsletter: app.newsletter.options.clone(),
        feeds: config.feeds,
        webhooks: app.webhook_options,
        wire: app.wire_options,
        metrics: config.metrics.clone(),
        proxy: config.proxy.clone(),
        media_store: Some(app.media_store.clone()),
        clock: Some(app.clock.clone()),
    }
}
