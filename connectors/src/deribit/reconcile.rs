//! After a connect or a restart, before quoting again: what the venue says (its open orders from
//! `private/get_open_orders_by_currency`, our trades from `private/get_user_trades_by_currency`,
//! the positions from `private/get_positions`) against what the trader knows. `user.*`
//! channels send no snapshot, so this is the only way to learn what happened while away.

use super::changes::{ChangesError, Tracker};
use super::orders::client_id;
use engine::trader::VenueEvent;
use engine::{Instruments, Qty};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// What the venue's lists tell the trader.
#[derive(Debug, Default, PartialEq)]
pub struct Reconciled {
    /// For the trader, in order: fills it missed, then the orders it thinks live that the venue
    /// no longer has (ended while away), as cancelled.
    pub events: Vec<VenueEvent>,
    /// Labels of orders of ours the venue has and the trader does not know (a restart lost
    /// them): to cancel before quoting, so that no order rests unwatched.
    pub orphans: Vec<String>,
    /// Open orders without our label (another client on the account): left alone.
    pub foreign: usize,
}

/// Reconciles the venue's `open_orders` and `trades` (the methods' results) with the orders the
/// trader thinks live (`live`, client ids); trades already told are not told again.
pub fn orders(
    instruments: &Instruments,
    tracker: &mut Tracker,
    live: &BTreeSet<u64>,
    open_orders: &Value,
    trades: &Value,
) -> Result<Reconciled, ChangesError> {
    let mut r = Reconciled::default();
    // `get_user_trades_by_currency` answers `{trades: [...]}`; a bare list is taken too.
    let trades = trades.get("trades").unwrap_or(trades);
    tracker.on_changes(instruments, &json!({ "trades": trades }), &mut r.events)?;
    let list = open_orders
        .as_array()
        .ok_or_else(|| ChangesError::Shape("open orders: not a list".into()))?;
    let mut at_venue = BTreeSet::new();
    for o in list {
        let label = o["label"].as_str().unwrap_or_default();
        match client_id(label) {
            Some(id) if live.contains(&id) => {
                at_venue.insert(id);
            }
            Some(_) => r.orphans.push(label.to_string()),
            None => r.foreign += 1,
        }
    }
    for id in live.difference(&at_venue) {
        r.events.push(VenueEvent::Cancelled { client_id: *id });
    }
    Ok(r)
}

/// Where the ledger's positions differ from the venue's (`get_positions`' result, sizes signed):
/// (instrument, ours, the venue's), in lots, by instrument; `held` is ours, every instrument not
/// named held at zero (the venue leaves flat positions out, or lists them at size 0). An
/// instrument the registry does not know is refused, naming it.
pub fn position_gaps(
    instruments: &Instruments,
    held: &[(engine::InstrumentId, Qty)],
    positions: &Value,
) -> Result<Vec<(String, Qty, Qty)>, ChangesError> {
    let list = positions
        .as_array()
        .ok_or_else(|| ChangesError::Shape("positions: not a list".into()))?;
    let mut both: BTreeMap<engine::InstrumentId, (Qty, Qty)> = BTreeMap::new();
    for &(id, q) in held {
        both.entry(id).or_default().0 = q;
    }
    for p in list {
        let name = p["instrument_name"].as_str().unwrap_or_default();
        let id = instruments
            .id(name)
            .map_err(|_| ChangesError::UnknownInstrument(name.to_string()))?;
        both.entry(id).or_default().1 = venue_size(instruments.get(id), &p["size"])?;
    }
    let gaps = both.into_iter().filter(|(_, (ours, venue))| ours != venue);
    Ok(gaps
        .map(|(id, (ours, venue))| (instruments.get(id).name().to_string(), ours, venue))
        .collect())
}

/// A position's signed size in lots (Deribit: contracts for options, USD for the perpetual).
fn venue_size(inst: &engine::Instrument, size: &Value) -> Result<Qty, ChangesError> {
    let size = size.as_f64().unwrap_or(f64::NAN);
    if size == 0.0 {
        return Ok(Qty(0));
    }
    let lots = inst.qty_of_f64(size.abs());
    lots.map(|q| Qty(q.0 * size.signum() as i64))
        .map_err(|e| ChangesError::Value {
            instrument: inst.name().to_string(),
            what: "size",
            value: size.to_string(),
            why: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::{Instrument, Price};

    fn setup() -> (Instruments, engine::InstrumentId) {
        let mut instruments = Instruments::new();
        let id = instruments
            .intern(Instrument::deribit("ETH-27MAR26-2000-C").unwrap())
            .unwrap();
        (instruments, id)
    }

    #[test]
    fn what_happened_while_away_comes_back_as_events_and_orphans() {
        let (instruments, call) = setup();
        let mut tracker = Tracker::new();
        let live: BTreeSet<u64> = [41, 42].into();
        let order = |label: &str| {
            json!({"order_id": "ETH-1", "order_state": "open", "label": label,
            "instrument_name": "ETH-27MAR26-2000-C", "price": 0.05, "amount": 1.0})
        };
        // 41 still rests; 42 is gone; rm-77 is ours but unknown (a restart); one is another client's.
        let open = json!([order("rm-41"), order("rm-77"), order("hedge-desk")]);
        let trades = json!({"trades": [{"trade_id": "T-9", "label": "rm-42", "instrument_name": "ETH-27MAR26-2000-C",
            "direction": "sell", "price": 0.0505, "amount": 2.0, "fee": 0.0006, "fee_currency": "ETH",
            "timestamp": 1_774_000_000_000i64}], "has_more": false});
        let r = orders(&instruments, &mut tracker, &live, &open, &trades).unwrap();
        let VenueEvent::Filled {
            client_id: 42,
            fill,
        } = r.events[0]
        else {
            panic!("{:?}", r.events)
        };
        assert_eq!(
            (fill.instrument, fill.price, fill.qty),
            (call, Price(505), Qty(2))
        );
        assert_eq!(r.events[1], VenueEvent::Cancelled { client_id: 42 });
        assert_eq!(r.events.len(), 2);
        assert_eq!((r.orphans, r.foreign), (vec!["rm-77".to_string()], 1));
        // The same trade on the next reconnect is not told again.
        let again = orders(
            &instruments,
            &mut tracker,
            &[41].into(),
            &json!([order("rm-41")]),
            &trades,
        )
        .unwrap();
        assert!(again.events.is_empty(), "{:?}", again.events);
    }

    #[test]
    fn positions_that_differ_are_named() {
        let (instruments, call) = setup();
        let venue =
            json!([{"instrument_name": "ETH-27MAR26-2000-C", "size": -4.0, "direction": "sell"}]);
        let held = |n: i64| [(call, Qty(n))];
        assert!(position_gaps(&instruments, &held(-4), &venue)
            .unwrap()
            .is_empty());
        let gaps = position_gaps(&instruments, &held(-2), &venue).unwrap();
        assert_eq!(gaps, [("ETH-27MAR26-2000-C".to_string(), Qty(-2), Qty(-4))]);
        // Held here, absent there (the venue leaves flat positions out): a gap too.
        let gaps = position_gaps(&instruments, &held(3), &json!([])).unwrap();
        assert_eq!(gaps, [("ETH-27MAR26-2000-C".to_string(), Qty(3), Qty(0))]);
        let unknown = json!([{"instrument_name": "ETH-27MAR26-9999-C", "size": 1.0}]);
        assert!(matches!(
            position_gaps(&instruments, &[], &unknown),
            Err(ChangesError::UnknownInstrument(_))
        ));
        assert!(position_gaps(&instruments, &[], &json!({})).is_err());
    }
}
