//! The trading core every driver runs (the backtester and the live service): it hands the
//! market state to a strategy, turns what the strategy wants into venue actions through the quote
//! manager, and takes back what the venue says happened: acknowledgements, refusals, fills,
//! expiries and settlements, booked into the one [`Ledger`].
//!
//! Pure: no I/O, no clock (time comes in with each call), no threads. Nothing is dropped
//! silently: every refused action or event that does not fit what the trader knows is counted
//! by [`Refusal`] reason, for the summary or the metrics.

use crate::instrument::{InstrumentId, Instruments};
use crate::order::OrderEvent;
use crate::position::{Fill, Ledger};
use crate::quotes::{Action, QuoteManager, QuoteRules, WantedQuote};
use crate::state::{State, Top};
use crate::strategy::{Strategy, Wanted};
use crate::tick_rule::TickRule;
use crate::time::Timestamp;
use crate::units::{Qty, Side};
pub use crate::venue_event::{Refusal, VenueEvent};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

/// The strategy, its quote manager and the accounting, driven from outside.
pub struct Trader {
    manager: QuoteManager,
    /// Every order we sent, by client id: what a fill of it trades.
    orders: FxHashMap<u64, (InstrumentId, Side)>,
    ledger: Ledger,
    refused: BTreeMap<Refusal, u64>,
    wanted: Wanted,
    /// Takes (immediate-or-cancel) sent and not yet ended, with the lots not yet filled: the
    /// quote manager does not know them.
    takes: FxHashMap<u64, Qty>,
    /// Scratch for [`Trader::reprice`]: one instrument's quotes.
    repriced: Vec<WantedQuote>,
}

impl Trader {
    /// Client ids start at `first_client_id` (distinct per session: see [`QuoteManager::new`]).
    pub fn new(rules: QuoteRules, first_client_id: u64) -> Trader {
        Trader {
            manager: QuoteManager::new(rules, first_client_id),
            orders: FxHashMap::default(),
            ledger: Ledger::new(),
            refused: BTreeMap::new(),
            wanted: Wanted::default(),
            takes: FxHashMap::default(),
            repriced: Vec::new(),
        }
    }

    /// Asks `strategy` for its quotes on `state` (decided at `now`) and appends to `out` the
    /// actions that bring the resting orders there. Refused wanted quotes send nothing and are
    /// counted.
    pub fn requote(
        &mut self,
        now: Timestamp,
        state: &State,
        strategy: &mut dyn Strategy,
        out: &mut Vec<Action>,
    ) {
        self.wanted.clear();
        strategy.quotes(state, &mut self.wanted);
        let first = out.len();
        if self
            .manager
            .reconcile(now, &self.wanted.quotes, out)
            .is_err()
        {
            self.count(Refusal::BadWantedQuotes);
            return;
        }
        self.note_places(&out[first..]);
        self.send_takes(out);
    }

    /// After a book tick on `instrument` (its new `top`, prices on `rule`): the last requote's
    /// quotes on it kept off the other side's best (post-only) and the quote manager brought to
    /// them on that instrument alone: a tick answered without a requote of the chain. Nothing
    /// when no quote had to move.
    pub fn reprice(
        &mut self,
        now: Timestamp,
        instrument: InstrumentId,
        (top, rule): (&Top, &TickRule),
        out: &mut Vec<Action>,
    ) {
        let mut moved = false;
        self.repriced.clear();
        for q in (self.wanted.quotes.iter_mut()).filter(|q| q.key.instrument == instrument) {
            moved |= q.keep_off(top, rule);
            if q.price.0 > 0 {
                self.repriced.push(*q);
            }
        }
        if !moved {
            return;
        }
        let first = out.len();
        let repriced = std::mem::take(&mut self.repriced);
        let result = (self.manager).reconcile_instrument(now, instrument, &repriced, out);
        self.repriced = repriced;
        if result.is_err() {
            self.count(Refusal::BadWantedQuotes);
        }
        self.note_places(&out[first..]);
    }

    /// The instrument and side of each new order among `actions`, for its fills.
    fn note_places(&mut self, actions: &[Action]) {
        for a in actions {
            if let Action::Place { client_id, key, .. } = a {
                self.orders.insert(*client_id, (key.instrument, key.side));
            }
        }
    }

    /// The strategy's takes as actions after the quotes' (a take with a price or size not
    /// positive is counted and not sent).
    fn send_takes(&mut self, out: &mut Vec<Action>) {
        for i in 0..self.wanted.takes.len() {
            let t = self.wanted.takes[i];
            if t.price.0 <= 0 || t.qty.0 <= 0 {
                self.count(Refusal::BadWantedQuotes);
                continue;
            }
            // One take at a time on an instrument: the strategy wants what its state shows,
            // and a take not yet answered is not in it (live, answers take longer than a
            // requote: each requote would send the same take again).
            let on_it = |c: &u64| self.orders.get(c).is_some_and(|(i, _)| *i == t.instrument);
            if self.takes.keys().any(on_it) {
                continue;
            }
            let client_id = self.manager.allocate_client_id();
            self.orders.insert(client_id, (t.instrument, t.side));
            self.takes.insert(client_id, t.qty);
            out.push(Action::Take {
                client_id,
                instrument: t.instrument,
                side: t.side,
                price: t.price,
                qty: t.qty,
            });
        }
    }

    /// `event`, if it is about a take: a fill booked, the end (all filled, the rest cancelled,
    /// or refused) forgets it. False for any other event.
    fn on_take_event(&mut self, instruments: &Instruments, event: VenueEvent) -> bool {
        use VenueEvent as E;
        let client_id = match event {
            E::Accepted { client_id, .. }
            | E::Rejected { client_id }
            | E::Amended { client_id, .. }
            | E::Cancelled { client_id }
            | E::Refused { client_id }
            | E::Filled { client_id, .. }
            | E::Expired { client_id } => client_id,
            E::Settled { .. } => return false,
        };
        let Some(&left) = self.takes.get(&client_id) else {
            return false;
        };
        let ended = match event {
            E::Accepted { .. } => false,
            E::Filled { fill, .. } => {
                self.book_fill(instruments, client_id, fill);
                let left = left - fill.qty;
                if left.0 < 0 {
                    self.count(Refusal::ImpossibleEvent);
                }
                self.takes.insert(client_id, left);
                left.0 <= 0
            }
            E::Rejected { .. } => {
                self.count(Refusal::OrderRejected);
                true
            }
            E::Cancelled { .. } | E::Expired { .. } => true,
            E::Amended { .. } | E::Refused { .. } | E::Settled { .. } => {
                self.count(Refusal::ImpossibleEvent);
                false
            }
        };
        if ended {
            self.takes.remove(&client_id);
            self.orders.remove(&client_id);
        }
        true
    }

    /// What the venue said. `instruments` resolves the instrument of a fill or settlement.
    pub fn on_event(&mut self, instruments: &Instruments, event: VenueEvent) {
        if self.on_take_event(instruments, event) {
            return;
        }
        let order_event = match event {
            VenueEvent::Accepted {
                client_id,
                venue_id,
            } => Some((client_id, OrderEvent::Accepted(venue_id))),
            VenueEvent::Rejected { client_id } => {
                self.count(Refusal::OrderRejected);
                Some((client_id, OrderEvent::Rejected))
            }
            VenueEvent::Amended {
                client_id,
                price,
                amount,
            } => Some((client_id, OrderEvent::Amended { price, amount })),
            VenueEvent::Cancelled { client_id } => Some((client_id, OrderEvent::Cancelled)),
            VenueEvent::Expired { client_id } => Some((client_id, OrderEvent::Expired)),
            VenueEvent::Refused { client_id } => {
                self.count(Refusal::ActionRefused);
                // An order we sent that has since ended (a cancel that met its last fill) is a
                // race, not an unknown order.
                let sent = self.orders.contains_key(&client_id);
                if self.manager.on_refused(client_id).is_err() && !sent {
                    self.count(Refusal::UnknownOrder);
                }
                None
            }
            VenueEvent::Filled { client_id, fill } => {
                self.book_fill(instruments, client_id, fill);
                Some((client_id, OrderEvent::Filled { qty: fill.qty }))
            }
            VenueEvent::Settled {
                instrument,
                value,
                fee,
                ..
            } => {
                let inst = instruments.get(instrument);
                if self.ledger.settle(inst, instrument, value, fee).is_err() {
                    self.count(Refusal::BadFill);
                }
                None
            }
        };
        if let Some((client_id, e)) = order_event {
            self.order_event(client_id, e);
            if matches!(
                e,
                OrderEvent::Rejected | OrderEvent::Cancelled | OrderEvent::Expired
            ) {
                // Final, and nothing fills after it: forget the order.
                self.orders.remove(&client_id);
            }
        }
    }

    /// A package traded off the order book (a holder taking the maker's price for a whole roll):
    /// its legs booked at their prices, and `residual` (ETH: the package's net price beyond the
    /// legs) as a transfer. A leg the ledger refuses is counted, not dropped silently.
    pub fn book_package(&mut self, instruments: &Instruments, legs: &[Fill], residual: Decimal) {
        for fill in legs {
            let inst = instruments.get(fill.instrument);
            if self.ledger.apply(inst, fill).is_err() {
                self.count(Refusal::BadFill);
            }
        }
        self.ledger.transfer(residual);
    }

    /// Fills booked before this trader started (the journal's, read back at a restart): into
    /// the ledger as they were, no order of this session's touched. A fill the ledger refuses
    /// is counted.
    pub fn restore(&mut self, instruments: &Instruments, fills: &[Fill]) {
        self.book_package(instruments, fills, Decimal::ZERO);
    }

    /// Client ids of every order sent and not seen end (quotes and takes), for a reconcile.
    pub fn live_client_ids(&self) -> impl Iterator<Item = u64> + '_ {
        let quotes = self.manager.orders().map(|(_, o)| o.client_id);
        quotes.chain(self.takes.keys().copied())
    }

    fn book_fill(&mut self, instruments: &Instruments, client_id: u64, fill: Fill) {
        if !self.orders.contains_key(&client_id) {
            // Still booked: the venue says we traded, whatever we remember.
            self.count(Refusal::UnknownOrder);
        }
        let inst = instruments.get(fill.instrument);
        if self.ledger.apply(inst, &fill).is_err() {
            self.count(Refusal::BadFill);
        }
    }

    fn order_event(&mut self, client_id: u64, event: OrderEvent) {
        use crate::quotes::QuoteError;
        match self.manager.on_event(client_id, event) {
            Ok(()) => {}
            Err(QuoteError::UnknownOrder(_)) => {
                // A fill already counted its unknown order above.
                if !matches!(event, OrderEvent::Filled { .. }) {
                    self.count(Refusal::UnknownOrder)
                }
            }
            Err(_) => self.count(Refusal::ImpossibleEvent),
        }
    }

    fn count(&mut self, reason: Refusal) {
        *self.refused.entry(reason).or_default() += 1;
    }

    /// Signed lots held in `id`.
    pub fn position(&self, id: InstrumentId) -> Qty {
        Qty(self.ledger.size(id))
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The orders the quote manager has placed and not yet seen end.
    pub fn manager(&self) -> &QuoteManager {
        &self.manager
    }

    /// What the strategy wanted at the last requote, and what it pulled and why.
    pub fn wanted(&self) -> &Wanted {
        &self.wanted
    }

    /// The instrument and side of an order we sent.
    pub fn order(&self, client_id: u64) -> Option<(InstrumentId, Side)> {
        self.orders.get(&client_id).copied()
    }

    /// Refusals so far, by reason.
    pub fn refusals(&self) -> &BTreeMap<Refusal, u64> {
        &self.refused
    }
}
