//! Wiring: watcher → indexer (store + render + snapshot) → HTTP, and an orderly shutdown.
//!
//! Like mini-redis's `server::run`, [`run`] takes an already-bound listener and a shutdown
//! future, so tests start it on port 0 and stop it when they like.

use std::future::Future;
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
use crate::snapshot::{Snapshot, SnapshotCell};
use crate::store::Store;
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

/// Runs the daemon on `listener` until `shutdown` completes.
pub async fn run(
    settings: Settings,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
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
    let server = tokio::spawn(http::serve(listener, state, stopped(stop_rx.clone())));
    info!(address = %local, base_url = %base_url, seeds = %root.display(), "listening on http://{local}");
    let mut indexer = tokio::spawn(index_loop(store, events, ctx, cell, stop_rx));

    let mut shutdown = std::pin::pin!(shutdown);
    let outcome = tokio::select! {
        () = &mut shutdown => {
            info!("shutting down");
            stop_tx.send_replace(true);
            indexer.await
        }
        finished = &mut indexer => finished,
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

/// Indexes the folder once, then applies watcher events until told to stop.
async fn index_loop(
    store: Store,
    mut events: EventReceiver,
    ctx: Arc<FeedContext>,
    cell: Arc<SnapshotCell>,
    mut stop: signal::Receiver<bool>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut store = index_step(store, Work::Rescan, Arc::clone(&ctx), Arc::clone(&cell)).await?;
    info!(
        articles = store.entries().len(),
        skipped = store.skipped().len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "first index complete"
    );
    loop {
        let work = tokio::select! {
            work = events.next_work() => match work {
                Some(work) => work,
                None => break,
            },
            _ = stop.wait_for(|stop| *stop) => break,
        };
        store = index_step(store, work, Arc::clone(&ctx), Arc::clone(&cell)).await?;
    }
    Ok(())
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
