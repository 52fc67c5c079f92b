//! The market replayed from Tardis.dev data (VENUE.md): `options_chain` for the listing, fair
//! values (Deribit's marks at the mark IV), the index and the surface; `incremental_book_L2` or
//! `book_snapshot_25` for the venue's books, levels deep; `trades` for the trades that fill our
//! resting orders through their queues. One step is a run of rows sharing a timestamp
//! ([`Batches`]).
//!
//! - The chain (series, fair values, the SVI surface) is rebuilt from the latest quote of each
//!   option at most every `rebuild_seconds` (default 60) and whenever a listed series expires:
//!   a full refit per quote row would cost more than the replay. The first build waits
//!   `rebuild_seconds` after the first quote, for the whole chain to have been quoted; until
//!   then the market has no index and the backtest only keeps the books.
//! - The index is the `underlying_price` of the nearest expiry quoted (Deribit quotes options
//!   on their expiry's future; the nearest is closest to the index).
//! - An option with book data takes its top and levels from the book; one without, from its
//!   last `options_chain` quote. A crossed book's top is marked not live (the strategy pulls).
//! - Cancels: where a level's displayed quantity falls by more than the step's trades at that
//!   price took, the rest left by cancels (the probabilistic queue model moves up on them).
//! - Rows come resolved ([`crate::tardis::resolve`]): those the engine cannot use (a symbol that
//!   is not a Deribit ETH option, a price off the tick, a fractional amount), and those the
//!   books refuse, are skipped and counted, the first few kept with the reason and file:line.

mod book;
mod by_id;
mod quotes;
mod rows;

use super::chain_market::ChainMarket;
use super::market::{put_of, LevelCancel, Market, MarketTrade, PutRoute, Series};
use crate::roll_flow::ListedCalls;
use crate::synthetic::path::IndexPoint;
use crate::tardis::resolve::{Event, Listed};
use crate::tardis::Origin;
pub use crate::tardis::{Batches, StepRows};
use book::Book;
use by_id::ById;
use engine::instrument::Expiry;
use engine::pricing::Greeks;
use engine::state::{set_surface, State, SurfaceState, Top};
use engine::{InstrumentId, Instruments, Price, Qty, Side, Timestamp};
use quotes::ChainQuotes;
use std::cell::Cell;
use std::sync::Arc;

/// Skipped rows kept with their reason (the rest are only counted).
const KEEP_SKIPPED: usize = 20;

pub struct TardisMarket {
    chain: ChainMarket,
    /// The latest quote of each option.
    quotes: ChainQuotes,
    changed: bool,
    first_quote: Option<Timestamp>,
    rebuilt: Option<Timestamp>,
    /// The nearest live expiry quoted and its underlying price: the index.
    index: Option<(Timestamp, f64)>,
    /// The first settlement among the chain's series.
    next_expiry: Option<Timestamp>,
    pub rebuild_seconds: f64,
    /// Each option's book, where the data has one.
    books: ById<Book>,
    trades: Vec<MarketTrade>,
    cancels: Vec<LevelCancel>,
    /// What a step's trades took (kept: a step with a trade no longer allocates a table).
    traded: rows::Traded,
    point: Option<IndexPoint>,
    /// The last step's time and rows.
    now: Timestamp,
    step_rows: u64,
    /// Rows skipped, and the first few with why.
    pub skipped_rows: u64,
    pub skipped: Vec<String>,
    /// The chain's generation when the last state was given (see [`Market::update_state`]).
    given: Cell<Option<u64>>,
    /// Each expiry's code as the snapshots name it, written once.
    expiry_codes: Vec<(Expiry, Arc<str>)>,
}

impl Default for TardisMarket {
    fn default() -> Self {
        TardisMarket::new()
    }
}

impl TardisMarket {
    pub fn new() -> TardisMarket {
        TardisMarket {
            chain: ChainMarket::new(),
            quotes: ChainQuotes::default(),
            changed: false,
            first_quote: None,
            rebuilt: None,
            next_expiry: None,
            index: None,
            rebuild_seconds: 60.0,
            books: ById::default(),
            trades: Vec::new(),
            cancels: Vec::new(),
            traded: rows::Traded::default(),
            point: None,
            now: Timestamp(0),
            step_rows: 0,
            skipped_rows: 0,
            skipped: Vec::new(),
            given: Cell::new(None),
            expiry_codes: Vec::new(),
        }
    }

    /// The market with ETH-PERPETUAL listed first for the hedge (its book modelled from the
    /// index), for rows from a resolver that lists it first too (`Resolver::with_perpetual`).
    pub fn with_perpetual(mut self) -> TardisMarket {
        self.chain = std::mem::take(&mut self.chain).with_perpetual();
        self
    }

    /// Chain snapshots that could not be turned into a state.
    pub fn skipped_snapshots(&self) -> &[String] {
        &self.chain.skipped
    }

    fn skip(&mut self, origin: &Origin, why: String) {
        self.skipped_rows += 1;
        if self.skipped.len() < KEEP_SKIPPED {
            self.skipped.push(format!("{origin}: {why}"));
        }
    }

    /// An instrument the resolver met first in this row, interned here under the same id: both
    /// registries grow in the same order (the chain interns only what quotes named, which the
    /// resolver listed first).
    fn list(&mut self, listed: Listed) {
        let id = self.chain.instruments_mut().intern(*listed.instrument);
        assert_eq!(
            id.ok(),
            Some(listed.id),
            "the market's instruments out of step with the resolver's"
        );
    }

    fn book(&mut self, id: InstrumentId) -> &mut Book {
        self.books.slot(id).get_or_insert_with(Book::default)
    }

    /// What moves in a state between chain rebuilds: the tops of options with books (taken
    /// from them), the index and the time.
    fn follow(&self, state: &mut State) {
        for s in &mut state.series {
            if let Some(b) = self.books.get(s.id) {
                s.top = b.top(self.now);
            }
        }
        if let Some(p) = self.point {
            if let Some(index) = state.index.as_mut() {
                index.value = p.price;
                index.at = p.at;
            }
            state.now = p.at;
        }
    }

    /// The book of the put of `call`'s series.
    fn put_book(&self, call: InstrumentId) -> Option<&Book> {
        self.books.get(put_of(self.chain.instruments(), call)?)
    }
}

impl Market for TardisMarket {
    type Step = StepRows;

    fn step_point(&self, rows: &StepRows) -> IndexPoint {
        let at = rows.first().map_or(Timestamp(0), |r| r.at);
        // The index as the step finds it (no look-ahead into the step); none until the chain is
        // first built.
        let price = match (self.rebuilt, self.point) {
            (Some(_), Some(p)) => p.price,
            _ => f64::NAN,
        };
        IndexPoint {
            at,
            price,
            vol: 0.0,
        }
    }

    /// The step's rows are taken (the step is left empty, its room kept for the next).
    fn advance(&mut self, rows: &mut StepRows) {
        self.trades.clear();
        self.cancels.clear();
        let Some(at) = rows.first().map(|r| r.at) else {
            return;
        };
        self.now = at;
        self.step_rows = rows.len() as u64;
        // What this step's trades took at each (instrument, resting side, price).
        self.traded.clear();
        // Read in place (a row moved out of the step cost as much as reading it).
        for row in rows.iter_mut() {
            if let Some(listed) = row.listed.take() {
                self.list(listed);
            }
            let origin = &row.origin;
            match &mut row.event {
                Ok(Event::Quote { id, quote }) => self.on_quote(at, *id, quote),
                Ok(Event::Snapshot { id, levels }) => {
                    self.on_snapshot(origin, *id, &levels.bids, &levels.asks)
                }
                &mut Ok(Event::Level {
                    id,
                    reset,
                    side,
                    price,
                    qty,
                    ..
                }) => self.on_level(origin, id, reset, side, (price, qty)),
                &mut Ok(Event::Trade {
                    id,
                    side,
                    price,
                    qty,
                }) => self.on_trade(id, side, (price, qty)),
                Err(why) => self.skip(origin, std::mem::take(why)),
            }
        }
        rows.clear();
        self.rebuild(at);
    }

    fn instruments(&self) -> &Instruments {
        self.chain.instruments()
    }

    fn hedge(&self) -> Option<InstrumentId> {
        self.chain.hedge()
    }

    fn series(&self) -> &[Series] {
        self.chain.series()
    }

    fn fair(&self, id: InstrumentId) -> Option<Greeks> {
        self.chain.fair(id)
    }

    fn fairs_generation(&self) -> Option<u64> {
        self.chain.fairs_generation()
    }

    /// A listed call's top from its book where the data has one, else from its chain quote.
    fn top(&self, id: InstrumentId) -> Option<Top> {
        let chain_top = self.chain.top(id)?;
        Some(match self.books.get(id) {
            Some(b) => b.top(self.now),
            None => chain_top,
        })
    }

    fn levels(&self, id: InstrumentId, side: Side, out: &mut Vec<(Price, Qty)>) {
        out.clear();
        let Some(chain_top) = self.chain.top(id) else {
            return;
        };
        match self.books.get(id) {
            Some(b) => out.extend(b.side(side).iter()),
            None => out.extend(match side {
                Side::Buy => chain_top.bid,
                Side::Sell => chain_top.ask,
            }),
        }
    }

    /// From the book where the data has one (a search, not a copy of its levels).
    fn displayed(
        &self,
        id: InstrumentId,
        side: Side,
        price: Price,
        _: &mut Vec<(Price, Qty)>,
    ) -> Qty {
        let Some(chain_top) = self.chain.top(id) else {
            return Qty(0);
        };
        if let Some(b) = self.books.get(id) {
            return b.side(side).qty_at(price);
        }
        let best = match side {
            Side::Buy => chain_top.bid,
            Side::Sell => chain_top.ask,
        };
        best.filter(|(p, _)| *p == price).map_or(Qty(0), |(_, q)| q)
    }

    fn trades(&self) -> &[MarketTrade] {
        &self.trades
    }

    fn cancels(&self) -> &[LevelCancel] {
        &self.cancels
    }

    fn step_events(&self) -> u64 {
        self.step_rows
    }

    fn point(&self) -> Option<IndexPoint> {
        self.point
    }

    /// The chain's state, with the tops of options that have books taken from them.
    fn state(
        &self,
        position: &dyn Fn(InstrumentId) -> Qty,
        surface: Option<SurfaceState>,
    ) -> State {
        let mut state = self.chain.state(position, surface);
        self.given.set(Some(self.chain.generation()));
        self.follow(&mut state);
        state
    }

    /// In place while the chain has not been rebuilt since `state` was given: the positions,
    /// the surface, and what [`TardisMarket::follow`] moves. (Each requote cloned the chain's
    /// state, a tick rule and more a series.)
    fn update_state(
        &self,
        state: &mut State,
        position: &dyn Fn(InstrumentId) -> Qty,
        surface: Option<&SurfaceState>,
    ) {
        if self.given.get() != Some(self.chain.generation()) {
            *state = self.state(position, surface.cloned());
            return;
        }
        for s in &mut state.series {
            s.position = position(s.id);
        }
        set_surface(&mut state.surface, surface.or_else(|| self.chain.surface()));
        // As the chain's state has them (the backtest's account sets both afterwards).
        state.hedge = None;
        state.cash_eth = 0.0;
        self.follow(state);
    }

    fn surface_now(&self) -> Option<SurfaceState> {
        self.chain.surface_now()
    }

    fn listing(&self) -> &[ListedCalls] {
        self.chain.listing()
    }

    fn put_route(&self, id: InstrumentId) -> Option<PutRoute> {
        let mut route = self.chain.put_route(id)?;
        if let Some(b) = self.put_book(id) {
            let call = self.chain.instruments().get(id);
            let eth = |(p, q): (Price, Qty)| (call.price_f64(p), q.0);
            route.bids = b.side(Side::Buy).iter().map(eth).collect();
            route.asks = b.side(Side::Sell).iter().map(eth).collect();
        }
        Some(route)
    }
}
