//! A binary event file ([`crate::binary`], written by `tardis-to-binary`) as the Tardis market's
//! resolved rows: the rows the CSV files give, read from fixed-size records (no text to parse,
//! prices already in the instruments' units). Each file id is named once by the symbol table
//! beside the file and resolved as a CSV row's symbol is (the same ids, the same instruments
//! listed, the same refusals: a future's rows under `Accept::Options`). Clears are passed over:
//! a snapshot run's first level says the book starts again.
//!
//! An error names the file and the record's index (in the place of a CSV row's line).

use super::resolve::{Event, Listed, Resolved};
use super::{FileId, Origin, Resolver, Symbol, TardisError};
use crate::binary::{self, Entry, Kind, Record, Run};
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

    /// A record as a resolved row (None for a clear, or before `from`).
    fn row(&mut self, entry: Entry) -> Option<Resolved> {
        let (at, file_id) = match &entry {
            Entry::Book(r) if r.kind == Kind::Clear => return None,
            Entry::Book(r) => (r.at, r.instrument),
            Entry::Quote(q) => (q.at, q.instrument),
        };
        if self.from.is_some_and(|f| at < f) {
            return None;
        }
        let origin = Origin {
            file: Some(self.file_id),
            line: self.index,
        };
        let (event, listed) = match self.id(file_id) {
            Ok((id, listed)) => (Ok(self.event(id, file_id, entry)), listed),
            Err(why) => (Err(why), None),
        };
        Some(Resolved {
            at,
            origin,
            event,
            listed,
        })
    }

    fn event(&self, id: InstrumentId, file_id: InstrumentId, entry: Entry) -> Event {
        match entry {
            Entry::Quote(q) => Event::Quote {
                id,
                quote: Box::new(chain_quote(self.names[file_id.0 as usize].clone(), q)),
            },
            Entry::Book(Record {
                kind: Kind::Trade,
                side,
                price,
                qty,
                ..
            }) => Event::Trade {
                id,
                side,
                price,
                qty,
            },
            Entry::Book(r) => Event::Level {
                id,
                snapshot: r.run != Run::Delta,
                reset: r.run == Run::First,
                side: r.side,
                price: r.price,
                qty: r.qty,
            },
        }
    }
}

impl Iterator for BinaryRows {
    type Item = Result<Resolved, TardisError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let entry = match self.reader.next()? {
                Ok(entry) => entry,
                Err(e) => {
                    return Some(Err(TardisError::new(
                        &self.file_id.path(),
                        self.index,
                        e.to_string(),
                    )))
                }
            };
            let row = self.row(entry);
            self.index += 1;
            if let Some(row) = row {
                return Some(Ok(row));
            }
        }
    }
}
