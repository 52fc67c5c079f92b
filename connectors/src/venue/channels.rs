//! What the local venue's subscribers are sent: subscribing (a snapshot of each book and the
//! last ticker at once) and unsubscribing, then each request's consequences: every account's
//! `user.changes`, the market's trades on the `trades.*` channels that carry them, and each
//! changed book's levels as a change on `.raw` and `.100ms` alike, one `change_id` sequence a
//! book.

use super::core::{VenueCore, UNAUTHORIZED};
use super::trading::{Changes, Refusal, MMP_INDEX};
use super::{ConnId, Reply};
use crate::deribit::trades::{self, TradesChannel};
use crate::deribit::{book, ticker};
use engine::matching::OwnerId;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

impl VenueCore {
    /// `channels` no longer sent to `conn`; the list back, as Deribit answers.
    pub(super) fn unsubscribe(&mut self, conn: ConnId, p: &Value) -> Value {
        let channels: Vec<String> = (p["channels"].as_array().into_iter().flatten())
            .filter_map(|c| c.as_str().map(str::to_string))
            .collect();
        let c = self.conns.entry(conn).or_default();
        channels.iter().for_each(|ch| {
            c.channels.remove(ch);
        });
        json!(channels)
    }

    pub(super) fn subscribe(
        &mut self,
        conn: ConnId,
        owner: Option<OwnerId>,
        p: &Value,
    ) -> Result<Value, Refusal> {
        let channels: Vec<String> = (p["channels"].as_array().into_iter().flatten())
            .filter_map(|c| c.as_str().map(str::to_string))
            .collect();
        for ch in &channels {
            let instrument =
                (book::channel_instrument(ch)).or_else(|| ticker::channel_instrument(ch));
            let known = match (instrument, trades::channel(ch)) {
                (Some(name), _) | (None, Some(TradesChannel::Instrument(name))) => {
                    self.trading.instruments.id(name).is_ok()
                }
                (None, Some(TradesChannel::Kind { currency, .. })) => currency == "ETH",
                (None, None) => {
                    ch.starts_with("user.changes.")
                        || ch == &format!("user.mmp_trigger.{MMP_INDEX}")
                }
            };
            if !known {
                return Err((-32602, format!("Invalid params: channel {ch}")));
            }
            if ch.starts_with("user.") && owner.is_none() {
                return Err((UNAUTHORIZED.0, UNAUTHORIZED.1.to_string()));
            }
        }
        self.conns
            .entry(conn)
            .or_default()
            .channels
            .extend(channels.iter().cloned());
        Ok(json!(channels))
    }

    /// A snapshot of each book `conn` just subscribed to.
    pub(super) fn snapshots(&mut self, conn: ConnId, p: &Value, out: &mut Vec<Reply>) {
        for ch in p["channels"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if let Some(last) = ticker::channel_instrument(ch).and_then(|n| self.tickers.get(n)) {
                out.push(Reply::Text(conn, subscription(ch, last.clone())));
            }
            let Some(name) = book::channel_instrument(ch) else {
                continue;
            };
            let Ok(id) = self.trading.instruments.id(name) else {
                continue;
            };
            let (bids, asks) = self.trading.levels(id);
            // One sequence per book, whichever interval: `.raw` and `.100ms` carry the same
            // changes.
            let key = format!("book.{name}.raw");
            let change_id = *self.change_ids.entry(key.clone()).or_insert(1_000);
            let new = |l: &[(f64, f64)]| -> Vec<Value> {
                l.iter().map(|(p, a)| json!(["new", p, a])).collect()
            };
            let data = json!({"type": "snapshot", "timestamp": self.trading.stamp(), "instrument_name": name,
                              "change_id": change_id, "bids": new(&bids), "asks": new(&asks)});
            out.push(Reply::Text(conn, subscription(ch, data)));
            self.sent.insert(key, (bids, asks));
        }
    }

    /// What a request changed, to those subscribed: each account's `user.changes`, each book's
    /// levels that moved.
    pub(super) fn notify(&mut self, changes: Changes, out: &mut Vec<Reply>) {
        let owners: BTreeSet<u32> = (changes.orders.keys().chain(changes.trades.keys()))
            .copied()
            .collect();
        for owner in owners {
            let list = |m: &BTreeMap<u32, Vec<Value>>| m.get(&owner).cloned().unwrap_or_default();
            let data = || {
                json!({"orders": list(&changes.orders), "trades": list(&changes.trades),
                       "positions": []})
            };
            self.to_owner(owner, "user.changes.", data, out);
        }
        for (owner, told) in &changes.mmp {
            self.to_owner(*owner, "user.mmp_trigger.", || told.clone(), out);
        }
        if !changes.public.is_empty() {
            self.public_trades(&changes.public, out);
        }
        let mut books = changes.books;
        books.sort();
        books.dedup();
        for id in books {
            self.book_change(id, out);
        }
    }

    /// `data()` on each channel starting `prefix` that a connection of account `owner` has
    /// (built only for those: the house's accounts have none).
    fn to_owner(&self, owner: u32, prefix: &str, data: impl Fn() -> Value, out: &mut Vec<Reply>) {
        for (conn, c) in &self.conns {
            if c.owner.is_none_or(|o| o.0 != owner) {
                continue;
            }
            for ch in c.channels.iter().filter(|ch| ch.starts_with(prefix)) {
                out.push(Reply::Text(*conn, subscription(ch, data())));
            }
        }
    }

    /// `list` (the market's trades) to each `trades.*` subscriber, those its channel carries.
    fn public_trades(&self, list: &[Value], out: &mut Vec<Reply>) {
        for (conn, c) in &self.conns {
            for ch in c.channels.iter().filter(|ch| ch.starts_with("trades.")) {
                let Some(carried) = trades::channel(ch) else {
                    continue;
                };
                let data: Vec<&Value> = (list.iter())
                    .filter(|t| carried.carries(t["instrument_name"].as_str().unwrap_or("")))
                    .collect();
                if !data.is_empty() {
                    out.push(Reply::Text(*conn, subscription(ch, json!(data))));
                }
            }
        }
    }

    fn book_change(&mut self, id: engine::InstrumentId, out: &mut Vec<Reply>) {
        let name = self.trading.instruments.get(id).name().to_string();
        let ch = format!("book.{name}.raw");
        let (bids, asks) = self.trading.levels(id);
        let Some((old_bids, old_asks)) = self.sent.insert(ch.clone(), (bids.clone(), asks.clone()))
        else {
            return;
        };
        let (b, a) = (diff(&old_bids, &bids), diff(&old_asks, &asks));
        if b.is_empty() && a.is_empty() {
            return;
        }
        let prev = self.change_ids.get(&ch).copied().unwrap_or(1_000);
        // Not contiguous, as Deribit's.
        let change_id = prev + 7;
        self.change_ids.insert(ch.clone(), change_id);
        let data = json!({"type": "change", "timestamp": self.trading.stamp(), "instrument_name": name,
                          "change_id": change_id, "prev_change_id": prev, "bids": b, "asks": a});
        // Every change at once on `.100ms` too: the local venue has no more than a change per
        // request or house update to group.
        let slow = format!("book.{name}.100ms");
        let texts = [
            (subscription(&ch, data.clone()), &ch),
            (subscription(&slow, data), &slow),
        ];
        for (conn, c) in &self.conns {
            for (text, channel) in &texts {
                if c.channels.contains(*channel) {
                    out.push(Reply::Text(*conn, text.clone()));
                }
            }
        }
    }
}

/// The `[action, price, amount]` levels that take `old` to `new`.
fn diff(old: &[(f64, f64)], new: &[(f64, f64)]) -> Vec<Value> {
    let find = |l: &[(f64, f64)], p: f64| l.iter().find(|x| x.0 == p).map(|x| x.1);
    let mut out: Vec<Value> = (old.iter())
        .filter(|(p, _)| find(new, *p).is_none())
        .map(|(p, _)| json!(["delete", p, 0.0]))
        .collect();
    for &(p, a) in new {
        match find(old, p) {
            None => out.push(json!(["new", p, a])),
            Some(was) if was != a => out.push(json!(["change", p, a])),
            Some(_) => {}
        }
    }
    out
}

pub(super) fn subscription(channel: &str, data: Value) -> String {
    json!({"jsonrpc": "2.0", "method": "subscription", "params": {"channel": channel, "data": data}}).to_string()
}
