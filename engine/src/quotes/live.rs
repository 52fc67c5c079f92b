//! The quote manager's live orders by key: a vector sorted by key, walked in order on every
//! requote (a tree's walk measured about a third of a requote's diff of the whole chain). An
//! order that ends is marked gone, not removed, so that a burst of answers (a chain pulled: a
//! thousand cancels) moves nothing; the gone are dropped when new orders are merged in, or when
//! they are half the vector.

use super::wanted::QuoteKey;
use std::ops::RangeBounds;

#[derive(Clone, Debug)]
struct Entry<T> {
    key: QuoteKey,
    value: T,
    gone: bool,
}

/// Values by [`QuoteKey`], in key order.
#[derive(Clone, Debug)]
pub struct ByKey<T> {
    entries: Vec<Entry<T>>,
    gone: usize,
}

impl<T> Default for ByKey<T> {
    fn default() -> ByKey<T> {
        ByKey {
            entries: Vec::new(),
            gone: 0,
        }
    }
}

impl<T> ByKey<T> {
    pub fn len(&self) -> usize {
        self.entries.len() - self.gone
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every value, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&QuoteKey, &T)> {
        self.entries
            .iter()
            .filter(|e| !e.gone)
            .map(|e| (&e.key, &e.value))
    }

    /// The values with keys in `keys`, in key order.
    pub fn range<R: RangeBounds<QuoteKey>>(
        &self,
        keys: R,
    ) -> impl Iterator<Item = (&QuoteKey, &T)> {
        let span = self.span(keys);
        self.entries[span]
            .iter()
            .filter(|e| !e.gone)
            .map(|e| (&e.key, &e.value))
    }

    /// [`ByKey::range`], the values mutable.
    pub fn range_mut<R: RangeBounds<QuoteKey>>(
        &mut self,
        keys: R,
    ) -> impl Iterator<Item = (&QuoteKey, &mut T)> {
        let span = self.span(keys);
        self.entries[span]
            .iter_mut()
            .filter(|e| !e.gone)
            .map(|e| (&e.key, &mut e.value))
    }

    pub fn get(&self, key: &QuoteKey) -> Option<&T> {
        self.find(key).map(|i| &self.entries[i].value)
    }

    pub fn get_mut(&mut self, key: &QuoteKey) -> Option<&mut T> {
        self.find(key).map(|i| &mut self.entries[i].value)
    }

    /// Marks the value at `key` gone (dropping the gone once they are half the entries).
    pub fn remove(&mut self, key: &QuoteKey) {
        if let Some(i) = self.find(key) {
            self.remove_at(i);
        }
    }

    /// Where the value at `key` is, tried first at `hint` (where it was last found: positions
    /// move only when orders are merged in or the gone dropped), else by binary search, whose
    /// unpredictable branches measured twice the tree's lookup.
    pub fn locate(&self, key: &QuoteKey, hint: usize) -> Option<usize> {
        match self.entries.get(hint) {
            Some(e) if e.key == *key && !e.gone => Some(hint),
            _ => self.find(key),
        }
    }

    /// The value at a position [`ByKey::locate`] gave (and nothing changed since).
    pub fn at_mut(&mut self, i: usize) -> &mut T {
        &mut self.entries[i].value
    }

    /// [`ByKey::remove`] at a position [`ByKey::locate`] gave.
    pub fn remove_at(&mut self, i: usize) {
        debug_assert!(!self.entries[i].gone);
        self.entries[i].gone = true;
        self.gone += 1;
        if 2 * self.gone > self.entries.len() {
            self.compact();
        }
    }

    /// Adds values at keys none of which is present, given in increasing key order.
    pub fn insert_sorted(&mut self, new: impl IntoIterator<Item = (QuoteKey, T)>) {
        self.compact();
        let before = self.entries.len();
        self.entries
            .extend(new.into_iter().map(|(key, value)| Entry {
                key,
                value,
                gone: false,
            }));
        if self.entries.len() > before {
            // Two sorted runs: the stable sort merges them in one pass.
            self.entries.sort_by_key(|e| e.key);
            debug_assert!(
                self.entries.windows(2).all(|p| p[0].key < p[1].key),
                "a key inserted twice"
            );
        }
    }

    fn compact(&mut self) {
        if self.gone > 0 {
            self.entries.retain(|e| !e.gone);
            self.gone = 0;
        }
    }

    /// The index of the live entry at `key`.
    fn find(&self, key: &QuoteKey) -> Option<usize> {
        // At most one entry per key is not gone, and a gone one is never revived: a key placed
        // again comes in after a compaction.
        self.entries
            .binary_search_by(|e| e.key.cmp(key))
            .ok()
            .filter(|&i| !self.entries[i].gone)
    }

    /// The entries with keys in `keys`.
    fn span<R: RangeBounds<QuoteKey>>(&self, keys: R) -> std::ops::Range<usize> {
        use std::ops::Bound;
        let start = match keys.start_bound() {
            Bound::Unbounded => 0,
            Bound::Included(k) => self.entries.partition_point(|e| e.key < *k),
            Bound::Excluded(k) => self.entries.partition_point(|e| e.key <= *k),
        };
        let end = match keys.end_bound() {
            Bound::Unbounded => self.entries.len(),
            Bound::Included(k) => self.entries.partition_point(|e| e.key <= *k),
            Bound::Excluded(k) => self.entries.partition_point(|e| e.key < *k),
        };
        start..end.max(start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instrument::InstrumentId;
    use crate::units::Side;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn key(n: u8) -> QuoteKey {
        QuoteKey {
            instrument: InstrumentId(u32::from(n / 4)),
            side: if n % 2 == 0 { Side::Buy } else { Side::Sell },
            level: (n / 2) % 2,
        }
    }

    proptest! {
        /// Any sequence of inserts, removals and updates leaves the same contents, in the same
        /// order, as a tree map given the same sequence.
        #[test]
        fn behaves_as_a_tree_map(ops in prop::collection::vec((0u8..3, 0u8..40, any::<u32>()), 0..200)) {
            let (mut ours, mut tree) = (ByKey::default(), BTreeMap::new());
            for (op, k, v) in ops {
                let k = key(k);
                match op {
                    0 if !tree.contains_key(&k) => {
                        ours.insert_sorted([(k, v)]);
                        tree.insert(k, v);
                    }
                    1 => {
                        ours.remove(&k);
                        tree.remove(&k);
                    }
                    _ => {
                        // Found where it is, or from any wrong hint.
                        let hint = v as usize % 50;
                        let found = ours.locate(&k, hint);
                        prop_assert_eq!(found.is_some(), tree.contains_key(&k));
                        prop_assert_eq!(found, ours.locate(&k, found.unwrap_or(0)));
                        if let (Some(i), Some(b)) = (found, tree.get_mut(&k)) {
                            *ours.at_mut(i) = v;
                            *b = v;
                        }
                    }
                }
                prop_assert_eq!(ours.len(), tree.len());
                prop_assert_eq!(ours.get(&k), tree.get(&k));
                let all: Vec<_> = ours.iter().collect();
                prop_assert_eq!(all, tree.iter().collect::<Vec<_>>());
                let (lo, hi) = (key(8), key(21));
                let part: Vec<_> = ours.range(lo..=hi).collect();
                prop_assert_eq!(part, tree.range(lo..=hi).collect::<Vec<_>>());
                let part: Vec<_> = ours.range_mut(lo..hi).map(|(k, v)| (*k, *v)).collect();
                let want: Vec<_> = tree.range(lo..hi).map(|(k, v)| (*k, *v)).collect();
                prop_assert_eq!(part, want);
            }
        }
    }

    #[test]
    fn many_sorted_inserts_at_once() {
        let mut ours = ByKey::default();
        ours.insert_sorted((0..40).step_by(2).map(|n| (key(n), n)));
        ours.remove(&key(4));
        ours.insert_sorted((1..40).step_by(2).map(|n| (key(n), n)));
        ours.insert_sorted([(key(4), 4)]);
        let keys: Vec<u8> = ours.iter().map(|(_, &v)| v).collect();
        let mut want: Vec<u8> = (0..40).collect();
        want.sort_by_key(|&n| key(n));
        assert_eq!(keys, want);
    }
}
