//! Preparing files for the store: the part of indexing that only reads (stat, read, hash,
//! parse), and so runs on every core at once, in bounded batches.

use super::*;

/// One file examined, before the store is changed: the part of indexing that only reads
/// (the file, its hash, its parse) and so runs on every core at once.
#[expect(
    clippy::large_enum_variant,
    reason = "a batch holds at most PARSE_BATCH of these, and a parsed article moves on by value"
)]
pub(super) enum Prepared {
    /// Being written; read when its writer is done.
    Busy,
    /// Same size and mtime as when its metadata was cached: published without reading it.
    Cached(Arc<ArticleMeta>),
    /// Same size and mtime as its published entry (full scans only): nothing to do.
    Unchanged,
    /// Read (and parsed unless its content is the published one).
    Read {
        hash: u64,
        size: u64,
        mtime_ns: i64,
        /// Whether the mtime was not safely older than the read.
        racily_clean: bool,
        parsed: Option<Result<ParsedArticle, SkipReason>>,
    },
    /// Could not be read.
    Unreadable(SkipReason),
    /// Gone between the event (or the walk) and the read: renamed away or deleted.
    Gone,
}

/// Files examined per parallel batch, and written to the state database per transaction:
/// bounds the parsed articles and pending writes held at once.
pub(crate) const PARSE_BATCH: usize = 2048;
/// Most threads parsing at once (the machine's cores, up to this).
pub(crate) const MAX_PARSE_THREADS: usize = 8;
/// Fewer files than this per thread are examined on the calling thread: starting threads
/// would cost more than it saves (a watcher event is usually one file).
pub(crate) const MIN_FILES_PER_THREAD: usize = 4;

/// A file's modification time in Unix nanoseconds; saturating, so that a file dated
/// centuries away cannot overflow.
pub(super) fn mtime_ns(md: &std::fs::Metadata) -> i64 {
    md.mtime()
        .saturating_mul(1_000_000_000)
        .saturating_add(md.mtime_nsec())
}

impl Store {
    /// Indexes `files` (key, path): read, hashed and parsed in parallel batches, then applied
    /// to the store in order. `trust_stat` (full scans) skips reading files whose size and
    /// modification time are the ones last indexed; events always read the file.
    pub(super) fn ingest_all(
        &mut self,
        files: &[(String, PathBuf)],
        trust_stat: bool,
        changes: &mut Changes,
    ) {
        for batch in files.chunks(PARSE_BATCH) {
            let prepared = self.prepare_batch(batch, trust_stat);
            for ((key, _), prepared) in batch.iter().zip(prepared) {
                self.apply(key, prepared, changes);
            }
            // Over several batches, one transaction per batch bounds the pending writes (a
            // first index of 100,000 files would otherwise hold all their metadata twice until
            // the end); a single batch is written by the caller with the rest of its changes.
            if files.len() > PARSE_BATCH {
                self.flush();
            }
        }
    }

    /// Examines a batch of files on up to [`MAX_PARSE_THREADS`] threads; results in order.
    pub(super) fn prepare_batch(
        &self,
        batch: &[(String, PathBuf)],
        trust_stat: bool,
    ) -> Vec<Prepared> {
        let threads = std::thread::available_parallelism()
            .map_or(1, std::num::NonZeroUsize::get)
            .min(MAX_PARSE_THREADS);
        let prepare_slice = |slice: &[(String, PathBuf)]| -> Vec<Prepared> {
            slice
                .iter()
                .map(|(key, path)| self.prepare(key, path, trust_stat))
                .collect()
        };
        if threads < 2 || batch.len() < MIN_FILES_PER_THREAD * threads {
            return prepare_slice(batch);
        }
        let per_thread = batch.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let workers: Vec<_> = batch
                .chunks(per_thread)
                .map(|slice| (slice.len(), scope.spawn(move || prepare_slice(slice))))
                .collect();
            workers
                .into_iter()
                .flat_map(|(len, worker)| {
                    // Parser panics are caught per file; this is any other bug in a worker.
                    worker.join().unwrap_or_else(|_| {
                        error!("a parsing thread panicked (a seedfeed bug); its files are skipped");
                        (0..len)
                            .map(|_| Prepared::Unreadable(SkipReason::ParserPanic))
                            .collect()
                    })
                })
                .collect()
        })
    }

    /// The read-only part of indexing one file.
    pub(super) fn prepare(&self, key: &str, path: &Path, trust_stat: bool) -> Prepared {
        if !self.busy.is_empty() && self.busy.contains(path) {
            return Prepared::Busy;
        }
        let record = self
            .records
            .get(key)
            .filter(|r| r.hash.is_some() && r.size <= self.max_file_bytes);
        // A racily clean record cannot vouch for the file: it is read again, by content.
        let stat_proves = record.is_some_and(|r| !r.racily_clean);
        let published = self.index.contains(key) && !self.force_reparse;
        let cached = self.cached_meta.get(key).filter(|_| !published);
        if let Some(record) =
            record.filter(|_| trust_stat && stat_proves && (published || cached.is_some()))
        {
            let unchanged = std::fs::symlink_metadata(path).is_ok_and(|md| {
                md.is_file() && md.len() == record.size && mtime_ns(&md) == record.mtime_ns
            });
            if unchanged && published {
                return Prepared::Unchanged;
            }
            if let Some(meta) = cached.filter(|_| unchanged) {
                return Prepared::Cached(Arc::clone(meta));
            }
        }
        let confined = scan::Confined {
            root: &self.root,
            follow_symlinks: self.filter.follows_symlinks(),
        };
        match scan::read_article(path, Some(confined), self.max_file_bytes) {
            Ok((bytes, md)) => {
                let read_at = std::time::SystemTime::now();
                let hash = xxhash_rust::xxh3::xxh3_64(&bytes);
                let same_content = published && record.is_some_and(|r| r.hash == Some(hash));
                let racily_clean = md.modified().map_or(true, |mtime| {
                    read_at
                        .duration_since(mtime)
                        .map_or(true, |age| age < RACY_MARGIN)
                });
                Prepared::Read {
                    hash,
                    size: md.len(),
                    mtime_ns: mtime_ns(&md),
                    racily_clean,
                    parsed: (!same_content).then(|| {
                        let bulk = self.first_index || self.force_reparse;
                        let options = if bulk {
                            &self.bulk_options
                        } else {
                            &self.parse_options
                        };
                        bodies::parse_guarded(&bytes, key, options)
                    }),
                }
            }
            Err(_)
                if std::fs::symlink_metadata(path)
                    .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) =>
            {
                Prepared::Gone
            }
            Err(reason) => Prepared::Unreadable(reason),
        }
    }
}
