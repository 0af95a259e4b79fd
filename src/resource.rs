//! A rendered document as ready-to-send bytes (identity and gzip) with its validators, and
//! the media types and compression levels of every kind of document. Both the documents
//! rendered on every change ([`crate::snapshot`]) and those rendered on request
//! ([`crate::views`]) are made of these.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use hyper::header::HeaderValue;

use crate::store::documents::DocumentDates;

/// `Content-Type` of the OPML list.
pub(crate) const OPML_CONTENT_TYPE: &str = "text/x-opml; charset=utf-8";
/// `Content-Type` of HTML pages.
pub(crate) const HTML_CONTENT_TYPE: &str = "text/html; charset=utf-8";
/// `Content-Type` of the style sheet.
pub(crate) const CSS_CONTENT_TYPE: &str = "text/css; charset=utf-8";
/// `Content-Type` of the feeds' XSLT style sheet.
pub(crate) const XSLT_CONTENT_TYPE: &str = "application/xslt+xml; charset=utf-8";
/// `Content-Type` of `/status`.
pub(crate) const JSON_CONTENT_TYPE: &str = "application/json";
/// Compression of the feeds and the index, redone on every change after the identity bytes
/// are served (see [`crate::snapshot::Snapshot::compressed`]): level 6 gives within 2% of
/// level 9's size in a third of its time.
pub(crate) const FEED_GZIP: Compression = Compression::new(6);
/// Compression of article pages, rendered on demand: the fastest level.
pub(crate) const PAGE_GZIP: Compression = Compression::fast();

/// Bodies smaller than this are not compressed: gzip's header would eat the gain.
pub(crate) const MIN_GZIP_BYTES: usize = 512;

/// What a document is to a browser, which decides its security headers and whether a
/// browser gets the feed preview: classified once, when it is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An HTML page.
    Page,
    /// An RSS or Atom feed (shown through `/feed.xsl` in a browser).
    XmlFeed,
    /// Anything else: JSON Feed, OPML, style sheets, `/status`, plain text.
    Data,
}

impl Kind {
    /// The kind of a document sent as `content_type`.
    pub(crate) fn of(content_type: &str) -> Self {
        if content_type.starts_with("text/html") {
            Kind::Page
        } else if content_type.starts_with("application/rss+xml")
            || content_type.starts_with("application/atom+xml")
        {
            Kind::XmlFeed
        } else {
            Kind::Data
        }
    }
}

/// One document ready to serve.
#[derive(Debug)]
pub(crate) struct Resource {
    /// `Content-Type` header value.
    pub content_type: HeaderValue,
    /// What it is to a browser.
    pub kind: Kind,
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
    /// Prepares `body` for serving at the feeds' compression level (what the snapshot does
    /// through [`Resource::reuse_or_new`] with no previous resource).
    #[cfg(test)]
    fn new(content_type: &'static str, body: String, produced: SystemTime) -> Self {
        let hash = xxhash_rust::xxh3::xxh3_64(body.as_bytes());
        Self::hashed(content_type, body, hash, produced, Some(FEED_GZIP))
    }

    /// `level` `None`: not compressed yet (see [`Resource::compressed`]).
    fn hashed(
        content_type: &'static str,
        body: String,
        hash: u64,
        produced: SystemTime,
        level: Option<Compression>,
    ) -> Self {
        let body = Bytes::from(body);
        let gzip = level.and_then(|level| compress(&body, level));
        let last_modified = whole_seconds(produced);
        Self {
            content_type: HeaderValue::from_static(content_type),
            kind: Kind::of(content_type),
            etag: etag(hash, ""),
            gzip_etag: etag(hash, "-gz"),
            last_modified_header: header_value(&httpdate::fmt_http_date(last_modified)),
            last_modified,
            body,
            gzip,
            hash,
        }
    }

    /// Prepares `body` for serving (hashes it, compresses it at `level` unless that is `None`,
    /// formats its headers), but keeps `previous` (and its `Last-Modified`) when the bytes
    /// are the same, so unchanged documents keep validating; changed bytes always get a later
    /// `Last-Modified` than `previous`. With no `previous` at hand (the first render after a
    /// start, or one evicted from a cache), `dated` (the document dates and this document's
    /// path) gives the date these bytes had, and records the date of new ones.
    pub(crate) fn reuse_or_new(
        previous: Option<&Arc<Resource>>,
        content_type: &'static str,
        body: String,
        produced: SystemTime,
        level: Option<Compression>,
        dated: Option<(&DocumentDates, &str)>,
    ) -> Arc<Resource> {
        let hash = xxhash_rust::xxh3::xxh3_64(body.as_bytes());
        let earlier = match previous {
            Some(p) if p.hash == hash && p.body.len() == body.len() => return Arc::clone(p),
            Some(p) => Some(p.last_modified),
            None => match dated.and_then(|(dates, path)| dates.recorded(path)) {
                // The same bytes as when last noted: the same date.
                Some((recorded, since)) if recorded == hash => {
                    return Arc::new(Resource::hashed(content_type, body, hash, since, level));
                }
                Some((_, since)) => Some(since),
                None => None,
            },
        };
        // New bytes must get a later Last-Modified than the old ones even within the same
        // second, or a client validating with If-Modified-Since would keep the old copy.
        let produced = earlier.map_or(produced, |e| produced.max(e + Duration::from_secs(1)));
        let resource = Resource::hashed(content_type, body, hash, produced, level);
        if let Some((dates, path)) = dated {
            dates.note(path, hash, resource.last_modified);
        }
        Arc::new(resource)
    }
}

impl Resource {
    /// The same document with its gzip body at `level`, when compression pays and it has
    /// none yet; `None` otherwise. Validators and `Last-Modified` are the same: both bodies
    /// are the same representation.
    pub(crate) fn compressed(&self, level: Compression) -> Option<Resource> {
        if self.gzip.is_some() {
            return None;
        }
        let gzip = compress(&self.body, level)?;
        Some(Resource {
            content_type: self.content_type.clone(),
            kind: self.kind,
            body: self.body.clone(),
            gzip: Some(gzip),
            etag: self.etag.clone(),
            gzip_etag: self.gzip_etag.clone(),
            last_modified: self.last_modified,
            last_modified_header: self.last_modified_header.clone(),
            hash: self.hash,
        })
    }
}

/// `body` gzipped at `level`, when it is long enough for that to pay and the result is smaller.
fn compress(body: &[u8], level: Compression) -> Option<Bytes> {
    (body.len() >= MIN_GZIP_BYTES)
        .then(|| gzip(body, level))
        .flatten()
        .filter(|gz| gz.len() < body.len())
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    // The kinds behind the security headers and the browser preview, from the content types
    // documents are really sent with.
    #[test]
    fn documents_are_classified_by_their_content_type() {
        use crate::feed::target::Format;
        assert_eq!(Kind::of(HTML_CONTENT_TYPE), Kind::Page);
        assert_eq!(Kind::of(Format::Rss.content_type()), Kind::XmlFeed);
        assert_eq!(Kind::of(Format::Atom.content_type()), Kind::XmlFeed);
        for data in [
            Format::Json.content_type(),
            OPML_CONTENT_TYPE,
            CSS_CONTENT_TYPE,
            XSLT_CONTENT_TYPE,
            JSON_CONTENT_TYPE,
            "text/plain; charset=utf-8",
        ] {
            assert_eq!(Kind::of(data), Kind::Data, "{data}");
        }
        let t0 = SystemTime::UNIX_EPOCH;
        let feed = Resource::new(Format::Atom.content_type(), "<feed/>".into(), t0);
        assert_eq!(feed.kind, Kind::XmlFeed);
        let gzipped = Resource::new(OPML_CONTENT_TYPE, "x".repeat(4096), t0);
        assert_eq!(gzipped.kind, Kind::Data);
    }

    #[test]
    fn gzip_body_decodes_to_the_identity_body() {
        let body = "<rss>".to_string() + &"item ".repeat(500) + "</rss>";
        let r = Resource::new(OPML_CONTENT_TYPE, body.clone(), SystemTime::now());
        let gz = r.gzip.as_ref().expect("compressed");
        let mut decoded = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut decoded)
            .expect("valid gzip");
        assert_eq!(decoded, body);
        assert_ne!(r.etag, r.gzip_etag);
    }

    #[test]
    fn compressing_later_keeps_the_validators_and_compresses_once() {
        let body = "<feed>".to_string() + &"entry ".repeat(500) + "</feed>";
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let plain = Resource::reuse_or_new(None, OPML_CONTENT_TYPE, body, t0, None, None);
        assert!(plain.gzip.is_none());
        let gzipped = plain.compressed(FEED_GZIP).expect("compression pays");
        assert!(gzipped.gzip.is_some());
        assert_eq!(
            (&gzipped.etag, &gzipped.gzip_etag, gzipped.last_modified),
            (&plain.etag, &plain.gzip_etag, plain.last_modified)
        );
        assert!(gzipped.compressed(FEED_GZIP).is_none());
        let tiny = Resource::reuse_or_new(None, OPML_CONTENT_TYPE, "tiny".into(), t0, None, None);
        assert!(tiny.compressed(FEED_GZIP).is_none());
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
        let first = Arc::new(Resource::new(OPML_CONTENT_TYPE, "same".into(), t0));
        let again = Resource::reuse_or_new(
            Some(&first),
            OPML_CONTENT_TYPE,
            "same".into(),
            t1,
            Some(FEED_GZIP),
            None,
        );
        assert!(Arc::ptr_eq(&first, &again));
        let changed = Resource::reuse_or_new(
            Some(&first),
            OPML_CONTENT_TYPE,
            "other".into(),
            t1,
            Some(FEED_GZIP),
            None,
        );
        assert_eq!(changed.last_modified, t1);
        assert_ne!(changed.etag, first.etag);
    }

    // Regression: two changes within one second had the same Last-Modified, so a client
    // validating with If-Modified-Since got 304 for the newer bytes.
    #[test]
    fn changed_bytes_within_the_same_second_get_a_later_last_modified() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let first = Arc::new(Resource::new(OPML_CONTENT_TYPE, "v1".into(), t0));
        let second =
            Resource::reuse_or_new(Some(&first), OPML_CONTENT_TYPE, "v2".into(), t0, None, None);
        assert!(second.last_modified > first.last_modified);
        let third = Resource::reuse_or_new(
            Some(&second),
            OPML_CONTENT_TYPE,
            "v3".into(),
            t0,
            None,
            None,
        );
        assert!(third.last_modified > second.last_modified);
    }
}
