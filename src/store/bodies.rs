//! Article bodies on demand. The index keeps only each article's metadata in memory; a body is
//! needed for the feeds' newest items and for an article's page, so it is kept in a small
//! cache after parsing and otherwise read from the file and parsed again (the file is the
//! source of truth; its parse takes a fraction of a millisecond).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use crate::article::{self, Markup, ParseOptions, ParsedArticle, SkipReason};
use crate::cache::BoundedCache;
use crate::watch::EventSender;

use super::scan;
use crate::model::Entry;

/// Bodies cached beyond the feed's own items, for article pages being read.
pub(crate) const BODY_CACHE_EXTRA: usize = 256;

/// Most bytes of parsed bodies cached (as [`ParsedArticle::weight`] counts them): the feed's
/// items are a few MB at most; a folder of 4 MB articles must not hold hundreds of them.
pub(crate) const BODY_CACHE_BYTES: usize = 32 * 1024 * 1024;

/// What re-reading a file needs; replaced on a configuration reload.
#[derive(Debug)]
struct Source {
    root: PathBuf,
    follow_symlinks: bool,
    options: ParseOptions,
    max_file_bytes: u64,
}

/// Parsed bodies by (path, content hash), shared by the indexer and the page handlers.
#[derive(Debug)]
pub(crate) struct Bodies {
    source: RwLock<Arc<Source>>,
    cache: Mutex<BoundedCache<(String, u64), Arc<ParsedArticle>>>,
    /// Told when a file is found gone or changed since it was indexed.
    recheck: OnceLock<EventSender>,
}

impl Bodies {
    /// Bodies of the files below `root` (following links inside it if `follow_symlinks`),
    /// parsed with `options`, caching at most `capacity`.
    pub(crate) fn new(
        root: &Path,
        follow_symlinks: bool,
        options: ParseOptions,
        max_file_bytes: u64,
        capacity: usize,
    ) -> Self {
        Self {
            source: RwLock::new(Arc::new(Source {
                root: root.to_path_buf(),
                follow_symlinks,
                options,
                max_file_bytes,
            })),
            cache: Mutex::new(BoundedCache::new(capacity, BODY_CACHE_BYTES)),
            recheck: OnceLock::new(),
        }
    }

    /// Sends the paths of files found gone or changed since they were indexed to `sender`,
    /// so that the indexer looks at them at once (set once; later calls change nothing).
    pub(crate) fn recheck_with(&self, sender: EventSender) {
        let _ = self.recheck.set(sender);
    }

    fn evidence(&self, path: &Path) {
        if let Some(sender) = self.recheck.get() {
            sender.recheck(path.to_path_buf());
        }
    }

    /// Takes new parse settings; bodies parsed under the old ones are dropped.
    pub(crate) fn reconfigure(
        &self,
        follow_symlinks: bool,
        options: ParseOptions,
        max_file_bytes: u64,
        capacity: usize,
    ) {
        let mut source = self
            .source
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *source = Arc::new(Source {
            root: source.root.clone(),
            follow_symlinks,
            options,
            max_file_bytes,
        });
        self.lock_cache().reset(capacity, BODY_CACHE_BYTES);
    }

    /// Keeps the body just parsed from the file at `key` whose bytes hash to `hash`.
    pub(crate) fn remember(&self, key: &str, hash: u64, article: Arc<ParsedArticle>) {
        let weight = article.weight();
        self.lock_cache()
            .insert((key.to_string(), hash), article, weight);
    }

    /// The body of `entry`: cached, else read from its file and parsed. A file that changed
    /// since it was indexed gives its new body but is not cached under the old hash; such a
    /// file, or one that cannot be read, is evidence that the index is behind, and its path
    /// goes to the indexer (see [`Bodies::recheck_with`]).
    pub(crate) fn get(&self, entry: &Entry) -> Result<Arc<ParsedArticle>, SkipReason> {
        let hash = entry.record.hash.unwrap_or_default();
        let cache_key = (entry.key.clone(), hash);
        if let Some(article) = self.lock_cache().get(&cache_key) {
            return Ok(Arc::clone(article));
        }
        let (source, path, read) = self.read(&entry.key);
        let bytes = match read {
            Ok(bytes) => bytes,
            Err(reason) => {
                self.evidence(&path);
                return Err(reason);
            }
        };
        let same = xxhash_rust::xxh3::xxh3_64(&bytes) == hash;
        if !same {
            self.evidence(&path);
        }
        let article = Arc::new(parse_guarded(&bytes, &entry.key, &source.options)?);
        if same {
            self.lock_cache()
                .insert(cache_key, Arc::clone(&article), article.weight());
        }
        Ok(article)
    }

    /// The related-stories signature of the file at `key`, when it still holds the content
    /// that hashes to `hash` (else the indexer will read it again anyway). Not cached: the
    /// signing thread reads every article once, and must not push the feeds' bodies out.
    pub(crate) fn signature(&self, key: &str, hash: u64) -> Option<crate::related::Signature> {
        let (source, _, read) = self.read(key);
        let bytes = read.ok()?;
        if xxhash_rust::xxh3::xxh3_64(&bytes) != hash {
            return None;
        }
        let parsed = parse_guarded(&bytes, key, &source.options).ok()?;
        parsed.meta.signature.get().cloned()
    }

    /// The file at `key` read as the settings in force say (confined to the seeds folder, at
    /// most `max_file_bytes`), with those settings and its path.
    fn read(&self, key: &str) -> (Arc<Source>, PathBuf, Result<Vec<u8>, SkipReason>) {
        let source = Arc::clone(
            &self
                .source
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
        let path = source.root.join(key);
        let confined = scan::Confined {
            root: &source.root,
            follow_symlinks: source.follow_symlinks,
        };
        let read = scan::read_article(&path, Some(confined), source.max_file_bytes)
            .map(|(bytes, _)| bytes);
        (source, path, read)
    }

    /// The body's text (paragraphs, headings, list items), for word search: what the
    /// feeds show, without the metadata lines and boilerplate the file also holds.
    pub(crate) fn text(&self, entry: &Entry) -> Result<String, SkipReason> {
        let article = self.get(entry)?;
        let blocks: Vec<&str> = article.blocks.iter().map(article::Block::text).collect();
        Ok(blocks.join("\n"))
    }

    fn lock_cache(
        &self,
    ) -> std::sync::MutexGuard<'_, BoundedCache<(String, u64), Arc<ParsedArticle>>> {
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Parses one file's bytes; a parser bug costs that file, not the daemon: a panic becomes a
/// skip reason.
pub(crate) fn parse_guarded(
    bytes: &[u8],
    key: &str,
    options: &ParseOptions,
) -> Result<ParsedArticle, SkipReason> {
    std::panic::catch_unwind(|| article::parse(bytes, Markup::of(Path::new(key)), options))
        .unwrap_or(Err(SkipReason::ParserPanic))
}
