//! The systemd side of the daemon: `sd_notify` messages (readiness, status, watchdog,
//! stopping) and socket activation (`LISTEN_FDS`).
//!
//! Everything here is optional: outside systemd (no `NOTIFY_SOCKET`, no `LISTEN_FDS`) it does
//! nothing. A notification that cannot be sent is logged at debug level and otherwise ignored:
//! the feeds must not stop because the service manager is not listening.
//!
//! Written by hand: a notification is one datagram of `KEY=value` lines, which a crate would
//! wrap in a dependency; socket activation comes from `listenfd`.

use std::ffi::OsStr;
use std::io;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tracing::debug;

/// Environment variable naming the service manager's notification socket.
pub(crate) const NOTIFY_SOCKET_ENV: &str = "NOTIFY_SOCKET";
/// Environment variable giving the watchdog timeout in microseconds.
pub(crate) const WATCHDOG_USEC_ENV: &str = "WATCHDOG_USEC";
/// Environment variable naming the process the watchdog timeout is meant for.
pub(crate) const WATCHDOG_PID_ENV: &str = "WATCHDOG_PID";
/// Environment variable giving the number of inherited sockets (from fd 3 on).
pub(crate) const LISTEN_FDS_ENV: &str = "LISTEN_FDS";
/// Environment variable naming the process the inherited sockets are meant for.
pub(crate) const LISTEN_PID_ENV: &str = "LISTEN_PID";
/// Shortest interval between two watchdog pings, whatever `WATCHDOG_USEC` says: a timeout of
/// a few microseconds must not make the index loop spin.
pub(crate) const MIN_WATCHDOG_INTERVAL: Duration = Duration::from_millis(10);

/// Sends `sd_notify` messages to the service manager; a no-op without `NOTIFY_SOCKET`.
///
/// Cheap to clone (one shared socket). Sends never block: the socket is non-blocking, and a
/// message the manager's queue has no room for is dropped with a debug log.
#[derive(Debug, Clone, Default)]
pub(crate) struct Notifier {
    target: Option<Arc<Target>>,
}

#[derive(Debug)]
struct Target {
    socket: UnixDatagram,
    addr: SocketAddr,
}

impl Notifier {
    /// The notifier for this process's `NOTIFY_SOCKET`.
    pub(crate) fn from_env() -> Self {
        Self::new(std::env::var_os(NOTIFY_SOCKET_ENV).as_deref())
    }

    /// A notifier sending to `socket`: an absolute path, or `@name` for an abstract socket.
    /// `None` or an empty value gives a no-op notifier.
    pub(crate) fn new(socket: Option<&OsStr>) -> Self {
        let Some(socket) = socket.filter(|s| !s.is_empty()) else {
            return Self::default();
        };
        match open_target(socket) {
            Ok(target) => Self {
                target: Some(Arc::new(target)),
            },
            Err(e) => {
                debug!(socket = %socket.to_string_lossy(), error = %e, "cannot use NOTIFY_SOCKET; not notifying");
                Self::default()
            }
        }
    }

    /// Sends one message (newline-separated `KEY=value` lines).
    pub(crate) fn send(&self, message: &str) {
        let Some(target) = &self.target else { return };
        match target.socket.send_to_addr(message.as_bytes(), &target.addr) {
            Ok(sent) if sent == message.len() => {}
            Ok(sent) => debug!(sent, len = message.len(), "sd_notify message cut short"),
            Err(e) => debug!(error = %e, message, "sd_notify message not sent"),
        }
    }

    /// `READY=1`, with a status line.
    pub(crate) fn ready(&self, status: &str) {
        self.send(&format!("READY=1\nSTATUS={status}"));
    }

    /// `STATUS=…`: the line `systemctl status` shows.
    pub(crate) fn status(&self, status: &str) {
        self.send(&format!("STATUS={status}"));
    }

    /// `WATCHDOG=1`: the service is alive.
    pub(crate) fn watchdog(&self) {
        self.send("WATCHDOG=1");
    }

    /// `STOPPING=1`: shutdown has begun.
    pub(crate) fn stopping(&self) {
        self.send("STOPPING=1");
    }
}

fn open_target(socket: &OsStr) -> io::Result<Target> {
    let bytes = socket.as_bytes();
    let addr = match bytes.split_first() {
        Some((b'@', name)) => SocketAddr::from_abstract_name(name)?,
        Some((b'/', _)) => SocketAddr::from_pathname(socket)?,
        _ => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "neither an absolute path nor @abstract",
            ));
        }
    };
    let socket = UnixDatagram::unbound()?;
    socket.set_nonblocking(true)?;
    Ok(Target { socket, addr })
}

/// How often to send `WATCHDOG=1` for `WATCHDOG_USEC` = `usec` and `WATCHDOG_PID` = `pid`:
/// at half the timeout (as `sd_watchdog_enabled(3)` advises), never more often than
/// [`MIN_WATCHDOG_INTERVAL`]. `None` when there is no watchdog, or it is meant for another
/// process.
pub(crate) fn watchdog_interval(
    usec: Option<&OsStr>,
    pid: Option<&OsStr>,
    our_pid: u32,
) -> Option<Duration> {
    let usec: u64 = usec?.to_str()?.parse().ok().filter(|&u| u > 0)?;
    if let Some(pid) = pid.filter(|p| !p.is_empty()) {
        let pid: u32 = pid.to_str()?.parse().ok()?;
        if pid != our_pid {
            return None;
        }
    }
    Some((Duration::from_micros(usec) / 2).max(MIN_WATCHDOG_INTERVAL))
}

/// The watchdog ping interval of this process (see [`watchdog_interval`]).
pub(crate) fn watchdog_interval_from_env() -> Option<Duration> {
    watchdog_interval(
        std::env::var_os(WATCHDOG_USEC_ENV).as_deref(),
        std::env::var_os(WATCHDOG_PID_ENV).as_deref(),
        std::process::id(),
    )
}

/// The watchdog's clock: [`Watchdog::tick`] completes every interval, or never when the
/// watchdog is off.
///
/// It is polled from the index loop's own `select!`, so a ping means "the index loop came
/// back to its loop". A wedged indexer (stuck in a file read, a parser bug that loops, a
/// deadlock) never gets there, the pings stop, and systemd restarts the daemon after
/// `WatchdogSec=`. A separate timer task would keep pinging for a dead loop. The price: one
/// batch of work that takes longer than the whole timeout (30 s in `seedfeed.service`) is
/// taken for a wedge.
#[derive(Debug)]
pub(crate) struct Watchdog {
    interval: Option<tokio::time::Interval>,
}

impl Watchdog {
    /// A watchdog ticking every `period`, or never for `None`. Needs a Tokio runtime.
    pub(crate) fn new(period: Option<Duration>) -> Self {
        let interval = period.map(|period| {
            let mut interval = tokio::time::interval(period);
            // After a long batch, ping once at once, then keep the rhythm from there.
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            interval
        });
        Self { interval }
    }

    /// Completes at the next tick; pending forever when the watchdog is off.
    pub(crate) async fn tick(&mut self) {
        match &mut self.interval {
            Some(interval) => {
                interval.tick().await;
            }
            None => std::future::pending().await,
        }
    }
}

/// What the environment says about inherited sockets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Activation {
    /// No socket for this process: bind `server.listen`.
    None,
    /// One listening socket at fd 3.
    One,
}

/// Reads `LISTEN_FDS` and `LISTEN_PID` as `sd_listen_fds(3)` does: the sockets are ours only
/// when `LISTEN_PID` is our pid (otherwise they were meant for a parent, and are ignored).
pub(crate) fn activation(
    listen_fds: Option<&OsStr>,
    listen_pid: Option<&OsStr>,
    our_pid: u32,
) -> anyhow::Result<Activation> {
    let Some(fds) = listen_fds else {
        return Ok(Activation::None);
    };
    let for_us = listen_pid
        .and_then(OsStr::to_str)
        .and_then(|p| p.parse::<u32>().ok())
        .is_some_and(|p| p == our_pid);
    if !for_us {
        debug!("LISTEN_FDS is set for another process; ignored");
        return Ok(Activation::None);
    }
    let count: u32 = fds
        .to_str()
        .and_then(|f| f.parse().ok())
        .with_context(|| format!("{LISTEN_FDS_ENV}={fds:?} is not a number"))?;
    match count {
        0 => Ok(Activation::None),
        1 => Ok(Activation::One),
        n => anyhow::bail!(
            "{LISTEN_FDS_ENV}={n}: seedfeed serves exactly one socket (one ListenStream= in the .socket unit)"
        ),
    }
}

/// The listening socket passed by the service manager (socket activation), if any, taken
/// from fd 3; `LISTEN_FDS` and `LISTEN_PID` are then removed from the environment.
///
/// Call it before any thread starts (before the async runtime): changing the environment is
/// not thread-safe.
pub fn inherited_listener() -> anyhow::Result<Option<std::net::TcpListener>> {
    let activation = activation(
        std::env::var_os(LISTEN_FDS_ENV).as_deref(),
        std::env::var_os(LISTEN_PID_ENV).as_deref(),
        std::process::id(),
    )?;
    if activation == Activation::None {
        return Ok(None);
    }
    // listenfd checks that fd 3 really is a TCP listening socket (IPv4 or IPv6), marks it
    // close-on-exec, and wraps it (the one `unsafe` step, kept out of this crate).
    let mut fds = listenfd::ListenFd::from_env();
    let listener = fds
        .take_tcp_listener(0)
        .context("the socket passed by the service manager (fd 3) is not a TCP listener")?
        .context("no socket at fd 3 despite LISTEN_FDS=1")?;
    Ok(Some(listener))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    fn os(s: &str) -> OsString {
        OsString::from(s)
    }

    fn receive(socket: &UnixDatagram) -> String {
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let mut buf = [0u8; 512];
        let n = socket.recv(&mut buf).expect("datagram");
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }

    #[test]
    fn sends_to_a_path_socket() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("notify");
        let server = UnixDatagram::bind(&path).expect("bind");
        let notifier = Notifier::new(Some(path.as_os_str()));
        assert!(notifier.target.is_some());
        notifier.ready("serving 2 articles, 0 skipped");
        assert_eq!(
            receive(&server),
            "READY=1\nSTATUS=serving 2 articles, 0 skipped"
        );
        notifier.watchdog();
        assert_eq!(receive(&server), "WATCHDOG=1");
        notifier.stopping();
        assert_eq!(receive(&server), "STOPPING=1");
    }

    #[test]
    fn sends_to_an_abstract_socket() {
        let name = format!("seedfeed-test-{}", std::process::id());
        let addr = SocketAddr::from_abstract_name(name.as_bytes()).expect("addr");
        let server = UnixDatagram::bind_addr(&addr).expect("bind abstract");
        let notifier = Notifier::new(Some(&os(&format!("@{name}"))));
        notifier.status("hello");
        assert_eq!(receive(&server), "STATUS=hello");
    }

    #[test]
    fn unset_empty_or_relative_socket_is_a_no_op() {
        for socket in [None, Some(os("")), Some(os("relative/path"))] {
            let notifier = Notifier::new(socket.as_deref());
            assert!(notifier.target.is_none());
            notifier.ready("nobody listens");
        }
    }

    #[test]
    fn a_vanished_socket_is_not_an_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let notifier = Notifier::new(Some(dir.path().join("gone").as_os_str()));
        notifier.watchdog();
    }

    #[test]
    fn watchdog_pings_at_half_the_timeout_for_this_process_only() {
        let half = Some(Duration::from_millis(100));
        assert_eq!(watchdog_interval(Some(&os("200000")), None, 42), half);
        assert_eq!(
            watchdog_interval(Some(&os("200000")), Some(&os("42")), 42),
            half
        );
        assert_eq!(
            watchdog_interval(Some(&os("200000")), Some(&os("")), 42),
            half
        );
        assert_eq!(
            watchdog_interval(Some(&os("200000")), Some(&os("7")), 42),
            None
        );
        assert_eq!(watchdog_interval(None, None, 42), None);
        assert_eq!(watchdog_interval(Some(&os("0")), None, 42), None);
        assert_eq!(watchdog_interval(Some(&os("soon")), None, 42), None);
        assert_eq!(
            watchdog_interval(Some(&os("1")), None, 42),
            Some(MIN_WATCHDOG_INTERVAL)
        );
    }

    #[test]
    fn sockets_are_taken_only_when_meant_for_this_process() {
        let check = |fds: Option<&str>, pid: Option<&str>| {
            activation(fds.map(os).as_deref(), pid.map(os).as_deref(), 42)
        };
        assert_eq!(check(None, None).expect("ok"), Activation::None);
        assert_eq!(check(Some("1"), Some("42")).expect("ok"), Activation::One);
        assert_eq!(check(Some("1"), Some("43")).expect("ok"), Activation::None);
        assert_eq!(check(Some("1"), None).expect("ok"), Activation::None);
        assert_eq!(check(Some("0"), Some("42")).expect("ok"), Activation::None);
        assert!(check(Some("2"), Some("42")).is_err());
        assert!(check(Some("x"), Some("42")).is_err());
    }
}
