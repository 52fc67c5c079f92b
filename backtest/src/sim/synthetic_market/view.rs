//! The synthetic market at one step, as the backtest reads it: the listing, each option's fair
//! value and top of book (deeper levels derived when asked for), the trades printed. Written
//! whole by a step ([`super::steps::Mover`]); where the steps run ahead on a thread of their
//! own ([`super::ahead`]), views are handed over and back.

use super::MarketConfig;
use crate::sim::market::{MarketTrade, Series, SeriesIndex};
use crate::sim::synthetic_book::Priced;
use crate::synthetic::path::{IndexPoint, PathConfig};
use engine::{InstrumentId, Instruments, Price, Qty, Side};
use std::sync::Arc;

pub(super) struct View {
    pub instruments: Arc<Instruments>,
    pub series: Arc<Vec<Series>>,
    pub index: Arc<SeriesIndex>,
    /// The calls of `series` and their puts, index for index.
    pub calls: Vec<Priced>,
    pub puts: Vec<Priced>,
    pub point: Option<IndexPoint>,
    pub trades: Vec<MarketTrade>,
    pub path: Arc<PathConfig>,
    pub config: Arc<MarketConfig>,
    pub perpetual: Option<InstrumentId>,
}

impl View {
    /// Option `q`'s levels on `side`, best first, into `out` (cleared first).
    pub fn side(&self, q: &Priced, side: Side, out: &mut Vec<(Price, Qty)>) {
        let rule = self.instruments.get(q.id).tick_rule();
        q.side(rule, &self.config, side, out);
    }
}
