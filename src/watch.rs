//! The bridge from `notify` (via its full debouncer) to the indexer: a bounded channel of
//! batches of changed paths.
//!
//! Full-queue behaviour: the debouncer thread never blocks. When the channel is full the batch
//! is dropped and the shared overflow flag is set; the indexer, which is then busy with the
//! queued batches, sees the flag after draining them and reconciles the whole folder, so no
//! change is lost. Watcher errors and rescan signals also ask for a whole-folder reconcile.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use notify::RecursiveMode;
use notify_debouncer_full::{
    DebounceEventResult, Debouncer, RecommendedCache, new_debouncer, notify::RecommendedWatcher,
};
use tokio::sync::mpsc::{self, error::TrySendError};
use tracing::{debug, warn};

/// Capacity of the event channel, in batches (each batch holds any number of paths).
pub const EVENT_CHANNEL_CAPACITY: usize = 64;

/// What the watcher tells the indexer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchEvent {
    /// These paths (files or folders) may have changed, appeared or vanished.
    Paths(Vec<PathBuf>),
    /// Events may have been lost: re-read the whole folder.
    Rescan(String),
}

/// The sending half: the channel plus the overflow flag.
#[derive(Debug, Clone)]
pub struct EventSender {
    tx: mpsc::Sender<WatchEvent>,
    overflow: Arc<AtomicBool>,
}

/// The receiving half.
#[derive(Debug)]
pub struct EventReceiver {
    rx: mpsc::Receiver<WatchEvent>,
    overflow: Arc<AtomicBool>,
}

/// A bounded event channel with its overflow flag.
pub fn channel(capacity: usize) -> (EventSender, EventReceiver) {
    let (tx, rx) = mpsc::channel(capacity);
    let overflow = Arc::new(AtomicBool::new(false));
    (
        EventSender {
            tx,
            overflow: Arc::clone(&overflow),
        },
        EventReceiver { rx, overflow },
    )
}

impl EventSender {
    /// Queues `event` without blocking; on a full queue, flags an overflow instead.
    pub fn send(&self, event: WatchEvent) {
        match self.tx.try_send(event) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                debug!("event queue full; a full reconcile will follow");
                self.overflow.store(true, Ordering::Release);
            }
            // The indexer has stopped: the daemon is shutting down.
            Err(TrySendError::Closed(_)) => {}
        }
    }
}

/// One round of work for the indexer: merged paths, or a whole-folder reconcile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Work {
    /// Re-examine these paths.
    Paths(Vec<PathBuf>),
    /// Re-read everything.
    Rescan,
}

impl EventReceiver {
    /// Waits for the next event, then merges everything already queued into one unit of work.
    /// Returns `None` when every sender is gone.
    pub async fn next_work(&mut self) -> Option<Work> {
        let first = self.rx.recv().await?;
        let mut paths = BTreeSet::new();
        let mut rescan = false;
        let mut add = |event| match event {
            WatchEvent::Paths(p) => paths.extend(p),
            WatchEvent::Rescan(why) => {
                debug!(reason = %why, "rescan requested");
                rescan = true;
            }
        };
        add(first);
        // Bounded by the channel's capacity: at most that many batches are waiting.
        while let Ok(event) = self.rx.try_recv() {
            add(event);
        }
        if self.overflow.swap(false, Ordering::AcqRel) {
            rescan = true;
        }
        Some(if rescan {
            Work::Rescan
        } else {
            Work::Paths(paths.into_iter().collect())
        })
    }
}

/// A running filesystem watcher; dropping it stops watching.
pub struct Watcher {
    _debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
}

/// Watches `root` recursively, sending debounced batches to `sender`.
pub fn spawn(root: &Path, debounce: Duration, sender: EventSender) -> notify::Result<Watcher> {
    let handler = move |result: DebounceEventResult| sender.send(to_event(result));
    let mut debouncer = new_debouncer(debounce, None, handler)?;
    debouncer.watch(root, RecursiveMode::Recursive)?;
    Ok(Watcher {
        _debouncer: debouncer,
    })
}

/// Turns one debouncer callback into one event.
fn to_event(result: DebounceEventResult) -> WatchEvent {
    match result {
        Ok(events) => {
            if events.iter().any(|e| e.need_rescan()) {
                return WatchEvent::Rescan("the watcher lost events".into());
            }
            let paths: BTreeSet<PathBuf> = events
                .iter()
                .flat_map(|e| e.paths.iter().cloned())
                .collect();
            WatchEvent::Paths(paths.into_iter().collect())
        }
        Err(errors) => {
            for error in &errors {
                warn!(error = %error, "filesystem watcher error; re-reading the folder");
            }
            WatchEvent::Rescan(format!("{} watcher error(s)", errors.len()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn batches_are_merged() {
        let (tx, mut rx) = channel(4);
        tx.send(WatchEvent::Paths(vec!["b".into(), "a".into()]));
        tx.send(WatchEvent::Paths(vec!["a".into(), "c".into()]));
        assert_eq!(
            rx.next_work().await,
            Some(Work::Paths(vec!["a".into(), "b".into(), "c".into()]))
        );
    }

    #[tokio::test]
    async fn full_queue_drops_the_batch_and_forces_a_rescan() {
        let (tx, mut rx) = channel(1);
        tx.send(WatchEvent::Paths(vec!["a".into()]));
        // The queue holds one batch: this one is dropped, and must not be lost silently.
        tx.send(WatchEvent::Paths(vec!["b".into()]));
        assert_eq!(rx.next_work().await, Some(Work::Rescan));
        // The flag is consumed: the next batch is ordinary again.
        tx.send(WatchEvent::Paths(vec!["c".into()]));
        assert_eq!(rx.next_work().await, Some(Work::Paths(vec!["c".into()])));
    }

    #[tokio::test]
    async fn rescan_wins_over_paths() {
        let (tx, mut rx) = channel(4);
        tx.send(WatchEvent::Paths(vec!["a".into()]));
        tx.send(WatchEvent::Rescan("test".into()));
        assert_eq!(rx.next_work().await, Some(Work::Rescan));
    }

    #[tokio::test]
    async fn closed_channel_ends_the_stream() {
        let (tx, mut rx) = channel(1);
        drop(tx);
        assert_eq!(rx.next_work().await, None);
    }

    #[test]
    fn watcher_errors_become_rescans() {
        let event = to_event(Err(vec![notify::Error::generic("boom")]));
        assert!(matches!(event, WatchEvent::Rescan(_)));
    }

    #[tokio::test]
    async fn real_events_arrive_for_a_new_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().canonicalize().expect("canonical");
        let (tx, mut rx) = channel(EVENT_CHANNEL_CAPACITY);
        let _watcher = spawn(&root, Duration::from_millis(20), tx).expect("watch");
        std::fs::write(root.join("new.txt"), "Title\nBody.\n").expect("write");
        let work = tokio::time::timeout(Duration::from_secs(10), rx.next_work())
            .await
            .expect("an event within 10 s");
        match work {
            Some(Work::Paths(paths)) => assert!(paths.contains(&root.join("new.txt")), "{paths:?}"),
            other => panic!("unexpected {other:?}"),
        }
    }
}
