//! The market as a strategy sees it: time, the index, each expiry's forward, each quoted series'
//! top of book and position, and the vol surface. A strategy decides from this alone, so the same
//! code runs in a backtest and live; whoever drives it (the backtester, the live loop) keeps it
//! up to date from books, fills and the surface fit.

use crate::instrument::{Expiry, Instrument, InstrumentId, InstrumentKind, OptionRight};
use crate::pricing::surface::Surface;
use crate::tick_rule::TickRule;
use crate::time::Timestamp;
use crate::units::{Price, Qty};
use std::sync::Arc;

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
    /// Shared: each requote's state holds the surface of the last fit.
    pub surface: Arc<Surface>,
    pub fitted: Timestamp,
}

/// `slot` made `surface`, sharing it: a surface the slot already holds is kept, not counted
/// again (a strategy requoting on every event paid an atomic increment and decrement for it).
pub fn set_surface(slot: &mut Option<SurfaceState>, surface: Option<&SurfaceState>) {
    let held = |a: &SurfaceState, b: &SurfaceState| {
        Arc::ptr_eq(&a.surface, &b.surface) && a.fitted == b.fitted
    };
    match (slot.as_ref(), surface) {
        (Some(a), Some(b)) if held(a, b) => {}
        _ => *slot = surface.cloned(),
    }
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
    /// The account's cash, ETH (what the ledger holds beyond open positions): a maker that
    /// counts in USD holds this much ETH of delta, as any position.
    pub cash_eth: f64,
}

impl State {
    /// A state with nothing quoted yet (no index, no series).
    pub fn empty(now: Timestamp, underlying: &str) -> State {
        StateBuilder::new(now, underlying).finish(None, None)
    }
}

/// Builds a [`State`] series by series, the one way every market (replayed, synthetic, live)
/// turns its instruments into what a strategy reads: expiries in the order first seen, each
/// series' strike, right, tick rule, price unit and lot taken from its instrument.
#[derive(Clone, Debug)]
pub struct StateBuilder {
    state: State,
    /// The expiry of each of `state.expiries`, in order: a few, so a scan beats a map.
    expiries: Vec<Expiry>,
    /// The index of the last series' expiry: series mostly come grouped by expiry.
    last: usize,
}

/// The instrument given to [`StateBuilder::push`] is not an option.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("instrument {0} is not an option")]
pub struct NotAnOption(pub String);

impl StateBuilder {
    pub fn new(now: Timestamp, underlying: &str) -> StateBuilder {
        StateBuilder {
            state: State {
                now,
                underlying: underlying.to_string(),
                index: None,
                expiries: Vec::new(),
                series: Vec::new(),
                surface: None,
                hedge: None,
                cash_eth: 0.0,
            },
            expiries: Vec::new(),
            last: 0,
        }
    }

    /// Adds option `id` with its book's `top` and `position` held; `forward` is its expiry's
    /// forward where this is the first series of that expiry (kept otherwise).
    pub fn push(
        &mut self,
        id: InstrumentId,
        instrument: &Instrument,
        forward: f64,
        top: Top,
        position: Qty,
    ) -> Result<(), NotAnOption> {
        let InstrumentKind::Option { expiry, right, .. } = instrument.kind() else {
            return Err(NotAnOption(instrument.name().to_string()));
        };
        let expiry_index = self.expiry_index(*expiry, forward);
        let terms = instrument.float_terms();
        self.state.series.push(SeriesState {
            id,
            expiry: expiry_index,
            strike: terms.strike,
            right: *right,
            top,
            position,
            tick_rule: instrument.tick_rule().clone(),
            price_unit: terms.price_unit,
            lot: terms.lot,
        });
        Ok(())
    }

    fn expiry_index(&mut self, expiry: Expiry, forward: f64) -> usize {
        if self.expiries.get(self.last) != Some(&expiry) {
            self.last = match self.expiries.iter().position(|e| *e == expiry) {
                Some(i) => i,
                None => {
                    self.expiries.push(expiry);
                    self.state.expiries.push(ExpiryState {
                        settles: expiry.settlement_time(),
                        forward,
                        df: 1.0,
                    });
                    self.expiries.len() - 1
                }
            };
        }
        self.last
    }

    /// The state, with the index and surface as of now.
    pub fn finish(mut self, index: Option<Stamped>, surface: Option<SurfaceState>) -> State {
        self.state.index = index;
        self.state.surface = surface;
        self.state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Instruments;

    #[test]
    fn a_surface_already_held_is_kept_not_counted_again() {
        let fitted = Timestamp(5);
        let a = SurfaceState {
            surface: Arc::new(Surface::fit(Vec::new())),
            fitted,
        };
        let mut slot = Some(a.clone());
        assert_eq!(Arc::strong_count(&a.surface), 2);
        set_surface(&mut slot, Some(&a));
        assert_eq!(Arc::strong_count(&a.surface), 2, "shared, not cloned again");
        // Another fit (even an equal one) or another time replaces it; none clears it.
        let b = SurfaceState {
            surface: Arc::new(Surface::fit(Vec::new())),
            fitted,
        };
        set_surface(&mut slot, Some(&b));
        assert!(Arc::ptr_eq(&slot.as_ref().unwrap().surface, &b.surface));
        assert_eq!(Arc::strong_count(&a.surface), 1);
        let later = SurfaceState {
            fitted: Timestamp(6),
            ..b.clone()
        };
        set_surface(&mut slot, Some(&later));
        assert_eq!(slot.as_ref().map(|s| s.fitted), Some(Timestamp(6)));
        set_surface(&mut slot, None);
        assert!(slot.is_none());
    }

    #[test]
    fn series_take_their_terms_from_the_instrument_and_share_expiries() {
        let mut instruments = Instruments::new();
        let mut b = StateBuilder::new(Timestamp(0), "ETH");
        let names = [
            "ETH-27MAR26-2000-C",
            "ETH-26JUN26-2500-P",
            "ETH-27MAR26-1500-C",
        ];
        for (k, name) in names.into_iter().enumerate() {
            let inst = Instrument::deribit(name).unwrap();
            let id = instruments.intern(inst.clone()).unwrap();
            b.push(id, &inst, 2000.0 + k as f64, Top::default(), Qty(k as i64))
                .unwrap();
        }
        let perp = Instrument::deribit("ETH-PERPETUAL").unwrap();
        let err = b.push(InstrumentId(9), &perp, 0.0, Top::default(), Qty(0));
        assert_eq!(err, Err(NotAnOption("ETH-PERPETUAL".into())));
        let state = b.finish(None, None);
        assert_eq!(state.expiries.len(), 2);
        // The March expiry's forward is its first series'.
        assert_eq!(state.expiries[0].forward, 2000.0);
        assert_eq!(state.expiries[1].forward, 2001.0);
        let s: Vec<_> = state
            .series
            .iter()
            .map(|s| (s.expiry, s.strike, s.right, s.position.0))
            .collect();
        assert_eq!(
            s,
            [
                (0, 2000.0, OptionRight::Call, 0),
                (1, 2500.0, OptionRight::Put, 1),
                (0, 1500.0, OptionRight::Call, 2)
            ]
        );
        assert_eq!(state.series[0].price_unit, 1e-4);
        assert_eq!(state.series[0].lot, 1.0);
    }
}
