//! The market as a strategy sees it: time, the index, each expiry's forward, each quoted series'
//! top of book and position, and the vol surface. A strategy decides from this alone, so the same
//! code runs in a backtest and live; whoever drives it (the backtester, the live loop) keeps it
//! up to date from books, fills and the surface fit.

use crate::instrument::{InstrumentId, OptionRight};
use crate::pricing::surface::Surface;
use crate::tick_rule::TickRule;
use crate::time::Timestamp;
use crate::units::{Price, Qty};

/// A price and when it was last updated.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stamped {
    pub value: f64,
    pub at: Timestamp,
}

/// One expiry: when it settles, its forward and discount factor.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpiryState {
    pub settles: Timestamp,
    /// The USD forward of the index to this expiry.
    pub forward: f64,
    pub df: f64,
}

/// Best bid and ask of one instrument's book and whether the book can be trusted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Top {
    pub bid: Option<(Price, Qty)>,
    pub ask: Option<(Price, Qty)>,
    /// False after a sequence gap or anything else that made the mirror stale.
    pub live: bool,
    pub updated: Timestamp,
}

/// An option series the strategy may quote (on Deribit, a coin-margined option: N(K, T) is the
/// call).
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesState {
    pub id: InstrumentId,
    /// Index into [`State::expiries`].
    pub expiry: usize,
    /// USD.
    pub strike: f64,
    pub right: OptionRight,
    pub top: Top,
    /// Signed lots held.
    pub position: Qty,
    pub tick_rule: TickRule,
    /// ETH per price unit (0.0001 on Deribit options).
    pub price_unit: f64,
    /// Contracts (of 1 ETH) per lot.
    pub lot: f64,
}

/// The instrument a delta hedge trades: on Deribit the inverse perpetual, priced in USD and sized
/// in USD contracts.
#[derive(Clone, Debug, PartialEq)]
pub struct HedgeState {
    pub id: InstrumentId,
    pub top: Top,
    pub tick_rule: TickRule,
    /// USD per price unit (0.05 on ETH-PERPETUAL).
    pub price_unit: f64,
    /// USD per lot (1 on ETH-PERPETUAL).
    pub lot_usd: f64,
    /// Signed lots held.
    pub position: Qty,
}

/// The vol surface and when it was fitted.
#[derive(Clone, Debug, PartialEq)]
pub struct SurfaceState {
    pub surface: Surface,
    pub fitted: Timestamp,
}

/// Everything a strategy may read.
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    pub now: Timestamp,
    /// The underlying every series here is on, as in instrument names (`ETH`).
    pub underlying: String,
    /// The index (USD per ETH) the venue settles on.
    pub index: Option<Stamped>,
    pub expiries: Vec<ExpiryState>,
    pub series: Vec<SeriesState>,
    pub surface: Option<SurfaceState>,
    /// Where the strategy may hedge delta, if anywhere.
    pub hedge: Option<HedgeState>,
}
