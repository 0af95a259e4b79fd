//! The HTTP endpoint (hyper 1, HTTP/1.1): an accept loop with a connection limit, per-connection
//! timeouts and graceful shutdown. Handlers only read the current snapshot (and render an
//! article page on its first request).

pub(crate) mod accept;
pub mod conditional;
pub(crate) mod encoding;
pub mod host;
pub(crate) mod limits;
pub(crate) mod links;
pub(crate) mod metrics;
pub(crate) mod preview;
pub(crate) mod response;
pub(crate) mod router;
pub(crate) mod security;
pub(crate) mod slots;

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tracing::{debug, info, warn};

pub(crate) use router::AppState;

/// Most connections served at once; further clients wait in the listen backlog.
pub(crate) const MAX_CONNECTIONS: usize = 4096;
/// Time a client has to send a request's headers.
pub(crate) const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Time in-flight requests get to finish after shutdown begins.
pub(crate) const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// Pause after a failed `accept` (e.g. out of file descriptors) before trying again.
pub(crate) const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// Serves the feeds on `listener` until `shutdown` completes, then lets open connections
/// finish for at most [`SHUTDOWN_GRACE`].
pub(crate) async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()>,
) {
    let handler = move |req: Request<Incoming>| {
        let state = Arc::clone(&state);
        async move { router::handle(&req, &state).await }
    };
    serve_with(listener, handler, shutdown).await;
}

/// Serves `listener` with `handler` until `shutdown` completes, then lets open connections
/// finish for at most [`SHUTDOWN_GRACE`].
pub(crate) async fn serve_with<H, F>(
    listener: TcpListener,
    handler: H,
    shutdown: impl Future<Output = ()>,
) where
    H: Fn(Request<Incoming>) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = response::HttpResponse> + Send + 'static,
{
    let graceful = GracefulShutdown::new();
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let clients = Arc::new(limits::Clients::default());
    let full = limits::Episode::default();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        if permits.available_permits() == 0 {
            if full.hit() {
                warn!(
                    limit = MAX_CONNECTIONS,
                    "connection limit reached; new clients wait in the listen backlog"
                );
            }
        } else if full.clear() {
            info!("below the connection limit again");
        }
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    warn!(error = %e, "accept failed");
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(client) = clients.admit(peer.ip()) else {
            drop(stream);
            continue;
        };
        let handler = handler.clone();
        let service = service_fn(move |req| {
            let answer = handler(req);
            async move { Ok::<_, Infallible>(answer.await) }
        });
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_READ_TIMEOUT)
            .serve_connection(
                TokioIo::new(limits::TimedWrites::new(stream, limits::WRITE_TIMEOUT)),
                service,
            );
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                debug!(%peer, error = %e, "connection ended with an error");
            }
            drop((permit, client));
        });
    }
    drop(listener);
    info!("no longer accepting connections");
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        warn!(grace = ?SHUTDOWN_GRACE, "open connections did not finish in time; closing them");
    }
}
