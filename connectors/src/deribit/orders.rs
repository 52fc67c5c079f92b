//! The trader's actions as Deribit requests. Our client id travels as the order's label
//! (`rm-<client id>`, well under Deribit's 64 characters), so an amend or a cancel names the
//! order by label (`private/edit_by_label`, `private/cancel_by_label`) without waiting for the
//! venue's order id, and every order and trade the venue reports is matched back by it.
//! Quotes are post-only with `reject_post_only` (a quote that would cross is refused, never
//! re-priced); takes are immediate-or-cancel. Prices and amounts go as the instrument's exact
//! decimals (amounts in contracts for options, USD for the perpetual).

use super::frame::Params;
use engine::quotes::Action;
use engine::{Instrument, InstrumentId, Instruments, Price, Qty, Side};
use serde::Serialize;

/// The label of our client id.
pub fn label(client_id: u64) -> String {
    format!("rm-{client_id}")
}

/// Our client id from a label, if it is one of ours.
pub fn client_id(label: &str) -> Option<u64> {
    label.strip_prefix("rm-")?.parse().ok()
}

/// An order's request params as Deribit names them; what a request leaves out is not written.
#[derive(Serialize, Default)]
struct OrderParams<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    instrument_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount: Option<f64>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    price: Option<f64>,
    label: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    currency: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    post_only: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reject_post_only: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_in_force: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mmp: Option<bool>,
}

/// The request (method and params) for `action`, its params written straight from the ticks
/// (a re-price's way to the socket builds no JSON tree); `instrument_of` names the instrument
/// of an order the trader sent (an amend or a cancel carries only its client id). `mmp`: a
/// quote or a quote's edit is tagged for the venue's Market Maker Protection.
pub fn request(
    instruments: &Instruments,
    action: &Action,
    instrument_of: impl Fn(u64) -> Option<InstrumentId>,
    mmp: bool,
) -> Option<(&'static str, Params)> {
    let (client_id, instrument) = match *action {
        Action::Place { client_id, key, .. } => (client_id, Some(key.instrument)),
        Action::Take {
            client_id,
            instrument,
            ..
        } => (client_id, Some(instrument)),
        Action::Amend { client_id, .. } | Action::Cancel { client_id } => {
            (client_id, instrument_of(client_id))
        }
    };
    let inst = instruments.get(instrument?);
    let label = label(client_id);
    let (method, p) = params(inst, &label, action, mmp)?;
    let raw = serde_json::value::to_raw_value(&p).ok()?;
    Some((method, Params::Written { raw, label }))
}

/// The method and params of `action` on `inst`, named by `label`.
fn params<'a>(
    inst: &'a Instrument,
    label: &'a str,
    action: &Action,
    mmp: bool,
) -> Option<(&'static str, OrderParams<'a>)> {
    let yes = Some(true);
    let mmp = mmp.then_some(true);
    Some(match *action {
        Action::Place {
            key, price, qty, ..
        } => {
            let mut p = order(inst, label, price, qty)?;
            (p.post_only, p.reject_post_only, p.mmp) = (yes, yes, mmp);
            p.time_in_force = Some("good_til_cancelled");
            (side_method(key.side), p)
        }
        Action::Take {
            side, price, qty, ..
        } => {
            let mut p = order(inst, label, price, qty)?;
            p.time_in_force = Some("immediate_or_cancel");
            (side_method(side), p)
        }
        Action::Amend { price, amount, .. } => {
            let mut p = order(inst, label, price, amount)?;
            p.kind = None;
            (p.post_only, p.reject_post_only, p.mmp) = (yes, yes, mmp);
            ("private/edit_by_label", p)
        }
        Action::Cancel { .. } => {
            let currency = Some(currency(inst));
            let p = OrderParams {
                label,
                currency,
                ..Default::default()
            };
            ("private/cancel_by_label", p)
        }
    })
}

fn side_method(side: Side) -> &'static str {
    match side {
        Side::Buy => "private/buy",
        Side::Sell => "private/sell",
    }
}

fn order<'a>(
    inst: &'a Instrument,
    label: &'a str,
    price: Price,
    qty: Qty,
) -> Option<OrderParams<'a>> {
    Some(OrderParams {
        instrument_name: Some(inst.name()),
        amount: Some(finite(inst.qty_f64(qty))?),
        kind: Some("limit"),
        price: Some(finite(inst.price_f64(price))?),
        label,
        ..Default::default()
    })
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
    use serde_json::Value;

    /// The method and the params as the venue reads them.
    fn sent(request: Option<(&'static str, Params)>) -> (&'static str, Value) {
        let (method, params) = request.expect("a request");
        let Params::Written { raw, label } = params else {
            panic!("an order's params are written from its ticks")
        };
        let v: Value = serde_json::from_str(raw.get()).unwrap();
        assert_eq!(v["label"].as_str(), Some(label.as_str()));
        (method, v)
    }

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
        let (method, p) = sent(request(&instruments, &place, |_| None, false));
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
        let (method, p) = sent(request(&instruments, &take, |_| None, false));
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
        let (method, p) = sent(request(&instruments, &amend, of, false));
        assert_eq!(method, "private/edit_by_label");
        assert_eq!(
            (p["label"].as_str(), p["price"].as_f64()),
            (Some("rm-41"), Some(0.051))
        );
        let cancel = Action::Cancel { client_id: 41 };
        let (method, p) = sent(request(&instruments, &cancel, of, false));
        assert_eq!(
            (method, p["label"].as_str(), p["currency"].as_str()),
            ("private/cancel_by_label", Some("rm-41"), Some("ETH"))
        );
        assert!(p.get("amount").is_none() && p.get("mmp").is_none());
        // Market Maker Protection tags quotes and their edits, nothing else.
        let tagged = |a: &Action| {
            sent(request(&instruments, a, of, true))
                .1
                .get("mmp")
                .cloned()
        };
        assert_eq!(tagged(&place), Some(Value::Bool(true)));
        assert_eq!(tagged(&amend), Some(Value::Bool(true)));
        assert_eq!((tagged(&take), tagged(&cancel)), (None, None));
        assert!(sent(request(&instruments, &amend, of, false))
            .1
            .get("type")
            .is_none());
        assert!(
            request(&instruments, &Action::Cancel { client_id: 7 }, of, false).is_none(),
            "an order we never sent"
        );
        assert_eq!(client_id(&label(41)), Some(41));
        assert_eq!(client_id("someone-else"), None);
    }
}
