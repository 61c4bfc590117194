//! Per-client limits against the real binary, from several loopback source addresses
//! (127.0.0.2, 127.0.0.3, …) over real sockets: the server must see each connection's own
//! address, so one client's burst never limits another, and `X-Forwarded-For` is believed only
//! from a trusted proxy. (In-process tests inject the connection info; only the binary can show
//! that `serve` provides it.)

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{run, serve, stderr};

/// One `GET` from source address `src` to `addr`, on its own connection; the status code.
fn get_from(src: &str, addr: &str, path: &str, forwarded_for: Option<&str>) -> u16 {
    let xff = forwarded_for
        .map(|v| format!("X-Forwarded-For: {v}\r\n"))
        .unwrap_or_default();
    request_from(
        src,
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: news.test\r\n{xff}Connection: close\r\n\r\n"),
    )
}

/// A sign-in form posted from source address `src`; the status code.
fn sign_in_from(src: &str, addr: &str, email: &str, password: &str) -> u16 {
    let form = format!(
        "email={}&password={}",
        email.replace('@', "%40"),
        password.replace(' ', "+")
    );
    request_from(
        src,
        addr,
        &format!(
            "POST /admin/sign-in HTTP/1.1\r\nHost: news.test\r\nConnection: close\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
            form.len()
        ),
    )
}

/// Sends `request` from source address `src` to `addr` on its own connection; the status.
fn request_from(src: &str, addr: &str, request: &str) -> u16 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket
            .bind(format!("{src}:0").parse().expect("source"))
            .expect("bind the source address");
        let mut conn = tokio::time::timeout(
            Duration::from_secs(10),
            socket.connect(addr.parse().expect("addr")),
        )
        .await
        .expect("connect in time")
        .expect("connect");
        conn.write_all(request.as_bytes()).await.expect("write");
        let mut answer = Vec::new();
        tokio::time::timeout(Duration::from_secs(30), conn.read_to_end(&mut answer))
            .await
            .expect("answer in time")
            .expect("read");
        let head = String::from_utf8_lossy(&answer[..answer.len().min(64)]).into_owned();
        head.split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP answer: {head:?}"))
    })
}

#[test]
fn one_address_guessing_at_an_account_is_stopped_without_locking_its_owner_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("site");
    crate::support::add_editor(&data, "ana@example.com", "the owner's long password");
    let server = serve(&data, &[]);
    let addr = server.addr.clone();

    let guesses: Vec<u16> = (0..8)
        .map(|i| {
            sign_in_from(
                "127.0.0.2",
                &addr,
                "ana@example.com",
                &format!("guess number {i}"),
            )
        })
        .collect();
    assert_eq!(&guesses[..5], &[401; 5], "{guesses:?}");
    assert_eq!(
        &guesses[5..],
        &[429; 3],
        "the guessing address is stopped: {guesses:?}"
    );
    assert_eq!(
        sign_in_from(
            "127.0.0.3",
            &addr,
            "ana@example.com",
            "the owner's long password"
        ),
        303,
        "the owner, from another address, signs in"
    );
}

#[test]
fn each_connection_is_limited_by_its_own_address_and_forwarded_for_needs_a_trusted_proxy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("site");
    let out = run(&["demo"], &data);
    assert!(out.status.success(), "{}", stderr(&out));
    let config = dir.path().join("broadsheet.toml");
    std::fs::write(
        &config,
        "[limits]\nsearch_per_second = 1\nsearch_burst = 3\n\n[proxy]\ntrusted = [\"127.0.0.1\"]\n",
    )
    .expect("config");
    let server = serve(&data, &["--config", &config.display().to_string()]);
    let addr = server.addr.clone();
    let search = "/search?q=rates";

    // 127.0.0.2 is not a proxy: its own burst runs out however it names itself.
    let from_two: Vec<u16> = (0..8)
        .map(|i| get_from("127.0.0.2", &addr, search, Some(&format!("203.0.113.{i}"))))
        .collect();
    assert_eq!(&from_two[..3], &[200, 200, 200], "{from_two:?}");
    assert!(
        from_two[3..].contains(&429),
        "a client that forges X-Forwarded-For is still limited by its address: {from_two:?}"
    );
    // Another address has its own allowance, at once.
    assert_eq!(get_from("127.0.0.3", &addr, search, None), 200);
    assert_eq!(get_from("127.0.0.4", &addr, search, None), 200);

    // 127.0.0.1 is the trusted proxy: the client it names is the one limited.
    let via_proxy: Vec<u16> = (0..8)
        .map(|_| get_from("127.0.0.1", &addr, search, Some("198.51.100.7")))
        .collect();
    assert!(via_proxy.contains(&429), "{via_proxy:?}");
    assert_eq!(
        get_from("127.0.0.1", &addr, search, Some("198.51.100.8")),
        200,
        "another client behind the proxy is not limited by the first"
    );
}

/// Connections from `src` that each send `head` (part of a request, or nothing) and then wait.
async fn stalled_connections(
    src: &str,
    addr: &str,
    head: &str,
    n: usize,
) -> Vec<tokio::net::TcpStream> {
    let mut held = Vec::with_capacity(n);
    for _ in 0..n {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket
            .bind(format!("{src}:0").parse().expect("source"))
            .expect("bind the source address");
        let mut conn = socket
            .connect(addr.parse().expect("addr"))
            .await
            .expect("connect");
        conn.write_all(head.as_bytes()).await.expect("write");
        held.push(conn);
    }
    held
}

#[test]
fn half_sent_and_silent_connections_are_closed_after_the_header_timeout_and_starve_nobody() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("site");
    let out = run(&["demo"], &data);
    assert!(out.status.success(), "{}", stderr(&out));
    let config = dir.path().join("broadsheet.toml");
    std::fs::write(&config, "[limits]\nheader_timeout_secs = 2\n").expect("config");
    let server = serve(&data, &["--config", &config.display().to_string()]);
    let addr = server.addr.clone();

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut held = rt.block_on(async {
        let mut held = stalled_connections(
            "127.0.0.5",
            &addr,
            "GET / HTTP/1.1\r\nHost: x\r\nX-A: ",
            250,
        )
        .await;
        held.extend(stalled_connections("127.0.0.6", &addr, "", 100).await);
        held
    });

    // While they are held, everyone else is served.
    assert_eq!(get_from("127.0.0.7", &addr, "/healthz", None), 200);
    assert_eq!(get_from("127.0.0.7", &addr, "/", None), 200);

    // Every stalled connection is closed by the server (a generous bound above the 2 s
    // deadline: without one, hyper holds them for as long as the client likes).
    let total = held.len();
    let closed = rt.block_on(async {
        let mut reads = tokio::task::JoinSet::new();
        for mut conn in held.drain(..) {
            reads.spawn(async move {
                let mut rest = Vec::new();
                let read =
                    tokio::time::timeout(Duration::from_secs(20), conn.read_to_end(&mut rest));
                matches!(read.await, Ok(Ok(_)))
            });
        }
        reads.join_all().await.into_iter().filter(|c| *c).count()
    });
    assert_eq!(closed, total, "connections the server never closed");
    // And the server still answers afterwards.
    assert_eq!(get_from("127.0.0.8", &addr, "/healthz", None), 200);
}
