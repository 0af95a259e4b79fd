//! Documents rendered when first requested, then served from a bounded cache: article pages,
//! per-source and per-tag feeds, filtered feeds and archive pages.
//!
//! The main feeds, the OPML list and the index are rendered once per change (see
//! [`crate::snapshot`]); these are not, because there are too many of them (100,000 article
//! pages, a feed per source and tag, any filter). Each is rendered from one snapshot's
//! [`Catalog`] and cached for that snapshot's generation; after a change it is rendered again
//! on its next request, and keeps its `ETag` and `Last-Modified` when its bytes are the same.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::article::SkipReason;
use crate::cache::BoundedCache;
use crate::feed::filter::{FilterError, Filters};
use crate::feed::target::{Page, Scope, Target};
use crate::feed::{self, FeedContext, FeedDoc, RenderError, html};
use crate::model::{ArticleId, Entry, Facets, PAGE_PREFIX, PAGE_SUFFIX};
use crate::related;
use crate::resource::{FEED_GZIP, HTML_CONTENT_TYPE, PAGE_GZIP, Resource};
use crate::store::bodies::Bodies;
use crate::store::documents::DocumentDates;
use crate::store::index::{Published, PublishedIds, newest_first};
use crate::store::{Store, items_with_bodies};

/// Documents kept at once (article pages are about 12 KB with their gzip copy, feeds more).
pub(crate) const VIEW_CACHE_ENTRIES: usize = 1024;

/// Most bytes of documents kept at once (identity and gzip bodies): filtered feeds of long
/// articles can be megabytes each, and each distinct query is one more document.
pub(crate) const VIEW_CACHE_BYTES: usize = 32 * 1024 * 1024;
/// Most articles whose files a `?q=` search reads, newest first, after the other filters;
/// older ones are not searched (a search must not read a whole 100,000-file folder).
pub(crate) const MAX_SEARCHED_ARTICLES: usize = 5000;

/// Why a document cannot be served.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ViewError {
    /// No such article, source, tag or archive page.
    #[error("not found")]
    NotFound,
    /// A filter value was refused (`400`).
    #[error("{0}")]
    BadQuery(#[from] FilterError),
    /// The article's file cannot be read or parsed right now (it changed or vanished since it
    /// was indexed; the watcher will catch up).
    #[error("the article's file cannot be read again: {0}")]
    Unreadable(SkipReason),
    /// Some of an archive page's files cannot be read right now; a page that says it is
    /// complete and immutable is not served with items missing (`503`, try again).
    #[error("some of the archive page's files cannot be read right now")]
    Incomplete,
    /// The document could not be rendered, or broke its format's rules.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// Every render slot is busy (`503`, try again).
    #[error("too many documents are being rendered; try again shortly")]
    Busy,
}

/// The article id named by a page path (`/articles/{id}.html`), parsed once here at the edge;
/// `None` unless the id is written in the one form ids are written in ([`ArticleId::parse`]),
/// so that each page has one URL.
pub fn page_id(path: &str) -> Option<ArticleId> {
    ArticleId::parse(path.strip_prefix(PAGE_PREFIX)?.strip_suffix(PAGE_SUFFIX)?)
}

/// What one snapshot publishes, for documents rendered on request: the published entries
/// newest first, and the sources and tags.
#[derive(Debug, Default)]
pub(crate) struct Catalog {
    /// Published entries, newest first (see [`Catalog::published`]).
    published: Published,
    /// Sources and tags with their article counts.
    pub facets: Facets,
    /// Whether every published article's related-stories signature is computed: until then
    /// pages list no related stories (see `store::signing`).
    pub related_ready: bool,
}

impl Catalog {
    /// What `store` publishes now: its tree of published entries shared (O(1)), and its
    /// facets copied (one per source and tag).
    pub(crate) fn of(store: &Store) -> Self {
        Self {
            published: store.published(),
            facets: store.facets().clone(),
            related_ready: store.related_ready(),
        }
    }

    /// Published entries, newest first.
    pub(crate) fn published(&self) -> impl Iterator<Item = &Arc<Entry>> {
        newest_first(&self.published)
    }

    /// Number of published entries.
    pub(crate) fn len(&self) -> usize {
        self.published.len()
    }

    /// True when the scope has published articles.
    pub(crate) fn has(&self, scope: &Scope) -> bool {
        match scope {
            Scope::All => true,
            Scope::Source(name) => self.facets.sources.contains_key(name),
            Scope::Tag(tag) => self.facets.tags.contains_key(tag),
        }
    }

    /// The scope's published entries, newest first.
    pub(crate) fn entries<'a>(&'a self, scope: &'a Scope) -> impl Iterator<Item = &'a Arc<Entry>> {
        self.published().filter(move |e| match scope {
            Scope::All => true,
            Scope::Source(name) => e.source_folder() == Some(name.as_str()),
            Scope::Tag(tag) => e.tag_keys().any(|t| t == *tag),
        })
    }
}

/// A rendered document and the snapshot generation it was rendered for.
type Cached = (u64, Arc<Resource>);

/// Documents rendered on request for one feed context.
#[derive(Debug)]
pub(crate) struct Views {
    ids: Arc<PublishedIds>,
    bodies: Arc<Bodies>,
    ctx: Arc<FeedContext>,
    cache: Mutex<BoundedCache<String, Cached>>,
    /// When each document's bytes last changed, across restarts and evictions.
    dates: Arc<DocumentDates>,
}

impl Views {
    /// Documents of the entries in `ids`, with bodies from `bodies`, linking as `ctx` says.
    pub(crate) fn new(
        ids: Arc<PublishedIds>,
        bodies: Arc<Bodies>,
        ctx: Arc<FeedContext>,
        dates: Arc<DocumentDates>,
    ) -> Self {
        Self {
            ids,
            bodies,
            ctx,
            cache: Mutex::new(BoundedCache::new(VIEW_CACHE_ENTRIES, VIEW_CACHE_BYTES)),
            dates,
        }
    }

    /// When each document's bytes last changed (the snapshot's documents' too).
    pub(crate) fn dates(&self) -> &DocumentDates {
        &self.dates
    }

    /// The feed context these documents link with.
    pub(crate) fn context(&self) -> &Arc<FeedContext> {
        &self.ctx
    }

    /// The document cached under `key` for `generation`: no file read, no rendering, so it
    /// can be answered on the async thread.
    pub(crate) fn cached(&self, key: &str, generation: u64) -> Option<Arc<Resource>> {
        self.lock_cache()
            .get(key)
            .filter(|(rendered_for, _)| *rendered_for == generation)
            .map(|(_, resource)| Arc::clone(resource))
    }

    /// True when article `id` is published (a cheap check before rendering its page).
    pub(crate) fn is_published(&self, id: ArticleId) -> bool {
        self.ids.get(id).is_some()
    }

    /// The page of article `id` in `catalog` (reads and parses the file: call it where
    /// blocking is allowed).
    pub(crate) fn page(
        &self,
        path: &str,
        id: ArticleId,
        catalog: &Catalog,
        generation: u64,
    ) -> Result<Arc<Resource>, ViewError> {
        let entry = self.ids.get(id).ok_or(ViewError::NotFound)?;
        let article = self.bodies.get(&entry).map_err(ViewError::Unreadable)?;
        let related = related_entries(&entry, catalog, &self.ctx);
        let html = html::article_page(&entry, &article, &related, &self.ctx);
        // Not the article's date: the page also lists related articles, which change with
        // other files; unchanged bytes keep their first Last-Modified anyway.
        let produced = SystemTime::now();
        Ok(self.store(
            path,
            generation,
            HTML_CONTENT_TYPE,
            html,
            produced,
            PAGE_GZIP,
        ))
    }

    /// A feed document: any scope, page and filters (reads and parses files: call it where
    /// blocking is allowed). `key` is its path with the canonical query.
    pub(crate) fn feed(
        &self,
        key: &str,
        target: &Target,
        filters: &Filters,
        catalog: &Catalog,
        generation: u64,
    ) -> Result<Arc<Resource>, ViewError> {
        if !catalog.has(&target.scope) {
            return Err(ViewError::NotFound);
        }
        let per_page = self.ctx.items;
        let scope: Vec<&Arc<Entry>> = catalog.entries(&target.scope).collect();
        let archive_pages = feed::archive_pages(scope.len(), per_page);
        let items = match target.page {
            Page::Archive(n) => {
                if !filters.is_empty() {
                    return Err(FilterError("archive pages take no filters".into()).into());
                }
                let range =
                    feed::archive_range(n, scope.len(), per_page).ok_or(ViewError::NotFound)?;
                let items = items_with_bodies(&self.bodies, scope[range].iter().copied(), per_page)
                    .map_err(|_| ViewError::Incomplete)?;
                if items.len() < per_page {
                    return Err(ViewError::Incomplete);
                }
                items
            }
            Page::Current => {
                let limit = filters.limit.unwrap_or(per_page);
                let matching = self.matching(scope.iter().copied(), filters);
                items_with_bodies(&self.bodies, matching.iter().copied(), limit)
                    .unwrap_or_else(|e| e.items)
            }
        };
        let doc = FeedDoc {
            target: target.clone(),
            items: &items,
            query: filters.canonical(),
            archive_pages,
        };
        let body = feed::render_doc(&doc, &self.ctx)?;
        let content_type = target.format.content_type();
        let produced = SystemTime::now();
        Ok(self.store(key, generation, content_type, body, produced, FEED_GZIP))
    }

    /// The entries passing `filters`, newest first; the `q` words are looked for in the
    /// title, then in the text of at most [`MAX_SEARCHED_ARTICLES`] files.
    fn matching<'a>(
        &self,
        entries: impl Iterator<Item = &'a Arc<Entry>>,
        filters: &Filters,
    ) -> Vec<&'a Arc<Entry>> {
        let limit = filters.limit.unwrap_or(self.ctx.items);
        let mut found = Vec::new();
        let mut searched = 0;
        for entry in entries {
            if found.len() == limit || searched == MAX_SEARCHED_ARTICLES {
                break;
            }
            if !filters.matches_meta(entry) {
                continue;
            }
            let title = &entry.meta.title;
            if filters.words.is_empty() || filters.matches_text(title, "") {
                found.push(entry);
                continue;
            }
            searched += 1;
            // A file that cannot be read now is not a match; the watcher will catch up.
            if let Ok(text) = self.bodies.text(entry) {
                if filters.matches_text(title, &text) {
                    found.push(entry);
                }
            }
        }
        found
    }

    /// Caches a rendered document, reusing the previous rendering (and so its validators)
    /// when the bytes are the same.
    fn store(
        &self,
        key: &str,
        generation: u64,
        content_type: &'static str,
        body: String,
        produced: SystemTime,
        level: flate2::Compression,
    ) -> Arc<Resource> {
        let previous = self.lock_cache().get(key).map(|(_, r)| Arc::clone(r));
        let resource = Resource::reuse_or_new(
            previous.as_ref(),
            content_type,
            body,
            produced,
            Some(level),
            Some((&self.dates, key)),
        );
        let bytes = resource.body.len() + resource.gzip.as_ref().map_or(0, |g| g.len());
        self.lock_cache()
            .insert(key.to_string(), (generation, Arc::clone(&resource)), bytes);
        resource
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, BoundedCache<String, Cached>> {
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The published articles most similar to `entry`, at least `ctx.related.threshold` alike,
/// most similar first, at most `ctx.related.max_links`. Near-identical copies (at least
/// [`related::DEFAULT_DUPLICATE_THRESHOLD`] alike) come with `true`. A scan of every
/// signature: about 75 ns per article (`cargo bench --bench render -- related`), so 8 ms for 100,000, paid once
/// per page rendering.
pub(crate) fn related_entries<'a>(
    entry: &Entry,
    catalog: &'a Catalog,
    ctx: &FeedContext,
) -> Vec<(&'a Entry, bool)> {
    let settings = ctx.related;
    // Until every signature is in, a list would miss some related stories: none is shown.
    if !catalog.related_ready {
        return Vec::new();
    }
    let Some(signature) = entry.meta.signature.get().filter(|s| !s.0.is_empty()) else {
        return Vec::new();
    };
    if settings.threshold <= 0.0 || settings.max_links == 0 {
        return Vec::new();
    }
    let mut scored: Vec<(f64, &Entry)> = catalog
        .published()
        .filter(|other| other.key != entry.key)
        .filter_map(|other| {
            let similarity = related::similarity(signature, other.meta.signature.get()?);
            (similarity >= settings.threshold).then_some((similarity, &**other))
        })
        .collect();
    // Most similar first; the newer of two equally similar ones first (stable sort keeps the
    // catalog's newest-first order).
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored
        .into_iter()
        .take(settings.max_links)
        .map(|(similarity, other)| (other, similarity >= related::DEFAULT_DUPLICATE_THRESHOLD))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_paths_name_ids() {
        let id = crate::model::article_id("a.txt");
        assert_eq!(page_id(&format!("/articles/{id}.html")), Some(id));
        assert_eq!(page_id(&format!("/articles/{id}.htm")), None);
        // One URL per page: no other way of writing the same id.
        let upper = id.to_string().to_uppercase();
        assert_eq!(page_id(&format!("/articles/{upper}.html")), None);
        let simple = id.to_string().replace('-', "");
        assert_eq!(page_id(&format!("/articles/{simple}.html")), None);
        assert_eq!(page_id("/articles/abc.html"), None);
        assert_eq!(page_id("/feed.rss"), None);
    }
}
