//! The index of published articles and the state database behind it.
//!
//! The store is owned by one task (the daemon's indexer); it reads files, parses them, keeps
//! each article's metadata in memory (bodies are read again on demand, see [`bodies`]) and
//! what must survive a restart (ids, first-seen times, content hashes, metadata) in the state
//! database, one transaction per batch of changes.

mod apply;
pub(crate) mod bodies;
pub(crate) mod db;
pub(crate) mod documents;
mod first_seen;
pub mod index;
mod prepare;
mod reconcile;
pub(crate) mod scan;
pub(crate) mod signing;
mod tombstones;

use std::collections::{BTreeMap, VecDeque};

// foldhash rather than SipHash: keys are paths from the seeds folder, looked up 100,000 times
// at start-up, and no client chooses them.
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::Utc;
use tracing::{debug, error, info, warn};

use crate::article::{ArticleMeta, ParseOptions, ParsedArticle, SkipReason};
use crate::config::Settings;
use crate::model::{ArticleId, Entry, FeedItem, FileRecord, article_id};
use bodies::{BODY_CACHE_EXTRA, Bodies};
use db::{DbOp, StateDb};
use first_seen::FirstSeenTimes;
use index::{Index, PublishedIds};
use scan::Filter;
use tombstones::Tombstone;

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

/// How much older than the moment a file is read its modification time must be for size and
/// mtime to prove, later, that its content is unchanged. File systems stamp writes from a
/// coarse clock (a few milliseconds on ext4, 2 s on FAT, and a server's clock on NFS): a file
/// rewritten within the same tick keeps its size and mtime. Records read closer to their
/// mtime than this are re-read by content on the next scan.
pub(crate) const RACY_MARGIN: Duration = Duration::from_secs(2);

/// The in-memory index backed by the state database.
pub(crate) struct Store {
    root: PathBuf,
    filter: Filter,
    parse_options: Arc<ParseOptions>,
    /// The options of the bulk passes (the first index, a reparse after a reload): without
    /// the related-stories signature, which [`signing`] computes after the feeds are served.
    bulk_options: Arc<ParseOptions>,
    max_file_bytes: u64,
    db: StateDb,
    /// The served documents' dates, in `db` (shared with the renderers).
    document_dates: Arc<documents::DocumentDates>,
    records: HashMap<String, FileRecord>,
    /// The records' first-seen times, for a new file's (see [`first_seen`]).
    first_seen: FirstSeenTimes,
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
    /// The state database's article metadata, read in one pass at open when the parser
    /// fingerprint matched; emptied once the first index has used it.
    cached_meta: HashMap<String, Arc<ArticleMeta>>,
    bodies: Arc<Bodies>,
    /// True until the first full index is done: per-file lines are debug-level meanwhile, so
    /// that a start over 100,000 files does not log 100,000 lines.
    first_index: bool,
    /// Set by a reload: every file is parsed again, whatever its size and mtime, by the next
    /// full scan or chunk by chunk from `reparse_queue`.
    force_reparse: bool,
    /// Files a reload queued to be parsed again ([`Store::begin_reparse`]).
    reparse_queue: VecDeque<(String, PathBuf)>,
    /// The first walk of the seeds folder, started by [`Store::open_walking`] before the
    /// state database is read, so that the two overlap.
    walked_ahead: Option<std::thread::JoinHandle<scan::Walk>>,
    /// True when every published article's signature is computed (or could not be): related
    /// stories are shown only then, so that a page never lists a partial, wrong set.
    related_ready: bool,
}

impl Store {
    /// [`Store::open_walking`] without the walk, for tests that change the folder between
    /// the opening and the first comparison.
    #[cfg(test)]
    pub(crate) fn open(settings: &Settings, root: &Path) -> anyhow::Result<Self> {
        Self::open_filtered(settings, root, Filter::new(settings)?)
    }

    /// Opens the state database and loads its records, with `filter` made of `settings`; no
    /// file is read yet.
    fn open_filtered(settings: &Settings, root: &Path, filter: Filter) -> anyhow::Result<Self> {
        let db = StateDb::open(&settings.state.dir)?;
        let records = db.load_all()?.into_iter().collect();
        let parse_options = ParseOptions::new(settings)?;
        let cached_meta = if db.keep_meta_if(&parser_fingerprint(&parse_options))? {
            db.load_meta()?
        } else {
            info!("parser or parse settings changed since the last run; every file is read again");
            HashMap::new()
        };
        let bodies = Bodies::new(
            root,
            settings.seeds.follow_symlinks,
            parse_options.clone(),
            settings.seeds.max_file_bytes,
            settings.feed.items + BODY_CACHE_EXTRA,
        );
        Ok(Self {
            root: root.to_path_buf(),
            filter,
            bulk_options: Arc::new(parse_options.without_signatures()),
            parse_options: Arc::new(parse_options),
            max_file_bytes: settings.seeds.max_file_bytes,
            document_dates: Arc::new(db.document_dates()),
            db,
            records,
            first_seen: FirstSeenTimes::default(),
            index: Index::new(settings.seeds.fold_duplicates),
            skipped: BTreeMap::new(),
            left_out: BTreeMap::new(),
            pending: Vec::new(),
            tombstones: VecDeque::new(),
            renamed_from: HashMap::new(),
            renames_noted: VecDeque::new(),
            rename_window: Duration::from_millis(settings.watch.rename_window_ms),
            busy: HashSet::new(),
            cached_meta,
            bodies: Arc::new(bodies),
            first_index: true,
            force_reparse: false,
            reparse_queue: VecDeque::new(),
            related_ready: false,
            walked_ahead: None,
        })
    }

    /// Opens the state database and loads its records, with the seeds folder walked meanwhile
    /// on another thread for the first [`Store::reconcile_all`] (reading the database and
    /// walking 100,000 files take about 0.2 s each). What changes in the folder after the
    /// walk is what changes after any walk: the watcher or the next comparison sees it.
    pub(crate) fn open_walking(settings: &Settings, root: &Path) -> anyhow::Result<Self> {
        let filter = Filter::new(settings)?;
        let (walk_root, walk_filter) = (root.to_path_buf(), filter.clone());
        let walking = std::thread::Builder::new()
            .name("seedfeed-walk".into())
            .spawn(move || scan::walk_keyed(&walk_root, &walk_root, &walk_filter))
            .context("starting the thread that walks the seeds folder")?;
        let mut store = Self::open_filtered(settings, root, filter)?;
        store.walked_ahead = Some(walking);
        Ok(store)
    }

    /// Whether the first index will read every file: the state database holds no metadata
    /// to vouch for any (a first start, or a parser or parse settings that changed).
    pub(crate) fn first_index_reads_every_file(&self) -> bool {
        self.first_index && self.cached_meta.is_empty()
    }

    /// Computes every signature while indexing, bulk passes included (`seedfeed build`, which
    /// has no "after").
    pub(crate) fn sign_while_indexing(&mut self) {
        self.bulk_options = Arc::clone(&self.parse_options);
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
        // Walked under the old rules.
        self.walked_ahead = None;
        self.bulk_options = Arc::new(parse_options.without_signatures());
        self.parse_options = Arc::new(parse_options);
        // Cached metadata made under other parse settings must not be used by the next start.
        self.db
            .keep_meta_if(&parser_fingerprint(&self.parse_options))?;
        self.max_file_bytes = settings.seeds.max_file_bytes;
        self.rename_window = Duration::from_millis(settings.watch.rename_window_ms);
        self.bodies.reconfigure(
            settings.seeds.follow_symlinks,
            ParseOptions::clone(&self.parse_options),
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

    /// The published entries in feed order as they are now (shares the index's tree).
    pub(crate) fn published(&self) -> index::Published {
        self.index.published()
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

    /// The served documents' dates, kept in the state database.
    pub(crate) fn document_dates(&self) -> Arc<documents::DocumentDates> {
        Arc::clone(&self.document_dates)
    }

    fn set_record(&mut self, key: &str, record: FileRecord) {
        self.pending
            .push(DbOp::Put(key.to_string(), record.clone()));
        if let Some(entry) = self.index.get(key) {
            let mut entry = Entry::clone(entry);
            entry.record = record.clone();
            self.index.insert(entry);
        }
        let replaced = self.records.insert(key.to_string(), record);
        if let Some(record) = self.records.get(key) {
            self.first_seen.add(record, replaced.as_ref());
        }
    }

    /// The first-seen time of a file seen for the first time now, modified at `mtime_ns`.
    fn new_first_seen(&mut self, now_ms: i64, mtime_ns: i64) -> i64 {
        self.first_seen
            .pick(now_ms, mtime_ns, self.records.values())
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

/// Version of what the metadata cache holds; bumped when [`ArticleMeta`] changes shape or the
/// parser reads the same file differently (5: invisible characters leave titles and metadata,
/// more metadata words and month names, Latin-9 told from Windows-1252; 6: the structural
/// reader; 7: a missing signature means "not computed yet", an empty one "too short"; 8:
/// signatures of 24-bit values).
/// Edits to the lexicons need no bump: their text is part of the fingerprint.
const CACHE_SCHEMA: u32 = 8;

/// Identifies the parser and the settings that shape its output: cached articles made under
/// another fingerprint are parsed again.
fn parser_fingerprint(options: &ParseOptions) -> String {
    let described = format!(
        "{}|{CACHE_SCHEMA}|{options:?}|{:016x}",
        env!("CARGO_PKG_VERSION"),
        crate::article::lexicon_digest()
    );
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(described.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::apply::{MAX_LOGGED_TITLE_CHARS, logged};
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

    /// The related stories (keys) that an article page of `key` lists from `store` now.
    fn related_keys(store: &Store, key: &str) -> Vec<String> {
        let catalog = crate::views::Catalog::of(store);
        let ctx = crate::feed::FeedContext::new(
            &Settings::default(),
            "http://127.0.0.1:8080".parse().expect("url"),
        );
        let entry = store.entries().find(|e| e.key == key).expect("indexed");
        crate::views::related_entries(entry, &catalog, &ctx)
            .into_iter()
            .map(|(e, _)| e.key.clone())
            .collect()
    }

    // Issue 17: the first index leaves signatures to a thread that runs after the feeds are
    // served. A page answered before it is done lists no related stories, never part of
    // them; once done, the lists are the ones of a store that signed while indexing, and a
    // restart loads them from the state database.
    #[test]
    fn related_stories_wait_for_every_signature_then_match_signing_inline() {
        const FILES: [&str; 5] = [
            "fr_aes_moscou_a.txt",
            "fr_aes_moscou_b.txt",
            "fr_crue_garonne_a.txt",
            "fr_crue_garonne_b.txt",
            "en_iceland_volcano.txt",
        ];
        let texts: Vec<(&str, String)> = FILES
            .iter()
            .map(|name| {
                let path = format!(
                    "{}/tests/fixtures/related/{name}",
                    env!("CARGO_MANIFEST_DIR")
                );
                (*name, std::fs::read_to_string(path).expect("fixture"))
            })
            .collect();
        let files: Vec<(&str, &str)> = texts.iter().map(|(n, t)| (*n, t.as_str())).collect();
        let inline = Fixture::new();
        for (name, text) in &files {
            std::fs::write(inline.seeds().join(name), text).expect("write");
        }
        let mut expected_store = inline.open();
        expected_store.sign_while_indexing();
        expected_store.reconcile_all();
        assert!(expected_store.related_ready());
        let expected: Vec<Vec<String>> = FILES
            .iter()
            .map(|k| related_keys(&expected_store, k))
            .collect();
        assert_eq!(
            expected[0],
            ["fr_aes_moscou_b.txt"],
            "the fixtures are related"
        );

        let fx = Fixture::new();
        let hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
        for (name, text) in &files {
            let path = fx.seeds().join(name);
            std::fs::write(&path, text).expect("write");
            // Older than `RACY_MARGIN`, so that the restart below trusts size and mtime.
            let file = std::fs::File::options()
                .write(true)
                .open(&path)
                .expect("open");
            file.set_modified(hour_ago).expect("set mtime");
        }
        let mut store = fx.open();
        store.reconcile_all();
        assert!(!store.related_ready());
        let unsigned = store.unsigned();
        assert_eq!(unsigned.len(), FILES.len());
        for key in FILES {
            assert!(related_keys(&store, key).is_empty(), "{key} before signing");
        }
        // Half the signatures in: still none listed.
        let (first, rest) = unsigned.split_at(2);
        store.apply_signatures(signing::sign(first, &store.bodies()));
        for key in FILES {
            assert!(related_keys(&store, key).is_empty(), "{key} half signed");
        }
        store.apply_signatures(signing::sign(rest, &store.bodies()));
        store.signing_done();
        let after: Vec<Vec<String>> = FILES.iter().map(|k| related_keys(&store, k)).collect();
        assert_eq!(after, expected);
        drop(store);

        let mut restarted = fx.open();
        restarted.reconcile_all();
        assert!(
            restarted.related_ready(),
            "signatures saved with the metadata"
        );
        assert!(restarted.unsigned().is_empty());
        let again: Vec<Vec<String>> = FILES.iter().map(|k| related_keys(&restarted, k)).collect();
        assert_eq!(again, expected);
    }

    /// The id of the entry at `key`, if there is one.
    fn id_of(store: &Store, key: &str) -> Option<ArticleId> {
        store.entries().find(|e| e.key == key).map(|e| e.record.id)
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
        assert!(ids.get(id).is_some(), "still served while parsing again");
        let changes = store.reconcile_all();
        assert_eq!(changes.updated, 1, "parsed again under the new rules");
        assert!(ids.get(id).is_some());
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

    /// Waits until the walk [`Store::open_walking`] started is over.
    fn walk_ahead_done(store: &Store) {
        while !store.walked_ahead.as_ref().is_some_and(|w| w.is_finished()) {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    #[test]
    fn a_walk_ahead_of_the_database_finds_what_a_walk_finds() {
        let fx = Fixture::new();
        std::fs::create_dir_all(fx.seeds().join("wire/deep")).expect("mkdir");
        for name in [
            "a.txt",
            "wire/b.txt",
            "wire/deep/c.md",
            "notes.jpg",
            ".hidden.txt",
        ] {
            std::fs::write(fx.seeds().join(name), "Title\nBody.\n").expect("write");
        }
        std::os::unix::fs::symlink(fx.seeds().join("a.txt"), fx.seeds().join("link.txt"))
            .expect("symlink");
        let listing = |store: &Store| {
            let keys: Vec<String> = store.entries().map(|e| e.key.clone()).collect();
            (keys, store.left_out().clone())
        };
        let mut walking = Store::open_walking(&fx.settings, &fx.seeds()).expect("open");
        walking.reconcile_all();
        let mut settings = fx.settings.clone();
        settings.state.dir = fx.dir.path().join("other-state");
        let mut walked_after = Store::open(&settings, &fx.seeds()).expect("open");
        walked_after.reconcile_all();
        assert_eq!(listing(&walking), listing(&walked_after));
        assert_eq!(
            listing(&walking).0,
            ["a.txt", "wire/b.txt", "wire/deep/c.md"]
        );
    }

    #[test]
    fn a_walk_ahead_that_could_not_read_the_folder_is_done_again() {
        let fx = Fixture::new();
        std::fs::write(fx.seeds().join("a.txt"), "Title\nBody.\n").expect("write");
        let before = only_entry(&fx.indexed(&[]));
        let away = fx.dir.path().join("unmounted");
        std::fs::rename(fx.seeds(), &away).expect("move away");
        let mut store = Store::open_walking(&fx.settings, &fx.seeds()).expect("open");
        // The walk is over (and found no folder) before the folder is back.
        walk_ahead_done(&store);
        std::fs::rename(&away, fx.seeds()).expect("move back");
        std::fs::write(fx.seeds().join("b.txt"), "Second\nBody two.\n").expect("write");
        store.reconcile_all();
        let keys: Vec<&str> = store.entries().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["a.txt", "b.txt"]);
        assert_eq!(
            store.index.get("a.txt").expect("kept").record,
            before.record
        );
    }

    #[test]
    fn a_walk_ahead_serves_only_the_first_comparison() {
        let fx = Fixture::new();
        std::fs::write(fx.seeds().join("a.txt"), "Title\nBody.\n").expect("write");
        let mut store = Store::open_walking(&fx.settings, &fx.seeds()).expect("open");
        walk_ahead_done(&store);
        // The first comparison finds no folder and compares nothing; the next one, once the
        // folder is back, walks it again rather than use the walk made at start-up.
        let away = fx.dir.path().join("unmounted");
        std::fs::rename(fx.seeds(), &away).expect("move away");
        assert_eq!(store.reconcile_all(), Changes::default());
        std::fs::rename(&away, fx.seeds()).expect("move back");
        std::fs::write(fx.seeds().join("b.txt"), "Second\nBody two.\n").expect("write");
        store.reconcile_all();
        let keys: Vec<&str> = store.entries().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["a.txt", "b.txt"]);
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

    #[test]
    fn what_is_left_out_below_a_folder_excludes_its_siblings() {
        let fx = Fixture::new();
        let mut store = fx.open();
        for key in ["sub", "sub/a", "sub/b/c", "sub-x", "sub.d", "subway", "a"] {
            store.left_out.insert(key.into(), "why".into());
        }
        let taken: Vec<String> = store.take_left_out_under("sub").into_keys().collect();
        assert_eq!(taken, ["sub", "sub/a", "sub/b/c"]);
        let kept: Vec<&str> = store.left_out.keys().map(String::as_str).collect();
        assert_eq!(kept, ["a", "sub-x", "sub.d", "subway"]);
        assert_eq!(store.take_left_out_under("").len(), 4);
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

    /// The folded copies of `store`: (copy, the path published instead), by copy.
    fn folded(store: &Store) -> Vec<(&str, &str)> {
        store
            .duplicates()
            .iter()
            .map(|(copy, original)| (copy.as_str(), original.as_str()))
            .collect()
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
        assert_eq!(folded(&store), [("a.txt", "b.txt")]);
    }

    // Issue 17: each batch is applied while the next is read and parsed. Over three
    // batches, every file is taken once, in order (a duplicate in the third batch folds into
    // the first batch's file), skips are kept, and a restart on that state changes nothing.
    #[test]
    fn batches_applied_while_the_next_is_read_take_every_file_in_order() {
        let fx = Fixture::new();
        let total = 2 * prepare::PARSE_BATCH + 7;
        let (original, copy) = (3, 2 * prepare::PARSE_BATCH + 2);
        let empty = [100, prepare::PARSE_BATCH + 5];
        for i in 0..total {
            let text = match i {
                i if i == copy => format!("Article {original}\nBody of {original}.\n"),
                i if empty.contains(&i) => String::new(),
                i => format!("Article {i}\nBody of {i}.\n"),
            };
            std::fs::write(fx.seeds().join(format!("{i:05}.txt")), text).expect("write");
        }
        let mut store = fx.open();
        store.reconcile_all();
        assert_eq!(store.published_len(), total - 3);
        let [empty_a, empty_b, copy_name, original_name] =
            [empty[0], empty[1], copy, original].map(|i| format!("{i:05}.txt"));
        let skipped: Vec<&str> = store.skipped().keys().map(String::as_str).collect();
        assert_eq!(skipped, [empty_a.as_str(), empty_b.as_str()]);
        assert_eq!(
            folded(&store),
            [(copy_name.as_str(), original_name.as_str())]
        );
        let titles = |store: &Store| -> Vec<(String, String)> {
            let mut titles: Vec<_> = store
                .entries()
                .map(|e| (e.key.clone(), e.meta.title.clone()))
                .collect();
            titles.sort();
            titles
        };
        let before = titles(&store);
        for (key, title) in &before {
            let number: usize = key[..5].parse().expect("numbered");
            let expected = if number == copy { original } else { number };
            assert_eq!(title, &format!("Article {expected}"), "{key}");
        }
        drop(store);
        let mut store = fx.open();
        let changes = store.reconcile_all();
        assert_eq!(titles(&store), before);
        assert_eq!(changes.updated, 0);
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
            article_id("000_5f06b2f05f265a12.txt").to_string(),
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
