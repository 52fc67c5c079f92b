//! Tardis.dev rows written once in the binary event format ([`crate::binary`]), so that
//! replaying the same data again is not bound by CSV parsing: the full backtest reads it
//! ([`crate::tardis::binary_rows`]) as it reads the CSV files, and `replay` one book of it.
//!
//! Each row is one record at its own time: a chain quote as a quote record (its floats bit for
//! bit), a level or a trade as a book record. A level of a snapshot run carries its place in the
//! run (first or later), and the run's first level has a clear before it; a book snapshot row
//! becomes a clear and its levels as a run. Instruments get dense ids in order of first sight;
//! their names are written beside the file, one a line in id order (`<file>.symbols`). Rows are
//! resolved as the market's are ([`crate::tardis::resolve`]): prices and amounts exactly; a row
//! the engine cannot use (a value off the instrument's grid, a symbol it does not know) is an
//! error naming the row.

use crate::binary::{BinaryError, Kind, QuoteRecord, Record, Run, Writer};
use crate::tardis::resolve::{Accept, Event, SnapshotLevels};
use crate::tardis::{ChainQuote, Origin, Resolver, Row, Symbol, TardisError, TardisEvent};
use engine::{InstrumentId, Price, Qty, Side, Timestamp};
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
    /// Of the records, the options_chain quotes.
    pub quotes: u64,
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
    let mut made = Vec::new();
    for row in rows {
        let row = row?;
        // Passed over before resolving: only the rows written name instruments.
        let symbol = match &row.event {
            TardisEvent::Quote(q) => &q.symbol,
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
        if let Event::Quote { id, quote } = event {
            w.write_quote(&quote_record(row.at, id, &quote))?;
            done.quotes += 1;
            done.records += 1;
            continue;
        }
        records_of(event, row.at, &mut made);
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

/// A chain quote's record (the inverse of [`chain_quote`]).
pub fn quote_record(at: Timestamp, instrument: InstrumentId, q: &ChainQuote) -> QuoteRecord {
    QuoteRecord {
        at,
        instrument,
        strike: q.strike,
        expiration: q.expiration,
        bid: q.bid,
        ask: q.ask,
        mark: q.mark,
        mark_iv: q.mark_iv,
        underlying_price: q.underlying_price,
    }
}

/// The chain quote of `symbol` a quote record holds (the inverse of [`quote_record`]).
pub(crate) fn chain_quote(symbol: Symbol, q: QuoteRecord) -> ChainQuote {
    ChainQuote {
        symbol,
        strike: q.strike,
        expiration: q.expiration,
        bid: q.bid,
        ask: q.ask,
        mark: q.mark,
        mark_iv: q.mark_iv,
        underlying_price: q.underlying_price,
    }
}

/// The book records of resolved row `event` at `at`, into `out`: a snapshot run's first level
/// (and a book snapshot row) after a clear; an empty book snapshot, a clear marked `First`.
fn records_of(event: Event, at: Timestamp, out: &mut Vec<Record>) {
    let record = |instrument, kind, side, (price, qty), run| Record {
        at,
        instrument,
        kind,
        side,
        price,
        qty,
        run,
    };
    let clear = |id| record(id, Kind::Clear, Side::Buy, (Price(0), Qty(0)), Run::Delta);
    match event {
        Event::Quote { .. } => {}
        Event::Snapshot { id, levels } => {
            let SnapshotLevels { bids, asks } = *levels;
            // A snapshot of an empty book is its clear alone, marked as a run (the book is
            // emptied); a run of levels has its first level to say so.
            let run = match bids.is_empty() && asks.is_empty() {
                true => Run::First,
                false => Run::Delta,
            };
            out.push(record(id, Kind::Clear, Side::Buy, (Price(0), Qty(0)), run));
            let levels = (bids.into_iter().map(|l| (Side::Buy, l)))
                .chain(asks.into_iter().map(|l| (Side::Sell, l)));
            for (i, (side, level)) in levels.enumerate() {
                let run = if i == 0 { Run::First } else { Run::Rest };
                out.push(record(id, Kind::Level, side, level, run));
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
            let run = match (snapshot, reset) {
                (_, true) => Run::First,
                (true, false) => Run::Rest,
                (false, false) => Run::Delta,
            };
            if reset {
                out.push(clear(id));
            }
            out.push(record(id, Kind::Level, side, (price, qty), run));
        }
        Event::Trade {
            id,
            side,
            price,
            qty,
        } => out.push(record(id, Kind::Trade, side, (price, qty), Run::Delta)),
    }
}
