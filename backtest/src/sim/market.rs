//! What the backtest loop needs of a market, synthetic or replayed from data: its steps, the
//! listed calls with their fair values and the venue's book, the trades and cancels each step
//! printed, and the strategy's view of it.

use crate::roll_flow::{group_by_expiry, ListedCall, ListedCalls};
use crate::synthetic::path::IndexPoint;
use engine::instrument::Expiry;
use engine::pricing::Greeks;
use engine::state::{State, SurfaceState, Top};
use engine::{InstrumentId, Instruments, Price, Qty, Side, Timestamp};

/// Where a run's steps come from: each written into a slot the loop keeps, None at the end.
/// The slot may still hold an earlier step (what the market kept already taken from it): a
/// source replaces it or clears it before filling. The Tardis readers push their rows into the
/// slot's step in place (its room reused); any iterator is one through [`IterSteps`] (its steps
/// moved into the slot).
pub trait StepSource<S> {
    fn next_into(&mut self, slot: &mut Option<S>);
}

/// An iterator's items as a run's steps.
pub struct IterSteps<I>(pub I);

impl<S, I: Iterator<Item = S>> StepSource<S> for IterSteps<I> {
    fn next_into(&mut self, slot: &mut Option<S>) {
        *slot = self.0.next();
    }
}

/// A run's step and the next, each read where its source wrote it (never moved): two slots that
/// take turns, the next step's slot becoming this step's.
pub struct StepSlots<S> {
    slots: [Option<S>; 2],
    this: usize,
}

impl<S> StepSlots<S> {
    /// The first step read from `source`.
    pub fn start(source: &mut impl StepSource<S>) -> StepSlots<S> {
        let mut slots = [None, None];
        source.next_into(&mut slots[0]);
        StepSlots { slots, this: 1 }
    }

    /// This step, and the next read from `source` into the other slot (None at the end): None
    /// once there is no step.
    pub fn turn(&mut self, source: &mut impl StepSource<S>) -> Option<(&mut S, Option<&S>)> {
        self.this ^= 1;
        let [a, b] = &mut self.slots;
        let (step, next) = if self.this == 0 { (a, b) } else { (b, a) };
        let step = step.as_mut()?;
        source.next_into(next);
        Some((step, next.as_ref()))
    }
}

pub trait Market {
    /// One step of the market's own timeline (a path point, a snapshot, a batch of data rows).
    type Step;
    /// The time and index of a step, before the market moves to it (where the step itself
    /// carries no index, the last one seen; NaN before any).
    fn step_point(&self, step: &Self::Step) -> IndexPoint;
    /// Moves the market to `step`, taking from it what the market keeps. By reference: the
    /// loop reads each step where its source wrote it (a step moved just after it was written
    /// stalled the CPU on each of millions of rows).
    fn advance(&mut self, step: &mut Self::Step);
    fn instruments(&self) -> &Instruments;
    /// The perpetual the maker may hedge on, where this market lists one (its book modelled
    /// from the index: `sim::perpetual`).
    fn hedge(&self) -> Option<InstrumentId> {
        None
    }
    /// The listed calls now.
    fn series(&self) -> &[Series];
    /// Listed call `id` (None: not listed now). A scan: for the few lookups of a package look.
    fn series_of(&self, id: InstrumentId) -> Option<&Series> {
        self.series().iter().find(|s| s.id == id)
    }
    /// Fair coin price and greeks of the listed call `id` (None: not listed now).
    fn fair(&self, id: InstrumentId) -> Option<Greeks>;
    /// A number that changes whenever [`Market::series`] or any [`Market::fair`] may have: two
    /// steps with the same one list the same calls at the same fair values. None: no such
    /// promise (a market whose fairs move every step).
    fn fairs_generation(&self) -> Option<u64> {
        None
    }
    /// The venue's best bid and ask of the listed call `id` (None: not listed now).
    fn top(&self, id: InstrumentId) -> Option<Top>;
    /// The venue's displayed levels of call `id` on `side`, best first, into `out` (cleared
    /// first; empty where it is not listed). Markets that know only the top give that.
    fn levels(&self, id: InstrumentId, side: Side, out: &mut Vec<(Price, Qty)>) {
        out.clear();
        let Some(top) = self.top(id) else { return };
        let best = match side {
            Side::Buy => top.bid,
            Side::Sell => top.ask,
        };
        out.extend(best);
    }
    /// Others' quantity displayed at `price` on `side` of instrument `id` (0 where none, or
    /// where the market does not list it): what an order of ours joining there waits behind.
    /// By default read from [`Market::levels`] into `levels` (scratch).
    fn displayed(
        &self,
        id: InstrumentId,
        side: Side,
        price: Price,
        levels: &mut Vec<(Price, Qty)>,
    ) -> Qty {
        self.levels(id, side, levels);
        levels
            .iter()
            .find(|(p, _)| *p == price)
            .map_or(Qty(0), |(_, q)| *q)
    }
    /// Trades the venue printed in the last step (the data's, or the synthetic background
    /// takers'), in order.
    fn trades(&self) -> &[MarketTrade] {
        &[]
    }
    /// Displayed quantity that left a level in the last step without a trade to explain it.
    fn cancels(&self) -> &[LevelCancel] {
        &[]
    }
    /// Market events the last step held (data rows; one for a path point or a snapshot).
    fn step_events(&self) -> u64 {
        1
    }
    fn point(&self) -> Option<IndexPoint>;
    /// The state a strategy sees now, with `position(id)` lots held.
    fn state(&self, position: &dyn Fn(InstrumentId) -> Qty, surface: Option<SurfaceState>)
        -> State;
    /// [`Market::state`] into `state`, the last one this market gave: a market may update it
    /// in place where its series have not changed since (the same state either way).
    fn update_state(
        &self,
        state: &mut State,
        position: &dyn Fn(InstrumentId) -> Qty,
        surface: Option<&SurfaceState>,
    ) {
        *state = self.state(position, surface.cloned());
    }
    /// The surface the strategy is handed.
    fn surface_now(&self) -> Option<SurfaceState>;
    /// The listed calls by expiry and strike (the roll demand's series), as [`SeriesIndex`]
    /// keeps them.
    fn listing(&self) -> &[ListedCalls];
    /// The put of call `id`'s strike and expiry, for the taker route through the put and the
    /// future (ETH prices), where the market lists puts.
    fn put_route(&self, _id: InstrumentId) -> Option<PutRoute> {
        None
    }
}

/// What a market derives from its list of series each time the list changes: where each series
/// is, by instrument id (a dense table, ids being dense, so a lookup costs an index, not a
/// search), and the calls grouped by expiry for the roll demand.
#[derive(Clone, Debug, Default)]
pub struct SeriesIndex {
    position: Vec<u32>,
    listing: Vec<ListedCalls>,
}

impl SeriesIndex {
    const ABSENT: u32 = u32::MAX;

    /// The positions and listing of `series` (after the market's list changed).
    pub fn rebuild(&mut self, series: &[Series]) {
        self.position.iter_mut().for_each(|p| *p = Self::ABSENT);
        for (i, s) in series.iter().enumerate() {
            let k = s.id.index();
            if self.position.len() <= k {
                self.position.resize(k + 1, Self::ABSENT);
            }
            self.position[k] = i as u32;
        }
        self.listing = group_by_expiry(series.iter().map(|s| {
            let call = ListedCall {
                strike: s.strike,
                id: s.id,
            };
            (s.expiry, call)
        }));
    }

    /// The position of `id`, if listed.
    pub fn get(&self, id: InstrumentId) -> Option<usize> {
        match self.position.get(id.index()) {
            Some(&p) if p != Self::ABSENT => Some(p as usize),
            _ => None,
        }
    }

    /// The listed calls by expiry.
    pub fn listing(&self) -> &[ListedCalls] {
        &self.listing
    }
}

/// The put of call `call`'s series (same underlying, expiry and strike), where interned: the
/// taker's other route.
pub fn put_of(instruments: &Instruments, call: InstrumentId) -> Option<InstrumentId> {
    let series = instruments.get(call).name().strip_suffix("-C")?;
    instruments.id(&format!("{series}-P")).ok()
}

/// One listed call.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub id: InstrumentId,
    pub expiry: Expiry,
    pub strike: f64,
    /// `expiry.settlement_time()`, kept: the loop compares it every step.
    pub settles: Timestamp,
}

/// A trade on the venue: `aggressor` took `qty` at `price`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarketTrade {
    pub instrument: InstrumentId,
    pub aggressor: Side,
    pub price: Price,
    pub qty: Qty,
}

/// Displayed quantity at (`side`, `price`) fell from `before` to `after` by cancels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LevelCancel {
    pub instrument: InstrumentId,
    pub side: Side,
    pub price: Price,
    pub before: Qty,
    pub after: Qty,
}

/// A put's book and fair value (ETH per contract): levels best first, (price, lots).
#[derive(Clone, Debug, PartialEq)]
pub struct PutRoute {
    pub bids: Vec<(f64, i64)>,
    pub asks: Vec<(f64, i64)>,
    pub fair: f64,
}

impl PutRoute {
    /// What crossing `lots` of the put costs over fair per contract, for a holder on `side` of
    /// the call (buying the call = buying the put and the future; the future's spread is added
    /// by [`super::prices::cheaper_route`]). None when that side of the put's book is empty.
    pub fn cost(&self, side: Side, lots: i64) -> Option<f64> {
        match side {
            Side::Buy => average_price(&self.asks, lots).map(|a| a - self.fair),
            Side::Sell => average_price(&self.bids, lots).map(|b| self.fair - b),
        }
    }
}

/// The average price of taking `lots` from `levels` (best first, (price, lots)): lots beyond the
/// displayed depth at the last level's price, since nothing further out is seen. None when there
/// are no levels or no lots.
pub fn average_price(levels: &[(f64, i64)], lots: i64) -> Option<f64> {
    if levels.is_empty() || lots <= 0 {
        return None;
    }
    let mut left = lots;
    let mut paid = 0.0;
    for (k, &(price, qty)) in levels.iter().enumerate() {
        let take = if k + 1 == levels.len() {
            left
        } else {
            qty.min(left)
        };
        paid += price * take as f64;
        left -= take;
        if left <= 0 {
            break;
        }
    }
    Some(paid / lots as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_average_walks_the_levels_and_takes_the_rest_at_the_last() {
        let asks = [(0.010, 2), (0.012, 3), (0.015, 1)];
        assert_eq!(average_price(&asks, 1), Some(0.010));
        let five = (2.0 * 0.010 + 3.0 * 0.012) / 5.0;
        assert!((average_price(&asks, 5).unwrap() - five).abs() < 1e-15);
        let ten = (2.0 * 0.010 + 3.0 * 0.012 + 5.0 * 0.015) / 10.0;
        assert!((average_price(&asks, 10).unwrap() - ten).abs() < 1e-15);
        assert_eq!(average_price(&[], 3), None);
        assert_eq!(average_price(&asks, 0), None);
        let put = PutRoute {
            bids: vec![(0.009, 1), (0.008, 1)],
            asks: asks.to_vec(),
            fair: 0.0095,
        };
        assert!((put.cost(Side::Buy, 1).unwrap() - 0.0005).abs() < 1e-15);
        assert!((put.cost(Side::Sell, 2).unwrap() - 0.001).abs() < 1e-15);
    }

    #[test]
    fn the_series_index_follows_the_list() {
        let expiry = Expiry::parse("27MAR26").unwrap();
        let series = |ids: &[u32]| -> Vec<Series> {
            ids.iter()
                .map(|&i| Series {
                    id: InstrumentId(i),
                    expiry,
                    strike: 2000.0,
                    settles: expiry.settlement_time(),
                })
                .collect()
        };
        let mut index = SeriesIndex::default();
        index.rebuild(&series(&[7, 2, 9]));
        assert_eq!(index.get(InstrumentId(2)), Some(1));
        assert_eq!(index.get(InstrumentId(9)), Some(2));
        assert_eq!(index.get(InstrumentId(3)), None);
        assert_eq!(index.get(InstrumentId(1000)), None);
        assert_eq!(index.listing().len(), 1);
        assert_eq!(index.listing()[0].calls.len(), 1, "one call per strike");
        // 7 settled: gone, the others moved up.
        index.rebuild(&series(&[2, 9]));
        assert_eq!(index.get(InstrumentId(7)), None);
        assert_eq!(index.get(InstrumentId(9)), Some(1));
    }
}
