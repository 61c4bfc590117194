//! Configuration: defaults, then a TOML file, then `BROADSHEET_*` environment variables, then
//! command-line flags. Unknown keys in the file are errors that name the key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to serve on. Loopback by default: put a reverse proxy in front to go public.
    pub listen: SocketAddr,
    /// Data directory: `broadsheet.db`, `media/`, `search/`.
    pub data: PathBuf,
    /// A PostgreSQL database (`postgres://user@host/db`) shared by several nodes, instead of
    /// the data directory's SQLite file. Also `--database` or `BROADSHEET_DATABASE_URL`.
    #[serde(default)]
    pub database: Option<String>,
    /// `[postgres]`: the connection pool of a node.
    #[serde(default)]
    pub postgres: PostgresConfig,
    /// Theme directory whose `templates/` and `static/` override the built-in theme.
    pub theme: Option<PathBuf>,
    #[serde(default)]
    pub site: SiteOverrides,
    #[serde(default)]
    pub search: broadsheet_search::SearchSettings,
    #[serde(default)]
    pub limits: broadsheet_server::Limits,
    #[serde(default)]
    pub market: broadsheet_server::MarketOptions,
    /// `[calendar]`: the economic calendar's push token.
    #[serde(default)]
    pub calendar: broadsheet_server::CalendarOptions,
    #[serde(default)]
    pub newsroom: broadsheet_server::NewsroomOptions,
    #[serde(default)]
    pub newsletter: broadsheet_app::newsletter::NewsletterOptions,
    /// The SMTP relay; without a host, mail goes to the data directory's outbox.
    #[serde(default)]
    pub mail: broadsheet_mail::SmtpConfig,
    #[serde(default)]
    pub feeds: broadsheet_server::FeedOptions,
    pub webhooks: broadsheet_app::webhooks::WebhookOptions,
    #[serde(default)]
    pub wire: broadsheet_app::wire::WireOptions,
    #[serde(default)]
    pub metrics: broadsheet_server::metrics::MetricsOptions,
    #[serde(default)]
    pub media: MediaConfig,
    /// `[proxy] trusted`: reverse proxies whose `X-Forwarded-For` names the client.
    #[serde(default)]
    pub proxy: broadsheet_server::client::ProxyOptions,
}

/// `[media]`: where uploads are stored. Unset: the data directory's `media/` folder.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaConfig {
    /// An S3-compatible bucket shared by every node (`[media.s3]`).
    pub s3: Option<broadsheet_media::S3Config>,
}

/// `[postgres]`: how many connections a node holds and how long a request waits for one
/// before the site answers 503.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PostgresConfig {
    pub max_connections: u32,
    pub acquire_timeout_secs: u64,
}

impl Default for PostgresConfig {
    fn default() -> Self {
        let d = broadsheet_store::PgSettings::default();
        Self {
            max_connections: d.max_connections,
            acquire_timeout_secs: d.acquire_timeout.as_secs(),
        }
    }
}

/// Site settings from configuration; unset ones come from the database, then defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteOverrides {
    pub name: Option<String>,
    pub tagline: Option<String>,
    pub language: Option<String>,
    pub base_url: Option<String>,
    pub time_zone: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data: PathBuf::from("broadsheet-data"),
            database: None,
            postgres: Default::default(),
            theme: None,
            site: SiteOverrides::default(),
            search: Default::default(),
            limits: Default::default(),
            market: Default::default(),
            calendar: Default::default(),
            newsroom: Default::default(),
            newsletter: Default::default(),
            mail: Default::default(),
            feeds: Default::default(),
            webhooks: Default::default(),
            wire: Default::default(),
            metrics: Default::default(),
            media: Default::default(),
            proxy: Default::default(),
        }
    }
}

impl Config {
    pub fn database_path(&self) -> PathBuf {
        self.data.join("broadsheet.db")
    }
    pub fn media_dir(&self) -> PathBuf {
        self.data.join("media")
    }
    pub fn search_dir(&self) -> PathBuf {
        self.data.join("search")
    }
}

/// Values given as command-line flags (highest priority).
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub theme: Option<PathBuf>,
}

const ENV_KEYS: &[&str] = &[
    "listen",
    "data",
    "database",
    "postgres",
    "theme",
    "site",
    "search",
    "limits",
    "market",
    "newsroom",
    "newsletter",
    "mail",
    "feeds",
    "webhooks",
    "wire",
    "metrics",
    "media",
    "proxy",
];

pub fn load(file: Option<&Path>, overrides: Overrides) -> anyhow::Result<Config> {
    let mut figment = Figment::from(Serialized::defaults(Config::default()));
    if let Some(file) = file {
        if !file.is_file() {
            anyhow::bail!("configuration file {} does not exist", file.display());
        }
        figment = figment.merge(Toml::file_exact(file));
    }
    let env = Env::prefixed("BROADSHEET_").split("__").filter(|key| {
        let top = key
            .as_str()
            .split('.')
            .next()
            .and_then(|k| k.split("__").next());
        ENV_KEYS
            .iter()
            .any(|k| top.is_some_and(|t| t.eq_ignore_ascii_case(k)))
    });
    figment = figment.merge(env).merge(Serialized::defaults(overrides));
    figment.extract().context("invalid configuration")
}

#[cfg(test)]
#[expect(
    clippy::result_large_err,
    reason = "figment's Jail closures return figment::Error"
)]
mod tests {
    use super::*;
    use figment::Jail;

    #[test]
    fn layers_apply_in_order() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "b.toml",
                "listen = \"127.0.0.1:9000\"\ndata = \"/srv/from-file\"\n[site]\nname = \"File\"\n",
            )?;
            jail.set_env("BROADSHEET_DATA", "/srv/from-env");
            jail.set_env("BROADSHEET_SITE__TAGLINE", "From env");
            jail.set_env("BROADSHEET_LOG", "debug");
            let c = load(
                Some(Path::new("b.toml")),
                Overrides {
                    listen: Some("127.0.0.1:7000".parse().expect("addr")),
                    ..Default::default()
                },
            )
            .map_err(|e| e.to_string())?;
            assert_eq!(c.listen.port(), 7000);
            assert_eq!(c.data, PathBuf::from("/srv/from-env"));
            assert_eq!(c.site.name.as_deref(), Some("File"));
            assert_eq!(c.site.tagline.as_deref(), Some("From env"));
            Ok(())
        });
    }

    #[test]
    fn defaults_are_loopback_and_local() {
        Jail::expect_with(|_| {
            let c = load(None, Overrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(c, Config::default());
            assert!(c.listen.ip().is_loopback());
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        Jail::expect_with(|jail| {
            jail.create_file("typo.toml", "lisen = \"127.0.0.1:1\"\n")?;
            let e = format!(
                "{:#}",
                load(Some(Path::new("typo.toml")), Overrides::default()).expect_err("typo")
            );
            assert!(e.contains("lisen"), "{e}");
            jail.create_file("bad.toml", "listen = \"not an address\"\n")?;
            let e = format!(
                "{:#}",
                load(Some(Path::new("bad.toml")), Overrides::default()).expect_err("bad")
            );
            assert!(e.contains("listen"), "{e}");
            let e = format!(
                "{:#}",
                load(Some(Path::new("missing.toml")), Overrides::default()).expect_err("missing")
            );
            assert!(e.contains("missing.toml"), "{e}");
            jail.create_file("proxy.toml", "[proxy]\ntrusted = [\"10.0.0.0/33\"]\n")?;
            let e = format!(
                "{:#}",
                load(Some(Path::new("proxy.toml")), Overrides::default()).expect_err("proxy")
            );
            assert!(e.contains("10.0.0.0/33") && e.contains("proxy"), "{e}");
            jail.create_file(
                "proxy.toml",
                "[proxy]\ntrusted = [\"127.0.0.1\", \"10.0.0.0/24\"]\n",
            )?;
            let ok = load(Some(Path::new("proxy.toml")), Overrides::default()).expect("networks");
            assert_eq!(ok.proxy.trusted.len(), 2);
            Ok(())
        });
    }
}
