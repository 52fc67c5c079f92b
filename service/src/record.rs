//! Between the trader and the journal: each action sent and each venue event as an [`Entry`]
//! (exact decimals, names not ids: the journal outlives a registry), and at a restart the
//! journal read back into what the new trader and tracker must know.

use crate::journal::Entry;
use engine::position::Fill;
use engine::quotes::Action;
use engine::trader::{Trader, VenueEvent};
use engine::{Instruments, Side, Timestamp};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use thiserror::Error;

/// The intent of `action`, written before it is sent; `instrument_of` names the instrument of
/// an amend's or a cancel's order.
pub fn intent(
    instruments: &Instruments,
    action: &Action,
    instrument_of: impl Fn(u64) -> Option<engine::InstrumentId>,
) -> Entry {
    let name = |id: Option<engine::InstrumentId>| {
        id.map_or_else(String::new, |id| instruments.get(id).name().to_string())
    };
    match *action {
        Action::Place {
            client_id,
            key,
            price,
            qty,
        } => {
            let inst = instruments.get(key.instrument);
            Entry::Intent {
                client_id,
                action: "place".into(),
                instrument: inst.name().to_string(),
                side: Some(key.side.to_string()),
                price: Some(inst.price_decimal(price)),
                amount: Some(inst.qty_decimal(qty)),
            }
        }
        Action::Take {
            client_id,
            instrument,
            side,
            price,
            qty,
        } => {
            let inst = instruments.get(instrument);
            Entry::Intent {
                client_id,
                action: "take".into(),
                instrument: inst.name().to_string(),
                side: Some(side.to_string()),
                price: Some(inst.price_decimal(price)),
                amount: Some(inst.qty_decimal(qty)),
            }
        }
        Action::Amend {
            client_id,
            price,
            amount,
        } => {
            let id = instrument_of(client_id);
            let decimals = id.map(|id| instruments.get(id));
            Entry::Intent {
                client_id,
                action: "amend".into(),
                instrument: name(id),
                side: None,
                price: decimals.map(|i| i.price_decimal(price)),
                amount: decimals.map(|i| i.qty_decimal(amount)),
            }
        }
        Action::Cancel { client_id } => Entry::Intent {
            client_id,
            action: "cancel".into(),
            instrument: name(instrument_of(client_id)),
            side: None,
            price: None,
            amount: None,
        },
    }
}

/// The entry of a venue event, if it is one the journal keeps (acknowledgements, fills with their
/// trade id, ends, deliveries); `trade_id` is the fill's.
pub fn entry(
    instruments: &Instruments,
    event: &VenueEvent,
    trade_id: Option<&str>,
) -> Option<Entry> {
    let ended = |client_id: u64, why: &str| {
        Some(Entry::Ended {
            client_id,
            why: why.into(),
        })
    };
    match *event {
        VenueEvent::Accepted {
            client_id,
            venue_id,
        } => Some(Entry::Accepted {
            client_id,
            order_id: venue_id.0.to_string(),
        }),
        VenueEvent::Filled { client_id, fill } => {
            let inst = instruments.get(fill.instrument);
            Some(Entry::Fill {
                client_id,
                trade_id: trade_id.unwrap_or_default().to_string(),
                instrument: inst.name().to_string(),
                side: fill.side.to_string(),
                price: inst.price_decimal(fill.price),
                amount: inst.qty_decimal(fill.qty),
                fee: fill.fee,
                timestamp_ms: fill.ts.0 / 1_000_000,
            })
        }
        VenueEvent::Rejected { client_id } => ended(client_id, "rejected"),
        VenueEvent::Cancelled { client_id } => ended(client_id, "cancelled"),
        VenueEvent::Expired { client_id } => ended(client_id, "expired"),
        VenueEvent::Settled {
            instrument,
            value,
            fee,
            at,
        } => Some(Entry::Settled {
            instrument: instruments.get(instrument).name().to_string(),
            value,
            fee,
            timestamp_ms: at.0 / 1_000_000,
        }),
        VenueEvent::Amended { .. } | VenueEvent::Refused { .. } => None,
    }
}

#[derive(Debug, Error, PartialEq)]
#[error("journal entry {seq}: {why}")]
pub struct ReplayError {
    pub seq: u64,
    pub why: String,
}

/// What the journal says a restarted service must know.
#[derive(Debug, Default, PartialEq)]
pub struct Replayed {
    /// Every fill, in the order booked, with its trade id.
    pub fills: Vec<(String, Fill)>,
    /// Every delivery, in the order booked (after the fills of its instrument, always).
    pub settled: Vec<VenueEvent>,
    /// The highest client id ever used (intents are written before sending: none past it).
    pub last_client_id: u64,
    /// Entries read.
    pub entries: u64,
}

/// The journal's `entries` read back against `instruments`; a fill that cannot be read (an
/// instrument no longer listed, a price off its grid) is refused naming the entry: positions
/// must not silently differ from what was booked.
pub fn replay(
    instruments: &Instruments,
    entries: &[(u64, Entry)],
) -> Result<Replayed, ReplayError> {
    let mut r = Replayed::default();
    for (seq, e) in entries {
        r.entries += 1;
        let bad = |why: String| ReplayError { seq: *seq, why };
        match e {
            Entry::Intent { client_id, .. } => r.last_client_id = r.last_client_id.max(*client_id),
            Entry::Fill {
                client_id,
                trade_id,
                instrument,
                side,
                price,
                amount,
                fee,
                timestamp_ms,
            } => {
                r.last_client_id = r.last_client_id.max(*client_id);
                let id = (instruments.id(instrument)).map_err(|e| bad(e.to_string()))?;
                let inst = instruments.get(id);
                let side: Side = side.parse().map_err(|_| bad(format!("side {side:?}")))?;
                let fill = Fill {
                    instrument: id,
                    side,
                    price: inst.price(*price).map_err(|e| bad(e.to_string()))?,
                    qty: inst.qty(*amount).map_err(|e| bad(e.to_string()))?,
                    fee: *fee,
                    ts: Timestamp::from_millis(*timestamp_ms),
                };
                r.fills.push((trade_id.clone(), fill));
            }
            Entry::Settled {
                instrument,
                value,
                fee,
                timestamp_ms,
            } => {
                let id = (instruments.id(instrument)).map_err(|e| bad(e.to_string()))?;
                r.settled.push(VenueEvent::Settled {
                    instrument: id,
                    value: *value,
                    fee: *fee,
                    at: Timestamp::from_millis(*timestamp_ms),
                });
            }
            Entry::Accepted { .. } | Entry::Ended { .. } => {}
        }
    }
    Ok(r)
}

/// The journal's fills, then its deliveries, booked into `trader` as they were (a restart).
pub fn restore(trader: &mut Trader, instruments: &Instruments, replayed: &Replayed) {
    let fills: Vec<_> = replayed.fills.iter().map(|(_, f)| *f).collect();
    trader.restore(instruments, &fills);
    // Deliveries after the fills: nothing trades once its instrument has expired.
    for settled in &replayed.settled {
        trader.on_event(instruments, *settled);
    }
}

/// What a journal holds, read back as a restart books it (`rollmaker journal`).
#[derive(Debug, Serialize)]
pub struct Holdings {
    pub entries: u64,
    pub fills: usize,
    /// Fills under distinct trade ids (equal to `fills`: none booked twice).
    pub distinct_trades: usize,
    pub deliveries: usize,
    pub last_client_id: u64,
    /// Each position not flat, in contracts (signed: short below zero), exactly as booked.
    pub positions: BTreeMap<String, Decimal>,
}

/// The holdings `entries` make: every instrument they name taken as Deribit names it.
pub fn holdings(entries: &[(u64, Entry)]) -> Result<Holdings, ReplayError> {
    let mut instruments = Instruments::new();
    crate::listing::add_journaled(&mut instruments, entries);
    let replayed = replay(&instruments, entries)?;
    // Rules for a trader that never quotes: only its ledger is read.
    let rules = engine::quotes::QuoteRules {
        price_threshold_ticks: 0,
        size_threshold_lots: 0,
        max_actions_per_second: 1,
    };
    let mut trader = Trader::new(rules, 0);
    restore(&mut trader, &instruments, &replayed);
    let positions = (trader.ledger().iter())
        .filter(|(_, p)| p.size().0 != 0)
        .map(|(id, p)| {
            let inst = instruments.get(id);
            (inst.name().to_string(), inst.qty_decimal(p.size()))
        })
        .collect();
    let trades: BTreeSet<&str> = replayed.fills.iter().map(|(t, _)| t.as_str()).collect();
    Ok(Holdings {
        entries: replayed.entries,
        fills: replayed.fills.len(),
        distinct_trades: trades.len(),
        deliveries: replayed.settled.len(),
        last_client_id: replayed.last_client_id,
        positions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::matching::OrderId;
    use engine::quotes::QuoteKey;
    use engine::{Instrument, Price, Qty};
    use rust_decimal::Decimal;

    #[test]
    fn intents_and_fills_go_in_as_decimals_and_come_back_as_booked() {
        let mut instruments = Instruments::new();
        let call =
            (instruments.intern(Instrument::deribit("ETH-27MAR26-2000-C").unwrap())).unwrap();
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
        let Entry::Intent { price, amount, .. } = intent(&instruments, &place, |_| None) else {
            panic!()
        };
        assert_eq!(
            (price, amount),
            (Some(Decimal::new(505, 4)), Some(Decimal::from(10)))
        );
        let cancel = intent(&instruments, &Action::Cancel { client_id: 41 }, |_| {
            Some(call)
        });
        assert!(
            matches!(cancel, Entry::Intent { ref instrument, .. } if instrument == "ETH-27MAR26-2000-C")
        );
        let fill = Fill {
            instrument: call,
            side: Side::Sell,
            price: Price(505),
            qty: Qty(4),
            fee: Decimal::new(3, 4),
            ts: Timestamp::from_millis(1_774_000_000_000),
        };
        let events = [
            VenueEvent::Accepted {
                client_id: 41,
                venue_id: OrderId(1),
            },
            VenueEvent::Filled {
                client_id: 41,
                fill,
            },
            VenueEvent::Cancelled { client_id: 41 },
            VenueEvent::Settled {
                instrument: call,
                value: Decimal::new(2, 1),
                fee: Decimal::new(15, 5),
                at: Timestamp::from_millis(1_774_598_400_000),
            },
        ];
        let mut entries = vec![(1, intent(&instruments, &place, |_| None))];
        for (i, e) in events.iter().enumerate() {
            let trade = matches!(e, VenueEvent::Filled { .. }).then_some("T-1");
            entries.push((i as u64 + 2, entry(&instruments, e, trade).unwrap()));
        }
        let r = replay(&instruments, &entries).unwrap();
        assert_eq!(r.fills, [("T-1".to_string(), fill)]);
        assert_eq!(r.settled, events[3..], "the delivery, exactly as booked");
        assert_eq!((r.last_client_id, r.entries), (41, 5));
        // A fill of an instrument no longer listed is refused, naming the entry.
        let mut other = Instruments::new();
        other
            .intern(Instrument::deribit("ETH-PERPETUAL").unwrap())
            .unwrap();
        assert_eq!(replay(&other, &entries).unwrap_err().seq, 3);
    }

    #[test]
    fn holdings_are_the_positions_a_restart_books() {
        let fill = |seq: u64, trade: &str, instrument: &str, side: &str, amount: i64| {
            let e = Entry::Fill {
                client_id: seq,
                trade_id: trade.into(),
                instrument: instrument.into(),
                side: side.into(),
                price: Decimal::new(5, 2),
                amount: Decimal::from(amount),
                fee: Decimal::ZERO,
                timestamp_ms: 1_774_000_000_000,
            };
            (seq, e)
        };
        let settled = Entry::Settled {
            instrument: "ETH-27MAR26-2000-C".into(),
            value: Decimal::ZERO,
            fee: Decimal::ZERO,
            timestamp_ms: 1_774_598_400_000,
        };
        let entries = vec![
            fill(1, "T-1", "ETH-27MAR26-2000-C", "sell", 10),
            fill(2, "T-2", "ETH-26JUN26-2000-C", "buy", 5),
            fill(3, "T-3", "ETH-26JUN26-2000-C", "sell", 2),
            fill(4, "T-3", "ETH-26JUN26-2000-C", "sell", 1),
            (5, settled),
        ];
        let h = holdings(&entries).unwrap();
        assert_eq!((h.entries, h.fills, h.distinct_trades), (5, 4, 3));
        assert_eq!((h.deliveries, h.last_client_id), (1, 4));
        // The delivered series is gone; the other nets its fills, as booked (the ledger does
        // not drop a trade id seen twice: the tracker does, before the journal).
        let june = [("ETH-26JUN26-2000-C".to_string(), Decimal::from(2))];
        assert_eq!(h.positions, june.into_iter().collect());
        let bad = vec![fill(1, "T-1", "ETH-27MAR26-2000-C", "across", 1)];
        assert_eq!(holdings(&bad).unwrap_err().seq, 1);
    }
}
