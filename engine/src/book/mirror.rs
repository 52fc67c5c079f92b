//! An L2 mirror kept in step with Deribit-style sequenced book messages: a snapshot, then deltas
//! each carrying `change_id` and `prev_change_id`. A gap or an impossible delta marks the book stale
//! until the next snapshot; a crossed book is reported on every update that leaves it crossed.

use super::ladder::Ladder;
use crate::units::{Price, Qty, Side};
use std::fmt;
use thiserror::Error;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LevelAction {
    New,
    Change,
    Delete,
}

/// One level of a delta, as Deribit's `[action, price, amount]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LevelUpdate {
    pub side: Side,
    pub action: LevelAction,
    pub price: Price,
    /// The new size for `New` / `Change`; ignored for `Delete`.
    pub qty: Qty,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StaleReason {
    /// `prev_change_id` did not match the last `change_id` seen: messages were lost.
    Gap { expected: u64, got: u64 },
    /// A delta that cannot apply to this book (e.g. a delete of a level that is not there): the
    /// mirror has drifted from the venue.
    Inconsistent { seq: u64, why: &'static str },
    /// A snapshot that could not be applied.
    BadSnapshot { seq: u64, why: &'static str },
    /// Marked by the caller (e.g. a dropped connection).
    Marked(&'static str),
}

impl fmt::Display for StaleReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StaleReason::Gap { expected, got } => {
                write!(
                    f,
                    "sequence gap: expected prev_change_id {expected}, got {got}"
                )
            }
            StaleReason::Inconsistent { seq, why } => write!(f, "update {seq}: {why}"),
            StaleReason::BadSnapshot { seq, why } => write!(f, "snapshot {seq}: {why}"),
            StaleReason::Marked(why) => f.write_str(why),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BookStatus {
    /// No snapshot yet.
    AwaitingSnapshot,
    Live,
    /// In sequence, but the best bid is at or above the best ask.
    Crossed {
        bid: Price,
        ask: Price,
    },
    /// Out of step with the venue until the next snapshot.
    Stale(StaleReason),
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum BookError {
    #[error("book update {seq} ignored: no snapshot yet")]
    AwaitingSnapshot { seq: u64 },
    #[error("book update {seq} ignored: book is stale ({reason}) until the next snapshot")]
    Stale { seq: u64, reason: StaleReason },
    #[error("book update {seq}: {reason}; book is stale until the next snapshot")]
    Desync { seq: u64, reason: StaleReason },
    #[error("book after {seq} is crossed: best bid {bid} >= best ask {ask}")]
    Crossed { seq: u64, bid: Price, ask: Price },
}

/// Fills an empty ladder from snapshot levels.
fn fill(ladder: &mut Ladder, levels: &[(Price, Qty)]) -> Result<(), &'static str> {
    for &(p, q) in levels {
        if q.0 <= 0 {
            return Err("a level has a size that is not positive");
        }
        if ladder.set(p, q) {
            return Err("a price appears twice on one side");
        }
    }
    Ok(())
}

#[derive(Clone, Debug)]
pub struct L2Book {
    bids: Ladder,
    asks: Ladder,
    last_seq: u64,
    status: BookStatus,
}

impl Default for L2Book {
    fn default() -> Self {
        L2Book::new()
    }
}

impl L2Book {
    pub fn new() -> L2Book {
        L2Book {
            bids: Ladder::new(Side::Buy),
            asks: Ladder::new(Side::Sell),
            last_seq: 0,
            status: BookStatus::AwaitingSnapshot,
        }
    }

    pub fn status(&self) -> &BookStatus {
        &self.status
    }
    /// True when the book is in step with the venue and not crossed: safe to price from.
    pub fn is_live(&self) -> bool {
        self.status == BookStatus::Live
    }
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// Replaces the book. Sizes must be positive and each price appear once per side; otherwise the
    /// book is emptied and stale. A crossed snapshot is kept and reported.
    pub fn apply_snapshot(
        &mut self,
        seq: u64,
        bids: &[(Price, Qty)],
        asks: &[(Price, Qty)],
    ) -> Result<(), BookError> {
        self.bids.clear();
        self.asks.clear();
        self.last_seq = seq;
        if let Err(why) = fill(&mut self.bids, bids).and_then(|_| fill(&mut self.asks, asks)) {
            self.bids.clear();
            self.asks.clear();
            let reason = StaleReason::BadSnapshot { seq, why };
            self.status = BookStatus::Stale(reason.clone());
            return Err(BookError::Desync { seq, reason });
        }
        self.status = BookStatus::Live;
        self.check_crossed(seq)
    }

    /// Applies one delta message. `prev_seq` must equal the last sequence seen.
    pub fn apply_update(
        &mut self,
        seq: u64,
        prev_seq: u64,
        levels: &[LevelUpdate],
    ) -> Result<(), BookError> {
        match &self.status {
            BookStatus::AwaitingSnapshot => return Err(BookError::AwaitingSnapshot { seq }),
            BookStatus::Stale(reason) => {
                return Err(BookError::Stale {
                    seq,
                    reason: reason.clone(),
                })
            }
            BookStatus::Live | BookStatus::Crossed { .. } => {}
        }
        if prev_seq != self.last_seq {
            return Err(self.desync(
                seq,
                StaleReason::Gap {
                    expected: self.last_seq,
                    got: prev_seq,
                },
            ));
        }
        for u in levels {
            if let Err(why) = self.apply_level(u) {
                return Err(self.desync(seq, StaleReason::Inconsistent { seq, why }));
            }
        }
        self.last_seq = seq;
        self.check_crossed(seq)
    }

    /// One level set to `qty` (zero: removed) whatever it showed, for data that sends sizes
    /// rather than actions (Tardis's L2 rows): the size it showed before. Checked as
    /// [`L2Book::apply_update`] checks the new, change or delete it stands for, with one search
    /// of the side where reading the level and then updating it took two. A zero size where the
    /// side shows none changes nothing: `Ok(0)`, unchecked, `seq` not taken. A book left
    /// crossed is not an error here (its status says so).
    pub fn set_level(
        &mut self,
        (seq, prev_seq): (u64, u64),
        side: Side,
        price: Price,
        qty: Qty,
    ) -> Result<Qty, BookError> {
        enum Refused {
            Nothing,
            Book(BookError),
            Gap,
            Inconsistent(&'static str),
        }
        let (status, last_seq) = (&self.status, self.last_seq);
        let ladder = match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        };
        let applied = ladder.replace(price, qty, |shows| match status {
            _ if qty.0 == 0 && shows.0 == 0 => Err(Refused::Nothing),
            BookStatus::AwaitingSnapshot => Err(Refused::Book(BookError::AwaitingSnapshot { seq })),
            BookStatus::Stale(reason) => Err(Refused::Book(BookError::Stale {
                seq,
                reason: reason.clone(),
            })),
            _ if prev_seq != last_seq => Err(Refused::Gap),
            _ if qty.0 < 0 => Err(Refused::Inconsistent(
                "new or changed level with a size that is not positive",
            )),
            _ => Ok(()),
        });
        match applied {
            Ok(shows) => {
                self.last_seq = seq;
                // Crossed: the status records it.
                let _ = self.check_crossed(seq);
                Ok(shows)
            }
            Err(Refused::Nothing) => Ok(Qty::ZERO),
            Err(Refused::Book(e)) => Err(e),
            Err(Refused::Gap) => Err(self.desync(
                seq,
                StaleReason::Gap {
                    expected: last_seq,
                    got: prev_seq,
                },
            )),
            Err(Refused::Inconsistent(why)) => {
                Err(self.desync(seq, StaleReason::Inconsistent { seq, why }))
            }
        }
    }

    #[inline]
    fn apply_level(&mut self, u: &LevelUpdate) -> Result<(), &'static str> {
        let ladder = match u.side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        };
        match u.action {
            LevelAction::New | LevelAction::Change if u.qty.0 <= 0 => {
                Err("new or changed level with a size that is not positive")
            }
            LevelAction::New => {
                if ladder.set(u.price, u.qty) {
                    Err("'new' for a price level that already exists")
                } else {
                    Ok(())
                }
            }
            LevelAction::Change => {
                if ladder.set(u.price, u.qty) {
                    Ok(())
                } else {
                    Err("'change' for a price level that does not exist")
                }
            }
            LevelAction::Delete => {
                if ladder.remove(u.price) {
                    Ok(())
                } else {
                    Err("'delete' for a price level that does not exist")
                }
            }
        }
    }

    fn desync(&mut self, seq: u64, reason: StaleReason) -> BookError {
        self.status = BookStatus::Stale(reason.clone());
        BookError::Desync { seq, reason }
    }

    #[inline]
    fn check_crossed(&mut self, seq: u64) -> Result<(), BookError> {
        if let (Some((bid, _)), Some((ask, _))) = (self.bids.best(), self.asks.best()) {
            if bid >= ask {
                self.status = BookStatus::Crossed { bid, ask };
                return Err(BookError::Crossed { seq, bid, ask });
            }
        }
        self.status = BookStatus::Live;
        Ok(())
    }

    /// Marks the book stale (a dropped feed, a reconnect): it waits for a snapshot.
    pub fn mark_stale(&mut self, why: &'static str) {
        self.status = BookStatus::Stale(StaleReason::Marked(why));
    }

    #[inline]
    pub fn best_bid(&self) -> Option<(Price, Qty)> {
        self.bids.best()
    }
    #[inline]
    pub fn best_ask(&self) -> Option<(Price, Qty)> {
        self.asks.best()
    }
    pub fn side(&self, side: Side) -> &Ladder {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }
    /// The best `n` levels of one side, best first.
    pub fn depth(&self, side: Side, n: usize) -> impl Iterator<Item = (Price, Qty)> + '_ {
        self.side(side).iter().take(n)
    }
    pub fn qty_at(&self, side: Side, price: Price) -> Qty {
        self.side(side).qty_at(price)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What [`L2Book::set_level`] stands for, the long way: the level read, the action it
    /// implies sent through `apply_update` (a removal of nothing not sent).
    fn set_by_update(
        b: &mut L2Book,
        seq: u64,
        side: Side,
        p: i64,
        q: i64,
    ) -> Result<Qty, BookError> {
        let shows = b.qty_at(side, Price(p));
        let action = match (q, shows.0 > 0) {
            (0, false) => return Ok(Qty::ZERO),
            (0, true) => LevelAction::Delete,
            (_, false) => LevelAction::New,
            (_, true) => LevelAction::Change,
        };
        let r = b.apply_update(seq, seq - 1, &[lv(side, action, p, q)]);
        match r {
            Ok(()) | Err(BookError::Crossed { .. }) => Ok(shows),
            Err(e) => Err(e),
        }
    }

    proptest! {
        /// Setting levels by size is the new, change or delete each stands for: the same
        /// levels, status, sizes shown before and errors, a snapshot first or not, sequence
        /// gaps and negative sizes included.
        #[test]
        fn set_level_is_the_update_it_stands_for(
            snapshot in any::<bool>(),
            ops in prop::collection::vec((any::<bool>(), 1i64..12, -1i64..4, 0u64..20), 1..60),
        ) {
            let (mut a, mut b) = (L2Book::new(), L2Book::new());
            if snapshot {
                let bids = [(Price(3), Qty(2)), (Price(2), Qty(1))];
                let asks = [(Price(8), Qty(1))];
                let _ = a.apply_snapshot(1, &bids, &asks);
                let _ = b.apply_snapshot(1, &bids, &asks);
            }
            for (buy, p, q, gap) in ops {
                let side = if buy { Side::Buy } else { Side::Sell };
                // Mostly in sequence; now and then a gap.
                let prev = a.last_seq() + u64::from(gap == 0);
                let got = a.set_level((prev + 1, prev), side, Price(p), Qty(q));
                let want = if prev == b.last_seq() {
                    set_by_update(&mut b, prev + 1, side, p, q)
                } else {
                    let shows = b.qty_at(side, Price(p));
                    if q == 0 && shows.0 == 0 {
                        Ok(Qty::ZERO)
                    } else {
                        b.apply_update(prev + 1, prev, &[lv(side, LevelAction::Change, p, q.max(1))])
                            .map(|_| shows)
                    }
                };
                prop_assert_eq!(&got, &want);
                prop_assert_eq!(a.status(), b.status());
                prop_assert_eq!(a.last_seq(), b.last_seq());
                for s in [Side::Buy, Side::Sell] {
                    prop_assert!(a.side(s).iter().eq(b.side(s).iter()));
                }
            }
        }
    }

    fn lv(side: Side, action: LevelAction, p: i64, q: i64) -> LevelUpdate {
        LevelUpdate {
            side,
            action,
            price: Price(p),
            qty: Qty(q),
        }
    }
    use LevelAction::*;
    use Side::*;

    fn book() -> L2Book {
        let mut b = L2Book::new();
        b.apply_snapshot(
            10,
            &[(Price(100), Qty(5)), (Price(99), Qty(7))],
            &[(Price(102), Qty(3)), (Price(105), Qty(1))],
        )
        .unwrap();
        b
    }

    #[test]
    fn snapshot_then_deltas() {
        let mut b = book();
        assert!(b.is_live());
        assert_eq!(b.best_bid(), Some((Price(100), Qty(5))));
        assert_eq!(b.best_ask(), Some((Price(102), Qty(3))));
        b.apply_update(
            11,
            10,
            &[
                lv(Buy, New, 101, 2),
                lv(Sell, Change, 102, 9),
                lv(Buy, Delete, 99, 0),
            ],
        )
        .unwrap();
        assert_eq!(b.best_bid(), Some((Price(101), Qty(2))));
        assert_eq!(b.qty_at(Sell, Price(102)), Qty(9));
        assert_eq!(b.qty_at(Buy, Price(99)), Qty::ZERO);
        let bids: Vec<_> = b.depth(Buy, 5).collect();
        assert_eq!(bids, vec![(Price(101), Qty(2)), (Price(100), Qty(5))]);
        assert_eq!(b.depth(Sell, 1).count(), 1);
        assert_eq!(b.last_seq(), 11);
    }

    #[test]
    fn a_gap_marks_the_book_stale_until_a_snapshot() {
        let mut b = book();
        let err = b.apply_update(13, 12, &[lv(Buy, New, 101, 1)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "book update 13: sequence gap: expected prev_change_id 10, got 12; book is stale until the next snapshot"
        );
        assert!(matches!(
            b.status(),
            BookStatus::Stale(StaleReason::Gap {
                expected: 10,
                got: 12
            })
        ));
        // The lost update is not applied, and later ones are refused, saying why.
        assert_eq!(b.qty_at(Buy, Price(101)), Qty::ZERO);
        assert!(matches!(
            b.apply_update(14, 13, &[]),
            Err(BookError::Stale { .. })
        ));
        b.apply_snapshot(20, &[(Price(90), Qty(1))], &[]).unwrap();
        assert!(b.is_live());
        b.apply_update(21, 20, &[lv(Sell, New, 95, 1)]).unwrap();
    }

    #[test]
    fn deltas_that_cannot_apply_desync_the_book() {
        for bad in [
            lv(Buy, Delete, 98, 0),
            lv(Buy, Change, 98, 1),
            lv(Buy, New, 100, 1),
            lv(Buy, New, 98, 0),
            lv(Sell, Change, 102, -1),
        ] {
            let mut b = book();
            let err = b.apply_update(11, 10, &[bad]).unwrap_err();
            assert!(matches!(err, BookError::Desync { seq: 11, .. }), "{bad:?}");
            assert!(matches!(b.status(), BookStatus::Stale(_)));
        }
    }

    #[test]
    fn a_crossed_book_is_an_error_the_caller_sees_and_clears_when_uncrossed() {
        let mut b = book();
        let err = b.apply_update(11, 10, &[lv(Buy, New, 102, 1)]).unwrap_err();
        assert_eq!(
            err,
            BookError::Crossed {
                seq: 11,
                bid: Price(102),
                ask: Price(102)
            }
        );
        assert!(!b.is_live());
        b.apply_update(12, 11, &[lv(Buy, Delete, 102, 0)]).unwrap();
        assert!(b.is_live());
    }

    #[test]
    fn bad_snapshots_and_updates_before_a_snapshot_are_refused() {
        let mut b = L2Book::new();
        assert_eq!(
            b.apply_update(1, 0, &[]),
            Err(BookError::AwaitingSnapshot { seq: 1 })
        );
        let err = b
            .apply_snapshot(5, &[(Price(1), Qty(1)), (Price(1), Qty(2))], &[])
            .unwrap_err();
        assert!(err.to_string().contains("appears twice"), "{err}");
        assert!(b.best_bid().is_none());
        assert!(b
            .apply_snapshot(6, &[], &[(Price(3), Qty(0))])
            .unwrap_err()
            .to_string()
            .contains("not positive"));
        assert!(matches!(
            b.apply_snapshot(7, &[(Price(5), Qty(1))], &[(Price(4), Qty(1))]),
            Err(BookError::Crossed { .. })
        ));
        b.mark_stale("feed dropped");
        assert_eq!(
            b.status(),
            &BookStatus::Stale(StaleReason::Marked("feed dropped"))
        );
    }
}
