//! Value types that several stages share: what the store remembers of a file, a published
//! entry, a feed item, the sources and tags with their counts. They carry no behaviour beyond
//! reading themselves, so that the store, the feeds and the views depend on them and not on
//! each other.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::article::{ArticleMeta, DateSource, ParsedArticle};

/// What is remembered about one file across restarts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// The article id, fixed when the file is first seen.
    pub id: ArticleId,
    /// When seedfeed first saw the file (Unix milliseconds).
    pub first_seen_ms: i64,
    /// When its content last changed after it was first seen (Unix milliseconds).
    pub changed_ms: Option<i64>,
    /// xxh3 hash of the file's bytes; `None` until the file has been read successfully.
    pub hash: Option<u64>,
    /// Size in bytes when last read.
    pub size: u64,
    /// Modification time when last read (Unix nanoseconds).
    pub mtime_ns: i64,
    /// True when the modification time was not safely older than the moment the file was
    /// read (`store::RACY_MARGIN`): a write in the same clock tick may have left size and
    /// mtime as recorded, so they cannot prove the content unchanged and the next scan reads
    /// the file again (git's "racily clean" rule). Absent in records of older versions.
    #[serde(default)]
    pub racily_clean: bool,
}

/// A published article: what the parser understood plus what the store remembers.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Path relative to the seeds folder, `/`-separated.
    pub key: String,
    /// The persistent record (id, first-seen time, ...).
    pub record: FileRecord,
    /// What the parser understood, body aside.
    pub meta: Arc<ArticleMeta>,
}

impl Entry {
    /// Publication date and where it came from: the file's own date, else first-seen time.
    pub(crate) fn published(&self) -> (DateTime<Utc>, DateSource) {
        self.meta.date.unwrap_or_else(|| {
            (
                millis_to_utc(self.record.first_seen_ms),
                DateSource::FirstSeen,
            )
        })
    }

    /// Last significant change: the publication date, or a later content change.
    pub(crate) fn updated(&self) -> DateTime<Utc> {
        let published = self.published().0;
        self.record
            .changed_ms
            .map(millis_to_utc)
            .map_or(published, |changed| changed.max(published))
    }

    /// The source: the top-level subfolder of the seeds folder the file is in, if any. A
    /// folder whose name has characters XML cannot carry is no source (its articles are in
    /// the main feeds only), since the source's name is its feeds' title.
    pub(crate) fn source_folder(&self) -> Option<&str> {
        self.key
            .split_once('/')
            .map(|(folder, _)| folder)
            .filter(|folder| !folder.chars().any(crate::text::is_xml_unsafe))
    }

    /// The tags as feeds name them: lowercase, trimmed, each once.
    pub(crate) fn tag_keys(&self) -> impl Iterator<Item = String> + '_ {
        let mut seen = Vec::new();
        self.meta.tags.iter().filter_map(move |tag| {
            let key = tag.trim().to_lowercase();
            (!key.is_empty() && !seen.contains(&key)).then(|| {
                seen.push(key.clone());
                key
            })
        })
    }
}

/// One feed item: a published entry and its body.
pub type FeedItem = (Arc<Entry>, Arc<ParsedArticle>);

/// The stable id of the article at `key`: a name-based UUID (v5) of its path, so that the same
/// path always gets the same id, on any machine.
pub fn article_id(key: &str) -> ArticleId {
    static NAMESPACE: std::sync::LazyLock<Uuid> = std::sync::LazyLock::new(|| {
        Uuid::new_v5(&Uuid::NAMESPACE_URL, b"https://seedfeed.invalid/article")
    });
    ArticleId(Uuid::new_v5(&NAMESPACE, key.as_bytes()))
}

/// An article's id, a UUID: held as its 128 bits (as a string it cost two heap blocks per
/// article, about 10 MB at 100,000 articles), written in its lowercase hyphenated form in
/// the state database, the feeds and page paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ArticleId(Uuid);

/// Path prefix of article pages.
pub(crate) const PAGE_PREFIX: &str = "/articles/";
/// Path suffix of article pages.
pub(crate) const PAGE_SUFFIX: &str = ".html";

impl ArticleId {
    /// Path of the article's HTML page.
    pub(crate) fn page_path(&self) -> String {
        format!("{PAGE_PREFIX}{self}{PAGE_SUFFIX}")
    }

    /// The id written as `text`, in the one form ids are written in (lowercase, hyphenated);
    /// `None` for any other text, so that each article has one page URL.
    pub fn parse(text: &str) -> Option<Self> {
        let canonical = text.len() == uuid::fmt::Hyphenated::LENGTH
            && !text.bytes().any(|b| b.is_ascii_uppercase());
        canonical
            .then(|| Uuid::parse_str(text).ok())
            .flatten()
            .map(Self)
    }
}

impl std::fmt::Display for ArticleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl Serialize for ArticleId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.hyphenated().encode_lower(&mut Uuid::encode_buffer()))
    }
}

impl<'de> Deserialize<'de> for ArticleId {
    /// Reads a UUID (every id seedfeed writes is one, lowercase and hyphenated); any other
    /// text, which only a hand-edited state database holds, is given a name-based UUID of
    /// its own namespace, the same at every start and never the id of a path.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
        Ok(Uuid::parse_str(&text).map_or_else(
            |_| {
                let namespace =
                    Uuid::new_v5(&Uuid::NAMESPACE_URL, b"https://seedfeed.invalid/stored-id");
                ArticleId(Uuid::new_v5(&namespace, text.as_bytes()))
            },
            ArticleId,
        ))
    }
}

fn millis_to_utc(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// What the index and the OPML list show besides articles: the sources and tags with their
/// article counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets {
    /// Source folders and their published articles.
    pub sources: BTreeMap<String, usize>,
    /// Tags (lowercase) and their published articles.
    pub tags: BTreeMap<String, usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_stored_as_the_string_it_was_before() {
        // The state database's records hold ids as strings: held as numbers now, they must be
        // written and read in the same bytes, or every article would get a new id.
        let id = article_id("a/b.txt");
        let as_string = postcard::to_allocvec(&id.to_string()).expect("encode string");
        assert_eq!(postcard::to_allocvec(&id).expect("encode id"), as_string);
        let read: ArticleId = postcard::from_bytes(&as_string).expect("decode");
        assert_eq!(read, id);
    }

    #[test]
    fn a_stored_id_that_is_no_uuid_reads_as_the_same_id_every_time() {
        let stored = postcard::to_allocvec("kept.txt").expect("encode");
        let first: ArticleId = postcard::from_bytes(&stored).expect("decode");
        let second: ArticleId = postcard::from_bytes(&stored).expect("decode");
        assert_eq!(first, second);
        // Not the id of the file that such text names.
        assert_ne!(first, article_id("kept.txt"));
    }

    #[test]
    fn ids_are_read_from_page_paths_in_one_form_only() {
        let id = article_id("a.txt");
        let written = id.to_string();
        assert_eq!(ArticleId::parse(&written), Some(id));
        assert_eq!(ArticleId::parse(&written.to_uppercase()), None);
        assert_eq!(ArticleId::parse(&written.replace('-', "")), None);
        assert_eq!(ArticleId::parse(&format!("{{{written}}}")), None);
        assert_eq!(ArticleId::parse(""), None);
    }
}
