//! The state database: one record per known file, in `redb`.
//!
//! redb is an embedded, pure-Rust, copy-on-write B-tree store with ACID transactions: a crash
//! at any point leaves the last committed transaction intact, it needs no C toolchain (unlike
//! bundled SQLite) and its key-value model is exactly what is stored here (path → record).

use std::path::{Path, PathBuf};

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

/// File name of the database inside the state directory.
pub const DB_FILE_NAME: &str = "state.redb";

/// path relative to the seeds dir (with `/` separators) → JSON-encoded [`FileRecord`].
const FILES: TableDefinition<&str, &[u8]> = TableDefinition::new("files");

/// What is remembered about one file across restarts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// The article id, fixed when the file is first seen.
    pub id: String,
    /// When seedfeed first saw the file (Unix milliseconds).
    pub first_seen_ms: i64,
    /// When its content last changed after it was first seen (Unix milliseconds).
    pub changed_ms: Option<i64>,
    /// xxh3 hash of the file's bytes; `None` until the file has been read successfully.
    pub hash: Option<u64>,
    /// Size in bytes when last read.
    pub size: u64,
    /// Modification time when last read (Unix nanoseconds).
    pub mtime_ns: i64,
}

/// Errors of the state database, with the file they concern.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
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
pub enum DbOp {
    /// Insert or replace the record for a path.
    Put(String, FileRecord),
    /// Forget a path.
    Delete(String),
}

/// The open state database.
pub struct StateDb {
    db: Database,
    path: PathBuf,
}

impl StateDb {
    /// Opens (creating if needed) the database in `state_dir`, creating the directory too.
    pub fn open(state_dir: &Path) -> Result<Self, DbError> {
        let path = state_dir.join(DB_FILE_NAME);
        let open_err = |source| DbError::Open {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(state_dir)
            .map_err(|e| open_err(redb::DatabaseError::Storage(redb::StorageError::Io(e))))?;
        let db = Database::create(&path).map_err(open_err)?;
        let state = Self { db, path };
        // Create the table so that reads of a fresh database find it.
        state.apply(&[])?;
        Ok(state)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every stored record.
    pub fn load_all(&self) -> Result<Vec<(String, FileRecord)>, DbError> {
        let io = |e: redb::Error| DbError::Io {
            path: self.path.clone(),
            source: e,
        };
        let txn = self.db.begin_read().map_err(|e| io(e.into()))?;
        let table = txn.open_table(FILES).map_err(|e| io(e.into()))?;
        let mut records = Vec::new();
        for row in table.iter().map_err(|e| io(e.into()))? {
            let (key, value) = row.map_err(|e| io(e.into()))?;
            let key = key.value().to_string();
            let record =
                serde_json::from_slice(value.value()).map_err(|source| DbError::Record {
                    path: self.path.clone(),
                    key: key.clone(),
                    source,
                })?;
            records.push((key, record));
        }
        Ok(records)
    }

    /// Applies all `ops` in one durable transaction: all or nothing.
    pub fn apply(&self, ops: &[DbOp]) -> Result<(), DbError> {
        let io = |e: redb::Error| DbError::Io {
            path: self.path.clone(),
            source: e,
        };
        let txn = self.db.begin_write().map_err(|e| io(e.into()))?;
        {
            let mut table = txn.open_table(FILES).map_err(|e| io(e.into()))?;
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
                            .map_err(|e| io(e.into()))?;
                    }
                    DbOp::Delete(key) => {
                        table.remove(key.as_str()).map_err(|e| io(e.into()))?;
                    }
                }
            }
        }
        txn.commit().map_err(|e| io(e.into()))
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
    fn second_open_of_the_same_database_fails_clearly() {
        let dir = tempfile::tempdir().expect("temp dir");
        let _first = StateDb::open(dir.path()).expect("open");
        let err = StateDb::open(dir.path()).err().expect("second open fails");
        assert!(err.to_string().contains(DB_FILE_NAME), "{err}");
    }
}
