//! Publishing: the store rendered to a new snapshot, swapped in, and the changed feeds told to
//! the WebSub hub.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use tracing::error;

use crate::feed::html::MAX_INDEX_ARTICLES;
use crate::feed::target::{Format, Scope, Target};
use crate::feed::{self, FeedContext};
use crate::metrics::Metrics;
use crate::model::Entry;
use crate::snapshot::{Snapshot, SnapshotCell};
use crate::store::Store;
use crate::views::{Catalog, Views};
use crate::websub::Pinger;

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
/// O(feed items + index entries) to render; the catalog that documents rendered on request
/// use shares the index's tree of published entries (O(1)). After the first, the identity
/// bytes are served first and compressed after (see [`SnapshotCell::compress`]).
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
                store.document_dates(),
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
    // The first snapshot is served compressed from the start: readiness means ready.
    let snapshot = match previous {
        None => snapshot.compressed().unwrap_or(snapshot),
        Some(_) => snapshot,
    };
    let snapshot = cell.publish(snapshot);
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
    let compressing = Instant::now();
    cell.compress(&snapshot);
    tracing::debug!(
        elapsed_us = compressing.elapsed().as_micros() as u64,
        "feeds compressed"
    );
    // After serving: the dates of the documents whose bytes changed, for the next start.
    store.document_dates().flush();
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
    let pointers = |catalog: &Catalog| -> HashSet<*const Entry> {
        catalog.published().map(Arc::as_ptr).collect()
    };
    let (before, after) = (pointers(old), pointers(new));
    let entered = new
        .published()
        .filter(|e| !before.contains(&Arc::as_ptr(e)));
    let left = old.published().filter(|e| !after.contains(&Arc::as_ptr(e)));
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
