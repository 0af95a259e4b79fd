//! Wiring: watcher → indexer (store + render + snapshot) → HTTP, and an orderly shutdown.
//!
//! Like mini-redis's `server::run`, [`run`] takes an already-bound listener and a shutdown
//! future, so tests start it on port 0 and stop it when they like.

use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::watch as signal;
use tracing::{error, info};

use crate::config::Settings;
use crate::feed::{self, FeedContext};
use crate::http::{self, AppState};
use crate::reload::Reloads;
use crate::snapshot::{Snapshot, SnapshotCell};
use crate::store::Store;
use crate::systemd::{self, Notifier, Watchdog};
use crate::watch::{self, EventReceiver, Work};

/// The seeds folder as an absolute, canonical path (events carry canonical paths).
pub fn seeds_root(settings: &Settings) -> anyhow::Result<PathBuf> {
    let dir = &settings.seeds.dir;
    let root = dir.canonicalize().with_context(|| {
        format!(
            "seeds folder {} (seeds.dir) cannot be opened",
            dir.display()
        )
    })?;
    anyhow::ensure!(root.is_dir(), "seeds.dir {} is not a folder", dir.display());
    Ok(root)
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
    let root = seeds_root(&settings)?;
    let store = Store::open(&settings, &root).with_context(|| {
        format!(
            "opening the state in {} (state.dir)",
            settings.state.dir.display()
        )
    })?;
    let (sender, events) = watch::channel(watch::EVENT_CHANNEL_CAPACITY);
    let watcher = watch::spawn(
        &root,
        Duration::from_millis(settings.watch.debounce_ms),
        sender,
    )
    .with_context(|| format!("watching {}", root.display()))?;

    let ctx = Arc::new(FeedContext::new(&settings, base_url.clone()));
    let cell = Arc::new(SnapshotCell::default());
    let state = Arc::new(AppState::new(
        Arc::clone(&cell),
        settings.server.cache_max_age,
    ));
    let (stop_tx, stop_rx) = signal::channel(false);
    let server = tokio::spawn(http::serve(
        listener,
        Arc::clone(&state),
        stopped(stop_rx.clone()),
    ));
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
    };
    let mut indexer = tokio::spawn(index_loop(store, events, ctx, cell, stop_rx, control));

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
    drop(watcher);
    let served = server.await;
    let indexed = outcome.context("the indexer stopped unexpectedly")?;
    served.context("the HTTP server stopped unexpectedly")?;
    indexed
}

async fn stopped(mut stop: signal::Receiver<bool>) {
    // An error means the sender is gone, which also means stop.
    let _ = stop.wait_for(|stop| *stop).await;
}

/// Indexes the folder once, then applies watcher events and reloads until told to stop.
async fn index_loop(
    store: Store,
    mut events: EventReceiver,
    mut ctx: Arc<FeedContext>,
    cell: Arc<SnapshotCell>,
    mut stop: signal::Receiver<bool>,
    mut control: Control,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut store = index_step(store, Work::Rescan, Arc::clone(&ctx), Arc::clone(&cell)).await?;
    info!(
        articles = store.entries().len(),
        skipped = store.skipped().len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "first index complete"
    );
    control.ready(&cell);
    loop {
        let work = tokio::select! {
            work = events.next_work() => match work {
                Some(work) => work,
                None => break,
            },
            Some(()) = control.reloads.next() => {
                (store, ctx) = control.reload(store, ctx, &cell).await?;
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
        store = index_step(store, work, Arc::clone(&ctx), Arc::clone(&cell)).await?;
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
        let store =
            reload_step(store, settings.clone(), Arc::clone(&ctx), Arc::clone(cell)).await?;
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

/// Applies reloaded settings to the store, parses every file again and publishes, on a
/// blocking thread. Publishes even when no article changed: the feed metadata may have.
async fn reload_step(
    mut store: Store,
    settings: Settings,
    ctx: Arc<FeedContext>,
    cell: Arc<SnapshotCell>,
) -> anyhow::Result<Store> {
    tokio::task::spawn_blocking(move || {
        if let Err(e) = store.reconfigure(&settings) {
            error!(
                error = format!("{e:#}"),
                "file and parse settings not applied"
            );
        }
        store.reconcile_all();
        publish(&store, &ctx, &cell);
        store
    })
    .await
    .map_err(|e| {
        error!(error = %e, "indexer task panicked during a reload");
        anyhow::anyhow!("indexer task failed: {e}")
    })
}

/// Applies one unit of work on a blocking thread and publishes a new snapshot if it changed
/// anything (or if none was published yet).
async fn index_step(
    mut store: Store,
    work: Work,
    ctx: Arc<FeedContext>,
    cell: Arc<SnapshotCell>,
) -> anyhow::Result<Store> {
    tokio::task::spawn_blocking(move || {
        let changes = match &work {
            Work::Rescan => store.reconcile_all(),
            Work::Paths(paths) => store.reconcile_paths(paths),
        };
        if changes.any() || cell.load().is_none() {
            publish(&store, &ctx, &cell);
        }
        store
    })
    .await
    .map_err(|e| {
        error!(error = %e, "indexer task panicked");
        anyhow::anyhow!("indexer task failed: {e}")
    })
}

/// Renders the store and swaps the result in; on a render error the previous snapshot stays.
pub fn publish(store: &Store, ctx: &FeedContext, cell: &SnapshotCell) {
    let started = Instant::now();
    // A renderer bug must not take the daemon down: the last good feeds stay in service.
    // Rendering only reads the store, so a panic leaves nothing half-changed behind.
    let publication = store.publication();
    let published = publication.published.len();
    let rendered = std::panic::catch_unwind(AssertUnwindSafe(|| {
        feed::render(publication.published.iter().copied(), ctx)
    }));
    let rendered = match rendered {
        Ok(Ok(rendered)) => rendered,
        Ok(Err(e)) => {
            error!(error = %e, "render failed; still serving the previous feeds");
            return;
        }
        Err(_) => {
            error!("the renderer panicked (a seedfeed bug); still serving the previous feeds");
            return;
        }
    };
    let previous = cell.load();
    let snapshot = Snapshot::build(
        rendered,
        feed::status::render(store, &publication),
        previous.as_deref(),
        published,
        store.skipped().len(),
        SystemTime::now(),
    );
    cell.publish(snapshot);
    tracing::debug!(
        articles = published,
        elapsed_us = started.elapsed().as_micros() as u64,
        "feeds rendered"
    );
}
