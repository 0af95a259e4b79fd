//! WebSub publisher pings (W3C WebSub §7, "Publishing").
//!
//! Feeds advertise a configured hub; when feeds change, [`Pinger::changed`] queues their topic
//! URLs and a background task POSTs `hub.mode=publish&hub.url=<topic>...` to the hub. Callers
//! never wait on the hub: the pending queue is bounded, changes are coalesced into one ping,
//! and retries are bounded (topics of a ping that finally fails are dropped; a feed that
//! changes again pings again).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::client::conn::http1;
use hyper::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HOST, USER_AGENT};
use hyper::{Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tracing::{debug, warn};

/// Most distinct topic URLs waiting for a ping; further topics are dropped with a warning.
pub(crate) const MAX_PENDING_TOPICS: usize = 1024;
/// Attempts per ping (first try included) before its topics are dropped.
pub(crate) const MAX_PING_ATTEMPTS: u32 = 4;
/// Delay before the first retry; it doubles before each further retry.
pub(crate) const PING_RETRY_BASE: Duration = Duration::from_millis(500);
/// Limit on one attempt, covering connect, request and response head.
pub(crate) const PING_TIMEOUT: Duration = Duration::from_secs(10);
/// `User-Agent` sent to the hub.
pub(crate) const PING_USER_AGENT: &str = concat!("seedfeed/", env!("CARGO_PKG_VERSION"));

/// Retry behaviour of a [`Pinger`]; tests shorten it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PingPolicy {
    /// Attempts per ping, first try included (at least 1 is made).
    pub attempts: u32,
    /// Delay before the first retry; doubles before each further retry.
    pub retry_base: Duration,
    /// Limit on one attempt (connect + request + response head).
    pub timeout: Duration,
}

impl Default for PingPolicy {
    fn default() -> Self {
        Self {
            attempts: MAX_PING_ATTEMPTS,
            retry_base: PING_RETRY_BASE,
            timeout: PING_TIMEOUT,
        }
    }
}

/// Outcome counters, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct PingStats {
    /// Pings the hub accepted (2xx).
    pub sent: u64,
    /// Pings given up on (rejected, or attempts exhausted).
    pub failed: u64,
    /// Topics dropped because the pending queue was full.
    pub dropped: u64,
}

/// State shared by the handles and the background task.
#[derive(Debug, Default)]
struct Shared {
    pending: Mutex<BTreeSet<String>>,
    wake: Notify,
    closed: AtomicBool,
    sent: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
}

/// Held only by handles, so its drop means the last [`Pinger`] clone is gone.
#[derive(Debug)]
struct Owner(Arc<Shared>);

impl Drop for Owner {
    fn drop(&mut self) {
        self.0.closed.store(true, Ordering::Release);
        // `notify_one` stores a permit, so a task not yet waiting still sees it.
        self.0.wake.notify_one();
    }
}

/// Handle to the background ping task; cheap to clone, the task ends when all clones drop.
#[derive(Debug, Clone)]
pub(crate) struct Pinger {
    owner: Arc<Owner>,
}

impl Pinger {
    /// Starts the ping task for `hub` with the default policy; needs a tokio runtime.
    pub(crate) fn spawn(hub: Uri) -> Pinger {
        Self::spawn_with(hub, PingPolicy::default())
    }

    /// Starts the ping task for `hub` with `policy`; needs a tokio runtime.
    pub(crate) fn spawn_with(hub: Uri, policy: PingPolicy) -> Pinger {
        let shared = Arc::new(Shared::default());
        tokio::spawn(run(hub, policy, Arc::clone(&shared)));
        Pinger {
            owner: Arc::new(Owner(shared)),
        }
    }

    /// Queues changed topic URLs and wakes the task; never blocks on the hub.
    pub(crate) fn changed(&self, topics: Vec<String>) {
        let shared = &self.owner.0;
        let mut dropped = 0u64;
        {
            let mut pending = lock(&shared.pending);
            for topic in topics {
                // A topic already pending costs nothing, so only new ones count against the bound.
                if pending.len() < MAX_PENDING_TOPICS || pending.contains(&topic) {
                    pending.insert(topic);
                } else {
                    dropped += 1;
                }
            }
        }
        if dropped > 0 {
            shared.dropped.fetch_add(dropped, Ordering::Relaxed);
            warn!(
                dropped,
                limit = MAX_PENDING_TOPICS,
                "websub: pending queue full, dropped {dropped} topic(s)"
            );
        }
        shared.wake.notify_one();
    }

    /// Current outcome counters.
    pub(crate) fn stats(&self) -> PingStats {
        let s = &self.owner.0;
        PingStats {
            sent: s.sent.load(Ordering::Relaxed),
            failed: s.failed.load(Ordering::Relaxed),
            dropped: s.dropped.load(Ordering::Relaxed),
        }
    }
}

/// A panic elsewhere must not stop publishing; the set is valid whatever happened.
fn lock(m: &Mutex<BTreeSet<String>>) -> MutexGuard<'_, BTreeSet<String>> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Task body: take everything pending, ping, repeat; exit once closed and drained.
async fn run(hub: Uri, policy: PingPolicy, shared: Arc<Shared>) {
    loop {
        let batch = std::mem::take(&mut *lock(&shared.pending));
        if batch.is_empty() {
            if shared.closed.load(Ordering::Acquire) {
                break;
            }
            shared.wake.notified().await;
            continue;
        }
        let topics: Vec<String> = batch.into_iter().collect();
        let counter = if deliver(&hub, &policy, &topics).await {
            &shared.sent
        } else {
            &shared.failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
    debug!("websub: pinger stopped");
}

/// The form body WebSub publishers send.
fn encode(topics: &[String]) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("hub.mode", "publish");
    for topic in topics {
        form.append_pair("hub.url", topic);
    }
    form.finish()
}

/// Statuses worth another try: the hub is overloaded, slow or broken, not refusing.
fn retryable(status: StatusCode) -> bool {
    status.is_server_error()
        || status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
}

/// Sends one ping with bounded retries; true if the hub accepted it.
async fn deliver(hub: &Uri, policy: &PingPolicy, topics: &[String]) -> bool {
    let body = Bytes::from(encode(topics));
    let attempts = policy.attempts.max(1);
    let mut delay = policy.retry_base;
    for attempt in 1..=attempts {
        let reason = match tokio::time::timeout(policy.timeout, post(hub, body.clone())).await {
            Ok(Ok(status)) if status.is_success() => {
                debug!(topics = topics.len(), %status, attempt, "websub: hub accepted ping");
                return true;
            }
            Ok(Ok(status)) if retryable(status) => format!("hub answered {status}"),
            Ok(Ok(status)) => {
                warn!(topics = topics.len(), %status, "websub: hub rejected ping, not retrying");
                return false;
            }
            Ok(Err(AttemptError::Request(e))) => {
                warn!(error = %e, "websub: cannot build ping request, not retrying");
                return false;
            }
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("no response within {:?}", policy.timeout),
        };
        if attempt == attempts {
            warn!(topics = topics.len(), attempts, %reason, "websub: ping failed, dropping its topics");
            return false;
        }
        debug!(attempt, %reason, ?delay, "websub: ping failed, will retry");
        tokio::time::sleep(delay).await;
        delay = delay.saturating_mul(2);
    }
    false
}

/// Why one attempt failed before yielding a status.
#[derive(Debug, thiserror::Error)]
enum AttemptError {
    #[error("connect: {0}")]
    Connect(#[from] std::io::Error),
    #[error("http: {0}")]
    Http(#[from] hyper::Error),
    #[error("bad request: {0}")]
    Request(#[from] hyper::http::Error),
}

/// One POST over a fresh connection (pings are rare, so no pooling); returns the status.
async fn post(hub: &Uri, body: Bytes) -> Result<StatusCode, AttemptError> {
    let authority = hub.authority().map_or("", |a| a.as_str());
    let host = hub
        .host()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let port = hub.port_u16().unwrap_or(80); // no TLS, so http's default port
    let request = Request::post(hub.path_and_query().map_or("/", |p| p.as_str()))
        .header(HOST, authority)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(USER_AGENT, PING_USER_AGENT)
        .header(CONTENT_LENGTH, body.len())
        .header(CONNECTION, "close")
        .body(Full::new(body))?;
    let stream = TcpStream::connect((host, port)).await?;
    let (mut sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
    // Drive the connection here rather than in a spawned task, so nothing outlives the attempt.
    let mut conn = std::pin::pin!(conn);
    let mut response = std::pin::pin!(sender.send_request(request));
    tokio::select! {
        biased;
        response = &mut response => Ok(response?.status()),
        // With `Connection: close` the connection may finish in the same poll that hands over
        // the response, so the response is still collected after a clean end.
        ended = &mut conn => {
            ended?;
            Ok(response.await?.status())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_form() {
        let body = encode(&["http://a/feed?x=1&y".into(), "http://b/".into()]);
        assert_eq!(
            body,
            "hub.mode=publish&hub.url=http%3A%2F%2Fa%2Ffeed%3Fx%3D1%26y&hub.url=http%3A%2F%2Fb%2F"
        );
    }
}
