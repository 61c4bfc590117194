//! A fast SMTP sink and a raw SMTP client, for the `newsletter` scenario of `bench/run` only.
//!
//! The Python sink the tests use (`tools/smtp_sink.py`, aiosmtpd) tops out near 1,100 messages
//! a second on one core, so a benchmark through it measures the sink. This one is a plain
//! RFC 5321 receiver on tokio: it answers EHLO (PIPELINING, 8BITMIME, SIZE), MAIL, RCPT, DATA,
//! RSET, NOOP and QUIT, and like a real MTA it records each message (one JSON line with
//! recipient, Message-ID and size, appended with one `write`) *before* it answers 250. The
//! `blast` subcommand is the reference client: pre-built messages over persistent
//! connections, one command and one reply at a time, as lettre does, with nothing to compose.
//!
//! ```text
//! smtp-bench sink --dir DIR              prints "READY <port>", runs until killed
//! smtp-bench blast --port P --count N --connections C --size BYTES
//! ```
//! Both bind or connect to 127.0.0.1 only.

use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Accept mail on 127.0.0.1 and append one line per message to DIR/received.jsonl.
    Sink {
        #[arg(long)]
        dir: std::path::PathBuf,
        #[arg(long, default_value_t = 0)]
        port: u16,
    },
    /// Send COUNT messages of SIZE bytes over CONNECTIONS connections, as fast as the server takes them.
    Blast {
        #[arg(long)]
        port: u16,
        #[arg(long)]
        count: usize,
        #[arg(long, default_value_t = 8)]
        connections: usize,
        #[arg(long, default_value_t = 9000)]
        size: usize,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    match cli.command {
        Command::Sink { dir, port } => rt.block_on(sink(dir, port)),
        Command::Blast {
            port,
            count,
            connections,
            size,
        } => rt.block_on(blast(port, count, connections, size)),
    }
}

type Log = Arc<Mutex<std::fs::File>>;

async fn sink(dir: std::path::PathBuf, port: u16) -> anyhow::Result<()> {
    std::fs::create_dir_all(&dir)?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("received.jsonl"))
        .context("cannot open received.jsonl")?;
    let log: Log = Arc::new(Mutex::new(file));
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    println!("READY {}", listener.local_addr()?.port());
    std::io::stdout().flush()?;
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        let log = log.clone();
        tokio::spawn(async move {
            if let Err(e) = session(stream, log).await {
                eprintln!("session: {e}");
            }
        });
    }
}

/// One SMTP session. Replies are flushed before the next command is read, so a client that
/// pipelines still gets every answer.
async fn session(stream: TcpStream, log: Log) -> anyhow::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::with_capacity(64 * 1024, read);
    write
        .write_all(b"220 127.0.0.1 smtp-bench ESMTP\r\n")
        .await?;
    let mut line = Vec::with_capacity(512);
    let mut rcpts: Vec<String> = Vec::new();
    let mut has_from = false;
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line);
        let verb = text.get(..4).unwrap_or("").to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-127.0.0.1\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 52428800\r\n",
            "HELO" => b"250 127.0.0.1\r\n",
            "MAIL" => {
                has_from = true;
                rcpts.clear();
                b"250 2.1.0 OK\r\n"
            }
            "RCPT" if has_from => {
                rcpts.push(address(&text));
                b"250 2.1.5 OK\r\n"
            }
            "DATA" if !rcpts.is_empty() => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let (bytes, message_id) = data(&mut read).await?;
                let mut entry = Vec::with_capacity(160);
                for rcpt in rcpts.drain(..) {
                    serde_json::to_writer(
                        &mut entry,
                        &serde_json::json!({"rcpt": rcpt, "message_id": message_id, "bytes": bytes}),
                    )?;
                    entry.push(b'\n');
                }
                // Recorded before the 250, as an MTA takes responsibility for the message.
                log.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .write_all(&entry)?;
                has_from = false;
                b"250 2.0.0 OK queued\r\n"
            }
            "RCPT" | "DATA" => b"503 5.5.1 Bad sequence of commands\r\n",
            "RSET" => {
                has_from = false;
                rcpts.clear();
                b"250 2.0.0 OK\r\n"
            }
            "NOOP" => b"250 2.0.0 OK\r\n",
            "QUIT" => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 5.5.2 Command not recognised\r\n",
        };
        write.write_all(reply).await?;
    }
}

/// `<addr>` out of `RCPT TO:<addr> …`.
fn address(line: &str) -> String {
    match (line.find('<'), line.find('>')) {
        (Some(a), Some(b)) if b > a => line[a + 1..b].to_ascii_lowercase(),
        _ => line.trim().to_owned(),
    }
}

/// Reads a message up to the lone `.` line; returns its size and its Message-ID header.
async fn data<R: tokio::io::AsyncBufRead + Unpin>(read: &mut R) -> anyhow::Result<(usize, String)> {
    let mut bytes = 0;
    let mut message_id = String::new();
    let mut in_headers = true;
    let mut line = Vec::with_capacity(1024);
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            bail!("connection closed inside DATA");
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok((bytes, message_id));
        }
        bytes += line.len();
        if in_headers {
            if line == b"\r\n" || line == b"\n" {
                in_headers = false;
            } else if line.len() > 11 && line[..11].eq_ignore_ascii_case(b"message-id:") {
                message_id = String::from_utf8_lossy(&line[11..]).trim().to_owned();
            }
        }
    }
}

async fn blast(port: u16, count: usize, connections: usize, size: usize) -> anyhow::Result<()> {
    let connections = connections.max(1);
    let line = format!("{}\r\n", "x".repeat(76));
    let head = "From: news@example.com\r\nSubject: reference\r\n";
    let body = line.repeat(size.saturating_sub(head.len()) / line.len());
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for k in 0..connections {
        let n = count / connections + usize::from(k < count % connections);
        let message = format!("{head}Message-ID: <ref-{k}@example.com>\r\n\r\n{body}.\r\n");
        tasks.spawn(async move { client(port, k, n, message.into_bytes()).await });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{:.0} msg/s ({count} in {secs:.1} s)",
        count as f64 / secs.max(1e-9)
    );
    Ok(())
}

async fn client(port: u16, k: usize, n: usize, message: Vec<u8>) -> anyhow::Result<()> {
    let stream = TcpStream::connect(("127.0.0.1", port)).await?;
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let mut reply = String::new();
    let mut expect = async |read: &mut BufReader<_>, code: &str| -> anyhow::Result<()> {
        loop {
            reply.clear();
            if read.read_line(&mut reply).await? == 0 {
                bail!("server closed the connection");
            }
            if !reply.starts_with(code) {
                bail!("expected {code}, got {reply:?}");
            }
            if reply.as_bytes().get(3) != Some(&b'-') {
                return Ok(());
            }
        }
    };
    expect(&mut read, "220").await?;
    write.write_all(b"EHLO blast\r\n").await?;
    expect(&mut read, "250").await?;
    for i in 0..n {
        write.write_all(b"MAIL FROM:<news@example.com>\r\n").await?;
        expect(&mut read, "250").await?;
        write
            .write_all(format!("RCPT TO:<ref-{k}-{i}@example.com>\r\n").as_bytes())
            .await?;
        expect(&mut read, "250").await?;
        write.write_all(b"DATA\r\n").await?;
        expect(&mut read, "354").await?;
        write.write_all(&message).await?;
        expect(&mut read, "250").await?;
    }
    write.write_all(b"QUIT\r\n").await?;
    expect(&mut read, "221").await?;
    Ok(())
}
