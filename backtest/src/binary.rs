//! The backtester's own event format: fixed-size 32-byte little-endian records after a 16-byte
//! header, written once (from Tardis CSV by [`crate::tardis_binary`], or by the generator) and
//! read back in large blocks, so that replay is not bound by text parsing.
//!
//! Header: `RMEV`, version (u32 = 1), record size (u32 = 32), reserved (u32). Record: time (i64
//! ns), instrument (u32), kind (u8: 0 level, 1 trade, 2 clear), side (u8: 0 buy, 1 sell), 2
//! reserved bytes, price (i64 units), quantity (i64 lots). A level's quantity is its new size (0
//! deletes it); a trade's side is the aggressor's; a clear empties the instrument's book before a
//! snapshot.

use engine::{InstrumentId, Price, Qty, Side, Timestamp};
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use thiserror::Error;

const MAGIC: &[u8; 4] = b"RMEV";
const VERSION: u32 = 1;
pub const RECORD_SIZE: usize = 32;
const HEADER_SIZE: usize = 16;
/// Records read per block (64 KiB).
const BLOCK_RECORDS: usize = 2048;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Level,
    Trade,
    Clear,
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
        out[14..16].copy_from_slice(&[0, 0]);
        out[16..24].copy_from_slice(&self.price.0.to_le_bytes());
        out[24..32].copy_from_slice(&self.qty.0.to_le_bytes());
    }

    fn decode(b: &[u8]) -> Result<Record, String> {
        let i64_at = |i: usize| {
            let mut x = [0u8; 8];
            x.copy_from_slice(&b[i..i + 8]);
            i64::from_le_bytes(x)
        };
        let mut id = [0u8; 4];
        id.copy_from_slice(&b[8..12]);
        let kind = match b[12] {
            0 => Kind::Level,
            1 => Kind::Trade,
            2 => Kind::Clear,
            k => return Err(format!("kind byte {k} is not 0, 1 or 2")),
        };
        let side = match b[13] {
            0 => Side::Buy,
            1 => Side::Sell,
            s => return Err(format!("side byte {s} is not 0 or 1")),
        };
        let r = Record {
            at: Timestamp(i64_at(0)),
            instrument: InstrumentId(u32::from_le_bytes(id)),
            kind,
            side,
            price: Price(i64_at(16)),
            qty: Qty(i64_at(24)),
        };
        r.check()?;
        Ok(r)
    }

    /// What a record may hold: a level's or trade's price positive and a size not negative (a
    /// trade's positive), both below 2^53 (exact as f64, far above any market); a clear all 0.
    fn check(&self) -> Result<(), String> {
        const MAX: i64 = 1 << 53;
        let (p, q) = (self.price.0, self.qty.0);
        let ok = match self.kind {
            Kind::Clear => p == 0 && q == 0,
            Kind::Level => (1..MAX).contains(&p) && (0..MAX).contains(&q),
            Kind::Trade => (1..MAX).contains(&p) && (1..MAX).contains(&q),
        };
        if ok {
            Ok(())
        } else {
            Err(format!(
                "{:?} with price {p} and quantity {q} units: a level's or trade's price must be in 1..2^53 and its quantity in 0..2^53 (a trade's above 0); a clear's both 0",
                self.kind
            ))
        }
    }
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

/// Writes records to a file.
pub struct Writer {
    out: BufWriter<File>,
    path: PathBuf,
    buf: [u8; RECORD_SIZE],
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
            buf: [0; RECORD_SIZE],
        })
    }

    pub fn write(&mut self, r: &Record) -> Result<(), BinaryError> {
        r.encode(&mut self.buf);
        self.out
            .write_all(&self.buf)
            .map_err(|e| BinaryError::io(&self.path, "write", e))
    }

    pub fn finish(mut self) -> Result<(), BinaryError> {
        (self.out.flush()).map_err(|e| BinaryError::io(&self.path, "write", e))
    }
}

/// Reads records in blocks of 2,048 (64 KiB): memory does not grow with the file.
pub struct Reader {
    file: File,
    path: PathBuf,
    block: Vec<u8>,
    filled: usize,
    at: usize,
    index: u64,
    failed: bool,
    /// The last record's time: records never go back in time.
    last_at: Timestamp,
}

impl Reader {
    pub fn open(path: &Path) -> Result<Reader, BinaryError> {
        let err = |message: String| BinaryError::File {
            file: path.to_path_buf(),
            message,
        };
        let mut file = File::open(path).map_err(|e| BinaryError::io(path, "open", e))?;
        let mut header = [0u8; HEADER_SIZE];
        file.read_exact(&mut header)
            .map_err(|_| err("shorter than the 16-byte header".into()))?;
        if &header[0..4] != MAGIC {
            return Err(err("not a rollmaker event file (no RMEV magic)".into()));
        }
        let version = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        let size = u32::from_le_bytes([header[8], header[9], header[10], header[11]]);
        if version != VERSION || size as usize != RECORD_SIZE {
            return Err(err(format!(
                "version {version} with {size}-byte records; this reader knows version {VERSION} with {RECORD_SIZE}"
            )));
        }
        Ok(Reader {
            file,
            path: path.to_path_buf(),
            block: vec![0; BLOCK_RECORDS * RECORD_SIZE],
            filled: 0,
            at: 0,
            index: 0,
            failed: false,
            last_at: Timestamp(i64::MIN),
        })
    }

    fn refill(&mut self) -> Result<(), BinaryError> {
        // Keep a partial record from the last block, then read up to a full block.
        let rest = self.filled - self.at;
        self.block.copy_within(self.at..self.filled, 0);
        self.filled = rest;
        self.at = 0;
        while self.filled < self.block.len() {
            let n = self
                .file
                .read(&mut self.block[self.filled..])
                .map_err(|e| BinaryError::io(&self.path, "read", e))?;
            if n == 0 {
                break;
            }
            self.filled += n;
        }
        Ok(())
    }
}

impl Iterator for Reader {
    type Item = Result<Record, BinaryError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        if self.filled - self.at < RECORD_SIZE {
            if let Err(e) = self.refill() {
                self.failed = true;
                return Some(Err(e));
            }
            let left = self.filled - self.at;
            if left == 0 {
                return None;
            }
            if left < RECORD_SIZE {
                self.failed = true;
                return Some(Err(BinaryError::Record {
                    file: self.path.clone(),
                    index: self.index,
                    message: format!("truncated: {left} of {RECORD_SIZE} bytes"),
                }));
            }
        }
        let last_at = self.last_at;
        let r = Record::decode(&self.block[self.at..self.at + RECORD_SIZE])
            .and_then(|r| {
                if r.at < last_at {
                    Err(format!(
                        "time {} goes back (the record before is at {last_at})",
                        r.at
                    ))
                } else {
                    Ok(r)
                }
            })
            .map_err(|message| BinaryError::Record {
                file: self.path.clone(),
                index: self.index,
                message,
            });
        if let Ok(rec) = &r {
            self.last_at = rec.at;
        }
        self.at += RECORD_SIZE;
        self.index += 1;
        if r.is_err() {
            self.failed = true;
        }
        Some(r)
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
        let back: Vec<Record> = Reader::open(&p).unwrap().map(|r| r.unwrap()).collect();
        assert_eq!(back, records);

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
}
