//! The map behind the caches of parsed bodies and rendered pages, bounded both by entries and
//! by bytes: an [`lru::LruCache`] (bounded by count) with the bytes of its values counted.
//!
//! When full (by count or by bytes), inserting evicts the least recently used keys, so a hot
//! article page or the feed's newest bodies stay while cold ones go. A value larger than the
//! whole byte budget is not cached at all.

use std::borrow::Borrow;
use std::hash::Hash;
use std::num::NonZeroUsize;

use lru::LruCache;

/// A map holding at most `capacity` entries and `max_bytes` bytes (as the caller weighs its
/// values), evicting the least recently used entries when full.
#[derive(Debug)]
pub(crate) struct BoundedCache<K: Hash + Eq, V> {
    map: LruCache<K, (V, usize)>,
    max_bytes: usize,
    bytes: usize,
}

impl<K: Hash + Eq, V> BoundedCache<K, V> {
    /// An empty cache of at most `capacity` entries (at least one) and `max_bytes` bytes.
    pub(crate) fn new(capacity: usize, max_bytes: usize) -> Self {
        let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        Self {
            map: LruCache::new(capacity),
            max_bytes,
            bytes: 0,
        }
    }

    /// The value cached for `key`, which becomes the most recently used.
    pub(crate) fn get<Q>(&mut self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.map.get(key).map(|(value, _)| value)
    }

    /// Caches `value`, which weighs `bytes`, for `key`, replacing an older value of the same
    /// key; evicts the least recently used keys until both bounds hold. A value over the
    /// whole byte budget is not cached (and the key's older value is dropped).
    pub(crate) fn insert(&mut self, key: K, value: V, bytes: usize) {
        if let Some((_, old)) = self.map.pop(&key) {
            self.bytes -= old;
        }
        if bytes > self.max_bytes {
            return;
        }
        while self.bytes + bytes > self.max_bytes {
            let Some((_, (_, old))) = self.map.pop_lru() else {
                break;
            };
            self.bytes -= old;
        }
        // At the entry bound, `push` evicts the least recently used entry and returns it.
        if let Some((_, (_, evicted))) = self.map.push(key, (value, bytes)) {
            self.bytes -= evicted;
        }
        self.bytes += bytes;
    }

    /// Drops every entry, and sets new bounds.
    pub(crate) fn reset(&mut self, capacity: usize, max_bytes: usize) {
        *self = Self::new(capacity, max_bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_cache_evicts_the_least_recently_used() {
        let mut cache = BoundedCache::new(2, usize::MAX);
        cache.insert("a", 1, 0);
        cache.insert("b", 2, 0);
        // `a` is read, so `b` is now the coldest.
        assert_eq!(cache.get("a"), Some(&1));
        cache.insert("c", 3, 0);
        assert_eq!(cache.map.len(), 2);
        assert_eq!(cache.get("b"), None, "least recently used evicted");
        assert_eq!(cache.get("a"), Some(&1), "the hot key stays");
        assert_eq!(cache.get("c"), Some(&3));
        cache.insert("a", 10, 0);
        assert_eq!(cache.get("a"), Some(&10), "replaced");
        assert_eq!(cache.map.len(), 2);
    }

    #[test]
    fn many_insertions_stay_within_capacity() {
        let mut cache = BoundedCache::new(16, usize::MAX);
        for i in 0..10_000 {
            cache.insert(i, i, 1);
        }
        assert_eq!((cache.map.len(), cache.bytes), (16, 16));
        assert_eq!(cache.get(&9_999), Some(&9_999));
    }

    // Regression (issue 14): caches were bounded by count only, and ten 3.5 MB articles made
    // each cached rendering 45 MB: 39 requests took the daemon from 270 MB to 2 GB.
    #[test]
    fn the_byte_budget_evicts_and_refuses_what_cannot_fit() {
        let mut cache = BoundedCache::new(100, 10);
        cache.insert("a", (), 4);
        cache.insert("b", (), 4);
        assert_eq!(cache.bytes, 8);
        cache.insert("c", (), 4);
        assert_eq!((cache.map.len(), cache.bytes), (2, 8), "a evicted for c");
        assert!(cache.get("a").is_none());
        cache.insert("huge", (), 11);
        assert!(
            cache.get("huge").is_none(),
            "over the whole budget: not cached"
        );
        assert_eq!(cache.bytes, 8, "and nothing evicted for it");
        cache.insert("b", (), 11);
        assert!(
            cache.get("b").is_none(),
            "a replacement over budget drops the old value"
        );
        assert_eq!((cache.map.len(), cache.bytes), (1, 4));
    }
}
