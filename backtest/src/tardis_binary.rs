//! Tardis.dev book and trade rows written once in the binary event format ([`crate::binary`]),
//! so that replaying the same data again is not bound by CSV parsing.
//!
//! A symbol's snapshot run becomes a clear and its levels, all at the run's first time (the
//! binary replay takes the levels sharing a clear's time as the snapshot); a book snapshot row
//! likewise; other levels and trades one record each. `options_chain` rows carry no book events
//! and are passed over (counted). Instruments get dense ids in order of first sight; their names
//! are written beside the file, one a line in id order (`<file>.symbols`). Rows are resolved as
//! the market's are ([`crate::tardis::resolve`]): prices and amounts exactly; a row the engine
//! cannot use (a value off the instrument's grid, a symbol it does not know) is an error naming
//! the row.

use crate::binary::{BinaryError, Kind, Record, Writer};
use crate::tardis::resolve::{Accept, Event};
use crate::tardis::{Origin, Resolver, Row, TardisError, TardisEvent};
use engine::{InstrumentId, Price, Qty, Side, Timestamp};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ConvertError {
    #[error(transparent)]
    Tardis(#[from] TardisError),
    #[error(transparent)]
    Binary(#[from] BinaryError),
    #[error("{origin}: row at {at}: {message}")]
    Row {
        origin: Origin,
        at: Timestamp,
        message: String,
    },
    /// Writing or renaming an output failed (the source says why).
    #[error("{}: cannot {what}", file.display())]
    Write {
        file: PathBuf,
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
}

/// What a conversion wrote.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Converted {
    pub records: u64,
    /// Names by id.
    pub symbols: Vec<String>,
    /// options_chain rows passed over.
    pub quotes_passed: u64,
    /// Rows of other symbols than the one asked for.
    pub other_symbols: u64,
}

/// The path of the symbol table beside a binary file.
pub fn symbols_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".symbols");
    PathBuf::from(name)
}

/// Converts `rows` (time-ordered) into the binary file `out` and its symbol table beside it,
/// only the rows of `only` when given. Both are written under temporary names and renamed once
/// whole: a failed run leaves the previous pair as it was and no partial file.
pub fn convert(
    rows: impl Iterator<Item = Result<Row, TardisError>>,
    out: &Path,
    only: Option<&str>,
) -> Result<Converted, ConvertError> {
    let tmp = |p: &Path| {
        let mut name = p.as_os_str().to_owned();
        name.push(format!(".tmp-{}", std::process::id()));
        PathBuf::from(name)
    };
    let (bin, symbols) = (tmp(out), tmp(&symbols_path(out)));
    let done = convert_into(rows, &bin, &symbols, only);
    let renamed = done.and_then(|d| {
        for (from, to) in [(&symbols, symbols_path(out)), (&bin, out.to_path_buf())] {
            std::fs::rename(from, &to).map_err(|source| ConvertError::Write {
                file: to.clone(),
                what: "rename into place",
                source,
            })?;
        }
        Ok(d)
    });
    if renamed.is_err() {
        std::fs::remove_file(&bin).ok();
        std::fs::remove_file(&symbols).ok();
    }
    renamed
}

fn convert_into(
    rows: impl Iterator<Item = Result<Row, TardisError>>,
    out: &Path,
    symbols_file: &Path,
    only: Option<&str>,
) -> Result<Converted, ConvertError> {
    let mut w = Writer::create(out)?;
    let mut resolver = Resolver::new(Accept::Any);
    let mut done = Converted::default();
    // The time of each symbol's snapshot run in progress.
    let mut run_at: HashMap<InstrumentId, Timestamp> = HashMap::new();
    let mut made = Vec::new();
    for row in rows {
        let row = row?;
        // Passed over before resolving: only the rows written name instruments.
        let symbol = match &row.event {
            TardisEvent::Quote(_) => {
                done.quotes_passed += 1;
                continue;
            }
            TardisEvent::Snapshot { symbol, .. }
            | TardisEvent::Level { symbol, .. }
            | TardisEvent::Trade { symbol, .. } => symbol,
        };
        if only.is_some_and(|o| o != &**symbol) {
            done.other_symbols += 1;
            continue;
        }
        let row = resolver.resolve(row);
        let event = row.event.map_err(|message| ConvertError::Row {
            origin: row.origin,
            at: row.at,
            message,
        })?;
        records_of(event, row.at, &mut run_at, &mut made);
        for record in made.drain(..) {
            w.write(&record)?;
            done.records += 1;
        }
    }
    w.finish()?;
    done.symbols = resolver
        .instruments()
        .iter()
        .map(|(_, inst)| inst.name().to_string())
        .collect();
    let file = symbols_file.to_path_buf();
    std::fs::write(&file, done.symbols.join("\n") + "\n").map_err(|source| {
        ConvertError::Write {
            file: file.clone(),
            what: "write",
            source,
        }
    })?;
    Ok(done)
}

/// The records of resolved row `event` at `at`, into `out`. A book snapshot run's levels all
/// take the run's first time (`run_at` keeps it per instrument), after a clear.
fn records_of(
    event: Event,
    at: Timestamp,
    run_at: &mut HashMap<InstrumentId, Timestamp>,
    out: &mut Vec<Record>,
) {
    let record = |at, instrument, kind, side, price, qty| Record {
        at,
        instrument,
        kind,
        side,
        price,
        qty,
    };
    let clear = |id| record(at, id, Kind::Clear, Side::Buy, Price(0), Qty(0));
    match event {
        Event::Quote { .. } => {}
        Event::Snapshot { id, bids, asks } => {
            out.push(clear(id));
            for (side, levels) in [(Side::Buy, bids), (Side::Sell, asks)] {
                out.extend(
                    levels
                        .into_iter()
                        .map(|(p, q)| record(at, id, Kind::Level, side, p, q)),
                );
            }
        }
        Event::Level {
            id,
            snapshot,
            reset,
            side,
            price,
            qty,
        } => {
            if reset {
                run_at.insert(id, at);
                out.push(clear(id));
            } else if !snapshot {
                run_at.remove(&id);
            }
            let level_at = match snapshot {
                true => run_at.get(&id).copied().unwrap_or(at),
                false => at,
            };
            out.push(record(level_at, id, Kind::Level, side, price, qty));
        }
        Event::Trade {
            id,
            side,
            price,
            qty,
        } => out.push(record(at, id, Kind::Trade, side, price, qty)),
    }
}
