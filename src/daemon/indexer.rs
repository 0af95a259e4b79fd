//! The index loop: the first index, then watcher events, periodic reconciles, folder
//! re-arming and reloads, each applied to the store on a blocking thread and published.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::watch as signal;
use tracing::{debug, error, info};

use super::publish::{Hooks, publish};
use crate::config::Settings;
use crate::feed::FeedContext;
use crate::http::AppState;
use crate::related::Signature;
use crate::reload::Reloads;
use crate::snapshot::SnapshotCell;
use crate::store::signing::{self, Signed};
use crate::store::{Changes, Store};
use crate::systemd::{self, Notifier, Watchdog};
use crate::watch::{EventReceiver, FolderWatch, ROOT_CHECK_INTERVAL, Work};

/// Where the indexer's work comes from.
pub(super) struct Events {
    pub(super) folder: FolderWatch,
    pub(super) receiver: EventReceiver,
    /// Period of the safety-net reconcile; zero for none.
    pub(super) reconcile_every: Duration,
}

/// Indexes the folder once, then applies watcher events, periodic reconciles, folder
/// re-arming and reloads until told to stop. Dropping the loop drops the watcher.
pub(super) async fn index_loop(
    store: Store,
    events: Events,
    mut ctx: Arc<FeedContext>,
    cell: Arc<SnapshotCell>,
    mut stop: signal::Receiver<bool>,
    mut control: Control,
) -> anyhow::Result<()> {
    let (mut store, mut events) = first_index(store, events, &ctx, &cell, &control.hooks).await?;
    let (mut root_check, mut reconcile) = timers(events.reconcile_every);
    control.ready(&cell);
    let mut signing = start_signing(&store);
    let busy = events.receiver.being_written();
    let catch_up = Step::Work(Work::Rescan);
    let changes;
    (store, changes) = index_step(store, catch_up, busy, &ctx, &cell, &control.hooks).await?;
    events
        .folder
        .rescanned(changes.published + changes.updated > 0);
    loop {
        let follow_up = events.folder.follow_up_at();
        // Biased, in this order: stopping and the watchdog first (a steady stream of events
        // must not starve them), then events, timers and reloads, and a reparse chunk last.
        let work = tokio::select! {
            biased;
            // The guard `wait_for` returns is not `Send`; dropped here, before arms that await.
            () = async { let _ = stop.wait_for(|stop| *stop).await; } => break,
            // Pinged from here, not from a timer task: see `systemd::Watchdog`.
            () = control.watchdog.tick() => {
                control.notifier.watchdog();
                continue;
            }
            work = events.receiver.next_work() => work,
            _ = tokio::time::sleep_until(follow_up.unwrap_or_else(tokio::time::Instant::now)), if follow_up.is_some() => {
                debug!("polling: comparing the folder again after a rescan found files");
                Work::Rescan
            }
            _ = reconcile.tick(), if !events.reconcile_every.is_zero() => {
                debug!("periodic reconcile");
                Work::Rescan
            }
            _ = root_check.tick() => {
                // The dates of documents rendered on request since the last publish.
                let dates = store.document_dates();
                if dates.has_pending() {
                    tokio::task::spawn_blocking(move || dates.flush());
                }
                if !events.folder.ensure_armed() {
                    continue;
                }
                Work::Rescan
            }
            Some(()) = control.reloads.next() => {
                let busy = events.receiver.being_written();
                (store, ctx) = control.reload(store, ctx, &cell, busy).await?;
                // Signatures wait for the files parsed again under the new rules.
                signing = (!store.reparsing()).then(|| start_signing(&store)).flatten();
                continue;
            }
            signed = next_signed(&mut signing), if signing.is_some() => {
                let Some(signed) = signed else {
                    signing = None;
                    continue;
                };
                let (step, done) = match signed {
                    Signed::Batch(batch) => (Step::Signatures(batch), false),
                    Signed::Done => {
                        signing = None;
                        (Step::SigningDone, true)
                    }
                };
                (store, _) = index_step(store, step, Vec::new(), &ctx, &cell, &control.hooks).await?;
                if done {
                    // Said once pages list them: published, and the signing's memory given back.
                    info!(articles = store.entries().len(), "related stories ready");
                }
                continue;
            }
            // Last: a chunk of the files parsed again after a reload runs only when nothing
            // else is ready, so changes keep being published meanwhile.
            () = std::future::ready(()), if store.reparsing() => {
                let busy = events.receiver.being_written();
                (store, _) = index_step(store, Step::ReparseNext, busy, &ctx, &cell, &control.hooks).await?;
                if !store.reparsing() {
                    info!(articles = store.entries().len(), "every file parsed again under the reloaded settings");
                    signing = start_signing(&store);
                    control.status(&cell);
                }
                continue;
            }
        };
        // Off the runtime's threads: a whole comparison walks the tree's folders first.
        let mut folder = events.folder;
        let (folder, work) = tokio::task::spawn_blocking(move || {
            folder.watch_named(&work);
            (folder, work)
        })
        .await
        .context("watching the folders an event names")?;
        events.folder = folder;
        match &work {
            Work::Paths { paths, .. } | Work::Folders(paths) => {
                control.hooks.metrics.watcher_paths(paths.len());
            }
            Work::Rescan => control.hooks.metrics.rescan(),
        }
        let busy = events.receiver.being_written();
        let rescan = work == Work::Rescan;
        let changes;
        (store, changes) =
            index_step(store, Step::Work(work), busy, &ctx, &cell, &control.hooks).await?;
        if rescan {
            events
                .folder
                .rescanned(changes.published + changes.updated > 0);
        }
        control.status(&cell);
    }
    let dates = store.document_dates();
    tokio::task::spawn_blocking(move || dates.flush())
        .await
        .context("writing the documents' dates")?;
    Ok(())
}

/// The first index: the whole folder read and the watcher armed (after the read when it
/// reads every file, meanwhile otherwise), then the first render published.
async fn first_index(
    store: Store,
    events: Events,
    ctx: &Arc<FeedContext>,
    cell: &Arc<SnapshotCell>,
    hooks: &Hooks,
) -> anyhow::Result<(Store, Events)> {
    let started = Instant::now();
    // Arming walks the whole tree too (inotify watches every folder). When the first index
    // reads every file, the watcher is armed after it, not during: inotify reports every
    // open, our own reads included, to the watcher's thread, which then competed with the
    // parsing threads for the two cores (14,000 context switches a second; system time of a
    // first index of 10,000 files 0.38 s, 0.19 s without). Otherwise (a warm start reads
    // few) it is armed on another thread meanwhile. Nothing is served before it is armed,
    // so a file a client writes once the feeds answer is always seen being written. Files
    // changed before the arming are caught by one more comparison after the feeds are served
    // (a stat per file; changed files only are read). No file is known to be being written
    // before the watcher is armed: one read half-written meanwhile has a recent mtime, so its
    // size and mtime do not vouch for it, and that comparison reads it again.
    let mut folder = events.folder;
    let index = |mut store: Store| {
        store.reconcile_all();
        store
    };
    let (store, folder) = if store.first_index_reads_every_file() {
        tokio::task::spawn_blocking(move || {
            let store = index(store);
            folder.ensure_armed();
            (store, folder)
        })
        .await
        .context("the first index failed")?
    } else {
        let arming = tokio::task::spawn_blocking(move || {
            folder.ensure_armed();
            folder
        });
        let store = tokio::task::spawn_blocking(move || index(store))
            .await
            .context("the first index failed")?;
        let folder = arming
            .await
            .context("arming the watcher on the seeds folder")?;
        (store, folder)
    };
    let events = Events { folder, ..events };
    let (ctx, cell, hooks) = (Arc::clone(ctx), Arc::clone(cell), hooks.clone());
    let store = tokio::task::spawn_blocking(move || {
        publish(&store, &ctx, &cell, &hooks);
        crate::memory::release_freed();
        store
    })
    .await
    .context("the first render failed")?;
    info!(
        articles = store.entries().len(),
        skipped = store.skipped().len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "first index complete"
    );
    Ok((store, events))
}

/// Starts computing the related-stories signatures the store lacks after a bulk pass, unless
/// it lacks none.
fn start_signing(store: &Store) -> Option<tokio::sync::mpsc::Receiver<Signed>> {
    (!store.related_ready()).then(|| signing::spawn(store.unsigned(), store.bodies()))
}

/// The signing thread's next message; pending forever when there is no signing thread.
async fn next_signed(signing: &mut Option<tokio::sync::mpsc::Receiver<Signed>>) -> Option<Signed> {
    match signing {
        Some(receiver) => receiver.recv().await,
        None => std::future::pending().await,
    }
}

/// The folder check's timer, and the periodic reconcile's (every `reconcile_every`; a
/// zero period turns the reconcile off, and its timer is then never polled).
fn timers(reconcile_every: Duration) -> (tokio::time::Interval, tokio::time::Interval) {
    let mut root_check = tokio::time::interval(ROOT_CHECK_INTERVAL);
    // `interval` rejects a zero period: the disabled timer only needs a valid one.
    let period = if reconcile_every.is_zero() {
        Duration::from_secs(86_400 * 365)
    } else {
        reconcile_every
    };
    let mut reconcile = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    for timer in [&mut root_check, &mut reconcile] {
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    }
    (root_check, reconcile)
}

/// The index loop's dealings with the outside: systemd notifications and configuration
/// reloads. Kept apart from the indexing itself.
pub(super) struct Control {
    notifier: Notifier,
    watchdog: Watchdog,
    reloads: Reloads,
    /// The settings in force (restart-only ones as at start-up).
    settings: Settings,
    state: Arc<AppState>,
    /// The address listened on, from which links derive when `server.base_url` is empty.
    local: SocketAddr,
    /// The last `STATUS=` sent.
    status: String,
    /// The hub and the metrics.
    hooks: Hooks,
}

impl Control {
    /// The index loop's outside: systemd's `notifier` (and its watchdog, from the
    /// environment), the `reloads` queue, the `settings` in force, the HTTP `state` and the
    /// `local` address links derive from, and the `hooks` told of each publish.
    pub(super) fn new(
        notifier: Notifier,
        reloads: Reloads,
        settings: Settings,
        state: Arc<AppState>,
        local: SocketAddr,
        hooks: Hooks,
    ) -> Self {
        Self {
            notifier,
            watchdog: Watchdog::new(systemd::watchdog_interval_from_env()),
            reloads,
            settings,
            state,
            local,
            status: String::new(),
            hooks,
        }
    }

    /// Tells systemd the daemon is ready: the first index is published and the socket
    /// listens (it was bound before the daemon started).
    fn ready(&mut self, cell: &SnapshotCell) {
        self.status = status_line(cell);
        self.notifier.ready(&self.status);
    }

    /// Sends `STATUS=` when the counts changed; systemd only shows the latest anyway.
    fn status(&mut self, cell: &SnapshotCell) {
        let status = status_line(cell);
        if status != self.status {
            self.notifier.status(&status);
            self.status = status;
        }
    }

    /// Reads the configuration again and applies what can change live: feed metadata and
    /// links, `Cache-Control`, the log level, and the file and parse rules, after which every
    /// file is parsed again and the feeds rendered. A configuration that does not load
    /// changes nothing.
    async fn reload(
        &mut self,
        store: Store,
        ctx: Arc<FeedContext>,
        cell: &Arc<SnapshotCell>,
        busy: Vec<PathBuf>,
    ) -> anyhow::Result<(Store, Arc<FeedContext>)> {
        info!("reloading the configuration");
        // A small file read on this task: reloads are rare and the index loop is idle.
        let Some(settings) = self.reloads.load(&self.settings) else {
            return Ok((store, ctx));
        };
        let ctx = Arc::new(FeedContext::new(
            &settings,
            settings.public_base_url(self.local),
        ));
        self.state.set_cache_max_age(settings.server.cache_max_age);
        let started = Instant::now();
        let step = Step::Reconfigure(Box::new(settings.clone()));
        let (store, _) = index_step(store, step, busy, &ctx, cell, &self.hooks).await?;
        self.settings = settings;
        info!(
            articles = store.entries().len(),
            skipped = store.skipped().len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "configuration reloaded"
        );
        self.status(cell);
        Ok((store, ctx))
    }
}

fn status_line(cell: &SnapshotCell) -> String {
    match cell.load() {
        Some(s) => format!("serving {} articles, {} skipped", s.articles, s.skipped),
        None => "indexing".to_string(),
    }
}

/// One unit of indexing work.
enum Step {
    /// Changes from the watcher, a timer or the folder check.
    Work(Work),
    /// Reloaded settings: applied to the store, the folder walked again under its rules, and
    /// the files queued to be parsed again ([`Step::ReparseNext`]). The feeds are rendered
    /// even when no article changed, since the feed metadata may have.
    Reconfigure(Box<Settings>),
    /// The next chunk of the files queued by a reload, parsed again; rendered when the last
    /// one is done (changes published meanwhile render the chunks already parsed).
    ReparseNext,
    /// Related-stories signatures from the signing thread: kept, not published yet.
    Signatures(Vec<(String, u64, Signature)>),
    /// Every signature is in: published, so that pages list related stories from now on.
    SigningDone,
}

/// Applies one step on a blocking thread, leaving the files in `busy` (being written) alone,
/// and publishes a new snapshot if it changed anything (or if none was published yet).
async fn index_step(
    mut store: Store,
    step: Step,
    busy: Vec<PathBuf>,
    ctx: &Arc<FeedContext>,
    cell: &Arc<SnapshotCell>,
    hooks: &Hooks,
) -> anyhow::Result<(Store, Changes)> {
    let (ctx, cell, hooks) = (Arc::clone(ctx), Arc::clone(cell), hooks.clone());
    tokio::task::spawn_blocking(move || {
        store.set_busy(&busy);
        let always = matches!(step, Step::Reconfigure(_) | Step::SigningDone);
        let signed_all = matches!(step, Step::SigningDone);
        let chunk = matches!(step, Step::ReparseNext);
        let changes = match step {
            Step::Work(Work::Rescan) => store.reconcile_all(),
            Step::Work(Work::Paths { paths, renames }) => store.reconcile_paths(&paths, &renames),
            Step::Work(Work::Folders(folders)) => store.reconcile_folders(&folders),
            Step::Reconfigure(settings) => {
                if let Err(e) = store.reconfigure(&settings) {
                    error!(
                        error = format!("{e:#}"),
                        "file and parse settings not applied"
                    );
                }
                store.begin_reparse()
            }
            Step::ReparseNext => store.reparse_next(),
            Step::Signatures(batch) => {
                store.apply_signatures(batch);
                Changes::default()
            }
            Step::SigningDone => {
                store.signing_done();
                Changes::default()
            }
        };
        // A reparse renders once, after its last chunk.
        let due = if chunk {
            !store.reparsing()
        } else {
            always || changes.any()
        };
        if due || cell.load().is_none() {
            publish(&store, &ctx, &cell, &hooks);
        }
        // The end of bulk work: the related-stories signatures, or the last reparse chunk.
        if signed_all || (chunk && !store.reparsing()) {
            crate::memory::release_freed();
        }
        (store, changes)
    })
    .await
    .map_err(|e| {
        error!(error = %e, "indexer task panicked");
        anyhow::anyhow!("indexer task failed: {e}")
    })
}
