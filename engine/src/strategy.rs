//! The one interface every strategy implements, and what it returns.

use crate::instrument::InstrumentId;
use crate::quotes::{WantedQuote, WantedTake};
use crate::state::State;
use std::fmt;

/// A quoting strategy: a decision from the state it is handed, nothing else (no clock, no I/O),
/// so that the same code runs in a backtest and live and a test is a function call.
pub trait Strategy {
    fn name(&self) -> &'static str;
    /// The quotes wanted now, written into `out` (which the caller clears).
    fn quotes(&mut self, state: &State, out: &mut Wanted);
}

/// The quotes a strategy wants, the orders it wants to cross now, and what it pulled and why.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Wanted {
    pub quotes: Vec<WantedQuote>,
    pub takes: Vec<WantedTake>,
    pub pulled: Vec<Pulled>,
}

impl Wanted {
    pub fn clear(&mut self) {
        self.quotes.clear();
        self.takes.clear();
        self.pulled.clear();
    }
}

/// Quotes withdrawn: for one series, or for everything (`series` None).
#[derive(Clone, Debug, PartialEq)]
pub struct Pulled {
    pub series: Option<InstrumentId>,
    pub reason: PullReason,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PullReason {
    NoIndex,
    IndexStale { age_seconds: f64 },
    NoSurface,
    SurfaceStale { age_seconds: f64 },
    BookStale,
    BookQuiet { age_seconds: f64 },
    NoVol,
    OtherUnderlying { underlying: String },
}

impl fmt::Display for PullReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PullReason::NoIndex => write!(f, "no index price yet"),
            PullReason::IndexStale { age_seconds } => {
                write!(f, "index not updated for {age_seconds:.1} s")
            }
            PullReason::NoSurface => write!(f, "no vol surface fitted yet"),
            PullReason::SurfaceStale { age_seconds } => {
                write!(f, "vol surface fitted {age_seconds:.1} s ago")
            }
            PullReason::BookStale => write!(f, "book mirror stale (sequence gap or bad update)"),
            PullReason::BookQuiet { age_seconds } => {
                write!(f, "book not updated for {age_seconds:.1} s")
            }
            PullReason::NoVol => write!(f, "the surface gives no vol at this strike and expiry"),
            PullReason::OtherUnderlying { underlying } => {
                write!(
                    f,
                    "the market is on {underlying}, not the configured underlying"
                )
            }
        }
    }
}
