//! The market as the live feed shows it, turned into the [`State`] the strategy reads, the same
//! way the backtest's markets do ([`StateBuilder`]): each instrument's book mirror (the
//! connector's `book.*` messages, sequence-checked), each option's last ticker (mark, mark IV, its
//! expiry's forward), the index, and the SVI surface fitted to the marks as the chain backtest
//! fits a snapshot ([`fit_snapshot`]).
//!
//! Time is the feed's: the venue's timestamps (a local venue may run its own calendar), moved on
//! by the wall clock between messages, so that data that stops arriving grows stale.

use backtest::chain::{ChainRow, Snapshot};
use backtest::chain_surface::fit_snapshot;
use connectors::deribit::book::BookMessage;
use connectors::deribit::ticker::Ticker;
use engine::book::{BookError, L2Book};
use engine::instrument::InstrumentKind;
use engine::pricing::OptionType;
use engine::state::{HedgeState, Stamped, State, StateBuilder, SurfaceState, Top};
use engine::{InstrumentId, Instruments, Qty, Timestamp};
use std::sync::Arc;
use std::time::Instant;

/// The feed's clock: the last venue timestamp seen, plus the wall time since (never backwards).
#[derive(Clone, Copy, Debug)]
pub struct FeedClock {
    last: Option<(Timestamp, Instant)>,
}

impl FeedClock {
    pub fn new() -> FeedClock {
        FeedClock { last: None }
    }

    /// A message stamped `venue_ms` arrived at `wall`.
    pub fn on_message(&mut self, venue_ms: i64, wall: Instant) {
        let at = Timestamp::from_millis(venue_ms);
        if self.last.is_none_or(|_| at > self.now(wall)) {
            self.last = Some((at, wall));
        }
    }

    /// Now on the feed's clock (zero before any message).
    pub fn now(&self, wall: Instant) -> Timestamp {
        match self.last {
            Some((at, then)) => {
                let since = wall.saturating_duration_since(then).as_nanos() as i64;
                Timestamp(at.0 + since)
            }
            None => Timestamp(0),
        }
    }
}

impl Default for FeedClock {
    fn default() -> Self {
        FeedClock::new()
    }
}

/// An option's last ticker.
#[derive(Clone, Copy, Debug)]
pub struct Mark {
    /// ETH per contract.
    pub price: f64,
    /// A fraction.
    pub iv: f64,
    /// Its expiry's forward, USD.
    pub forward: f64,
    pub bid: Option<f64>,
    pub ask: Option<f64>,
}

pub struct LiveMarket {
    instruments: Arc<Instruments>,
    underlying: String,
    books: Vec<L2Book>,
    /// When each book last changed, on the feed's clock.
    book_at: Vec<Timestamp>,
    marks: Vec<Option<Mark>>,
    index: Option<Stamped>,
    perpetual: Option<InstrumentId>,
    surface: Option<SurfaceState>,
    pub clock: FeedClock,
}

impl LiveMarket {
    /// `instruments` now, the same ones and more after them (the venue listed new series): a
    /// book, a time and no mark for each new one.
    pub fn extend(&mut self, instruments: Arc<Instruments>) {
        let n = instruments.len();
        self.books.resize_with(n, L2Book::new);
        self.book_at.resize(n, Timestamp(0));
        self.marks.resize(n, None);
        self.instruments = instruments;
    }

    /// The market of `instruments` (options on `underlying`, and its perpetual if listed).
    pub fn new(instruments: Arc<Instruments>, underlying: &str) -> LiveMarket {
        let n = instruments.len();
        let perpetual = instruments.id(&format!("{underlying}-PERPETUAL")).ok();
        LiveMarket {
            instruments,
            underlying: underlying.to_string(),
            books: (0..n).map(|_| L2Book::new()).collect(),
            book_at: vec![Timestamp(0); n],
            marks: vec![None; n],
            index: None,
            perpetual,
            surface: None,
            clock: FeedClock::new(),
        }
    }

    pub fn instruments(&self) -> &Arc<Instruments> {
        &self.instruments
    }

    pub fn perpetual(&self) -> Option<InstrumentId> {
        self.perpetual
    }

    pub fn index(&self) -> Option<Stamped> {
        self.index
    }

    pub fn mark(&self, id: InstrumentId) -> Option<Mark> {
        self.marks.get(id.index()).copied().flatten()
    }

    pub fn book(&self, id: InstrumentId) -> &L2Book {
        &self.books[id.index()]
    }

    /// A ticker, arrived at `wall`: the index, and an option's mark. An instrument not listed
    /// here is ignored (false).
    pub fn on_ticker(&mut self, t: &Ticker, wall: Instant) -> bool {
        let Ok(id) = self.instruments.id(&t.instrument) else {
            return false;
        };
        self.clock.on_message(t.timestamp_ms, wall);
        let at = self.clock.now(wall);
        self.index = Some(Stamped {
            value: t.index_price,
            at,
        });
        if let (Some(iv), Some(forward)) = (t.mark_iv, t.underlying_price) {
            self.marks[id.index()] = Some(Mark {
                price: t.mark_price,
                iv,
                forward,
                bid: t.best_bid_price,
                ask: t.best_ask_price,
            });
        }
        true
    }

    /// A book message for `id`, arrived at `wall`, applied to its mirror; a sequence gap leaves
    /// the mirror stale (pulled by the strategy) until the next snapshot.
    pub fn on_book(
        &mut self,
        id: InstrumentId,
        m: &BookMessage,
        wall: Instant,
    ) -> Result<(), BookError> {
        self.book_at[id.index()] = self.clock.now(wall);
        m.apply(&mut self.books[id.index()])
    }

    /// The mirror of `id` can no longer be trusted (its channel went away, a gap was seen).
    pub fn mark_stale(&mut self, id: InstrumentId, why: &'static str) {
        self.books[id.index()].mark_stale(why);
    }

    /// Every book stale: after a disconnect nothing is known until the snapshots come again.
    pub fn all_stale(&mut self, why: &'static str) {
        self.books.iter_mut().for_each(|b| b.mark_stale(why));
    }

    /// The top of `id`'s mirror at `now`. A live mirror is current however quiet its book: it
    /// is sequence-checked on a connection whose heartbeats are answered, and a disconnect or a
    /// gap marks it stale. (A replayed market's quiet book may be a hole in the data; a live
    /// one is not.)
    pub fn top(&self, id: InstrumentId, now: Timestamp) -> Top {
        let b = &self.books[id.index()];
        let live = b.is_live();
        Top {
            bid: b.best_bid(),
            ask: b.best_ask(),
            live,
            updated: if live { now } else { self.book_at[id.index()] },
        }
    }

    /// The chain of the marks now, as the chain backtest reads a snapshot: live options with a
    /// ticker, their best prices from the mirror where it is live, else from the ticker.
    fn snapshot(&self, now: Timestamp) -> Snapshot {
        let index = self.index.map_or(f64::NAN, |i| i.value);
        let mut rows = Vec::new();
        for (id, inst) in self.instruments.iter() {
            let (Some(m), InstrumentKind::Option { expiry, right, .. }) =
                (self.mark(id), inst.kind())
            else {
                continue;
            };
            let t = now.years_until(expiry.settlement_time());
            if t <= 0.0 {
                continue;
            }
            let top = self.top(id, now);
            let best = |book: Option<(engine::Price, Qty)>, ticker: Option<f64>| match top.live {
                true => book.map(|(p, _)| inst.price_f64(p)),
                false => ticker,
            };
            rows.push(ChainRow {
                instrument: inst.name().into(),
                expiry: expiry.to_string().into(),
                kind: OptionType::from(*right),
                strike: inst.float_terms().strike,
                underlying: m.forward,
                t,
                bid: best(top.bid, m.bid),
                ask: best(top.ask, m.ask),
                mark: m.price,
                mark_iv: m.iv,
                index,
            });
        }
        Snapshot {
            timestamp: now,
            rows,
        }
    }

    /// Fits the surface to the marks now (none until an index and some marks have come).
    pub fn refit(&mut self, now: Timestamp) {
        if self.index.is_none() {
            return;
        }
        let snapshot = self.snapshot(now);
        if snapshot.rows.is_empty() {
            return;
        }
        let fitted = fit_snapshot(&snapshot);
        self.surface = Some(SurfaceState {
            surface: fitted.surface.into(),
            fitted: now,
        });
    }

    /// What the strategy reads now: every live option with a mark (its book's top, `held` lots),
    /// the index, the surface, and the perpetual to hedge on; `cash_eth` as the account holds it.
    pub fn state(
        &self,
        now: Timestamp,
        held: &dyn Fn(InstrumentId) -> Qty,
        cash_eth: f64,
    ) -> State {
        let mut b = StateBuilder::new(now, &self.underlying);
        for (id, inst) in self.instruments.iter() {
            let (Some(m), InstrumentKind::Option { expiry, .. }) = (self.mark(id), inst.kind())
            else {
                continue;
            };
            if expiry.settlement_time() <= now {
                continue;
            }
            // Options only reach here: push refuses nothing else.
            let _ = b.push(id, inst, m.forward, self.top(id, now), held(id));
        }
        let mut state = b.finish(self.index, self.surface.clone());
        state.cash_eth = cash_eth;
        state.hedge = self.perpetual.map(|id| {
            let inst = self.instruments.get(id);
            let terms = inst.float_terms();
            HedgeState {
                id,
                top: self.top(id, now),
                tick_rule: inst.tick_rule().clone(),
                price_unit: terms.price_unit,
                lot_usd: terms.lot,
                position: held(id),
            }
        });
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::Instrument;
    use serde_json::json;
    use std::time::Duration;

    const CALL: &str = "ETH-27MAR26-2000-C";

    fn market() -> LiveMarket {
        let mut instruments = Instruments::new();
        for name in [CALL, "ETH-27MAR26-2000-P", "ETH-PERPETUAL"] {
            instruments
                .intern(Instrument::deribit(name).unwrap())
                .unwrap();
        }
        LiveMarket::new(Arc::new(instruments), "ETH")
    }

    fn ticker(name: &str, ms: i64, iv: Option<f64>) -> Ticker {
        Ticker {
            instrument: name.into(),
            timestamp_ms: ms,
            mark_price: 0.05,
            mark_iv: iv,
            index_price: 2000.0,
            underlying_price: iv.map(|_| 2010.0),
            best_bid_price: Some(0.049),
            best_ask_price: Some(0.051),
        }
    }

    #[test]
    fn the_feed_clock_runs_on_from_the_last_message_and_never_back() {
        let mut c = FeedClock::new();
        let t0 = Instant::now();
        c.on_message(1_000, t0);
        let later = t0 + Duration::from_millis(500);
        assert_eq!(c.now(later), Timestamp::from_millis(1_500));
        // An older stamp arriving late does not turn the clock back.
        c.on_message(1_200, later);
        assert_eq!(c.now(later), Timestamp::from_millis(1_500));
    }

    #[test]
    fn state_holds_options_with_marks_their_books_and_the_perpetual() {
        let mut m = market();
        let t0 = Instant::now();
        // 2026-03-01: before the March expiry.
        let ms = 1_772_323_200_000;
        assert!(m.on_ticker(&ticker(CALL, ms, Some(0.6)), t0));
        assert!(m.on_ticker(&ticker("ETH-PERPETUAL", ms, None), t0));
        assert!(!m.on_ticker(&ticker("ETH-26JUN26-2000-C", ms, Some(0.6)), t0));
        let call = m.instruments().id(CALL).unwrap();
        let snap = json!({"type": "snapshot", "instrument_name": CALL, "change_id": 5,
                          "timestamp": ms, "bids": [["new", 0.049, 10.0]], "asks": [["new", 0.051, 3.0]]});
        let msg = BookMessage::parse(m.instruments().get(call), &snap).unwrap();
        m.on_book(call, &msg, t0).unwrap();
        let now = m.clock.now(t0);
        m.refit(now);
        let state = m.state(now, &|id| Qty(if id == call { 7 } else { 0 }), 1.5);
        // The put has no ticker yet: not in the state.
        assert_eq!(state.series.len(), 1);
        let s = &state.series[0];
        assert_eq!((s.id, s.position, s.top.live), (call, Qty(7), true));
        assert_eq!(s.top.ask.map(|(_, q)| q), Some(Qty(3)));
        assert_eq!(state.expiries[0].forward, 2010.0);
        assert_eq!(state.index.map(|i| i.value), Some(2000.0));
        assert!(state.surface.is_some());
        assert_eq!(state.cash_eth, 1.5);
        let h = state.hedge.unwrap();
        assert!(!h.top.live, "no perpetual book yet");
        // A gap: the mirror is stale until the next snapshot.
        let gap = json!({"type": "change", "instrument_name": CALL, "change_id": 9, "prev_change_id": 7,
                         "timestamp": ms, "bids": [], "asks": []});
        let msg = BookMessage::parse(m.instruments().get(call), &gap).unwrap();
        assert!(m.on_book(call, &msg, t0).is_err());
        assert!(!m.state(now, &|_| Qty(0), 0.0).series[0].top.live);
    }
}
