//! The bridge from `notify` (via its full debouncer) to the indexer: a bounded channel of
//! batches of changed paths.
//!
//! Full-queue behaviour: the debouncer thread never blocks. When the channel is full the batch
//! is dropped and the shared overflow flag is set; the indexer, which is then busy with the
//! queued batches, sees the flag after draining them and reconciles the whole folder, so no
//! change is lost. Watcher errors and rescan signals also ask for a whole-folder reconcile.
//!
//! Files still being written are held back: a file that was created or written to is only
//! handed to the indexer once its writer closes it (inotify's close-after-write), or after
//! `watch.write_settle_ms` without a new event for writers that never close it (and for the
//! polling watcher, which cannot see closes). A `cat` from a slow pipe or a long `cp` is read
//! once, complete. Renames, removals and attribute changes pass at once.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use notify::event::{AccessKind, AccessMode, CreateKind, EventKind, ModifyKind};
use notify::{Config, PollWatcher, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{
    DebounceEventHandler, DebounceEventResult, RecommendedCache, new_debouncer_opt,
};
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio::time::Instant;
use tracing::{debug, warn};

/// Capacity of the event channel, in batches (each batch holds any number of paths).
pub const EVENT_CHANNEL_CAPACITY: usize = 64;

/// Most files held back as "being written" at once; beyond it a written file is handed over
/// at once (it may then be read before its writer is done, and read again when it is).
pub const MAX_FILES_BEING_WRITTEN: usize = 65_536;

/// What the watcher tells the indexer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchEvent {
    /// Paths (files or folders) that changed, appeared or vanished, and files that are being
    /// written to (not closed yet).
    Changes {
        /// Ready to be read.
        ready: Vec<PathBuf>,
        /// Written to and not closed yet.
        writing: Vec<PathBuf>,
    },
    /// Events may have been lost: re-read the whole folder.
    Rescan(String),
}

/// The sending half: the channel plus the overflow flag.
#[derive(Debug, Clone)]
pub struct EventSender {
    tx: mpsc::Sender<WatchEvent>,
    overflow: Arc<AtomicBool>,
}

/// The receiving half, which also holds back files being written.
#[derive(Debug)]
pub struct EventReceiver {
    rx: mpsc::Receiver<WatchEvent>,
    overflow: Arc<AtomicBool>,
    settle: Duration,
    being_written: HashMap<PathBuf, Instant>,
}

/// A bounded event channel with its overflow flag; files being written are held back until
/// closed or quiet for `settle`.
pub fn channel(capacity: usize, settle: Duration) -> (EventSender, EventReceiver) {
    let (tx, rx) = mpsc::channel(capacity);
    let overflow = Arc::new(AtomicBool::new(false));
    (
        EventSender {
            tx,
            overflow: Arc::clone(&overflow),
        },
        EventReceiver {
            rx,
            overflow,
            settle,
            being_written: HashMap::new(),
        },
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
    /// Waits for the next event (or for a held-back file to settle), then merges everything
    /// already queued into one unit of work. Returns `None` when every sender is gone.
    pub async fn next_work(&mut self) -> Option<Work> {
        loop {
            let first = match self.being_written.values().min().copied() {
                Some(deadline) => tokio::time::timeout_at(deadline, self.rx.recv()).await.ok(),
                None => Some(self.rx.recv().await),
            };
            let mut paths = BTreeSet::new();
            let mut rescan = false;
            match first {
                Some(Some(event)) => self.add(event, &mut paths, &mut rescan),
                Some(None) => return None,
                None => {}
            }
            // Bounded by the channel's capacity: at most that many batches are waiting.
            while let Ok(event) = self.rx.try_recv() {
                self.add(event, &mut paths, &mut rescan);
            }
            if self.overflow.swap(false, Ordering::AcqRel) {
                rescan = true;
            }
            let now = Instant::now();
            self.being_written.retain(|path, deadline| {
                let settled = *deadline <= now;
                if settled {
                    debug!(path = %path.display(), "no close seen; reading the file after it went quiet");
                    paths.insert(path.clone());
                }
                !settled
            });
            if rescan {
                return Some(Work::Rescan);
            }
            if !paths.is_empty() {
                return Some(Work::Paths(paths.into_iter().collect()));
            }
        }
    }

    /// Files written to and not closed yet: whatever work comes, these are left alone until
    /// they are handed over.
    pub fn being_written(&self) -> Vec<PathBuf> {
        self.being_written.keys().cloned().collect()
    }

    fn add(&mut self, event: WatchEvent, paths: &mut BTreeSet<PathBuf>, rescan: &mut bool) {
        match event {
            WatchEvent::Changes { ready, writing } => {
                for path in ready {
                    self.being_written.remove(&path);
                    paths.insert(path);
                }
                let deadline = Instant::now() + self.settle;
                for path in writing {
                    if self.being_written.len() < MAX_FILES_BEING_WRITTEN
                        || self.being_written.contains_key(&path)
                    {
                        self.being_written.insert(path, deadline);
                    } else {
                        paths.insert(path);
                    }
                }
            }
            WatchEvent::Rescan(why) => {
                debug!(reason = %why, "rescan requested");
                *rescan = true;
            }
        }
    }
}

/// How the folder is watched (`watch.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The kernel's notifications (inotify).
    Native,
    /// Polling every so often: for network file systems where notifications don't arrive.
    Poll(Duration),
}

/// A running filesystem watcher; dropping it stops watching.
pub struct Watcher {
    _debouncer: Box<dyn std::any::Any + Send>,
}

/// Watches `root` recursively, sending debounced batches to `sender`.
pub fn spawn(
    root: &Path,
    mode: Mode,
    debounce: Duration,
    sender: EventSender,
) -> notify::Result<Watcher> {
    let handler = move |result: DebounceEventResult| sender.send(to_event(result));
    let debouncer = match mode {
        Mode::Native => {
            debounced::<RecommendedWatcher>(root, debounce, handler, Config::default())?
        }
        Mode::Poll(interval) => debounced::<PollWatcher>(
            root,
            debounce,
            handler,
            Config::default().with_poll_interval(interval),
        )?,
    };
    Ok(Watcher {
        _debouncer: debouncer,
    })
}

/// A debouncer over the watcher type `W`, watching `root` recursively.
fn debounced<W: notify::Watcher + Send + 'static>(
    root: &Path,
    debounce: Duration,
    handler: impl DebounceEventHandler,
    config: Config,
) -> notify::Result<Box<dyn std::any::Any + Send>> {
    let mut debouncer =
        new_debouncer_opt::<_, W, _>(debounce, None, handler, RecommendedCache::new(), config)?;
    debouncer.watch(root, RecursiveMode::Recursive)?;
    Ok(Box::new(debouncer))
}

/// Whether an event leaves its file being written, done, or says nothing about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileState {
    Writing,
    Ready,
}

fn state_after(kind: &EventKind) -> Option<FileState> {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => Some(FileState::Ready),
        // Opens and reads, including seedfeed's own: reacting to them would loop forever.
        EventKind::Access(_) => None,
        EventKind::Create(CreateKind::Folder) => Some(FileState::Ready),
        EventKind::Create(_) | EventKind::Modify(ModifyKind::Data(_) | ModifyKind::Any) => {
            Some(FileState::Writing)
        }
        _ => Some(FileState::Ready),
    }
}

/// Turns one debouncer callback into one event.
fn to_event(result: DebounceEventResult) -> WatchEvent {
    match result {
        Ok(events) => {
            if events.iter().any(|e| e.need_rescan()) {
                return WatchEvent::Rescan("the watcher lost events".into());
            }
            // Events come in time order: the last one that says something decides.
            let mut states: HashMap<&Path, FileState> = HashMap::new();
            for event in &events {
                let Some(state) = state_after(&event.kind) else {
                    continue;
                };
                let is_metadata = matches!(event.kind, EventKind::Modify(ModifyKind::Metadata(_)));
                for path in &event.paths {
                    let previous = states.insert(path, state);
                    // A chmod or utime while a writer is busy does not finish the write.
                    if is_metadata && previous == Some(FileState::Writing) {
                        states.insert(path, FileState::Writing);
                    }
                }
            }
            let mut ready: Vec<PathBuf> = Vec::new();
            let mut writing: Vec<PathBuf> = Vec::new();
            for (path, state) in states {
                match state {
                    FileState::Ready => ready.push(path.to_path_buf()),
                    FileState::Writing => writing.push(path.to_path_buf()),
                }
            }
            ready.sort();
            writing.sort();
            WatchEvent::Changes { ready, writing }
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

    const SETTLE: Duration = Duration::from_millis(200);

    fn ready(paths: &[&str]) -> WatchEvent {
        WatchEvent::Changes {
            ready: paths.iter().map(PathBuf::from).collect(),
            writing: Vec::new(),
        }
    }

    fn writing(paths: &[&str]) -> WatchEvent {
        WatchEvent::Changes {
            ready: Vec::new(),
            writing: paths.iter().map(PathBuf::from).collect(),
        }
    }

    #[tokio::test]
    async fn batches_are_merged() {
        let (tx, mut rx) = channel(4, SETTLE);
        tx.send(ready(&["b", "a"]));
        tx.send(ready(&["a", "c"]));
        assert_eq!(
            rx.next_work().await,
            Some(Work::Paths(vec!["a".into(), "b".into(), "c".into()]))
        );
    }

    #[tokio::test]
    async fn full_queue_drops_the_batch_and_forces_a_rescan() {
        let (tx, mut rx) = channel(1, SETTLE);
        tx.send(ready(&["a"]));
        // The queue holds one batch: this one is dropped, and must not be lost silently.
        tx.send(ready(&["b"]));
        assert_eq!(rx.next_work().await, Some(Work::Rescan));
        // The flag is consumed: the next batch is ordinary again.
        tx.send(ready(&["c"]));
        assert_eq!(rx.next_work().await, Some(Work::Paths(vec!["c".into()])));
    }

    #[tokio::test]
    async fn rescan_wins_over_paths() {
        let (tx, mut rx) = channel(4, SETTLE);
        tx.send(ready(&["a"]));
        tx.send(WatchEvent::Rescan("test".into()));
        assert_eq!(rx.next_work().await, Some(Work::Rescan));
    }

    #[tokio::test]
    async fn closed_channel_ends_the_stream() {
        let (tx, mut rx) = channel(1, SETTLE);
        drop(tx);
        assert_eq!(rx.next_work().await, None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_file_being_written_waits_for_its_close_or_for_quiet() {
        let (tx, mut rx) = channel(8, SETTLE);
        tx.send(writing(&["slow"]));
        tx.send(writing(&["closed"]));
        tx.send(ready(&["closed"]));
        assert_eq!(
            rx.next_work().await,
            Some(Work::Paths(vec!["closed".into()]))
        );
        assert_eq!(rx.being_written(), [PathBuf::from("slow")]);
        // A rescan meanwhile still holds the open file back.
        tx.send(WatchEvent::Rescan("test".into()));
        assert_eq!(rx.next_work().await, Some(Work::Rescan));
        assert_eq!(rx.being_written(), [PathBuf::from("slow")]);
        // More writes push the deadline back; then quiet time hands the file over.
        tokio::time::sleep(SETTLE / 2).await;
        tx.send(writing(&["slow"]));
        let started = Instant::now();
        assert_eq!(rx.next_work().await, Some(Work::Paths(vec!["slow".into()])));
        assert!(started.elapsed() >= SETTLE);
        assert!(rx.being_written().is_empty());
    }

    #[test]
    fn watcher_errors_become_rescans() {
        let event = to_event(Err(vec![notify::Error::generic("boom")]));
        assert!(matches!(event, WatchEvent::Rescan(_)));
    }

    async fn watched(root: &Path) -> (Watcher, EventReceiver) {
        let (tx, rx) = channel(EVENT_CHANNEL_CAPACITY, Duration::from_secs(30));
        let watcher = spawn(root, Mode::Native, Duration::from_millis(20), tx).expect("watch");
        (watcher, rx)
    }

    async fn next(rx: &mut EventReceiver, within: Duration) -> Option<Work> {
        tokio::time::timeout(within, rx.next_work())
            .await
            .ok()
            .flatten()
    }

    #[tokio::test]
    async fn real_events_arrive_for_a_new_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().canonicalize().expect("canonical");
        let (_watcher, mut rx) = watched(&root).await;
        std::fs::write(root.join("new.txt"), "Title\nBody.\n").expect("write");
        match next(&mut rx, Duration::from_secs(10)).await {
            Some(Work::Paths(paths)) => {
                assert!(paths.contains(&root.join("new.txt")), "{paths:?}")
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[tokio::test]
    async fn reading_a_file_is_not_a_change() {
        // Regression: inotify reports opens, and the indexer's own read of a changed file
        // was taken for a new change, which made it read the file again, forever.
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().canonicalize().expect("canonical");
        std::fs::write(root.join("a.txt"), "Title\nBody.\n").expect("write");
        let (_watcher, mut rx) = watched(&root).await;
        for _ in 0..3 {
            std::fs::read(root.join("a.txt")).expect("read");
        }
        assert_eq!(next(&mut rx, Duration::from_millis(500)).await, None);
    }

    #[tokio::test]
    async fn an_open_file_is_handed_over_when_its_writer_closes_it() {
        use std::io::Write;
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().canonicalize().expect("canonical");
        let (_watcher, mut rx) = watched(&root).await;
        let mut file = std::fs::File::create(root.join("slow.txt")).expect("create");
        file.write_all(b"Title\n").expect("write");
        file.flush().expect("flush");
        assert_eq!(next(&mut rx, Duration::from_millis(500)).await, None);
        file.write_all(b"Body.\n").expect("write");
        drop(file);
        let work = next(&mut rx, Duration::from_secs(10)).await;
        assert_eq!(work, Some(Work::Paths(vec![root.join("slow.txt")])));
    }
}
