//! A real SMTP server for the tests: `tools/smtp_sink.py` (aiosmtpd) on a free loopback port.
//! Without Python's aiosmtpd the tests that need it fail, unless skipping is allowed
//! (`broadsheet_testkit`).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Sink {
    child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct Received {
    pub rcpt: String,
    pub subject: String,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/smtp_sink.py")
}

impl Sink {
    pub fn start(what: &str, extra: &[&str]) -> Option<Self> {
        if !broadsheet_testkit::python_has("aiosmtpd") {
            broadsheet_testkit::skip(what, "an SMTP server (aiosmtpd)", "pip install aiosmtpd");
            return None;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let mut child = Command::new("python3")
            .arg(script())
            .arg("--dir")
            .arg(dir.path())
            .arg("--keep")
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the SMTP sink");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("READY line");
        let port = line
            .trim()
            .strip_prefix("READY ")
            .and_then(|p| p.parse().ok())
            .expect("a port");
        Some(Self { child, port, dir })
    }

    pub fn received(&self) -> Vec<Received> {
        std::fs::read_to_string(self.dir.path().join("received.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// The stored messages, in arrival order, quoted-printable soft breaks undone.
    pub fn messages(&self) -> Vec<String> {
        let n = self.received().len();
        (1..=n)
            .filter_map(|i| std::fs::read_to_string(self.dir.path().join(format!("{i}.eml"))).ok())
            .map(|m| m.replace("=\r\n", "").replace("=3D", "="))
            .collect()
    }

    /// Waits until at least `n` messages have arrived.
    pub fn wait_for(&self, n: usize) -> Vec<Received> {
        let start = Instant::now();
        loop {
            let got = self.received();
            if got.len() >= n || start.elapsed() > Duration::from_secs(30) {
                return got;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn mailer(&self) -> std::sync::Arc<dyn broadsheet_mail::Mailer> {
        let config = broadsheet_mail::SmtpConfig {
            host: Some("127.0.0.1".into()),
            port: self.port,
            tls: broadsheet_mail::TlsMode::None,
            from: "The Meridian Ledger <news@ledger.example>".into(),
            timeout_secs: 5,
            ..Default::default()
        };
        std::sync::Arc::new(broadsheet_mail::SmtpMailer::new(&config).expect("smtp"))
    }
}
