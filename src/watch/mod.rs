//! The bridge from `notify` to the indexer: every path that any event names is gathered into
//! one bounded set of pending paths, which the indexer takes whole.
//!
//! The indexer needs no account of what happened to a path, only which paths to look at: it
//! stats each one and makes the index agree with what is on disk. So no event is interpreted
//! away. (A debouncer that rewrites events into a story loses paths: notify-debouncer-full
//! turned "rename a to b, delete b" into "delete b", and the article at `a` stayed published
//! until the next full reconcile; see `a_renamed_then_deleted_file_names_both_paths`.)
//!
//! - **Gathering.** Paths are taken `watch.debounce_ms` after the first of them arrived, so a
//!   burst is indexed in a few rounds, not one round per event. A file closed after writing
//!   is complete: it makes the round due at once, with whatever else is pending. A burst of
//!   closed files still gathers, behind the round being indexed: the indexer takes the next
//!   round only when it is done with this one.
//! - **Files being written** are held back: a file that was created or written to is only
//!   handed over once its writer closes it (inotify's close-after-write), or after
//!   `watch.write_settle_ms` without a new event for writers that never close it (and for the
//!   polling watcher, which cannot see closes). A `cat` from a slow pipe or a long `cp` is
//!   read once, complete. Renames, removals and attribute changes are ready at once.
//! - **Evidence.** Anything else that finds the index and the folder disagreeing (a render or
//!   a page that finds a file gone or changed) sends its path through [`EventSender::recheck`],
//!   and it is looked at in the next round like any event.
//! - **Bounds.** At most [`MAX_PENDING_PATHS`] paths wait; past that they are folded into
//!   their folders (each folder is then compared with the index, a `stat` per file), and past
//!   [`MAX_PENDING_FOLDERS`] folders into one reconcile of the whole tree. A lost event (the
//!   kernel's queue overflowed) or a watcher error also asks for a whole reconcile: nothing
//!   says which paths it concerned. The callback never blocks on the indexer.

mod folder;

pub(crate) use folder::{FolderWatch, ROOT_CHECK_INTERVAL};

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use notify::event::{AccessKind, AccessMode, CreateKind, EventKind, ModifyKind, RenameMode};
use notify::{Config, PollWatcher, RecommendedWatcher, RecursiveMode, Watcher as _};
use tokio::sync::Notify;
use tokio::time::Instant;
use tracing::{debug, info, warn};

use crate::config::{WatchMode, WatchSettings};

/// Most paths waiting for the indexer; beyond it, pending paths are folded into their
/// folders. About 100 bytes each.
pub(crate) const MAX_PENDING_PATHS: usize = 65_536;

/// Most folders waiting for the indexer once paths were folded into them; beyond it, the
/// whole tree is reconciled.
pub(crate) const MAX_PENDING_FOLDERS: usize = 4_096;

/// Most files held back as "being written" at once; beyond it a written file is handed over
/// at once (it may then be read before its writer is done, and read again when it is).
pub(crate) const MAX_FILES_BEING_WRITTEN: usize = 65_536;

/// Longest a round waits for the pair of a rename's second half (notify sends it right after,
/// from the same thread; only a file moved in from outside has none).
pub(crate) const MAX_RENAME_PAIR_WAIT: Duration = Duration::from_millis(20);

/// One round of work for the indexer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Work {
    /// Look at these paths (files or folders, present or not), in sorted order.
    Paths {
        /// Every path named, once.
        paths: Vec<PathBuf>,
        /// Renames the kernel paired (from, to), in the order they happened: an article
        /// renamed and edited in one batch is still the same article.
        renames: Vec<(PathBuf, PathBuf)>,
    },
    /// Too many paths changed to keep them apart: compare these folders (whole subtrees)
    /// with the index.
    Folders(Vec<PathBuf>),
    /// Events may have been lost: compare the whole folder with the index.
    Rescan,
}

/// What waits for the indexer.
#[derive(Debug, Default)]
struct Pending {
    /// Paths ready to be looked at.
    ready: BTreeSet<PathBuf>,
    /// Renames among them, at most [`MAX_PENDING_PATHS`]: hints that only make ids follow
    /// edited files across renames, so past the bound they are dropped.
    renames: Vec<(PathBuf, PathBuf)>,
    /// Non-empty once `ready` overflowed: from then on until the next take, every path is
    /// noted as its folder.
    folders: BTreeSet<PathBuf>,
    /// Files written to and not closed yet, with the time they are handed over anyway.
    being_written: HashMap<PathBuf, Instant>,
    /// Why the whole tree must be compared, if it must.
    rescan: Option<String>,
    /// When the oldest of `ready` or `folders` arrived.
    since: Option<Instant>,
    /// A file among `ready` was closed after writing: the round is due at once (nothing is
    /// left to wait for), unless a rename's pair is expected.
    closed: bool,
    /// Set by the second half of a rename (`To`) until its pair (`Both`) arrives: notify
    /// reports them as two events, and a round taken between them would index the new name
    /// without knowing where the article came from (a new id). Waited for at most
    /// [`MAX_RENAME_PAIR_WAIT`]: a file moved in from outside has no pair.
    pair_expected: Option<Instant>,
}

impl Pending {
    fn add_ready(&mut self, path: PathBuf, now: Instant) {
        self.since.get_or_insert(now);
        if self.rescan.is_some() {
            return;
        }
        if self.folders.is_empty() {
            self.ready.insert(path);
            if self.ready.len() <= MAX_PENDING_PATHS {
                return;
            }
            debug!(
                paths = self.ready.len(),
                "too many pending paths; comparing their folders instead"
            );
            for path in std::mem::take(&mut self.ready) {
                self.add_folder_of(&path);
            }
        } else {
            self.add_folder_of(&path);
        }
        if self.folders.len() > MAX_PENDING_FOLDERS {
            self.folders.clear();
            self.rescan = Some(format!("more than {MAX_PENDING_FOLDERS} folders changed"));
        }
    }

    fn add_folder_of(&mut self, path: &Path) {
        self.folders
            .insert(path.parent().unwrap_or(path).to_path_buf());
    }

    fn note(&mut self, path: PathBuf, state: FileState, is_metadata: bool, settle: Duration) {
        let now = Instant::now();
        match state {
            FileState::Closed => {
                self.being_written.remove(&path);
                self.closed = true;
                self.add_ready(path, now);
            }
            // A chmod or utime while a writer is busy does not finish the write.
            FileState::Ready if is_metadata && self.being_written.contains_key(&path) => {}
            FileState::Ready => {
                self.being_written.remove(&path);
                self.add_ready(path, now);
            }
            FileState::Writing => {
                if self.being_written.len() < MAX_FILES_BEING_WRITTEN
                    || self.being_written.contains_key(&path)
                {
                    self.being_written.insert(path, now + settle);
                } else {
                    self.add_ready(path, now);
                }
            }
        }
    }

    /// The work due at `now`, if any, else when to look again (`None`: at the next event).
    fn take(&mut self, now: Instant, gather: Duration) -> Result<Work, Option<Instant>> {
        let settled: Vec<PathBuf> = self
            .being_written
            .iter()
            .filter(|(_, deadline)| **deadline <= now)
            .map(|(path, _)| path.clone())
            .collect();
        // A file that went quiet has waited long enough: due at once.
        let due_now = !settled.is_empty();
        for path in settled {
            debug!(path = %path.display(), "no close seen; reading the file after it went quiet");
            self.being_written.remove(&path);
            self.add_ready(path, now);
        }
        if let Some(why) = self.rescan.take() {
            debug!(reason = %why, "rescan requested");
            self.ready.clear();
            self.renames.clear();
            self.folders.clear();
            self.since = None;
            self.closed = false;
            return Ok(Work::Rescan);
        }
        let due = match self.since {
            Some(_) if due_now || self.closed => Some(now),
            since => since.map(|since| since + gather),
        };
        let due = match (due, self.pair_expected) {
            (Some(due), Some(pair)) if pair > now => Some(due.max(pair)),
            (due, _) => due,
        };
        if due.is_some_and(|due| due <= now) {
            self.pair_expected = None;
            self.since = None;
            self.closed = false;
            let renames = std::mem::take(&mut self.renames);
            if !self.folders.is_empty() {
                self.ready.clear();
                return Ok(Work::Folders(
                    std::mem::take(&mut self.folders).into_iter().collect(),
                ));
            }
            let paths = std::mem::take(&mut self.ready).into_iter().collect();
            return Ok(Work::Paths { paths, renames });
        }
        let next_settle = self.being_written.values().min().copied();
        Err(match (due, next_settle) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        })
    }
}

/// State shared by the senders and the receiver.
#[derive(Debug)]
struct Shared {
    pending: Mutex<Pending>,
    wake: Notify,
    settle: Duration,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        // The state stays consistent between statements: a panic elsewhere cannot leave it
        // half-changed, so a poisoned lock is still usable.
        self.pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The sending half: the watcher's callback, and whoever finds evidence that the index and
/// the folder disagree. Never blocks on the indexer.
#[derive(Debug, Clone)]
pub(crate) struct EventSender {
    shared: Arc<Shared>,
}

/// The receiving half: the indexer takes its work here.
#[derive(Debug)]
pub(crate) struct EventReceiver {
    shared: Arc<Shared>,
    gather: Duration,
}

/// A bounded set of pending paths: taken `gather` after the first one arrived; files being
/// written are held back until closed or quiet for `settle`.
pub(crate) fn channel(gather: Duration, settle: Duration) -> (EventSender, EventReceiver) {
    let shared = Arc::new(Shared {
        pending: Mutex::new(Pending::default()),
        wake: Notify::new(),
        settle,
    });
    (
        EventSender {
            shared: Arc::clone(&shared),
        },
        EventReceiver { shared, gather },
    )
}

impl EventSender {
    /// Notes one event from the watcher.
    pub(crate) fn event(&self, event: notify::Result<notify::Event>) {
        let event = match event {
            Ok(event) if event.need_rescan() => {
                warn!("the kernel dropped filesystem events; re-reading the folder");
                return self.rescan("the watcher lost events");
            }
            Ok(event) => event,
            Err(error) => {
                warn!(error = %error, "filesystem watcher error; re-reading the folder");
                return self.rescan(&format!("watcher error: {error}"));
            }
        };
        let Some(state) = state_after(&event.kind) else {
            return;
        };
        let is_metadata = matches!(event.kind, EventKind::Modify(ModifyKind::Metadata(_)));
        {
            let mut pending = self.shared.lock();
            match (event.kind, event.paths.as_slice()) {
                (EventKind::Modify(ModifyKind::Name(RenameMode::Both)), [from, to]) => {
                    if pending.renames.len() < MAX_PENDING_PATHS {
                        pending.renames.push((from.clone(), to.clone()));
                    }
                    pending.pair_expected = None;
                }
                (EventKind::Modify(ModifyKind::Name(RenameMode::To)), _) => {
                    pending.pair_expected = Some(Instant::now() + MAX_RENAME_PAIR_WAIT);
                }
                _ => {}
            }
            for path in event.paths {
                pending.note(path, state, is_metadata, self.shared.settle);
            }
        }
        self.shared.wake.notify_one();
    }

    /// Asks for `path` (a file or folder, present or not) to be looked at in the next round:
    /// something found that the index may not match the disk there.
    pub(crate) fn recheck(&self, path: PathBuf) {
        self.shared.lock().add_ready(path, Instant::now());
        self.shared.wake.notify_one();
    }

    /// Asks for the whole folder to be compared with the index.
    pub(crate) fn rescan(&self, why: &str) {
        self.shared.lock().rescan = Some(why.to_string());
        self.shared.wake.notify_one();
    }
}

impl EventReceiver {
    /// Waits until work is due: paths gathered for `gather`, a held-back file that went
    /// quiet, or a rescan.
    pub(crate) async fn next_work(&mut self) -> Work {
        loop {
            // Registered before looking, so that an event arriving in between still wakes us.
            let woken = self.shared.wake.notified();
            let next = self.shared.lock().take(Instant::now(), self.gather);
            match next {
                Ok(work) => return work,
                Err(Some(deadline)) => {
                    tokio::select! {
                        () = woken => {}
                        () = tokio::time::sleep_until(deadline) => {}
                    }
                }
                Err(None) => woken.await,
            }
        }
    }

    /// Files written to and not closed yet: whatever work comes, these are left alone until
    /// they are handed over.
    pub(crate) fn being_written(&self) -> Vec<PathBuf> {
        self.shared.lock().being_written.keys().cloned().collect()
    }
}

/// How the folder is watched (`watch.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The kernel's notifications (inotify).
    Native,
    /// Polling every so often: for network file systems where notifications don't arrive.
    Poll(Duration),
}

impl Mode {
    /// The mode `[watch]` asks for, with its interval.
    pub(crate) fn of(settings: &WatchSettings) -> Self {
        match settings.mode {
            WatchMode::Native => Mode::Native,
            WatchMode::Poll => Mode::Poll(Duration::from_millis(settings.poll_interval_ms)),
        }
    }
}

/// A running filesystem watcher; dropping it stops watching.
///
/// With inotify, each folder gets a watch of its own, added by [`Watcher::cover`] while it
/// walks the tree, reading folder listings only. (notify's recursive watch `stat`s every
/// entry of the tree, files included, to find the folders: at 100,000 files that was a fifth
/// of a warm start's CPU, a third of a second, on the core the indexer needed.) notify then removes the watches of folders
/// deleted or moved away, and the indexer watches the folders that events name before it
/// compares them ([`Watcher::watch_named`]): a folder created or moved in is watched, then
/// walked, so nothing written in it is missed. The polling watcher walks the tree itself and
/// is given the seeds folder, recursively.
///
/// One folder that cannot be watched (a `chmod 000` subfolder, one removed while the watches
/// were being added) is left out, logged once, and tried again when an event names it or
/// the whole tree is reconciled; the rest of the tree is watched. Only the seeds folder
/// itself, or the kernel's limit on watches, makes arming fail.
pub(crate) struct Watcher {
    watcher: Box<dyn notify::Watcher + Send>,
    root: PathBuf,
    mode: Mode,
    /// Folders left out, with the reason logged for each.
    unwatched: HashMap<PathBuf, String>,
}

/// Watches `root` and every folder below it, noting every event in `sender`.
pub(crate) fn spawn(root: &Path, mode: Mode, sender: EventSender) -> notify::Result<Watcher> {
    let handler = move |event: notify::Result<notify::Event>| sender.event(event);
    let watcher: Box<dyn notify::Watcher + Send> = match mode {
        Mode::Native => Box::new(RecommendedWatcher::new(handler, Config::default())?),
        Mode::Poll(interval) => Box::new(PollWatcher::new(
            handler,
            Config::default().with_poll_interval(interval),
        )?),
    };
    let mut watcher = Watcher {
        watcher,
        root: root.to_path_buf(),
        mode,
        unwatched: HashMap::new(),
    };
    watcher.cover(root)?;
    Ok(watcher)
}

impl Watcher {
    /// Watches `folder` and every folder below it: with inotify, each folder on its own; when
    /// polling, `folder` recursively (notify's recursive watch stops at the first folder it
    /// cannot watch, so when one fails below `folder`, each child is watched on its own, down
    /// to the folder that failed). A folder that fails is noted in `unwatched`. Links are not
    /// followed: a link to `/` would have the whole disk watched (a linked folder inside the
    /// seeds folder is watched where it is).
    fn cover(&mut self, folder: &Path) -> notify::Result<()> {
        let (recursive, each) = match self.mode {
            Mode::Native => (RecursiveMode::NonRecursive, true),
            Mode::Poll(_) => (RecursiveMode::Recursive, false),
        };
        // The seeds folder itself may be a link (it is canonical only if it existed at start),
        // so the walk follows where it starts; the folders events name are checked to be no
        // links before they get here.
        let mut walk = walkdir::WalkDir::new(folder).into_iter();
        while let Some(entry) = walk.next() {
            // A folder whose entries cannot be listed was already tried as an entry itself.
            let Ok(entry) = entry else { continue };
            // A link is taken as the folder it leads to only where the walk starts.
            let folder = entry.file_type().is_dir() || entry.depth() == 0 && entry.path().is_dir();
            if !folder {
                continue;
            }
            let path = entry.path();
            match self.watcher.watch(path, recursive) {
                Ok(()) => {
                    if self.unwatched.remove(path).is_some() {
                        info!(path = %path.display(), "watching this folder again");
                    }
                    if !each {
                        walk.skip_current_dir();
                    }
                }
                Err(e) if is_watch_limit(&e) => return Err(e),
                Err(e) if each || e.paths.first().is_none_or(|failed| failed == path) => {
                    if path == self.root {
                        return Err(e);
                    }
                    self.note_unwatched(path, &e);
                    walk.skip_current_dir();
                }
                // A folder below failed: the children are watched one by one.
                Err(_) => {}
            }
        }
        Ok(())
    }

    fn note_unwatched(&mut self, path: &Path, error: &notify::Error) {
        let reason = error.to_string();
        if self.unwatched.get(path) != Some(&reason) {
            warn!(path = %path.display(), error = %reason, "cannot watch this folder; its changes show at the next full reconcile (watch.reconcile_secs) or when it can be watched");
        }
        self.unwatched.insert(path.to_path_buf(), reason);
    }

    /// Watches the folders `work` names, before the indexer compares them: with inotify,
    /// every folder among its paths (created, moved in, made readable again) and below them,
    /// and the whole tree for a whole comparison (a lost event may have been a folder's
    /// creation). When polling, only the folders left out that `work` concerns are tried
    /// again (a folder made readable again is named by its attribute change); all of them
    /// for a whole comparison. Costs nothing while polling and every folder is watched.
    pub(crate) fn watch_named(&mut self, work: &Work) -> notify::Result<()> {
        let mut named: Vec<PathBuf> = match work {
            Work::Rescan => self.unwatched.keys().cloned().collect(),
            Work::Paths { paths, .. } | Work::Folders(paths) => self
                .unwatched
                .keys()
                .filter(|u| paths.iter().any(|p| u.starts_with(p)))
                .cloned()
                .collect(),
        };
        if self.mode == Mode::Native {
            match work {
                Work::Rescan => named.push(self.root.clone()),
                Work::Paths { paths, .. } | Work::Folders(paths) => named.extend(
                    paths
                        .iter()
                        .filter(|p| p.starts_with(&self.root) && is_folder(p))
                        .cloned(),
                ),
            }
        }
        named.sort();
        named.dedup();
        for folder in named {
            // The seeds folder itself may be a link (see `cover`).
            let seeds_folder = folder == self.root && folder.is_dir();
            if seeds_folder || is_folder(&folder) {
                self.cover(&folder)?;
            } else {
                self.unwatched.remove(&folder);
            }
        }
        Ok(())
    }
}

/// True when `path` is a folder itself, not a link to one: a link named by an event (one to
/// `/`, say) is never walked into.
fn is_folder(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|md| md.is_dir())
}

/// True for the kernel's limit on watches (`fs.inotify.max_user_watches`): every further
/// folder would fail too.
fn is_watch_limit(error: &notify::Error) -> bool {
    matches!(error.kind, notify::ErrorKind::MaxFilesWatch)
}

/// Whether an event leaves its file being written, or done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileState {
    /// Created or written to: complete once closed, or quiet for `write_settle_ms`.
    Writing,
    /// Closed after writing: complete, and due at once. A folder created is due at once too:
    /// it is watched only when the indexer takes it, and what is written in it before then
    /// is found by walking it, not seen being written.
    Closed,
    /// Renamed, removed, attributes changed: ready after the gathering.
    Ready,
}

/// What `kind` says of its paths; `None` for events that say nothing about them.
fn state_after(kind: &EventKind) -> Option<FileState> {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => Some(FileState::Closed),
        // Opens and reads, including seedfeed's own: reacting to them would loop forever.
        EventKind::Access(_) => None,
        EventKind::Create(CreateKind::Folder) => Some(FileState::Closed),
        EventKind::Create(_) | EventKind::Modify(ModifyKind::Data(_) | ModifyKind::Any) => {
            Some(FileState::Writing)
        }
        _ => Some(FileState::Ready),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{DataChange, MetadataKind, RemoveKind};

    const GATHER: Duration = Duration::from_millis(20);
    const SETTLE: Duration = Duration::from_millis(200);

    fn event(kind: EventKind, paths: &[&str]) -> notify::Result<notify::Event> {
        let mut event = notify::Event::new(kind);
        for path in paths {
            event = event.add_path(PathBuf::from(path));
        }
        Ok(event)
    }

    fn closed(paths: &[&str]) -> notify::Result<notify::Event> {
        event(
            EventKind::Access(AccessKind::Close(AccessMode::Write)),
            paths,
        )
    }

    fn written(paths: &[&str]) -> notify::Result<notify::Event> {
        event(EventKind::Modify(ModifyKind::Data(DataChange::Any)), paths)
    }

    fn removed(paths: &[&str]) -> notify::Result<notify::Event> {
        event(EventKind::Remove(RemoveKind::File), paths)
    }

    fn renamed(from: &str, to: &str) -> Vec<notify::Result<notify::Event>> {
        vec![
            event(
                EventKind::Modify(ModifyKind::Name(RenameMode::From)),
                &[from],
            ),
            event(EventKind::Modify(ModifyKind::Name(RenameMode::To)), &[to]),
            event(
                EventKind::Modify(ModifyKind::Name(RenameMode::Both)),
                &[from, to],
            ),
        ]
    }

    fn paths(names: &[&str]) -> Work {
        Work::Paths {
            paths: names.iter().map(PathBuf::from).collect(),
            renames: Vec::new(),
        }
    }

    fn pair(from: &str, to: &str) -> (PathBuf, PathBuf) {
        (PathBuf::from(from), PathBuf::from(to))
    }

    #[tokio::test(start_paused = true)]
    async fn paths_are_gathered_then_taken_together() {
        let (tx, mut rx) = channel(GATHER, SETTLE);
        tx.event(removed(&["b"]));
        tx.event(removed(&["a"]));
        let started = Instant::now();
        assert_eq!(rx.next_work().await, paths(&["a", "b"]));
        assert!(started.elapsed() >= GATHER);
    }

    #[tokio::test(start_paused = true)]
    async fn a_closed_file_is_taken_at_once_with_what_is_pending() {
        let (tx, mut rx) = channel(GATHER, SETTLE);
        tx.event(removed(&["a"]));
        tx.event(written(&["b"]));
        tx.event(closed(&["b"]));
        let started = Instant::now();
        assert_eq!(rx.next_work().await, paths(&["a", "b"]));
        assert_eq!(started.elapsed(), Duration::ZERO);
        // While that round is indexed, a burst of closes gathers into the next one.
        tx.event(closed(&["c"]));
        tx.event(closed(&["d"]));
        assert_eq!(rx.next_work().await, paths(&["c", "d"]));
        assert_eq!(started.elapsed(), Duration::ZERO);
        // Once taken, other events wait for the gathering again.
        tx.event(removed(&["e"]));
        assert_eq!(rx.next_work().await, paths(&["e"]));
        assert!(started.elapsed() >= GATHER);
    }

    // Regression (issue 13): the full debouncer folded "rename a to b, delete b" into
    // "delete b", and `a` stayed published until the next full reconcile.
    #[tokio::test(start_paused = true)]
    async fn a_renamed_then_deleted_file_names_both_paths() {
        let (tx, mut rx) = channel(GATHER, SETTLE);
        for e in renamed("a", "b").into_iter().chain(renamed("b", "c")) {
            tx.event(e);
        }
        tx.event(removed(&["c"]));
        let renames = vec![pair("a", "b"), pair("b", "c")];
        let paths = ["a", "b", "c"].map(PathBuf::from).to_vec();
        assert_eq!(rx.next_work().await, Work::Paths { paths, renames });
    }

    #[tokio::test(start_paused = true)]
    async fn reads_and_opens_are_not_changes() {
        // Regression: inotify reports opens, and the indexer's own read of a changed file
        // was taken for a new change, which made it read the file again, forever.
        let (tx, mut rx) = channel(GATHER, SETTLE);
        tx.event(event(
            EventKind::Access(AccessKind::Open(AccessMode::Any)),
            &["a"],
        ));
        tx.event(event(
            EventKind::Access(AccessKind::Close(AccessMode::Read)),
            &["a"],
        ));
        let waited = tokio::time::timeout(SETTLE * 10, rx.next_work()).await;
        assert!(waited.is_err(), "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_file_being_written_waits_for_its_close_or_for_quiet() {
        let (tx, mut rx) = channel(GATHER, SETTLE);
        tx.event(written(&["slow"]));
        tx.event(written(&["closed"]));
        tx.event(closed(&["closed"]));
        assert_eq!(rx.next_work().await, paths(&["closed"]));
        assert_eq!(rx.being_written(), [PathBuf::from("slow")]);
        // A chmod meanwhile does not finish the write; a rescan still holds it back.
        tx.event(event(
            EventKind::Modify(ModifyKind::Metadata(MetadataKind::Any)),
            &["slow"],
        ));
        tx.rescan("test");
        assert_eq!(rx.next_work().await, Work::Rescan);
        assert_eq!(rx.being_written(), [PathBuf::from("slow")]);
        // More writes push the deadline back; then quiet time hands the file over.
        tokio::time::sleep(SETTLE / 2).await;
        tx.event(written(&["slow"]));
        let started = Instant::now();
        assert_eq!(rx.next_work().await, paths(&["slow"]));
        assert!(started.elapsed() >= SETTLE);
        assert!(rx.being_written().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_rescan_covers_the_paths_pending() {
        let (tx, mut rx) = channel(GATHER, SETTLE);
        tx.event(closed(&["a"]));
        tx.event(Ok(
            notify::Event::new(EventKind::Other).set_flag(notify::event::Flag::Rescan)
        ));
        assert_eq!(rx.next_work().await, Work::Rescan);
        tx.event(closed(&["c"]));
        assert_eq!(rx.next_work().await, paths(&["c"]));
    }

    #[tokio::test(start_paused = true)]
    async fn watcher_errors_become_rescans() {
        let (tx, mut rx) = channel(GATHER, SETTLE);
        tx.event(Err(notify::Error::generic("boom")));
        assert_eq!(rx.next_work().await, Work::Rescan);
    }

    #[tokio::test(start_paused = true)]
    async fn a_recheck_is_looked_at_like_an_event() {
        let (tx, mut rx) = channel(GATHER, SETTLE);
        tx.recheck(PathBuf::from("gone.txt"));
        assert_eq!(rx.next_work().await, paths(&["gone.txt"]));
    }

    #[test]
    fn too_many_paths_fold_into_their_folders_then_into_a_rescan() {
        let now = Instant::now();
        let mut pending = Pending::default();
        for i in 0..=MAX_PENDING_PATHS {
            pending.add_ready(PathBuf::from(format!("d{}/f{i}", i % 3)), now);
        }
        pending.add_ready(PathBuf::from("d9/late"), now);
        let folders = ["d0", "d1", "d2", "d9"].map(PathBuf::from).to_vec();
        assert_eq!(
            pending.take(now + GATHER, GATHER),
            Ok(Work::Folders(folders))
        );
        // Taken: the next paths are kept apart again.
        pending.add_ready(PathBuf::from("d0/x"), now);
        assert_eq!(pending.take(now + GATHER, GATHER), Ok(paths(&["d0/x"])));
        for i in 0..=MAX_PENDING_PATHS + MAX_PENDING_FOLDERS {
            pending.add_ready(PathBuf::from(format!("d{i}/f")), now);
        }
        assert_eq!(pending.take(now, GATHER), Ok(Work::Rescan));
        assert_eq!(pending.take(now + GATHER, GATHER), Err(None));
    }

    #[test]
    fn the_number_of_files_held_back_is_bounded() {
        let mut pending = Pending::default();
        for i in 0..MAX_FILES_BEING_WRITTEN + 1 {
            let path = PathBuf::from(format!("f{i}"));
            pending.note(path, FileState::Writing, false, SETTLE);
        }
        assert_eq!(pending.being_written.len(), MAX_FILES_BEING_WRITTEN);
        assert_eq!(
            pending.ready.len(),
            1,
            "the one over the bound is handed over"
        );
    }

    async fn watched(root: &Path) -> (Watcher, EventReceiver) {
        let (tx, rx) = channel(GATHER, Duration::from_secs(30));
        let watcher = spawn(root, Mode::Native, tx).expect("watch");
        (watcher, rx)
    }

    async fn next(rx: &mut EventReceiver, within: Duration) -> Option<Work> {
        tokio::time::timeout(within, rx.next_work()).await.ok()
    }

    // Regression (churn seed 1796150636499422115): a round was taken between a rename's `To`
    // event and its `Both` pair, so the new name was indexed as a new article and the old
    // one removed: the id changed.
    #[tokio::test(start_paused = true)]
    async fn a_round_waits_for_the_pair_of_a_renames_second_half() {
        let (tx, mut rx) = channel(GATHER, SETTLE);
        let [from, to, both] = <[_; 3]>::try_from(renamed("a", "b")).expect("three events");
        tx.event(from);
        tokio::time::advance(GATHER / 2).await;
        tx.event(to);
        // The gather window passes, but the pair has not come: no round yet.
        assert_eq!(next(&mut rx, GATHER * 3 / 4).await, None);
        tx.event(both);
        assert_eq!(
            next(&mut rx, GATHER).await,
            Some(Work::Paths {
                paths: vec![PathBuf::from("a"), PathBuf::from("b")],
                renames: vec![pair("a", "b")],
            })
        );
        // A file moved in from outside has no pair: its round comes after the wait.
        tx.event(event(
            EventKind::Modify(ModifyKind::Name(RenameMode::To)),
            &["c"],
        ));
        assert_eq!(
            next(
                &mut rx,
                GATHER + MAX_RENAME_PAIR_WAIT + Duration::from_millis(5)
            )
            .await,
            Some(paths(&["c"]))
        );
    }

    #[tokio::test]
    async fn real_events_arrive_for_a_new_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().canonicalize().expect("canonical");
        let (_watcher, mut rx) = watched(&root).await;
        std::fs::write(root.join("new.txt"), "Title\nBody.\n").expect("write");
        match next(&mut rx, Duration::from_secs(10)).await {
            Some(Work::Paths { paths, .. }) => {
                assert!(paths.contains(&root.join("new.txt")), "{paths:?}")
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    fn watch_paths(watcher: &mut Watcher, paths: impl IntoIterator<Item = PathBuf>) {
        let paths = paths.into_iter().collect();
        let work = Work::Paths {
            paths,
            renames: Vec::new(),
        };
        watcher.watch_named(&work).expect("watch");
    }

    /// The paths of the rounds that come within `within`, together.
    async fn paths_seen(rx: &mut EventReceiver, within: Duration) -> BTreeSet<PathBuf> {
        let mut seen = BTreeSet::new();
        while let Some(work) = next(rx, within).await {
            match work {
                Work::Paths { paths, .. } | Work::Folders(paths) => seen.extend(paths),
                Work::Rescan => panic!("unexpected rescan"),
            }
        }
        seen
    }

    // Each folder is watched on its own (issue 17): a folder created, moved in or renamed is
    // watched once the indexer takes its round, with every folder below it.
    #[tokio::test]
    async fn folders_named_by_events_are_watched_before_they_are_compared() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().canonicalize().expect("canonical");
        let outside = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(root.join("old/deep")).expect("mkdir");
        std::fs::create_dir_all(outside.path().join("moved/below")).expect("mkdir");
        let (mut watcher, mut rx) = watched(&root).await;
        let quiet = Duration::from_millis(300);

        // Folders there at the start are watched, however deep.
        std::fs::write(root.join("old/deep/a.txt"), "A\nBody.\n").expect("write");
        assert!(
            paths_seen(&mut rx, quiet)
                .await
                .contains(&root.join("old/deep/a.txt"))
        );

        // A new tree and one moved in: named by their top folders, watched when taken.
        std::fs::create_dir_all(root.join("new/deeper")).expect("mkdir");
        std::fs::rename(outside.path().join("moved"), root.join("moved")).expect("move in");
        let named = paths_seen(&mut rx, quiet).await;
        assert!(
            named.contains(&root.join("new")) && named.contains(&root.join("moved")),
            "{named:?}"
        );
        watch_paths(&mut watcher, named);
        std::fs::write(root.join("new/deeper/b.txt"), "B\nBody.\n").expect("write");
        std::fs::write(root.join("moved/below/c.txt"), "C\nBody.\n").expect("write");
        let seen = paths_seen(&mut rx, quiet).await;
        for file in ["new/deeper/b.txt", "moved/below/c.txt"] {
            assert!(seen.contains(&root.join(file)), "{file}: {seen:?}");
        }

        // A folder renamed inside the tree: its events name the new path once it is taken.
        std::fs::rename(root.join("old"), root.join("renamed")).expect("rename");
        let named = paths_seen(&mut rx, quiet).await;
        watch_paths(&mut watcher, named);
        std::fs::write(root.join("renamed/deep/d.txt"), "D\nBody.\n").expect("write");
        let seen = paths_seen(&mut rx, quiet).await;
        assert!(seen.contains(&root.join("renamed/deep/d.txt")), "{seen:?}");
        assert!(watcher.unwatched.is_empty(), "{:?}", watcher.unwatched);
    }

    // A link to a folder elsewhere (to `/`, say) is not walked into: only the seeds folder's
    // own folders are watched, at start and when an event names the link.
    #[tokio::test]
    async fn a_link_to_a_folder_elsewhere_is_not_watched() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().canonicalize().expect("canonical");
        let outside = tempfile::tempdir().expect("temp dir");
        std::os::unix::fs::symlink(outside.path(), root.join("link")).expect("symlink");
        let (mut watcher, mut rx) = watched(&root).await;
        let quiet = Duration::from_millis(300);
        std::os::unix::fs::symlink(outside.path(), root.join("new link")).expect("symlink");
        // Also when the link took the place of a folder that could not be watched.
        let noted = "a folder left out before".to_string();
        watcher.unwatched.insert(root.join("new link"), noted);
        watch_paths(&mut watcher, [root.join("new link")]);
        assert!(watcher.unwatched.is_empty(), "{:?}", watcher.unwatched);
        paths_seen(&mut rx, quiet).await;
        std::fs::write(outside.path().join("x.txt"), "X\nBody.\n").expect("write");
        assert_eq!(paths_seen(&mut rx, quiet).await, BTreeSet::new());
    }

    #[tokio::test]
    async fn reading_a_real_file_is_not_a_change() {
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
    async fn real_renames_and_removals_name_every_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().canonicalize().expect("canonical");
        std::fs::write(root.join("a.txt"), "Title\nBody.\n").expect("write");
        let (_watcher, mut rx) = watched(&root).await;
        std::fs::rename(root.join("a.txt"), root.join("b.txt")).expect("rename");
        std::fs::rename(root.join("b.txt"), root.join("c.txt")).expect("rename");
        std::fs::remove_file(root.join("c.txt")).expect("rm");
        let (mut seen, mut pairs) = (BTreeSet::new(), Vec::new());
        while let Some(Work::Paths { paths, renames }) =
            next(&mut rx, Duration::from_millis(500)).await
        {
            seen.extend(paths);
            pairs.extend(renames);
        }
        let a_b_c = ["a.txt", "b.txt", "c.txt"].map(|n| root.join(n));
        assert_eq!(
            pairs,
            [
                (a_b_c[0].clone(), a_b_c[1].clone()),
                (a_b_c[1].clone(), a_b_c[2].clone())
            ]
        );
        let want: BTreeSet<PathBuf> = ["a.txt", "b.txt", "c.txt"]
            .iter()
            .map(|n| root.join(n))
            .collect();
        assert_eq!(seen, want);
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
        assert_eq!(
            work,
            Some(paths(&[root.join("slow.txt").to_str().expect("utf-8")]))
        );
    }
}
