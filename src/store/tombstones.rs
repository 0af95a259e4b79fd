//! Tombstones of vanished files and the renames the kernel reported, kept for
//! `watch.rename_window_ms` (and at most [`MAX_TOMBSTONES`]), so that a file renamed, moved or
//! deleted and added again keeps its id and dates.

use super::*;

/// A file that vanished recently, remembered so that the same content reappearing under
/// another name (a rename seen as delete + create, or a move between subfolders) or the
/// same name (delete and re-add) keeps its id and dates.
#[derive(Debug, Clone)]
pub(super) struct Tombstone {
    pub(super) key: String,
    pub(super) record: FileRecord,
    pub(super) deleted: Instant,
}

/// Most tombstones kept at once; beyond it the oldest go first, so a mass delete cannot grow
/// memory without bound.
pub(crate) const MAX_TOMBSTONES: usize = 100_000;

impl Store {
    /// The tombstone of the file `key` was renamed from (see [`Store::renamed_tombstone`]),
    /// else the most recent one of the same content, else of the same name (re-added with
    /// other content).
    pub(super) fn take_tombstone(&mut self, key: &str, hash: u64) -> Option<Tombstone> {
        let index = self
            .renamed_tombstone(key)
            .or_else(|| self.tombstone_of(|t| t.record.hash == Some(hash)))
            .or_else(|| self.tombstone_of(|t| t.key == key))?;
        self.tombstones.remove(index)
    }

    /// The position of the most recent tombstone that `is` picks.
    pub(super) fn tombstone_of(&self, is: impl Fn(&Tombstone) -> bool) -> Option<usize> {
        self.tombstones.iter().rposition(is)
    }

    /// Remembers `renames` (from, to) for the rename window, at most [`MAX_TOMBSTONES`]
    /// (the oldest go first).
    pub(super) fn note_renames(&mut self, renames: &[(PathBuf, PathBuf)]) {
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

    pub(super) fn forget_oldest_rename(&mut self) {
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
    pub(super) fn renamed_tombstone(&self, key: &str) -> Option<usize> {
        let mut queue = VecDeque::from([key]);
        let mut visited: HashSet<&str> = std::iter::once(key).collect();
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
    pub(super) fn expire_tombstones(&mut self) {
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
}
