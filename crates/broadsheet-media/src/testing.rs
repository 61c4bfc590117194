//! A real S3-compatible server for tests: moto's server (PyPI `moto[server]`) on a free
//! loopback port. Without moto a test fails, unless skipping is allowed (`broadsheet_testkit`).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::S3Config;

pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts moto's S3 server on a free loopback port, or `None` after a skip when it is not
/// installed (a failure unless skipping is allowed).
#[track_caller]
pub fn moto(what: &str) -> Option<Moto> {
    if !broadsheet_testkit::python_has("moto.server") {
        broadsheet_testkit::skip(what, "an S3 server (moto)", "pip install \"moto[server]\"");
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let child = Command::new("python3")
        .args([
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start moto");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "moto did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    })
}

/// Settings for `bucket` on the test server (any keys do).
pub fn config(endpoint: &str, bucket: &str) -> S3Config {
    S3Config {
        endpoint: endpoint.to_owned(),
        bucket: bucket.to_owned(),
        region: "us-east-1".into(),
        access_key: "test-access".into(),
        secret_key: "test-secret".into(),
        path_style: true,
    }
}
