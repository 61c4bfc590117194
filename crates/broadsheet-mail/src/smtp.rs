//! Sending through an SMTP relay with lettre: a pooled async transport, STARTTLS or TLS, and
//! replies sorted into temporary (retry) and permanent (bounce) failures.

use std::time::Duration;

use async_trait::async_trait;
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
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

/// lettre's SMTP protocol over our own pool of connections. lettre 0.11.23 leaves Nagle on, and
/// it writes the final `.` of every message as a separate small write, which then waits for the
/// relay's delayed ACK: about 40 ms a message, whatever the machine (lettre PR #1159, not yet
/// released). So plain and STARTTLS connections are made here, with `TCP_NODELAY`, and handed to
/// lettre's `AsyncSmtpConnection`; implicit TLS (port 465) goes through lettre's own transport.
pub struct SmtpMailer {
    config: SmtpConfig,
    host: String,
    idle: tokio::sync::Mutex<Vec<AsyncSmtpConnection>>,
    wrapper: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: String,
    describe: String,
}

impl SmtpMailer {
    pub fn new(config: &SmtpConfig) -> Result<Self, MailError> {
        let host = config
            .host
            .clone()
            .ok_or_else(|| MailError::Build("no SMTP host configured".into()))?;
        let wrapper = match config.tls {
            TlsMode::Tls => {
                let params = TlsParameters::new(host.clone())
                    .map_err(|e| MailError::Build(format!("TLS for {host}: {e}")))?;
                let mut builder =
                    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone())
                        .port(config.port)
                        .tls(Tls::Wrapper(params))
                        .timeout(Some(Duration::from_secs(config.timeout_secs.max(1))))
                        .pool_config(PoolConfig::new().max_size(config.pool_size.max(1)));
                if let Some(c) = credentials(config) {
                    builder = builder.credentials(c);
                }
                Some(builder.build())
            }
            _ => None,
        };
        Ok(Self {
            config: config.clone(),
            // Never the password: this goes to the log.
            describe: format!("smtp {host}:{} ({:?})", config.port, config.tls),
            host,
            idle: tokio::sync::Mutex::new(Vec::new()),
            wrapper,
            from: config.from.clone(),
        })
    }

    /// A connection ready for mail, or a timeout: the TCP connect, the greeting, EHLO,
    /// STARTTLS and AUTH together take at most `timeout_secs`, so a relay that accepts a
    /// connection and then says nothing cannot hold a sender (and its leases) forever.
    async fn connect(&self) -> Result<AsyncSmtpConnection, MailError> {
        let timeout = Duration::from_secs(self.config.timeout_secs.max(1));
        tokio::time::timeout(timeout, self.handshake())
            .await
            .map_err(|_| {
                MailError::Temporary(format!(
                    "connecting to {}:{} timed out",
                    self.host, self.config.port
                ))
            })?
    }

    async fn handshake(&self) -> Result<AsyncSmtpConnection, MailError> {
        let where_ = format!("{}:{}", self.host, self.config.port);
        let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.config.port))
            .await
            .map_err(|e| MailError::Temporary(format!("cannot connect to {where_}: {e}")))?;
        tcp.set_nodelay(true)
            .map_err(|e| MailError::Temporary(e.to_string()))?;
        let hello = ClientId::default();
        let mut conn = AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &hello)
            .await
            .map_err(classify)?;
        if self.config.tls == TlsMode::Starttls {
            let params = TlsParameters::new(self.host.clone()).map_err(classify)?;
            conn.starttls(params, &hello).await.map_err(classify)?;
        }
        if let Some(c) = credentials(&self.config) {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], &c)
                .await
                .map_err(classify)?;
        }
        Ok(conn)
    }

    async fn send_pooled(&self, message: lettre::Message) -> Result<(), MailError> {
        let bytes = message.formatted();
        let envelope = message.envelope();
        let reused = self.idle.lock().await.pop();
        let mut conn = match reused {
            Some(c) => c,
            None => self.connect().await?,
        };
        let timeout = Duration::from_secs(self.config.timeout_secs.max(1));
        let sent = tokio::time::timeout(timeout, conn.send(envelope, &bytes)).await;
        match sent {
            Ok(Ok(_)) => {
                let mut idle = self.idle.lock().await;
                if idle.len() < self.config.pool_size.max(1) as usize {
                    idle.push(conn);
                }
                Ok(())
            }
            Ok(Err(e)) => {
                // A refused recipient leaves the session usable, but a clean one is cheap.
                conn.abort().await;
                Err(classify(e))
            }
            Err(_) => Err(MailError::Temporary(
                "the SMTP server did not answer in time".into(),
            )),
        }
    }
}

/// 5xx replies are permanent; 4xx replies, timeouts and dropped connections are worth a retry.
fn classify(e: lettre::transport::smtp::Error) -> MailError {
    if e.is_permanent() {
        MailError::Permanent(e.to_string())
    } else {
        MailError::Temporary(e.to_string())
    }
}

fn credentials(config: &SmtpConfig) -> Option<Credentials> {
    match (&config.username, &config.password) {
        (Some(user), Some(pass)) => Some(Credentials::new(user.clone(), pass.clone())),
        _ => None,
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        let message = build(&self.from, email)?;
        match &self.wrapper {
            Some(t) => t.send(message).await.map(|_| ()).map_err(classify),
            None => self.send_pooled(message).await,
        }
    }

    fn describe(&self) -> String {
        self.describe.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A relay that accepts the connection and never greets: the send gives up with a
    /// temporary failure (to be retried) instead of holding the sender for ever.
    #[tokio::test]
    async fn a_relay_that_never_greets_is_a_temporary_failure() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let silent = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                open.push(socket);
            }
        });
        let mailer = SmtpMailer::new(&SmtpConfig {
            host: Some("127.0.0.1".into()),
            port,
            tls: TlsMode::None,
            timeout_secs: 1,
            ..Default::default()
        })
        .expect("mailer");
        let email = Email {
            to: "reader@example.com".into(),
            subject: "Hello".into(),
            text: "Hello".into(),
            html: None,
            message_id: None,
            headers: Vec::new(),
        };
        // The outer limit only keeps a regression from hanging the suite.
        let sent = tokio::time::timeout(Duration::from_secs(60), mailer.send(&email))
            .await
            .expect("the send gave up by itself");
        match sent {
            Err(MailError::Temporary(why)) => assert!(why.contains("timed out"), "{why}"),
            other => panic!("expected a temporary failure, got {other:?}"),
        }
        silent.abort();
    }
}
