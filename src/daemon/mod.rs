//! Wiring: watcher → indexer (store + render + snapshot) → HTTP, and an orderly shutdown.
//!
//! Like mini-redis's `server::run`, [`run`] takes an already-bound listener and a shutdown
//! future, so tests start it on port 0 and stop it when they like.

mod indexer;
mod publish;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::watch as signal;
use tracing::{info, warn};

use crate::config::{Settings, StatusListener};
use crate::feed::FeedContext;
use crate::http::{self, AppState};
use crate::metrics::Metrics;
use crate::reload::Reloads;
use crate::snapshot::SnapshotCell;
use crate::store::Store;
use crate::systemd::Notifier;
use crate::watch::{self, FolderWatch};
use crate::websub::Pinger;
use indexer::{Control, Events, index_loop};
use publish::Hooks;

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
    let metrics_listener = bind_metrics(&settings).await?;
    let root = seeds_root(&settings)?;
    let (sender, receiver) = watch::channel(
        Duration::from_millis(settings.watch.debounce_ms),
        Duration::from_millis(settings.watch.write_settle_ms),
    );
    let mut store = Store::open_walking(&settings, &root).with_context(|| {
        format!(
            "opening the state in {} (state.dir)",
            settings.state.dir.display()
        )
    })?;
    store.recheck_with(sender.clone());
    let events = Events {
        folder: FolderWatch::new(root.clone(), watch::Mode::of(&settings.watch), sender),
        receiver,
        reconcile_every: Duration::from_secs(settings.watch.reconcile_secs),
    };

    let ctx = Arc::new(FeedContext::new(&settings, base_url.clone()));
    let cell = Arc::new(SnapshotCell::default());
    let metrics = Arc::new(Metrics::default());
    let state = Arc::new(AppState::new(
        Arc::clone(&cell),
        &settings.server,
        Arc::clone(&metrics),
    ));
    let (stop_tx, stop_rx) = signal::channel(false);
    let status_on_metrics = settings.server.status == StatusListener::Metrics;
    let metrics_server = metrics_listener.map(|listener| {
        tokio::spawn(http::metrics::serve(
            listener,
            Arc::clone(&metrics),
            status_on_metrics.then(|| Arc::clone(&cell)),
            stopped(stop_rx.clone()),
        ))
    });
    let server = tokio::spawn(http::serve(
        listener,
        Arc::clone(&state),
        stopped(stop_rx.clone()),
    ));
    let pinger = settings.websub.hub.clone().map(Pinger::spawn);
    if let Some(pinger) = &pinger {
        metrics.watch_pinger(pinger.clone());
    }
    info!(address = %local, base_url = %base_url, seeds = %root.display(), "listening on http://{local}");
    let notifier = Notifier::from_env();
    let control = Control::new(
        notifier.clone(),
        reloads,
        settings,
        state,
        local,
        Hooks { pinger, metrics },
    );
    let indexer = tokio::spawn(index_loop(store, events, ctx, cell, stop_rx, control));
    let indexed = stop_on(shutdown, indexer, &notifier, &stop_tx).await;

    stop_tx.send_replace(true);
    let served = server.await;
    if let Some(metrics_server) = metrics_server {
        metrics_server
            .await
            .context("the metrics server stopped unexpectedly")?;
    }
    let indexed = indexed.context("the indexer stopped unexpectedly")?;
    served.context("the HTTP server stopped unexpectedly")?;
    indexed
}

/// Binds `metrics.listen`, when it is set.
async fn bind_metrics(settings: &Settings) -> anyhow::Result<Option<TcpListener>> {
    let Some(address) = settings.metrics.listen else {
        return Ok(None);
    };
    let listener = TcpListener::bind(address)
        .await
        .with_context(|| format!("listening on {address} (metrics.listen)"))?;
    if let Ok(address) = listener.local_addr() {
        info!(address = %address, "serving metrics at http://{address}/metrics");
    }
    Ok(Some(listener))
}

/// Waits for `shutdown` or for the indexer to end on its own, tells systemd the stop is on
/// purpose, tells every task to stop, and returns how the indexer ended.
async fn stop_on(
    shutdown: impl Future<Output = ()>,
    mut indexer: tokio::task::JoinHandle<anyhow::Result<()>>,
    notifier: &Notifier,
    stop: &signal::Sender<bool>,
) -> Result<anyhow::Result<()>, tokio::task::JoinError> {
    let mut shutdown = std::pin::pin!(shutdown);
    tokio::select! {
        () = &mut shutdown => {
            // First, so that systemd knows the exit that follows is on purpose.
            notifier.stopping();
            info!("shutting down");
            stop.send_replace(true);
            indexer.await
        }
        finished = &mut indexer => {
            notifier.stopping();
            finished
        }
    }
}

async fn stopped(mut stop: signal::Receiver<bool>) {
    // An error means the sender is gone, which also means stop.
    let _ = stop.wait_for(|stop| *stop).await;
}
