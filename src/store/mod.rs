//! The index of published articles and the state database behind it.
//!
//! The store is owned by one task (the daemon's indexer); it reads files, parses them, keeps
//! each article's metadata in memory (bodies are read again on demand, see [`bodies`]) and
//! what must survive a restart (ids, first-seen times, content hashes, metadata) in the state
//! database, one transaction per batch of changes.

pub(crate) mod bodies;
pub(crate) mod db;
pub mod index;
pub(crate) mod scan;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tracing::{debug, error, info, warn};

use crate::article::{ArticleMeta, ParseOptions, ParsedArticle, SkipReason};
use crate::config::Settings;
use crate::model::{Entry, FeedItem, FileRecord, article_id};
use bodies::{BODY_CACHE_EXTRA, Bodies};
use db::{DbOp, StateDb};
use index::{Index, PublishedIds};
use scan::Filter;

/// The first `n` of `entries` with their bodies, as [`Store::feed_items`] takes them.
pub(crate) fn items_with_bodies<'a>(
    bodies: &Bodies,
    entries: impl Iterator<Item = &'a Arc<Entry>>,
    n: usize,
) -> Result<Vec<FeedItem>, UnreadableFeed> {
    let mut items = Vec::with_capacity(n.min(1024));
    let mut unreadable = 0;
    for entry in entries {
        if items.len() == n {
            break;
        }
        match bodies.get(entry) {
            Ok(article) => items.push((Arc::clone(entry), article)),
            Err(reason) => {
                warn!(file = %entry.key, reason = %reason, "left out of this render: cannot read it again");
                unreadable += 1;
                if unreadable > MAX_UNREADABLE_FEED_ITEMS {
                    return Err(UnreadableFeed { items });
                }
            }
        }
    }
    Ok(items)
}

/// How many articles a batch published, updated and removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Changes {
    /// New articles.
    pub published: usize,
    /// Articles whose content changed.
    pub updated: usize,
    /// Articles that left the feeds.
    pub removed: usize,
    /// Files that were listed as skipped, left that list, or are listed for a new reason
    /// (the status document changes, the feeds may not).
    pub skips: usize,
}

impl Changes {
    /// True when the feeds or the status document must be rendered again.
    pub(crate) fn any(&self) -> bool {
        self.published + self.updated + self.removed + self.skips > 0
    }

    fn add(&mut self, other: Changes) {
        self.published += other.published;
        self.updated += other.updated;
        self.removed += other.removed;
        self.skips += other.skips;
    }
}

/// What happened to one file.
enum Outcome {
    Unchanged,
    /// Not published before nor now, but listed as skipped for a new reason.
    Skipped,
    Published,
    Updated,
    Removed,
}

/// One file examined, before the store is changed: the part of indexing that only reads
/// (the file, its hash, its parse) and so runs on every core at once.
enum Prepared {
    /// Being written; read when its writer is done.
    Busy,
    /// Same size and mtime as when its metadata was cached: published without reading it.
    Cached(ArticleMeta),
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

/// Most feed items whose files cannot be read again before a render gives up (keeping the
/// feeds already served) rather than reading on through the whole folder.
pub(crate) const MAX_UNREADABLE_FEED_ITEMS: usize = 64;

/// Too many of the newest articles' files could not be read again for a render.
#[derive(Debug, thiserror::Error)]
#[error("more than {MAX_UNREADABLE_FEED_ITEMS} of the newest articles' files cannot be read")]
pub(crate) struct UnreadableFeed {
    /// The items that could be read, newest first.
    pub items: Vec<FeedItem>,
}

/// A file that vanished recently, remembered so that the same content reappearing under
/// another name (a rename seen as delete + create, or a move between subfolders) or the
/// same name (delete and re-add) keeps its id and dates.
#[derive(Debug, Clone)]
struct Tombstone {
    key: String,
    record: FileRecord,
    deleted: Instant,
}

/// How much older than the moment a file is read its modification time must be for size and
/// mtime to prove, later, that its content is unchanged. File systems stamp writes from a
/// coarse clock (a few milliseconds on ext4, 2 s on FAT, and a server's clock on NFS): a file
/// rewritten within the same tick keeps its size and mtime. Records read closer to their
/// mtime than this are re-read by content on the next scan.
pub(crate) const RACY_MARGIN: Duration = Duration::from_secs(2);

/// Most tombstones kept at once; beyond it the oldest go first, so a mass delete cannot grow
/// memory without bound.
pub(crate) const MAX_TOMBSTONES: usize = 100_000;

/// The in-memory index backed by the state database.
pub(crate) struct Store {
    root: PathBuf,
    filter: Filter,
    parse_options: ParseOptions,
    max_file_bytes: u64,
    db: StateDb,
    records: HashMap<String, FileRecord>,
    index: Index,
    skipped: BTreeMap<String, SkipReason>,
    /// What walks could not take in (an unreadable folder, one too deep, a link not
    /// followed, a name that is not UTF-8), by [`scan::listing_key`], with the reason.
    left_out: BTreeMap<String, String>,
    pending: Vec<DbOp>,
    tombstones: VecDeque<Tombstone>,
    /// The keys renamed to each key (to → from, in the order of the renames) within the
    /// rename window: a chain of renames split over several batches is still followed.
    renamed_from: HashMap<String, VecDeque<String>>,
    /// The same renames in the order they were noted, for expiry.
    renames_noted: VecDeque<(Instant, String)>,
    rename_window: Duration,
    busy: HashSet<PathBuf>,
    /// True while the state database's article metadata may be used: from a start whose
    /// parser fingerprint matched until the first index is done (later, every file is in
    /// memory).
    use_cached_meta: bool,
    bodies: Arc<Bodies>,
    /// True until the first full index is done: per-file lines are debug-level meanwhile, so
    /// that a start over 100,000 files does not log 100,000 lines.
    first_index: bool,
    /// Set by a reload: the next full scan parses every file, whatever its size and mtime.
    force_reparse: bool,
}

impl Store {
    /// Opens the state database and loads its records; no file is read yet.
    pub(crate) fn open(settings: &Settings, root: &Path) -> anyhow::Result<Self> {
        let db = StateDb::open(&settings.state.dir)?;
        let records = db.load_all()?.into_iter().collect();
        let parse_options = ParseOptions::new(settings)?;
        let use_cached_meta = db.keep_meta_if(&parser_fingerprint(&parse_options))?;
        if !use_cached_meta {
            info!("parser or parse settings changed since the last run; every file is read again");
        }
        let bodies = Bodies::new(
            root,
            settings.seeds.follow_symlinks,
            parse_options.clone(),
            settings.seeds.max_file_bytes,
            settings.feed.items + BODY_CACHE_EXTRA,
        );
        Ok(Self {
            root: root.to_path_buf(),
            filter: Filter::new(settings)?,
            parse_options,
            max_file_bytes: settings.seeds.max_file_bytes,
            db,
            records,
            index: Index::new(settings.seeds.fold_duplicates),
            skipped: BTreeMap::new(),
            left_out: BTreeMap::new(),
            pending: Vec::new(),
            tombstones: VecDeque::new(),
            renamed_from: HashMap::new(),
            renames_noted: VecDeque::new(),
            rename_window: Duration::from_millis(settings.watch.rename_window_ms),
            busy: HashSet::new(),
            use_cached_meta,
            bodies: Arc::new(bodies),
            first_index: true,
            force_reparse: false,
        })
    }

    /// Takes the reloadable `[seeds]`, `[dates]` and `[boilerplate]` settings (and the default
    /// language) of a configuration reload. The rules that produced the articles may have
    /// changed, so the next [`Store::reconcile_all`] parses every file again, replacing each
    /// entry in place (they stay served meanwhile). Records (ids, first-seen times) are kept,
    /// so nothing looks new or redated.
    ///
    /// Changes nothing and fails when the seeds folder cannot be read right now: dropping the
    /// articles then would empty the feeds until the folder is back.
    pub(crate) fn reconfigure(&mut self, settings: &Settings) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.root.is_dir(),
            "seeds folder {} cannot be read; parse settings not applied",
            self.root.display()
        );
        let parse_options = ParseOptions::new(settings)?;
        self.filter = Filter::new(settings)?;
        self.parse_options = parse_options;
        // Cached metadata made under other parse settings must not be used by the next start.
        self.db
            .keep_meta_if(&parser_fingerprint(&self.parse_options))?;
        self.max_file_bytes = settings.seeds.max_file_bytes;
        self.rename_window = Duration::from_millis(settings.watch.rename_window_ms);
        self.bodies.reconfigure(
            settings.seeds.follow_symlinks,
            self.parse_options.clone(),
            self.max_file_bytes,
            settings.feed.items + BODY_CACHE_EXTRA,
        );
        if self.index.folds_duplicates() != settings.seeds.fold_duplicates {
            self.index.clear(settings.seeds.fold_duplicates);
        }
        // Entries stay published (and their pages served) until their files are parsed again.
        self.force_reparse = true;
        Ok(())
    }

    /// Every article entry (published or folded into an identical copy), by key.
    pub(crate) fn entries(&self) -> impl ExactSizeIterator<Item = &Arc<Entry>> {
        self.index.entries()
    }

    /// Published entries, newest first (by publication date, then first-seen time, then
    /// path). With `seeds.fold_duplicates`, files with byte-identical content appear once, as
    /// the copy seen first.
    pub(crate) fn newest(&self) -> impl Iterator<Item = &Arc<Entry>> {
        self.index.newest()
    }

    /// Number of published entries.
    pub(crate) fn published_len(&self) -> usize {
        self.index.published_len()
    }

    /// Published entries per source folder and per tag.
    pub(crate) fn facets(&self) -> &crate::model::Facets {
        self.index.facets()
    }

    /// Files folded into another with the same content: path → path of the one published.
    pub(crate) fn duplicates(&self) -> &BTreeMap<String, String> {
        self.index.duplicates()
    }

    /// Published entries by id, shared with the page handlers (always the same object).
    pub(crate) fn published_ids(&self) -> Arc<PublishedIds> {
        self.index.published_ids()
    }

    /// Article bodies on demand, shared with the page handlers (always the same object).
    pub(crate) fn bodies(&self) -> Arc<Bodies> {
        Arc::clone(&self.bodies)
    }

    /// The newest `n` published entries with their bodies. An entry whose file cannot be
    /// read or parsed right now (changed or removed since it was indexed; the watcher will
    /// catch up) is left out with a log line, and the next one takes its place; after
    /// [`MAX_UNREADABLE_FEED_ITEMS`] such files (an unmounted folder) the error says how many
    /// items were found, and the caller keeps the feeds it has.
    pub(crate) fn feed_items(&self, n: usize) -> Result<Vec<FeedItem>, UnreadableFeed> {
        items_with_bodies(&self.bodies, self.index.newest(), n)
    }

    /// Files that are not published, with the reason.
    pub(crate) fn skipped(&self) -> &BTreeMap<String, SkipReason> {
        &self.skipped
    }

    /// Folders, links and names the walks could not take in, with the reason (listed in
    /// `/status` with the skipped files).
    pub(crate) fn left_out(&self) -> &BTreeMap<String, String> {
        &self.left_out
    }

    /// Reads the whole folder: new and changed files are (re)parsed, vanished ones removed.
    /// Files whose size and modification time are those last indexed are not read again.
    ///
    /// Nothing is forgotten below a folder that could not be read: a missing seeds folder (an
    /// unmounted disk) or an unreadable subfolder keeps its articles until it can be read.
    pub(crate) fn reconcile_all(&mut self) -> Changes {
        let started = Instant::now();
        let mut changes = Changes::default();
        if !self.root_is_there() {
            return changes;
        }
        self.expire_tombstones();
        let (files, problems) = scan::walk(&self.root, &self.root, &self.filter);
        self.note_left_out("", &problems, &mut changes);
        // The walk lists names that are not UTF-8 as problems, not as files.
        let found: Vec<(String, PathBuf)> = files
            .into_iter()
            .filter_map(|path| Some((scan::store_key(&self.root, &path)?, path)))
            .collect();
        // Vanished files first: their tombstones let renamed ones keep their ids.
        let seen: HashSet<&str> = found.iter().map(|(key, _)| key.as_str()).collect();
        let known = self.records.keys().cloned();
        let missing: Vec<String> = known.filter(|k| !seen.contains(k.as_str())).collect();
        drop(seen);
        self.forget_missing(missing, &problems, &mut changes);
        self.ingest_all(&found, true, &mut changes);
        self.use_cached_meta = false;
        self.force_reparse = false;
        self.flush();
        if std::mem::take(&mut self.first_index) {
            info!(
                files = found.len(),
                published = self.index.published_len(),
                skipped = self.skipped.len(),
                duplicates = self.index.duplicates().len(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "seeds folder indexed"
            );
        }
        changes
    }

    /// True when the seeds folder is there; else nothing may be forgotten (an unmounted disk
    /// or a deleted folder must not empty the feeds), and this says so in the log.
    fn root_is_there(&self) -> bool {
        let there = self.root.is_dir();
        if !there {
            warn!(path = %self.root.display(), "seeds folder is missing; keeping the last known articles");
        }
        there
    }

    /// Forgets the `missing` keys (known, but not found by a walk), except below folders the
    /// walk could not read.
    fn forget_missing(
        &mut self,
        missing: Vec<String>,
        problems: &[scan::WalkProblem],
        changes: &mut Changes,
    ) {
        let unreadable: Vec<String> = problems
            .iter()
            .filter(|p| p.unreadable)
            .filter_map(|p| scan::store_key(&self.root, &p.path))
            .collect();
        if unreadable.iter().any(String::is_empty) {
            warn!(path = %self.root.display(), "seeds folder cannot be read; keeping the last known articles");
            return;
        }
        let protected = |key: &str| {
            unreadable.iter().any(|u| {
                key == u
                    || key
                        .strip_prefix(u.as_str())
                        .is_some_and(|r| r.starts_with('/'))
            })
        };
        for key in missing {
            if !protected(&key) {
                self.forget(&key, changes);
            }
        }
    }

    /// Re-examines the given absolute paths (files or folders, present or not) after events.
    /// `renames` (from, to), in the order they happened, let a file renamed and edited in
    /// the same batch keep its id, which its content alone cannot tell.
    ///
    /// Like [`Store::reconcile_all`], forgets nothing while the seeds folder itself is gone.
    pub(crate) fn reconcile_paths(
        &mut self,
        paths: &[PathBuf],
        renames: &[(PathBuf, PathBuf)],
    ) -> Changes {
        let mut changes = Changes::default();
        if !self.root_is_there() {
            return changes;
        }
        self.expire_tombstones();
        self.note_renames(renames);
        // Each path is examined once; vanished ones go first, so that the other half of a
        // rename finds their tombstones.
        let mut examined: Vec<(&PathBuf, std::io::Result<std::fs::Metadata>)> = paths
            .iter()
            .map(|p| (p, std::fs::symlink_metadata(p)))
            .collect();
        examined.sort_by_key(|(_, md)| md.is_ok());
        for (path, metadata) in examined {
            let Some(key) = scan::store_key(&self.root, path) else {
                if path.starts_with(&self.root) {
                    self.note_name_not_utf8(path, metadata.as_ref().ok(), &mut changes);
                } else {
                    debug!(path = %path.display(), "event outside the seeds folder; ignored");
                }
                continue;
            };
            if key.is_empty() {
                // The seeds folder itself changed (created, removed, replaced).
                let all = self.reconcile_all();
                changes.add(all);
                continue;
            }
            self.reconcile_one(&key, path, metadata, false, &mut changes);
        }
        self.flush();
        changes
    }

    /// Compares the given folders (whole subtrees, present or not) with the index, after more
    /// changes than could be kept apart: a `stat` per file, and files whose size and mtime are
    /// those last indexed (and not racily clean) are not read again.
    pub(crate) fn reconcile_folders(&mut self, folders: &[PathBuf]) -> Changes {
        let mut changes = Changes::default();
        if !self.root_is_there() {
            return changes;
        }
        self.expire_tombstones();
        let mut sorted: Vec<&PathBuf> = folders.iter().collect();
        sorted.sort();
        let mut done: Option<&PathBuf> = None;
        for folder in sorted {
            // A folder inside one already compared is covered by it.
            if done.is_some_and(|d| folder.starts_with(d)) {
                continue;
            }
            done = Some(folder);
            match scan::store_key(&self.root, folder) {
                Some(key) if key.is_empty() => changes.add(self.reconcile_all()),
                Some(key) => {
                    let metadata = std::fs::symlink_metadata(folder);
                    self.reconcile_one(&key, folder, metadata, true, &mut changes);
                }
                None => {
                    debug!(path = %folder.display(), "folder outside the seeds folder; ignored")
                }
            }
        }
        self.flush();
        changes
    }

    /// Applies what `metadata` (the path's `symlink_metadata`) says happened to one path.
    /// `trust_stat`: files below a folder whose size and mtime are the ones indexed are not
    /// read again (a file named by an event always is).
    fn reconcile_one(
        &mut self,
        key: &str,
        path: &Path,
        metadata: std::io::Result<std::fs::Metadata>,
        trust_stat: bool,
        changes: &mut Changes,
    ) {
        let metadata = match metadata {
            Ok(md) if md.is_symlink() && self.filter.follows_symlinks() => {
                match scan::link_target(&self.root, path) {
                    Ok((_, target)) => Ok(target),
                    Err(reason) => {
                        warn!(path = %path.display(), reason = %reason, "link not followed");
                        Ok(md)
                    }
                }
            }
            other => other,
        };
        match metadata {
            Ok(md) if md.is_dir() => {
                let (files, problems) = if self.filter.is_visible(Path::new(key)) {
                    scan::walk(&self.root, path, &self.filter)
                } else {
                    (Vec::new(), Vec::new())
                };
                self.note_left_out(key, &problems, changes);
                let found: Vec<(String, PathBuf)> = files
                    .into_iter()
                    .filter_map(|f| Some((scan::store_key(&self.root, &f)?, f)))
                    .collect();
                let known = self.keys_under(key);
                let present: HashSet<&str> = found.iter().map(|(k, _)| k.as_str()).collect();
                let missing: Vec<String> = known
                    .into_iter()
                    .filter(|k| !present.contains(k.as_str()))
                    .collect();
                self.forget_missing(missing, &problems, changes);
                self.ingest_all(&found, trust_stat, changes);
            }
            Ok(md) if md.is_file() && self.filter.is_article(Path::new(key)) => {
                self.ingest_all(&[(key.to_string(), path.to_path_buf())], false, changes);
            }
            // Not an article: an ignored name, a FIFO, a socket.
            Ok(md) if !md.is_symlink() => self.forget(key, changes),
            // A link not followed: a folder swapped for a link counts as removed, with
            // everything below it.
            Ok(_) => self.forget_tree(key, changes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => self.forget_tree(key, changes),
            Err(e) => warn!(path = %path.display(), error = %e, "cannot examine; left as it was"),
        }
    }

    /// Replaces what was left out below `under` (a key; empty for the whole folder) with the
    /// `problems` of a walk of it, logging the new ones (a walk every `watch.reconcile_secs`
    /// does not log the same folder again).
    fn note_left_out(
        &mut self,
        under: &str,
        problems: &[scan::WalkProblem],
        changes: &mut Changes,
    ) {
        let mut now: BTreeMap<String, String> = problems
            .iter()
            .map(|p| (scan::listing_key(&self.root, &p.path), p.reason.clone()))
            .collect();
        let before = self.take_left_out_under(under);
        for (key, reason) in &now {
            if before.get(key) != Some(reason) {
                warn!(path = key, reason, "left out of the feeds");
            }
        }
        if before != now {
            changes.skips += 1;
        }
        self.left_out.append(&mut now);
    }

    /// Removes and returns what was left out at or below `under` (everything when empty).
    fn take_left_out_under(&mut self, under: &str) -> BTreeMap<String, String> {
        if under.is_empty() {
            return std::mem::take(&mut self.left_out);
        }
        let mut below = self.left_out.split_off(under);
        let mut after = below.split_off(&format!("{under}0"));
        // '/' sorts just before '0': the keys from `under` to `under0` are `under` itself,
        // `under/...` and siblings such as `under-x` or `under.d`, which stay.
        let (mine, siblings): (BTreeMap<_, _>, BTreeMap<_, _>) =
            below.into_iter().partition(|(k, _)| {
                k == under || k.strip_prefix(under).is_some_and(|r| r.starts_with('/'))
            });
        self.left_out.extend(siblings);
        self.left_out.append(&mut after);
        mine
    }

    /// Lists or unlists a path named by an event whose name is not UTF-8.
    fn note_name_not_utf8(
        &mut self,
        path: &Path,
        metadata: Option<&std::fs::Metadata>,
        changes: &mut Changes,
    ) {
        let key = scan::listing_key(&self.root, path);
        let relevant =
            metadata.is_some_and(|md| md.is_dir() || self.filter.has_article_extension(path));
        let listed = if relevant {
            let reason = "the name is not UTF-8, so it cannot be given a stable id".to_string();
            if self.left_out.get(&key) != Some(&reason) {
                warn!(path = key, reason, "left out of the feeds");
            }
            self.left_out.insert(key, reason).is_none()
        } else {
            self.left_out.remove(&key).is_some()
        };
        if listed {
            changes.skips += 1;
        }
    }

    /// Forgets the file `key`, or everything below the folder `key`. A key with a record is
    /// a file: forgetting it costs nothing more; only a folder's keys are looked for.
    fn forget_tree(&mut self, key: &str, changes: &mut Changes) {
        if !self.take_left_out_under(key).is_empty() {
            changes.skips += 1;
        }
        if self.records.contains_key(key) {
            return self.forget(key, changes);
        }
        for key in self.keys_under(key) {
            self.forget(&key, changes);
        }
    }

    /// Known keys strictly below the folder `key`.
    fn keys_under(&self, key: &str) -> Vec<String> {
        let prefix = format!("{key}/");
        self.records
            .keys()
            .filter(|k| k.starts_with(&prefix))
            .cloned()
            .collect()
    }

    /// Where evidence that the index and the folder disagree is sent: a body read again for a
    /// render or a page that finds its file gone or changed asks for that path to be looked at.
    pub(crate) fn recheck_with(&mut self, sender: crate::watch::EventSender) {
        self.bodies.recheck_with(sender);
    }

    /// Files being written (their writer has not closed them): walks leave them as they are
    /// until the watcher hands them over.
    pub(crate) fn set_busy(&mut self, busy: &[PathBuf]) {
        self.busy = busy.iter().cloned().collect();
    }

    /// Indexes `files` (key, path): read, hashed and parsed in parallel batches, then applied
    /// to the store in order. `trust_stat` (full scans) skips reading files whose size and
    /// modification time are the ones last indexed; events always read the file.
    fn ingest_all(&mut self, files: &[(String, PathBuf)], trust_stat: bool, changes: &mut Changes) {
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
    fn prepare_batch(&self, batch: &[(String, PathBuf)], trust_stat: bool) -> Vec<Prepared> {
        let threads = std::thread::available_parallelism()
            .map_or(1, std::num::NonZeroUsize::get)
            .min(MAX_PARSE_THREADS);
        let prepare_slice = |slice: &[(String, PathBuf)]| -> Vec<Prepared> {
            let reader = self
                .use_cached_meta
                .then(|| self.db.meta_reader())
                .and_then(|r| {
                    r.map_err(
                        |e| warn!(error = %e, "cached metadata unreadable; reading the files"),
                    )
                    .ok()
                });
            slice
                .iter()
                .map(|(key, path)| self.prepare(key, path, trust_stat, reader.as_ref()))
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

    /// The read-only part of indexing one file; `cached` reads the metadata cached by the
    /// last run.
    fn prepare(
        &self,
        key: &str,
        path: &Path,
        trust_stat: bool,
        cached: Option<&db::MetaReader>,
    ) -> Prepared {
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
        let cached = cached.filter(|_| !published);
        if let Some(record) =
            record.filter(|_| trust_stat && stat_proves && (published || cached.is_some()))
        {
            let unchanged = std::fs::symlink_metadata(path).is_ok_and(|md| {
                md.is_file() && md.len() == record.size && mtime_ns(&md) == record.mtime_ns
            });
            if unchanged && published {
                return Prepared::Unchanged;
            }
            if let Some(meta) = cached
                .filter(|_| unchanged)
                .and_then(|reader| reader.get(key))
                .and_then(|json| serde_json::from_slice(&json).ok())
            {
                return Prepared::Cached(meta);
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
                    parsed: (!same_content)
                        .then(|| bodies::parse_guarded(&bytes, key, &self.parse_options)),
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

    /// The part of indexing one file that changes the store.
    fn apply(&mut self, key: &str, prepared: Prepared, changes: &mut Changes) {
        let outcome = match prepared {
            Prepared::Busy => {
                debug!(file = key, "being written; read when its writer is done");
                Outcome::Unchanged
            }
            Prepared::Unchanged => Outcome::Unchanged,
            Prepared::Cached(meta) => self.apply_cached(key, meta),
            Prepared::Read {
                hash,
                size,
                mtime_ns,
                racily_clean,
                parsed,
            } => self.apply_content(key, hash, size, (mtime_ns, racily_clean), parsed),
            Prepared::Unreadable(reason) => self.apply_skip(key, reason),
            // Not a file that cannot be read: a file that is not there (its rename or removal
            // is a later event, or was folded into this batch).
            Prepared::Gone => return self.forget(key, changes),
        };
        match outcome {
            Outcome::Published => changes.published += 1,
            Outcome::Updated => changes.updated += 1,
            Outcome::Removed => changes.removed += 1,
            Outcome::Skipped => changes.skips += 1,
            Outcome::Unchanged => {}
        }
    }

    /// Publishes the cached metadata of a file unchanged since it was indexed.
    fn apply_cached(&mut self, key: &str, meta: ArticleMeta) -> Outcome {
        let Some(record) = self.records.get(key).cloned() else {
            return Outcome::Unchanged;
        };
        debug!(file = key, id = %record.id, "loaded");
        self.skipped.remove(key);
        self.index.insert(Entry {
            key: key.to_string(),
            record,
            meta: Arc::new(meta),
        });
        Outcome::Published
    }

    fn apply_content(
        &mut self,
        key: &str,
        hash: u64,
        size: u64,
        (mtime_ns, racily_clean): (i64, bool),
        parsed: Option<Result<ParsedArticle, SkipReason>>,
    ) -> Outcome {
        let now_ms = Utc::now().timestamp_millis();
        let mut previous = self.records.get(key).cloned();
        let mut revived_from = None;
        if previous.is_none() {
            if let Some(tomb) = self.take_tombstone(key, hash) {
                revived_from = Some(tomb.key);
                previous = Some(tomb.record);
            }
        }
        let mut record = previous.clone().unwrap_or_else(|| FileRecord {
            id: self.new_id(key),
            first_seen_ms: now_ms,
            changed_ms: None,
            hash: Some(hash),
            size,
            mtime_ns,
            racily_clean,
        });
        // A record without a hash belongs to a file never read successfully: not a change.
        let content_changed = previous
            .as_ref()
            .and_then(|p| p.hash)
            .is_some_and(|old| old != hash);
        if let Some(from) = &revived_from {
            info!(file = key, from = %from, id = %record.id, "same article as a file removed moments ago; keeps its id and dates");
        }
        if content_changed {
            record.changed_ms = Some(now_ms);
        }
        record.hash = Some(hash);
        record.size = size;
        record.mtime_ns = mtime_ns;
        record.racily_clean = racily_clean;
        if previous.as_ref() != Some(&record) || revived_from.is_some() {
            self.set_record(key, record.clone());
        }
        let Some(parsed) = parsed else {
            // Not parsed because the content was the published one; nothing else to do.
            return Outcome::Unchanged;
        };
        match parsed {
            Ok(parsed) => {
                let meta = parsed.meta.clone();
                match serde_json::to_vec(&meta) {
                    Ok(json) => self.pending.push(DbOp::PutMeta(key.to_string(), json)),
                    Err(e) => debug!(file = key, error = %e, "article metadata not cached"),
                }
                self.bodies.remember(key, hash, Arc::new(parsed));
                let was_published = self.index.contains(key);
                self.skipped.remove(key);
                let quiet = self.first_index || self.force_reparse;
                let outcome = if was_published && !content_changed {
                    // Parsed again under reloaded settings.
                    debug!(file = key, id = %record.id, title = %logged(&meta.title), "parsed again");
                    Outcome::Updated
                } else if was_published {
                    info!(file = key, id = %record.id, title = %logged(&meta.title), "updated");
                    Outcome::Updated
                } else if quiet
                    || (previous.is_some() && !content_changed && revived_from.is_none())
                {
                    debug!(file = key, id = %record.id, title = %logged(&meta.title), "published");
                    Outcome::Published
                } else {
                    info!(file = key, id = %record.id, title = %logged(&meta.title), "published");
                    Outcome::Published
                };
                self.index.insert(Entry {
                    key: key.to_string(),
                    record,
                    meta: Arc::new(meta),
                });
                outcome
            }
            Err(reason) => self.apply_skip(key, reason),
        }
    }

    fn apply_skip(&mut self, key: &str, reason: SkipReason) -> Outcome {
        let newly_skipped = self.skipped.get(key) != Some(&reason);
        if newly_skipped {
            warn!(file = key, reason = %reason, "skipped");
            // Its cached metadata, if any, must not publish it on the next start.
            self.pending.push(DbOp::DeleteMeta(key.to_string()));
        }
        self.skipped.insert(key.to_string(), reason);
        if !self.records.contains_key(key) {
            let now_ms = Utc::now().timestamp_millis();
            self.set_record(
                key,
                FileRecord {
                    id: self.new_id(key),
                    first_seen_ms: now_ms,
                    changed_ms: None,
                    hash: None,
                    size: 0,
                    mtime_ns: 0,
                    racily_clean: false,
                },
            );
        }
        match self.index.remove(key) {
            Some(_) => Outcome::Removed,
            None if newly_skipped => Outcome::Skipped,
            None => Outcome::Unchanged,
        }
    }

    /// Drops everything known about `key` (the file is gone), keeping a tombstone for
    /// `watch.rename_window_ms` in case the same content comes back.
    fn forget(&mut self, key: &str, changes: &mut Changes) {
        if let Some(entry) = self.index.remove(key) {
            info!(file = key, id = %entry.record.id, "removed");
            changes.removed += 1;
        }
        if self.skipped.remove(key).is_some() {
            changes.skips += 1;
        }
        if let Some(record) = self.records.remove(key) {
            self.pending.push(DbOp::Delete(key.to_string()));
            if record.hash.is_some() && !self.rename_window.is_zero() {
                if self.tombstones.len() >= MAX_TOMBSTONES {
                    self.tombstones.pop_front();
                }
                self.tombstones.push_back(Tombstone {
                    key: key.to_string(),
                    record,
                    deleted: Instant::now(),
                });
            }
        }
    }

    /// The id of a new article at `key`: [`article_id`], unless a published article already
    /// has it (the file that was at `key` moved away and kept its id): then one derived from
    /// the path and a counter, so that no two published articles ever share an id.
    fn new_id(&self, key: &str) -> String {
        let published = self.index.published_ids();
        let taken = |id: &str| published.get(id).is_some_and(|(_, entry)| entry.key != key);
        let id = article_id(key);
        if !taken(&id) {
            return id;
        }
        (1u64..)
            .map(|n| article_id(&format!("{key}#{n}")))
            .find(|id| !taken(id))
            .unwrap_or(id)
    }

    /// The tombstone of the file `key` was renamed from (see [`Store::renamed_tombstone`]),
    /// else the most recent one of the same content, else of the same name (re-added with
    /// other content).
    fn take_tombstone(&mut self, key: &str, hash: u64) -> Option<Tombstone> {
        let index = self
            .renamed_tombstone(key)
            .or_else(|| self.tombstone_of(|t| t.record.hash == Some(hash)))
            .or_else(|| self.tombstone_of(|t| t.key == key))?;
        self.tombstones.remove(index)
    }

    /// The position of the most recent tombstone that `is` picks.
    fn tombstone_of(&self, is: impl Fn(&Tombstone) -> bool) -> Option<usize> {
        self.tombstones.iter().rposition(is)
    }

    /// Remembers `renames` (from, to) for the rename window, at most [`MAX_TOMBSTONES`]
    /// (the oldest go first).
    fn note_renames(&mut self, renames: &[(PathBuf, PathBuf)]) {
        if self.rename_window.is_zero() {
            return;
        }
        let now = Instant::now();
        for (from, to) in renames {
            let (Some(from), Some(to)) = (
                scan::store_key(&self.root, from),
                scan::store_key(&self.root, to),
            ) else {
                continue;
            };
            if self.renames_noted.len() >= MAX_TOMBSTONES {
                self.forget_oldest_rename();
            }
            self.renamed_from
                .entry(to.clone())
                .or_default()
                .push_back(from);
            self.renames_noted.push_back((now, to));
        }
    }

    fn forget_oldest_rename(&mut self) {
        let Some((_, to)) = self.renames_noted.pop_front() else {
            return;
        };
        if let Some(froms) = self.renamed_from.get_mut(&to) {
            froms.pop_front();
            if froms.is_empty() {
                self.renamed_from.remove(&to);
            }
        }
    }

    /// The tombstone of the file that the file now at `key` was renamed from, through any
    /// chain of renames within the rename window, nearest renames first: `tmp → key` of an
    /// atomic replace comes after the `old → key` that moved the article there, and `tmp`
    /// left no tombstone, so `old`'s is found next.
    fn renamed_tombstone(&self, key: &str) -> Option<usize> {
        let mut queue = VecDeque::from([key]);
        let mut visited = HashSet::from([key]);
        while let Some(to) = queue.pop_front() {
            for from in self.renamed_from.get(to).into_iter().flatten().rev() {
                if !visited.insert(from.as_str()) {
                    continue;
                }
                if let Some(index) = self.tombstone_of(|t| &t.key == from) {
                    return Some(index);
                }
                queue.push_back(from);
            }
        }
        None
    }

    /// Drops tombstones older than the rename window (they are in deletion order).
    fn expire_tombstones(&mut self) {
        while self
            .tombstones
            .front()
            .is_some_and(|t| t.deleted.elapsed() > self.rename_window)
        {
            self.tombstones.pop_front();
        }
        while self
            .renames_noted
            .front()
            .is_some_and(|(noted, _)| noted.elapsed() > self.rename_window)
        {
            self.forget_oldest_rename();
        }
    }

    fn set_record(&mut self, key: &str, record: FileRecord) {
        self.pending
            .push(DbOp::Put(key.to_string(), record.clone()));
        if let Some(entry) = self.index.get(key) {
            let mut entry = Entry::clone(entry);
            entry.record = record.clone();
            self.index.insert(entry);
        }
        self.records.insert(key.to_string(), record);
    }

    /// Writes the batch's record changes in one transaction. On failure the changes stay
    /// pending and are retried with the next batch; the feeds are served meanwhile.
    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let ops = std::mem::take(&mut self.pending);
        if let Err(e) = self.db.apply(&ops) {
            error!(error = %e, "state not saved; retried with the next change");
            self.pending = ops;
        }
    }
}

/// Most characters of a title written to the log: a scraped page can have a title of
/// 200 KB, which would otherwise be one log line of 200 KB.
pub(crate) const MAX_LOGGED_TITLE_CHARS: usize = 160;

/// `title` as the log shows it: at most [`MAX_LOGGED_TITLE_CHARS`] characters, then "…".
fn logged(title: &str) -> std::borrow::Cow<'_, str> {
    match title.char_indices().nth(MAX_LOGGED_TITLE_CHARS) {
        Some((cut, _)) => format!("{}…", &title[..cut]).into(),
        None => title.into(),
    }
}

/// A file's modification time in Unix nanoseconds; saturating, so that a file dated
/// centuries away cannot overflow.
fn mtime_ns(md: &std::fs::Metadata) -> i64 {
    md.mtime()
        .saturating_mul(1_000_000_000)
        .saturating_add(md.mtime_nsec())
}

/// Version of what the metadata cache holds; bumped when [`ArticleMeta`] changes shape.
const CACHE_SCHEMA: u32 = 4;

/// Identifies the parser and the settings that shape its output: cached articles made under
/// another fingerprint are parsed again.
fn parser_fingerprint(options: &ParseOptions) -> String {
    let described = format!("{}|{CACHE_SCHEMA}|{options:?}", env!("CARGO_PKG_VERSION"));
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(described.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixture {
        dir: tempfile::TempDir,
        settings: Settings,
    }

    impl Fixture {
        fn new() -> Self {
            let dir = tempfile::tempdir().expect("temp dir");
            std::fs::create_dir(dir.path().join("seeds")).expect("mkdir");
            let mut settings = Settings::default();
            settings.seeds.dir = dir.path().join("seeds");
            settings.state.dir = dir.path().join("state");
            Self { dir, settings }
        }

        fn seeds(&self) -> PathBuf {
            self.dir.path().join("seeds")
        }

        fn open(&self) -> Store {
            Store::open(&self.settings, &self.seeds()).expect("open store")
        }

        /// Writes `files` (name, text) into the seeds folder and indexes it.
        fn indexed(&self, files: &[(&str, &str)]) -> Store {
            for (name, text) in files {
                std::fs::write(self.seeds().join(name), text).expect("write");
            }
            let mut store = self.open();
            store.reconcile_all();
            store
        }
    }

    /// The id of the entry at `key`, if there is one.
    fn id_of(store: &Store, key: &str) -> Option<String> {
        store
            .entries()
            .find(|e| e.key == key)
            .map(|e| e.record.id.clone())
    }

    fn only_entry(store: &Store) -> Entry {
        let entries: Vec<&Arc<Entry>> = store.entries().collect();
        assert_eq!(entries.len(), 1);
        Entry::clone(entries[0])
    }

    #[test]
    fn first_seen_survives_reopen_touch_and_identical_rewrite() {
        let fx = Fixture::new();
        let file = fx.seeds().join("a.txt");
        std::fs::write(&file, "Undated\nBody text.\n").expect("write");
        let mut store = fx.open();
        assert_eq!(store.reconcile_all().published, 1);
        let before = only_entry(&store);
        assert_eq!(before.published().1, crate::article::DateSource::FirstSeen);
        drop(store);

        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&file, "Undated\nBody text.\n").expect("identical rewrite");
        let mut store = fx.open();
        let changes = store.reconcile_all();
        let after = only_entry(&store);
        assert_eq!(after.record.id, before.record.id);
        assert_eq!(after.published(), before.published());
        assert_eq!(after.record.changed_ms, None, "same bytes are not a change");
        assert_eq!(changes.updated, 0);
    }

    #[test]
    fn a_content_change_keeps_id_and_date_and_moves_updated() {
        let fx = Fixture::new();
        let file = fx.seeds().join("a.txt");
        std::fs::write(&file, "Title\n2025-04-03\nBody.\n").expect("write");
        let mut store = fx.open();
        store.reconcile_all();
        let before = only_entry(&store);
        std::fs::write(&file, "New title\n2025-04-03\nBody.\n").expect("edit");
        let changes = store.reconcile_paths(&[file], &[]);
        assert_eq!(changes.updated, 1);
        let after = only_entry(&store);
        assert_eq!(after.meta.title, "New title");
        assert_eq!(after.record.id, before.record.id);
        assert_eq!(after.published(), before.published());
        assert!(after.updated() > before.updated());
    }

    // Regression: a file edited while the daemon was down into one that no longer parses
    // was skipped once, then published again from its stale cached metadata on the start
    // after that (same size and mtime as its record).
    #[test]
    fn stale_cached_metadata_never_publishes_a_skipped_file() {
        let fx = Fixture::new();
        let file = fx.seeds().join("a.txt");
        std::fs::write(&file, "Title\nBody.\n").expect("write");
        let mut store = fx.open();
        assert_eq!(store.reconcile_all().published, 1);
        drop(store);
        std::fs::write(&file, "Only a title\n").expect("break it");
        for start in ["first start after the edit", "the start after that"] {
            let mut store = fx.open();
            store.reconcile_all();
            assert_eq!(store.published_len(), 0, "{start}");
            assert!(store.skipped().contains_key("a.txt"), "{start}");
        }
    }

    // Regression: a reload emptied the index (and with it the id map article pages are
    // served from) until every file was parsed again.
    #[test]
    fn a_reload_keeps_entries_published_until_they_are_parsed_again() {
        let fx = Fixture::new();
        std::fs::write(fx.seeds().join("a.txt"), "Title\n03/04/2025\nBody.\n").expect("write");
        let mut store = fx.open();
        store.reconcile_all();
        let id = only_entry(&store).record.id;
        let ids = store.published_ids();
        let mut settings = fx.settings.clone();
        settings.dates.day_first = false;
        store.reconfigure(&settings).expect("reconfigure");
        assert!(ids.get(&id).is_some(), "still served while parsing again");
        let changes = store.reconcile_all();
        assert_eq!(changes.updated, 1, "parsed again under the new rules");
        assert!(ids.get(&id).is_some());
    }

    #[test]
    fn a_vanished_seeds_folder_forgets_nothing() {
        let fx = Fixture::new();
        std::fs::write(fx.seeds().join("a.txt"), "Title\nBody.\n").expect("write");
        let mut store = fx.open();
        store.reconcile_all();
        let before = only_entry(&store);
        std::fs::rename(fx.seeds(), fx.dir.path().join("unmounted")).expect("move away");
        assert_eq!(store.reconcile_all(), Changes::default());
        std::fs::rename(fx.dir.path().join("unmounted"), fx.seeds()).expect("move back");
        store.reconcile_all();
        assert_eq!(only_entry(&store).record, before.record);
    }

    // Regression: a modification time centuries away overflowed the nanosecond arithmetic.
    #[test]
    fn far_future_modification_times_do_not_overflow() {
        let fx = Fixture::new();
        let file = fx.seeds().join("a.txt");
        std::fs::write(&file, "Title\nBody.\n").expect("write");
        let year_2300 = std::time::UNIX_EPOCH + std::time::Duration::from_secs(10_413_792_000);
        std::fs::File::options()
            .append(true)
            .open(&file)
            .and_then(|f| f.set_modified(year_2300))
            .expect("set mtime");
        let mut store = fx.open();
        assert_eq!(store.reconcile_all().published, 1);
    }

    // Regression: an unreadable seeds folder (read_dir failing on the root) forgot every
    // record, and with them every first-seen date.
    #[test]
    fn a_walk_problem_at_the_root_forgets_nothing() {
        let fx = Fixture::new();
        std::fs::write(fx.seeds().join("a.txt"), "Title\nBody.\n").expect("write");
        let mut store = fx.open();
        store.reconcile_all();
        let problems = [scan::WalkProblem {
            path: fx.seeds(),
            reason: "Input/output error".into(),
            unreadable: true,
        }];
        let known: Vec<String> = store.records.keys().cloned().collect();
        let mut changes = Changes::default();
        store.forget_missing(known, &problems, &mut changes);
        assert_eq!(changes, Changes::default());
        assert_eq!(store.entries().len(), 1);
    }

    #[test]
    fn a_walk_problem_in_a_subfolder_keeps_only_that_subfolder() {
        let fx = Fixture::new();
        std::fs::create_dir(fx.seeds().join("sub")).expect("mkdir");
        std::fs::write(fx.seeds().join("sub/a.txt"), "Title\nBody.\n").expect("write");
        std::fs::write(fx.seeds().join("subway.txt"), "Title\nBody.\n").expect("write");
        let mut store = fx.open();
        store.reconcile_all();
        let problems = [scan::WalkProblem {
            path: fx.seeds().join("sub"),
            reason: "Permission denied".into(),
            unreadable: true,
        }];
        let known: Vec<String> = store.records.keys().cloned().collect();
        let mut changes = Changes::default();
        store.forget_missing(known, &problems, &mut changes);
        assert_eq!(changes.removed, 1, "subway.txt is not below sub/");
        assert!(store.records.contains_key("sub/a.txt"));
    }

    // Finding 8 of issue 14: links, names that are not UTF-8 and folders too deep were
    // dropped with no /status entry. They are listed as left out, and unlisted once gone.
    #[test]
    fn what_a_walk_leaves_out_is_listed_until_it_is_gone() {
        use std::os::unix::ffi::OsStrExt;
        let fx = Fixture::new();
        let seeds = fx.seeds();
        std::fs::create_dir(seeds.join("real")).expect("mkdir");
        std::fs::write(seeds.join("real/a.txt"), "Title\nBody.\n").expect("write");
        std::os::unix::fs::symlink(seeds.join("real"), seeds.join("alias")).expect("symlink");
        let bad_name = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
        std::fs::write(seeds.join(bad_name), "Title\nBody.\n").expect("write");
        let deep: PathBuf =
            (0..=scan::MAX_DEPTH).fold(seeds.join("deep"), |p, i| p.join(format!("{i}")));
        std::fs::create_dir_all(&deep).expect("mkdir deep");
        std::fs::write(deep.join("b.txt"), "Title\nBody.\n").expect("write");
        let mut store = fx.open();
        let changes = store.reconcile_all();
        assert!(changes.skips > 0);
        let left_out: Vec<&str> = store.left_out().keys().map(String::as_str).collect();
        assert_eq!(left_out.len(), 3, "{:?}", store.left_out());
        assert!(left_out.contains(&"alias"), "{left_out:?}");
        assert!(left_out.contains(&"caf\u{fffd}.txt"), "{left_out:?}");
        assert!(
            left_out.iter().any(|k| k.starts_with("deep/")),
            "{left_out:?}"
        );
        // The same walk again lists the same, and says nothing changed.
        assert_eq!(store.reconcile_all(), Changes::default());

        std::fs::remove_file(seeds.join("alias")).expect("rm link");
        let changes = store.reconcile_paths(&[seeds.join("alias")], &[]);
        assert_eq!(changes.skips, 1);
        std::fs::remove_file(seeds.join(bad_name)).expect("rm");
        store.reconcile_paths(&[seeds.join(bad_name)], &[]);
        std::fs::remove_dir_all(seeds.join("deep")).expect("rm deep");
        store.reconcile_folders(&[seeds.join("deep")]);
        assert!(store.left_out().is_empty(), "{:?}", store.left_out());
        assert_eq!(store.entries().len(), 1);
    }

    // A folder swapped for a link is not "unreadable": its articles leave the feeds.
    #[test]
    fn a_folder_swapped_for_a_link_is_forgotten_on_a_full_walk() {
        let fx = Fixture::new();
        let outside = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(fx.seeds().join("sub")).expect("mkdir");
        std::fs::write(fx.seeds().join("sub/a.txt"), "Title\nBody.\n").expect("write");
        let mut store = fx.open();
        store.reconcile_all();
        assert_eq!(store.entries().len(), 1);
        std::fs::rename(fx.seeds().join("sub"), outside.path().join("sub")).expect("move");
        std::os::unix::fs::symlink(outside.path().join("sub"), fx.seeds().join("sub"))
            .expect("symlink");
        let changes = store.reconcile_all();
        assert_eq!(changes.removed, 1);
        assert!(
            store.left_out().contains_key("sub"),
            "{:?}",
            store.left_out()
        );
    }

    #[test]
    fn exact_duplicates_are_published_once_as_the_first_seen() {
        let fx = Fixture::new();
        std::fs::write(fx.seeds().join("b.txt"), "Same\nBody.\n").expect("write");
        let mut store = fx.open();
        store.reconcile_all();
        std::thread::sleep(std::time::Duration::from_millis(5));
        std::fs::write(fx.seeds().join("a.txt"), "Same\nBody.\n").expect("write");
        std::fs::write(fx.seeds().join("c.txt"), "Other\nBody.\n").expect("write");
        store.reconcile_all();
        let mut published: Vec<&str> = store.newest().map(|e| e.key.as_str()).collect();
        published.sort_unstable();
        assert_eq!(published, ["b.txt", "c.txt"], "b.txt was seen first");
        let duplicates: Vec<(&str, &str)> = store
            .duplicates()
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        assert_eq!(duplicates, [("a.txt", "b.txt")]);
    }

    #[test]
    fn duplicates_stay_separate_when_folding_is_off() {
        let mut fx = Fixture::new();
        fx.settings.seeds.fold_duplicates = false;
        std::fs::write(fx.seeds().join("a.txt"), "Same\nBody.\n").expect("write");
        std::fs::write(fx.seeds().join("b.txt"), "Same\nBody.\n").expect("write");
        let mut store = fx.open();
        store.reconcile_all();
        assert_eq!(store.published_len(), 2);
        assert!(store.duplicates().is_empty());
    }

    #[test]
    fn deleted_files_and_folders_leave_the_index_and_the_database() {
        let fx = Fixture::new();
        std::fs::create_dir(fx.seeds().join("sub")).expect("mkdir");
        std::fs::write(fx.seeds().join("sub/a.txt"), "Title\nBody.\n").expect("write");
        let mut store = fx.open();
        store.reconcile_all();
        std::fs::remove_dir_all(fx.seeds().join("sub")).expect("rm");
        let changes = store.reconcile_paths(&[fx.seeds().join("sub")], &[]);
        assert_eq!(changes.removed, 1);
        assert_eq!(store.entries().len(), 0);
        drop(store);
        let db = StateDb::open(&fx.settings.state.dir).expect("db");
        assert!(db.load_all().expect("load").is_empty());
    }

    // Regression (issue 14): a 200 KB title became one 200 KB log line.
    #[test]
    fn long_titles_are_cut_in_the_log() {
        let title = "é".repeat(100_000);
        let shown = logged(&title);
        assert_eq!(shown.chars().count(), MAX_LOGGED_TITLE_CHARS + 1);
        assert!(shown.ends_with('…'));
        assert_eq!(logged("Short"), "Short");
    }

    #[test]
    fn ids_are_stable_and_path_derived() {
        assert_eq!(article_id("a/b.txt"), article_id("a/b.txt"));
        assert_ne!(article_id("a/b.txt"), article_id("a/c.txt"));
        // RFC 4122 v5, checked against Python's uuid.uuid5 with the same namespace chain.
        // Changing the derivation would show every reader each article again.
        assert_eq!(
            article_id("000_5f06b2f05f265a12.txt"),
            "f5574169-dd9c-5fb6-a824-6a26fa1ebc49"
        );
    }

    #[test]
    fn renamed_file_keeps_its_id_and_dates() {
        let f = Fixture::new();
        let seeds = f.seeds();
        std::fs::write(seeds.join("a.txt"), "Title\nBody text.\n").expect("write");
        let mut store = f.open();
        store.reconcile_all();
        let before = only_entry(&store);

        // A move into a subfolder, reported as one batch holding both paths (new one first).
        std::fs::create_dir(seeds.join("sub")).expect("mkdir");
        std::fs::rename(seeds.join("a.txt"), seeds.join("sub/b.txt")).expect("rename");
        let changes = store.reconcile_paths(&[seeds.join("sub/b.txt"), seeds.join("a.txt")], &[]);
        assert_eq!((changes.published, changes.removed), (1, 1));
        let after = only_entry(&store);
        assert_eq!(after.key, "sub/b.txt");
        assert_eq!(after.record.id, before.record.id);
        assert_eq!(after.record.first_seen_ms, before.record.first_seen_ms);
        assert_eq!(after.record.changed_ms, None);

        // The moved record is what a restart reads back.
        drop(store);
        let mut store = f.open();
        store.reconcile_all();
        assert_eq!(only_entry(&store).record.id, before.record.id);
    }

    #[test]
    fn rename_seen_in_two_batches_and_across_a_restart_keeps_the_id() {
        let f = Fixture::new();
        let seeds = f.seeds();
        std::fs::write(seeds.join("a.txt"), "Title\nBody text.\n").expect("write");
        let mut store = f.open();
        store.reconcile_all();
        let id = only_entry(&store).record.id;

        std::fs::rename(seeds.join("a.txt"), seeds.join("b.txt")).expect("rename");
        store.reconcile_paths(&[seeds.join("a.txt")], &[]);
        assert_eq!(store.entries().len(), 0);
        store.reconcile_paths(&[seeds.join("b.txt")], &[]);
        assert_eq!(only_entry(&store).record.id, id);

        // Renamed while the daemon was down: the start-up walk pairs them too.
        drop(store);
        std::fs::rename(seeds.join("b.txt"), seeds.join("c.txt")).expect("rename");
        let mut store = f.open();
        store.reconcile_all();
        let entry = only_entry(&store);
        assert_eq!((entry.key.as_str(), entry.record.id), ("c.txt", id));
    }

    #[test]
    fn deleted_and_re_added_file_keeps_its_first_seen_date() {
        let f = Fixture::new();
        let seeds = f.seeds();
        let path = seeds.join("a.txt");
        std::fs::write(&path, "Title\nBody text.\n").expect("write");
        let mut store = f.open();
        store.reconcile_all();
        let before = only_entry(&store);
        std::thread::sleep(Duration::from_millis(5));

        std::fs::remove_file(&path).expect("rm");
        store.reconcile_paths(std::slice::from_ref(&path), &[]);
        std::fs::write(&path, "Title\nOther body text.\n").expect("write");
        store.reconcile_paths(std::slice::from_ref(&path), &[]);
        let after = only_entry(&store);
        assert_eq!(after.record.first_seen_ms, before.record.first_seen_ms);
        assert!(after.record.changed_ms.is_some(), "the content changed");
    }

    #[test]
    fn without_a_rename_window_a_moved_file_is_a_new_article() {
        let mut f = Fixture::new();
        f.settings.watch.rename_window_ms = 0;
        let seeds = f.seeds();
        std::fs::write(seeds.join("a.txt"), "Title\nBody text.\n").expect("write");
        let mut store = f.open();
        store.reconcile_all();
        let id = only_entry(&store).record.id;
        std::fs::rename(seeds.join("a.txt"), seeds.join("b.txt")).expect("rename");
        store.reconcile_paths(&[seeds.join("a.txt"), seeds.join("b.txt")], &[]);
        let entry = only_entry(&store);
        assert_ne!(entry.record.id, id);
        assert_eq!(entry.record.id, article_id("b.txt"));
    }

    #[test]
    fn restart_uses_the_cached_parse_of_unchanged_files() {
        let mut f = Fixture::new();
        let path = f.seeds().join("a.txt");
        std::fs::write(&path, "Title A\nBody text.\n").expect("write");
        // Written well before it is read: size and mtime can vouch for it.
        let mtime = std::time::SystemTime::now() - Duration::from_secs(3600);
        set_mtime(&path, mtime);
        let mut store = f.open();
        store.reconcile_all();
        assert!(!only_entry(&store).record.racily_clean);
        drop(store);

        // Same size and mtime: the cache is trusted (the rsync rule) and the file not read,
        // which this swap of content behind seedfeed's back makes visible.
        std::fs::write(&path, "Title B\nBody text.\n").expect("write");
        set_mtime(&path, mtime);
        let mut store = f.open();
        store.reconcile_all();
        assert_eq!(only_entry(&store).meta.title, "Title A");
        drop(store);

        // Other parse settings invalidate the whole cache.
        f.settings.dates.default_time = chrono::NaiveTime::from_hms_opt(12, 0, 0).expect("noon");
        let mut store = f.open();
        store.reconcile_all();
        assert_eq!(only_entry(&store).meta.title, "Title B");
    }

    fn set_mtime(path: &Path, mtime: std::time::SystemTime) {
        std::fs::File::options()
            .write(true)
            .open(path)
            .and_then(|file| file.set_modified(mtime))
            .expect("set mtime");
    }

    // Issue 13: a file read in the same clock tick as its last write may be rewritten, same
    // size, without its mtime moving. Size and mtime must not vouch for such a record: the
    // next scan (and the next start) reads it again by content.
    #[test]
    fn a_racily_clean_record_is_read_again_by_content() {
        let f = Fixture::new();
        let path = f.seeds().join("a.txt");
        std::fs::write(&path, "Title A\nBody text.\n").expect("write");
        let mtime = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .expect("mtime");
        let mut store = f.open();
        store.reconcile_all();
        assert!(
            only_entry(&store).record.racily_clean,
            "read right after its write"
        );
        std::fs::write(&path, "Title B\nBody text.\n").expect("same-size rewrite");
        set_mtime(&path, mtime);
        let changes = store.reconcile_all();
        assert_eq!(changes.updated, 1);
        assert_eq!(only_entry(&store).meta.title, "Title B");
        drop(store);

        // Across a restart too: the racily clean flag is part of the saved record.
        std::fs::write(&path, "Title C\nBody text.\n").expect("same-size rewrite");
        set_mtime(&path, mtime);
        let mut store = f.open();
        store.reconcile_all();
        assert_eq!(only_entry(&store).meta.title, "Title C");

        // Once the file is old enough when read, its record is clean again.
        set_mtime(
            &path,
            std::time::SystemTime::now() - Duration::from_secs(3600),
        );
        store.reconcile_all();
        assert!(!only_entry(&store).record.racily_clean);
    }

    // Issue 13: a file renamed and then edited before the batch was indexed has other
    // content than the file that vanished, so only the kernel's pairing of the rename can
    // tell it is the same article; chains of renames are followed back.
    #[test]
    fn a_file_renamed_and_edited_in_one_batch_keeps_its_id() {
        let f = Fixture::new();
        let seeds = f.seeds();
        let mut store = f.indexed(&[
            ("a.txt", "Title\nBody text.\n"),
            ("x.txt", "Other\nBody text.\n"),
        ]);
        let (a, x) = (id_of(&store, "a.txt"), id_of(&store, "x.txt"));
        for (from, to) in [("a.txt", "b.txt"), ("b.txt", "c.txt"), ("x.txt", "y.txt")] {
            std::fs::rename(seeds.join(from), seeds.join(to)).expect("rename");
        }
        // c.txt edited by an atomic replace: one more rename into it, from a new file.
        std::fs::write(seeds.join("c.txt.tmp"), "Title, edited\nBody.\n").expect("edit");
        std::fs::rename(seeds.join("c.txt.tmp"), seeds.join("c.txt")).expect("replace");
        std::fs::write(seeds.join("y.txt"), "Other, edited\nBody.\n").expect("edit");
        let paths =
            ["a.txt", "b.txt", "c.txt", "c.txt.tmp", "x.txt", "y.txt"].map(|n| seeds.join(n));
        let renames = [
            (seeds.join("a.txt"), seeds.join("b.txt")),
            (seeds.join("b.txt"), seeds.join("c.txt")),
            (seeds.join("c.txt.tmp"), seeds.join("c.txt")),
        ];
        store.reconcile_paths(&paths, &renames);
        assert_eq!(
            id_of(&store, "c.txt"),
            a,
            "followed through a.txt → b.txt → c.txt"
        );
        assert!(
            id_of(&store, "y.txt").is_some_and(|id| Some(id) != x),
            "no pairing known"
        );
    }

    // Regression (issue 13): a chain of renames split over two batches, the file edited at
    // its last name, came back as a new article: the first batch's rename was forgotten
    // when it ended.
    #[test]
    fn a_chain_of_renames_over_two_batches_keeps_the_id() {
        let f = Fixture::new();
        let seeds = f.seeds();
        let mut store = f.indexed(&[("a.txt", "Title\nBody text.\n")]);
        let id = only_entry(&store).record.id;
        std::fs::rename(seeds.join("a.txt"), seeds.join("b.txt")).expect("rename");
        std::fs::rename(seeds.join("b.txt"), seeds.join("c.txt")).expect("rename");
        std::fs::write(seeds.join("c.txt"), "Title, edited\nBody.\n").expect("edit");
        let (a, b, c) = (
            seeds.join("a.txt"),
            seeds.join("b.txt"),
            seeds.join("c.txt"),
        );
        store.reconcile_paths(&[a.clone(), b.clone()], &[(a, b.clone())]);
        assert_eq!(store.entries().len(), 0);
        store.reconcile_paths(&[b.clone(), c.clone()], &[(b, c)]);
        assert_eq!(only_entry(&store).record.id, id);
    }

    // Regression (issue 13): a file renamed away between its event and its read was listed
    // as skipped ("cannot read the file: No such file or directory") with a record of its
    // own, instead of being gone; the rename chain through it then lost the article's id.
    #[test]
    fn a_file_gone_before_it_is_read_is_not_listed_as_skipped() {
        let f = Fixture::new();
        let mut store = f.open();
        let mut changes = Changes::default();
        let gone = ("gone.txt".to_string(), f.seeds().join("gone.txt"));
        store.ingest_all(&[gone], false, &mut changes);
        assert_eq!(changes, Changes::default());
        assert!(store.skipped().is_empty(), "{:?}", store.skipped());
        assert!(store.records.is_empty());
    }

    // Issue 13: a file renamed away keeps its id; a new file created at its old name must
    // not get the same id (two items with one id are one item to a feed reader).
    #[test]
    fn a_new_file_at_a_moved_files_name_gets_its_own_id() {
        let f = Fixture::new();
        let seeds = f.seeds();
        let mut store = f.indexed(&[("a.txt", "First\nBody one.\n")]);
        std::fs::rename(seeds.join("a.txt"), seeds.join("b.txt")).expect("rename");
        store.reconcile_paths(&[seeds.join("a.txt"), seeds.join("b.txt")], &[]);
        std::fs::write(seeds.join("a.txt"), "Second\nBody two.\n").expect("write");
        store.reconcile_paths(&[seeds.join("a.txt")], &[]);
        let (a, b) = (id_of(&store, "a.txt"), id_of(&store, "b.txt"));
        assert_eq!(b, Some(article_id("a.txt")), "the moved file keeps its id");
        assert_eq!(a, Some(article_id("a.txt#1")), "the new one gets its own");
    }
}
