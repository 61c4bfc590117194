//! Binding and serving: TCP_NODELAY on every connection (loopback's 64 KB MTU otherwise
//! stalls responses near that size under keep-alive), each request's peer address, a
//! deadline for every request head, and graceful shutdown.
//!
//! The accept loop is ours rather than `axum::serve`'s because `axum::serve` sets no timer on
//! hyper's connection builder, so a request head that never completes (or a connection that
//! sends nothing at all) is held for as long as the client likes: a few hundred of them and
//! the process spends its file descriptors on strangers. hyper's `header_read_timeout` starts
//! whenever the server waits for a head (from the moment a connection is accepted, and again
//! after each response), so it bounds a silent connection, a half-sent request and an idle
//! keep-alive connection alike.
//!
//! HTTP/1.1 only. Browsers speak HTTP/2 only over TLS, which the reverse proxy in front
//! terminates; serving h2c here too would need hyper's protocol sniffing, which reads the
//! first bytes with no deadline at all.

use std::net::SocketAddr;
use std::pin::pin;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// Binds `addr`; the error names the address.
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|e| {
        let hint = match e.kind() {
            std::io::ErrorKind::AddrInUse => " (is another server already running there?)",
            std::io::ErrorKind::PermissionDenied => " (ports below 1024 need privileges)",
            _ => "",
        };
        std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}{hint}"))
    })
}

/// Serves `app` until `shutdown` resolves, then lets in-flight requests finish.
///
/// A connection has `header_timeout` to deliver each request head, counted from the moment
/// the server starts waiting for it (so it is also the keep-alive idle time); when it runs
/// out the connection is closed.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    header_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let graceful = GracefulShutdown::new();
    let mut shutdown = pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(&e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        // Every request carries the address its connection came from (`ConnectInfo`): the
        // per-client limits and the proxy rules in `client.rs` read it. Without it every
        // client would be one client, the fallback loopback address.
        let service = app
            .clone()
            .map_request(move |mut request: http::Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            });
        let connection =
            builder.serve_connection(TokioIo::new(tcp), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::trace!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// What to do when `accept` fails. A connection reset before it was accepted is the
/// client's affair; anything else (out of file descriptors, above all) is logged and waited
/// out briefly rather than retried in a hot loop or allowed to stop the server.
async fn accept_failed(e: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::warn!(error = %e, "cannot accept a connection; retrying in a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
