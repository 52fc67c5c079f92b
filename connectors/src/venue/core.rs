//! The local venue's connections and methods: `public/auth` by client credentials or signature
//! (times in milliseconds since the epoch; [`super::auth`]), heartbeats (`test_request`, and the
//! connection closed when one goes unanswered), subscriptions (what they send:
//! [`super::channels`]), cancel-on-disconnect, orders, the account summary, and what
//! reconciliation asks (`get_open_orders_by_currency`, `get_positions`). Text in, text out.

use super::trading::{Changes, Levels, Refusal, Request, TradesQuery, Trading};
use super::{ConnId, Reply};
use crate::deribit::budget::{Limits, Rate};
use engine::matching::{OwnerId, PostOnly, TimeInForce};
use engine::{Instruments, Side};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Default)]
pub(super) struct Conn {
    pub(super) owner: Option<OwnerId>,
    pub(super) channels: BTreeSet<String>,
    cancel_on_disconnect: bool,
    /// The heartbeat interval, and when the last test_request went unanswered since.
    heartbeat_ms: Option<i64>,
    next_beat: i64,
    awaiting_test: bool,
}

#[derive(Deserialize)]
struct Rpc {
    id: Option<u64>,
    method: String,
    #[serde(default)]
    params: Value,
}

pub struct VenueCore {
    pub(super) trading: Trading,
    /// client id -> (secret, account).
    pub(super) keys: HashMap<String, (String, OwnerId)>,
    pub(super) conns: BTreeMap<ConnId, Conn>,
    next_conn: ConnId,
    /// The last change id of each book's channel; ids grow by more than one (as Deribit's).
    pub(super) change_ids: HashMap<String, u64>,
    /// Each book's levels as last sent, for the changes.
    pub(super) sent: HashMap<String, (Levels, Levels)>,
    /// Each instrument's last ticker data (the house's), sent on subscribing.
    pub(super) tickers: HashMap<String, Value>,
    /// What `get_account_summary` tells clients of their request limits.
    pub(super) limits: Limits,
}

pub(super) const UNAUTHORIZED: (i64, &str) = (13009, "unauthorized");

impl VenueCore {
    /// A venue listing `instruments`, with API keys `(client id, secret)`, one account each.
    pub fn new(instruments: Instruments, keys: &[(&str, &str)]) -> VenueCore {
        let keys = (keys.iter().enumerate())
            .map(|(i, (id, secret))| (id.to_string(), (secret.to_string(), OwnerId(i as u32 + 1))))
            .collect();
        VenueCore {
            trading: Trading::new(instruments),
            keys,
            conns: BTreeMap::new(),
            next_conn: 1,
            change_ids: HashMap::new(),
            sent: HashMap::new(),
            tickers: HashMap::new(),
            limits: Limits::default(),
        }
    }

    /// The limits told to clients, from the venue's own limit of `rate` requests a connection:
    /// three fifths to the matching engine, the rest to other requests, so that a client that
    /// keeps to both never meets the venue's limit.
    pub fn tell_limits(&mut self, rate: Rate) {
        let part = |n: u32, k: u32| (n * k / 5).max(1);
        self.limits = Limits {
            matching: Rate {
                per_second: part(rate.per_second, 3),
                burst: part(rate.burst, 3),
            },
            other: Rate {
                per_second: part(rate.per_second, 2),
                burst: part(rate.burst, 2),
            },
        };
    }

    /// How many orders the venue holds (its open ones).
    pub fn orders_kept(&self) -> usize {
        self.trading.orders_kept()
    }

    pub fn connect(&mut self) -> ConnId {
        let id = self.next_conn;
        self.next_conn += 1;
        self.conns.insert(id, Conn::default());
        id
    }

    /// The connection is gone: its account's orders cancelled if it asked for that.
    pub fn disconnect(&mut self, conn: ConnId, out: &mut Vec<Reply>) {
        let Some(c) = self.conns.remove(&conn) else {
            return;
        };
        if let (true, Some(owner)) = (c.cancel_on_disconnect, c.owner) {
            let mut changes = Changes::default();
            self.trading.cancel_all(owner, None, &mut changes);
            self.notify(changes, out);
        }
    }

    /// Heartbeats at `now_ms`: a test_request where due, the connection closed where the last
    /// one went unanswered.
    pub fn tick(&mut self, now_ms: i64, out: &mut Vec<Reply>) {
        self.trading.now_ms = now_ms;
        let mut dead = Vec::new();
        for (id, c) in &mut self.conns {
            let Some(every) = c.heartbeat_ms else {
                continue;
            };
            if now_ms < c.next_beat {
                continue;
            }
            if c.awaiting_test {
                dead.push(*id);
                continue;
            }
            c.awaiting_test = true;
            c.next_beat = now_ms + every;
            let beat = json!({"jsonrpc": "2.0", "method": "heartbeat", "params": {"type": "test_request"}});
            out.push(Reply::Text(*id, beat.to_string()));
        }
        for id in dead {
            out.push(Reply::Close(id));
            self.disconnect(id, out);
        }
    }

    /// A text frame from `conn` at `now_ms`.
    pub fn on_text(&mut self, conn: ConnId, now_ms: i64, text: &str, out: &mut Vec<Reply>) {
        self.trading.now_ms = now_ms;
        let rpc: Rpc = match serde_json::from_str(text) {
            Ok(r) => r,
            Err(e) => {
                return out.push(Reply::Text(
                    conn,
                    error(None, (-32700, &format!("Parse error: {e}"))),
                ))
            }
        };
        let mut changes = Changes::default();
        let answer = self.call(conn, now_ms, &rpc, &mut changes);
        let text = match &answer {
            Ok(result) => json!({"jsonrpc": "2.0", "id": rpc.id, "result": result}).to_string(),
            Err((code, message)) => error(rpc.id, (*code, message)),
        };
        out.push(Reply::Text(conn, text));
        if let (Ok(_), "public/subscribe" | "private/subscribe") = (&answer, rpc.method.as_str()) {
            self.snapshots(conn, &rpc.params, out);
        }
        self.notify(changes, out);
    }

    fn call(
        &mut self,
        conn: ConnId,
        now_ms: i64,
        rpc: &Rpc,
        changes: &mut Changes,
    ) -> Result<Value, Refusal> {
        let p = &rpc.params;
        let owner = self.conns.get(&conn).and_then(|c| c.owner);
        let authed = || owner.ok_or((UNAUTHORIZED.0, UNAUTHORIZED.1.to_string()));
        match rpc.method.as_str() {
            "public/auth" => self.auth(conn, p),
            "public/test" => {
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.awaiting_test = false;
                }
                Ok(json!({"version": "rollmaker-local"}))
            }
            "public/get_time" => Ok(json!(now_ms)),
            "public/set_heartbeat" => {
                let secs = p["interval"].as_i64().filter(|s| *s >= 10).ok_or((
                    -32602,
                    "Invalid params: interval of at least 10 s".to_string(),
                ))?;
                let c = self.conns.entry(conn).or_default();
                (c.heartbeat_ms, c.next_beat, c.awaiting_test) =
                    (Some(secs * 1000), now_ms + secs * 1000, false);
                Ok(json!("ok"))
            }
            "public/subscribe" | "private/subscribe" => self.subscribe(conn, owner, p),
            "public/unsubscribe" | "private/unsubscribe" => Ok(self.unsubscribe(conn, p)),
            "private/enable_cancel_on_disconnect" => {
                authed()?;
                self.conns.entry(conn).or_default().cancel_on_disconnect = true;
                Ok(json!("ok"))
            }
            "public/get_instruments" => Ok(self.trading.instruments_json()),
            "private/get_account_summary" => authed().map(|_| self.account_summary()),
            "public/get_currencies" => {
                Ok(json!([{"currency": "ETH", "currency_long": "Ethereum"}]))
            }
            "private/buy" | "private/sell" => self.place(authed()?, rpc, changes),
            "private/edit_by_label" => self.edit(authed()?, p, changes),
            "private/cancel_by_label" => Ok(json!(self.trading.cancel_by_label(
                authed()?,
                p["label"].as_str().unwrap_or(""),
                changes
            ))),
            "private/cancel_all" | "private/cancel_all_by_currency" => {
                Ok(json!(self.trading.cancel_all(authed()?, None, changes)))
            }
            "private/get_open_orders_by_currency" => Ok(json!(self.trading.open_orders(authed()?))),
            "private/get_positions" => Ok(json!(self.trading.positions(authed()?))),
            "private/set_mmp_config" => self.trading.set_mmp(authed()?, p),
            "private/get_mmp_config" => Ok(self.trading.mmp_config(authed()?)),
            "private/reset_mmp" => Ok(self.trading.reset_mmp(authed()?)),
            "private/get_mmp_status" => Ok(self.trading.mmp_status(authed()?)),
            "private/get_settlement_history_by_currency" => {
                let owner = authed()?;
                Ok(self.settlement_history(owner, p))
            }
            "private/get_user_trades_by_currency"
            | "private/get_user_trades_by_currency_and_time" => {
                let owner = authed()?;
                let query = TradesQuery::of(p, self.trading.stamp());
                Ok(self.trading.user_trades(owner, &query))
            }
            _ => Err((-32601, "Method not found".to_string())),
        }
    }

    /// `private/edit_by_label`: the order and the trades the edit made.
    fn edit(&mut self, owner: OwnerId, p: &Value, changes: &mut Changes) -> Result<Value, Refusal> {
        let (price, amount) = (
            p["price"].as_f64().unwrap_or(f64::NAN),
            p["amount"].as_f64().unwrap_or(f64::NAN),
        );
        let label = p["label"].as_str().unwrap_or("");
        let order = (self.trading).edit_by_label(owner, label, price, amount, changes)?;
        let trades = changes.trades.get(&owner.0).cloned().unwrap_or_default();
        Ok(json!({"order": order, "trades": trades}))
    }

    /// The account's deliveries, newest first: `type` ("delivery", or none) and `count` (20
    /// unless given, at most 1,000) as Deribit takes them.
    fn settlement_history(&self, owner: OwnerId, p: &Value) -> Value {
        let count = p["count"].as_u64().unwrap_or(20).clamp(1, 1000) as usize;
        let wanted = p["type"].as_str().is_none_or(|t| t == "delivery");
        let mut list = self.trading.settlements(owner);
        list.truncate(if wanted { count } else { 0 });
        json!({"settlements": list, "continuation": null})
    }

    /// The account's request limits, as `get_account_summary` tells them.
    fn account_summary(&self) -> Value {
        let rate = |r: Rate| json!({"rate": r.per_second, "burst": r.burst});
        let (m, o) = (self.limits.matching, self.limits.other);
        json!({"currency": "ETH", "limits": {
            "matching_engine": rate(m), "non_matching_engine": rate(o)}})
    }

    fn place(
        &mut self,
        owner: OwnerId,
        rpc: &Rpc,
        changes: &mut Changes,
    ) -> Result<Value, Refusal> {
        let p = &rpc.params;
        let post_only = match (p["post_only"].as_bool(), p["reject_post_only"].as_bool()) {
            (Some(true), Some(true)) => PostOnly::Reject,
            (Some(true), _) => PostOnly::Slide,
            _ => PostOnly::Off,
        };
        let tif = match p["time_in_force"].as_str() {
            Some("immediate_or_cancel") => TimeInForce::ImmediateOrCancel,
            None | Some("good_til_cancelled") => TimeInForce::GoodTilCancelled,
            Some(other) => return Err((-32602, format!("Invalid params: time_in_force {other}"))),
        };
        let request = Request {
            owner,
            instrument: p["instrument_name"].as_str().unwrap_or_default(),
            side: if rpc.method == "private/buy" {
                Side::Buy
            } else {
                Side::Sell
            },
            price: p["price"].as_f64().unwrap_or(f64::NAN),
            amount: p["amount"].as_f64().unwrap_or(f64::NAN),
            label: p["label"].as_str().unwrap_or_default(),
            post_only,
            tif,
            mmp: p["mmp"].as_bool().unwrap_or(false),
        };
        let order = self.trading.place(request, changes)?;
        // The request's own trades, as Deribit answers them (they come on user.changes too).
        let trades = changes.trades.get(&owner.0).cloned().unwrap_or_default();
        Ok(json!({"order": order, "trades": trades}))
    }
}

/// A JSON-RPC error answer to request `id`.
pub(super) fn error(id: Option<u64>, (code, message): (i64, &str)) -> String {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}).to_string()
}
