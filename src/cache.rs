//! A small bounded map for the caches of parsed bodies and rendered pages.
//!
//! When full, inserting a new key evicts the key inserted longest ago (first in, first out):
//! the hot keys (the feed's newest articles, a page being linked to) are re-inserted soon
//! after they are evicted, so the simplest policy that bounds memory is enough here.

use std::borrow::Borrow;
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

/// A map holding at most `capacity` entries, evicting the oldest insertion when full.
#[derive(Debug)]
pub struct BoundedCache<K, V> {
    map: HashMap<K, V>,
    order: VecDeque<K>,
    capacity: usize,
}

impl<K: Clone + Eq + Hash, V> BoundedCache<K, V> {
    /// An empty cache of at most `capacity` entries (at least one).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            map: HashMap::with_capacity(capacity),
            order: VecDeque::with_capacity(capacity),
            capacity,
        }
    }

    /// The value cached for `key`.
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.map.get(key)
    }

    /// Caches `value` for `key`, replacing an older value of the same key; evicts the oldest
    /// key when a new key finds the cache full.
    pub fn insert(&mut self, key: K, value: V) {
        if let Some(slot) = self.map.get_mut(&key) {
            *slot = value;
            return;
        }
        if self.map.len() >= self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.map.remove(&oldest);
            }
        }
        self.order.push_back(key.clone());
        self.map.insert(key, value);
    }

    /// Drops every entry, and sets a new capacity.
    pub fn reset(&mut self, capacity: usize) {
        *self = Self::new(capacity);
    }

    /// Number of cached entries.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_cache_evicts_the_oldest_insertion() {
        let mut cache = BoundedCache::new(2);
        cache.insert("a", 1);
        cache.insert("b", 2);
        cache.insert("a", 10);
        assert_eq!(cache.len(), 2);
        cache.insert("c", 3);
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get("a"), None, "oldest insertion evicted");
        assert_eq!(cache.get("b"), Some(&2));
        assert_eq!(cache.get("c"), Some(&3));
    }

    #[test]
    fn many_insertions_stay_within_capacity() {
        let mut cache = BoundedCache::new(16);
        for i in 0..10_000 {
            cache.insert(i, i);
        }
        assert_eq!(cache.len(), 16);
        assert_eq!(cache.order.len(), 16);
        assert_eq!(cache.get(&9_999), Some(&9_999));
    }
}
