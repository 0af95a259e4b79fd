//! Limits on connections, so that a few clients cannot hold every slot: at most
//! [`MAX_CONNECTIONS_PER_CLIENT`] open connections per client address (more are closed at
//! once), and a connection whose client stops reading for [`WRITE_TIMEOUT`] is closed (a
//! client that asks for a large feed and never reads it no longer holds its slot forever).
//! Each limit logs one line when it starts being hit and one when it no longer is, not one
//! per connection.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;
use tracing::{info, warn};

/// Most connections open at once from one client address. Above what a browser or a feed
/// reader opens (6 to 16) by far, so that clients behind one NAT and load tests still fit,
/// and well under the global [`super::MAX_CONNECTIONS`].
pub(crate) const MAX_CONNECTIONS_PER_CLIENT: usize = 512;

/// Longest a response may wait on a client that does not read it.
pub(crate) const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// A limit that logs when it starts and stops being hit.
#[derive(Debug, Default)]
pub(crate) struct Episode(AtomicBool);

impl Episode {
    /// Notes that the limit is hit; true the first time of an episode (log then).
    pub(crate) fn hit(&self) -> bool {
        !self.0.swap(true, Ordering::Relaxed)
    }

    /// Notes that the limit is not hit; true when that ends an episode.
    pub(crate) fn clear(&self) -> bool {
        self.0.swap(false, Ordering::Relaxed)
    }
}

/// Open connections per client address.
#[derive(Debug, Default)]
pub(crate) struct Clients {
    open: Mutex<Open>,
    over: Episode,
}

/// Connections per client address, and how many clients are at the limit (kept with the
/// counts so that closing a connection costs O(1), not a pass over every client).
#[derive(Debug, Default)]
struct Open {
    counts: HashMap<IpAddr, usize>,
    at_limit: usize,
}

/// One of a client's connection slots, given back when dropped.
#[derive(Debug)]
pub(crate) struct ClientSlot {
    clients: Arc<Clients>,
    ip: IpAddr,
}

impl Clients {
    /// A slot for one more connection from `ip`, or `None` when it has
    /// [`MAX_CONNECTIONS_PER_CLIENT`] open already.
    pub(crate) fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<ClientSlot> {
        let mut open = self.lock();
        let count = open.counts.entry(ip).or_insert(0);
        if *count >= MAX_CONNECTIONS_PER_CLIENT {
            if self.over.hit() {
                warn!(client = %ip, limit = MAX_CONNECTIONS_PER_CLIENT, "a client has too many connections open; closing its new ones");
            }
            return None;
        }
        *count += 1;
        if *count == MAX_CONNECTIONS_PER_CLIENT {
            open.at_limit += 1;
        }
        Some(ClientSlot {
            clients: Arc::clone(self),
            ip,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Open> {
        // Counts stay consistent between statements; a poisoned lock is still usable.
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut open = self.clients.lock();
        let Some(count) = open.counts.get_mut(&self.ip) else {
            return;
        };
        let was_at_limit = *count == MAX_CONNECTIONS_PER_CLIENT;
        *count -= 1;
        if *count == 0 {
            open.counts.remove(&self.ip);
        }
        if was_at_limit {
            open.at_limit -= 1;
        }
        if open.at_limit == 0 && self.clients.over.clear() {
            info!("no client is over its connection limit any more");
        }
    }
}

/// A stream whose writes fail with `TimedOut` once one has waited [`WRITE_TIMEOUT`] for the
/// client to read; reads are left to hyper's own timeouts.
#[derive(Debug)]
pub(crate) struct TimedWrites<S> {
    inner: S,
    timeout: Duration,
    /// Started when a write or flush could not proceed; cleared when one does.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<S> TimedWrites<S> {
    /// `inner`, whose writes may wait at most `timeout` each.
    pub(crate) fn new(inner: S, timeout: Duration) -> Self {
        Self {
            inner,
            timeout,
            stalled: None,
        }
    }

    /// After the inner stream answered `poll`: passes a result on (and forgets any stall),
    /// or fails a write that has waited too long.
    fn watch<T>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if poll.is_ready() {
            self.stalled = None;
            return poll;
        }
        let timeout = self.timeout;
        let timer = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client stopped reading",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for TimedWrites<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for TimedWrites<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.watch(cx, poll)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.watch(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_flush(cx);
        this.watch(cx, poll)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[test]
    fn a_client_gets_its_limit_and_its_slots_back() {
        let clients = Arc::new(Clients::default());
        let ip: IpAddr = [127, 0, 0, 1].into();
        let other: IpAddr = [127, 0, 0, 2].into();
        let held: Vec<ClientSlot> = (0..MAX_CONNECTIONS_PER_CLIENT)
            .map(|_| clients.admit(ip).expect("under the limit"))
            .collect();
        assert!(clients.admit(ip).is_none());
        assert!(
            clients.admit(other).is_some(),
            "another client is not limited"
        );
        drop(held);
        assert!(clients.admit(ip).is_some());
        let open = clients.lock();
        assert!(!open.counts.contains_key(&ip), "counts go back to nothing");
        assert_eq!(open.at_limit, 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_write_the_client_never_reads_times_out() {
        // A pipe with a small buffer that nobody reads.
        let (writer, _reader) = tokio::io::duplex(64);
        let mut timed = TimedWrites::new(writer, Duration::from_secs(5));
        let started = tokio::time::Instant::now();
        let err = timed.write_all(&[0; 1024]).await.expect_err("times out");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= Duration::from_secs(5));
    }
}
