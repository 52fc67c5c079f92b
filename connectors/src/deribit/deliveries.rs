//! Deliveries at expiry, from `private/get_settlement_history_by_currency` (type `delivery`):
//! Deribit pays out an expired option's positions and drops them, and nothing on `user.changes`
//! says so. Each delivery of an instrument the trader holds, read into the engine's terms; what
//! it pays is the trader's to work out from the delivery price (the payoff is exact).

use super::changes::ChangesError;
use engine::{InstrumentId, Instruments, Qty};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeSet;

/// One delivery, as the venue told it.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    pub instrument: InstrumentId,
    /// The position delivered, signed, in lots.
    pub position: Qty,
    /// The delivery price of the index (USD).
    pub index_price: Decimal,
    /// What the venue says one contract paid (ETH), where it says.
    pub value: Option<Decimal>,
    /// The delivery fee charged (ETH), where the venue says (Deribit does not: a fee schedule
    /// is the trader's to apply).
    pub fee: Option<Decimal>,
    pub timestamp_ms: i64,
}

/// The deliveries in `answer` (the method's result, `{settlements: [...]}`, or a bare list) of
/// the instruments in `held` (ours, nonzero), one each (Deribit lists the newest first: the
/// first one of an instrument is taken). Other kinds of settlement and other instruments are
/// left out; a delivery of ours that cannot be read is an error naming it.
pub fn deliveries(
    instruments: &Instruments,
    held: &[(InstrumentId, Qty)],
    answer: &Value,
) -> Result<Vec<Delivery>, ChangesError> {
    let list = answer.get("settlements").unwrap_or(answer);
    let list = list
        .as_array()
        .ok_or_else(|| ChangesError::Shape("settlements: not a list".into()))?;
    let ours: BTreeSet<InstrumentId> = (held.iter())
        .filter(|(_, q)| q.0 != 0)
        .map(|(id, _)| *id)
        .collect();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for s in list {
        if s["type"].as_str().is_some_and(|t| t != "delivery") {
            continue;
        }
        let name = s["instrument_name"].as_str().unwrap_or_default();
        let Ok(id) = instruments.id(name) else {
            continue;
        };
        if !ours.contains(&id) || !seen.insert(id) {
            continue;
        }
        out.push(read(instruments, id, s)?);
    }
    Ok(out)
}

fn read(instruments: &Instruments, id: InstrumentId, s: &Value) -> Result<Delivery, ChangesError> {
    let inst = instruments.get(id);
    let bad = |what: &'static str, why: &str| ChangesError::Value {
        instrument: inst.name().to_string(),
        what,
        value: s[what].to_string(),
        why: why.to_string(),
    };
    let decimal = |what: &'static str| -> Result<Option<Decimal>, ChangesError> {
        match &s[what] {
            Value::Null => Ok(None),
            Value::Number(n) => {
                (n.to_string().parse().map(Some)).map_err(|_| bad(what, "not a decimal number"))
            }
            _ => Err(bad(what, "not a number")),
        }
    };
    let index_price = (decimal("index_price")?)
        .filter(|p| *p > Decimal::ZERO)
        .ok_or_else(|| bad("index_price", "a positive delivery price is needed"))?;
    let size = s["position"].as_f64().unwrap_or(f64::NAN);
    let lots = inst
        .qty_of_f64(size.abs())
        .map_err(|e| bad("position", &e.to_string()))?;
    let timestamp_ms = s["timestamp"]
        .as_i64()
        .ok_or_else(|| bad("timestamp", "milliseconds since the epoch are needed"))?;
    Ok(Delivery {
        instrument: id,
        position: Qty(lots.0 * size.signum() as i64),
        index_price,
        value: decimal("mark_price")?,
        fee: decimal("fee")?,
        timestamp_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::Instrument;
    use serde_json::json;

    #[test]
    fn ours_are_read_once_and_the_rest_left_out() {
        let mut instruments = Instruments::new();
        let call = (instruments.intern(Instrument::deribit("ETH-6MAR26-2000-C").unwrap())).unwrap();
        let put = (instruments.intern(Instrument::deribit("ETH-6MAR26-2000-P").unwrap())).unwrap();
        let held = [(call, Qty(3)), (put, Qty(0))];
        let answer = json!({"settlements": [
            {"type": "delivery", "instrument_name": "ETH-6MAR26-2000-C", "position": 3.0,
             "index_price": 2500.25, "mark_price": 0.2000999, "timestamp": 7},
            {"type": "delivery", "instrument_name": "ETH-6MAR26-2000-C", "position": 1.0,
             "index_price": 1.0, "timestamp": 1},
            {"type": "delivery", "instrument_name": "ETH-6MAR26-2000-P", "position": -1.0,
             "index_price": 2500.25, "timestamp": 7},
            {"type": "settlement", "instrument_name": "ETH-PERPETUAL", "position": 10.0},
            {"type": "delivery", "instrument_name": "ETH-27MAR26-9000-C", "position": 1.0}
        ], "continuation": null});
        let d = deliveries(&instruments, &held, &answer).unwrap();
        assert_eq!(
            d.len(),
            1,
            "the call once (the newest); the put is not held"
        );
        assert_eq!(d[0].instrument, call);
        assert_eq!(d[0].position, Qty(3));
        assert_eq!(d[0].index_price, "2500.25".parse::<Decimal>().unwrap());
        assert_eq!(d[0].value, Some("0.2000999".parse().unwrap()));
        assert_eq!((d[0].fee, d[0].timestamp_ms), (None, 7));
        // Ours and unreadable: an error naming it.
        let broken = json!([{"type": "delivery", "instrument_name": "ETH-6MAR26-2000-C",
                             "position": 3.0, "index_price": -1.0, "timestamp": 7}]);
        let e = deliveries(&instruments, &held, &broken).unwrap_err();
        assert!(
            e.to_string()
                .contains("ETH-6MAR26-2000-C: index_price -1.0"),
            "{e}"
        );
        assert!(deliveries(&instruments, &held, &json!({"settlements": 3})).is_err());
    }
}
