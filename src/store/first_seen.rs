//! The first-seen time of a new file: when an undated article is said to be published.
//!
//! A file seen for the first time is dated by its modification time when that is in the past,
//! not by the clock of the batch that read it: a folder copied in at once keeps the order and
//! spacing its files were written in, and a restart or a `touch` later changes nothing (the
//! time is recorded once). No two records share a first-seen time: feed validators warn about
//! two entries with the same `atom:updated` (W3C's `DuplicateUpdated`), and files unpacked
//! from an archive often share one modification time, so a time already taken moves on to the
//! next free millisecond.

use foldhash::{HashMap, HashMapExt};

use crate::model::FileRecord;

/// The first-seen times records have (Unix milliseconds), each with how many records have it
/// and how far past it the next free time may be; `None` until a new file needs a time, so
/// that a restart that finds no new file never builds it.
///
/// The skips make a run of taken times cost one step, not one per time: 100,000 files written
/// within a few seconds share their milliseconds in long runs, and walking each run one
/// millisecond at a time made a first start of 100,000 files 8 s slower.
#[derive(Debug, Default)]
pub(super) struct FirstSeenTimes(Option<HashMap<i64, Taken>>);

/// One taken time: by how many records, and the distance (at least 1) to a later time worth
/// looking at for a free one (every time in between was taken when it was set).
#[derive(Debug, Clone, Copy)]
pub(super) struct Taken {
    count: u32,
    skip: u32,
}

impl FirstSeenTimes {
    /// The first-seen time of a file first seen at `now_ms` whose modification time is
    /// `mtime_ns` (0 when unknown): the modification time when it is in the past and after
    /// 1970, else `now_ms`; then the first millisecond from there that no record has.
    /// `records` (every stored record) is walked only the first time. The caller counts the
    /// time with [`FirstSeenTimes::add`] once it is stored.
    pub(super) fn pick<'a>(
        &mut self,
        now_ms: i64,
        mtime_ns: i64,
        records: impl Iterator<Item = &'a FileRecord>,
    ) -> i64 {
        let mtime_ms = mtime_ns.div_euclid(1_000_000);
        let start = if mtime_ms > 0 && mtime_ms <= now_ms {
            mtime_ms
        } else {
            now_ms
        };
        let taken = self.0.get_or_insert_with(|| {
            let mut taken = HashMap::new();
            for record in records {
                count(&mut taken, record.first_seen_ms);
            }
            taken
        });
        // Follow the skips to a free time, then point every time passed at it (the caller
        // takes it, so the next walk from any of them starts there).
        let mut at = start;
        let mut passed = Vec::new();
        while let Some(t) = taken.get(&at) {
            passed.push(at);
            at = at.saturating_add(i64::from(t.skip));
        }
        for time in passed {
            if let Some(t) = taken.get_mut(&time) {
                t.skip = u32::try_from(at - time).unwrap_or(u32::MAX).max(1);
            }
        }
        at
    }

    /// Counts `record`'s time (it was stored) in place of `replaced`'s, if any.
    pub(super) fn add(&mut self, record: &FileRecord, replaced: Option<&FileRecord>) {
        if replaced.is_some_and(|old| old.first_seen_ms == record.first_seen_ms) {
            return;
        }
        if let Some(old) = replaced {
            self.remove(old);
        }
        if let Some(taken) = &mut self.0 {
            count(taken, record.first_seen_ms);
        }
    }

    /// Uncounts `record`'s time (it was forgotten). A time no record has any more is free
    /// again; skips that pass over it only make a later time be picked.
    pub(super) fn remove(&mut self, record: &FileRecord) {
        let Some(taken) = &mut self.0 else {
            return;
        };
        if let Some(t) = taken.get_mut(&record.first_seen_ms) {
            t.count -= 1;
            if t.count == 0 {
                taken.remove(&record.first_seen_ms);
            }
        }
    }
}

fn count(taken: &mut HashMap<i64, Taken>, time: i64) {
    taken
        .entry(time)
        .or_insert(Taken { count: 0, skip: 1 })
        .count += 1;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(first_seen_ms: i64) -> FileRecord {
        FileRecord {
            id: crate::model::article_id("a.txt"),
            first_seen_ms,
            changed_ms: None,
            hash: Some(1),
            size: 1,
            mtime_ns: 0,
            racily_clean: false,
        }
    }

    const NOW: i64 = 1_800_000_000_000;

    #[test]
    fn a_past_modification_time_is_taken_a_future_or_missing_one_is_not() {
        let none = std::iter::empty;
        let mut times = FirstSeenTimes::default();
        assert_eq!(
            times.pick(NOW, (NOW - 5000) * 1_000_000 + 999, none()),
            NOW - 5000
        );
        assert_eq!(times.pick(NOW, (NOW + 5000) * 1_000_000, none()), NOW);
        assert_eq!(times.pick(NOW, 0, none()), NOW);
        assert_eq!(times.pick(NOW, -1_000_000_000, none()), NOW);
    }

    #[test]
    fn times_taken_by_records_move_on_to_the_next_free_millisecond() {
        let stored = [record(NOW - 10), record(NOW - 9)];
        let mut times = FirstSeenTimes::default();
        // Counted from the stored records on first need.
        let first = times.pick(NOW, (NOW - 10) * 1_000_000, stored.iter());
        assert_eq!(first, NOW - 8);
        times.add(&record(first), None);
        let none = std::iter::empty;
        assert_eq!(times.pick(NOW, (NOW - 10) * 1_000_000, none()), NOW - 7);
        // A record forgotten frees its time; one of two sharing a time does not.
        times.add(&record(NOW - 9), None);
        times.remove(&record(NOW - 9));
        assert_eq!(times.pick(NOW, (NOW - 9) * 1_000_000, none()), NOW - 7);
        times.remove(&record(NOW - 9));
        assert_eq!(times.pick(NOW, (NOW - 9) * 1_000_000, none()), NOW - 9);
        // A record replaced by itself with the same time changes nothing.
        times.add(&record(NOW - 8), Some(&record(NOW - 8)));
        assert_eq!(times.pick(NOW, (NOW - 8) * 1_000_000, none()), NOW - 7);
    }

    // 100,000 files with one modification time: each gets the next millisecond, in a step
    // or two each (walking the run one by one, 5 billion steps, would not finish here).
    #[test]
    fn a_long_run_of_one_modification_time_is_spaced_in_linear_time() {
        let mut times = FirstSeenTimes::default();
        let mtime = (NOW - 3_600_000) * 1_000_000;
        for n in 0..100_000 {
            let at = times.pick(NOW, mtime, std::iter::empty());
            assert_eq!(at, NOW - 3_600_000 + n);
            times.add(&record(at), None);
        }
        // A time freed in the run is not reused by a walk that skips over it, only by one
        // that starts there; no time is ever given twice.
        times.remove(&record(NOW - 3_600_000 + 10));
        assert_eq!(
            times.pick(NOW, mtime, std::iter::empty()),
            NOW - 3_600_000 + 100_000
        );
        assert_eq!(
            times.pick(NOW, (NOW - 3_600_000 + 10) * 1_000_000, std::iter::empty()),
            NOW - 3_600_000 + 10
        );
    }
}
