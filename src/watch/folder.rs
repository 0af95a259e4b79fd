//! Keeping a watcher on the seeds folder: armed at start, armed again when the folder is
//! replaced or appears, retried with a backoff when it cannot be armed.

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use tracing::{debug, info, warn};

use super::Work;

/// How often the indexer checks that the watched seeds folder is still the same folder (it
/// may be deleted, re-created or appear after start-up); a cheap `stat`.
pub(crate) const ROOT_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// The watcher on the seeds folder, re-armed when the folder is replaced or appears.
pub(crate) struct FolderWatch {
    root: PathBuf,
    mode: super::Mode,
    sender: super::EventSender,
    watcher: Option<super::Watcher>,
    /// Device and inode of the folder the watcher is on.
    armed_on: Option<(u64, u64)>,
    /// When arming failed: when to try again, and what was logged.
    retry: ArmRetry,
    /// Polling only: when to compare the folder again after a rescan found files.
    follow_up: Option<tokio::time::Instant>,
}

/// Longest wait between two tries at arming a watcher that failed (an unreadable subfolder,
/// the inotify watch limit): the periodic reconcile covers the gap meanwhile.
pub(crate) const MAX_ARM_RETRY: Duration = Duration::from_secs(300);

/// Backoff for a watcher that cannot be armed: tries again after 1 s, then twice as long each
/// time up to [`MAX_ARM_RETRY`]; the error is logged as a warning when it first appears or
/// changes, not at every try (a `chmod 000` subfolder logged 170,000 lines a day).
#[derive(Debug, Default)]
struct ArmRetry {
    next_try: Option<Instant>,
    wait: Duration,
    logged: Option<String>,
}

impl ArmRetry {
    /// True when a try is due at `now`.
    fn due(&self, now: Instant) -> bool {
        self.next_try.is_none_or(|at| now >= at)
    }

    /// Notes a failure at `now`; true when `error` should be logged as a warning.
    fn failed(&mut self, now: Instant, error: String) -> bool {
        self.wait = (self.wait * 2).clamp(ROOT_CHECK_INTERVAL, MAX_ARM_RETRY);
        self.next_try = Some(now + self.wait);
        let new = self.logged.as_ref() != Some(&error);
        self.logged = Some(error);
        new
    }

    /// Notes a success: the next failure is logged and retried quickly again.
    fn succeeded(&mut self) {
        *self = Self::default();
    }
}

impl FolderWatch {
    /// A watch on the folder at `root`, armed by the first [`FolderWatch::ensure_armed`],
    /// sending its events to `sender`.
    pub(crate) fn new(root: PathBuf, mode: super::Mode, sender: super::EventSender) -> Self {
        Self {
            root,
            mode,
            sender,
            watcher: None,
            armed_on: None,
            retry: ArmRetry::default(),
            follow_up: None,
        }
    }

    /// Notes a whole-folder comparison, and whether it published or updated files. The
    /// polling watcher reports changes against its own last scan: a file that a rescan
    /// published before the watcher's next scan saw it, and that is deleted meanwhile, is
    /// never reported removed. So when polling, such a rescan is followed by another one two
    /// intervals later (the watcher has scanned by then), until one finds nothing new.
    pub(crate) fn rescanned(&mut self, found_files: bool) {
        self.follow_up = match self.mode {
            super::Mode::Poll(interval) if found_files => {
                Some(tokio::time::Instant::now() + interval * 2)
            }
            _ => None,
        };
    }

    /// When the follow-up comparison of [`FolderWatch::rescanned`] is due, if one is.
    pub(crate) fn follow_up_at(&self) -> Option<tokio::time::Instant> {
        self.follow_up
    }

    /// Watches the folders `work` names before the indexer compares them (see
    /// [`super::Watcher::watch_named`]). Reaching the watch limit there drops the watcher,
    /// which is then armed again with a backoff.
    pub(crate) fn watch_named(&mut self, work: &Work) {
        let Some(watcher) = &mut self.watcher else {
            return;
        };
        if let Err(e) = watcher.watch_named(work) {
            warn!(path = %self.root.display(), error = %e, "cannot watch the seeds folder; retrying with a backoff, up to every 5 minutes");
            self.watcher = None;
            self.armed_on = None;
            self.retry.failed(Instant::now(), e.to_string());
        }
    }

    /// Makes sure the watcher is on the folder now at `root`; true when it (re)armed it, so
    /// that the caller reconciles the whole folder.
    pub(crate) fn ensure_armed(&mut self) -> bool {
        let identity = std::fs::metadata(&self.root)
            .ok()
            .filter(|md| md.is_dir())
            .map(|md| (md.dev(), md.ino()));
        if identity == self.armed_on && (identity.is_none() || self.watcher.is_some()) {
            return false;
        }
        if identity.is_some() && !self.retry.due(Instant::now()) {
            return false;
        }
        self.watcher = None;
        self.armed_on = identity;
        if identity.is_none() {
            warn!(path = %self.root.display(), "seeds folder is gone; keeping the last known articles until it is back");
            return false;
        }
        match super::spawn(&self.root, self.mode, self.sender.clone()) {
            Ok(watcher) => {
                info!(path = %self.root.display(), "watching the seeds folder");
                self.watcher = Some(watcher);
                self.retry.succeeded();
            }
            Err(e) => {
                // Retried with a backoff; the periodic reconcile covers the gap.
                let error = e.to_string();
                if self.retry.failed(Instant::now(), error.clone()) {
                    warn!(path = %self.root.display(), error, "cannot watch the seeds folder; retrying with a backoff, up to every 5 minutes");
                } else {
                    debug!(path = %self.root.display(), error, "still cannot watch the seeds folder");
                }
                self.armed_on = None;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Issue 14: a `chmod 000` subfolder made arming fail every second, each time with a
    // warning, forever.
    #[test]
    fn a_failing_watcher_is_retried_with_a_backoff_and_logged_once() {
        let mut retry = ArmRetry::default();
        let start = Instant::now();
        assert!(retry.due(start));
        assert!(
            retry.failed(start, "Permission denied".into()),
            "first: logged"
        );
        assert!(!retry.due(start));
        let mut at = start;
        let mut waits = Vec::new();
        for _ in 0..12 {
            let next = retry.next_try.expect("scheduled");
            waits.push(next - at);
            at = next;
            assert!(retry.due(at));
            assert!(
                !retry.failed(at, "Permission denied".into()),
                "same error: not logged"
            );
        }
        assert_eq!(waits[0], ROOT_CHECK_INTERVAL);
        assert_eq!(waits[1], ROOT_CHECK_INTERVAL * 2);
        assert_eq!(waits.last(), Some(&MAX_ARM_RETRY));
        assert!(
            retry.failed(at, "No space left on device".into()),
            "a new error is logged"
        );
        retry.succeeded();
        assert!(retry.due(at));
    }

    // A file published by a rescan and deleted before the polling watcher's next scan was
    // never reported removed (it stayed until the periodic reconcile; `durability::
    // poll_mode_follows_changes` failed about one run in 25 under load).
    #[tokio::test]
    async fn when_polling_a_rescan_that_found_files_is_followed_by_another() {
        let (sender, _receiver) =
            super::super::channel(Duration::from_millis(10), Duration::from_millis(10));
        let interval = Duration::from_millis(100);
        let mut polled = FolderWatch::new(
            PathBuf::from("/x"),
            super::super::Mode::Poll(interval),
            sender.clone(),
        );
        polled.rescanned(true);
        let due = polled.follow_up_at().expect("a follow-up");
        assert!(due >= tokio::time::Instant::now() + interval);
        polled.rescanned(false);
        assert_eq!(
            polled.follow_up_at(),
            None,
            "until a rescan finds nothing new"
        );
        let mut native = FolderWatch::new(PathBuf::from("/x"), super::super::Mode::Native, sender);
        native.rescanned(true);
        assert_eq!(native.follow_up_at(), None, "inotify reports every change");
    }
}
