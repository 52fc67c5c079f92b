//! After every (re)connect, before quoting: the venue's open orders, our recent trades, the
//! positions and the deliveries, asked for together and read against what the trader knows
//! ([`connectors::deribit::reconcile`]). Fills missed while away are journaled and booked,
//! orders that ended while away are ended, orders of ours the trader does not know (a restart)
//! are cancelled, expired options delivered meanwhile are settled, and the positions must then
//! equal the venue's, or the kill switch trips (as configured). `user.*` channels send no snapshot: this is the only way to learn what happened.

use crate::desk::{history_params, Desk, Phase, OWN_TAGS};
use crate::journal::Entry;
use connectors::deribit::connection::Command;
use connectors::deribit::orders::{client_id, label};
use connectors::deribit::reconcile;
use connectors::deribit::session::Out;
use engine::Qty;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::Arc;

/// The four lists of one reconcile, as they come in.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reconciling {
    attempt: u64,
    lists: Box<[Option<Value>; 4]>,
}

/// The venue's lists, all in.
#[derive(Debug)]
pub struct Lists {
    open: Value,
    trades: Value,
    positions: Value,
    deliveries: Value,
}

const METHODS: [&str; 4] = [
    "private/get_open_orders_by_currency",
    "private/get_user_trades_by_currency",
    "private/get_positions",
    "private/get_settlement_history_by_currency",
];

impl Reconciling {
    fn tag(attempt: u64, k: u64) -> u64 {
        // Past the desk's first own tags (the cancel-all).
        OWN_TAGS + 16 + attempt * 4 + k
    }

    /// A reply to one of this reconcile's requests: the lists once all four are in, or why
    /// this reconcile failed (a refusal, a time-out). None while waiting, or for another's.
    pub fn on_reply(&mut self, tag: u64, out: Out) -> Option<Result<Lists, String>> {
        let k = (0..4).find(|k| Self::tag(self.attempt, *k) == tag)?;
        let result = match out {
            Out::Answer { result, .. } => result,
            Out::Refused {
                method,
                code,
                message,
                ..
            } => return Some(Err(format!("{method} refused: {code} {message}"))),
            Out::TimedOut { method, .. } => return Some(Err(format!("{method} timed out"))),
            _ => return None,
        };
        self.lists[k as usize] = Some(result);
        match &*self.lists {
            [Some(o), Some(t), Some(p), Some(d)] => Some(Ok(Lists {
                open: o.clone(),
                trades: t.clone(),
                positions: p.clone(),
                deliveries: d.clone(),
            })),
            _ => None,
        }
    }
}

impl Desk {
    /// Asks the venue for its lists; quoting waits for them. Not after the kill switch (nothing
    /// is quoted again until a restart, which reconciles).
    pub(crate) fn start_reconcile(&mut self) {
        if matches!(self.phase, Phase::Killed(_)) {
            return;
        }
        let attempt = match &self.phase {
            Phase::Reconciling(r) => r.attempt + 1,
            _ => 0,
        };
        self.phase = Phase::Reconciling(Reconciling {
            attempt,
            ..Reconciling::default()
        });
        self.health.not_quoting("reconciling with the venue");
        let c = &self.currency;
        let params = [
            json!({"currency": c}),
            // Deribit's recent trades (the last 24 h); older ones need `historical`.
            json!({"currency": c, "count": 1000}),
            json!({"currency": c}),
            history_params(c),
        ];
        for (k, (method, params)) in METHODS.into_iter().zip(params).enumerate() {
            let tag = Reconciling::tag(attempt, k as u64);
            self.send(Command::Call {
                method: method.into(),
                params,
                tag,
                since: None,
            });
        }
    }

    /// The lists are in (or one failed: ask again).
    pub(crate) fn finish_reconcile(&mut self, done: Result<Lists, String>) {
        let lists = match done {
            Ok(l) => l,
            Err(why) => {
                tracing::warn!("reconcile: {why}; asking again");
                return self.start_reconcile();
            }
        };
        if let Err(why) = self.apply_lists(&lists) {
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
        tracing::info!("reconciled: quoting");
        self.phase = Phase::Quoting;
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
                params,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lists_come_once_all_four_are_in_and_a_refusal_ends_the_attempt() {
        let mut r = Reconciling {
            attempt: 2,
            ..Reconciling::default()
        };
        let answer = |k: u64, v: Value| Out::Answer {
            id: Reconciling::tag(2, k),
            method: METHODS[k as usize].into(),
            result: v,
        };
        assert!(r
            .on_reply(Reconciling::tag(2, 0), answer(0, json!([])))
            .is_none());
        // A reply to an older attempt is not this one's.
        assert!(r
            .on_reply(Reconciling::tag(1, 1), answer(1, json!([])))
            .is_none());
        assert!(r
            .on_reply(Reconciling::tag(2, 2), answer(2, json!([])))
            .is_none());
        assert!(r
            .on_reply(
                Reconciling::tag(2, 3),
                answer(3, json!({"settlements": []}))
            )
            .is_none());
        let lists = r.on_reply(Reconciling::tag(2, 1), answer(1, json!({"trades": []})));
        assert!(matches!(lists, Some(Ok(Lists { .. }))));
        let refused = Out::Refused {
            id: Reconciling::tag(2, 2),
            method: METHODS[2].into(),
            code: 13009,
            message: "unauthorized".into(),
        };
        let e = r.on_reply(Reconciling::tag(2, 2), refused);
        assert_eq!(
            e.map(|x| x.err()),
            Some(Some(
                "private/get_positions refused: 13009 unauthorized".into()
            ))
        );
    }
}
