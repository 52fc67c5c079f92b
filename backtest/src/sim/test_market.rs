//! A one-call market for the parts' unit tests: a book set by hand, trades printed by hand.

use super::market::{Market, MarketTrade, Series};
use crate::roll_flow::ListedCalls;
use crate::synthetic::path::IndexPoint;
use engine::instrument::Expiry;
use engine::pricing::Greeks;
use engine::quotes::{WantedQuote, WantedTake};
use engine::state::{State, SurfaceState, Top};
use engine::strategy::{Strategy, Wanted};
use engine::{Instrument, InstrumentId, Instruments, Price, Qty, Side, Timestamp};

pub struct OneCall {
    pub instruments: Instruments,
    pub series: Vec<Series>,
    pub bid: (i64, i64),
    pub ask: (i64, i64),
    pub fair: f64,
    pub trades: Vec<MarketTrade>,
    pub at: Timestamp,
    /// The index, USD.
    pub index: f64,
}

impl OneCall {
    pub fn new() -> OneCall {
        let mut instruments = Instruments::new();
        let name = "ETH-27MAR26-2000-C";
        let id = instruments
            .intern(Instrument::deribit(name).unwrap())
            .unwrap();
        let expiry = Expiry::parse("27MAR26").unwrap();
        OneCall {
            instruments,
            series: vec![Series {
                id,
                expiry,
                strike: 2000.0,
                settles: expiry.settlement_time(),
            }],
            bid: (500, 10),
            ask: (520, 10),
            fair: 0.051,
            trades: Vec::new(),
            at: Timestamp(0),
            index: 2000.0,
        }
    }

    pub fn id(&self) -> InstrumentId {
        self.series[0].id
    }

    /// A P holder's roll of 4 contracts out of and into this call (one book for both legs),
    /// asked for now, with no deadline.
    pub fn roll_request(&self, patient: bool) -> crate::roll_flow::RollRequest {
        use crate::roll_flow::{Position, RollRequest, Token, Trigger};
        let position = Position {
            strike: 2000.0,
            expiry: self.series[0].expiry,
            call: self.id(),
            qty: 4.0,
        };
        RollRequest {
            holder: 0,
            token: Token::P,
            at: self.at,
            trigger: Trigger::NearExpiry,
            from: position,
            to: position,
            patient,
            deadline: Timestamp(i64::MAX),
            max_slippage_bps: 0.0,
            retry: false,
        }
    }

    /// A trade of `qty` at `price` by a taker on `aggressor`.
    pub fn print(&mut self, aggressor: Side, price: i64, qty: i64) {
        let instrument = self.id();
        self.trades.push(MarketTrade {
            instrument,
            aggressor,
            price: Price(price),
            qty: Qty(qty),
        });
    }
}

impl Market for OneCall {
    type Step = Timestamp;
    fn step_point(&self, at: &Timestamp) -> IndexPoint {
        IndexPoint {
            at: *at,
            price: self.index,
            vol: 0.5,
        }
    }
    fn advance(&mut self, at: &mut Timestamp) {
        self.at = *at;
    }
    fn instruments(&self) -> &Instruments {
        &self.instruments
    }
    fn series(&self) -> &[Series] {
        &self.series
    }
    fn fair(&self, id: InstrumentId) -> Option<Greeks> {
        (id == self.id()).then(|| Greeks {
            price: self.fair,
            ..Greeks::default()
        })
    }
    fn top(&self, id: InstrumentId) -> Option<Top> {
        (id == self.id()).then_some(Top {
            bid: Some((Price(self.bid.0), Qty(self.bid.1))),
            ask: Some((Price(self.ask.0), Qty(self.ask.1))),
            live: true,
            updated: self.at,
        })
    }
    fn trades(&self) -> &[MarketTrade] {
        &self.trades
    }
    fn point(&self) -> Option<IndexPoint> {
        Some(self.step_point(&self.at))
    }
    /// An empty state: the tests' strategies want what they are given.
    fn state(&self, _: &dyn Fn(InstrumentId) -> Qty, _: Option<SurfaceState>) -> State {
        State::empty(self.at, "ETH")
    }
    fn surface_now(&self) -> Option<SurfaceState> {
        None
    }
    fn listing(&self) -> &[ListedCalls] {
        &[]
    }
}

/// A strategy that wants exactly the quotes and takes it holds.
pub struct Fixed(pub Vec<WantedQuote>, pub Vec<WantedTake>);

impl Strategy for Fixed {
    fn name(&self) -> &'static str {
        "fixed"
    }
    fn quotes(&mut self, _: &State, out: &mut Wanted) {
        out.quotes.extend_from_slice(&self.0);
        out.takes.extend_from_slice(&self.1);
    }
}
