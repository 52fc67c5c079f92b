//! One requote: the state on the feed's clock (the surface refitted when due), the strategy's
//! wants through the trader, each intent durable, then the requests; and the metrics, the health
//! and the loss limit after.

use super::{client_id, Desk, Phase, MAX_IN_FLIGHT, PUBLISH_EVERY, REQUOTE_AT_LEAST};
use crate::account::{exposure, Exposure};
use crate::journal::JournalError;
use crate::record;
use connectors::deribit::connection::Command;
use connectors::deribit::orders;
use engine::InstrumentId;
use std::sync::Arc;
use std::time::Instant;

impl Desk {
    /// One requote if quoting and due: intents written, then the orders sent. The surface is
    /// refitted when due whether or not a requote is (the socket's backlog does not age it).
    pub(super) fn requote(&mut self, wall: Instant) -> Result<(), JournalError> {
        self.refit(wall);
        let since = self.last_requote.map(|t| wall.duration_since(t));
        let due = match since {
            None => true,
            Some(s) => (self.dirty && s >= self.requote_every) || s >= REQUOTE_AT_LEAST,
        };
        // Backpressure, and no requote on an inventory the journal has not yet let count.
        let waiting = self.in_flight >= MAX_IN_FLIGHT || self.unbooked() || self.frozen(wall);
        if self.phase != Phase::Quoting || !due || waiting {
            // Valuing the account prices every option held: not at every frame.
            if self
                .last_publish
                .is_none_or(|t| wall.duration_since(t) >= PUBLISH_EVERY)
            {
                let now = self.market.clock.now(wall);
                let e = exposure(&self.market, self.trader.ledger(), now);
                self.publish(e, wall);
            }
            return Ok(());
        }
        self.last_requote = Some(wall);
        self.dirty = false;
        let now = self.market.clock.now(wall);
        let started = Instant::now();
        // The account as the strategy sees it, and as the metrics show it after this requote
        // (which books nothing: one valuation serves both).
        let e = exposure(&self.market, self.trader.ledger(), now);
        let trader = &self.trader;
        let state = self
            .market
            .state(now, &|id| trader.position(id), e.cash_eth);
        self.actions.clear();
        self.trader
            .requote(now, &state, self.strategy.as_mut(), &mut self.actions);
        if !self.actions.is_empty() {
            (self.latencies).record(|l| &mut l.requote, started.elapsed());
        }
        self.send_actions(None)?;
        self.publish(e, wall);
        Ok(())
    }

    /// The surface fitted again if due, on the feed's clock (a local venue may run its market
    /// faster than the wall: the strategy judges the surface's age on that clock too).
    fn refit(&mut self, wall: Instant) {
        let now = self.market.clock.now(wall);
        let due = (self.last_refit).is_none_or(|t| (now.0 - t.0) as f64 >= self.refit_every * 1e9);
        if due && now.0 > 0 {
            self.market.refit(now);
            self.last_refit = Some(now);
        }
    }

    /// A book tick on `id`, read at `received`: the last requote's quotes on it kept off the
    /// other side's new best, on that series alone (the whole chain waits for its requote).
    pub(super) fn reprice(
        &mut self,
        id: InstrumentId,
        received: Instant,
    ) -> Result<(), JournalError> {
        let frozen = self.frozen(Instant::now());
        if self.phase != Phase::Quoting || self.in_flight >= MAX_IN_FLIGHT || frozen {
            return Ok(());
        }
        let now = self.market.clock.now(received);
        let top = self.market.top(id, now);
        let instruments = Arc::clone(self.market.instruments());
        let rule = instruments.get(id).tick_rule();
        self.actions.clear();
        self.trader
            .reprice(now, id, (&top, rule), &mut self.actions);
        if self.actions.is_empty() {
            return Ok(());
        }
        self.send_actions(Some(received))?;
        self.repriced = true;
        (self.latencies).record(|l| &mut l.to_connection, received.elapsed());
        Ok(())
    }

    /// The actions: every intent held for the journal's thread (handed over once the orders
    /// are written, durable while they travel: [`Desk::release_intents`]), then each request
    /// sent (`since`: when the book frame they answer was read, for the time to its writing).
    fn send_actions(&mut self, since: Option<Instant>) -> Result<(), JournalError> {
        self.journal.check()?;
        let instruments = Arc::clone(self.market.instruments());
        let trader = &self.trader;
        let of = |c: u64| trader.order(c).map(|(i, _)| i);
        // Written up as journal entries once the orders are ([`Desk::hold_intents`]).
        (self.intents).extend(self.actions.iter().map(|a| (*a, of(client_id(a)))));
        for a in &self.actions {
            let Some((method, params)) = orders::request(&instruments, a, of, self.mmp_on()) else {
                tracing::warn!("no request for {a:?}: a price or amount not finite");
                continue;
            };
            let tag = client_id(a);
            let call = Command::Call {
                method: method.to_string(),
                params,
                tag,
                since,
            };
            self.send(call);
            self.in_flight += 1;
        }
        Ok(())
    }

    /// The orders this turn asked for written (spinning, the connection runs on this thread),
    /// then their intents handed to the journal's thread: waking it first could cost this
    /// thread its core while the orders wait.
    pub(super) async fn release_intents(&mut self) -> Result<(), JournalError> {
        self.waiting.give_way().await;
        let started = Instant::now();
        self.hold_intents()?;
        if self.journal.release()? {
            (self.latencies).record(|l| &mut l.journal, started.elapsed());
        }
        Ok(())
    }

    /// The intents of the orders sent, as journal entries held for the journal's thread
    /// (ahead of anything else handed to it): not built on the way to the socket.
    pub(crate) fn hold_intents(&mut self) -> Result<(), JournalError> {
        if self.intents.is_empty() {
            return Ok(());
        }
        let instruments = Arc::clone(self.market.instruments());
        self.entries.clear();
        (self.entries).extend(
            (self.intents.drain(..)).map(|(a, on)| record::intent(&instruments, &a, |_| on)),
        );
        self.journal.hold(&self.entries)
    }

    /// The metrics and the health, from the account's exposure now (`wall`).
    pub(super) fn publish(&mut self, e: Exposure, wall: Instant) {
        self.last_publish = Some(wall);
        let m = &self.metrics;
        m.quotes_live.set(self.trader.manager().len() as i64);
        m.delta.set(e.delta_eth);
        m.vega.set(e.vega);
        m.gamma.set(e.gamma);
        m.pnl_usd.set(e.pnl_usd);
        match &self.phase {
            Phase::Quoting if self.frozen(wall) => {
                let why = "market maker protection tripped: paused for its frozen time";
                self.health.not_quoting(why)
            }
            Phase::Quoting => match self.trader.wanted().pulled.first() {
                Some(p) if self.trader.wanted().quotes.is_empty() => {
                    self.health.not_quoting(&format!("pulled: {}", p.reason))
                }
                _ => self.health.quoting(),
            },
            Phase::Offline(why) | Phase::Killed(why) => self.health.not_quoting(why),
            Phase::Reconciling(_) => self.health.not_quoting("reconciling with the venue"),
        }
        if e.pnl_usd < -self.kill.max_loss_usd {
            let why = format!("PnL {:.0} USD below -{}", e.pnl_usd, self.kill.max_loss_usd);
            self.kill_now(&why);
        }
    }
}
