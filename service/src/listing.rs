//! What the venue lists, read into the engine's registry: at start, and again while running (the
//! venue lists new series every day; the roll maker needs the far ones to roll into). A name
//! the engine cannot read is logged and left out; an instrument no longer active (delivered) is
//! not added. Ids never change: new instruments are appended, so everything keyed by id stays
//! right.

use crate::journal::Entry;
use engine::{Instrument, InstrumentId, Instruments};
use serde_json::Value;

/// Adds to `instruments` what `list` (`public/get_instruments`' result) names and it does not
/// have yet; the ids added.
pub fn add_listed(instruments: &mut Instruments, list: &Value) -> Vec<InstrumentId> {
    let mut added = Vec::new();
    for item in list.as_array().into_iter().flatten() {
        let name = item["instrument_name"].as_str().unwrap_or_default();
        if item["is_active"] == Value::Bool(false) || instruments.id(name).is_ok() {
            continue;
        }
        match Instrument::deribit(name).map(|i| instruments.intern(i)) {
            Ok(Ok(id)) => added.push(id),
            Ok(Err(e)) => tracing::warn!("instrument {name:?} left out: {e}"),
            Err(e) => tracing::warn!("instrument {name:?} left out: {e}"),
        }
    }
    added
}

/// Adds the instruments `entries` name that `instruments` lacks (expired and no longer listed:
/// their fills and deliveries are still the ledger's); how many.
pub fn add_journaled(instruments: &mut Instruments, entries: &[(u64, Entry)]) -> usize {
    let mut added = 0;
    for (_, e) in entries {
        let name = match e {
            Entry::Fill { instrument, .. } | Entry::Settled { instrument, .. } => instrument,
            _ => continue,
        };
        if instruments.id(name).is_err() {
            // One that does not parse is refused by the replay, naming its entry.
            if let Ok(i) = Instrument::deribit(name) {
                added += usize::from(instruments.intern(i).is_ok());
            }
        }
    }
    added
}

/// The channels of `ids` (each book at `interval`, each ticker).
pub fn instrument_channels(
    instruments: &Instruments,
    ids: &[InstrumentId],
    interval: &str,
) -> Vec<String> {
    (ids.iter())
        .flat_map(|id| {
            let name = instruments.get(*id).name();
            [
                format!("book.{name}.{interval}"),
                format!("ticker.{name}.100ms"),
            ]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn new_names_are_appended_and_the_rest_left_alone() {
        let mut instruments = Instruments::new();
        let first = json!([{"instrument_name": "ETH-27MAR26-2000-C", "is_active": true}]);
        assert_eq!(add_listed(&mut instruments, &first).len(), 1);
        let again = json!([
            {"instrument_name": "ETH-27MAR26-2000-C", "is_active": true},
            {"instrument_name": "ETH-24APR26-2000-C", "is_active": true},
            {"instrument_name": "ETH-6MAR26-2000-C", "is_active": false},
            {"instrument_name": "not an instrument"}
        ]);
        let added = add_listed(&mut instruments, &again);
        assert_eq!(added, [InstrumentId(1)], "appended: the first keeps its id");
        assert_eq!(instruments.get(added[0]).name(), "ETH-24APR26-2000-C");
        let channels = instrument_channels(&instruments, &added, "raw");
        assert_eq!(
            channels,
            [
                "book.ETH-24APR26-2000-C.raw",
                "ticker.ETH-24APR26-2000-C.100ms"
            ]
        );
        // Expired and no longer listed: the journal's fills and deliveries name it.
        let entries = [(
            1,
            Entry::Settled {
                instrument: "ETH-6MAR26-2000-C".into(),
                value: rust_decimal::Decimal::ZERO,
                fee: rust_decimal::Decimal::ZERO,
                timestamp_ms: 1,
            },
        )];
        assert_eq!(add_journaled(&mut instruments, &entries), 1);
        assert_eq!(add_journaled(&mut instruments, &entries), 0);
        assert!(instruments.id("ETH-6MAR26-2000-C").is_ok());
    }
}
