//! One option's book in the Tardis market: the engine's L2 mirror (as the live connector keeps
//! it), fed Tardis's snapshots and level rows.

use engine::book::{BookError, L2Book, Ladder};
use engine::state::Top;
use engine::{Price, Qty, Side, Timestamp};

/// An option's book: the engine's L2 mirror, as the live connector keeps it, fed the data's rows
/// in order, each numbered one past the last the mirror took (Tardis rows carry no sequence).
#[derive(Default)]
pub(super) struct Book {
    mirror: L2Book,
}

impl Book {
    pub(super) fn side(&self, side: Side) -> &Ladder {
        self.mirror.side(side)
    }

    /// The top as of `now`: the feed is continuous, so a book that did not change is current;
    /// live only while the mirror is (not crossed, not awaiting a snapshot).
    pub(super) fn top(&self, now: Timestamp) -> Top {
        Top {
            bid: self.mirror.best_bid(),
            ask: self.mirror.best_ask(),
            live: self.mirror.is_live(),
            updated: now,
        }
    }

    /// Replaces the book. A crossed book is kept (its top is not live); one the mirror refuses
    /// (a price twice on a side, a size that is not positive) is an error.
    pub(super) fn snapshot(
        &mut self,
        bids: &[(Price, Qty)],
        asks: &[(Price, Qty)],
    ) -> Result<(), BookError> {
        let next = self.mirror.last_seq() + 1;
        match self.mirror.apply_snapshot(next, bids, asks) {
            Err(e @ BookError::Desync { .. }) => Err(e),
            _ => Ok(()),
        }
    }

    /// One level's new size (0: gone): the size it showed before. A removal of a level the book
    /// does not hold changes nothing; an update before the first snapshot is an error.
    pub(super) fn set(&mut self, side: Side, price: Price, qty: Qty) -> Result<Qty, BookError> {
        let last = self.mirror.last_seq();
        self.mirror.set_level((last + 1, last), side, price, qty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lv(p: i64, q: i64) -> (Price, Qty) {
        (Price(p), Qty(q))
    }

    #[test]
    fn a_book_waits_for_its_snapshot_then_follows_levels_and_marks_a_cross() {
        let mut b = Book::default();
        let err = b.set(Side::Buy, Price(100), Qty(5));
        assert!(
            matches!(err, Err(BookError::AwaitingSnapshot { .. })),
            "{err:?}"
        );
        assert_eq!(b.top(Timestamp(1)).bid, None);
        b.snapshot(&[lv(100, 5)], &[lv(110, 2)]).unwrap();
        assert!(b.top(Timestamp(1)).live);
        // A new level, a change, a removal, and a removal of nothing.
        b.set(Side::Buy, Price(105), Qty(1)).unwrap();
        b.set(Side::Buy, Price(100), Qty(3)).unwrap();
        b.set(Side::Sell, Price(110), Qty(0)).unwrap();
        b.set(Side::Sell, Price(120), Qty(0)).unwrap();
        let levels: Vec<_> = b.side(Side::Buy).iter().collect();
        assert_eq!(levels, [lv(105, 1), lv(100, 3)]);
        assert_eq!(b.top(Timestamp(2)).ask, None);
        // A crossing ask is kept, and the top is not live until it clears.
        b.set(Side::Sell, Price(104), Qty(1)).unwrap();
        let top = b.top(Timestamp(3));
        assert_eq!(
            (top.bid, top.ask, top.live),
            (Some(lv(105, 1)), Some(lv(104, 1)), false)
        );
        b.set(Side::Sell, Price(104), Qty(0)).unwrap();
        assert!(b.top(Timestamp(4)).live);
        // A snapshot with a price twice is refused and leaves the book empty until the next.
        assert!(b.snapshot(&[lv(100, 1), lv(100, 2)], &[]).is_err());
        assert!(!b.top(Timestamp(5)).live);
        assert!(b.set(Side::Buy, Price(100), Qty(1)).is_err());
    }
}
