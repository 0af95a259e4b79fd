//! Making the index agree with the folder: a whole walk, the paths events named, or whole
//! folders; nothing is forgotten while the seeds folder or a subfolder cannot be read.

use super::tombstones::{MAX_TOMBSTONES, Tombstone};
use super::*;

/// Files parsed again per step after a reload: small enough that a change waits for at most
/// one chunk (some 40 ms) before the indexer publishes it.
pub(crate) const REPARSE_CHUNK: usize = 256;

impl Store {
    /// Reads the whole folder: new and changed files are (re)parsed, vanished ones removed.
    /// Files whose size and modification time are those last indexed are not read again.
    ///
    /// Nothing is forgotten below a folder that could not be read: a missing seeds folder (an
    /// unmounted disk) or an unreadable subfolder keeps its articles until it can be read.
    pub(crate) fn reconcile_all(&mut self) -> Changes {
        let started = Instant::now();
        let mut changes = Changes::default();
        let Some(found) = self.walk_and_forget(&mut changes) else {
            return changes;
        };
        self.ingest_all(&found, true, &mut changes);
        if self.first_index || self.force_reparse {
            self.related_ready = self.all_signed();
        }
        self.cached_meta = HashMap::new();
        if self.force_reparse {
            // Every file was just parsed again: a reparse under way has nothing left to do.
            self.reparse_queue.clear();
        }
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

    /// Starts parsing every file again after a reload: the folder is walked now under the new
    /// rules (files it no longer holds, or that the rules now leave out, leave at once), and
    /// the files found are queued for [`Store::reparse_next`], chunk by chunk, between which
    /// the indexer publishes other changes. Entries stay published until parsed again.
    pub(crate) fn begin_reparse(&mut self) -> Changes {
        let mut changes = Changes::default();
        self.reparse_queue.clear();
        let Some(found) = self.walk_and_forget(&mut changes) else {
            return changes;
        };
        self.flush();
        self.related_ready = false;
        self.reparse_queue = found.into();
        changes
    }

    /// The first half of a full comparison: the whole folder walked, what it could not take
    /// in noted, and the known files it no longer holds forgotten (first, so that their
    /// tombstones let renamed ones keep their ids). Returns the files found (key, path), or
    /// `None` when the seeds folder is not there (then nothing is forgotten).
    fn walk_and_forget(&mut self, changes: &mut Changes) -> Option<Vec<(String, PathBuf)>> {
        // The walk ahead is for this comparison only: taken now, even when the folder is
        // gone and nothing is compared, so that no later comparison uses an old listing.
        let walked_ahead = self.walked_ahead.take();
        if !self.root_is_there() {
            return None;
        }
        self.expire_tombstones();
        // A walk ahead that could not read the folder itself is not trusted: the folder may
        // have appeared since, and its listing would forget every article.
        let (found, problems) = walked_ahead
            .and_then(|walking| walking.join().ok())
            .filter(|(_, problems)| !problems.iter().any(|p| p.path == self.root))
            .unwrap_or_else(|| scan::walk_keyed(&self.root, &self.root, &self.filter));
        self.note_left_out("", &problems, changes);
        let seen: HashSet<&str> = found.iter().map(|(key, _)| key.as_str()).collect();
        let missing: Vec<String> = (self.records.keys())
            .filter(|k| !seen.contains(k.as_str()))
            .cloned()
            .collect();
        drop(seen);
        self.forget_missing(missing, &problems, changes);
        Some(found)
    }

    /// True while files queued by [`Store::begin_reparse`] wait to be parsed again.
    pub(crate) fn reparsing(&self) -> bool {
        !self.reparse_queue.is_empty()
    }

    /// Parses the next [`REPARSE_CHUNK`] queued files again (one transaction); after the
    /// last, the reload is complete.
    pub(crate) fn reparse_next(&mut self) -> Changes {
        let mut changes = Changes::default();
        let n = self.reparse_queue.len().min(REPARSE_CHUNK);
        let chunk: Vec<(String, PathBuf)> = self.reparse_queue.drain(..n).collect();
        self.ingest_all(&chunk, true, &mut changes);
        self.flush();
        if self.reparse_queue.is_empty() {
            self.force_reparse = false;
            self.related_ready = self.all_signed();
        }
        changes
    }

    /// True when the seeds folder is there; else nothing may be forgotten (an unmounted disk
    /// or a deleted folder must not empty the feeds), and this says so in the log.
    pub(super) fn root_is_there(&self) -> bool {
        let there = self.root.is_dir();
        if !there {
            warn!(path = %self.root.display(), "seeds folder is missing; keeping the last known articles");
        }
        there
    }

    /// Forgets the `missing` keys (known, but not found by a walk), except below folders the
    /// walk could not read.
    pub(super) fn forget_missing(
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
    pub(super) fn reconcile_one(
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
                let (found, problems) = if self.filter.is_visible(Path::new(key)) {
                    scan::walk_keyed(&self.root, path, &self.filter)
                } else {
                    (Vec::new(), Vec::new())
                };
                self.note_left_out(key, &problems, changes);
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
    pub(super) fn note_left_out(
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
    pub(super) fn take_left_out_under(&mut self, under: &str) -> BTreeMap<String, String> {
        if under.is_empty() {
            return std::mem::take(&mut self.left_out);
        }
        // `under` itself and the keys below it: `under/...` (not siblings such as `under-x`).
        let mine: Vec<String> = self
            .left_out
            .range::<str, _>((std::ops::Bound::Included(under), std::ops::Bound::Unbounded))
            .map(|(key, _)| key)
            .take_while(|key| key.starts_with(under))
            .filter(|key| key.len() == under.len() || key[under.len()..].starts_with('/'))
            .cloned()
            .collect();
        mine.into_iter()
            .filter_map(|key| self.left_out.remove_entry(&key))
            .collect()
    }

    /// Lists or unlists a path named by an event whose name is not UTF-8.
    pub(super) fn note_name_not_utf8(
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
    pub(super) fn forget_tree(&mut self, key: &str, changes: &mut Changes) {
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
    pub(super) fn keys_under(&self, key: &str) -> Vec<String> {
        let prefix = format!("{key}/");
        self.records
            .keys()
            .filter(|k| k.starts_with(&prefix))
            .cloned()
            .collect()
    }

    /// Drops everything known about `key` (the file is gone), keeping a tombstone for
    /// `watch.rename_window_ms` in case the same content comes back.
    pub(super) fn forget(&mut self, key: &str, changes: &mut Changes) {
        if let Some(entry) = self.index.remove(key) {
            info!(file = key, id = %entry.record.id, "removed");
            changes.removed += 1;
        }
        if self.skipped.remove(key).is_some() {
            changes.skips += 1;
        }
        if let Some(record) = self.records.remove(key) {
            self.first_seen.remove(&record);
            self.pending.push(DbOp::Delete(key.to_string()));
            self.pending
                .push(DbOp::ForgetDocument(record.id.page_path()));
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
}
