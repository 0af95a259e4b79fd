//! Rendered documents as ready-to-send bytes (identity and gzip) with their validators, behind
//! an atomic swap: requests read a consistent snapshot and never wait for rendering.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwapOption;
use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use hyper::header::HeaderValue;

use crate::feed::status::STATUS_PATH;
use crate::feed::target::Format;
use crate::feed::{FeedContext, INDEX_PATH, OPML_PATH, Rendered};
use crate::views::{Catalog, Views};

/// `Content-Type` of the RSS feed.
pub const RSS_CONTENT_TYPE: &str = "application/rss+xml; charset=utf-8";
/// `Content-Type` of the Atom feed.
pub const ATOM_CONTENT_TYPE: &str = "application/atom+xml; charset=utf-8";
/// `Content-Type` of the JSON feed.
pub const JSON_FEED_CONTENT_TYPE: &str = "application/feed+json; charset=utf-8";
/// `Content-Type` of the OPML list.
pub const OPML_CONTENT_TYPE: &str = "text/x-opml; charset=utf-8";
/// `Content-Type` of HTML pages.
pub const HTML_CONTENT_TYPE: &str = "text/html; charset=utf-8";
/// `Content-Type` of `/status`.
pub const JSON_CONTENT_TYPE: &str = "application/json";
/// Compression of the feeds and the index, redone on every change: level 6 gives within 2% of
/// level 9's size in a third of its time, which a change-to-visible budget of 100 ms needs.
pub const FEED_GZIP: Compression = Compression::new(6);
/// Compression of article pages, rendered on demand: the fastest level.
pub const PAGE_GZIP: Compression = Compression::fast();

/// The `Content-Type` of a feed format.
pub fn feed_content_type(format: Format) -> &'static str {
    match format {
        Format::Rss => RSS_CONTENT_TYPE,
        Format::Atom => ATOM_CONTENT_TYPE,
        Format::Json => JSON_FEED_CONTENT_TYPE,
    }
}

/// Bodies smaller than this are not compressed: gzip's header would eat the gain.
pub const MIN_GZIP_BYTES: usize = 512;

/// One document ready to serve.
#[derive(Debug)]
pub struct Resource {
    /// `Content-Type` header value.
    pub content_type: HeaderValue,
    /// Identity body.
    pub body: Bytes,
    /// Gzip body, when compression pays.
    pub gzip: Option<Bytes>,
    /// Strong `ETag` of the identity body.
    pub etag: HeaderValue,
    /// Strong `ETag` of the gzip body.
    pub gzip_etag: HeaderValue,
    /// When these bytes were first produced (whole seconds, as HTTP dates carry).
    pub last_modified: SystemTime,
    /// `Last-Modified` header value.
    pub last_modified_header: HeaderValue,
    hash: u64,
}

impl Resource {
    /// Prepares `body` for serving: hashes it, compresses it, formats its headers.
    pub fn new(content_type: &'static str, body: String, produced: SystemTime) -> Self {
        Self::with_level(content_type, body, produced, FEED_GZIP)
    }

    /// Like [`Resource::new`], compressing at `level`.
    pub fn with_level(
        content_type: &'static str,
        body: String,
        produced: SystemTime,
        level: Compression,
    ) -> Self {
        let hash = xxhash_rust::xxh3::xxh3_64(body.as_bytes());
        Self::hashed(content_type, body, hash, produced, level)
    }

    fn hashed(
        content_type: &'static str,
        body: String,
        hash: u64,
        produced: SystemTime,
        level: Compression,
    ) -> Self {
        let body = Bytes::from(body);
        let gzip = (body.len() >= MIN_GZIP_BYTES)
            .then(|| gzip(&body, level))
            .flatten()
            .filter(|gz| gz.len() < body.len());
        let last_modified = whole_seconds(produced);
        Self {
            content_type: HeaderValue::from_static(content_type),
            etag: etag(hash, ""),
            gzip_etag: etag(hash, "-gz"),
            last_modified_header: header_value(&httpdate::fmt_http_date(last_modified)),
            last_modified,
            body,
            gzip,
            hash,
        }
    }

    /// Like [`Resource::new`], but keeps `previous` (and its `Last-Modified`) when the bytes
    /// are the same, so unchanged documents keep validating; changed bytes always get a later
    /// `Last-Modified` than `previous`.
    pub fn reuse_or_new(
        previous: Option<&Arc<Resource>>,
        content_type: &'static str,
        body: String,
        produced: SystemTime,
        level: Compression,
    ) -> Arc<Resource> {
        let hash = xxhash_rust::xxh3::xxh3_64(body.as_bytes());
        match previous {
            Some(p) if p.hash == hash && p.body.len() == body.len() => Arc::clone(p),
            // New bytes must get a later Last-Modified than the old ones even within the same
            // second, or a client validating with If-Modified-Since would keep the old copy.
            Some(p) => {
                let produced = produced.max(p.last_modified + Duration::from_secs(1));
                Arc::new(Resource::hashed(content_type, body, hash, produced, level))
            }
            None => Arc::new(Resource::hashed(content_type, body, hash, produced, level)),
        }
    }
}

fn etag(hash: u64, suffix: &str) -> HeaderValue {
    header_value(&format!("\"{hash:016x}{suffix}\""))
}

fn header_value(s: &str) -> HeaderValue {
    // Only ASCII is ever formatted here (hex digits, HTTP dates).
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static("\"\""))
}

fn gzip(body: &[u8], level: Compression) -> Option<Bytes> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 3), level);
    encoder.write_all(body).ok()?;
    encoder.finish().ok().map(Bytes::from)
}

fn whole_seconds(t: SystemTime) -> SystemTime {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

/// Every document of one render, by request path.
#[derive(Debug)]
pub struct Snapshot {
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
    pub fn build(
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
            .map(|(target, body)| (target.path(), feed_content_type(target.format), body))
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
    pub fn context(&self) -> &Arc<FeedContext> {
        self.views.context()
    }
}

/// The current snapshot, swapped atomically; empty until the first index completes.
#[derive(Debug, Default)]
pub struct SnapshotCell(ArcSwapOption<Snapshot>);

impl SnapshotCell {
    /// The current snapshot, if the first index has completed.
    pub fn load(&self) -> Option<Arc<Snapshot>> {
        self.0.load_full()
    }

    /// Makes `snapshot` the one served.
    pub fn publish(&self, snapshot: Snapshot) {
        self.0.store(Some(Arc::new(snapshot)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn gzip_body_decodes_to_the_identity_body() {
        let body = "<rss>".to_string() + &"item ".repeat(500) + "</rss>";
        let r = Resource::new(RSS_CONTENT_TYPE, body.clone(), SystemTime::now());
        let gz = r.gzip.as_ref().expect("compressed");
        let mut decoded = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut decoded)
            .expect("valid gzip");
        assert_eq!(decoded, body);
        assert_ne!(r.etag, r.gzip_etag);
    }

    #[test]
    fn small_bodies_are_not_compressed() {
        let r = Resource::new(HTML_CONTENT_TYPE, "tiny".into(), SystemTime::now());
        assert!(r.gzip.is_none());
    }

    #[test]
    fn unchanged_bytes_keep_their_resource_and_last_modified() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let t1 = t0 + Duration::from_secs(60);
        let first = Arc::new(Resource::new(RSS_CONTENT_TYPE, "same".into(), t0));
        let again =
            Resource::reuse_or_new(Some(&first), RSS_CONTENT_TYPE, "same".into(), t1, FEED_GZIP);
        assert!(Arc::ptr_eq(&first, &again));
        let changed = Resource::reuse_or_new(
            Some(&first),
            RSS_CONTENT_TYPE,
            "other".into(),
            t1,
            FEED_GZIP,
        );
        assert_eq!(changed.last_modified, t1);
        assert_ne!(changed.etag, first.etag);
    }

    // Regression: two changes within one second had the same Last-Modified, so a client
    // validating with If-Modified-Since got 304 for the newer bytes.
    #[test]
    fn changed_bytes_within_the_same_second_get_a_later_last_modified() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let first = Arc::new(Resource::new(RSS_CONTENT_TYPE, "v1".into(), t0));
        let second =
            Resource::reuse_or_new(Some(&first), RSS_CONTENT_TYPE, "v2".into(), t0, FEED_GZIP);
        assert!(second.last_modified > first.last_modified);
        let third =
            Resource::reuse_or_new(Some(&second), RSS_CONTENT_TYPE, "v3".into(), t0, FEED_GZIP);
        assert!(third.last_modified > second.last_modified);
    }
}
