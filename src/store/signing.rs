//! Related-stories signatures computed after the feeds are served: the bulk passes (the first
//! index, a reparse after a reload) leave them out, since only article pages need them, and a
//! thread of its own computes them afterwards, one batch at a time, each batch applied and
//! saved by the indexer in one transaction. Until the last batch is in, article pages list no
//! related stories rather than a partial set ([`Store::related_ready`]).

use std::sync::Arc;

use tokio::sync::mpsc;
use tracing::{debug, info, warn};

use super::bodies::Bodies;
use super::*;
use crate::related::Signature;

/// Articles per batch sent to the indexer (one write transaction each).
pub(crate) const SIGNING_BATCH: usize = 512;
/// Batches waiting for the indexer at most; the signing thread waits while the queue is full,
/// so its memory is bounded whatever the folder's size.
pub(crate) const SIGNING_QUEUE: usize = 2;

/// A published article whose signature is not computed yet.
#[derive(Debug, Clone)]
pub(crate) struct Unsigned {
    /// Its key (path below the seeds folder).
    pub key: String,
    /// The content hash it was indexed with: a file changed since is left to the indexer.
    pub hash: u64,
}

/// What the signing thread sends the indexer.
#[derive(Debug)]
pub(crate) enum Signed {
    /// Signatures of some articles: (key, content hash, signature).
    Batch(Vec<(String, u64, Signature)>),
    /// Every article was looked at.
    Done,
}

/// Starts computing the signatures of `unsigned` on a thread of its own, reading the files
/// again through `bodies`. Dropping the receiver stops the thread after its current batch.
pub(crate) fn spawn(unsigned: Vec<Unsigned>, bodies: Arc<Bodies>) -> mpsc::Receiver<Signed> {
    let (tx, rx) = mpsc::channel(SIGNING_QUEUE);
    let count = unsigned.len();
    info!(
        articles = count,
        "computing related-stories signatures in the background"
    );
    let work = move || {
        lowest_priority();
        let started = std::time::Instant::now();
        for chunk in unsigned.chunks(SIGNING_BATCH) {
            let batch = sign(chunk, &bodies);
            if tx.blocking_send(Signed::Batch(batch)).is_err() {
                debug!("related-stories signatures no longer wanted");
                return;
            }
        }
        info!(
            articles = count,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "related-stories signatures computed"
        );
        let _ = tx.blocking_send(Signed::Done);
    };
    if let Err(e) = std::thread::Builder::new()
        .name("seedfeed-related".into())
        .spawn(work)
    {
        // Without the thread, pages simply list no related stories.
        warn!(error = %e, "cannot start the related-stories thread");
    }
    rx
}

/// Puts the calling thread in the idle scheduling class (`SCHED_IDLE`, the lowest niceness):
/// it runs only on a core that the indexer, the HTTP server and other programs leave idle.
/// Without it (a system that refuses), the thread runs at normal priority.
fn lowest_priority() {
    use thread_priority::{
        NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy,
        set_thread_priority_and_policy, thread_native_id,
    };
    let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
    if let Err(e) = set_thread_priority_and_policy(thread_native_id(), ThreadPriority::Min, idle) {
        debug!(error = ?e, "the related-stories thread keeps the normal priority");
    }
}

/// The signatures of `articles` whose files still hold the content they were indexed with.
pub(crate) fn sign(articles: &[Unsigned], bodies: &Bodies) -> Vec<(String, u64, Signature)> {
    articles
        .iter()
        .filter_map(|a| Some((a.key.clone(), a.hash, bodies.signature(&a.key, a.hash)?)))
        .collect()
}

impl Store {
    /// True when related stories may be listed: every published article's signature was
    /// computed (or found impossible). False from a bulk pass until [`Store::signing_done`].
    pub(crate) fn related_ready(&self) -> bool {
        self.related_ready
    }

    /// True when every published article has its signature.
    pub(super) fn all_signed(&self) -> bool {
        self.newest().all(|e| e.meta.signature.get().is_some())
    }

    /// The published articles without a signature, newest first.
    pub(crate) fn unsigned(&self) -> Vec<Unsigned> {
        self.newest()
            .filter(|e| e.meta.signature.get().is_none())
            .filter_map(|e| {
                Some(Unsigned {
                    key: e.key.clone(),
                    hash: e.record.hash?,
                })
            })
            .collect()
    }

    /// Takes a batch of signatures: each article still indexed with the same content gets
    /// its signature, set in place on the published entry (nothing is copied) and saved in
    /// the state database (one transaction).
    pub(crate) fn apply_signatures(&mut self, batch: Vec<(String, u64, Signature)>) {
        for (key, hash, signature) in batch {
            let Some(entry) = self.index.get(&key) else {
                continue;
            };
            // A copy made here: the signing thread's parses leave its allocator's pages
            // fragmented, and signatures kept there would keep those pages resident.
            let signature = Signature(Box::from(&*signature.0));
            if entry.record.hash != Some(hash) || !entry.meta.signature.set(signature) {
                continue;
            }
            if let Some(bytes) = db::encode_meta(&entry.meta) {
                self.pending.push(DbOp::PutMeta(key, bytes));
            }
        }
        self.flush();
    }

    /// Every article the signing thread was given was looked at: related stories are listed.
    pub(crate) fn signing_done(&mut self) {
        self.related_ready = true;
    }
}
