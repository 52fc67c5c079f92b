//! The venue's side of the hedge: takes on the modelled perpetual fill at once, orders resting
//! on it fill once its book (the index) moves through them (`sim::perpetual`).

use super::super::market::Market;
use super::SimVenue;
use engine::position::Fill;
use engine::trader::VenueEvent;
use engine::{InstrumentId, Price, Qty, Side, Timestamp};

impl SimVenue {
    /// A take fills whole at the modelled perpetual's opposite best when its limit reaches it,
    /// and is cancelled when it does not; a take of anything else is refused: takes are matched
    /// only there (the hedge's).
    pub(super) fn take_perpetual<M: Market>(
        &mut self,
        market: &M,
        client_id: u64,
        (instrument, side, limit, qty): (InstrumentId, Side, Price, Qty),
    ) -> VenueEvent {
        let index = market.point().map_or(f64::NAN, |p| p.price);
        let Some(perp) = self.perpetual.filter(|p| p.id == instrument) else {
            return VenueEvent::Rejected { client_id };
        };
        let instruments = market.instruments();
        let Some(price) = perp.take_price(instruments, index, side, limit) else {
            return VenueEvent::Cancelled { client_id };
        };
        let fee = perp.taker_fee(instruments, price, qty);
        perp.tally(instruments, &mut self.hedge, (side, price, qty, fee), index);
        let fill = Fill {
            instrument,
            side,
            price,
            qty,
            fee,
            ts: self.clock,
        };
        VenueEvent::Filled { client_id, fill }
    }

    /// Whether `instrument` is the modelled perpetual.
    pub(super) fn is_perpetual(&self, instrument: InstrumentId) -> bool {
        self.perpetual.is_some_and(|p| p.id == instrument)
    }

    /// Our resting orders on the modelled perpetual fill whole where its book now reaches them
    /// (the index moved through their price): a passive hedge, at Deribit's maker fee (none).
    pub(super) fn match_perpetual<M: Market>(&mut self, now: Timestamp, market: &M) {
        let Some(perp) = self.perpetual else { return };
        // Nothing of ours resting there: nothing to look up (this runs at every step).
        if self.queues.on(perp.id).is_empty() {
            return;
        }
        let Some(top) = perp.top(market.instruments(), self.index, now) else {
            return;
        };
        // As the options' `crosses` rule.
        self.cross(now, market.instruments(), perp.id, top);
    }
}
