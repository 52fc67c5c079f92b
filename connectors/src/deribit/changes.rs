//! `user.changes.{kind}.{currency}.{interval}` data (our orders, trades and positions in one
//! message) as the trader's [`VenueEvent`]s. Deribit sends the order's state, not what changed:
//! the tracker keeps each of our orders' last state and tells the trader the step (accepted,
//! amended, cancelled, rejected); each trade of ours is one fill, told once however often it is
//! sent again (a reconnect's reconciliation fetches recent trades). Orders and trades without our
//! label are counted and left alone (another client on the account).

use super::orders::client_id;
use engine::matching::OrderId;
use engine::position::Fill;
use engine::trader::VenueEvent;
use engine::{Instrument, InstrumentId, Instruments, Price, Qty, Side, Timestamp};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use thiserror::Error;

#[derive(Debug, Error, PartialEq)]
pub enum ChangesError {
    #[error("user.changes data: {0}")]
    Shape(String),
    #[error("user.changes: unknown instrument {0}")]
    UnknownInstrument(String),
    #[error("user.changes: {instrument}: {what} {value}: {why}")]
    Value {
        instrument: String,
        what: &'static str,
        value: String,
        why: String,
    },
}

#[derive(Deserialize)]
struct Raw {
    #[serde(default)]
    orders: Vec<RawOrder>,
    #[serde(default)]
    trades: Vec<RawTrade>,
}

#[derive(Deserialize)]
struct RawOrder {
    order_id: String,
    order_state: String,
    #[serde(default)]
    label: String,
    instrument_name: String,
    price: f64,
    amount: f64,
}

#[derive(Deserialize)]
struct RawTrade {
    trade_id: String,
    #[serde(default)]
    label: String,
    instrument_name: String,
    direction: String,
    price: f64,
    amount: f64,
    fee: f64,
    fee_currency: String,
    timestamp: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Open,
    Done,
}

#[derive(Clone, Copy, Debug)]
struct Known {
    state: State,
    price: Price,
    amount: Qty,
}

/// Our orders as the venue last reported them, and the trades already told.
#[derive(Debug, Default)]
pub struct Tracker {
    orders: HashMap<u64, Known>,
    venue_ids: HashMap<String, OrderId>,
    trades: HashSet<String>,
    /// The trade id of each fill told since the last [`Tracker::take_told`], in order.
    told: Vec<String>,
    /// Orders and trades that are not ours.
    pub not_ours: u64,
}

impl Tracker {
    pub fn new() -> Tracker {
        Tracker::default()
    }

    /// A trade already booked (read back from the journal at a restart): never told again.
    pub fn remember_trade(&mut self, trade_id: &str) {
        self.trades.insert(trade_id.to_string());
    }

    /// The trade ids of the fills told since the last call, in the order their
    /// [`VenueEvent::Filled`] went out (for the journal, which counts a trade once by its id).
    pub fn take_told(&mut self) -> Vec<String> {
        std::mem::take(&mut self.told)
    }

    /// The events `data` holds, in order: orders accepted, then fills, then amends and ends.
    pub fn on_changes(
        &mut self,
        instruments: &Instruments,
        data: &Value,
        out: &mut Vec<VenueEvent>,
    ) -> Result<(), ChangesError> {
        let raw = Raw::deserialize(data).map_err(|e| ChangesError::Shape(e.to_string()))?;
        let mut orders = Vec::with_capacity(raw.orders.len());
        for o in &raw.orders {
            let Some(id) = client_id(&o.label) else {
                self.not_ours += 1;
                continue;
            };
            let inst = instrument(instruments, &o.instrument_name)?.1;
            let price = value(inst, "price", o.price, |v| inst.price_of_f64(v))?;
            let amount = value(inst, "amount", o.amount, |v| inst.qty_of_f64(v))?;
            orders.push((id, o, price, amount));
        }
        for &(id, o, price, amount) in &orders {
            if !self.orders.contains_key(&id) && o.order_state != "rejected" {
                let venue_id = self.venue_id(&o.order_id);
                out.push(VenueEvent::Accepted {
                    client_id: id,
                    venue_id,
                });
                let known = Known {
                    state: State::Open,
                    price,
                    amount,
                };
                self.orders.insert(id, known);
            }
        }
        for t in &raw.trades {
            self.on_trade(instruments, t, out)?;
        }
        for (id, o, price, amount) in orders {
            self.on_order(id, &o.order_state, price, amount, out);
        }
        Ok(())
    }

    fn on_order(
        &mut self,
        id: u64,
        state: &str,
        price: Price,
        amount: Qty,
        out: &mut Vec<VenueEvent>,
    ) {
        let Some(k) = self.orders.get_mut(&id) else {
            // Refused before the venue ever had it.
            if state == "rejected" {
                out.push(VenueEvent::Rejected { client_id: id });
                self.orders.insert(
                    id,
                    Known {
                        state: State::Done,
                        price,
                        amount,
                    },
                );
            }
            return;
        };
        if k.state == State::Done {
            return;
        }
        match state {
            "open" if (k.price, k.amount) != (price, amount) => {
                (k.price, k.amount) = (price, amount);
                out.push(VenueEvent::Amended {
                    client_id: id,
                    price,
                    amount,
                });
            }
            "cancelled" => {
                k.state = State::Done;
                out.push(VenueEvent::Cancelled { client_id: id });
            }
            // Filled: the fills told it; an untriggered or open order as it was: nothing new.
            "filled" => k.state = State::Done,
            _ => {}
        }
    }

    fn on_trade(
        &mut self,
        instruments: &Instruments,
        t: &RawTrade,
        out: &mut Vec<VenueEvent>,
    ) -> Result<(), ChangesError> {
        let Some(id) = client_id(&t.label) else {
            self.not_ours += 1;
            return Ok(());
        };
        if self.trades.contains(&t.trade_id) {
            return Ok(());
        }
        let (instrument, inst) = instrument(instruments, &t.instrument_name)?;
        let side: Side = (t.direction.parse())
            .map_err(|_| bad(inst, "direction", &t.direction, "not buy or sell"))?;
        if t.fee_currency != "ETH" {
            return Err(bad(
                inst,
                "fee_currency",
                &t.fee_currency,
                "the ledger counts ETH",
            ));
        }
        let fee: Decimal = (t.fee.to_string().parse())
            .map_err(|_| bad(inst, "fee", &t.fee.to_string(), "not a decimal number"))?;
        let fill = Fill {
            instrument,
            side,
            price: value(inst, "price", t.price, |v| inst.price_of_f64(v))?,
            qty: value(inst, "amount", t.amount, |v| inst.qty_of_f64(v))?,
            fee,
            ts: Timestamp::from_millis(t.timestamp),
        };
        // Told once, and only once it could be told (a refused trade is refused again).
        self.trades.insert(t.trade_id.clone());
        self.told.push(t.trade_id.clone());
        out.push(VenueEvent::Filled {
            client_id: id,
            fill,
        });
        Ok(())
    }

    /// Our id for the venue's order id (Deribit's are text), given in the order first seen.
    fn venue_id(&mut self, order_id: &str) -> OrderId {
        let next = OrderId(self.venue_ids.len() as u64 + 1);
        *self.venue_ids.entry(order_id.to_string()).or_insert(next)
    }
}

fn instrument<'a>(
    instruments: &'a Instruments,
    name: &str,
) -> Result<(InstrumentId, &'a Instrument), ChangesError> {
    let id =
        (instruments.id(name)).map_err(|_| ChangesError::UnknownInstrument(name.to_string()))?;
    Ok((id, instruments.get(id)))
}

fn value<T, E: std::fmt::Display>(
    inst: &Instrument,
    what: &'static str,
    v: f64,
    f: impl Fn(f64) -> Result<T, E>,
) -> Result<T, ChangesError> {
    f(v).map_err(|e| bad(inst, what, &v.to_string(), &e.to_string()))
}

fn bad(inst: &Instrument, what: &'static str, value: &str, why: &str) -> ChangesError {
    ChangesError::Value {
        instrument: inst.name().to_string(),
        what,
        value: value.to_string(),
        why: why.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn order(id: &str, state: &str, label: &str, price: f64, amount: f64) -> Value {
        json!({"order_id": id, "order_state": state, "label": label, "instrument_name": "ETH-27MAR26-2000-C",
               "price": price, "amount": amount, "filled_amount": 0.0, "direction": "sell"})
    }

    fn trade(id: &str, label: &str, amount: f64) -> Value {
        json!({"trade_id": id, "order_id": "ETH-1", "label": label, "instrument_name": "ETH-27MAR26-2000-C",
               "direction": "sell", "price": 0.0505, "amount": amount, "fee": 0.0003, "fee_currency": "ETH",
               "timestamp": 1_774_000_000_000i64, "liquidity": "M"})
    }

    fn setup() -> (Instruments, InstrumentId, Tracker) {
        let mut instruments = Instruments::new();
        let id = instruments
            .intern(Instrument::deribit("ETH-27MAR26-2000-C").unwrap())
            .unwrap();
        (instruments, id, Tracker::new())
    }

    #[test]
    fn an_orders_states_become_the_steps_the_trader_knows() {
        let (instruments, call, mut t) = setup();
        let mut out = Vec::new();
        let changes = |orders: Vec<Value>, trades: Vec<Value>| json!({"instrument_name": "ETH-27MAR26-2000-C", "orders": orders, "trades": trades, "positions": []});
        // Placed, then partly filled in the same message: accepted before the fill.
        let first = changes(
            vec![order("ETH-1", "open", "rm-41", 0.0505, 10.0)],
            vec![trade("T-1", "rm-41", 4.0)],
        );
        t.on_changes(&instruments, &first, &mut out).unwrap();
        assert_eq!(
            out[0],
            VenueEvent::Accepted {
                client_id: 41,
                venue_id: OrderId(1)
            }
        );
        let VenueEvent::Filled {
            client_id: 41,
            fill,
        } = out[1]
        else {
            panic!("{out:?}")
        };
        assert_eq!(
            (fill.instrument, fill.side, fill.price, fill.qty),
            (call, Side::Sell, Price(505), Qty(4))
        );
        assert_eq!(fill.fee, Decimal::new(3, 4));
        assert_eq!(out.len(), 2);
        assert_eq!(t.take_told(), ["T-1"]);
        assert!(t.take_told().is_empty());
        out.clear();
        // The same trade again (a reconnect's reconciliation): told once. An edit: amended.
        let edit = changes(
            vec![order("ETH-1", "open", "rm-41", 0.051, 12.0)],
            vec![trade("T-1", "rm-41", 4.0)],
        );
        t.on_changes(&instruments, &edit, &mut out).unwrap();
        assert_eq!(
            out,
            [VenueEvent::Amended {
                client_id: 41,
                price: Price(510),
                amount: Qty(12)
            }]
        );
        out.clear();
        // Cancelled, and told again: once.
        let gone = changes(
            vec![order("ETH-1", "cancelled", "rm-41", 0.051, 12.0)],
            vec![],
        );
        t.on_changes(&instruments, &gone, &mut out).unwrap();
        t.on_changes(&instruments, &gone, &mut out).unwrap();
        assert_eq!(out, [VenueEvent::Cancelled { client_id: 41 }]);
        out.clear();
        // Refused at once; and another client's order and trade, counted and left alone.
        let refused = changes(
            vec![
                order("ETH-2", "rejected", "rm-42", 0.0505, 1.0),
                order("ETH-3", "open", "desk-7", 0.05, 1.0),
            ],
            vec![trade("T-2", "", 1.0)],
        );
        t.on_changes(&instruments, &refused, &mut out).unwrap();
        assert_eq!(out, [VenueEvent::Rejected { client_id: 42 }]);
        assert_eq!(t.not_ours, 2);
    }

    #[test]
    fn a_trade_remembered_from_the_journal_is_not_told_again() {
        let (instruments, _, mut t) = setup();
        t.remember_trade("T-1");
        let mut out = Vec::new();
        let trades = json!({"trades": [trade("T-1", "rm-41", 4.0), trade("T-2", "rm-41", 1.0)]});
        t.on_changes(&instruments, &trades, &mut out).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(t.take_told(), ["T-2"]);
    }

    #[test]
    fn bad_changes_are_refused_naming_the_field() {
        let (instruments, _, mut t) = setup();
        let mut out = Vec::new();
        let off_tick = json!({"orders": [order("ETH-1", "open", "rm-1", 0.05003, 1.0)]});
        let e = t
            .on_changes(&instruments, &off_tick, &mut out)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("user.changes: ETH-27MAR26-2000-C: price 0.05003"),
            "{e}"
        );
        let mut other = order("ETH-1", "open", "rm-1", 0.05, 1.0);
        other["instrument_name"] = json!("ETH-27MAR26-9999-C");
        let e = t
            .on_changes(&instruments, &json!({"orders": [other]}), &mut out)
            .unwrap_err();
        assert_eq!(
            e,
            ChangesError::UnknownInstrument("ETH-27MAR26-9999-C".into())
        );
        let mut usd_fee = trade("T-9", "rm-1", 1.0);
        usd_fee["fee_currency"] = json!("USDC");
        let e = t
            .on_changes(&instruments, &json!({"trades": [usd_fee]}), &mut out)
            .unwrap_err()
            .to_string();
        assert!(e.contains("fee_currency USDC"), "{e}");
        // Refused again if sent again: a refused trade is not marked told.
        let again = json!({"trades": [usd_fee]});
        assert!(t.on_changes(&instruments, &again, &mut out).is_err());
        assert!(matches!(
            t.on_changes(&instruments, &json!({"orders": 3}), &mut out),
            Err(ChangesError::Shape(_))
        ));
        assert!(out.is_empty());
    }
}
