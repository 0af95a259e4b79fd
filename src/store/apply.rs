//! Applying a prepared file to the store: published, updated, skipped or unchanged, with its
//! record kept and its id chosen (a tombstone's, or a new one).

use super::prepare::Prepared;
use super::*;

/// What happened to one file.
pub(super) enum Outcome {
    Unchanged,
    /// Not published before nor now, but listed as skipped for a new reason.
    Skipped,
    Published,
    Updated,
    Removed,
}

/// Most characters of a title written to the log: a scraped page can have a title of
/// 200 KB, which would otherwise be one log line of 200 KB.
pub(crate) const MAX_LOGGED_TITLE_CHARS: usize = 160;

/// `title` as the log shows it: at most [`MAX_LOGGED_TITLE_CHARS`] characters, then "…".
pub(super) fn logged(title: &str) -> std::borrow::Cow<'_, str> {
    match title.char_indices().nth(MAX_LOGGED_TITLE_CHARS) {
        Some((cut, _)) => format!("{}…", &title[..cut]).into(),
        None => title.into(),
    }
}

impl Store {
    /// The part of indexing one file that changes the store.
    pub(super) fn apply(&mut self, key: &str, prepared: Prepared, changes: &mut Changes) {
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
    pub(super) fn apply_cached(&mut self, key: &str, meta: Arc<ArticleMeta>) -> Outcome {
        let Some(record) = self.records.get(key).cloned() else {
            return Outcome::Unchanged;
        };
        debug!(file = key, id = %record.id, "loaded");
        self.skipped.remove(key);
        self.index.insert(Entry {
            key: key.to_string(),
            record,
            meta,
        });
        Outcome::Published
    }

    pub(super) fn apply_content(
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
            first_seen_ms: self.new_first_seen(now_ms, mtime_ns),
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
                match db::encode_meta(&meta) {
                    Some(bytes) => self.pending.push(DbOp::PutMeta(key.to_string(), bytes)),
                    None => debug!(file = key, "article metadata not cached"),
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

    pub(super) fn apply_skip(&mut self, key: &str, reason: SkipReason) -> Outcome {
        let newly_skipped = self.skipped.get(key) != Some(&reason);
        if newly_skipped {
            warn!(file = key, reason = %reason, "skipped");
            // Its cached metadata, if any, must not publish it on the next start.
            self.pending.push(DbOp::DeleteMeta(key.to_string()));
        }
        self.skipped.insert(key.to_string(), reason);
        if !self.records.contains_key(key) {
            let first_seen_ms = self.new_first_seen(Utc::now().timestamp_millis(), 0);
            self.set_record(
                key,
                FileRecord {
                    id: self.new_id(key),
                    first_seen_ms,
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

    /// The id of a new article at `key`: [`article_id`], unless a published article already
    /// has it (the file that was at `key` moved away and kept its id): then one derived from
    /// the path and a counter, so that no two published articles ever share an id.
    pub(super) fn new_id(&self, key: &str) -> ArticleId {
        let taken = |id: &ArticleId| self.index.id_taken(id, key);
        let id = article_id(key);
        if !taken(&id) {
            return id;
        }
        (1u64..)
            .map(|n| article_id(&format!("{key}#{n}")))
            .find(|id| !taken(id))
            .unwrap_or(id)
    }
}
