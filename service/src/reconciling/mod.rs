//! After every (re)connect, before quoting: the venue's open orders, our trades (recent, and
//! since the last fill journaled), the positions and the deliveries, asked for together
//! ([`lists`]) and read against what the trader knows ([`connectors::deribit::reconcile`]). Fills missed while away are journaled and booked,
//! orders that ended while away are ended, orders of ours the trader does not know (a restart)
//! are cancelled, expired options delivered meanwhile are settled, and the positions must then
//! equal the venue's, or the kill switch trips (as configured). `user.*` channels send no snapshot: this is the only way to learn what happened.

use crate::desk::{Desk, Phase, OWN_TAGS};
use crate::journal::Entry;
use connectors::deribit::connection::Command;
use connectors::deribit::orders::{client_id, label};
use connectors::deribit::reconcile;
use engine::Qty;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Reconciles in a row that must find a position gap before it trips the kill switch.
const GAP_LOOKS: u32 = 3;

mod lists;
pub use lists::{Lists, Progress, Reconciling};

impl Desk {
    /// Asks the venue for its lists; quoting waits for them. Not after the kill switch (nothing
    /// is quoted again until a restart, which reconciles).
    pub(crate) fn start_reconcile(&mut self) {
        if matches!(self.phase, Phase::Killed(_)) {
            return;
        }
        let (attempt, gap_looks) = match &self.phase {
            Phase::Reconciling(r) => (r.attempt + 1, r.gap_looks),
            _ => (0, 0),
        };
        let when = (self.last_fill_ms, crate::desk::wall_ms());
        let (mut r, asks) = Reconciling::start(attempt, &self.currency, when, self.mmp_on());
        r.gap_looks = gap_looks;
        self.ask_mmp();
        self.phase = Phase::Reconciling(r);
        self.health.not_quoting("reconciling with the venue");
        for (tag, method, params) in asks {
            self.send(Command::Call {
                method: method.into(),
                params: params.into(),
                tag,
                since: None,
            });
        }
    }

    /// A reply to the reconcile's requests: the next page asked for, the lists applied once
    /// all are in, or (one failed) all asked for again.
    pub(crate) fn on_reconcile_reply(&mut self, tag: u64, out: connectors::deribit::session::Out) {
        let Phase::Reconciling(r) = &mut self.phase else {
            return;
        };
        match r.on_reply(tag, out) {
            None | Some(Progress::Waiting) => {}
            Some(Progress::Page { tag, params }) => self.send(Command::Call {
                method: "private/get_user_trades_by_currency_and_time".into(),
                params: params.into(),
                tag,
                since: None,
            }),
            Some(Progress::Done(lists)) => self.finish_reconcile(&lists),
            Some(Progress::Failed(why)) => {
                tracing::warn!("reconcile: {why}; asking again");
                self.start_reconcile();
            }
        }
    }

    /// The lists are in.
    fn finish_reconcile(&mut self, lists: &Lists) {
        if let Err(why) = self.apply_lists(lists) {
            tracing::warn!("reconcile: {why}; asking again");
            return self.start_reconcile();
        }
        if let Err(e) = self.settle_now() {
            return self.kill_now(&e.to_string());
        }
        // Deliveries after the missed fills are booked: they settle what those left.
        if let Err(why) = self.on_deliveries(&lists.deliveries) {
            tracing::warn!("reconcile: settlement history: {why}; asking again");
            return self.start_reconcile();
        }
        if let Err(e) = self.settle_now() {
            return self.kill_now(&e.to_string());
        }
        let instruments = Arc::clone(self.market.instruments());
        let ledger = self.trader.ledger();
        let held: Vec<(engine::InstrumentId, Qty)> =
            (ledger.iter()).map(|(id, p)| (id, p.size())).collect();
        let gaps = match reconcile::position_gaps(&instruments, &held, &lists.positions) {
            Ok(g) => g,
            Err(e) => {
                tracing::warn!("reconcile: {e}; asking again");
                return self.start_reconcile();
            }
        };
        if !gaps.is_empty() && self.look_again_at_gaps() {
            tracing::warn!(
                "reconcile: {} positions differ from the venue's; asking again",
                gaps.len()
            );
            return self.start_reconcile();
        }
        for (name, ours, venue) in &gaps {
            tracing::error!(
                "position {name}: {} lots booked, {} at the venue",
                ours.0,
                venue.0
            );
        }
        if !gaps.is_empty() && self.kill.on_position_gap {
            let why = format!("{} positions differ from the venue's", gaps.len());
            return self.kill_now(&why);
        }
        self.on_mmp_status(&lists.mmp);
        match self.is_stopping() {
            true => tracing::info!("reconciled before stopping"),
            false => tracing::info!("reconciled: quoting"),
        }
        self.phase = Phase::Quoting;
    }

    /// Whether a gap between the positions and the venue's is worth another look before it
    /// counts. The venue answers each list at its own moment: an option delivered between its
    /// positions and its settlement history shows in one and not the other, and the next
    /// reconcile sees both agree. A gap seen on [`GAP_LOOKS`] reconciles in a row is real.
    fn look_again_at_gaps(&mut self) -> bool {
        let Phase::Reconciling(r) = &mut self.phase else {
            return false;
        };
        r.gap_looks += 1;
        r.gap_looks < GAP_LOOKS
    }

    /// The open orders and trades against the trader: events for the turn, orphans cancelled.
    fn apply_lists(&mut self, lists: &Lists) -> Result<(), String> {
        let instruments = Arc::clone(self.market.instruments());
        let live: BTreeSet<u64> = self.trader.live_client_ids().collect();
        // Our live orders the venue has: the tracker learns any it missed (an answer lost).
        let open = lists.open.as_array().ok_or("open orders: not a list")?;
        let known: Vec<&Value> = (open.iter())
            .filter(|o| {
                (o["label"].as_str())
                    .and_then(client_id)
                    .is_some_and(|c| live.contains(&c))
            })
            .collect();
        self.on_changes(&json!({ "orders": known }));
        let r = reconcile::orders(
            &instruments,
            &mut self.tracker,
            &live,
            &lists.open,
            &lists.trades,
        )
        .map_err(|e| e.to_string())?;
        self.events.extend(r.events);
        self.trade_ids.extend(self.tracker.take_told());
        if r.foreign > 0 {
            tracing::info!("{} open orders of another client left alone", r.foreign);
        }
        let mut intents = Vec::new();
        for orphan in &r.orphans {
            // Labels come from `client_id`, so this parses; a cancel names our label back.
            let Some(id) = client_id(orphan) else {
                continue;
            };
            tracing::warn!("order {orphan} rests unknown (a restart): cancelling it");
            intents.push(Entry::Intent {
                client_id: id,
                action: "cancel".into(),
                instrument: String::new(),
                side: None,
                price: None,
                amount: None,
            });
            let params = json!({"label": label(id), "currency": self.currency});
            self.send(Command::Call {
                method: "private/cancel_by_label".into(),
                params: params.into(),
                tag: OWN_TAGS + 1,
                since: None,
            });
        }
        self.journal
            .append_all(&intents)
            .map_err(|e| e.to_string())?;
        Ok(())
    }
}
