//! A binary event file ([`crate::binary`], written by `tardis-to-binary`) as the Tardis market's
//! resolved rows: the rows the CSV files give, read from fixed-size records (no text to parse,
//! prices already in the instruments' units). Each file id is named once by the symbol table
//! beside the file and resolved as a CSV row's symbol is (the same ids, the same instruments
//! listed, the same refusals: a future's rows under `Accept::Options`). Clears are passed over:
//! a snapshot run's first level says the book starts again.
//!
//! An error names the file and the record's index (in the place of a CSV row's line).

use super::batches::refill;
use super::resolve::{Event, Listed, Resolved};
use super::{FileId, Origin, Resolver, Symbol, TardisError};
use super::{StepRows, Steps};
use crate::binary::{self, Kind, QuoteRecord, Record, Run, QUOTE_SIZE};
use crate::sim::market::StepSource;
use crate::tardis_binary::{chain_quote, symbols_path};
use engine::{InstrumentId, Timestamp};
use std::path::Path;

/// The rows of a binary event file, resolved.
pub struct BinaryRows {
    reader: binary::Reader,
    /// The file, by number: every row's origin names it.
    file_id: FileId,
    /// The names of the file's ids, from its symbol table.
    names: Vec<Symbol>,
    /// Each file id's id in the stream (or why the engine cannot use it), once seen.
    ids: Vec<Option<Result<InstrumentId, String>>>,
    resolver: Resolver,
    index: u64,
    /// Records before this are passed over, unresolved (as the CSV rows before `--from`).
    from: Option<Timestamp>,
}

impl BinaryRows {
    /// Opens `path` and its symbol table, resolving with `resolver` (as the CSV rows would be).
    pub fn open(path: &Path, resolver: Resolver) -> Result<BinaryRows, TardisError> {
        let reader =
            binary::Reader::open(path).map_err(|e| TardisError::new(path, 0, e.to_string()))?;
        let table = symbols_path(path);
        let text = std::fs::read_to_string(&table)
            .map_err(|e| TardisError::caused(&table, 0, "cannot read the symbol table", e))?;
        let names: Vec<Symbol> = text.lines().map(Symbol::from).collect();
        Ok(BinaryRows {
            reader,
            file_id: FileId::of(path),
            ids: vec![None; names.len()],
            names,
            resolver,
            index: 0,
            from: None,
        })
    }

    /// Records before `from` passed over, unresolved.
    pub fn from(mut self, from: Option<Timestamp>) -> BinaryRows {
        self.from = from;
        self
    }

    /// The stream's id of the file's `id`, and the instrument when this is its first row.
    fn id(&mut self, id: InstrumentId) -> Result<(InstrumentId, Option<Listed>), String> {
        let i = id.0 as usize;
        let Some(name) = self.names.get(i) else {
            let n = self.names.len();
            return Err(format!(
                "instrument {i} is not in the symbol table ({n} names)"
            ));
        };
        let mut listed = None;
        let resolver = &mut self.resolver;
        match self.ids[i].get_or_insert_with(|| resolver.id(name, &mut listed)) {
            Ok(id) => Ok((*id, listed)),
            Err(why) => Err(why.clone()),
        }
    }

    /// A book record as a resolved row pushed onto `step` (false for a clear, or a record before
    /// `from`: passed over).
    #[inline]
    fn book_row(&mut self, index: u64, r: Record, step: &mut StepRows) -> bool {
        // A clear before a run is passed over (the run's first level resets the book); one
        // marked `First` is an empty book's snapshot.
        let run_ahead = r.kind == Kind::Clear && r.run != Run::First;
        if run_ahead || self.from.is_some_and(|f| r.at < f) {
            return false;
        }
        let event = |id| match r.kind {
            Kind::Clear => Event::Snapshot {
                id,
                levels: Box::default(),
            },
            Kind::Trade => Event::Trade {
                id,
                side: r.side,
                price: r.price,
                qty: r.qty,
            },
            _ => Event::Level {
                id,
                snapshot: r.run != Run::Delta,
                reset: r.run == Run::First,
                side: r.side,
                price: r.price,
                qty: r.qty,
            },
        };
        self.resolved(index, r.at, r.instrument, event, step);
        true
    }

    /// A quote record as a resolved row pushed onto `step` (false before `from`).
    fn quote_row(&mut self, index: u64, q: QuoteRecord, step: &mut StepRows) -> bool {
        if self.from.is_some_and(|f| q.at < f) {
            return false;
        }
        let (at, file_id) = (q.at, q.instrument);
        // The event is made only for an id in the symbol table (`resolved` checks): its name.
        let symbol = self
            .names
            .get(file_id.0 as usize)
            .cloned()
            .unwrap_or_default();
        let event = move |id| Event::Quote {
            id,
            quote: Box::new(chain_quote(symbol, q)),
        };
        self.resolved(index, at, file_id, event, step);
        true
    }

    /// The row at `at` of the file's instrument `file_id` pushed onto `step`, its event made with
    /// the stream's id (written where the step keeps it, not moved there).
    #[inline]
    fn resolved(
        &mut self,
        index: u64,
        at: Timestamp,
        file_id: InstrumentId,
        event: impl FnOnce(InstrumentId) -> Event,
        step: &mut StepRows,
    ) {
        let origin = Origin {
            file: Some(self.file_id),
            line: index,
        };
        let (event, listed) = match self.id(file_id) {
            Ok((id, listed)) => (Ok(event(id)), listed),
            Err(why) => (Err(why), None),
        };
        step.push(Resolved {
            at,
            origin,
            event,
            listed,
        });
    }

    /// Record `index` cannot be read: why, naming the file and the record.
    #[cold]
    fn bad(&mut self, index: u64, message: String) -> TardisError {
        let e = self.reader.bad_record(message);
        TardisError::new(&self.file_id.path(), index, e.to_string())
    }

    /// The next row pushed onto `step` (records passed over are read past): None at the end.
    #[inline]
    fn next_into(&mut self, step: &mut StepRows) -> Option<Result<(), TardisError>> {
        loop {
            let index = self.index;
            self.index += 1;
            let bytes = match self.reader.next_bytes()? {
                Ok(bytes) => bytes,
                Err(e) => {
                    let path = self.file_id.path();
                    return Some(Err(TardisError::new(&path, index, e.to_string())));
                }
            };
            let pushed = if bytes.len() == QUOTE_SIZE {
                match QuoteRecord::decode(bytes) {
                    Ok(q) => self.quote_row(index, q, step),
                    Err(why) => return Some(Err(self.bad(index, why))),
                }
            } else {
                match Record::decode(bytes) {
                    Ok(r) => self.book_row(index, r, step),
                    Err(why) => return Some(Err(self.bad(index, why.to_string()))),
                }
            };
            if pushed {
                return Some(Ok(()));
            }
        }
    }
}

/// The rows of a binary event file as steps (the rows of each timestamp together, up to `to`),
/// grouped by the records' times as read and written straight into the loop's step: no
/// row-at-a-time iterator between the file and the step. A reader error ends the steps and is
/// kept ([`Steps::take_error`] after the run).
pub struct BinarySteps {
    rows: BinaryRows,
    to: Option<Timestamp>,
    error: Option<TardisError>,
    rows_read: u64,
}

impl BinarySteps {
    pub fn new(rows: BinaryRows, to: Option<Timestamp>) -> BinarySteps {
        BinarySteps {
            rows,
            to,
            error: None,
            rows_read: 0,
        }
    }
}

impl Steps for BinarySteps {
    fn take_error(&mut self) -> Option<TardisError> {
        self.error.take()
    }

    fn rows_read(&self) -> u64 {
        self.rows_read
    }
}

impl StepSource<StepRows> for BinarySteps {
    /// The next step's rows into the slot's step (its room reused), or None at the end.
    fn next_into(&mut self, slot: &mut Option<StepRows>) {
        refill(slot, |step| {
            while self.error.is_none() {
                let next_at = self.rows.reader.peek_at();
                let ends = |at: Timestamp| {
                    self.to.is_some_and(|to| at > to) || step.first().is_some_and(|r| r.at != at)
                };
                if next_at.is_some_and(ends) {
                    break;
                }
                match self.rows.next_into(step) {
                    Some(Ok(())) => {}
                    Some(Err(e)) => self.error = Some(e),
                    None => break,
                }
            }
            self.rows_read += step.len() as u64;
        });
    }
}
