//! The diff between wanted quotes and live orders, and the bookkeeping that keeps it honest.
//!
//! Rules, in order of importance:
//! - never two orders on one key, and nothing sent for a key whose last action is not yet answered
//!   (the next call, after the answer, decides again);
//! - a live order is left alone (keeping its queue place) only if it is no more aggressive and no
//!   larger than wanted, and within the thresholds of it; otherwise it is amended (a price change
//!   or a size change; on Deribit a size cut keeps priority);
//! - cancels go first, then amends, then places, within the cap on actions per second; what does
//!   not fit waits for the next call.

pub use super::action::{Action, QuoteError};
use super::live::ByKey;
use super::rate::RateLimit;
use super::rules::{keeps, QuoteRules};
use super::settled::Settled;
use super::wanted::{in_key_order, QuoteKey, WantedQuote};
use crate::instrument::InstrumentId;
use crate::order::{Order, OrderEvent, OrderStatus};
use crate::time::Timestamp;
use crate::units::Side;
use rustc_hash::FxHashMap;
use std::ops::{Bound, RangeBounds};

/// What was last asked of the venue for an order and is not yet answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum InFlight {
    Nothing,
    New,
    Amend,
    Cancel,
}

/// Where a client id's order is: its key, and its position in the live orders when last found.
#[derive(Clone, Copy, Debug)]
struct Slot {
    key: QuoteKey,
    at: usize,
}

#[derive(Clone, Debug)]
struct Live {
    order: Order,
    in_flight: InFlight,
}

/// Keeps the resting orders equal to what the strategy wants, with as few actions as possible.
#[derive(Debug)]
pub struct QuoteManager {
    rules: QuoteRules,
    rate: RateLimit,
    next_client_id: u64,
    live: ByKey<Live>,
    /// Fx, not SipHash: looked up on every answer from the venue; the ids are our own.
    by_client: FxHashMap<u64, Slot>,
    // Scratch space reused between calls: no allocation per requote once warm.
    wanted: Vec<WantedQuote>,
    places: Vec<WantedQuote>,
    cancel_buf: Vec<Action>,
    /// Changes to the live orders (each call that sent actions, each answer): what a settled
    /// wanted list is tagged with.
    changes: u64,
    settled: Settled,
}

impl QuoteManager {
    /// Client ids start at `first_client_id` (distinct per session, so a restart never reuses one).
    pub fn new(rules: QuoteRules, first_client_id: u64) -> QuoteManager {
        QuoteManager {
            rules,
            rate: RateLimit::new(rules.max_actions_per_second),
            next_client_id: first_client_id,
            live: ByKey::default(),
            by_client: FxHashMap::default(),
            wanted: Vec::new(),
            places: Vec::new(),
            cancel_buf: Vec::new(),
            changes: 0,
            settled: Settled::default(),
        }
    }

    /// A client id for an order sent outside the manager (a take), from the same sequence so
    /// that no two orders share one.
    pub fn allocate_client_id(&mut self) -> u64 {
        let id = self.next_client_id;
        self.next_client_id += 1;
        id
    }

    /// The orders this manager has placed and not yet seen end, with their keys.
    pub fn orders(&self) -> impl Iterator<Item = (&QuoteKey, &Order)> {
        self.live.iter().map(|(k, l)| (k, &l.order))
    }

    /// The next call to [`QuoteManager::reconcile`] diffs in full even if the wanted list is
    /// the last settled one (the tests compare the two).
    pub fn diff_in_full(&mut self) {
        self.settled.forget();
    }

    /// Number of orders placed and not yet ended.
    pub fn len(&self) -> usize {
        self.live.len()
    }

    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }

    /// Appends to `out` the actions that bring the live orders to `wanted` at time `now`. A bad
    /// wanted list is refused whole and changes nothing.
    pub fn reconcile(
        &mut self,
        now: Timestamp,
        wanted: &[WantedQuote],
        out: &mut Vec<Action>,
    ) -> Result<(), QuoteError> {
        if self.settled.holds(self.changes, wanted) {
            // Nothing to do again; the bucket refilled as the diff would have.
            self.rate.available(now);
            return Ok(());
        }
        if self.reconcile_keys(now, wanted, .., out)? {
            self.settled.record(self.changes, wanted);
        }
        Ok(())
    }

    /// [`QuoteManager::reconcile`] for one instrument: `wanted` is everything wanted on it, and
    /// the orders on other instruments are left as they are (a book tick re-priced on its own
    /// series). A wanted quote on another instrument is refused.
    pub fn reconcile_instrument(
        &mut self,
        now: Timestamp,
        instrument: InstrumentId,
        wanted: &[WantedQuote],
        out: &mut Vec<Action>,
    ) -> Result<(), QuoteError> {
        if let Some(w) = wanted.iter().find(|w| w.key.instrument != instrument) {
            return Err(QuoteError::OtherInstrument(w.key));
        }
        let key = |side, level| QuoteKey {
            instrument,
            side,
            level,
        };
        let keys = key(Side::Buy, 0)..=key(Side::Sell, u8::MAX);
        self.reconcile_keys(now, wanted, keys, out).map(|_| ())
    }

    /// The orders with keys in `keys` brought to `wanted` (all of whose keys are in it); whether
    /// nothing was needed.
    fn reconcile_keys<R: RangeBounds<QuoteKey> + Clone>(
        &mut self,
        now: Timestamp,
        wanted: &[WantedQuote],
        keys: R,
        out: &mut Vec<Action>,
    ) -> Result<bool, QuoteError> {
        let first = out.len();
        // The buffer a sorted copy goes to (reused across calls), out of `self` while in use.
        let mut buffer = std::mem::take(&mut self.wanted);
        let done = in_key_order(wanted, &mut buffer)
            .map(|wanted| self.reconcile_sorted(now, wanted, keys, first, out));
        self.wanted = buffer;
        done
    }

    /// [`QuoteManager::reconcile_keys`] once the wanted quotes are known sorted and valid;
    /// whether nothing was needed, whatever the budget (no cancel, amend or place).
    fn reconcile_sorted<R: RangeBounds<QuoteKey> + Clone>(
        &mut self,
        now: Timestamp,
        wanted: &[WantedQuote],
        keys: R,
        first: usize,
        out: &mut Vec<Action>,
    ) -> bool {
        // The live orders in key order, merged with the wanted ones. When the rate budget cannot
        // cover every possible action, a first pass counts the cancels and amends needed so that
        // cancels get the budget first; the (last) pass sends them and marks them in flight as it
        // goes, with no lookups by key or client id.
        self.places.clear();
        self.cancel_buf.clear();
        let mut budget = self.rate.available(now);
        let everything = matches!(
            (keys.start_bound(), keys.end_bound()),
            (Bound::Unbounded, Bound::Unbounded)
        );
        let live = if everything {
            self.live.len()
        } else {
            self.live.range(keys.clone()).count()
        };
        let everything_fits = budget >= live + wanted.len();
        // What the budget covers, and the actions needed (counted only when it may not cover them:
        // otherwise none were needed if none were sent).
        let (limits, needed) = if everything_fits {
            ((usize::MAX, usize::MAX), 0)
        } else {
            self.count_changes(wanted, keys.clone(), budget)
        };
        self.send_changes(wanted, keys, limits, everything_fits, out);
        let mut sent = out.len() - first + self.cancel_buf.len();
        budget -= sent;
        // Cancels go before the amends. Usually there are none, and the amends stay where they
        // were written (a requote of the chain amends some 800 orders: no copy of them).
        if !self.cancel_buf.is_empty() {
            out.splice(first..first, self.cancel_buf.drain(..));
        }
        sent += self.place(budget, out);
        self.rate.spend(sent);
        if sent > 0 {
            self.changes += 1;
        }
        sent == 0 && needed == 0
    }

    /// The first pass, when the budget is short: how many cancels and then amends it covers
    /// (cancels first), and how many actions are needed in all; the new quotes go to `places`.
    fn count_changes<R: RangeBounds<QuoteKey>>(
        &mut self,
        wanted: &[WantedQuote],
        keys: R,
        budget: usize,
    ) -> ((usize, usize), usize) {
        let (mut cancels, mut amends) = (0usize, 0usize);
        let mut want = wanted.iter().peekable();
        for (key, live) in self.live.range(keys) {
            while let Some(w) = want.next_if(|w| w.key < *key) {
                self.places.push(*w);
            }
            let matched = want.next_if(|w| w.key == *key);
            match decide(&self.rules, live, matched) {
                Some(Action::Cancel { .. }) => cancels += 1,
                Some(_) => amends += 1,
                None => {}
            }
        }
        self.places.extend(want.copied());
        let c = cancels.min(budget);
        (
            (c, amends.min(budget - c)),
            cancels + amends + self.places.len(),
        )
    }

    /// Cancels into `cancel_buf` and amends into `out`, up to `(cancels, amends)`, each order
    /// marked in flight; where everything fits, the new quotes go to `places` on the way.
    fn send_changes<R: RangeBounds<QuoteKey>>(
        &mut self,
        wanted: &[WantedQuote],
        keys: R,
        (mut cancels_left, mut amends_left): (usize, usize),
        everything_fits: bool,
        out: &mut Vec<Action>,
    ) {
        let mut want = wanted.iter().peekable();
        for (key, live) in self.live.range_mut(keys) {
            if cancels_left == 0 && amends_left == 0 {
                break;
            }
            while let Some(w) = want.next_if(|w| w.key < *key) {
                if everything_fits {
                    self.places.push(*w);
                }
            }
            let matched = want.next_if(|w| w.key == *key);
            match decide(&self.rules, live, matched) {
                Some(a @ Action::Cancel { .. }) if cancels_left > 0 => {
                    cancels_left -= 1;
                    live.in_flight = InFlight::Cancel;
                    self.cancel_buf.push(a);
                }
                Some(a @ Action::Amend { .. }) if amends_left > 0 => {
                    amends_left -= 1;
                    live.in_flight = InFlight::Amend;
                    out.push(a);
                }
                _ => {}
            }
        }
        if everything_fits {
            self.places.extend(want.copied());
        }
    }

    /// New orders for `places`, as many as `budget` allows, into `out`; how many.
    fn place(&mut self, budget: usize, out: &mut Vec<Action>) -> usize {
        let n = self.places.len().min(budget);
        let first_id = self.next_client_id;
        for (w, client_id) in self.places[..n].iter().zip(first_id..) {
            // Not known until merged in: the first answer searches.
            let at = usize::MAX;
            self.by_client.insert(client_id, Slot { key: w.key, at });
            out.push(Action::Place {
                client_id,
                key: w.key,
                price: w.price,
                qty: w.qty,
            });
        }
        self.next_client_id += n as u64;
        // The places are in key order, as the wanted list they come from.
        let new = self.places[..n]
            .iter()
            .zip(first_id..)
            .map(|(w, client_id)| {
                let order = Order::new(client_id, w.key.instrument, w.key.side, w.price, w.qty);
                let live = Live {
                    order,
                    in_flight: InFlight::New,
                };
                (w.key, live)
            });
        self.live.insert_sorted(new);
        n
    }

    /// An answer from the venue about one of our orders. One that does not fit what we know is an
    /// error and changes nothing.
    pub fn on_event(&mut self, client_id: u64, event: OrderEvent) -> Result<(), QuoteError> {
        self.changes += 1;
        let i = self.locate(client_id)?;
        let live = self.live.at_mut(i);
        let status = live.order.apply(event)?;
        match event {
            OrderEvent::Accepted(_) if live.in_flight == InFlight::New => {
                live.in_flight = InFlight::Nothing
            }
            OrderEvent::Amended { .. } if live.in_flight == InFlight::Amend => {
                live.in_flight = InFlight::Nothing
            }
            _ => {}
        }
        if status.is_final() {
            self.live.remove_at(i);
            self.by_client.remove(&client_id);
        }
        Ok(())
    }

    /// Where the order of `client_id` is in the live orders (the position kept for the next
    /// answer).
    fn locate(&mut self, client_id: u64) -> Result<usize, QuoteError> {
        let unknown = || QuoteError::UnknownOrder(client_id);
        let slot = self.by_client.get_mut(&client_id).ok_or_else(unknown)?;
        let i = self.live.locate(&slot.key, slot.at).ok_or_else(unknown)?;
        slot.at = i;
        Ok(i)
    }

    /// The venue refused an amend or a cancel (e.g. the order had just filled): the order stands as
    /// it was, and the next call decides again.
    pub fn on_refused(&mut self, client_id: u64) -> Result<(), QuoteError> {
        self.changes += 1;
        if !self.by_client.contains_key(&client_id) {
            return Err(QuoteError::UnknownOrder(client_id));
        }
        if let Ok(i) = self.locate(client_id) {
            let live = self.live.at_mut(i);
            if matches!(live.in_flight, InFlight::Amend | InFlight::Cancel) {
                live.in_flight = InFlight::Nothing;
            }
        }
        Ok(())
    }

    /// Whether the order is still waiting for its acknowledgement.
    pub fn is_pending(&self, client_id: u64) -> bool {
        self.by_client
            .get(&client_id)
            .and_then(|slot| self.live.get(&slot.key))
            .is_some_and(|l| l.order.status() == OrderStatus::Pending)
    }
}

/// What one live order needs: nothing while an action on it is unanswered, a cancel when it is no
/// longer wanted, an amend when it may not stay as it is.
fn decide(rules: &QuoteRules, live: &Live, matched: Option<&WantedQuote>) -> Option<Action> {
    if live.in_flight != InFlight::Nothing {
        return None;
    }
    let order = &live.order;
    match matched {
        None => Some(Action::Cancel {
            client_id: order.client_id,
        }),
        Some(w) if !keeps(rules, order, w) => Some(Action::Amend {
            client_id: order.client_id,
            price: w.price,
            amount: order.filled + w.qty,
        }),
        Some(_) => None,
    }
}
