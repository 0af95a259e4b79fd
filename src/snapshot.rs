//! The documents rendered on every change, as [`Resource`]s behind an atomic swap: requests
//! read a consistent snapshot and never wait for rendering.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use arc_swap::ArcSwapOption;

use crate::feed::status::STATUS_PATH;
use crate::feed::{FeedContext, INDEX_PATH, OPML_PATH, Rendered};
use crate::resource::{
    FEED_GZIP, HTML_CONTENT_TYPE, JSON_CONTENT_TYPE, OPML_CONTENT_TYPE, Resource,
};
use crate::views::{Catalog, Views};

/// Every document of one render, by request path.
#[derive(Debug)]
pub(crate) struct Snapshot {
    /// Documents rendered on every change, by path (`/feed.rss`, `/feed.atom`, `/feed.json`,
    /// `/opml.xml`, `/`, `/status`).
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
        let old = |path: &str| previous.and_then(|p| p.resources.get(path));
        let mut documents: Vec<(String, &'static str, String)> = rendered
            .feeds
            .into_iter()
            .map(|(target, body)| (target.path(), target.format.content_type(), body))
            .collect();
        documents.push((OPML_PATH.into(), OPML_CONTENT_TYPE, rendered.opml));
        documents.push((INDEX_PATH.into(), HTML_CONTENT_TYPE, rendered.index));
        documents.push((STATUS_PATH.into(), JSON_CONTENT_TYPE, status));
        let mut resources = HashMap::with_capacity(documents.len());
        for (path, content_type, body) in documents {
            let resource =
                Resource::reuse_or_new(old(&path), content_type, body, produced, FEED_GZIP);
            resources.insert(path, resource);
        }
        Self {
            resources,
            generation: previous.map_or(0, |p| p.generation + 1),
            articles: catalog.published.len(),
            catalog: Arc::new(catalog),
            views,
            skipped,
        }
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

    /// Makes `snapshot` the one served.
    pub(crate) fn publish(&self, snapshot: Snapshot) {
        self.0.store(Some(Arc::new(snapshot)));
    }
}
