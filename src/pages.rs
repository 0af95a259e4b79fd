//! Article pages, rendered when first requested and then served from a bounded cache.
//!
//! The feeds and the index are rendered once per change; article pages are not, because a
//! folder of 100,000 articles would mean 100,000 pages rendered and compressed on start-up
//! and held in memory. A page is rendered from the published entry (looked up by id) and its
//! body ([`crate::store::bodies`]), then kept until it is evicted or its entry changes.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::article::SkipReason;
use crate::cache::BoundedCache;
use crate::feed::{FeedContext, html};
use crate::snapshot::{HTML_CONTENT_TYPE, PAGE_GZIP, Resource};
use crate::store::Entry;
use crate::store::bodies::Bodies;
use crate::store::index::PublishedIds;

/// Rendered pages kept at once (about 12 KB each with their gzip copy).
pub const PAGE_CACHE_ENTRIES: usize = 1024;
/// Path prefix of article pages.
pub const PAGE_PREFIX: &str = "/articles/";
/// Path suffix of article pages.
pub const PAGE_SUFFIX: &str = ".html";

/// Rendered pages by id number, each with the entry it was rendered from (a changed entry is
/// a new `Arc`, so a stale page never matches).
type PageCache = BoundedCache<u128, (Arc<Entry>, Arc<Resource>)>;

/// Why a page cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// No published article has this id.
    #[error("no published article has this id")]
    NotFound,
    /// The article's file cannot be read or parsed right now (it changed or vanished since it
    /// was indexed; the watcher will catch up).
    #[error("the article's file cannot be read again: {0}")]
    Unreadable(SkipReason),
}

/// The article id named by a page path (`/articles/{id}.html`).
pub fn page_id(path: &str) -> Option<&str> {
    path.strip_prefix(PAGE_PREFIX)?.strip_suffix(PAGE_SUFFIX)
}

/// Pages of the published articles for one feed context.
#[derive(Debug)]
pub struct Pages {
    ids: Arc<PublishedIds>,
    bodies: Arc<Bodies>,
    ctx: Arc<FeedContext>,
    cache: Mutex<PageCache>,
}

impl Pages {
    /// Pages of the entries in `ids`, with bodies from `bodies`, linking as `ctx` says.
    pub fn new(ids: Arc<PublishedIds>, bodies: Arc<Bodies>, ctx: Arc<FeedContext>) -> Self {
        Self {
            ids,
            bodies,
            ctx,
            cache: Mutex::new(BoundedCache::new(PAGE_CACHE_ENTRIES)),
        }
    }

    /// The feed context these pages link with.
    pub fn context(&self) -> &Arc<FeedContext> {
        &self.ctx
    }

    /// The page of article `id` if it is cached and its entry unchanged: no file read, no
    /// rendering, so it can be answered on the async thread.
    pub fn cached(&self, id: &str) -> Result<Option<Arc<Resource>>, PageError> {
        let (number, entry) = self.ids.get(id).ok_or(PageError::NotFound)?;
        Ok(self.cached_for(number, &entry))
    }

    /// The cached page rendered from this very `entry`, if any.
    fn cached_for(&self, number: u128, entry: &Arc<Entry>) -> Option<Arc<Resource>> {
        self.lock_cache()
            .get(&number)
            .filter(|(rendered_from, _)| Arc::ptr_eq(rendered_from, entry))
            .map(|(_, page)| Arc::clone(page))
    }

    /// The page of article `id`, rendering it if needed (reads and parses the file: call it
    /// where blocking is allowed).
    pub fn page(&self, id: &str) -> Result<Arc<Resource>, PageError> {
        let (number, entry) = self.ids.get(id).ok_or(PageError::NotFound)?;
        // Another request may have rendered it since the caller looked.
        if let Some(page) = self.cached_for(number, &entry) {
            return Ok(page);
        }
        let article = self.bodies.get(&entry).map_err(PageError::Unreadable)?;
        let html = html::article_page(&entry, &article, &self.ctx);
        let page = Arc::new(Resource::with_level(
            HTML_CONTENT_TYPE,
            html,
            SystemTime::from(entry.updated()),
            PAGE_GZIP,
        ));
        self.lock_cache().insert(number, (entry, Arc::clone(&page)));
        Ok(page)
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, PageCache> {
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_paths_name_ids() {
        assert_eq!(page_id("/articles/abc.html"), Some("abc"));
        assert_eq!(page_id("/articles/abc.htm"), None);
        assert_eq!(page_id("/feed.rss"), None);
    }
}
