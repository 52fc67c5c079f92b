//! The market's trades channels: `trades.{instrument}.{interval}` and
//! `trades.{kind}.{currency}.{interval}` (kind `option`, `future` or `any`), each message a list
//! of trades, the taker's side as the direction. Read by the connector (the market's flow beside
//! our own fills) and matched by the local venue.

use engine::Side;
use serde::{Deserialize, Deserializer};
use thiserror::Error;

/// What a trades channel names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TradesChannel<'a> {
    Instrument(&'a str),
    Kind { kind: &'a str, currency: &'a str },
}

/// The instrument or the kind and currency of a `trades.` channel; None for another channel.
pub fn channel(channel: &str) -> Option<TradesChannel<'_>> {
    let rest = channel.strip_prefix("trades.")?;
    let (named, _interval) = rest.rsplit_once('.')?;
    match named.split_once('.') {
        Some((kind, currency)) if matches!(kind, "option" | "future" | "any") => {
            Some(TradesChannel::Kind { kind, currency })
        }
        _ => Some(TradesChannel::Instrument(named)),
    }
}

impl TradesChannel<'_> {
    /// Whether a trade of `instrument` (Deribit's name) is sent on this channel.
    pub fn carries(&self, instrument: &str) -> bool {
        match *self {
            TradesChannel::Instrument(name) => name == instrument,
            TradesChannel::Kind { kind, currency } => {
                let mut parts = instrument.split('-');
                let ours = parts.next() == Some(currency);
                // Options have four parts (ETH-27MAR26-2000-C); futures two.
                let option = instrument.split('-').count() == 4;
                ours && match kind {
                    "option" => option,
                    "future" => !option,
                    _ => true,
                }
            }
        }
    }
}

/// One trade of the market.
#[derive(Clone, Debug, PartialEq)]
pub struct Trade {
    pub trade_id: String,
    pub instrument_name: String,
    /// The taker's side.
    pub direction: Side,
    pub price: f64,
    pub amount: f64,
    pub timestamp: i64,
}

#[derive(Deserialize)]
struct Raw {
    trade_id: String,
    instrument_name: String,
    direction: String,
    price: f64,
    amount: f64,
    timestamp: i64,
}

#[derive(Debug, Error, PartialEq)]
#[error("trades data: {0}")]
pub struct TradesError(String);

/// The trades a channel message holds; a price or amount that is not a positive finite number
/// is refused, naming the trade.
/// `data`: a JSON value, or a reader of the text (`Data::reader`).
pub fn parse<'de>(data: impl Deserializer<'de>) -> Result<Vec<Trade>, TradesError> {
    let list = Vec::<Raw>::deserialize(data).map_err(|e| TradesError(e.to_string()))?;
    let fine = |v: f64| v.is_finite() && v > 0.0;
    let read = |t: Raw| {
        let id = &t.trade_id;
        let direction: Side = (t.direction.parse())
            .map_err(|_| TradesError(format!("{id}: direction {:?}", t.direction)))?;
        if !(fine(t.price) && fine(t.amount)) {
            return Err(TradesError(format!(
                "{id}: price {} amount {}",
                t.price, t.amount
            )));
        }
        Ok(Trade {
            trade_id: t.trade_id,
            instrument_name: t.instrument_name,
            direction,
            price: t.price,
            amount: t.amount,
            timestamp: t.timestamp,
        })
    };
    list.into_iter().map(read).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn channels_name_an_instrument_or_a_kind_and_trades_are_checked() {
        let one = channel("trades.ETH-PERPETUAL.raw").unwrap();
        assert_eq!(one, TradesChannel::Instrument("ETH-PERPETUAL"));
        assert!(one.carries("ETH-PERPETUAL") && !one.carries("ETH-27MAR26-2000-C"));
        let options = channel("trades.option.ETH.100ms").unwrap();
        assert!(options.carries("ETH-27MAR26-2000-C"));
        assert!(!options.carries("ETH-PERPETUAL") && !options.carries("BTC-27MAR26-90000-C"));
        assert!(channel("trades.any.ETH.100ms")
            .unwrap()
            .carries("ETH-PERPETUAL"));
        assert_eq!(channel("ticker.ETH-PERPETUAL.100ms"), None);
        let data = json!([{"trade_id": "T-1", "instrument_name": "ETH-PERPETUAL",
            "direction": "sell", "price": 2000.5, "amount": 10.0, "timestamp": 7,
            "trade_seq": 3, "tick_direction": 0}]);
        let trades = parse(&data).unwrap();
        assert_eq!((trades[0].direction, trades[0].amount), (Side::Sell, 10.0));
        let bad = json!([{"trade_id": "T-2", "instrument_name": "ETH-PERPETUAL",
            "direction": "buy", "price": -1.0, "amount": 1.0, "timestamp": 7}]);
        assert!(parse(&bad).unwrap_err().to_string().contains("T-2"));
        assert!(parse(json!({"not": "a list"})).is_err());
    }
}
