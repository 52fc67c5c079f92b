//! The venue's two latencies: our actions on their way in (each reaches it `order_latency` after
//! it is sent) and its answers on their way out (each reaches the trader `response_latency` after
//! it is made).

use super::super::market::Market;
use super::SimVenue;
use engine::quotes::Action;
use engine::trader::{Trader, VenueEvent};
use engine::{Instruments, Timestamp};

impl SimVenue {
    /// Actions decided at `decided`: each reaches the venue an order latency later.
    pub fn send(&mut self, decided: Timestamp, actions: &[Action]) {
        for a in actions {
            let at = Timestamp(decided.0 + self.order_latency.delay_nanos());
            self.arrivals.push(at, *a);
        }
    }

    /// Applies the actions that have reached the venue by `now`, each answered from when it
    /// arrived.
    #[inline(always)]
    pub fn arrive<M: Market>(&mut self, now: Timestamp, market: &M) {
        // Most calls (two a step) find nothing due: that is checked inline, before a call.
        if self.arrivals.due(now) {
            self.arrive_due(now, market);
        }
    }

    fn arrive_due<M: Market>(&mut self, now: Timestamp, market: &M) {
        while let Some((at, action)) = self.arrivals.pop_due(now) {
            self.clock = self.clock.max(at);
            let event = self.apply(market, action);
            self.answer(self.clock, event);
        }
    }

    pub(super) fn answer(&mut self, now: Timestamp, event: VenueEvent) {
        let at = Timestamp(now.0 + self.response_latency.delay_nanos());
        self.outbox.push(at, event);
    }

    /// Hands the trader what has reached it by `now` (everything, with `now` None: the run's
    /// end).
    #[inline(always)]
    pub fn deliver(
        &mut self,
        now: Option<Timestamp>,
        trader: &mut Trader,
        instruments: &Instruments,
    ) {
        // Three calls a step, most with nothing due: checked inline, before a call.
        let until = now.unwrap_or(Timestamp(i64::MAX));
        if self.outbox.due(until) {
            self.deliver_due(until, trader, instruments);
        }
    }

    fn deliver_due(&mut self, until: Timestamp, trader: &mut Trader, instruments: &Instruments) {
        while let Some((_, event)) = self.outbox.pop_due(until) {
            trader.on_event(instruments, event);
        }
    }
}
