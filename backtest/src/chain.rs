//! The Deribit ETH option-chain snapshot files of `../shared/data/deribit_eth_chain/` (see its
//! README): CSV, optionally gzipped, one row per option, snapshots as runs of rows sharing a
//! `timestamp`, files in time order. Read as a stream of snapshots; memory holds one snapshot.
//!
//! Prices stay `f64` here: they feed implied vols and surfaces, not the books. Every bad field is
//! an error naming the file, the line and the column.

use crate::csv_file;
use crate::quote_check::{self, Fault};
use engine::instrument::{InstrumentKind, InstrumentName};
use engine::pricing::OptionType;
use engine::Timestamp;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A bad file or row, located.
pub type ChainError = csv_file::DataError;

/// One option's row.
#[derive(Clone, Debug, PartialEq)]
pub struct ChainRow {
    /// Shared (`Arc`): a replay names the same few hundred options and expiries in every
    /// snapshot it builds.
    pub instrument: Arc<str>,
    /// The expiry code of the name, e.g. `27MAR26`.
    pub expiry: Arc<str>,
    pub kind: OptionType,
    pub strike: f64,
    /// The forward of the option's expiry (USD).
    pub underlying: f64,
    /// Years to expiry.
    pub t: f64,
    /// Best bid and ask in ETH; None where that side is empty.
    pub bid: Option<f64>,
    pub ask: Option<f64>,
    pub mark: f64,
    /// Deribit's mark implied vol as a fraction.
    pub mark_iv: f64,
    pub index: f64,
}

/// All rows sharing one timestamp.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub timestamp: Timestamp,
    pub rows: Vec<ChainRow>,
}

/// A row as the file has it (columns found by name; others ignored).
#[derive(serde::Deserialize)]
struct Record {
    timestamp: String,
    instrument_name: String,
    underlying: f64,
    strike: f64,
    time_to_maturity: f64,
    bid_price: Option<f64>,
    ask_price: Option<f64>,
    mark_price: f64,
    implied_volatility: f64,
    index_price: f64,
}

/// The columns a chain file must have: [`Record`]'s fields.
const COLUMNS: [&str; 10] = [
    "timestamp",
    "instrument_name",
    "underlying",
    "strike",
    "time_to_maturity",
    "bid_price",
    "ask_price",
    "mark_price",
    "implied_volatility",
    "index_price",
];

/// Streams the snapshots of one file.
pub struct ChainReader {
    file: PathBuf,
    records: csv::StringRecordsIntoIter<Box<dyn Read + Send>>,
    header: csv::StringRecord,
    pending: Option<(Timestamp, ChainRow)>,
    done: bool,
    lenient: bool,
    /// Bad rows skipped (lenient readers only).
    pub skipped: u64,
    /// The line of the last record read (1: the header).
    line: u64,
}

impl ChainReader {
    /// Opens a `.csv` or `.csv.gz` chain file and checks its header.
    pub fn open(path: &Path) -> Result<ChainReader, ChainError> {
        let (reader, header) = csv_file::open(path)?;
        if let Some(name) = COLUMNS.iter().find(|c| !header.iter().any(|h| h == **c)) {
            let message = format!("the header has no `{name}` column");
            return Err(ChainError::new(path, 1, message));
        }
        Ok(ChainReader {
            file: path.to_path_buf(),
            records: reader.into_records(),
            header,
            pending: None,
            done: false,
            lenient: false,
            skipped: 0,
            line: 1,
        })
    }

    /// Bad rows are skipped and counted (in `skipped`) instead of ending the stream. A header
    /// that does not fit, and time going backwards, still end it.
    pub fn lenient(mut self) -> ChainReader {
        self.lenient = true;
        self
    }

    fn error(&self, line: u64, message: String) -> ChainError {
        ChainError::new(&self.file, line, message)
    }

    fn parse(&self, record: &csv::StringRecord) -> Result<(Timestamp, ChainRow), ChainError> {
        let line = record.position().map_or(0, |p| p.line());
        let r: Record = csv_file::deserialize(record, &self.header)
            .and_then(|r: Record| finite_fields(&r).map(|_| r))
            .map_err(|m| self.error(line, m))?;
        let stamp = &r.timestamp;
        let timestamp = chrono::DateTime::parse_from_rfc3339(stamp)
            .ok()
            .and_then(|d| Timestamp::from_datetime(d.to_utc()))
            .ok_or_else(|| {
                self.error(line, format!("timestamp {stamp:?} is not an ISO 8601 time"))
            })?;
        let name = r.instrument_name;
        let parsed = InstrumentName::parse(&name).map_err(|e| self.error(line, e.to_string()))?;
        let InstrumentKind::Option { expiry, right, .. } = &parsed.kind else {
            return Err(self.error(line, format!("{name:?} is not an option")));
        };
        let kind = OptionType::from(*right);
        let row = ChainRow {
            expiry: expiry.to_string().into(),
            instrument: name.into(),
            kind,
            strike: r.strike,
            underlying: r.underlying,
            t: r.time_to_maturity,
            bid: r.bid_price,
            ask: r.ask_price,
            mark: r.mark_price,
            mark_iv: r.implied_volatility,
            index: r.index_price,
        };
        if let Some(message) = implausible(&row) {
            return Err(self.error(line, message));
        }
        Ok((timestamp, row))
    }
}

/// Every number of the record finite, every price not negative.
fn finite_fields(r: &Record) -> Result<(), String> {
    csv_file::finite(&[
        ("underlying", r.underlying),
        ("strike", r.strike),
        ("time_to_maturity", r.time_to_maturity),
        ("bid_price", r.bid_price.unwrap_or(0.0)),
        ("ask_price", r.ask_price.unwrap_or(0.0)),
        ("mark_price", r.mark_price),
        ("implied_volatility", r.implied_volatility),
        ("index_price", r.index_price),
    ])?;
    for (name, v) in [("bid_price", r.bid_price), ("ask_price", r.ask_price)] {
        if let Some(v) = v.filter(|v| *v < 0.0) {
            return Err(format!("{name} = {v} is negative"));
        }
    }
    Ok(())
}

/// What makes a parsed row unusable, if anything: numbers that parse but cannot be a market
/// (the real chain has none of these; they would turn into wrong figures downstream).
fn implausible(row: &ChainRow) -> Option<String> {
    if row.strike <= 0.0 || row.underlying <= 0.0 {
        return Some(format!(
            "strike {} and underlying {} must be positive",
            row.strike, row.underlying
        ));
    }
    // The index and the expiry's future differ by carry, never by half.
    let ratio = row.index / row.underlying;
    if !(0.5..=2.0).contains(&ratio) {
        return Some(format!(
            "index_price = {:?} is not within a factor 2 of underlying = {:?}",
            row.index, row.underlying
        ));
    }
    if row.t < 0.0 {
        return Some(format!("time_to_maturity = {:?} is negative", row.t));
    }
    let (mark, iv) = (row.mark, row.mark_iv);
    quote_check::check(mark, iv, row.bid, row.ask).map(|fault| match fault {
        Fault::NegativeMark => format!("mark_price = {mark:?} is negative"),
        Fault::Vol => format!(
            "implied_volatility = {iv:?} is not above 0 and at most 10 (1000%), nor 0 with a mark of 0"
        ),
        Fault::Crossed => format!(
            "crossed: bid_price = {:?} is above ask_price = {:?}",
            row.bid.unwrap_or_default(),
            row.ask.unwrap_or_default()
        ),
    })
}

impl Iterator for ChainReader {
    type Item = Result<Snapshot, ChainError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut snapshot: Option<Snapshot> = self.pending.take().map(|(timestamp, row)| Snapshot {
            timestamp,
            rows: vec![row],
        });
        loop {
            let Some(record) = self.records.next() else {
                self.done = true;
                return snapshot.map(Ok);
            };
            let line = crate::csv_file::line_of(&record, self.line);
            self.line = line;
            let parsed = record
                .map_err(|e| ChainError::caused(&self.file, line, "unreadable row", e))
                .and_then(|r| self.parse(&r));
            let (timestamp, row) = match parsed {
                Ok(v) => v,
                Err(_) if self.lenient => {
                    self.skipped += 1;
                    continue;
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            };
            match &mut snapshot {
                None => {
                    snapshot = Some(Snapshot {
                        timestamp,
                        rows: vec![row],
                    })
                }
                Some(s) if s.timestamp == timestamp => s.rows.push(row),
                Some(s) if self.lenient && timestamp < s.timestamp => {
                    self.skipped += 1;
                }
                Some(s) if timestamp < s.timestamp => {
                    self.done = true;
                    let message = format!(
                        "timestamp {timestamp} goes back in time (the snapshot before is at {})",
                        s.timestamp
                    );
                    return Some(Err(self.error(line, message)));
                }
                Some(_) => {
                    self.pending = Some((timestamp, row));
                    return snapshot.map(Ok);
                }
            }
        }
    }
}
