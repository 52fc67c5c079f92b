//! The synthetic market at one step, as the backtest reads it: the listing, each option's fair
//! value and top of book (deeper levels derived when asked for), the trades printed. Written
//! whole by a step ([`super::steps::Mover`]); where the steps run ahead on a thread of their
//! own ([`super::ahead`]), views are handed over and back.

use super::MarketConfig;
use crate::sim::market::{MarketTrade, Series, SeriesIndex};
use crate::sim::synthetic_book::Priced;
use crate::synthetic::path::{IndexPoint, PathConfig};
use engine::{Instrument, InstrumentId};
use std::sync::Arc;

pub(super) struct View {
    /// Instruments interned by this step, in order (the backtest's registry takes them).
    pub fresh: Vec<Instrument>,
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
