//! Orders on the local venue: each instrument's matching engine, the orders' labels and states,
//! fills and positions per account, and what each change tells whom (the order's and trades'
//! JSON as Deribit shapes them, and the book's levels before and after). What the venue's lists
//! show (open orders, positions, trades, the instruments) is in [`views`].

mod cancels;
mod delivery;
mod mmp;
mod views;
pub use mmp::{INDEX as MMP_INDEX, MMP_FROZEN};
pub use views::TradesQuery;

use super::house::{HOUSE, TAKERS};
use crate::deribit::frame::POST_ONLY_REJECT;
use engine::matching::{
    Execution, MatchEvent, MatchingEngine, NewOrder, OrderId, OwnerId, PostOnly, TimeInForce,
};
use engine::{Instrument, InstrumentId, Instruments, Price, Qty, Side};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// A refused request: Deribit's error code and message.
pub type Refusal = (i64, String);

/// `[price, amount]` levels, best first.
pub type Levels = Vec<(f64, f64)>;

#[derive(Clone, Debug)]
pub struct Order {
    pub owner: OwnerId,
    pub label: String,
    pub instrument: InstrumentId,
    pub side: Side,
    pub price: Price,
    pub amount: Qty,
    pub filled: Qty,
    pub state: &'static str,
    /// Under Market Maker Protection ([`mmp`]).
    pub mmp: bool,
}

/// An order on the venue: its instrument and its id in that instrument's engine.
pub type Key = (InstrumentId, OrderId);

/// What one request changed: the orders and trades of each account it touched, and the books.
#[derive(Debug, Default)]
pub struct Changes {
    pub orders: BTreeMap<u32, Vec<Value>>,
    pub trades: BTreeMap<u32, Vec<Value>>,
    pub books: Vec<InstrumentId>,
    /// The market's trades (the taker's side), for the `trades.*` channels.
    pub public: Vec<Value>,
    /// Market Maker Protection tripped: each account's `user.mmp_trigger` notice.
    pub mmp: Vec<(u32, Value)>,
}

pub struct Trading {
    pub instruments: Instruments,
    books: HashMap<InstrumentId, MatchingEngine>,
    /// By instrument and the order's id in that instrument's engine (each engine numbers its
    /// own orders).
    orders: HashMap<Key, Order>,
    labels: HashMap<(OwnerId, String), Key>,
    /// Orders that ended during the request being served: forgotten when it is done (their
    /// notifications and answers built), so the table holds open orders only and does not grow
    /// with every level the house replaces.
    ended: Vec<Key>,
    positions: BTreeMap<(OwnerId, InstrumentId), i64>,
    /// Each account's trades, in order (what `get_user_trades_by_currency` lists).
    history: BTreeMap<u32, Vec<Value>>,
    /// Each account's deliveries at expiry, in order ([`delivery`]).
    deliveries: BTreeMap<u32, Vec<Value>>,
    next_trade: u64,
    /// Each account's Market Maker Protection, and those tripped by the request being served.
    mmp: BTreeMap<u32, mmp::Protection>,
    tripped: Vec<OwnerId>,
    pub now_ms: i64,
    /// The market's own time (its tickers' stamps), once it has said: trades and deliveries
    /// are stamped on its calendar, as its marks are (a replay runs faster than the wall).
    pub market_ms: Option<i64>,
}

/// A new order as the request gives it.
pub struct Request<'a> {
    pub owner: OwnerId,
    pub instrument: &'a str,
    pub side: Side,
    pub price: f64,
    pub amount: f64,
    pub label: &'a str,
    pub post_only: PostOnly,
    pub tif: TimeInForce,
    pub mmp: bool,
}

impl Trading {
    /// When something happens at the venue: on the market's calendar once it has one, else the
    /// wall's.
    pub fn stamp(&self) -> i64 {
        self.market_ms.unwrap_or(self.now_ms)
    }
}

/// The matching engine's refusal as Deribit says it: a post-only order that would cross is
/// `post_only_reject`, placed or edited.
fn refused(e: engine::matching::Reject) -> Refusal {
    match e {
        engine::matching::Reject::PostOnlyWouldCross { .. } => {
            (POST_ONLY_REJECT, "post_only_reject".to_string())
        }
        other => invalid(other.to_string()),
    }
}

fn invalid(why: String) -> Refusal {
    (-32602, format!("Invalid params: {why}"))
}

impl Trading {
    pub fn new(instruments: Instruments) -> Trading {
        let books = (instruments.iter())
            .map(|(id, inst)| (id, MatchingEngine::new(inst.tick_rule().clone())))
            .collect();
        Trading {
            instruments,
            books,
            orders: HashMap::new(),
            labels: HashMap::new(),
            ended: Vec::new(),
            positions: BTreeMap::new(),
            history: BTreeMap::new(),
            deliveries: BTreeMap::new(),
            next_trade: 1,
            mmp: BTreeMap::new(),
            tripped: Vec::new(),
            now_ms: 0,
            market_ms: None,
        }
    }

    fn instrument(&self, name: &str) -> Result<(InstrumentId, &Instrument), Refusal> {
        let id = (self.instruments.id(name))
            .map_err(|_| invalid(format!("unknown instrument {name}")))?;
        Ok((id, self.instruments.get(id)))
    }

    /// Lists `name` from now on (again: nothing changes); an error for a name the engine cannot
    /// read.
    pub fn list(&mut self, name: &str) -> Result<InstrumentId, String> {
        if let Ok(id) = self.instruments.id(name) {
            return Ok(id);
        }
        let inst = Instrument::deribit(name).map_err(|e| format!("{name}: {e}"))?;
        let rule = inst.tick_rule().clone();
        let id = (self.instruments.intern(inst)).map_err(|e| format!("{name}: {e}"))?;
        self.books.insert(id, MatchingEngine::new(rule));
        Ok(id)
    }

    /// Places `r`; the order's JSON (or why it was refused) and what changed.
    pub fn place(&mut self, r: Request, changes: &mut Changes) -> Result<Value, Refusal> {
        let (id, inst) = self.instrument(r.instrument)?;
        let price = inst
            .price_of_f64(r.price)
            .map_err(|e| invalid(e.to_string()))?;
        let qty = inst
            .qty_of_f64(r.amount)
            .map_err(|e| invalid(e.to_string()))?;
        if r.label.len() > 64 {
            return Err(invalid("label longer than 64 characters".into()));
        }
        if r.mmp && self.mmp_frozen(r.owner) {
            return Err((MMP_FROZEN, "mmp_frozen".to_string()));
        }
        let order = NewOrder {
            owner: r.owner,
            side: r.side,
            price,
            qty,
            tif: r.tif,
            post_only: r.post_only,
        };
        let mut events = Vec::new();
        let book = self
            .books
            .get_mut(&id)
            .ok_or_else(|| invalid("not tradeable".into()))?;
        let oid = book.submit(order, &mut events).map_err(refused)?;
        let meta = Order {
            owner: r.owner,
            label: r.label.to_string(),
            instrument: id,
            side: r.side,
            price,
            amount: qty,
            filled: Qty(0),
            state: "open",
            mmp: r.mmp,
        };
        let key = (id, oid);
        self.orders.insert(key, meta);
        if !r.label.is_empty() {
            self.labels.insert((r.owner, r.label.to_string()), key);
        }
        self.apply(id, &events, changes);
        self.settle_state(key);
        let answer = self.order_json(key);
        self.forget_ended();
        Ok(answer)
    }

    /// The orders that ended in this request, gone from the table and their labels.
    fn forget_ended(&mut self) {
        for key in std::mem::take(&mut self.ended) {
            let Some(o) = self.orders.get(&key).filter(|o| o.state != "open") else {
                continue;
            };
            let label = (o.owner, o.label.clone());
            self.orders.remove(&key);
            if self.labels.get(&label) == Some(&key) {
                self.labels.remove(&label);
            }
        }
    }

    /// Edits the order `label` of `owner` to `price` and total `amount`.
    pub fn edit_by_label(
        &mut self,
        owner: OwnerId,
        label: &str,
        price: f64,
        amount: f64,
        changes: &mut Changes,
    ) -> Result<Value, Refusal> {
        let key = *(self.labels.get(&(owner, label.to_string())))
            .ok_or_else(|| (10004, "order_not_found".to_string()))?;
        let o = self
            .orders
            .get(&key)
            .filter(|o| o.state == "open")
            .ok_or_else(|| (10004, "order_not_found".to_string()))?;
        let id = o.instrument;
        let inst = self.instruments.get(id);
        let price = inst
            .price_of_f64(price)
            .map_err(|e| invalid(e.to_string()))?;
        let amount = inst
            .qty_of_f64(amount)
            .map_err(|e| invalid(e.to_string()))?;
        let mut events = Vec::new();
        let book = self
            .books
            .get_mut(&id)
            .ok_or_else(|| invalid("not tradeable".into()))?;
        book.amend(owner, key.1, price, amount, &mut events)
            .map_err(refused)?;
        if let Some(o) = self.orders.get_mut(&key) {
            (o.price, o.amount) = (price, amount);
        }
        self.apply(id, &events, changes);
        self.settle_state(key);
        let answer = self.order_json(key);
        self.forget_ended();
        Ok(answer)
    }

    /// The engine's events: orders' states, fills as trades of both accounts, positions.
    fn apply(&mut self, instrument: InstrumentId, events: &[MatchEvent], changes: &mut Changes) {
        changes.books.push(instrument);
        for e in events {
            match *e {
                MatchEvent::Cancelled { id, .. } => {
                    if let Some(o) = self.orders.get_mut(&(instrument, id)) {
                        o.state = "cancelled";
                        self.ended.push((instrument, id));
                    }
                    self.touched((instrument, id), changes);
                }
                MatchEvent::Rested { id, price, .. } => {
                    if let Some(o) = self.orders.get_mut(&(instrument, id)) {
                        o.price = price;
                    }
                    self.touched((instrument, id), changes);
                }
                MatchEvent::Amended { id, .. } => self.touched((instrument, id), changes),
                MatchEvent::Fill { .. } => {
                    for x in e.executions().into_iter().flatten() {
                        self.fill(instrument, &x, changes);
                    }
                }
            }
        }
        self.trip_mmp(changes);
    }

    /// One side of a fill: its order's state, its account's position and trade.
    fn fill(&mut self, instrument: InstrumentId, x: &Execution, changes: &mut Changes) {
        let (key, side, qty) = ((instrument, x.order), x.side, x.qty);
        let stamp = self.stamp();
        let Some(o) = self.orders.get_mut(&key) else {
            return;
        };
        o.filled += qty;
        if o.filled >= o.amount {
            o.state = "filled";
            self.ended.push(key);
        }
        *self.positions.entry((o.owner, instrument)).or_default() += side.sign() * qty.0;
        let inst = self.instruments.get(instrument);
        let trade = json!({
            "trade_id": format!("LOCAL-{}", self.next_trade),
            "order_id": order_name(key),
            "label": o.label,
            "instrument_name": inst.name(),
            "direction": side.to_string(),
            "price": inst.price_f64(x.price),
            "amount": inst.qty_f64(qty),
            "fee": 0.0,
            "fee_currency": "ETH",
            "timestamp": stamp,
            "liquidity": if x.maker { "M" } else { "T" },
        });
        self.next_trade += 1;
        if !x.maker {
            changes.public.push(json!({
                "trade_id": trade["trade_id"], "trade_seq": self.next_trade,
                "instrument_name": inst.name(), "direction": side.to_string(),
                "price": trade["price"], "amount": trade["amount"],
                "timestamp": stamp, "tick_direction": 0,
            }));
        }
        // The house's accounts are never asked for their trades: kept for clients only.
        if o.owner != HOUSE && o.owner != TAKERS {
            let history = self.history.entry(o.owner.0).or_default();
            history.push(trade.clone());
        }
        changes.trades.entry(o.owner.0).or_default().push(trade);
        self.touched(key, changes);
        let contracts = self.instruments.get(instrument).qty_f64(qty);
        if let Some(owner) = self.orders.get(&key).filter(|o| o.mmp).map(|o| o.owner) {
            self.count_mmp(owner, contracts);
        }
    }

    /// An order filled whole or cancelled by the engine without an event of its own keeps its
    /// last state; one with nothing left open is done.
    fn settle_state(&mut self, key: Key) {
        if let Some(o) = self.orders.get_mut(&key) {
            if o.state == "open" && o.filled >= o.amount {
                o.state = "filled";
                self.ended.push(key);
            }
        }
    }

    fn touched(&self, key: Key, changes: &mut Changes) {
        if let Some(o) = self.orders.get(&key) {
            let list = changes.orders.entry(o.owner.0).or_default();
            list.retain(|v| v["order_id"] != order_name(key));
            list.push(self.order_json(key));
        }
    }
}

fn order_name((instrument, oid): Key) -> String {
    format!("LOCAL-{}-{}", instrument.0, oid.0)
}
