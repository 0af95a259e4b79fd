//! Preparing files for the store: the part of indexing that only reads (stat, read, hash,
//! parse), and so runs on every core at once, in bounded batches.

use super::*;

/// One file examined, before the store is changed: the part of indexing that only reads
/// (the file, its hash, its parse) and so runs on every core at once.
#[expect(
    clippy::large_enum_variant,
    reason = "two batches of at most PARSE_BATCH are held at once, and a parsed article moves on by value"
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

/// Files examined per parallel batch, and written to the state database per transaction.
/// While one batch is applied the next is examined, so at most two batches of parsed
/// articles are held at once.
pub(crate) const PARSE_BATCH: usize = 1024;
/// Most threads parsing at once (the machine's cores, up to this).
pub(crate) const MAX_PARSE_THREADS: usize = 8;
/// Fewer files than this per thread are examined on the calling thread: starting threads
/// would cost more than it saves (a watcher event is usually one file).
pub(crate) const MIN_FILES_PER_THREAD: usize = 4;

/// Threads that examine a batch: the cores this process may use, up to [`MAX_PARSE_THREADS`].
/// Asked once: the answer comes from the kernel's affinity mask and cgroup files, and every
/// watcher event goes through here.
fn parse_threads() -> usize {
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *THREADS.get_or_init(|| {
        std::thread::available_parallelism()
            .map_or(1, std::num::NonZeroUsize::get)
            .min(MAX_PARSE_THREADS)
    })
}

/// A file's modification time in Unix nanoseconds; saturating, so that a file dated
/// centuries away cannot overflow.
pub(super) fn mtime_ns(md: &std::fs::Metadata) -> i64 {
    md.mtime()
        .saturating_mul(1_000_000_000)
        .saturating_add(md.mtime_nsec())
}

/// What the store knows of one file before it is examined, taken on the indexer's thread so
/// that the examination (stat, read, hash, parse) needs nothing of the store and can run on
/// other threads while the indexer applies the previous batch.
struct Plan {
    /// Being written: read when its writer is done.
    busy: bool,
    /// The size and mtime that prove the file unchanged, when a stat may vouch for it.
    vouched: Option<(u64, i64)>,
    /// Published, and not marked by a reload to be parsed again: unchanged, it needs nothing.
    published: bool,
    /// The metadata cached for it (unpublished files only).
    cached: Option<Arc<ArticleMeta>>,
    /// The hash of its published content: a file read with this content is not parsed.
    published_hash: Option<u64>,
}

/// What examining files needs: owned, so that the threads examining a batch borrow nothing
/// of the store.
struct Examiner {
    root: PathBuf,
    follow_symlinks: bool,
    max_file_bytes: u64,
    options: Arc<ParseOptions>,
}

impl Store {
    /// Indexes `files` (key, path): read, hashed and parsed in parallel batches, then applied
    /// to the store in order, each batch applied while the next is examined. `trust_stat`
    /// (full scans) skips reading files whose size and modification time are the ones last
    /// indexed; events always read the file.
    pub(super) fn ingest_all(
        &mut self,
        files: &[(String, PathBuf)],
        trust_stat: bool,
        changes: &mut Changes,
    ) {
        let examiner = self.examiner();
        let mut batches = files.chunks(PARSE_BATCH);
        // Over several batches, the entries are put in feed order at the end, all at once.
        let bulk = files.len() > PARSE_BATCH;
        if bulk {
            self.index.begin_bulk();
        }
        std::thread::scope(|scope| {
            let start = |store: &Store, batch| {
                let plans = store.plans(batch, trust_stat);
                examine_batch(scope, &examiner, batch, plans)
            };
            let mut current = batches.next().map(|batch| (batch, start(self, batch)));
            while let Some((batch, examining)) = current.take() {
                // Planned before this batch is applied: its files are other files, whose
                // records and index entries applying this batch does not touch.
                current = batches.next().map(|next| (next, start(self, next)));
                for ((key, _), prepared) in batch.iter().zip(examining.results()) {
                    self.apply(key, prepared, changes);
                }
                // Over several batches, one transaction per batch bounds the pending writes
                // (a first index of 100,000 files would otherwise hold all their metadata
                // twice until the end); a single batch is written by the caller with the rest
                // of its changes.
                if bulk {
                    self.flush();
                }
            }
        });
        if bulk {
            self.index.end_bulk();
        }
    }

    /// What examining files needs now: the bulk passes' options on the first index and
    /// after a reload, the full ones otherwise.
    fn examiner(&self) -> Examiner {
        let bulk = self.first_index || self.force_reparse;
        Examiner {
            root: self.root.clone(),
            follow_symlinks: self.filter.follows_symlinks(),
            max_file_bytes: self.max_file_bytes,
            options: Arc::clone(if bulk {
                &self.bulk_options
            } else {
                &self.parse_options
            }),
        }
    }

    /// What the store knows of each file of `batch` (see [`Plan`]).
    fn plans(&self, batch: &[(String, PathBuf)], trust_stat: bool) -> Vec<Plan> {
        batch
            .iter()
            .map(|(key, path)| self.plan(key, path, trust_stat))
            .collect()
    }

    /// What the store knows of one file before it is examined (see [`Plan`]).
    fn plan(&self, key: &str, path: &Path, trust_stat: bool) -> Plan {
        let record = self
            .records
            .get(key)
            .filter(|r| r.hash.is_some() && r.size <= self.max_file_bytes);
        // A racily clean record cannot vouch for the file: it is read again, by content.
        let stat_proves = record.is_some_and(|r| !r.racily_clean);
        let published = self.index.contains(key) && !self.force_reparse;
        let cached = self.cached_meta.get(key).filter(|_| !published).cloned();
        Plan {
            busy: !self.busy.is_empty() && self.busy.contains(path),
            vouched: record
                .filter(|_| trust_stat && stat_proves && (published || cached.is_some()))
                .map(|r| (r.size, r.mtime_ns)),
            published,
            cached,
            published_hash: record.filter(|_| published).and_then(|r| r.hash),
        }
    }
}

/// A batch being examined: on threads of the scope, or already done on the calling thread.
enum Examining<'scope> {
    Done(Vec<Prepared>),
    Threads(Vec<(usize, std::thread::ScopedJoinHandle<'scope, Vec<Prepared>>)>),
}

impl Examining<'_> {
    /// The batch's results, in order.
    fn results(self) -> Vec<Prepared> {
        match self {
            Examining::Done(prepared) => prepared,
            Examining::Threads(workers) => workers
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
                .collect(),
        }
    }
}

/// Starts examining a batch of files on up to [`MAX_PARSE_THREADS`] threads of `scope`; a
/// small batch is examined at once on the calling thread.
fn examine_batch<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    examiner: &'scope Examiner,
    batch: &'scope [(String, PathBuf)],
    plans: Vec<Plan>,
) -> Examining<'scope> {
    let threads = parse_threads();
    let examine = |slice: &[(String, PathBuf)], plans: Vec<Plan>| -> Vec<Prepared> {
        slice
            .iter()
            .zip(plans)
            .map(|((key, path), plan)| examiner.examine(key, path, plan))
            .collect()
    };
    if threads < 2 || batch.len() < MIN_FILES_PER_THREAD * threads {
        return Examining::Done(examine(batch, plans));
    }
    let per_thread = batch.len().div_ceil(threads);
    let mut plans = plans.into_iter();
    Examining::Threads(
        batch
            .chunks(per_thread)
            .map(|slice| {
                let mine: Vec<Plan> = plans.by_ref().take(slice.len()).collect();
                (slice.len(), scope.spawn(move || examine(slice, mine)))
            })
            .collect(),
    )
}

impl Examiner {
    /// The read-only part of indexing one file.
    fn examine(&self, key: &str, path: &Path, plan: Plan) -> Prepared {
        if plan.busy {
            return Prepared::Busy;
        }
        if let Some((size, mtime)) = plan.vouched {
            let unchanged = std::fs::symlink_metadata(path)
                .is_ok_and(|md| md.is_file() && md.len() == size && mtime_ns(&md) == mtime);
            if unchanged && plan.published {
                return Prepared::Unchanged;
            }
            if let Some(meta) = plan.cached.filter(|_| unchanged) {
                return Prepared::Cached(meta);
            }
        }
        let confined = scan::Confined {
            root: &self.root,
            follow_symlinks: self.follow_symlinks,
        };
        match scan::read_article(path, Some(confined), self.max_file_bytes) {
            Ok((bytes, md)) => {
                let read_at = std::time::SystemTime::now();
                let hash = xxhash_rust::xxh3::xxh3_64(&bytes);
                let same_content = plan.published_hash == Some(hash);
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
                    parsed: (!same_content)
                        .then(|| bodies::parse_guarded(&bytes, key, &self.options)),
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
