//! Stand-in WebSub hub for tests: a real hyper server on 127.0.0.1 that records publish pings
//! and answers with scripted statuses.
#![allow(dead_code)] // shared by several test binaries; each uses a subset

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, USER_AGENT};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};

/// One request the hub received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ping {
    /// HTTP method.
    pub method: String,
    /// Request path.
    pub path: String,
    /// `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// `User-Agent` header, if any.
    pub user_agent: Option<String>,
    /// All decoded form pairs, in order.
    pub form: Vec<(String, String)>,
    /// The `hub.mode` value ("" if absent).
    pub mode: String,
    /// The `hub.url` values, in order.
    pub topics: Vec<String>,
}

#[derive(Default)]
struct State {
    pings: Mutex<Vec<Ping>>,
    responses: Mutex<VecDeque<u16>>,
    arrived: Notify,
}

/// A running stand-in hub; stops (with its connections) on drop.
pub(crate) struct Hub {
    addr: SocketAddr,
    state: Arc<State>,
    server: JoinHandle<()>,
}

impl Hub {
    /// Starts on 127.0.0.1:0, answering with `responses` in order, then 204 forever.
    pub(crate) fn start(responses: Vec<u16>) -> Hub {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind hub");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let addr = std_listener.local_addr().expect("hub addr");
        let listener = tokio::net::TcpListener::from_std(std_listener).expect("tokio listener");
        let state = Arc::new(State {
            responses: Mutex::new(responses.into()),
            ..State::default()
        });
        let shared = Arc::clone(&state);
        let server = tokio::spawn(async move {
            // Owned here so aborting the server task also aborts every connection.
            let mut conns = JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = Arc::clone(&shared);
                conns.spawn(async move {
                    let svc = service_fn(move |req| handle(Arc::clone(&state), req));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
                while conns.try_join_next().is_some() {}
            }
        });
        Hub {
            addr,
            state,
            server,
        }
    }

    /// The hub endpoint, `http://127.0.0.1:PORT/hub`.
    pub(crate) fn url(&self) -> String {
        format!("http://{}/hub", self.addr)
    }

    /// Everything recorded so far.
    pub(crate) fn pings(&self) -> Vec<Ping> {
        self.state.pings.lock().expect("pings lock").clone()
    }

    /// Waits until at least `n` requests arrived; false on timeout.
    pub(crate) async fn wait_for(&self, n: usize, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Created before the check so a ping recorded in between still wakes us.
            let arrived = self.state.arrived.notified();
            if self.pings().len() >= n {
                return true;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return self.pings().len() >= n;
            }
        }
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let header = |name| {
        req.headers()
            .get(name)
            .and_then(|v: &hyper::header::HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    let (content_type, user_agent) = (header(CONTENT_TYPE), header(USER_AGENT));
    let (method, path) = (req.method().to_string(), req.uri().path().to_owned());
    let body = req.into_body().collect().await?.to_bytes();
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let values = |key: &str| {
        form.iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
    };
    let mode = values("hub.mode").into_iter().next().unwrap_or_default();
    let topics = values("hub.url");
    let status = state
        .responses
        .lock()
        .expect("responses lock")
        .pop_front()
        .unwrap_or(204);
    let ping = Ping {
        method,
        path,
        content_type,
        user_agent,
        form,
        mode,
        topics,
    };
    state.pings.lock().expect("pings lock").push(ping);
    state.arrived.notify_waiters();
    Ok(Response::builder()
        .status(status)
        .body(Full::new(Bytes::new()))
        .expect("response"))
}
