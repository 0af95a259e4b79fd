//! When each served document's bytes last changed, kept in the state database with a hash of
//! those bytes, so that `Last-Modified` survives restarts and cache evictions: a document
//! rendered again with the same bytes keeps the date it had (REDbot and clients revalidating
//! by date saw every feed as changed at each restart).
//!
//! Renderers ask [`DocumentDates::recorded`] when they have no earlier rendering at hand, and
//! [`DocumentDates::note`] the date of new bytes; the notes are written by
//! [`DocumentDates::flush`], which the indexer calls after each publish, once a second while
//! there are notes, and at shutdown. A note lost in a crash costs that document one new
//! `Last-Modified`, nothing else.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redb::{Database, ReadableDatabase, TableDefinition};
use tracing::{debug, warn};

/// Document path → (xxh3 hash of its identity bytes, `Last-Modified` in Unix seconds).
pub(super) const DOCUMENTS: TableDefinition<&str, (u64, i64)> = TableDefinition::new("documents");

/// Most notes waiting for [`DocumentDates::flush`]; further ones are dropped (those documents
/// get a new `Last-Modified` after a restart). A second's worth of renders is far below it.
pub(crate) const MAX_PENDING_DOCUMENT_DATES: usize = 4096;

/// The dates of the documents, in the state database.
#[derive(Debug)]
pub(crate) struct DocumentDates {
    db: Arc<Database>,
    path: PathBuf,
    pending: Mutex<Vec<(String, u64, i64)>>,
}

/// Whether a document at `path` has its date kept: not a filtered feed (`?q=` and the like,
/// without end), whose dates would grow the table with every distinct query.
fn kept(path: &str) -> bool {
    !path.contains('?')
}

impl DocumentDates {
    pub(super) fn new(db: Arc<Database>, path: PathBuf) -> Self {
        Self {
            db,
            path,
            pending: Mutex::new(Vec::new()),
        }
    }

    /// The hash of `path`'s bytes and their `Last-Modified` as last noted (written or not);
    /// `None` when none was, or the database cannot be read.
    pub(crate) fn recorded(&self, path: &str) -> Option<(u64, SystemTime)> {
        let noted = self
            .lock()
            .iter()
            .rev()
            .find(|(p, ..)| p == path)
            .map(|&(_, hash, secs)| (hash, secs));
        noted
            .or_else(|| self.read(path))
            .map(|(hash, secs)| (hash, at(secs)))
    }

    fn read(&self, path: &str) -> Option<(u64, i64)> {
        let read = || -> Result<Option<(u64, i64)>, redb::Error> {
            let txn = self.db.begin_read()?;
            let table = match txn.open_table(DOCUMENTS) {
                Ok(table) => table,
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
                Err(e) => return Err(e.into()),
            };
            Ok(table.get(path)?.map(|row| row.value()))
        };
        read().unwrap_or_else(|e| {
            debug!(db = %self.path.display(), error = %e, "document date not read");
            None
        })
    }

    /// Notes that `path`'s bytes, hashing to `hash`, are new as of `last_modified`.
    pub(crate) fn note(&self, path: &str, hash: u64, last_modified: SystemTime) {
        if !kept(path) {
            return;
        }
        let mut pending = self.lock();
        if pending.len() >= MAX_PENDING_DOCUMENT_DATES {
            debug!(
                path,
                "document date not kept: too many waiting to be written"
            );
            return;
        }
        pending.push((path.to_string(), hash, secs(last_modified)));
    }

    /// True when notes wait to be written.
    pub(crate) fn has_pending(&self) -> bool {
        !self.lock().is_empty()
    }

    /// Writes the notes in one transaction; on failure they are dropped with a warning (the
    /// documents keep their dates while the daemon runs).
    pub(crate) fn flush(&self) {
        let pending = std::mem::take(&mut *self.lock());
        if pending.is_empty() {
            return;
        }
        let write = || -> Result<(), redb::Error> {
            let txn = self.db.begin_write()?;
            {
                let mut table = txn.open_table(DOCUMENTS)?;
                for (path, hash, secs) in &pending {
                    table.insert(path.as_str(), (*hash, *secs))?;
                }
            }
            txn.commit()?;
            Ok(())
        };
        if let Err(e) = write() {
            warn!(db = %self.path.display(), error = %e, documents = pending.len(), "document dates not written; they may change on restart");
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(String, u64, i64)>> {
        self.pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn secs(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn at(secs: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dates(dir: &std::path::Path) -> DocumentDates {
        let path = dir.join("state.redb");
        let db = Database::create(&path).expect("create");
        DocumentDates::new(Arc::new(db), path)
    }

    #[test]
    fn a_date_is_kept_for_the_same_bytes_across_reopening() {
        let dir = tempfile::tempdir().expect("temp dir");
        let t1 = at(1_800_000_000);
        {
            let dates = dates(dir.path());
            assert_eq!(dates.recorded("/feed.atom"), None);
            dates.note("/feed.atom", 7, t1);
            // Seen before it is written, too.
            assert_eq!(dates.recorded("/feed.atom"), Some((7, t1)));
            assert!(dates.has_pending());
            dates.flush();
            assert!(!dates.has_pending());
        }
        let dates = dates(dir.path());
        assert_eq!(dates.recorded("/feed.atom"), Some((7, t1)));
        assert_eq!(dates.recorded("/feed.rss"), None, "another document");
        dates.note("/feed.atom", 8, at(1_800_000_100));
        dates.flush();
        assert_eq!(dates.recorded("/feed.atom"), Some((8, at(1_800_000_100))));
    }

    #[test]
    fn filtered_feeds_and_notes_beyond_the_bound_are_not_kept() {
        let dir = tempfile::tempdir().expect("temp dir");
        let dates = dates(dir.path());
        dates.note("/feed.atom?q=mali", 1, at(5));
        assert!(!dates.has_pending());
        for n in 0..=MAX_PENDING_DOCUMENT_DATES {
            dates.note(&format!("/articles/{n}.html"), 1, at(5));
        }
        assert_eq!(dates.lock().len(), MAX_PENDING_DOCUMENT_DATES);
        dates.flush();
        let last = format!("/articles/{MAX_PENDING_DOCUMENT_DATES}.html");
        assert_eq!(dates.recorded(&last), None);
        assert_eq!(dates.recorded("/articles/0.html"), Some((1, at(5))));
    }
}
