//! The trader's actions as Deribit requests. Our client id travels as the order's label
//! (`rm-<client id>`, well under Deribit's 64 characters), so an amend or a cancel names the
//! order by label (`private/edit_by_label`, `private/cancel_by_label`) without waiting for the
//! venue's order id, and every order and trade the venue reports is matched back by it.
//! Quotes are post-only with `reject_post_only` (a quote that would cross is refused, never
//! re-priced); takes are immediate-or-cancel. Prices and amounts go as the instrument's exact
//! decimals (amounts in contracts for options, USD for the perpetual).

use engine::quotes::Action;
use engine::{Instrument, InstrumentId, Instruments, Price, Qty, Side};
use serde_json::{json, Value};

/// The label of our client id.
pub fn label(client_id: u64) -> String {
    format!("rm-{client_id}")
}

/// Our client id from a label, if it is one of ours.
pub fn client_id(label: &str) -> Option<u64> {
    label.strip_prefix("rm-")?.parse().ok()
}

/// The request (method and params) for `action`; `instrument_of` names the instrument of an order
/// the trader sent (an amend or a cancel carries only its client id).
pub fn request(
    instruments: &Instruments,
    action: &Action,
    instrument_of: impl Fn(u64) -> Option<InstrumentId>,
) -> Option<(&'static str, Value)> {
    match *action {
        Action::Place {
            client_id,
            key,
            price,
            qty,
        } => {
            let inst = instruments.get(key.instrument);
            let mut params = order(inst, client_id, price, qty)?;
            params["post_only"] = json!(true);
            params["reject_post_only"] = json!(true);
            params["time_in_force"] = json!("good_til_cancelled");
            Some((side_method(key.side), params))
        }
        Action::Take {
            client_id,
            instrument,
            side,
            price,
            qty,
        } => {
            let inst = instruments.get(instrument);
            let mut params = order(inst, client_id, price, qty)?;
            params["time_in_force"] = json!("immediate_or_cancel");
            Some((side_method(side), params))
        }
        Action::Amend {
            client_id,
            price,
            amount,
        } => {
            let inst = instruments.get(instrument_of(client_id)?);
            let params = json!({
                "label": label(client_id),
                "instrument_name": inst.name(),
                "amount": finite(inst.qty_f64(amount))?,
                "price": finite(inst.price_f64(price))?,
                "post_only": true,
                "reject_post_only": true,
            });
            Some(("private/edit_by_label", params))
        }
        Action::Cancel { client_id } => {
            let inst = instruments.get(instrument_of(client_id)?);
            let params = json!({"label": label(client_id), "currency": currency(inst)});
            Some(("private/cancel_by_label", params))
        }
    }
}

fn side_method(side: Side) -> &'static str {
    match side {
        Side::Buy => "private/buy",
        Side::Sell => "private/sell",
    }
}

fn order(inst: &Instrument, client_id: u64, price: Price, qty: Qty) -> Option<Value> {
    Some(json!({
        "instrument_name": inst.name(),
        "amount": finite(inst.qty_f64(qty))?,
        "type": "limit",
        "price": finite(inst.price_f64(price))?,
        "label": label(client_id),
    }))
}

/// A number the wire can carry (JSON has no NaN): none otherwise, and no request.
fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// The currency an instrument trades in (its underlying: `ETH`).
fn currency(inst: &Instrument) -> &str {
    &inst.parsed().underlying
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::quotes::QuoteKey;

    #[test]
    fn quotes_are_post_only_takes_immediate_and_both_carry_our_label() {
        let mut instruments = Instruments::new();
        let call = instruments
            .intern(Instrument::deribit("ETH-27MAR26-2000-C").unwrap())
            .unwrap();
        let perp = instruments
            .intern(Instrument::deribit("ETH-PERPETUAL").unwrap())
            .unwrap();
        let key = QuoteKey {
            instrument: call,
            side: Side::Sell,
            level: 0,
        };
        let place = Action::Place {
            client_id: 41,
            key,
            price: Price(505),
            qty: Qty(10),
        };
        let (method, p) = request(&instruments, &place, |_| None).unwrap();
        assert_eq!(method, "private/sell");
        assert_eq!(p["instrument_name"], "ETH-27MAR26-2000-C");
        // 0.0001 ETH a price unit; one contract a lot.
        assert_eq!(
            (p["price"].as_f64(), p["amount"].as_f64()),
            (Some(0.0505), Some(10.0))
        );
        assert_eq!(
            (p["label"].as_str(), p["post_only"].as_bool()),
            (Some("rm-41"), Some(true))
        );
        assert_eq!(p["reject_post_only"], true);
        let take = Action::Take {
            client_id: 42,
            instrument: perp,
            side: Side::Buy,
            price: Price(40_001),
            qty: Qty(20_000),
        };
        let (method, p) = request(&instruments, &take, |_| None).unwrap();
        assert_eq!(method, "private/buy");
        assert_eq!(
            (p["price"].as_f64(), p["amount"].as_f64()),
            (Some(2000.05), Some(20_000.0))
        );
        assert_eq!(p["time_in_force"], "immediate_or_cancel");
        assert!(p.get("post_only").is_none());
        // An amend and a cancel name the order by its label.
        let of = |id| (id == 41).then_some(call);
        let amend = Action::Amend {
            client_id: 41,
            price: Price(510),
            amount: Qty(12),
        };
        let (method, p) = request(&instruments, &amend, of).unwrap();
        assert_eq!(method, "private/edit_by_label");
        assert_eq!(
            (p["label"].as_str(), p["price"].as_f64()),
            (Some("rm-41"), Some(0.051))
        );
        let cancel = Action::Cancel { client_id: 41 };
        let (method, p) = request(&instruments, &cancel, of).unwrap();
        assert_eq!(
            (method, p["label"].as_str(), p["currency"].as_str()),
            ("private/cancel_by_label", Some("rm-41"), Some("ETH"))
        );
        assert!(
            request(&instruments, &Action::Cancel { client_id: 7 }, of).is_none(),
            "an order we never sent"
        );
        assert_eq!(client_id(&label(41)), Some(41));
        assert_eq!(client_id("someone-else"), None);
    }
}
