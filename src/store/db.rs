//! The state database: one record per known file, and the metadata of each published article
//! (so that a restart does not read again files whose size and mtime are unchanged), in
//! `redb`.
//!
//! redb is an embedded, pure-Rust, copy-on-write B-tree store with ACID transactions: a crash
//! at any point leaves the last committed transaction intact, it needs no C toolchain (unlike
//! bundled SQLite) and its key-value model is exactly what is stored here (path → record).

use std::path::{Path, PathBuf};

use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};

use crate::model::FileRecord;

/// File name of the database inside the state directory.
pub(crate) const DB_FILE_NAME: &str = "state.redb";

/// path relative to the seeds dir (with `/` separators) → JSON-encoded [`FileRecord`].
const FILES: TableDefinition<&str, &[u8]> = TableDefinition::new("files");

/// path → JSON-encoded [`crate::article::ArticleMeta`], valid for the record's size and mtime
/// and the parser fingerprint.
const ARTICLE_META: TableDefinition<&str, &[u8]> = TableDefinition::new("article_meta");

/// The whole parsed articles that versions before 0.2 cached (bodies included, ten times the
/// size): dropped on open.
const LEGACY_ARTICLES: TableDefinition<&str, &[u8]> = TableDefinition::new("articles");

/// Memory redb may use to cache database pages. Its default (1 GiB) would let the cache alone
/// exceed the daemon's memory budget; rows are read once at start-up and written in batches,
/// so a small cache costs nothing measurable.
pub(crate) const STATE_DB_CACHE_BYTES: usize = 16 * 1024 * 1024;

/// Settings the cached articles depend on.
const META: TableDefinition<&str, &str> = TableDefinition::new("meta");

/// Key in [`META`] of the fingerprint of the parser version and options that produced the
/// cached articles.
const PARSER_KEY: &str = "parser";

/// Errors of the state database, with the file they concern.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DbError {
    /// The database could not be opened or created.
    #[error("cannot open state database {path}: {source}")]
    Open {
        /// The database file.
        path: PathBuf,
        /// What redb said.
        source: redb::DatabaseError,
    },
    /// A read or write failed.
    #[error("state database {path}: {source}")]
    Io {
        /// The database file.
        path: PathBuf,
        /// What redb said.
        source: redb::Error,
    },
    /// A record could not be decoded (written by an incompatible version, or damaged).
    #[error("state database {path}: bad record for {key:?}: {source}")]
    Record {
        /// The database file.
        path: PathBuf,
        /// The record's key.
        key: String,
        /// The decoding error.
        source: serde_json::Error,
    },
}

/// One change to apply in a transaction.
#[derive(Debug, Clone)]
pub(crate) enum DbOp {
    /// Insert or replace the record for a path.
    Put(String, FileRecord),
    /// Store the article metadata of a path (JSON).
    PutMeta(String, Vec<u8>),
    /// Drop the article metadata of a path (it is no longer published).
    DeleteMeta(String),
    /// Forget a path.
    Delete(String),
}

/// Reads cached article metadata; see [`StateDb::meta_reader`].
pub(crate) struct MetaReader {
    table: redb::ReadOnlyTable<&'static str, &'static [u8]>,
}

impl MetaReader {
    /// The cached metadata (JSON) of the article at `key`; `None` when there is none or it
    /// cannot be read (the file is then read and parsed instead).
    pub(crate) fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.table
            .get(key)
            .ok()
            .flatten()
            .map(|v| v.value().to_vec())
    }
}

/// The open state database.
pub(crate) struct StateDb {
    db: Database,
    path: PathBuf,
}

impl StateDb {
    /// Opens (creating if needed) the database in `state_dir`, creating the directory too.
    pub(crate) fn open(state_dir: &Path) -> Result<Self, DbError> {
        let path = state_dir.join(DB_FILE_NAME);
        let open_err = |source| DbError::Open {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(state_dir)
            .map_err(|e| open_err(redb::DatabaseError::Storage(redb::StorageError::Io(e))))?;
        let db = Database::builder()
            .set_cache_size(STATE_DB_CACHE_BYTES)
            .create(&path)
            .map_err(open_err)?;
        let state = Self { db, path };
        state.drop_legacy_articles()?;
        // Create the table so that reads of a fresh database find it.
        state.apply(&[])?;
        Ok(state)
    }

    /// Drops the table of whole parsed articles that older versions kept.
    fn drop_legacy_articles(&self) -> Result<(), DbError> {
        let txn = self.db.begin_write().map_err(|e| self.io(e))?;
        txn.delete_table(LEGACY_ARTICLES).map_err(|e| self.io(e))?;
        txn.commit().map_err(|e| self.io(e))
    }

    /// Every stored record, decoded as it is read (no copy of the raw rows is held).
    pub(crate) fn load_all(&self) -> Result<Vec<(String, FileRecord)>, DbError> {
        let txn = self.db.begin_read().map_err(|e| self.io(e))?;
        let table = txn.open_table(FILES).map_err(|e| self.io(e))?;
        let mut records = Vec::with_capacity(table.len().map_err(|e| self.io(e))? as usize);
        for row in table.iter().map_err(|e| self.io(e))? {
            let (key, value) = row.map_err(|e| self.io(e))?;
            let key = key.value().to_string();
            match serde_json::from_slice(value.value()) {
                Ok(record) => records.push((key, record)),
                Err(source) => {
                    return Err(DbError::Record {
                        path: self.path.clone(),
                        key,
                        source,
                    });
                }
            }
        }
        Ok(records)
    }

    /// A consistent read view of the cached article metadata, for one thread's lookups (so
    /// that a start does not hold every row in memory at once).
    pub(crate) fn meta_reader(&self) -> Result<MetaReader, DbError> {
        let txn = self.db.begin_read().map_err(|e| self.io(e))?;
        let table = txn.open_table(ARTICLE_META).map_err(|e| self.io(e))?;
        Ok(MetaReader { table })
    }

    /// A redb failure on this database.
    fn io(&self, e: impl Into<redb::Error>) -> DbError {
        DbError::Io {
            path: self.path.clone(),
            source: e.into(),
        }
    }

    /// Empties the article cache unless it was made by a parser with this `fingerprint`
    /// (another seedfeed version or other parse settings would read files differently).
    /// Returns true when the cache was kept.
    pub(crate) fn keep_meta_if(&self, fingerprint: &str) -> Result<bool, DbError> {
        let txn = self.db.begin_write().map_err(|e| self.io(e))?;
        let kept = {
            let mut meta = txn.open_table(META).map_err(|e| self.io(e))?;
            let stored = meta
                .get(PARSER_KEY)
                .map_err(|e| self.io(e))?
                .map(|v| v.value().to_string());
            if stored.as_deref() == Some(fingerprint) {
                true
            } else {
                meta.insert(PARSER_KEY, fingerprint)
                    .map_err(|e| self.io(e))?;
                false
            }
        };
        if !kept {
            txn.delete_table(ARTICLE_META).map_err(|e| self.io(e))?;
            txn.open_table(ARTICLE_META).map_err(|e| self.io(e))?;
        }
        txn.commit().map_err(|e| self.io(e))?;
        Ok(kept)
    }

    /// Applies all `ops` in one durable transaction: all or nothing.
    pub(crate) fn apply(&self, ops: &[DbOp]) -> Result<(), DbError> {
        let txn = self.db.begin_write().map_err(|e| self.io(e))?;
        {
            let mut table = txn.open_table(FILES).map_err(|e| self.io(e))?;
            let mut articles = txn.open_table(ARTICLE_META).map_err(|e| self.io(e))?;
            txn.open_table(META).map_err(|e| self.io(e))?;
            for op in ops {
                match op {
                    DbOp::Put(key, record) => {
                        let bytes =
                            serde_json::to_vec(record).map_err(|source| DbError::Record {
                                path: self.path.clone(),
                                key: key.clone(),
                                source,
                            })?;
                        table
                            .insert(key.as_str(), bytes.as_slice())
                            .map_err(|e| self.io(e))?;
                    }
                    DbOp::PutMeta(key, json) => {
                        articles
                            .insert(key.as_str(), json.as_slice())
                            .map_err(|e| self.io(e))?;
                    }
                    DbOp::DeleteMeta(key) => {
                        articles.remove(key.as_str()).map_err(|e| self.io(e))?;
                    }
                    DbOp::Delete(key) => {
                        table.remove(key.as_str()).map_err(|e| self.io(e))?;
                        articles.remove(key.as_str()).map_err(|e| self.io(e))?;
                    }
                }
            }
        }
        txn.commit().map_err(|e| self.io(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str) -> FileRecord {
        FileRecord {
            id: id.into(),
            first_seen_ms: 1_700_000_000_000,
            changed_ms: None,
            hash: Some(42),
            size: 10,
            mtime_ns: 5,
            racily_clean: false,
        }
    }

    #[test]
    fn records_survive_reopening() {
        let dir = tempfile::tempdir().expect("temp dir");
        {
            let db = StateDb::open(dir.path()).expect("open");
            db.apply(&[
                DbOp::Put("a.txt".into(), record("1")),
                DbOp::Put("b/c.txt".into(), record("2")),
            ])
            .expect("write");
            db.apply(&[DbOp::Delete("a.txt".into())]).expect("delete");
        }
        let db = StateDb::open(dir.path()).expect("reopen");
        assert_eq!(
            db.load_all().expect("load"),
            vec![("b/c.txt".to_string(), record("2"))]
        );
    }

    #[test]
    fn article_cache_is_dropped_when_the_parser_changes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = StateDb::open(dir.path()).expect("open");
        assert!(!db.keep_meta_if("v1").expect("first fingerprint"));
        db.apply(&[
            DbOp::Put("a.txt".into(), record("1")),
            DbOp::PutMeta("a.txt".into(), b"{}".to_vec()),
        ])
        .expect("write");
        assert!(db.keep_meta_if("v1").expect("same"));
        let reader = || db.meta_reader().expect("reader");
        assert_eq!(reader().get("a.txt"), Some(b"{}".to_vec()));
        assert!(!db.keep_meta_if("v2").expect("changed"));
        assert_eq!(reader().get("a.txt"), None);
        // The records themselves stay.
        assert_eq!(db.load_all().expect("records").len(), 1);
        db.apply(&[DbOp::PutMeta("a.txt".into(), b"{}".to_vec())])
            .expect("write");
        db.apply(&[DbOp::Delete("a.txt".into())]).expect("delete");
        assert_eq!(reader().get("a.txt"), None);
    }

    #[test]
    fn second_open_of_the_same_database_fails_clearly() {
        let dir = tempfile::tempdir().expect("temp dir");
        let _first = StateDb::open(dir.path()).expect("open");
        let err = StateDb::open(dir.path()).err().expect("second open fails");
        assert!(err.to_string().contains(DB_FILE_NAME), "{err}");
    }
}
