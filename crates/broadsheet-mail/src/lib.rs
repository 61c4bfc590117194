//! The mail layer: one `Mailer` trait for every message Broadsheet sends (password resets now,
//! the newsletter next), and `Outbox`, the mailer used when no SMTP relay is configured: each
//! message is written as an RFC 5322 `.eml` file to the data directory's `outbox/`, where an
//! operator (or a test) can read it.
//!
//! Messages are built with lettre's builder, so headers are encoded and lines folded
//! correctly whatever the transport.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use lettre::message::{Mailbox, MultiPart, SinglePart, header};

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The server said "try later" (a 4xx reply, a timeout, a refused connection).
    #[error("temporary failure: {0}")]
    Temporary(String),
    /// The server refused the message for good (a 5xx reply).
    #[error("permanent failure: {0}")]
    Permanent(String),
    #[error("invalid address {address:?}: {reason}")]
    Address { address: String, reason: String },
    #[error("cannot build the message: {0}")]
    Build(String),
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A message to send: plain text always, HTML optionally (sent as multipart/alternative).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    /// `<id@host>`; a deterministic one lets a receiver spot a repeat.
    pub message_id: Option<String>,
    /// Extra headers (`List-Unsubscribe`, …). A value holding CR or LF is refused.
    pub headers: Vec<(String, String)>,
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, email: &Email) -> Result<(), MailError>;
    /// Where mail goes, for the log line at start (`outbox /path`, `smtp host:port`).
    fn describe(&self) -> String;
}

fn mailbox(address: &str) -> Result<Mailbox, MailError> {
    address
        .parse()
        .map_err(|e: lettre::address::AddressError| MailError::Address {
            address: address.to_owned(),
            reason: e.to_string(),
        })
}

/// The message, checked and built.
pub fn build(from: &str, email: &Email) -> Result<lettre::Message, MailError> {
    let injected = |s: &str| s.contains(['\r', '\n']);
    if injected(&email.to) || injected(&email.subject) {
        return Err(MailError::Build(
            "a line break in the address or subject".into(),
        ));
    }
    let mut builder = lettre::Message::builder()
        .from(mailbox(from)?)
        .to(mailbox(&email.to)?)
        .subject(email.subject.clone())
        .date_now();
    if let Some(id) = &email.message_id {
        if injected(id) {
            return Err(MailError::Build("a line break in the Message-ID".into()));
        }
        builder = builder.message_id(Some(id.clone()));
    }
    let text = SinglePart::builder()
        .header(header::ContentType::TEXT_PLAIN)
        .body(email.text.clone());
    let message = match &email.html {
        Some(html) => builder.multipart(
            MultiPart::alternative().singlepart(text).singlepart(
                SinglePart::builder()
                    .header(header::ContentType::TEXT_HTML)
                    .body(html.clone()),
            ),
        ),
        None => builder.singlepart(text),
    }
    .map_err(|e| MailError::Build(e.to_string()))?;
    let mut message = message;
    for (name, value) in &email.headers {
        if injected(name)
            || injected(value)
            || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(MailError::Build(format!("header {name:?} is not valid")));
        }
        let name = lettre::message::header::HeaderName::new_from_ascii(name.clone())
            .map_err(|e| MailError::Build(e.to_string()))?;
        message
            .headers_mut()
            .insert_raw(lettre::message::header::HeaderValue::new(
                name,
                value.clone(),
            ));
    }
    Ok(message)
}

/// The message as the bytes of an `.eml` file.
pub fn format(from: &str, email: &Email) -> Result<Vec<u8>, MailError> {
    Ok(build(from, email)?.formatted())
}

/// Writes every message to `dir` as `<time>-<n>.eml`.
pub struct Outbox {
    dir: PathBuf,
    from: String,
    seq: AtomicU64,
}

impl Outbox {
    pub fn new(dir: &Path, from: &str) -> Self {
        Self {
            dir: dir.to_owned(),
            from: from.to_owned(),
            seq: AtomicU64::new(0),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[async_trait]
impl Mailer for Outbox {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        let bytes = format(&self.from, email)?;
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| MailError::Io { path, source }
        };
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(io(&self.dir))?;
        let n = self.seq.fetch_add(1, Ordering::Relaxed);
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f");
        let name = format!("{stamp}-{}-{n}.eml", std::process::id());
        // Written under a temporary name and renamed, so a reader never sees half a message.
        let tmp = self.dir.join(format!(".{name}.tmp"));
        let path = self.dir.join(&name);
        tokio::fs::write(&tmp, &bytes).await.map_err(io(&tmp))?;
        tokio::fs::rename(&tmp, &path).await.map_err(io(&path))?;
        tracing::info!(to = %email.to, file = %path.display(), "mail written to the outbox");
        Ok(())
    }

    fn describe(&self) -> String {
        format!("outbox {} (no SMTP relay configured)", self.dir.display())
    }
}

mod smtp;
pub use smtp::{SmtpConfig, SmtpMailer, TlsMode};

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_outbox_holds_one_complete_message_per_send() {
        let dir = tempfile::tempdir().expect("tempdir");
        let outbox = Outbox::new(&dir.path().join("outbox"), "Site <news@example.com>");
        let email = Email {
            to: "ana@example.com".into(),
            subject: "Réinitialiser — reset your password".into(),
            text: "Open https://example.com/admin/reset/abc".into(),
            ..Default::default()
        };
        outbox.send(&email).await.expect("send");
        outbox.send(&email).await.expect("send");
        let files: Vec<_> = std::fs::read_dir(outbox.dir())
            .expect("dir")
            .map(|e| e.expect("entry").path())
            .collect();
        assert_eq!(files.len(), 2, "{files:?}");
        let eml = std::fs::read_to_string(&files[0]).expect("read");
        assert!(eml.contains("To: ana@example.com"), "{eml}");
        assert!(eml.contains("Subject: =?utf-8?"), "encoded subject: {eml}");
        assert!(eml.contains("https://example.com/admin/reset/abc"), "{eml}");
    }

    #[tokio::test]
    async fn a_bad_address_is_refused_and_nothing_is_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let outbox = Outbox::new(dir.path(), "news@example.com");
        let err = outbox
            .send(&Email {
                to: "not an address".into(),
                subject: "x".into(),
                text: "x".into(),
                ..Default::default()
            })
            .await
            .expect_err("refused");
        assert!(err.to_string().contains("not an address"), "{err}");
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
    }

    #[test]
    fn line_breaks_cannot_inject_headers() {
        let base = Email {
            to: "ana@example.com".into(),
            subject: "Hello".into(),
            text: "x".into(),
            ..Default::default()
        };
        for bad in [
            Email {
                subject: "Hi\r\nBcc: victim@example.com".into(),
                ..base.clone()
            },
            Email {
                to: "ana@example.com\r\nBcc: victim@example.com".into(),
                ..base.clone()
            },
            Email {
                headers: vec![(
                    "List-Unsubscribe".into(),
                    "<x>\r\nBcc: v@example.com".into(),
                )],
                ..base.clone()
            },
            Email {
                headers: vec![("Bad Name".into(), "x".into())],
                ..base.clone()
            },
        ] {
            assert!(format("news@example.com", &bad).is_err(), "{bad:?}");
        }
        let ok = Email {
            message_id: Some("<issue-1.sub-2@example.com>".into()),
            headers: vec![(
                "List-Unsubscribe-Post".into(),
                "List-Unsubscribe=One-Click".into(),
            )],
            ..base
        };
        let eml = String::from_utf8(format("news@example.com", &ok).expect("ok")).expect("utf8");
        assert!(
            eml.contains("Message-ID: <issue-1.sub-2@example.com>"),
            "{eml}"
        );
        assert!(
            eml.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
            "{eml}"
        );
    }
}
