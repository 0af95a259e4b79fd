//! The in-memory index of articles: entries by path, the published ones ordered newest first,
//! copies with identical content folded into the one seen first, and the id → entry map that
//! article pages are served from. Every change costs O(log n) (plus the few files sharing one
//! content hash), so one changed file never walks the whole folder again.

use std::borrow::Borrow;
use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BTreeSet, hash_map};

use foldhash::{HashMap, HashMapExt};
use std::sync::{Arc, RwLock};

use crate::model::{ArticleId, Entry, Facets};

/// Published entries by id.
type IdMap = HashMap<ArticleId, Arc<Entry>>;

/// Published entries by article id, shared with the HTTP handlers that serve article pages.
#[derive(Debug, Default)]
pub(crate) struct PublishedIds(RwLock<IdMap>);

impl PublishedIds {
    /// The published entry with the id `id`.
    pub(crate) fn get(&self, id: ArticleId) -> Option<Arc<Entry>> {
        self.read().get(&id).map(Arc::clone)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, IdMap> {
        self.0
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, IdMap> {
        self.0
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// An entry's key among those set aside while loading in bulk: its address, which cannot be
/// reused while the entry it names is held there.
fn bulk_key(entry: &Arc<Entry>) -> usize {
    Arc::as_ptr(entry) as usize
}

/// An entry in feed order: newest publication date first, then latest first-seen time, then
/// path. The times are taken out once, so that the comparisons of an insertion (some twenty in
/// a tree of 100,000) compare integers before they compare paths.
#[derive(Debug, Clone)]
pub(crate) struct Newest {
    published_ms: i64,
    entry: Arc<Entry>,
}

impl Newest {
    fn of(entry: &Arc<Entry>) -> Self {
        Self {
            published_ms: entry.published().0.timestamp_millis(),
            entry: Arc::clone(entry),
        }
    }

    fn sort_key(&self) -> (Reverse<i64>, Reverse<i64>, &str) {
        (
            Reverse(self.published_ms),
            Reverse(self.entry.record.first_seen_ms),
            &self.entry.key,
        )
    }
}

/// The published entries in feed order, newest first: a persistent tree whose clones share
/// their nodes, so each snapshot keeps the order of its moment for the cost of a pointer.
pub(crate) type Published = imbl::OrdSet<Newest>;

/// `published` in feed order, newest first.
pub(crate) fn newest_first(published: &Published) -> impl Iterator<Item = &Arc<Entry>> {
    published.iter().map(|n| &n.entry)
}

impl PartialEq for Newest {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Newest {}

impl PartialOrd for Newest {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Newest {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sort_key().cmp(&other.sort_key())
    }
}

/// An entry ordered and looked up by its path: a set of these is a map by path that holds
/// each path once, in the entry (a map by a copy of the path cost 40 bytes more an entry).
#[derive(Debug, Clone)]
struct ByKey(Arc<Entry>);

impl Borrow<str> for ByKey {
    fn borrow(&self) -> &str {
        &self.0.key
    }
}

impl PartialEq for ByKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.key == other.0.key
    }
}

impl Eq for ByKey {}

impl PartialOrd for ByKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ByKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.key.cmp(&other.0.key)
    }
}

/// Articles by path, with the published ones in feed order.
#[derive(Debug)]
pub struct Index {
    entries: BTreeSet<ByKey>,
    newest: Published,
    /// One entry per content hash, when identical copies are folded: nearly every content is
    /// one file's, and this is all its group (16 bytes a file; a list per hash took 40).
    by_hash: HashMap<u64, Arc<Entry>>,
    /// The other entries of each content hash that several files have (in no order).
    copies: HashMap<u64, Vec<Arc<Entry>>>,
    /// Folded copies: path → path of the copy published instead.
    duplicates: BTreeMap<String, String>,
    fold_duplicates: bool,
    ids: Arc<PublishedIds>,
    /// Published entries per source folder and per tag.
    facets: Facets,
    /// While loading in bulk ([`Index::begin_bulk`]): the entries published meanwhile, by
    /// address, put in feed order at once by [`Index::end_bulk`].
    bulk: Option<HashMap<usize, Newest>>,
}

impl Index {
    /// An empty index; `fold_duplicates` publishes identical content once.
    pub fn new(fold_duplicates: bool) -> Self {
        Self {
            entries: BTreeSet::new(),
            newest: Published::new(),
            by_hash: HashMap::new(),
            copies: HashMap::new(),
            duplicates: BTreeMap::new(),
            fold_duplicates,
            ids: Arc::new(PublishedIds::default()),
            facets: Facets::default(),
            bulk: None,
        }
    }

    /// The id map shared with page handlers; it stays the same object for the index's life.
    pub(crate) fn published_ids(&self) -> Arc<PublishedIds> {
        Arc::clone(&self.ids)
    }

    /// Empties the index, switching duplicate folding on or off.
    pub(crate) fn clear(&mut self, fold_duplicates: bool) {
        self.entries.clear();
        self.newest = Published::new();
        self.by_hash.clear();
        self.copies.clear();
        self.duplicates.clear();
        self.fold_duplicates = fold_duplicates;
        self.ids.write().clear();
        self.facets = Facets::default();
        if let Some(bulk) = &mut self.bulk {
            bulk.clear();
        }
    }

    /// True when identical copies are folded into one.
    pub(crate) fn folds_duplicates(&self) -> bool {
        self.fold_duplicates
    }

    /// The entry at `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&Arc<Entry>> {
        self.entries.get(key).map(|e| &e.0)
    }

    /// True when `key` has an entry (published or folded).
    pub(crate) fn contains(&self, key: &str) -> bool {
        self.entries.contains(key)
    }

    /// Every entry, published or folded, by path.
    pub(crate) fn entries(&self) -> impl ExactSizeIterator<Item = &Arc<Entry>> {
        self.entries.iter().map(|e| &e.0)
    }

    /// Published entries, newest first.
    pub fn newest(&self) -> impl Iterator<Item = &Arc<Entry>> {
        debug_assert!(self.bulk.is_none(), "feed order read while loading in bulk");
        newest_first(&self.newest)
    }

    /// The published entries in feed order as they are now, sharing the index's tree.
    pub(crate) fn published(&self) -> Published {
        debug_assert!(self.bulk.is_none(), "feed order read while loading in bulk");
        self.newest.clone()
    }

    /// Number of published entries.
    pub(crate) fn published_len(&self) -> usize {
        debug_assert!(self.bulk.is_none(), "feed order read while loading in bulk");
        self.newest.len()
    }

    /// Published entries per source folder and per tag.
    pub(crate) fn facets(&self) -> &Facets {
        &self.facets
    }

    /// Folded copies: path → path of the copy published instead.
    pub(crate) fn duplicates(&self) -> &BTreeMap<String, String> {
        &self.duplicates
    }

    /// Adds or replaces the entry at its key. Page handlers see the old entry or the new one,
    /// never neither: the id map stays locked for the whole replacement.
    pub fn insert(&mut self, entry: Entry) {
        let ids = Arc::clone(&self.ids);
        let mut ids = ids.write();
        self.remove_locked(&entry.key, &mut ids);
        let entry = Arc::new(entry);
        self.entries.insert(ByKey(Arc::clone(&entry)));
        match entry.record.hash.filter(|_| self.fold_duplicates) {
            Some(hash) => {
                match self.by_hash.entry(hash) {
                    hash_map::Entry::Vacant(first) => {
                        first.insert(entry);
                    }
                    hash_map::Entry::Occupied(_) => {
                        self.copies.entry(hash).or_default().push(entry)
                    }
                }
                self.settle(hash, &mut ids);
            }
            None => self.publish(entry, &mut ids),
        }
    }

    /// True when a published article other than the one at `key` has the id `id`.
    pub(crate) fn id_taken(&self, id: &ArticleId, key: &str) -> bool {
        self.ids
            .read()
            .get(id)
            .is_some_and(|entry| entry.key != key)
    }

    /// Removes the entry at `key`, returning it.
    pub fn remove(&mut self, key: &str) -> Option<Arc<Entry>> {
        let ids = Arc::clone(&self.ids);
        let mut ids = ids.write();
        self.remove_locked(key, &mut ids)
    }

    fn remove_locked(&mut self, key: &str, ids: &mut IdMap) -> Option<Arc<Entry>> {
        let ByKey(entry) = self.entries.take(key)?;
        self.unpublish(&entry, ids);
        self.duplicates.remove(key);
        if let Some(hash) = entry.record.hash.filter(|_| self.fold_duplicates) {
            if self.by_hash.get(&hash).is_some_and(|e| e.key == key) {
                // Another copy, if any, takes the place of the one gone.
                match self.copies.get_mut(&hash).and_then(Vec::pop) {
                    Some(next) => self.by_hash.insert(hash, next),
                    None => self.by_hash.remove(&hash),
                };
            } else if let Some(copies) = self.copies.get_mut(&hash) {
                copies.retain(|e| e.key != key);
            }
            if self.copies.get(&hash).is_some_and(Vec::is_empty) {
                self.copies.remove(&hash);
            }
            self.settle(hash, ids);
        }
        Some(entry)
    }

    /// Publishes the copy of `hash` seen first (ties broken by path) and folds the others.
    fn settle(&mut self, hash: u64, ids: &mut IdMap) {
        let Some(first) = self.by_hash.get(&hash).map(Arc::clone) else {
            return;
        };
        let Some(copies) = self.copies.get(&hash) else {
            // The usual case: content no other file has.
            self.duplicates.remove(&first.key);
            self.publish(first, ids);
            return;
        };
        let mut group: Vec<Arc<Entry>> = std::iter::once(first)
            .chain(copies.iter().map(Arc::clone))
            .collect();
        group.sort_by(|a, b| {
            (a.record.first_seen_ms, &a.key).cmp(&(b.record.first_seen_ms, &b.key))
        });
        let Some((original, copies)) = group.split_first() else {
            return;
        };
        self.duplicates.remove(&original.key);
        self.publish(Arc::clone(original), ids);
        for copy in copies {
            self.unpublish(copy, ids);
            self.duplicates
                .insert(copy.key.clone(), original.key.clone());
        }
    }

    fn publish(&mut self, entry: Arc<Entry>, ids: &mut IdMap) {
        ids.insert(entry.record.id, Arc::clone(&entry));
        let new = match &mut self.bulk {
            // Already in feed order when it was published before the bulk began.
            Some(bulk) => {
                let newest = Newest::of(&entry);
                !self.newest.contains(&newest) && bulk.insert(bulk_key(&entry), newest).is_none()
            }
            None => self.newest.insert(Newest::of(&entry)).is_none(),
        };
        if new {
            self.count_facets(&entry, true);
        }
    }

    /// Starts loading in bulk: until [`Index::end_bulk`], published entries are set aside
    /// rather than put in feed order one by one. Each insertion walks the tree of feed order
    /// from its root; in order, that is the path the last one walked, still in the cache, in
    /// file order it is all over memory (100,000 entries in file order took about 0.2 s of a
    /// warm start, in feed order a third of that). Meanwhile the feed order (`newest`,
    /// `published`, `published_len`) lacks them and must not be read; lookups by path and
    /// id, and the source and tag counts, have them.
    pub(crate) fn begin_bulk(&mut self) {
        self.bulk.get_or_insert_with(HashMap::new);
    }

    /// Puts the entries published since [`Index::begin_bulk`] in feed order.
    pub(crate) fn end_bulk(&mut self) {
        let Some(bulk) = self.bulk.take() else {
            return;
        };
        let mut newest: Vec<Newest> = bulk.into_values().collect();
        newest.sort_unstable();
        for entry in newest {
            self.newest.insert(entry);
        }
    }

    fn unpublish(&mut self, entry: &Arc<Entry>, ids: &mut IdMap) {
        let id = entry.record.id;
        if ids.get(&id).is_some_and(|e| Arc::ptr_eq(e, entry)) {
            ids.remove(&id);
        }
        let set_aside = self
            .bulk
            .as_mut()
            .is_some_and(|bulk| bulk.remove(&bulk_key(entry)).is_some());
        if set_aside || self.newest.remove(&Newest::of(entry)).is_some() {
            self.count_facets(entry, false);
        }
    }

    /// Counts a newly published entry in its source and tags, or uncounts an unpublished one.
    fn count_facets(&mut self, entry: &Entry, published: bool) {
        if let Some(source) = entry.source_folder() {
            count(&mut self.facets.sources, source, published);
        }
        for tag in entry.tag_keys() {
            count(&mut self.facets.tags, &tag, published);
        }
    }
}

/// Adds one to `key`'s count, or takes one away (dropping it at zero).
fn count(counts: &mut BTreeMap<String, usize>, key: &str, add: bool) {
    match counts.get_mut(key) {
        Some(n) if add => *n += 1,
        Some(n) => {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.remove(key);
            }
        }
        None if add => {
            counts.insert(key.to_string(), 1);
        }
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::article::{ArticleMeta, DateSource};
    use crate::model::{FileRecord, article_id};
    use chrono::{TimeZone, Utc};

    fn entry(key: &str, day: Option<u32>, first_seen_ms: i64, hash: u64) -> Entry {
        Entry {
            key: key.to_string(),
            record: FileRecord {
                id: article_id(key),
                first_seen_ms,
                changed_ms: None,
                hash: Some(hash),
                size: 1,
                mtime_ns: 0,
                racily_clean: false,
            },
            meta: Arc::new(ArticleMeta {
                title: key.to_string(),
                date: day.map(|d| {
                    let date = Utc.with_ymd_and_hms(2025, 4, d, 0, 0, 0).single();
                    (date.unwrap_or_default(), DateSource::Metadata)
                }),
                author: None,
                source: None,
                tags: Box::default(),
                language: "en".into(),
                signature: crate::related::SignatureCell::default(),
            }),
        }
    }

    fn newest_keys(index: &Index) -> Vec<&str> {
        index.newest().map(|e| e.key.as_str()).collect()
    }

    #[test]
    fn loading_in_bulk_ends_as_one_by_one() {
        // Random inserts (some with the content of another file, some dated the same day),
        // changes and removals, applied to an index one by one and to one loading in bulk
        // (with some entries published before the bulk began).
        for seed in 1..=40u64 {
            let mut state = seed;
            let mut next = |n: u64| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state % n
            };
            let ops: Vec<(u64, u64, u64, u64)> = (0..120)
                .map(|_| (next(40), next(5), next(8), next(12)))
                .collect();
            let apply = |index: &mut Index, ops: &[(u64, u64, u64, u64)]| {
                for &(file, kind, day, hash) in ops {
                    let key = format!("{file:02}.txt");
                    if kind == 0 {
                        index.remove(&key);
                    } else {
                        let day = u32::try_from(day).ok().filter(|&d| d > 0);
                        let seen = i64::try_from(file % 3).unwrap_or_default();
                        index.insert(entry(&key, day, seen, hash));
                    }
                }
            };
            let (before, during) = ops.split_at(30);
            let mut one_by_one = Index::new(true);
            apply(&mut one_by_one, &ops);
            let mut bulk = Index::new(true);
            apply(&mut bulk, before);
            bulk.begin_bulk();
            apply(&mut bulk, during);
            bulk.end_bulk();
            assert_eq!(newest_keys(&bulk), newest_keys(&one_by_one), "seed {seed}");
            assert_eq!(bulk.facets(), one_by_one.facets(), "seed {seed}");
            assert_eq!(bulk.duplicates(), one_by_one.duplicates(), "seed {seed}");
            assert_eq!(
                bulk.published_len(),
                one_by_one.published_len(),
                "seed {seed}"
            );
            // Against a model: the files left, by content; of each content the one seen
            // first (ties by path) is published, every other one folded into it.
            let mut files: BTreeMap<String, (i64, u64)> = BTreeMap::new();
            for &(file, kind, _, hash) in &ops {
                let key = format!("{file:02}.txt");
                if kind == 0 {
                    files.remove(&key);
                } else {
                    files.insert(key, (i64::try_from(file % 3).unwrap_or_default(), hash));
                }
            }
            let mut originals: BTreeMap<u64, (i64, &str)> = BTreeMap::new();
            for (key, &(seen, hash)) in &files {
                let first = originals.entry(hash).or_insert((seen, key));
                *first = (*first).min((seen, key));
            }
            let mut published: Vec<&str> = originals.values().map(|&(_, key)| key).collect();
            published.sort_unstable();
            let mut listed = newest_keys(&one_by_one);
            listed.sort_unstable();
            assert_eq!(listed, published, "seed {seed}");
            let folded: BTreeMap<&str, &str> = files
                .iter()
                .filter_map(|(key, (_, hash))| {
                    let original = originals.get(hash)?.1;
                    (original != key).then_some((key.as_str(), original))
                })
                .collect();
            let duplicates: BTreeMap<&str, &str> = one_by_one
                .duplicates()
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            assert_eq!(duplicates, folded, "seed {seed}");
        }
    }

    #[test]
    fn published_entries_come_newest_first() {
        let mut index = Index::new(true);
        index.insert(entry("b.txt", Some(3), 10, 1));
        index.insert(entry("a.txt", Some(5), 10, 2));
        index.insert(entry("c.txt", Some(3), 20, 3));
        index.insert(entry("d.txt", Some(3), 20, 4));
        assert_eq!(newest_keys(&index), ["a.txt", "c.txt", "d.txt", "b.txt"]);
        // Redating moves an entry, replacing its old position.
        index.insert(entry("b.txt", Some(9), 10, 1));
        assert_eq!(newest_keys(&index), ["b.txt", "a.txt", "c.txt", "d.txt"]);
        index.remove("a.txt");
        assert_eq!(newest_keys(&index), ["b.txt", "c.txt", "d.txt"]);
        assert_eq!(index.published_ids().0.read().expect("ids").len(), 3);
    }

    #[test]
    fn identical_copies_publish_the_first_seen_until_it_goes() {
        let mut index = Index::new(true);
        index.insert(entry("late.txt", Some(1), 20, 7));
        index.insert(entry("early.txt", Some(1), 10, 7));
        assert_eq!(newest_keys(&index), ["early.txt"]);
        assert_eq!(
            index.duplicates().get("late.txt").map(String::as_str),
            Some("early.txt")
        );
        let ids = index.published_ids();
        assert!(ids.get(article_id("early.txt")).is_some());
        assert!(ids.get(article_id("late.txt")).is_none());

        index.remove("early.txt");
        assert_eq!(newest_keys(&index), ["late.txt"]);
        assert!(index.duplicates().is_empty());
        assert!(ids.get(article_id("late.txt")).is_some());

        // A changed copy leaves the group and is published on its own.
        index.insert(entry("early.txt", Some(1), 10, 7));
        index.insert(entry("late.txt", Some(2), 20, 8));
        assert_eq!(newest_keys(&index), ["late.txt", "early.txt"]);
    }

    #[test]
    fn without_folding_every_copy_is_published() {
        let mut index = Index::new(false);
        index.insert(entry("a.txt", Some(1), 10, 7));
        index.insert(entry("b.txt", Some(1), 20, 7));
        assert_eq!(index.published_len(), 2);
        assert!(index.duplicates().is_empty());
        index.clear(true);
        assert_eq!(index.published_len(), 0);
        assert!(index.published_ids().0.read().expect("ids").is_empty());
    }
}
