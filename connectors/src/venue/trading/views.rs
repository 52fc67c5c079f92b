//! The venue's state as Deribit's methods list it: an order, the open orders, the positions and
//! trades of an account, the instruments, a book's levels.

use super::{order_name, Key, Levels, Trading};
use engine::matching::OwnerId;
use engine::{InstrumentId, Qty, Side};
use serde_json::{json, Value};

/// What `get_user_trades_by_currency(_and_time)` asks for, as Deribit takes it: recent trades
/// (the last 24 hours) unless `historical`, between `start_timestamp` and `end_timestamp`
/// where given, newest first unless `sorting` is `asc`, `count` of them (10 unless given, at
/// most 1,000).
pub struct TradesQuery {
    pub from: i64,
    pub to: i64,
    pub ascending: bool,
    pub count: usize,
}

/// How long trades are kept as recent (Deribit: 24 hours; older ones only with `historical`).
const RECENT_MS: i64 = 86_400_000;

impl TradesQuery {
    /// The query `p` makes at `now_ms`.
    pub fn of(p: &Value, now_ms: i64) -> TradesQuery {
        let historical = p["historical"].as_bool().unwrap_or(false);
        let recent = if historical {
            i64::MIN
        } else {
            now_ms - RECENT_MS
        };
        TradesQuery {
            from: p["start_timestamp"]
                .as_i64()
                .unwrap_or(i64::MIN)
                .max(recent),
            to: p["end_timestamp"].as_i64().unwrap_or(i64::MAX),
            ascending: p["sorting"].as_str() == Some("asc"),
            count: p["count"].as_u64().unwrap_or(10).clamp(1, 1000) as usize,
        }
    }
}

impl Trading {
    pub fn order_json(&self, key: Key) -> Value {
        let Some(o) = self.orders.get(&key) else {
            return Value::Null;
        };
        let inst = self.instruments.get(o.instrument);
        json!({
            "order_id": order_name(key),
            "order_state": o.state,
            "label": o.label,
            "instrument_name": inst.name(),
            "direction": o.side.to_string(),
            "price": inst.price_f64(o.price),
            "amount": inst.qty_f64(o.amount),
            "filled_amount": inst.qty_f64(o.filled),
            "order_type": "limit",
            "last_update_timestamp": self.stamp(),
        })
    }

    /// The open orders of `owner`, as `get_open_orders_by_currency` lists them.
    pub fn open_orders(&self, owner: OwnerId) -> Vec<Value> {
        let mut ids: Vec<Key> = (self.orders.iter())
            .filter(|(_, o)| o.owner == owner && o.state == "open")
            .map(|(id, _)| *id)
            .collect();
        ids.sort();
        ids.into_iter().map(|id| self.order_json(id)).collect()
    }

    /// How many orders the venue holds (open ones: ended orders are forgotten).
    pub fn orders_kept(&self) -> usize {
        self.orders.len()
    }

    /// The trades of `owner` that `q` asks for, as `get_user_trades_by_currency(_and_time)`
    /// answer: `{trades, has_more}`.
    pub fn user_trades(&self, owner: OwnerId, q: &TradesQuery) -> Value {
        let all = self.history.get(&owner.0).map_or(&[][..], Vec::as_slice);
        let mut list: Vec<&Value> = (all.iter())
            .filter(|t| {
                t["timestamp"]
                    .as_i64()
                    .is_some_and(|ts| q.from <= ts && ts <= q.to)
            })
            .collect();
        if !q.ascending {
            list.reverse();
        }
        let has_more = list.len() > q.count;
        list.truncate(q.count);
        json!({"trades": list, "has_more": has_more})
    }

    /// The instruments, as `get_instruments` lists them.
    pub fn instruments_json(&self) -> Value {
        let list: Vec<Value> = (self.instruments.iter())
            .map(|(id, i)| {
                let spec = i.spec();
                json!({"instrument_name": i.name(), "tick_size": spec.tick_size.to_string(),
                       "min_trade_amount": spec.min_amount.to_string(),
                       "contract_size": spec.contract_size.to_string(),
                       "is_active": self.is_active(id)})
            })
            .collect();
        json!(list)
    }

    /// The positions of `owner`, as `get_positions` lists them.
    pub fn positions(&self, owner: OwnerId) -> Vec<Value> {
        (self.positions.range((owner, InstrumentId(0))..))
            .take_while(|((o, _), _)| *o == owner)
            .filter(|(_, size)| **size != 0)
            .map(|((_, id), size)| {
                let inst = self.instruments.get(*id);
                let direction = if *size > 0 { "buy" } else { "sell" };
                let size = inst.qty_f64(Qty(*size));
                json!({"instrument_name": inst.name(), "size": size, "direction": direction})
            })
            .collect()
    }

    /// The book of `id` as `[price, amount]` levels, best first, each side.
    pub fn levels(&self, id: InstrumentId) -> (Levels, Levels) {
        let inst = self.instruments.get(id);
        let Some(book) = self.books.get(&id) else {
            return (Vec::new(), Vec::new());
        };
        let side = |s: Side| -> Levels {
            book.levels(s)
                .map(|(p, q, _)| (inst.price_f64(p), inst.qty_f64(q)))
                .collect()
        };
        (side(Side::Buy), side(Side::Sell))
    }
}
