//! The backtester's own event format: fixed-size little-endian records after a 16-byte header,
//! written once (from Tardis CSV by [`crate::tardis_binary`], or by the generator) and read back
//! in large blocks, so that replay is not bound by text parsing.
//!
//! Header: `RMEV`, version (u32 = 2; version 1 files, which hold no quotes, are read too), record
//! size (u32 = 32), reserved (u32). A book record (32 bytes): time (i64 ns), instrument (u32),
//! kind (u8: 0 level, 1 trade, 2 clear), side (u8: 0 buy, 1 sell), a level's place in a book
//! snapshot run (u8: 0 none, 1 first, 2 a later one; 0 in version 1), a reserved byte, price
//! (i64 units), quantity (i64 lots). A level's quantity is its new size (0 deletes it); a
//! trade's side is the aggressor's; a clear empties the instrument's book before a snapshot.
//! Kind 3 is a chain quote, three slots long ([`quote`]).

mod quote;
mod reader;

pub use quote::{QuoteRecord, QUOTE_SIZE};
pub use reader::Reader;

use engine::{InstrumentId, Price, Qty, Side, Timestamp};
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use thiserror::Error;

const MAGIC: &[u8; 4] = b"RMEV";
const VERSION: u32 = 2;
pub const RECORD_SIZE: usize = 32;
const HEADER_SIZE: usize = 16;

/// The little-endian 8 bytes of `b` at `i` (a record's times, prices, sizes and floats).
fn u64_at(b: &[u8], i: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(x)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Level,
    Trade,
    Clear,
}

/// Where a level stands in a book snapshot run (Tardis's `is_snapshot` rows of a symbol).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Run {
    /// Not part of one: a change of the book (and every trade, and a clear before a run).
    #[default]
    Delta,
    /// The run's first level: the book starts again from it. On a clear: a snapshot with no
    /// level (the book is emptied).
    First,
    /// A later level of the run.
    Rest,
}

/// A record of either size.
#[derive(Clone, Debug, PartialEq)]
pub enum Entry {
    Book(Record),
    Quote(QuoteRecord),
}

/// One market event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    pub at: Timestamp,
    pub instrument: InstrumentId,
    pub kind: Kind,
    pub side: Side,
    pub price: Price,
    pub qty: Qty,
    pub run: Run,
}

impl Record {
    fn encode(&self, out: &mut [u8; RECORD_SIZE]) {
        out[0..8].copy_from_slice(&self.at.0.to_le_bytes());
        out[8..12].copy_from_slice(&self.instrument.0.to_le_bytes());
        out[12] = match self.kind {
            Kind::Level => 0,
            Kind::Trade => 1,
            Kind::Clear => 2,
        };
        out[13] = match self.side {
            Side::Buy => 0,
            Side::Sell => 1,
        };
        out[14] = match self.run {
            Run::Delta => 0,
            Run::First => 1,
            Run::Rest => 2,
        };
        out[15] = 0;
        out[16..24].copy_from_slice(&self.price.0.to_le_bytes());
        out[24..32].copy_from_slice(&self.qty.0.to_le_bytes());
    }

    /// The record in `b` (a record's 32 bytes), checked. Inlined, with an error that is only
    /// formatted when reported: the reader decodes millions, and a record built behind a
    /// returned `String` was copied out of memory it had just been written to.
    #[inline(always)]
    pub(crate) fn decode(b: &[u8]) -> Result<Record, RecordError> {
        let i64_at = |i: usize| u64_at(b, i) as i64;
        let mut id = [0u8; 4];
        id.copy_from_slice(&b[8..12]);
        let kind = match b[12] {
            0 => Kind::Level,
            1 => Kind::Trade,
            2 => Kind::Clear,
            k => return Err(RecordError::KindByte(k)),
        };
        let side = match b[13] {
            0 => Side::Buy,
            1 => Side::Sell,
            s => return Err(RecordError::SideByte(s)),
        };
        let run = match b[14] {
            0 => Run::Delta,
            1 if kind != Kind::Trade => Run::First,
            2 if kind == Kind::Level => Run::Rest,
            r => return Err(RecordError::RunByte(r)),
        };
        let (price, qty) = (i64_at(16), i64_at(24));
        if !Record::holds(kind, price, qty) {
            return Err(RecordError::Range { kind, price, qty });
        }
        Ok(Record {
            at: Timestamp(i64_at(0)),
            instrument: InstrumentId(u32::from_le_bytes(id)),
            kind,
            side,
            price: Price(price),
            qty: Qty(qty),
            run,
        })
    }

    /// What a record may hold: a level's or trade's price positive and a size not negative (a
    /// trade's positive), both below 2^53 (exact as f64, far above any market); a clear all 0.
    #[inline]
    fn holds(kind: Kind, p: i64, q: i64) -> bool {
        const MAX: i64 = 1 << 53;
        match kind {
            Kind::Clear => p == 0 && q == 0,
            Kind::Level => (1..MAX).contains(&p) && (0..MAX).contains(&q),
            Kind::Trade => (1..MAX).contains(&p) && (1..MAX).contains(&q),
        }
    }
}

/// Why a book record cannot be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum RecordError {
    #[error("kind byte {0} is not 0 to 3")]
    KindByte(u8),
    #[error("side byte {0} is not 0 or 1")]
    SideByte(u8),
    #[error("snapshot run byte {0} is not 0, 1 or 2 (1 on levels and clears, 2 on levels)")]
    RunByte(u8),
    #[error("{kind:?} with price {price} and quantity {qty} units: a level's or trade's price must be in 1..2^53 and its quantity in 0..2^53 (a trade's above 0); a clear's both 0")]
    Range { kind: Kind, price: i64, qty: i64 },
}

#[derive(Debug, Error)]
pub enum BinaryError {
    /// A failed read or write (the source says why).
    #[error("{}: cannot {what}", file.display())]
    Io {
        file: PathBuf,
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// A file that is not one this reader knows.
    #[error("{}: {message}", file.display())]
    File { file: PathBuf, message: String },
    #[error("{}: record {index}: {message}", file.display())]
    Record {
        file: PathBuf,
        index: u64,
        message: String,
    },
}

impl BinaryError {
    fn io(file: &Path, what: &'static str, source: std::io::Error) -> BinaryError {
        BinaryError::Io {
            file: file.to_path_buf(),
            what,
            source,
        }
    }
}

/// Whether `path` is a file of this format (it starts with the magic).
pub fn is_binary(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && &magic == MAGIC
}

/// Writes records to a file.
pub struct Writer {
    out: BufWriter<File>,
    path: PathBuf,
}

impl Writer {
    pub fn create(path: &Path) -> Result<Writer, BinaryError> {
        let err = |source| BinaryError::io(path, "write", source);
        let mut out = BufWriter::with_capacity(1 << 16, File::create(path).map_err(err)?);
        let mut header = [0u8; HEADER_SIZE];
        header[0..4].copy_from_slice(MAGIC);
        header[4..8].copy_from_slice(&VERSION.to_le_bytes());
        header[8..12].copy_from_slice(&(RECORD_SIZE as u32).to_le_bytes());
        out.write_all(&header).map_err(err)?;
        Ok(Writer {
            out,
            path: path.to_path_buf(),
        })
    }

    pub fn write(&mut self, r: &Record) -> Result<(), BinaryError> {
        let mut buf = [0u8; RECORD_SIZE];
        r.encode(&mut buf);
        self.put(&buf)
    }

    pub fn write_quote(&mut self, q: &QuoteRecord) -> Result<(), BinaryError> {
        let mut buf = [0u8; QUOTE_SIZE];
        q.encode(&mut buf);
        self.put(&buf)
    }

    fn put(&mut self, bytes: &[u8]) -> Result<(), BinaryError> {
        (self.out.write_all(bytes)).map_err(|e| BinaryError::io(&self.path, "write", e))
    }

    pub fn finish(mut self) -> Result<(), BinaryError> {
        (self.out.flush()).map_err(|e| BinaryError::io(&self.path, "write", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("rollmaker-binary-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join(name)
    }

    #[test]
    fn round_trip_across_blocks_and_errors_named() {
        let records: Vec<Record> = (0..5000)
            .map(|i| {
                let kind = [Kind::Level, Kind::Trade, Kind::Clear][(i % 3) as usize];
                let clear = kind == Kind::Clear;
                Record {
                    at: Timestamp(i * 1000),
                    instrument: InstrumentId((i % 3) as u32),
                    kind,
                    side: if i % 2 == 0 { Side::Buy } else { Side::Sell },
                    price: Price(if clear { 0 } else { 1 + i }),
                    qty: Qty(if clear { 0 } else { 1 + i * 7 }),
                    run: if kind == Kind::Level && i % 4 == 0 {
                        Run::First
                    } else {
                        Run::Delta
                    },
                }
            })
            .collect();
        let p = path("events.bin");
        let mut w = Writer::create(&p).unwrap();
        for r in &records {
            w.write(r).unwrap();
        }
        w.finish().unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().len(), 16 + 32 * 5000);
        let back: Vec<Record> = (Reader::open(&p).unwrap().records())
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(back, records);
        // Under a version 1 header the same records read (version 1 wrote 0 where version 2
        // keeps a level's snapshot-run byte, and had no quotes); a later version does not.
        let mut bytes = std::fs::read(&p).unwrap();
        bytes[4..8].copy_from_slice(&1u32.to_le_bytes());
        let v1 = path("v1.bin");
        std::fs::write(&v1, &bytes).unwrap();
        assert_eq!(Reader::open(&v1).unwrap().records().count(), records.len());
        bytes[4..8].copy_from_slice(&3u32.to_le_bytes());
        std::fs::write(&v1, &bytes).unwrap();
        let e = Reader::open(&v1).err().unwrap().to_string();
        assert!(e.contains("version 3"), "{e}");

        // Cut the last record in half: the error names the file and the record.
        let bytes = std::fs::read(&p).unwrap();
        let cut = path("cut.bin");
        std::fs::write(&cut, &bytes[..bytes.len() - 16]).unwrap();
        let last = Reader::open(&cut).unwrap().last().unwrap().unwrap_err();
        assert!(
            last.to_string().contains("cut.bin: record 4999: truncated"),
            "{last}"
        );
        let bad = path("bad.bin");
        std::fs::write(&bad, b"NOPE0000000000000000").unwrap();
        assert!(Reader::open(&bad)
            .err()
            .unwrap()
            .to_string()
            .contains("RMEV"));
    }

    #[test]
    fn impossible_records_are_refused_naming_their_index() {
        let p = path("bad-records.bin");
        let good = Record {
            at: Timestamp(10),
            instrument: InstrumentId(0),
            kind: Kind::Level,
            side: Side::Buy,
            price: Price(100),
            qty: Qty(5),
            run: Run::Delta,
        };
        for (bad, needle) in [
            (
                Record {
                    price: Price(-5),
                    ..good
                },
                "price -5",
            ),
            (
                Record {
                    price: Price(i64::MAX),
                    ..good
                },
                "price 9223372036854775807",
            ),
            (
                Record {
                    qty: Qty(-1),
                    ..good
                },
                "quantity -1",
            ),
            (
                Record {
                    kind: Kind::Trade,
                    qty: Qty(0),
                    ..good
                },
                "Trade with price 100 and quantity 0",
            ),
            (
                Record {
                    kind: Kind::Trade,
                    run: Run::First,
                    ..good
                },
                "snapshot run byte 1",
            ),
            (
                Record {
                    at: Timestamp(9),
                    ..good
                },
                "goes back",
            ),
        ] {
            let mut w = Writer::create(&p).unwrap();
            w.write(&good).unwrap();
            w.write(&bad).unwrap();
            w.finish().unwrap();
            let results: Vec<_> = Reader::open(&p).unwrap().collect();
            assert!(results[0].is_ok());
            let e = results[1].as_ref().unwrap_err().to_string();
            assert!(
                e.contains("record 1: ") && e.contains(needle),
                "{needle}: {e}"
            );
        }
        std::fs::remove_file(&p).ok();
    }

    fn quote(i: i64) -> QuoteRecord {
        QuoteRecord {
            at: Timestamp(i * 1000),
            instrument: InstrumentId(7),
            strike: 2000.0 + i as f64,
            expiration: Timestamp(1_774_598_400_000_000_000),
            bid: (i % 2 == 0).then_some((0.0495, 12.0)),
            ask: (i % 3 != 0).then_some((0.051, 3.5)),
            mark: 0.0502,
            mark_iv: 0.621 + 1e-9 * i as f64,
            underlying_price: 2010.5,
        }
    }

    /// Quotes (three slots) among book records, across block edges: the same back, bit for bit;
    /// a cut quote and an impossible one are named by index.
    #[test]
    fn quotes_round_trip_among_book_records() {
        let p = path("quotes.bin");
        let mut w = Writer::create(&p).unwrap();
        let mut written = Vec::new();
        for i in 0..3000 {
            let entry = if i % 5 == 0 {
                Entry::Quote(quote(i))
            } else {
                Entry::Book(Record {
                    at: Timestamp(i * 1000),
                    instrument: InstrumentId(1),
                    kind: Kind::Trade,
                    side: Side::Sell,
                    price: Price(10 + i),
                    qty: Qty(1),
                    run: Run::Delta,
                })
            };
            match &entry {
                Entry::Book(r) => w.write(r).unwrap(),
                Entry::Quote(q) => w.write_quote(q).unwrap(),
            }
            written.push(entry);
        }
        w.finish().unwrap();
        let back: Vec<Entry> = Reader::open(&p).unwrap().map(Result::unwrap).collect();
        assert_eq!(back, written);
        assert_eq!(Reader::open(&p).unwrap().records().count(), 2400);
        let bytes = std::fs::read(&p).unwrap();
        let cut = path("cut-quote.bin");
        // The last record is a trade; cut into the quote before it (index 2995).
        let quote_end = bytes.len() - 4 * RECORD_SIZE;
        std::fs::write(&cut, &bytes[..quote_end - 40]).unwrap();
        let e = Reader::open(&cut).unwrap().last().unwrap().unwrap_err();
        assert!(
            e.to_string()
                .contains("record 2995: truncated: 56 of 96 bytes"),
            "{e}"
        );
        let mut w = Writer::create(&p).unwrap();
        w.write_quote(&QuoteRecord {
            mark_iv: f64::NAN,
            ..quote(1)
        })
        .unwrap();
        w.finish().unwrap();
        let e = Reader::open(&p).unwrap().next().unwrap().unwrap_err();
        assert!(
            e.to_string().contains("record 0: a quote that cannot be"),
            "{e}"
        );
    }
}
