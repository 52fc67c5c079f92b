//! A chain snapshot as the [`State`] a strategy reads: the index, each expiry's forward (Deribit's
//! `underlying_price`), each option's best bid and ask on its tick grid, and the surface fitted to
//! the snapshot. Positions start flat. The snapshot format has no book sizes, so every top level
//! carries size 0 (the strategies use the prices only).

use crate::chain::Snapshot;
use crate::chain_surface::fit_surface;
use engine::instrument::{InstrumentKind, SpecError, ValueError};
use engine::state::{Stamped, State, StateBuilder, SurfaceState, Top};
use engine::{Instrument, InstrumentId, Instruments, Price, Qty};
use rustc_hash::FxHashSet;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ChainStateError {
    #[error("snapshot at {0} has no rows")]
    Empty(engine::Timestamp),
    #[error("instrument {name}: {source}")]
    Spec { name: String, source: SpecError },
    #[error(transparent)]
    Value(#[from] ValueError),
    #[error("instrument {0} is not an option")]
    NotAnOption(String),
    #[error("instrument {name}: {what} {value} is not a usable price")]
    BadPrice {
        name: String,
        what: &'static str,
        value: f64,
    },
    #[error("snapshot mixes underlyings: {0} and {1}")]
    MixedUnderlyings(String, String),
    #[error("instrument {0} is listed twice in one snapshot")]
    Duplicate(String),
    #[error("instrument {0} has other contract terms than when first seen")]
    Conflicting(String),
}

/// The snapshot's options interned into `instruments` (ids stay stable across snapshots) and
/// turned into a [`State`] at the snapshot's time, with the surface fitted to it.
pub fn state_from_snapshot(
    snapshot: &Snapshot,
    instruments: &mut Instruments,
) -> Result<State, ChainStateError> {
    let mut state = unfitted_state(snapshot, instruments)?;
    state.surface = Some(surface_of(snapshot));
    Ok(state)
}

/// The surface fitted to the snapshot, as of its time.
pub fn surface_of(snapshot: &Snapshot) -> SurfaceState {
    SurfaceState {
        surface: fit_surface(snapshot).into(),
        fitted: snapshot.timestamp,
    }
}

/// [`state_from_snapshot`] without the surface (no fit: it is most of the cost, and a replay
/// asks for one only every `surface_seconds`).
pub fn unfitted_state(
    snapshot: &Snapshot,
    instruments: &mut Instruments,
) -> Result<State, ChainStateError> {
    let ids = option_ids(snapshot, instruments)?;
    known_state(snapshot, &ids, instruments)
}

/// The option of each of the snapshot's rows, interned into `instruments`; an option named
/// twice is refused.
pub(crate) fn option_ids(
    snapshot: &Snapshot,
    instruments: &mut Instruments,
) -> Result<Vec<InstrumentId>, ChainStateError> {
    let mut seen = FxHashSet::default();
    let mut ids = Vec::with_capacity(snapshot.rows.len());
    for row in &snapshot.rows {
        if !seen.insert(&*row.instrument) {
            return Err(ChainStateError::Duplicate(row.instrument.to_string()));
        }
        ids.push(option_id(&row.instrument, instruments)?);
    }
    Ok(ids)
}

/// [`unfitted_state`] of rows whose options are known: `ids[i]` is row i's, an option in
/// `instruments`, each named once (the Tardis market keeps its quotes by id: no name is looked
/// up again at each rebuild).
pub(crate) fn known_state(
    snapshot: &Snapshot,
    ids: &[InstrumentId],
    instruments: &Instruments,
) -> Result<State, ChainStateError> {
    let first = snapshot
        .rows
        .first()
        .ok_or(ChainStateError::Empty(snapshot.timestamp))?;
    debug_assert_eq!(ids.len(), snapshot.rows.len(), "an id for each row");
    let now = snapshot.timestamp;
    let on = ids
        .first()
        .map(|&id| &instruments.get(id).parsed().underlying);
    let mut state = StateBuilder::new(now, on.map_or("", |u| u.as_str()));
    for (row, &id) in snapshot.rows.iter().zip(ids) {
        let instrument = instruments.get(id);
        if on.is_some_and(|u| *u != instrument.parsed().underlying) {
            let first = on.cloned().unwrap_or_default();
            return Err(ChainStateError::MixedUnderlyings(
                first,
                row.instrument.to_string(),
            ));
        }
        let top = Top {
            bid: price(instrument, "best bid", row.bid.filter(|b| *b > 0.0))?.map(|p| (p, Qty(0))),
            ask: price(instrument, "best ask", row.ask)?.map(|p| (p, Qty(0))),
            live: true,
            updated: now,
        };
        state
            .push(id, instrument, row.underlying, top, Qty(0))
            .map_err(|e| ChainStateError::NotAnOption(e.0))?;
    }
    let index = Stamped {
        value: first.index,
        at: now,
    };
    Ok(state.finish(Some(index), None))
}

/// The id of option `name`: looked up, or parsed and interned the first time it is seen (a
/// chain names the same few hundred options in every snapshot).
fn option_id(name: &str, instruments: &mut Instruments) -> Result<InstrumentId, ChainStateError> {
    if let Ok(id) = instruments.id(name) {
        return match instruments.get(id).kind() {
            InstrumentKind::Option { .. } => Ok(id),
            _ => Err(ChainStateError::NotAnOption(name.to_string())),
        };
    }
    let instrument = Instrument::deribit(name).map_err(|source| ChainStateError::Spec {
        name: name.to_string(),
        source,
    })?;
    if !matches!(instrument.kind(), InstrumentKind::Option { .. }) {
        return Err(ChainStateError::NotAnOption(name.to_string()));
    }
    instruments
        .intern(instrument)
        .map_err(|e| ChainStateError::Conflicting(e.0))
}

/// An ETH price from the data on the instrument's grid: its shortest decimal form, which must be
/// a valid price (never rounded onto the grid).
fn price(
    instrument: &Instrument,
    what: &'static str,
    value: Option<f64>,
) -> Result<Option<Price>, ChainStateError> {
    let Some(v) = value else {
        return Ok(None);
    };
    let bad = || ChainStateError::BadPrice {
        name: instrument.name().to_string(),
        what,
        value: v,
    };
    if !(v.is_finite() && v > 0.0) {
        return Err(bad());
    }
    Ok(Some(instrument.price_of_f64(v)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::ChainRow;
    use engine::instrument::{ContractSpec, InstrumentName, PnlStyle};
    use engine::pricing::OptionType;
    use engine::Timestamp;
    use rust_decimal::Decimal;

    fn row(name: &str, strike: f64, bid: Option<f64>, ask: Option<f64>) -> ChainRow {
        ChainRow {
            instrument: name.into(),
            expiry: "27MAR26".into(),
            kind: OptionType::Call,
            strike,
            underlying: 2000.0,
            t: 0.1,
            bid,
            ask,
            mark: 0.05,
            mark_iv: 0.6,
            index: 1995.0,
        }
    }

    #[test]
    fn tops_on_the_tick_grid_and_off_grid_prices_refused() {
        let snapshot = Snapshot {
            timestamp: Timestamp::from_millis(1_772_000_000_000),
            rows: vec![
                row("ETH-27MAR26-2000-C", 2000.0, Some(0.0505), Some(0.052)),
                row("ETH-27MAR26-2100-C", 2100.0, None, Some(0.0031)),
            ],
        };
        let mut instruments = Instruments::new();
        let state = state_from_snapshot(&snapshot, &mut instruments).unwrap();
        assert_eq!(state.expiries.len(), 1);
        assert_eq!(state.series.len(), 2);
        assert_eq!(state.series[0].top.bid.map(|b| b.0), Some(Price(505)));
        assert_eq!(state.series[0].top.ask.map(|a| a.0), Some(Price(520)));
        assert_eq!(state.series[1].top.bid, None);
        assert_eq!(state.index.map(|i| i.value), Some(1995.0));
        // 0.05234 is not on the 0.0005 grid above 0.005: refused, naming the instrument.
        let bad = Snapshot {
            rows: vec![row("ETH-27MAR26-2000-C", 2000.0, Some(0.05234), None)],
            ..snapshot.clone()
        };
        let err = state_from_snapshot(&bad, &mut instruments).unwrap_err();
        assert!(err.to_string().contains("ETH-27MAR26-2000-C"), "{err}");
    }

    /// The state from known ids is the state from names; an option named twice, and two
    /// underlyings in one snapshot, are refused naming the row.
    #[test]
    fn known_ids_give_the_named_state_and_bad_snapshots_are_refused() {
        let at = Timestamp::from_millis(1_772_000_000_000);
        let snapshot = |names: &[&str]| Snapshot {
            timestamp: at,
            rows: names
                .iter()
                .map(|n| row(n, 2000.0, Some(0.0505), Some(0.052)))
                .collect(),
        };
        let good = snapshot(&["ETH-27MAR26-2000-C", "ETH-27MAR26-2000-P"]);
        let mut instruments = Instruments::new();
        let named = unfitted_state(&good, &mut instruments).unwrap();
        let ids = option_ids(&good, &mut instruments).unwrap();
        assert_eq!(ids, named.series.iter().map(|s| s.id).collect::<Vec<_>>());
        let known = known_state(&good, &ids, &instruments).unwrap();
        assert_eq!(format!("{known:?}"), format!("{named:?}"));

        let twice = snapshot(&["ETH-27MAR26-2000-C", "ETH-27MAR26-2000-C"]);
        let err = unfitted_state(&twice, &mut instruments).unwrap_err();
        assert!(matches!(err, ChainStateError::Duplicate(ref n) if n == "ETH-27MAR26-2000-C"));
        // Only ETH has a built-in spec: a BTC option known to the registry beforehand.
        let btc = InstrumentName::parse("BTC-27MAR26-2000-C").unwrap();
        let spec = ContractSpec {
            price_unit: Decimal::new(1, 4),
            tick_size: Decimal::new(5, 4),
            tick_size_steps: vec![],
            contract_size: Decimal::ONE,
            min_amount: Decimal::new(1, 1),
            settlement_currency: "BTC".into(),
            pnl: PnlStyle::Linear,
            tradeable: true,
        };
        instruments
            .intern(Instrument::new(btc, spec).unwrap())
            .unwrap();
        let mixed = snapshot(&["ETH-27MAR26-2000-C", "BTC-27MAR26-2000-C"]);
        let err = unfitted_state(&mixed, &mut instruments).unwrap_err();
        assert!(
            matches!(err, ChainStateError::MixedUnderlyings(ref a, ref b) if a == "ETH" && b == "BTC-27MAR26-2000-C"),
            "{err}"
        );
    }
}
