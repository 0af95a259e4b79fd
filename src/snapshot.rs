//! The documents rendered on every change, as [`Resource`]s behind an atomic swap: requests
//! read a consistent snapshot and never wait for rendering.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use arc_swap::ArcSwapOption;

use crate::feed::status::STATUS_PATH;
use crate::feed::{FEED_XSL_PATH, FeedContext, INDEX_PATH, OPML_PATH, Rendered, STYLESHEET_PATH};
use crate::resource::{
    CSS_CONTENT_TYPE, FEED_GZIP, HTML_CONTENT_TYPE, JSON_CONTENT_TYPE, OPML_CONTENT_TYPE, Resource,
    XSLT_CONTENT_TYPE,
};
use crate::views::{Catalog, Views};

/// Most threads compressing a snapshot's documents at once.
pub(crate) const MAX_COMPRESS_THREADS: usize = 4;

/// Every document of one render, by request path.
#[derive(Debug)]
pub(crate) struct Snapshot {
    /// Documents rendered on every change, by path (`/feed.rss`, `/feed.atom`, `/feed.json`,
    /// `/opml.xml`, `/`, `/status`, and the style sheets `/style.css` and `/feed.xsl`).
    pub resources: HashMap<String, Arc<Resource>>,
    /// Counts up with every snapshot published: documents rendered on request are cached for
    /// one generation.
    pub generation: u64,
    /// What documents rendered on request are rendered from.
    pub catalog: Arc<Catalog>,
    /// Documents rendered on request (the same cache across snapshots of one context).
    pub views: Arc<Views>,
    /// Published articles.
    pub articles: usize,
    /// Files skipped with a reason.
    pub skipped: usize,
    /// Paths of the documents this snapshot rendered anew, not compressed yet.
    uncompressed: Vec<String>,
}

impl Snapshot {
    /// Prepares a render for serving, reusing the previous snapshot's unchanged documents.
    pub(crate) fn build(
        rendered: Rendered,
        status: String,
        previous: Option<&Snapshot>,
        catalog: Catalog,
        views: Arc<Views>,
        skipped: usize,
        produced: SystemTime,
    ) -> Self {
        let dates = views.dates();
        let old = |path: &str| previous.and_then(|p| p.resources.get(path));
        let mut documents: Vec<(String, &'static str, String)> = rendered
            .feeds
            .into_iter()
            .map(|(target, body)| (target.path(), target.format.content_type(), body))
            .collect();
        documents.push((OPML_PATH.into(), OPML_CONTENT_TYPE, rendered.opml));
        documents.push((INDEX_PATH.into(), HTML_CONTENT_TYPE, rendered.index));
        documents.push((STATUS_PATH.into(), JSON_CONTENT_TYPE, status));
        documents.push((
            STYLESHEET_PATH.into(),
            CSS_CONTENT_TYPE,
            rendered.stylesheet.into(),
        ));
        documents.push((FEED_XSL_PATH.into(), XSLT_CONTENT_TYPE, rendered.feed_xsl));
        let mut resources = HashMap::with_capacity(documents.len());
        let mut uncompressed = Vec::new();
        for (path, content_type, body) in documents {
            let previous = old(&path);
            let resource = Resource::reuse_or_new(
                previous,
                content_type,
                body,
                produced,
                None,
                Some((dates, &path)),
            );
            if previous.is_none_or(|p| !Arc::ptr_eq(p, &resource)) {
                uncompressed.push(path.clone());
            }
            resources.insert(path, resource);
        }
        Self {
            resources,
            generation: previous.map_or(0, |p| p.generation + 1),
            articles: catalog.len(),
            catalog: Arc::new(catalog),
            views,
            skipped,
            uncompressed,
        }
    }

    /// The same snapshot (same generation) with the documents it rendered anew compressed;
    /// `None` when none needed it. Publishing waits only for the identity bytes, which every
    /// client can take, and compresses after: a change is visible without waiting for gzip.
    /// The documents are compressed on up to [`MAX_COMPRESS_THREADS`] threads.
    pub(crate) fn compressed(&self) -> Option<Snapshot> {
        if self.uncompressed.is_empty() {
            return None;
        }
        let threads = std::thread::available_parallelism()
            .map_or(1, std::num::NonZeroUsize::get)
            .min(MAX_COMPRESS_THREADS);
        let per_thread = self.uncompressed.len().div_ceil(threads);
        let compress = |paths: &[String]| -> Vec<(String, Resource)> {
            paths
                .iter()
                .filter_map(|path| {
                    let gzipped = self.resources.get(path)?.compressed(FEED_GZIP)?;
                    Some((path.clone(), gzipped))
                })
                .collect()
        };
        let compressed: Vec<(String, Resource)> = std::thread::scope(|scope| {
            let workers: Vec<_> = self
                .uncompressed
                .chunks(per_thread)
                .map(|paths| scope.spawn(move || compress(paths)))
                .collect();
            // A worker that panicked leaves its documents served uncompressed.
            workers
                .into_iter()
                .filter_map(|worker| worker.join().ok())
                .flatten()
                .collect()
        });
        let mut resources = self.resources.clone();
        for (path, resource) in compressed {
            resources.insert(path, Arc::new(resource));
        }
        Some(Snapshot {
            resources,
            generation: self.generation,
            catalog: Arc::clone(&self.catalog),
            views: Arc::clone(&self.views),
            articles: self.articles,
            skipped: self.skipped,
            uncompressed: Vec::new(),
        })
    }

    /// The feed context the documents link with.
    pub(crate) fn context(&self) -> &Arc<FeedContext> {
        self.views.context()
    }
}

/// The current snapshot, swapped atomically; empty until the first index completes.
#[derive(Debug, Default)]
pub(crate) struct SnapshotCell(ArcSwapOption<Snapshot>);

impl SnapshotCell {
    /// The current snapshot, if the first index has completed.
    pub(crate) fn load(&self) -> Option<Arc<Snapshot>> {
        self.0.load_full()
    }

    /// Makes `snapshot` the one served, and returns it.
    pub(crate) fn publish(&self, snapshot: Snapshot) -> Arc<Snapshot> {
        let snapshot = Arc::new(snapshot);
        self.0.store(Some(Arc::clone(&snapshot)));
        snapshot
    }

    /// Replaces `published` with the same snapshot, its new documents compressed, unless
    /// another was published meanwhile.
    pub(crate) fn compress(&self, published: &Arc<Snapshot>) {
        let Some(compressed) = published.compressed() else {
            return;
        };
        let compressed = Some(Arc::new(compressed));
        let expected = Some(Arc::clone(published));
        let _ = self.0.compare_and_swap(&expected, compressed);
    }
}
