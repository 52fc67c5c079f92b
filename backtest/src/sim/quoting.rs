//! When and on what the trader requotes: on the schedule's `requote_seconds`, on what the feed
//! has delivered (the step, `feed_latency` late), with the surface refitted every
//! `surface_seconds`. The one place the backtest turns market state into orders.

use super::every::Every;
use super::market::Market;
use super::perpetual::Perpetual;
use super::run_config::RunConfig;
use super::venue::SimVenue;
use crate::events::latency::LatencyModel;
use engine::quotes::Action;
use engine::state::{State, SurfaceState};
use engine::strategy::Strategy;
use engine::trader::Trader;
use engine::Timestamp;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// The requote schedule's state, and the actions buffer it reuses.
pub struct Quoting {
    feed_latency: Box<dyn LatencyModel>,
    requote: Every,
    refit: Every,
    surface: Option<SurfaceState>,
    actions: Vec<Action>,
    /// The last requote's state, updated for the next ([`Market::update_state`]).
    state: Option<State>,
    /// The perpetual the strategy may hedge on (the market's, modelled).
    perpetual: Option<Perpetual>,
    /// The ledger's cash at the last requote (its decimal's bytes) and as f64: the conversion
    /// was a tenth of a requote on one instrument, and the cash changes only on fills.
    cash: ([u8; 16], f64),
}

impl Quoting {
    pub fn new(config: &RunConfig, perpetual: Option<Perpetual>) -> Quoting {
        Quoting {
            feed_latency: config.venue.feed_latency.model(config.seed ^ 0xfeed),
            requote: Every::new(config.schedule.requote_seconds),
            refit: Every::new(config.schedule.surface_seconds),
            surface: None,
            actions: Vec::new(),
            state: None,
            perpetual,
            cash: (Decimal::ZERO.serialize(), 0.0),
        }
    }

    /// Requotes at `at` if due, sending the actions to the venue; whether it did.
    pub fn step<M: Market>(
        &mut self,
        at: Timestamp,
        market: &M,
        trader: &mut Trader,
        strategy: &mut dyn Strategy,
        venue: &mut SimVenue,
    ) -> bool {
        if !self.requote.due(at) {
            return false;
        }
        if self.refit.due(at) {
            self.surface = market.surface_now();
        }
        let decided = Timestamp(at.0 + self.feed_latency.delay_nanos());
        let position = |id| trader.position(id);
        // Updated where it is kept (a state is a few hundred bytes: not moved out and back).
        let surface = &self.surface;
        if let Some(state) = &mut self.state {
            market.update_state(state, &position, surface.as_ref());
        }
        let state = self
            .state
            .get_or_insert_with(|| market.state(&position, surface.clone()));
        state.now = decided;
        account(
            &mut self.cash,
            self.perpetual.as_ref(),
            at,
            (market, trader),
            state,
        );
        self.actions.clear();
        trader.requote(decided, state, strategy, &mut self.actions);
        venue.send(decided, &self.actions);
        true
    }
}

/// What the account holds beyond the options, into `state`: its cash (with the perpetual's
/// unrealized PnL) and the perpetual's book and position. `cash` caches the ledger's cash (its
/// decimal's bytes) as f64.
fn account<M: Market>(
    cash: &mut ([u8; 16], f64),
    perpetual: Option<&Perpetual>,
    at: Timestamp,
    (market, trader): (&M, &Trader),
    state: &mut State,
) {
    let index = market.point().map_or(f64::NAN, |p| p.price);
    let ledger = trader.ledger();
    let now = ledger.cash();
    if now.serialize() != cash.0 {
        *cash = (now.serialize(), now.to_f64().unwrap_or(f64::NAN));
    }
    state.cash_eth = cash.1;
    if let Some(p) = perpetual {
        let instruments = market.instruments();
        state.cash_eth += p.unrealized_eth(instruments, ledger, index);
        state.hedge = p.state(instruments, index, at, trader.position(p.id));
    }
}
