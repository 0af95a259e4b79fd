//! The state database: one record per known file, and the metadata of each published article
//! (so that a restart does not read again files whose size and mtime are unchanged), in
//! `redb`.
//!
//! redb is an embedded, pure-Rust, copy-on-write B-tree store with ACID transactions: a crash
//! at any point leaves the last committed transaction intact, it needs no C toolchain (unlike
//! bundled SQLite) and its key-value model is exactly what is stored here (path → record).
//! Rows are `postcard`-encoded: compact, and read at start-up in one sequential pass per table.

use foldhash::{HashMap, HashMapExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};

use crate::article::ArticleMeta;
use crate::model::FileRecord;

/// File name of the database inside the state directory.
pub(crate) const DB_FILE_NAME: &str = "state.redb";

/// path relative to the seeds dir (with `/` separators) → `postcard`-encoded [`FileRecord`].
const FILES: TableDefinition<&str, &[u8]> = TableDefinition::new("files.2");

/// The same records JSON-encoded, as versions before 0.2 kept them: moved into [`FILES`] on
/// open (ids and first-seen times must survive the upgrade).
const JSON_FILES: TableDefinition<&str, &[u8]> = TableDefinition::new("files");

/// path → `postcard`-encoded [`ArticleMeta`], valid for the record's size and mtime and the
/// parser fingerprint.
const ARTICLE_META: TableDefinition<&str, &[u8]> = TableDefinition::new("article_meta.2");

/// Tables of earlier versions that only cached what files can give again (JSON metadata,
/// whole parsed articles): dropped on open.
const LEGACY_CACHES: [TableDefinition<&str, &[u8]>; 2] = [
    TableDefinition::new("article_meta"),
    TableDefinition::new("articles"),
];

/// Memory redb may use to cache database pages. Its default (1 GiB) would let the cache alone
/// exceed the daemon's memory budget; rows are read once at start-up and written in batches,
/// so a small cache costs nothing measurable (4 MiB instead of 16 MiB: 16 MiB less resident
/// once 100,000 articles' metadata was written, the same warm restart within noise).
pub(crate) const STATE_DB_CACHE_BYTES: usize = 4 * 1024 * 1024;

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
    /// A record could not be encoded or decoded (written by an incompatible version, or
    /// damaged).
    #[error("state database {path}: bad record for {key:?}: {reason}")]
    Record {
        /// The database file.
        path: PathBuf,
        /// The record's key.
        key: String,
        /// What the encoder or decoder said.
        reason: String,
    },
}

/// One change to apply in a transaction.
#[derive(Debug, Clone)]
pub(crate) enum DbOp {
    /// Insert or replace the record for a path.
    Put(String, FileRecord),
    /// Store the article metadata of a path (encoded by [`encode_meta`]).
    PutMeta(String, Vec<u8>),
    /// Drop the article metadata of a path (it is no longer published).
    DeleteMeta(String),
    /// Forget a path.
    Delete(String),
    /// Forget the date of a served document (the page of an article gone).
    ForgetDocument(String),
}

/// `meta` as the state database keeps it; `None` if it cannot be encoded (it is then not
/// cached, and the file is read again on the next start).
pub(crate) fn encode_meta(meta: &ArticleMeta) -> Option<Vec<u8>> {
    postcard::to_allocvec(meta).ok()
}

/// The open state database.
pub(crate) struct StateDb {
    db: Arc<Database>,
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
        let state = Self {
            db: Arc::new(db),
            path,
        };
        state.upgrade()?;
        // Create the table so that reads of a fresh database find it.
        state.apply(&[])?;
        Ok(state)
    }

    /// Moves the JSON records of earlier versions into the compact table and drops the caches
    /// they kept, in one transaction.
    fn upgrade(&self) -> Result<(), DbError> {
        let txn = self.db.begin_write().map_err(|e| self.io(e))?;
        for legacy in LEGACY_CACHES {
            txn.delete_table(legacy).map_err(|e| self.io(e))?;
        }
        let mut moved = Vec::new();
        if let Ok(json) = txn.open_table(JSON_FILES) {
            for row in json.iter().map_err(|e| self.io(e))? {
                let (key, value) = row.map_err(|e| self.io(e))?;
                let key = key.value().to_string();
                let record: FileRecord =
                    serde_json::from_slice(value.value()).map_err(|e| self.bad_record(&key, e))?;
                moved.push((key, record));
            }
        }
        if !moved.is_empty() {
            let mut files = txn.open_table(FILES).map_err(|e| self.io(e))?;
            for (key, record) in &moved {
                let bytes = postcard::to_allocvec(record).map_err(|e| self.bad_record(key, e))?;
                files
                    .insert(key.as_str(), bytes.as_slice())
                    .map_err(|e| self.io(e))?;
            }
            tracing::info!(
                records = moved.len(),
                "state database records moved to the compact form"
            );
        }
        txn.delete_table(JSON_FILES).map_err(|e| self.io(e))?;
        txn.commit().map_err(|e| self.io(e))
    }

    fn bad_record(&self, key: &str, reason: impl std::fmt::Display) -> DbError {
        DbError::Record {
            path: self.path.clone(),
            key: key.to_string(),
            reason: reason.to_string(),
        }
    }

    /// The served documents' dates, in this database.
    pub(crate) fn document_dates(&self) -> super::documents::DocumentDates {
        super::documents::DocumentDates::new(Arc::clone(&self.db), self.path.clone())
    }

    /// Every stored record, decoded as it is read (no copy of the raw rows is held).
    pub(crate) fn load_all(&self) -> Result<Vec<(String, FileRecord)>, DbError> {
        let txn = self.db.begin_read().map_err(|e| self.io(e))?;
        let table = txn.open_table(FILES).map_err(|e| self.io(e))?;
        let mut records = Vec::with_capacity(table.len().map_err(|e| self.io(e))? as usize);
        for row in table.iter().map_err(|e| self.io(e))? {
            let (key, value) = row.map_err(|e| self.io(e))?;
            let key = key.value().to_string();
            let record =
                postcard::from_bytes(value.value()).map_err(|e| self.bad_record(&key, e))?;
            records.push((key, record));
        }
        Ok(records)
    }

    /// Every cached article metadata, read in one pass. A row that does not decode is left
    /// out (its file is read again).
    pub(crate) fn load_meta(&self) -> Result<HashMap<String, Arc<ArticleMeta>>, DbError> {
        let txn = self.db.begin_read().map_err(|e| self.io(e))?;
        let table = txn.open_table(ARTICLE_META).map_err(|e| self.io(e))?;
        let mut metas = HashMap::with_capacity(table.len().map_err(|e| self.io(e))? as usize);
        for row in table.iter().map_err(|e| self.io(e))? {
            let (key, value) = row.map_err(|e| self.io(e))?;
            if let Ok(meta) = postcard::from_bytes::<ArticleMeta>(value.value()) {
                metas.insert(key.value().to_string(), Arc::new(meta));
            }
        }
        Ok(metas)
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
            let mut documents = txn
                .open_table(super::documents::DOCUMENTS)
                .map_err(|e| self.io(e))?;
            txn.open_table(META).map_err(|e| self.io(e))?;
            for op in ops {
                match op {
                    DbOp::Put(key, record) => {
                        let bytes =
                            postcard::to_allocvec(record).map_err(|e| self.bad_record(key, e))?;
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
                    DbOp::ForgetDocument(path) => {
                        documents.remove(path.as_str()).map_err(|e| self.io(e))?;
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
            id: crate::model::article_id(id),
            first_seen_ms: 1_700_000_000_000,
            changed_ms: None,
            hash: Some(42),
            size: 10,
            mtime_ns: 5,
            racily_clean: false,
        }
    }

    fn meta() -> Vec<u8> {
        encode_meta(&ArticleMeta {
            title: "A title".into(),
            date: None,
            author: Some("A. Writer".into()),
            source: None,
            tags: Box::new(["tag".into()]),
            language: "en".into(),
            signature: crate::related::SignatureCell::with(crate::related::Signature(Box::new([
                1, 2, 3,
            ]))),
        })
        .expect("encodes")
    }

    // Records of earlier versions were JSON in the table "files": an upgrade keeps every id
    // and first-seen time, and drops the JSON metadata cache (files are read again).
    #[test]
    fn json_records_of_earlier_versions_are_moved_to_the_compact_table() {
        let dir = tempfile::tempdir().expect("temp dir");
        {
            let db = Database::create(dir.path().join(DB_FILE_NAME)).expect("create");
            let txn = db.begin_write().expect("write");
            {
                let mut files = txn.open_table(JSON_FILES).expect("files");
                let json = serde_json::to_vec(&record("kept-id")).expect("json");
                files.insert("old.txt", json.as_slice()).expect("insert");
                let mut meta = txn.open_table(LEGACY_CACHES[0]).expect("meta");
                meta.insert("old.txt", b"{}".as_slice()).expect("insert");
            }
            txn.commit().expect("commit");
        }
        let db = StateDb::open(dir.path()).expect("open");
        assert_eq!(
            db.load_all().expect("load"),
            vec![("old.txt".to_string(), record("kept-id"))]
        );
        assert!(db.load_meta().expect("metadata").is_empty());
        drop(db);
        let reopened = StateDb::open(dir.path()).expect("reopen");
        assert_eq!(reopened.load_all().expect("load").len(), 1);
    }

    #[test]
    fn cached_metadata_reads_back() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = StateDb::open(dir.path()).expect("open");
        db.apply(&[DbOp::PutMeta("a.txt".into(), meta())])
            .expect("write");
        let metas = db.load_meta().expect("metadata");
        let a = metas.get("a.txt").expect("cached");
        assert_eq!((a.title.as_str(), a.tags.len()), ("A title", 1));
        assert_eq!(
            a.signature.get(),
            Some(&crate::related::Signature(Box::new([1, 2, 3])))
        );
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
            DbOp::PutMeta("a.txt".into(), meta()),
        ])
        .expect("write");
        assert!(db.keep_meta_if("v1").expect("same"));
        let cached = || db.load_meta().expect("metadata").contains_key("a.txt");
        assert!(cached());
        assert!(!db.keep_meta_if("v2").expect("changed"));
        assert!(!cached());
        // The records themselves stay.
        assert_eq!(db.load_all().expect("records").len(), 1);
        db.apply(&[DbOp::PutMeta("a.txt".into(), meta())])
            .expect("write");
        db.apply(&[DbOp::Delete("a.txt".into())]).expect("delete");
        assert!(!cached());
    }

    #[test]
    fn second_open_of_the_same_database_fails_clearly() {
        let dir = tempfile::tempdir().expect("temp dir");
        let _first = StateDb::open(dir.path()).expect("open");
        let err = StateDb::open(dir.path()).err().expect("second open fails");
        assert!(err.to_string().contains(DB_FILE_NAME), "{err}");
    }
}
