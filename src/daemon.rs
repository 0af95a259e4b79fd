//! Wiring: watcher → indexer (store + render + snapshot) → HTTP, and an orderly shutdown.
//!
//! Like mini-redis's `server::run`, [`run`] takes an already-bound listener and a shutdown
//! future, so tests start it on port 0 and stop it when they like.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::future::Future;
use std::net::SocketAddr;
use std::os::unix::fs::MetadataExt;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::watch as signal;
use tracing::{debug, error, info, warn};

use crate::config::{Settings, StatusListener};
use crate::feed::html::MAX_INDEX_ARTICLES;
use crate::feed::target::{Format, Scope, Target};
use crate::feed::{self, FeedContext};
use crate::http::{self, AppState};
use crate::metrics::Metrics;
use crate::model::Entry;
use crate::reload::Reloads;
use crate::snapshot::{Snapshot, SnapshotCell};
use crate::store::Store;
use crate::systemd::{self, Notifier, Watchdog};
use crate::views::{Catalog, Views};
use crate::watch::{self, EventReceiver, Work};
use crate::websub::{self, Pinger};

/// How often the indexer checks that the watched seeds folder is still the same folder (it
/// may be deleted, re-created or appear after start-up); a cheap `stat`.
pub(crate) const ROOT_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// The seeds folder as an absolute path, canonical when it exists. A missing folder is not
/// an error: seedfeed serves empty feeds and starts watching when it appears. A path that
/// exists and is not a folder is.
pub(crate) fn seeds_root(settings: &Settings) -> anyhow::Result<PathBuf> {
    let dir = &settings.seeds.dir;
    match dir.canonicalize() {
        Ok(root) => {
            anyhow::ensure!(root.is_dir(), "seeds.dir {} is not a folder", dir.display());
            Ok(root)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let root = std::path::absolute(dir)
                .with_context(|| format!("seeds folder {} (seeds.dir)", dir.display()))?;
            warn!(path = %root.display(), "seeds folder (seeds.dir) does not exist; serving empty feeds until it is created");
            Ok(root)
        }
        Err(e) => Err(e).with_context(|| {
            format!(
                "seeds folder {} (seeds.dir) cannot be opened",
                dir.display()
            )
        }),
    }
}

/// The watcher on the seeds folder, re-armed when the folder is replaced or appears.
struct FolderWatch {
    root: PathBuf,
    mode: watch::Mode,
    sender: watch::EventSender,
    watcher: Option<watch::Watcher>,
    /// Device and inode of the folder the watcher is on.
    armed_on: Option<(u64, u64)>,
    /// When arming failed: when to try again, and what was logged.
    retry: ArmRetry,
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
    /// Tries again to watch the folders left out that `work` concerns. Reaching the watch
    /// limit there drops the watcher, which is then armed again with a backoff.
    fn retry_unwatched(&mut self, work: &Work) {
        let Some(watcher) = &mut self.watcher else {
            return;
        };
        if let Err(e) = watcher.retry_unwatched(work) {
            warn!(path = %self.root.display(), error = %e, "cannot watch the seeds folder; retrying with a backoff, up to every 5 minutes");
            self.watcher = None;
            self.armed_on = None;
            self.retry.failed(Instant::now(), e.to_string());
        }
    }

    /// Makes sure the watcher is on the folder now at `root`; true when it (re)armed it, so
    /// that the caller reconciles the whole folder.
    fn ensure_armed(&mut self) -> bool {
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
        match watch::spawn(&self.root, self.mode, self.sender.clone()) {
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

/// Runs the daemon on `listener` until `shutdown` completes, taking configuration reloads from
/// `reloads` and telling systemd how it goes (when `NOTIFY_SOCKET` is set).
pub async fn run(
    settings: Settings,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
    reloads: Reloads,
) -> anyhow::Result<()> {
    let local = listener
        .local_addr()
        .context("reading the listening address")?;
    let base_url = settings.public_base_url(local);
    let metrics_listener = match settings.metrics_address() {
        Ok(Some(address)) => Some(
            TcpListener::bind(address)
                .await
                .with_context(|| format!("listening on {address} (metrics.listen)"))?,
        ),
        Ok(None) => None,
        Err(reason) => anyhow::bail!("metrics.listen: {reason}"),
    };
    if let Some(listener) = &metrics_listener {
        if let Ok(address) = listener.local_addr() {
            info!(address = %address, "serving metrics at http://{address}/metrics");
        }
    }
    let root = seeds_root(&settings)?;
    let (sender, events) = watch::channel(
        Duration::from_millis(settings.watch.debounce_ms),
        Duration::from_millis(settings.watch.write_settle_ms),
    );
    let mut store = Store::open(&settings, &root).with_context(|| {
        format!(
            "opening the state in {} (state.dir)",
            settings.state.dir.display()
        )
    })?;
    store.recheck_with(sender.clone());
    let folder = FolderWatch {
        root: root.clone(),
        mode: watch::Mode::of(&settings.watch),
        sender,
        watcher: None,
        armed_on: None,
        retry: ArmRetry::default(),
    };
    let reconcile_every = Duration::from_secs(settings.watch.reconcile_secs);

    let ctx = Arc::new(FeedContext::new(&settings, base_url.clone()));
    let cell = Arc::new(SnapshotCell::default());
    let metrics = Arc::new(Metrics::default());
    let state = Arc::new(AppState::new(
        Arc::clone(&cell),
        &settings.server,
        Arc::clone(&metrics),
    ));
    let (stop_tx, stop_rx) = signal::channel(false);
    let metrics_server = metrics_listener.map(|listener| {
        tokio::spawn(http::metrics::serve(
            listener,
            Arc::clone(&metrics),
            (settings.server.status == StatusListener::Metrics).then(|| Arc::clone(&cell)),
            stopped(stop_rx.clone()),
        ))
    });
    let server = tokio::spawn(http::serve(
        listener,
        Arc::clone(&state),
        stopped(stop_rx.clone()),
    ));
    let pinger = match settings.websub.hub.as_str() {
        "" => None,
        hub => Some(Pinger::spawn(websub::parse_hub(hub).context("websub.hub")?)),
    };
    if let Some(pinger) = &pinger {
        metrics.watch_pinger(pinger.clone());
    }
    let hooks = Hooks { pinger, metrics };
    info!(address = %local, base_url = %base_url, seeds = %root.display(), "listening on http://{local}");
    let notifier = Notifier::from_env();
    let control = Control {
        notifier: notifier.clone(),
        watchdog: Watchdog::new(systemd::watchdog_interval_from_env()),
        reloads,
        settings,
        state,
        local,
        status: String::new(),
        hooks,
    };
    let mut indexer = tokio::spawn(index_loop(
        store,
        Events {
            folder,
            receiver: events,
            reconcile_every,
        },
        ctx,
        cell,
        stop_rx,
        control,
    ));

    let mut shutdown = std::pin::pin!(shutdown);
    let outcome = tokio::select! {
        () = &mut shutdown => {
            // First, so that systemd knows the exit that follows is on purpose.
            notifier.stopping();
            info!("shutting down");
            stop_tx.send_replace(true);
            indexer.await
        }
        finished = &mut indexer => {
            notifier.stopping();
            finished
        }
    };
    stop_tx.send_replace(true);
    let served = server.await;
    if let Some(metrics_server) = metrics_server {
        metrics_server
            .await
            .context("the metrics server stopped unexpectedly")?;
    }
    let indexed = outcome.context("the indexer stopped unexpectedly")?;
    served.context("the HTTP server stopped unexpectedly")?;
    indexed
}

async fn stopped(mut stop: signal::Receiver<bool>) {
    // An error means the sender is gone, which also means stop.
    let _ = stop.wait_for(|stop| *stop).await;
}

/// Where the indexer's work comes from.
struct Events {
    folder: FolderWatch,
    receiver: EventReceiver,
    /// Period of the safety-net reconcile; zero for none.
    reconcile_every: Duration,
}

/// Indexes the folder once, then applies watcher events, periodic reconciles, folder
/// re-arming and reloads until told to stop. Dropping the loop drops the watcher.
async fn index_loop(
    store: Store,
    events: Events,
    mut ctx: Arc<FeedContext>,
    cell: Arc<SnapshotCell>,
    mut stop: signal::Receiver<bool>,
    mut control: Control,
) -> anyhow::Result<()> {
    let started = Instant::now();
    // Arming walks the whole tree too (inotify watches every folder): done on another thread
    // while the first index runs. Nothing is served before the watcher is armed, so a file a
    // client writes once the feeds answer is always seen being written. Files changed between
    // the walk and the arming are caught by one more comparison after the feeds are served (a
    // stat per file; changed files only are read).
    let mut folder = events.folder;
    let arming = tokio::task::spawn_blocking(move || {
        folder.ensure_armed();
        folder
    });
    let busy = events.receiver.being_written();
    let indexing = tokio::task::spawn_blocking(move || {
        let mut store = store;
        store.set_busy(&busy);
        store.reconcile_all();
        store
    });
    let store = indexing.await.context("the first index failed")?;
    let mut events = Events {
        folder: arming
            .await
            .context("arming the watcher on the seeds folder")?,
        ..events
    };
    let (publish_ctx, publish_cell) = (Arc::clone(&ctx), Arc::clone(&cell));
    let publish_hooks = control.hooks.clone();
    let mut store = tokio::task::spawn_blocking(move || {
        publish(&store, &publish_ctx, &publish_cell, &publish_hooks);
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
    let mut root_check = tokio::time::interval(ROOT_CHECK_INTERVAL);
    // `interval` rejects a zero period; with reconciles off the branch below is disabled and
    // this timer only needs a valid period.
    let period = if events.reconcile_every.is_zero() {
        Duration::from_secs(86_400 * 365)
    } else {
        events.reconcile_every
    };
    let mut reconcile = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    for timer in [&mut root_check, &mut reconcile] {
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    }
    control.ready(&cell);
    let busy = events.receiver.being_written();
    let catch_up = Step::Work(Work::Rescan);
    store = index_step(store, catch_up, busy, &ctx, &cell, &control.hooks).await?;
    loop {
        let work = tokio::select! {
            work = events.receiver.next_work() => work,
            _ = reconcile.tick(), if !events.reconcile_every.is_zero() => {
                debug!("periodic reconcile");
                Work::Rescan
            }
            _ = root_check.tick() => {
                if !events.folder.ensure_armed() {
                    continue;
                }
                Work::Rescan
            }
            Some(()) = control.reloads.next() => {
                let busy = events.receiver.being_written();
                (store, ctx) = control.reload(store, ctx, &cell, busy).await?;
                continue;
            }
            // Pinged from here, not from a timer task: see `systemd::Watchdog`.
            () = control.watchdog.tick() => {
                control.notifier.watchdog();
                continue;
            }
            // The guard `wait_for` returns is not `Send`; dropped here, before arms that await.
            () = async { let _ = stop.wait_for(|stop| *stop).await; } => break,
        };
        events.folder.retry_unwatched(&work);
        match &work {
            Work::Paths { paths, .. } | Work::Folders(paths) => {
                control.hooks.metrics.watcher_paths(paths.len());
            }
            Work::Rescan => control.hooks.metrics.rescan(),
        }
        let busy = events.receiver.being_written();
        let step = Step::Work(work);
        store = index_step(store, step, busy, &ctx, &cell, &control.hooks).await?;
        control.status(&cell);
    }
    Ok(())
}

/// The index loop's dealings with the outside: systemd notifications and configuration
/// reloads. Kept apart from the indexing itself.
struct Control {
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
        let store = index_step(store, step, busy, &ctx, cell, &self.hooks).await?;
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
    /// Reloaded settings: applied to the store, then every file is parsed again. The feeds
    /// are rendered even when no article changed, since the feed metadata may have.
    Reconfigure(Box<Settings>),
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
) -> anyhow::Result<Store> {
    let (ctx, cell, hooks) = (Arc::clone(ctx), Arc::clone(cell), hooks.clone());
    tokio::task::spawn_blocking(move || {
        store.set_busy(&busy);
        let changes = match &step {
            Step::Work(Work::Rescan) => store.reconcile_all(),
            Step::Work(Work::Paths { paths, renames }) => store.reconcile_paths(paths, renames),
            Step::Work(Work::Folders(folders)) => store.reconcile_folders(folders),
            Step::Reconfigure(settings) => {
                if let Err(e) = store.reconfigure(settings) {
                    error!(
                        error = format!("{e:#}"),
                        "file and parse settings not applied"
                    );
                }
                store.reconcile_all()
            }
        };
        let reconfigured = matches!(step, Step::Reconfigure(_));
        if changes.any() || reconfigured || cell.load().is_none() {
            publish(&store, &ctx, &cell, &hooks);
        }
        store
    })
    .await
    .map_err(|e| {
        error!(error = %e, "indexer task panicked");
        anyhow::anyhow!("indexer task failed: {e}")
    })
}

/// Who hears about publishing besides readers: the WebSub hub and the metrics.
#[derive(Debug, Clone, Default)]
pub(crate) struct Hooks {
    /// Notifies the hub of changed feeds, when one is configured.
    pub pinger: Option<Pinger>,
    /// Counters served at `/metrics`.
    pub metrics: Arc<Metrics>,
}

/// Renders the store's feeds and index and swaps them in; on a render error (or a feed that
/// breaks its format's rules) the previous snapshot stays, and the failure is counted. Costs
/// O(feed items + index entries) to render, plus one pass over the published entries (a
/// pointer copy each) for the catalog that feeds rendered on request use.
pub(crate) fn publish(store: &Store, ctx: &Arc<FeedContext>, cell: &SnapshotCell, hooks: &Hooks) {
    let started = Instant::now();
    let published = store.published_len();
    // A renderer bug must not take the daemon down: the last good feeds stay in service.
    // Rendering only reads the store, so a panic leaves nothing half-changed behind.
    let previous = cell.load();
    let items = match store.feed_items(ctx.items) {
        Ok(items) => items,
        // With feeds in service, keep them; the first render publishes what it could read.
        Err(e) if previous.is_some() => {
            error!(error = %e, "still serving the previous feeds");
            return;
        }
        Err(e) => {
            error!(error = %e, found = e.items.len(), "publishing the articles that could be read");
            e.items
        }
    };
    let rendered = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let newest: Vec<&Entry> = store
            .newest()
            .take(MAX_INDEX_ARTICLES)
            .map(|e| &**e)
            .collect();
        feed::render(&items, &newest, published, store.facets(), ctx)
    }));
    let rendered = match rendered {
        Ok(Ok(rendered)) => rendered,
        Ok(Err(e)) => {
            hooks.metrics.render_failed();
            error!(error = %e, "render failed; still serving the previous feeds");
            return;
        }
        Err(_) => {
            hooks.metrics.render_failed();
            error!("the renderer panicked (a seedfeed bug); still serving the previous feeds");
            return;
        }
    };
    // The view cache lives as long as the feed context: a reload that changes links or
    // titles starts a new one.
    let views = previous
        .as_ref()
        .map(|p| Arc::clone(&p.views))
        .filter(|views| Arc::ptr_eq(views.context(), ctx))
        .unwrap_or_else(|| {
            Arc::new(Views::new(
                store.published_ids(),
                store.bodies(),
                Arc::clone(ctx),
            ))
        });
    let catalog = Catalog::of(store);
    let mut skipped: BTreeMap<&'static str, u64> = BTreeMap::new();
    for reason in store.skipped().values() {
        *skipped.entry(reason.label()).or_insert(0) += 1;
    }
    let snapshot = Snapshot::build(
        rendered,
        feed::status::render(&feed::status::StatusOf {
            published: store.published_len(),
            skipped: store.skipped(),
            left_out: store.left_out(),
            duplicates: store.duplicates(),
        }),
        previous.as_deref(),
        catalog,
        views,
        store.skipped().len(),
        SystemTime::now(),
    );
    let topics = match &hooks.pinger {
        Some(_) => changed_topics(previous.as_deref(), &snapshot, ctx),
        None => Vec::new(),
    };
    cell.publish(snapshot);
    hooks.metrics.published(published, skipped);
    hooks.metrics.rendered(started.elapsed());
    if let Some(pinger) = hooks.pinger.as_ref().filter(|_| !topics.is_empty()) {
        pinger.changed(topics);
    }
    tracing::debug!(
        articles = published,
        elapsed_us = started.elapsed().as_micros() as u64,
        "feeds rendered"
    );
}

/// The feed URLs a hub should hear about after `previous` is replaced by `next`: the main
/// feeds whose bytes changed, and every source and tag feed whose newest items changed. The
/// articles that entered or left the published set (a changed article is a new entry) name
/// the sources and tags to compare. Two passes over the published entries: only run when a
/// hub is configured.
fn changed_topics(previous: Option<&Snapshot>, next: &Snapshot, ctx: &FeedContext) -> Vec<String> {
    let Some(previous) = previous else {
        return Vec::new();
    };
    let mut topics = Vec::new();
    for format in Format::ALL {
        let path = Target::current(Scope::All, format).path();
        let changed = match (previous.resources.get(&path), next.resources.get(&path)) {
            (Some(old), Some(new)) => !Arc::ptr_eq(old, new),
            _ => true,
        };
        if changed {
            topics.push(ctx.url(&path));
        }
    }
    let (old, new) = (&previous.catalog, &next.catalog);
    let pointers = |entries: &[Arc<Entry>]| -> HashSet<*const Entry> {
        entries.iter().map(Arc::as_ptr).collect()
    };
    let (before, after) = (pointers(&old.published), pointers(&new.published));
    let entered = new
        .published
        .iter()
        .filter(|e| !before.contains(&Arc::as_ptr(e)));
    let left = old
        .published
        .iter()
        .filter(|e| !after.contains(&Arc::as_ptr(e)));
    let mut scopes = BTreeSet::new();
    for entry in entered.chain(left) {
        if let Some(source) = entry.source_folder() {
            scopes.insert(Scope::Source(source.to_string()));
        }
        scopes.extend(entry.tag_keys().map(Scope::Tag));
    }
    for scope in scopes {
        let newest = |catalog: &'_ Catalog| -> Vec<*const Entry> {
            catalog
                .entries(&scope)
                .take(ctx.items)
                .map(Arc::as_ptr)
                .collect()
        };
        if newest(old) != newest(new) {
            for format in Format::ALL {
                topics.push(ctx.url(&Target::current(scope.clone(), format).path()));
            }
        }
    }
    topics
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
}
