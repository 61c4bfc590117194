//! Running the binary and talking to it over real HTTP.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_broadsheet"));
    c.env_remove("BROADSHEET_CONFIG")
        .env_remove("BROADSHEET_DATA")
        .env_remove("BROADSHEET_LISTEN");
    c
}

pub fn run(args: &[&str], data: &Path) -> Output {
    bin()
        .args(args)
        .arg("--data")
        .arg(data)
        .output()
        .expect("run broadsheet")
}

pub struct Server {
    pub child: Child,
    pub addr: String,
    /// Log lines up to and including the "serving" line.
    pub startup: Vec<String>,
    /// Log lines after it, as they arrive.
    pub log: mpsc::Receiver<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `broadsheet serve` on a free loopback port and waits for its "serving" line.
#[expect(
    clippy::zombie_processes,
    reason = "the child is killed and reaped by Server's Drop"
)]
pub fn serve(data: &Path, extra: &[&str]) -> Server {
    let mut child = bin()
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .args(extra)
        .env("BROADSHEET_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut startup = Vec::new();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("server start-up line");
        startup.push(line.clone());
        if let Some(rest) = line.split("serving http://").nth(1) {
            let addr = rest.split('/').next().expect("address").to_owned();
            return Server {
                child,
                addr,
                startup,
                log: rx,
            };
        }
    }
}

/// Sends one HTTP/1.1 request (`Connection: close` is added) and returns (status, the whole
/// response). A server that hangs fails the test after a minute instead of stalling it.
pub fn exchange(addr: &str, request: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let (head, body) = request.split_once("\r\n\r\n").unwrap_or((request, ""));
    write!(
        s,
        "{head}\r\nHost: {addr}\r\nConnection: close\r\n\r\n{body}"
    )
    .expect("write");
    let mut raw = String::new();
    s.read_to_string(&mut raw).expect("a response, not a hang");
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, raw)
}

/// A JSON POST with a bearer token; returns (status, the whole response).
pub fn http_post(addr: &str, path: &str, token: &str, body: &str) -> (u16, String) {
    exchange(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

/// A plain GET; returns (status, body).
pub fn http_get(addr: &str, path: &str) -> (u16, String) {
    let (status, raw) = exchange(addr, &format!("GET {path} HTTP/1.1"));
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `../shared/data` (or `BROADSHEET_SHARED_DATA`): the research corpora, or `None` after a skip
/// (a failure unless skipping is allowed).
#[track_caller]
pub fn shared_data(what: &str) -> Option<std::path::PathBuf> {
    broadsheet_testkit::shared_data(what)
}

/// A story in the "economy" section by "Desk", published (or due) at `at`.
pub fn story(
    id: &str,
    headline: &str,
    status: broadsheet_core::ArticleStatus,
    at: chrono::DateTime<chrono::Utc>,
) -> broadsheet_core::ArticleInput {
    broadsheet_core::ArticleInput {
        external_id: Some(id.into()),
        slug: None,
        headline: headline.into(),
        standfirst: "Standfirst".into(),
        body_markdown: "Body.".into(),
        section: broadsheet_core::Slug::parse("economy").expect("slug"),
        section_name: "Economy".into(),
        authors: vec!["Desk".into()],
        tags: vec![],
        hero: None,
        sources: vec![],
        instruments: vec![],
        status,
        importance: 2,
        published_at: Some(at),
        editorial: Default::default(),
    }
}

/// `broadsheet user add --role editor EMAIL --password-stdin` on the site in `data`.
pub fn add_editor(data: &Path, email: &str, password: &str) {
    let mut add = bin()
        .args([
            "user",
            "add",
            "--role",
            "editor",
            email,
            "--password-stdin",
            "--data",
        ])
        .arg(data)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("user add");
    add.stdin
        .take()
        .expect("stdin")
        .write_all(format!("{password}\n").as_bytes())
        .expect("password");
    assert!(add.wait().expect("user add").success());
}

/// The sign-in form posted to `addr`; (status, the whole response).
pub fn sign_in(addr: &str, email: &str, password: &str) -> (u16, String) {
    let form = format!(
        "email={}&password={}",
        email.replace('@', "%40"),
        password.replace(' ', "+")
    );
    exchange(
        addr,
        &format!(
            "POST /admin/sign-in HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\n\r\n{form}",
            form.len()
        ),
    )
}
