//! `book.{instrument}.raw` (and `.100ms`) channel data: a snapshot, then deltas each carrying
//! `change_id` and `prev_change_id`, turned into the engine's exact prices and lots and applied to
//! its mirror, which checks the sequence (never `+1`: change ids are not contiguous).

use engine::book::{BookError, L2Book, LevelAction, LevelUpdate};
use engine::{Instrument, Price, Qty, Side};
use serde::{Deserialize, Deserializer};
use thiserror::Error;

/// One book message, in the instrument's units.
#[derive(Clone, Debug, PartialEq)]
pub struct BookMessage {
    pub instrument: String,
    pub snapshot: bool,
    pub change_id: u64,
    /// Absent on a snapshot.
    pub prev_change_id: Option<u64>,
    /// Milliseconds since the epoch, the venue's.
    pub timestamp_ms: i64,
    pub levels: Vec<LevelUpdate>,
}

/// Channel data that is not a usable book message: what and why, naming the instrument.
#[derive(Debug, Error, PartialEq)]
pub enum BookDataError {
    #[error("book data: {0}")]
    Shape(String),
    #[error("book data for {got}, subscribed as {expected}")]
    OtherInstrument { expected: String, got: String },
    #[error("{instrument}: {side} level {index}: {why}")]
    Level {
        instrument: String,
        side: &'static str,
        index: usize,
        why: String,
    },
    #[error("{instrument}: a change without prev_change_id")]
    NoPrevious { instrument: String },
}

#[derive(Deserialize)]
struct Raw<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    instrument_name: String,
    change_id: u64,
    prev_change_id: Option<u64>,
    timestamp: i64,
    #[serde(borrow)]
    bids: Vec<(&'a str, f64, f64)>,
    #[serde(borrow)]
    asks: Vec<(&'a str, f64, f64)>,
}

/// The instrument a `book.{instrument}.{interval}` channel names.
pub fn channel_instrument(channel: &str) -> Option<&str> {
    let rest = channel.strip_prefix("book.")?;
    let (name, _interval) = rest.rsplit_once('.')?;
    Some(name)
}

impl BookMessage {
    /// The message `data` holds for `inst`; prices off its grid, sizes not positive and unknown
    /// actions are refused, naming the level.
    /// `data`: a JSON value, or a reader of the text (`Data::reader`: no tree built).
    pub fn parse<'de>(
        inst: &Instrument,
        data: impl Deserializer<'de>,
    ) -> Result<BookMessage, BookDataError> {
        let raw = Raw::deserialize(data).map_err(|e| BookDataError::Shape(e.to_string()))?;
        if raw.instrument_name != inst.name() {
            return Err(BookDataError::OtherInstrument {
                expected: inst.name().to_string(),
                got: raw.instrument_name,
            });
        }
        let snapshot = match raw.kind {
            "snapshot" => true,
            "change" => false,
            other => return Err(BookDataError::Shape(format!("type {other:?}"))),
        };
        if !snapshot && raw.prev_change_id.is_none() {
            return Err(BookDataError::NoPrevious {
                instrument: raw.instrument_name,
            });
        }
        let mut levels = Vec::with_capacity(raw.bids.len() + raw.asks.len());
        for (side, list) in [(Side::Buy, &raw.bids), (Side::Sell, &raw.asks)] {
            for (index, (action, price, amount)) in list.iter().enumerate() {
                let level = level(inst, side, action, *price, *amount).map_err(|why| {
                    BookDataError::Level {
                        instrument: inst.name().to_string(),
                        side: if side == Side::Buy { "bid" } else { "ask" },
                        index,
                        why,
                    }
                })?;
                levels.push(level);
            }
        }
        Ok(BookMessage {
            instrument: raw.instrument_name,
            snapshot,
            change_id: raw.change_id,
            prev_change_id: raw.prev_change_id,
            timestamp_ms: raw.timestamp,
            levels,
        })
    }

    /// Applies the message to `book`: a snapshot replaces it, a change must follow the last
    /// change id (the mirror marks it stale otherwise, until the next snapshot).
    pub fn apply(&self, book: &mut L2Book) -> Result<(), BookError> {
        if self.snapshot {
            let side = |s: Side| -> Vec<(Price, Qty)> {
                let on_side = self.levels.iter().filter(|l| l.side == s);
                on_side.map(|l| (l.price, l.qty)).collect()
            };
            return book.apply_snapshot(self.change_id, &side(Side::Buy), &side(Side::Sell));
        }
        let prev = self.prev_change_id.unwrap_or_default();
        book.apply_update(self.change_id, prev, &self.levels)
    }
}

fn level(
    inst: &Instrument,
    side: Side,
    action: &str,
    price: f64,
    amount: f64,
) -> Result<LevelUpdate, String> {
    let action = match action {
        "new" => LevelAction::New,
        "change" => LevelAction::Change,
        "delete" => LevelAction::Delete,
        other => return Err(format!("action {other:?}")),
    };
    let price = inst.price_of_f64(price).map_err(|e| e.to_string())?;
    // A delete carries the size 0: nothing to convert.
    let qty = match action {
        LevelAction::Delete => Qty(0),
        _ => inst.qty_of_f64(amount).map_err(|e| e.to_string())?,
    };
    Ok(LevelUpdate {
        side,
        action,
        price,
        qty,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deribit::frame::Data;
    use engine::book::{BookStatus, StaleReason};
    use serde_json::{json, Value};

    fn call() -> Instrument {
        Instrument::deribit("ETH-27MAR26-2000-C").unwrap()
    }

    fn msg(kind: &str, change: u64, prev: Option<u64>, bids: Value, asks: Value) -> Value {
        json!({"type": kind, "timestamp": 1_774_000_000_000i64, "instrument_name": "ETH-27MAR26-2000-C",
               "change_id": change, "prev_change_id": prev, "bids": bids, "asks": asks})
    }

    #[test]
    fn a_snapshot_then_changes_keep_the_mirror_and_a_gap_makes_it_stale() {
        let inst = call();
        let mut book = L2Book::new();
        let snap = msg(
            "snapshot",
            100,
            None,
            json!([["new", 0.05, 10.0], ["new", 0.0495, 4.0]]),
            json!([["new", 0.052, 3.0]]),
        );
        BookMessage::parse(&inst, &snap)
            .unwrap()
            .apply(&mut book)
            .unwrap();
        // 0.0001 ETH a price unit: 0.05 is 500.
        assert_eq!(book.best_bid(), Some((Price(500), Qty(10))));
        assert_eq!(book.best_ask(), Some((Price(520), Qty(3))));
        // Change ids are not contiguous: 100 then 117 is in sequence.
        let change = msg(
            "change",
            117,
            Some(100),
            json!([["delete", 0.05, 0.0]]),
            json!([["change", 0.052, 7.0]]),
        );
        BookMessage::parse(&inst, &change)
            .unwrap()
            .apply(&mut book)
            .unwrap();
        assert_eq!(book.best_bid(), Some((Price(495), Qty(4))));
        assert_eq!(book.best_ask(), Some((Price(520), Qty(7))));
        // A message lost: prev 130 is not the last change id (117).
        let after_gap = msg(
            "change",
            140,
            Some(130),
            json!([]),
            json!([["new", 0.053, 1.0]]),
        );
        let e = BookMessage::parse(&inst, &after_gap)
            .unwrap()
            .apply(&mut book);
        assert!(e.is_err());
        assert_eq!(
            book.status(),
            &BookStatus::Stale(StaleReason::Gap {
                expected: 117,
                got: 130
            })
        );
        // The next snapshot rebuilds it.
        BookMessage::parse(&inst, &snap)
            .unwrap()
            .apply(&mut book)
            .unwrap();
        assert!(book.is_live());
    }

    #[test]
    fn bad_book_data_is_refused_naming_the_level() {
        let inst = call();
        let off_tick = msg(
            "change",
            2,
            Some(1),
            json!([["new", 0.05003, 1.0]]),
            json!([]),
        );
        let e = BookMessage::parse(&inst, &off_tick)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("ETH-27MAR26-2000-C: bid level 0:") && e.contains("0.05003"),
            "{e}"
        );
        let action = msg(
            "change",
            2,
            Some(1),
            json!([]),
            json!([["new", 0.05, 1.0], ["move", 0.05, 1.0]]),
        );
        let e = BookMessage::parse(&inst, &action).unwrap_err().to_string();
        assert_eq!(e, "ETH-27MAR26-2000-C: ask level 1: action \"move\"");
        let size = msg(
            "change",
            2,
            Some(1),
            json!([["new", 0.05, -1.0]]),
            json!([]),
        );
        assert!(matches!(
            BookMessage::parse(&inst, &size),
            Err(BookDataError::Level { .. })
        ));
        let no_prev = msg("change", 2, None, json!([]), json!([]));
        assert!(matches!(
            BookMessage::parse(&inst, &no_prev),
            Err(BookDataError::NoPrevious { .. })
        ));
        let other = Instrument::deribit("ETH-27MAR26-2100-C").unwrap();
        // As the gateway reads them: from the frame's text, no JSON tree built.
        let text = |v: Value| Data::parse(v.to_string()).unwrap();
        let snap = text(msg("snapshot", 1, None, json!([]), json!([])));
        let e = BookMessage::parse(&other, &mut snap.reader());
        assert!(matches!(e, Err(BookDataError::OtherInstrument { .. })));
        let shape = text(json!({"type": "snapshot"}));
        assert!(matches!(
            BookMessage::parse(&inst, &mut shape.reader()),
            Err(BookDataError::Shape(_))
        ));
        let change = msg("change", 9, Some(8), json!([["new", 0.05, 3.0]]), json!([]));
        assert_eq!(
            BookMessage::parse(&inst, &mut text(change.clone()).reader()),
            BookMessage::parse(&inst, &change),
            "the text and the value read alike"
        );
    }

    #[test]
    fn the_channel_names_its_instrument() {
        assert_eq!(
            channel_instrument("book.ETH-27MAR26-2000-C.raw"),
            Some("ETH-27MAR26-2000-C")
        );
        assert_eq!(
            channel_instrument("book.ETH-PERPETUAL.100ms"),
            Some("ETH-PERPETUAL")
        );
        assert_eq!(channel_instrument("ticker.ETH-PERPETUAL.raw"), None);
    }
}
