//! A seeded L2 incremental stream for one instrument, for replay benchmarks: a 25-level book a
//! side around a mid that wanders one tick at a time, level sizes that change, and trades
//! (about `trade_share` of the records) that take from the best level. It starts with a clear and
//! a snapshot, and every record leaves the book uncrossed with 25 levels a side.

use crate::binary::{Kind, Record, Run};
use engine::{InstrumentId, Price, Qty, Side, Timestamp};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;

#[derive(Clone, Debug, PartialEq)]
pub struct L2StreamConfig {
    pub instrument: InstrumentId,
    pub levels: usize,
    /// Mid at the start, in price units (the tick is one unit).
    pub start_mid: i64,
    pub trade_share: f64,
    /// Share of non-trade steps that move the mid a tick.
    pub shift_share: f64,
    /// Nanoseconds between steps.
    pub step_nanos: i64,
}

impl Default for L2StreamConfig {
    fn default() -> Self {
        L2StreamConfig {
            instrument: InstrumentId(0),
            levels: 25,
            start_mid: 200_000,
            trade_share: 0.07,
            shift_share: 0.1,
            step_nanos: 1_000_000,
        }
    }
}

pub struct L2Stream {
    config: L2StreamConfig,
    rng: ChaCha8Rng,
    /// Best first: bid prices are mid-1-i, ask prices mid+1+i.
    mid: i64,
    bids: VecDeque<i64>,
    asks: VecDeque<i64>,
    t: i64,
    out: VecDeque<Record>,
    left: u64,
}

impl L2Stream {
    /// About `records` records (the last step may add a few).
    pub fn new(config: L2StreamConfig, records: u64, seed: u64) -> L2Stream {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n = config.levels;
        let bids = (0..n).map(|_| rng.random_range(1..100)).collect();
        let asks = (0..n).map(|_| rng.random_range(1..100)).collect();
        let mut s = L2Stream {
            mid: config.start_mid,
            config,
            rng,
            bids,
            asks,
            t: 0,
            out: VecDeque::new(),
            left: records,
        };
        s.snapshot();
        s
    }

    fn record(&mut self, kind: Kind, side: Side, price: i64, qty: i64) {
        self.out.push_back(Record {
            at: Timestamp(self.t),
            instrument: self.config.instrument,
            kind,
            side,
            price: Price(price),
            qty: Qty(qty),
            // Its snapshot is told by the clear before it (the levels at the clear's time).
            run: Run::Delta,
        });
    }

    fn snapshot(&mut self) {
        self.record(Kind::Clear, Side::Buy, 0, 0);
        for i in 0..self.bids.len() {
            let (b, a) = (self.bids[i], self.asks[i]);
            self.record(Kind::Level, Side::Buy, self.mid - 1 - i as i64, b);
            self.record(Kind::Level, Side::Sell, self.mid + 1 + i as i64, a);
        }
    }

    /// A trade at the best of a random side; what it takes is refilled, the level stays.
    fn trade(&mut self) {
        let aggressor = if self.rng.random::<bool>() {
            Side::Buy
        } else {
            Side::Sell
        };
        let (book, price) = match aggressor {
            Side::Buy => (&mut self.asks, self.mid + 1),
            Side::Sell => (&mut self.bids, self.mid - 1),
        };
        let best = book[0];
        let take = self.rng.random_range(1..=best);
        // What a trade takes from the best is refilled by a new order: the level stays.
        let left = if take == best {
            self.rng.random_range(1..100)
        } else {
            best - take
        };
        book[0] = left;
        self.record(Kind::Trade, aggressor, price, take);
        self.record(Kind::Level, aggressor.opposite(), price, left);
    }

    /// The mid moves a tick up or down: the best on one side goes, a level appears on the
    /// other at the old mid, and the book's far ends follow.
    fn shift(&mut self) {
        let n = self.config.levels as i64;
        let up = self.rng.random::<bool>();
        let fresh = self.rng.random_range(1..100);
        if up {
            // The best ask goes, a bid appears at the old mid; the book's ends follow.
            let gone_ask = self.mid + 1;
            let far_bid = self.mid - n;
            self.asks.pop_front();
            self.bids.pop_back();
            self.bids.push_front(fresh);
            self.mid += 1;
            let far_ask_qty = self.rng.random_range(1..100);
            self.asks.push_back(far_ask_qty);
            self.record(Kind::Level, Side::Sell, gone_ask, 0);
            self.record(Kind::Level, Side::Buy, far_bid, 0);
            self.record(Kind::Level, Side::Buy, self.mid - 1, fresh);
            self.record(Kind::Level, Side::Sell, self.mid + n, far_ask_qty);
        } else {
            let gone_bid = self.mid - 1;
            let far_ask = self.mid + n;
            self.bids.pop_front();
            self.asks.pop_back();
            self.asks.push_front(fresh);
            self.mid -= 1;
            let far_bid_qty = self.rng.random_range(1..100);
            self.bids.push_back(far_bid_qty);
            self.record(Kind::Level, Side::Buy, gone_bid, 0);
            self.record(Kind::Level, Side::Sell, far_ask, 0);
            self.record(Kind::Level, Side::Sell, self.mid + 1, fresh);
            self.record(Kind::Level, Side::Buy, self.mid - n, far_bid_qty);
        }
    }

    fn step(&mut self) {
        self.t += self.config.step_nanos;
        // A trade step writes 2 records (the trade, its level), a shift 4, a change 1: with c
        // records per non-trade step, trades are p/(2p + c(1-p)) of all records; solve for p.
        let (s, c) = (self.config.trade_share, 1.0 + 3.0 * self.config.shift_share);
        let p_trade = s * c / (1.0 - s * (2.0 - c));
        if self.rng.random::<f64>() < p_trade {
            return self.trade();
        }
        if self.rng.random::<f64>() < self.config.shift_share {
            return self.shift();
        }
        let side = if self.rng.random::<bool>() {
            Side::Buy
        } else {
            Side::Sell
        };
        let i = self.rng.random_range(0..self.config.levels);
        let qty = self.rng.random_range(1..100);
        let price = match side {
            Side::Buy => {
                self.bids[i] = qty;
                self.mid - 1 - i as i64
            }
            Side::Sell => {
                self.asks[i] = qty;
                self.mid + 1 + i as i64
            }
        };
        self.record(Kind::Level, side, price, qty);
    }
}

impl Iterator for L2Stream {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        if self.out.is_empty() {
            if self.left == 0 {
                return None;
            }
            self.step();
        }
        let r = self.out.pop_front()?;
        self.left = self.left.saturating_sub(1);
        Some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::book::L2Book;

    #[test]
    fn a_live_uncrossed_25_level_book_with_about_7_percent_trades() {
        let records: Vec<Record> = L2Stream::new(L2StreamConfig::default(), 200_000, 9).collect();
        assert!(records.len() >= 200_000);
        let trades = records.iter().filter(|r| r.kind == Kind::Trade).count() as f64;
        let share = trades / records.len() as f64;
        assert!((0.06..0.08).contains(&share), "trade share {share}");
        assert_eq!(
            records,
            L2Stream::new(L2StreamConfig::default(), 200_000, 9).collect::<Vec<_>>()
        );
        // Replayed into the engine's mirror: live, uncrossed, 25 levels a side at the end.
        let mut book = L2Book::new();
        let snapshot_end = records.iter().position(|r| r.at.0 > 0).unwrap();
        let level = |r: &Record| (r.price, r.qty);
        let bids: Vec<(Price, Qty)> = records[1..snapshot_end]
            .iter()
            .filter(|r| r.side == Side::Buy)
            .map(level)
            .collect();
        let asks: Vec<(Price, Qty)> = records[1..snapshot_end]
            .iter()
            .filter(|r| r.side == Side::Sell)
            .map(level)
            .collect();
        book.apply_snapshot(0, &bids, &asks).unwrap();
        for (seq, r) in (0u64..).zip(
            records[snapshot_end..]
                .iter()
                .filter(|r| r.kind == Kind::Level),
        ) {
            book.apply_update(seq + 1, seq, &[crate::replay::level_update(&book, r)])
                .unwrap_or_else(|e| panic!("{r:?}: {e}"));
        }
        assert!(book.is_live());
        let (bid, ask) = (book.best_bid().unwrap().0, book.best_ask().unwrap().0);
        assert!(bid < ask);
        assert_eq!(book.depth(Side::Buy, 100).count(), 25);
        assert_eq!(book.depth(Side::Sell, 100).count(), 25);
    }
}
