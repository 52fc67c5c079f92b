//! One side of an L2 book: levels kept sorted with the best price last, so the best price is one
//! load.
//!
//! A deleted level inside the ladder is left as a hole (size 0) instead of shifting the levels
//! above it, and a new level at a hole's price fills it in place: books churn levels within a
//! narrow band, so most new levels land on a hole and neither delete nor insert moves memory. The
//! top is never a hole, and holes are swept out once they outnumber the levels.

use crate::units::{Price, Qty, Side};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Level {
    /// Sort key: the price for bids, minus the price for asks; ascending, so the best is last.
    key: i64,
    qty: Qty,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ladder {
    side: Side,
    /// Sorted by key; holes have size 0; the last entry, if any, is not a hole.
    levels: Vec<Level>,
    holes: usize,
}

/// Holes are swept when there are more than this many and more holes than levels.
const MIN_HOLES_TO_SWEEP: usize = 8;

impl Ladder {
    pub fn new(side: Side) -> Ladder {
        Ladder {
            side,
            levels: Vec::with_capacity(64),
            holes: 0,
        }
    }

    pub fn side(&self) -> Side {
        self.side
    }

    /// Index of `p` or its hole (Ok), or where it would go (Err). Measured on a 25-level book
    /// against a scan from the top, a top-first hybrid and a branch-free search (BENCHMARKS.md):
    /// the standard binary search was fastest.
    #[inline]
    fn find(&self, p: Price) -> Result<usize, usize> {
        let key = self.side.book_key(p);
        self.levels.binary_search_by(|l| l.key.cmp(&key))
    }

    #[inline]
    pub fn best(&self) -> Option<(Price, Qty)> {
        self.levels
            .last()
            .map(|l| (self.side.key_price(l.key), l.qty))
    }

    /// Size at `p`; zero when there is no level.
    pub fn qty_at(&self, p: Price) -> Qty {
        match self.find(p) {
            Ok(i) => self.levels[i].qty,
            Err(_) => Qty::ZERO,
        }
    }

    pub fn contains(&self, p: Price) -> bool {
        self.qty_at(p).0 > 0
    }

    /// Sets the (positive) size at `p`, adding the level if it is new. Returns whether it existed.
    #[inline]
    pub fn set(&mut self, p: Price, qty: Qty) -> bool {
        let found = self.find(p);
        self.set_found(found, p, qty)
    }

    /// Sets `p`'s level to `qty` (zero removes it) whatever it holds, once `check` has seen the
    /// size it holds and agreed: one search, where reading the level and then setting it took
    /// two. The size it held, or `check`'s error (the ladder untouched). `check` refuses a
    /// negative `qty`.
    #[inline]
    pub(crate) fn replace<E>(
        &mut self,
        p: Price,
        qty: Qty,
        check: impl FnOnce(Qty) -> Result<(), E>,
    ) -> Result<Qty, E> {
        let found = self.find(p);
        let held = found.map_or(Qty::ZERO, |i| self.levels[i].qty);
        check(held)?;
        match found {
            Ok(i) if qty.0 == 0 => {
                self.remove_found(i);
            }
            Err(_) if qty.0 == 0 => {}
            _ => {
                self.set_found(found, p, qty);
            }
        }
        Ok(held)
    }

    /// [`Ladder::set`] at what [`Ladder::find`] found for `p`.
    #[inline]
    fn set_found(&mut self, found: Result<usize, usize>, p: Price, qty: Qty) -> bool {
        debug_assert!(qty.0 > 0, "a level's size is positive; use remove");
        match found {
            Ok(i) => {
                let existed = self.levels[i].qty.0 > 0;
                if !existed {
                    self.holes -= 1;
                }
                self.levels[i].qty = qty;
                existed
            }
            Err(i) => {
                let key = self.side.book_key(p);
                self.levels.insert(i, Level { key, qty });
                false
            }
        }
    }

    /// Removes the level at `p`; returns whether it existed.
    #[inline]
    pub fn remove(&mut self, p: Price) -> bool {
        let Ok(i) = self.find(p) else {
            return false;
        };
        self.remove_found(i)
    }

    /// [`Ladder::remove`] of the level or hole at index `i`.
    #[inline]
    fn remove_found(&mut self, i: usize) -> bool {
        if self.levels[i].qty.0 == 0 {
            return false;
        }
        if i + 1 == self.levels.len() {
            // The top goes, with any holes right under it, so the best stays one load away.
            self.levels.pop();
            while self.levels.last().is_some_and(|l| l.qty.0 == 0) {
                self.levels.pop();
                self.holes -= 1;
            }
        } else {
            self.levels[i].qty = Qty::ZERO;
            self.holes += 1;
        }
        if self.holes > MIN_HOLES_TO_SWEEP && self.holes * 2 > self.levels.len() {
            self.levels.retain(|l| l.qty.0 > 0);
            self.holes = 0;
        }
        true
    }

    pub fn clear(&mut self) {
        self.levels.clear();
        self.holes = 0;
    }

    /// Number of levels.
    pub fn len(&self) -> usize {
        self.levels.len() - self.holes
    }
    pub fn is_empty(&self) -> bool {
        self.levels.is_empty()
    }

    /// Levels best first.
    pub fn iter(&self) -> impl Iterator<Item = (Price, Qty)> + '_ {
        self.levels
            .iter()
            .rev()
            .filter(|l| l.qty.0 > 0)
            .map(|l| (self.side.key_price(l.key), l.qty))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keeps_the_best_price_on_top_for_each_side() {
        let mut bids = Ladder::new(Side::Buy);
        let mut asks = Ladder::new(Side::Sell);
        for p in [10, 30, 20] {
            bids.set(Price(p), Qty(p));
            asks.set(Price(p), Qty(p));
        }
        assert_eq!(bids.best(), Some((Price(30), Qty(30))));
        assert_eq!(asks.best(), Some((Price(10), Qty(10))));
        let prices: Vec<i64> = bids.iter().map(|(p, _)| p.0).collect();
        assert_eq!(prices, vec![30, 20, 10]);
        let prices: Vec<i64> = asks.iter().map(|(p, _)| p.0).collect();
        assert_eq!(prices, vec![10, 20, 30]);
        assert!(bids.set(Price(20), Qty(5)));
        assert_eq!(bids.qty_at(Price(20)), Qty(5));
        assert!(bids.remove(Price(30)));
        assert!(!bids.remove(Price(30)));
        assert_eq!(bids.best(), Some((Price(20), Qty(5))));
        assert_eq!(bids.qty_at(Price(99)), Qty::ZERO);
    }

    #[test]
    fn holes_are_invisible_and_refilled_in_place() {
        let mut bids = Ladder::new(Side::Buy);
        for p in 1..=5 {
            bids.set(Price(p), Qty(1));
        }
        assert!(bids.remove(Price(3)));
        assert!(!bids.remove(Price(3)), "a hole is not a level");
        assert!(!bids.contains(Price(3)));
        assert_eq!(bids.len(), 4);
        assert_eq!(
            bids.iter().map(|(p, _)| p.0).collect::<Vec<_>>(),
            vec![5, 4, 2, 1]
        );
        assert!(!bids.set(Price(3), Qty(7)), "refilling a hole adds a level");
        assert_eq!(bids.qty_at(Price(3)), Qty(7));
        assert_eq!(bids.len(), 5);
        // Removing the top also drops the holes right under it.
        bids.remove(Price(4));
        bids.remove(Price(5));
        assert_eq!(bids.best(), Some((Price(3), Qty(7))));
        assert_eq!(bids.levels.len(), 3);
    }

    proptest! {
        #[test]
        fn behaves_like_a_sorted_map(ops in prop::collection::vec((any::<bool>(), 0i64..60, 1i64..5), 0..300)) {
            let mut ladder = Ladder::new(Side::Sell);
            let mut model = std::collections::BTreeMap::new();
            for (add, p, q) in ops {
                if add {
                    prop_assert_eq!(ladder.set(Price(p), Qty(q)), model.insert(p, q).is_some());
                } else {
                    prop_assert_eq!(ladder.remove(Price(p)), model.remove(&p).is_some());
                }
                let got: Vec<(i64, i64)> = ladder.iter().map(|(p, q)| (p.0, q.0)).collect();
                let want: Vec<(i64, i64)> = model.iter().map(|(&p, &q)| (p, q)).collect();
                prop_assert_eq!(&got, &want);
                prop_assert_eq!(ladder.best().map(|(p, q)| (p.0, q.0)), want.first().copied());
                prop_assert_eq!(ladder.len(), model.len());
                prop_assert!(ladder.holes <= ladder.len().max(MIN_HOLES_TO_SWEEP));
            }
        }
    }
}
