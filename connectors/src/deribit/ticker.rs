//! `ticker.{instrument}.{interval}` data: the marks and the index a live state needs (Deribit's
//! `mark_iv` is in percent on the wire; here a fraction, as everywhere in the engine). The one
//! place the shape is written both ways: the connector reads it, the local venue writes it.

use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};
use thiserror::Error;

#[derive(Clone, Debug, PartialEq)]
pub struct Ticker {
    pub instrument: String,
    pub timestamp_ms: i64,
    /// In the instrument's price currency (ETH for options, USD for the perpetual).
    pub mark_price: f64,
    /// Options only: the mark's implied vol, a fraction (0.65 is 65%).
    pub mark_iv: Option<f64>,
    pub index_price: f64,
    /// Options only: the forward of its expiry, USD.
    pub underlying_price: Option<f64>,
    pub best_bid_price: Option<f64>,
    pub best_ask_price: Option<f64>,
}

#[derive(Debug, Error, PartialEq)]
#[error("ticker data: {0}")]
pub struct TickerError(pub String);

#[derive(Deserialize)]
struct Raw {
    instrument_name: String,
    timestamp: i64,
    mark_price: f64,
    mark_iv: Option<f64>,
    index_price: f64,
    underlying_price: Option<f64>,
    best_bid_price: Option<f64>,
    best_ask_price: Option<f64>,
}

/// The instrument a `ticker.{instrument}.{interval}` channel names.
pub fn channel_instrument(channel: &str) -> Option<&str> {
    let rest = channel.strip_prefix("ticker.")?;
    Some(rest.rsplit_once('.')?.0)
}

impl Ticker {
    /// The ticker `data` holds; a price that is not a positive finite number is refused, naming
    /// the field (a zero best price means no order on that side, as Deribit sends it; a zero
    /// mark is a worthless option).
    /// `data`: a JSON value, or a reader of the text (`Data::reader`).
    pub fn parse<'de>(data: impl Deserializer<'de>) -> Result<Ticker, TickerError> {
        let r = Raw::deserialize(data).map_err(|e| TickerError(e.to_string()))?;
        let positive = |what: &str, v: f64| -> Result<f64, TickerError> {
            (v.is_finite() && v > 0.0)
                .then_some(v)
                .ok_or_else(|| TickerError(format!("{}: {what} {v}", r.instrument_name)))
        };
        let non_negative = |what: &str, v: f64| -> Result<f64, TickerError> {
            (v.is_finite() && v >= 0.0)
                .then_some(v)
                .ok_or_else(|| TickerError(format!("{}: {what} {v}", r.instrument_name)))
        };
        let side = |v: Option<f64>| v.filter(|p| *p > 0.0);
        Ok(Ticker {
            // A worthless option is marked at 0 (Deribit sends it near expiry, far out).
            mark_price: non_negative("mark_price", r.mark_price)?,
            index_price: positive("index_price", r.index_price)?,
            mark_iv: r
                .mark_iv
                .map(|v| positive("mark_iv", v).map(|p| p / 100.0))
                .transpose()?,
            underlying_price: r
                .underlying_price
                .map(|v| positive("underlying_price", v))
                .transpose()?,
            best_bid_price: side(r.best_bid_price),
            best_ask_price: side(r.best_ask_price),
            timestamp_ms: r.timestamp,
            instrument: r.instrument_name,
        })
    }

    /// The data as Deribit sends it (`mark_iv` in percent; no order on a side as 0).
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "instrument_name": self.instrument,
            "timestamp": self.timestamp_ms,
            "mark_price": self.mark_price,
            "index_price": self.index_price,
            "best_bid_price": self.best_bid_price.unwrap_or(0.0),
            "best_ask_price": self.best_ask_price.unwrap_or(0.0),
            "state": "open",
        });
        if let Some(iv) = self.mark_iv {
            v["mark_iv"] = json!(iv * 100.0);
        }
        if let Some(u) = self.underlying_price {
            v["underlying_price"] = json!(u);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticker_reads_back_what_it_wrote_and_refuses_a_bad_mark() {
        let t = Ticker {
            instrument: "ETH-27MAR26-2000-C".into(),
            timestamp_ms: 1_774_000_000_000,
            mark_price: 0.0512,
            mark_iv: Some(0.65),
            index_price: 2000.0,
            underlying_price: Some(2004.5),
            best_bid_price: Some(0.05),
            best_ask_price: None,
        };
        let wire = t.to_json();
        assert_eq!(wire["mark_iv"], 65.0, "percent on the wire");
        assert_eq!(wire["best_ask_price"], 0.0);
        assert_eq!(Ticker::parse(&wire).unwrap(), t);
        let mut bad = wire.clone();
        bad["mark_price"] = json!(-1.0);
        let e = Ticker::parse(&bad).unwrap_err().to_string();
        assert_eq!(e, "ticker data: ETH-27MAR26-2000-C: mark_price -1");
        bad["mark_price"] = json!(0.0);
        assert_eq!(
            Ticker::parse(&bad).unwrap().mark_price,
            0.0,
            "worthless, not bad"
        );
        assert!(Ticker::parse(json!({"instrument_name": "x"})).is_err());
        assert_eq!(
            channel_instrument("ticker.ETH-PERPETUAL.100ms"),
            Some("ETH-PERPETUAL")
        );
        assert_eq!(channel_instrument("book.ETH-PERPETUAL.raw"), None);
    }
}
