//! Quote providers: sources polled on a schedule, behind the `QuoteProvider` trait. The
//! generic `HttpProvider` fetches a URL per instrument (`{symbol}` in a template) and reads the
//! answer as CSV or JSON through the same mappings the importer uses. A source that fails,
//! times out or answers garbage is logged and retried with backoff; the site keeps showing the
//! last good values, marked with their date once they are old.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use broadsheet_core::{Bar, Symbol};
use broadsheet_ingest::market::{CsvMapping, JsonMapping, parse_csv, parse_json};
use serde::{Deserialize, Serialize};

use crate::context::App;

/// Answers larger than this are refused: no price file needs more.
const MAX_BODY: usize = 8 * 1024 * 1024;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderFormat {
    #[default]
    Csv,
    Json,
}

/// One polled source, as configured under `[[market.providers]]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    pub name: String,
    /// `http(s)://…` with `{symbol}` where the source's name for the instrument goes.
    pub url: String,
    #[serde(default)]
    pub format: ProviderFormat,
    #[serde(default = "default_interval")]
    pub interval_secs: u64,
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Let the source be on loopback or a private network (a price service on this machine
    /// or the internal network). Off by default, as for every address Broadsheet fetches
    /// (`outbound::pin`); only the operator, in this file, can turn it on.
    #[serde(default)]
    pub allow_private: bool,
    /// Our symbol -> the source's name for it.
    pub symbols: BTreeMap<String, String>,
    #[serde(default, skip_serializing)]
    pub columns: CsvMapping,
    #[serde(default, skip_serializing)]
    pub json: JsonMapping,
}

fn default_interval() -> u64 {
    300
}
fn default_timeout() -> u64 {
    10
}

/// What one poll brought: bars per instrument, and what went wrong per instrument.
#[derive(Debug, Default)]
pub struct Fetched {
    pub bars: Vec<(Symbol, Vec<Bar>)>,
    pub errors: Vec<(String, String)>,
}

#[async_trait]
pub trait QuoteProvider: Send + Sync + 'static {
    fn name(&self) -> &str;
    fn interval(&self) -> Duration;
    async fn fetch(&self) -> Fetched;
}

pub struct HttpProvider {
    config: ProviderConfig,
    symbols: Vec<(Symbol, String)>,
}

impl HttpProvider {
    pub fn new(config: ProviderConfig) -> Result<Self, String> {
        let err = |why: String| format!("market provider {:?}: {why}", config.name);
        if !(config.url.starts_with("http://") || config.url.starts_with("https://"))
            || !config.url.contains("{symbol}")
        {
            return Err(err(format!(
                "url {:?} must be http(s) and contain {{symbol}}",
                config.url
            )));
        }
        let symbols = config
            .symbols
            .iter()
            .map(|(ours, theirs)| {
                Symbol::parse(ours)
                    .map(|s| (s, theirs.clone()))
                    .map_err(|e| err(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { config, symbols })
    }

    /// A client for one request, connecting to the address `outbound::pin` checked.
    fn client(&self, pinned: &crate::outbound::Pinned) -> Result<reqwest::Client, String> {
        pinned
            .builder()
            .timeout(Duration::from_secs(self.config.timeout_secs.max(1)))
            .connect_timeout(Duration::from_secs(self.config.timeout_secs.clamp(1, 10)))
            .user_agent(concat!("Broadsheet/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())
    }

    async fn fetch_one(&self, remote: &str) -> Result<Vec<Bar>, String> {
        let encoded: String = form_urlencoded::byte_serialize(remote.as_bytes()).collect();
        let url = self.config.url.replace("{symbol}", &encoded);
        let timeout = self.config.timeout_secs.max(1);
        let describe = |e: reqwest::Error| {
            if e.is_timeout() {
                format!("{url}: timed out after {timeout} s")
            } else if e.is_connect() {
                format!("{url}: cannot connect")
            } else {
                format!("{url}: {e}")
            }
        };
        let pinned = crate::outbound::pin(&url, self.config.allow_private).await?;
        let mut response = self
            .client(&pinned)?
            .get(pinned.url.clone())
            .send()
            .await
            .map_err(describe)?;
        if !response.status().is_success() {
            return Err(format!("{url}: answered {}", response.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(describe)? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(format!("{url}: answer over {MAX_BODY} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        let (bars, rejected) = match self.config.format {
            ProviderFormat::Csv => {
                let parsed =
                    parse_csv(&body, &self.config.columns).map_err(|e| format!("{url}: {e}"))?;
                let bars = parsed
                    .series
                    .into_values()
                    .flatten()
                    .map(|(_, b)| b)
                    .collect::<Vec<_>>();
                (bars, parsed.rejected)
            }
            ProviderFormat::Json => {
                parse_json(&body, &self.config.json).map_err(|e| format!("{url}: {e}"))?
            }
        };
        if bars.is_empty() {
            let first = rejected
                .first()
                .map(|(n, why)| format!(" (row {n}: {why})"))
                .unwrap_or_default();
            return Err(format!("{url}: no usable quotes{first}"));
        }
        Ok(bars)
    }
}

#[async_trait]
impl QuoteProvider for HttpProvider {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn interval(&self) -> Duration {
        Duration::from_secs(self.config.interval_secs.max(1))
    }

    async fn fetch(&self) -> Fetched {
        let mut out = Fetched::default();
        for (symbol, remote) in &self.symbols {
            match self.fetch_one(remote).await {
                Ok(bars) => out.bars.push((symbol.clone(), bars)),
                Err(e) => out.errors.push((symbol.to_string(), e)),
            }
        }
        out
    }
}

/// What a poll did, for logs and tests.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PollReport {
    pub saved: usize,
    pub errors: Vec<String>,
}

/// Fetches once and stores what passed the rules, with the provider's name as source.
pub async fn poll_once(app: &App, provider: &dyn QuoteProvider) -> PollReport {
    let fetched = provider.fetch().await;
    let mut report = PollReport {
        errors: fetched
            .errors
            .iter()
            .map(|(s, e)| format!("{s}: {e}"))
            .collect(),
        ..Default::default()
    };
    let today = app.now().date_naive();
    for (symbol, bars) in fetched.bars {
        let instrument = match app.store.instrument_by_symbol(&symbol).await {
            Ok(Some(i)) => i,
            Ok(None) => {
                report.errors.push(format!(
                    "{symbol}: unknown symbol (import or create it first)"
                ));
                continue;
            }
            Err(e) => {
                report.errors.push(format!("{symbol}: {e}"));
                continue;
            }
        };
        let bars = bars.into_iter().map(|b| ((), b));
        match crate::markets::record_bars(
            app.store.as_ref(),
            &instrument,
            bars,
            today,
            provider.name(),
        )
        .await
        {
            Ok((c, refused)) => {
                report.saved += c.inserted + c.updated;
                if !refused.is_empty() {
                    report.errors.push(format!(
                        "{symbol}: {} quotes broke the rules and were dropped",
                        refused.len()
                    ));
                }
            }
            Err(e) => report.errors.push(format!("{symbol}: {e}")),
        }
    }
    if report.saved > 0
        && let Err(e) = app.sync_changes().await
    {
        report.errors.push(e.to_string());
    }
    report
}
