//! Sending through an SMTP relay with lettre: a pooled async transport, STARTTLS or TLS, and
//! replies sorted into temporary (retry) and permanent (bounce) failures.

use std::time::Duration;

use async_trait::async_trait;
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::{Deserialize, Serialize};

use crate::{Email, MailError, Mailer, build};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain SMTP: only for a relay on the same machine or network.
    None,
    /// Upgrade with STARTTLS (port 587); refuses to send if the server cannot.
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// Where to send mail. Unset `host` means no SMTP: mail goes to the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: Option<String>,
    pub port: u16,
    pub tls: TlsMode,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The From address (`The Ledger <news@example.com>`).
    pub from: String,
    /// Connections kept open to the relay.
    pub pool_size: u32,
    pub timeout_secs: u64,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            host: None,
            port: 587,
            tls: TlsMode::Starttls,
            username: None,
            password: None,
            from: "newsroom@localhost".into(),
            pool_size: 4,
            timeout_secs: 30,
        }
    }
}

pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: String,
    describe: String,
}

impl SmtpMailer {
    pub fn new(config: &SmtpConfig) -> Result<Self, MailError> {
        let host = config
            .host
            .clone()
            .ok_or_else(|| MailError::Build("no SMTP host configured".into()))?;
        let tls = match config.tls {
            TlsMode::None => Tls::None,
            TlsMode::Starttls | TlsMode::Tls => {
                let params = TlsParameters::new(host.clone())
                    .map_err(|e| MailError::Build(format!("TLS for {host}: {e}")))?;
                if config.tls == TlsMode::Tls {
                    Tls::Wrapper(params)
                } else {
                    Tls::Required(params)
                }
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone())
            .port(config.port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(config.timeout_secs.max(1))))
            .pool_config(PoolConfig::new().max_size(config.pool_size.max(1)));
        if let (Some(user), Some(pass)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
        }
        Ok(Self {
            transport: builder.build(),
            from: config.from.clone(),
            // Never the password: this goes to the log.
            describe: format!("smtp {host}:{} ({:?})", config.port, config.tls),
        })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        let message = build(&self.from, email)?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(MailError::Permanent(e.to_string())),
            // 4xx replies, timeouts, refused or dropped connections: try again later.
            Err(e) => Err(MailError::Temporary(e.to_string())),
        }
    }

    fn describe(&self) -> String {
        self.describe.clone()
    }
}
