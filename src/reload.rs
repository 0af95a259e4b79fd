//! Configuration reload (`SIGHUP`): the request queue between the signal handler and the
//! index loop, and which settings a running daemon can take.
//!
//! A request carries no settings: the index loop reads the configuration (same file,
//! environment and flags as at start-up) when it gets to the request. So the queue can drop a
//! request when it is full: a reload still waiting there reads the configuration later, and so
//! sees everything the dropped request would have seen.

use tokio::sync::mpsc::{self, error::TrySendError};
use tracing::{debug, error, warn};

use crate::config::Settings;

/// Capacity of the reload queue. One waiting request is enough (see the module doc); a few
/// leave room without mattering.
pub(crate) const RELOAD_QUEUE_CAPACITY: usize = 4;

/// Reads the configuration again, from the same sources as at start-up.
pub type Loader = Box<dyn FnMut() -> anyhow::Result<Settings> + Send>;
/// Replaces the log filter with a `log.level` value.
pub type LogLevelSetter = Box<dyn Fn(&str) -> anyhow::Result<()> + Send>;

/// The sending side, for the `SIGHUP` handler.
#[derive(Debug, Clone)]
pub struct Trigger(mpsc::Sender<()>);

impl Trigger {
    /// Asks for a reload, without waiting. A full queue means a reload is already queued, and
    /// it will read the newest configuration: this request is dropped with a debug log.
    pub fn request(&self) {
        match self.0.try_send(()) {
            Ok(()) => {}
            Err(TrySendError::Full(())) => {
                debug!("a reload is already queued; it will read the newest configuration");
            }
            // The index loop has stopped: the daemon is shutting down.
            Err(TrySendError::Closed(())) => {}
        }
    }
}

/// The receiving side, owned by the index loop.
pub struct Reloads {
    requests: mpsc::Receiver<()>,
    load: Loader,
    set_log_level: LogLevelSetter,
}

impl std::fmt::Debug for Reloads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reloads").finish_non_exhaustive()
    }
}

/// A reload queue: `load` re-reads the configuration, `set_log_level` applies `log.level`.
pub fn channel(load: Loader, set_log_level: LogLevelSetter) -> (Trigger, Reloads) {
    let (tx, requests) = mpsc::channel(RELOAD_QUEUE_CAPACITY);
    let reloads = Reloads {
        requests,
        load,
        set_log_level,
    };
    (Trigger(tx), reloads)
}

impl Reloads {
    /// A queue that never delivers a request (for a daemon run without `SIGHUP` handling).
    pub fn disabled() -> Self {
        let (_trigger, reloads) = channel(
            Box::new(|| anyhow::bail!("reloading is not enabled")),
            Box::new(|_| Ok(())),
        );
        reloads
    }

    /// Waits for a request; requests queued meanwhile are answered by the same reload, which
    /// reads the configuration after all of them. `None` once no request can come any more.
    pub async fn next(&mut self) -> Option<()> {
        self.requests.recv().await?;
        while self.requests.try_recv().is_ok() {}
        Some(())
    }

    /// Reads the configuration and returns the settings to apply: the new values of what can
    /// change live, the running values of what needs a restart (see [`keep_restart_only`]).
    /// Applies `log.level` at once. On an error (it names the key) logs it and returns `None`:
    /// the running settings stay.
    pub fn load(&mut self, running: &Settings) -> Option<Settings> {
        let loaded = match (self.load)() {
            Ok(loaded) => loaded,
            Err(e) => {
                error!(
                    error = format!("{e:#}"),
                    "configuration not reloaded; keeping the running settings"
                );
                return None;
            }
        };
        let settings = keep_restart_only(running, loaded);
        if settings.log.level != running.log.level {
            if let Err(e) = (self.set_log_level)(&settings.log.level) {
                error!(error = format!("{e:#}"), "log.level not applied");
            }
        }
        Some(settings)
    }
}

/// `loaded` with the settings that only take effect at start-up put back to their `running`
/// values, each change logged at `warn`: the listening socket (`server.listen`), the watched
/// folder (`seeds.dir`), the state database (`state.dir`), the WebSub hub pinged
/// (`websub.hub`), the metrics address (`metrics.listen`) and the watcher and its timers
/// (`watch.debounce_ms`, `mode`, `poll_interval_ms`, `write_settle_ms`, `reconcile_secs`).
pub(crate) fn keep_restart_only(running: &Settings, mut loaded: Settings) -> Settings {
    fn keep<T: PartialEq + Clone + std::fmt::Debug>(key: &str, running: &T, loaded: &mut T) {
        if running != loaded {
            warn!(
                key,
                running = ?running,
                configured = ?loaded,
                "{key} needs a restart; keeping {running:?}"
            );
            *loaded = running.clone();
        }
    }
    keep(
        "server.listen",
        &running.server.listen,
        &mut loaded.server.listen,
    );
    keep("seeds.dir", &running.seeds.dir, &mut loaded.seeds.dir);
    keep("state.dir", &running.state.dir, &mut loaded.state.dir);
    keep("websub.hub", &running.websub.hub, &mut loaded.websub.hub);
    keep(
        "metrics.listen",
        &running.metrics.listen,
        &mut loaded.metrics.listen,
    );
    let (watch, new) = (&running.watch, &mut loaded.watch);
    keep(
        "watch.debounce_ms",
        &watch.debounce_ms,
        &mut new.debounce_ms,
    );
    keep("watch.mode", &watch.mode, &mut new.mode);
    keep(
        "watch.poll_interval_ms",
        &watch.poll_interval_ms,
        &mut new.poll_interval_ms,
    );
    keep(
        "watch.write_settle_ms",
        &watch.write_settle_ms,
        &mut new.write_settle_ms,
    );
    keep(
        "watch.reconcile_secs",
        &watch.reconcile_secs,
        &mut new.reconcile_secs,
    );
    loaded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_only_settings_keep_their_running_values() {
        let running = Settings::default();
        let mut loaded = Settings::default();
        loaded.server.listen = "127.0.0.1:9999".parse().expect("addr");
        loaded.seeds.dir = "elsewhere".into();
        loaded.state.dir = "other-state".into();
        loaded.watch.debounce_ms = 500;
        loaded.watch.mode = crate::config::WatchMode::Poll;
        loaded.watch.write_settle_ms = 9_000;
        loaded.watch.reconcile_secs = 1;
        loaded.watch.rename_window_ms = 1;
        loaded.feed.title = "New title".into();
        loaded.server.cache_max_age = 5;
        let applied = keep_restart_only(&running, loaded);
        assert_eq!(applied.server.listen, running.server.listen);
        assert_eq!(applied.seeds.dir, running.seeds.dir);
        assert_eq!(applied.state.dir, running.state.dir);
        assert_eq!(applied.watch.debounce_ms, running.watch.debounce_ms);
        assert_eq!(applied.watch.mode, running.watch.mode);
        assert_eq!(applied.watch.write_settle_ms, running.watch.write_settle_ms);
        assert_eq!(applied.watch.reconcile_secs, running.watch.reconcile_secs);
        // Applied live by the store.
        assert_eq!(applied.watch.rename_window_ms, 1);
        assert_eq!(applied.feed.title, "New title");
        assert_eq!(applied.server.cache_max_age, 5);
    }

    #[tokio::test]
    async fn queued_requests_are_answered_by_one_reload() {
        let (trigger, mut reloads) =
            channel(Box::new(|| Ok(Settings::default())), Box::new(|_| Ok(())));
        for _ in 0..RELOAD_QUEUE_CAPACITY + 3 {
            trigger.request();
        }
        assert_eq!(reloads.next().await, Some(()));
        drop(trigger);
        assert_eq!(reloads.next().await, None);
    }

    #[test]
    fn a_failed_load_keeps_the_running_settings() {
        let (_trigger, mut reloads) = channel(
            Box::new(|| anyhow::bail!("configuration key `feed.titel`: unknown")),
            Box::new(|_| panic!("log level must not change")),
        );
        assert!(reloads.load(&Settings::default()).is_none());
    }

    #[tokio::test]
    async fn a_disabled_queue_never_delivers() {
        assert_eq!(Reloads::disabled().next().await, None);
    }
}
