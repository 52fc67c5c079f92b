//! Reading the format back: records in blocks of 64 KiB (memory does not grow with the file),
//! each checked, its time never going back; every record ([`Entry`]) or the book ones only.

use super::quote::QUOTE_KIND;
use super::{
    u64_at, BinaryError, Entry, QuoteRecord, Record, HEADER_SIZE, MAGIC, QUOTE_SIZE, RECORD_SIZE,
    VERSION,
};
use engine::Timestamp;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Records read per block (64 KiB).
const BLOCK_RECORDS: usize = 2048;

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
        if !(1..=VERSION).contains(&version) || size as usize != RECORD_SIZE {
            return Err(err(format!(
                "version {version} with {size}-byte records; this reader knows versions 1 to {VERSION} with {RECORD_SIZE}"
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

impl Reader {
    /// The book records only (levels, trades, clears): what replaying one book reads. Quotes
    /// are passed over undecoded.
    pub fn records(mut self) -> impl Iterator<Item = Result<Record, BinaryError>> {
        std::iter::from_fn(move || loop {
            let record = match self.next_bytes()? {
                Ok(b) if b.len() == RECORD_SIZE => Record::decode(b),
                Ok(_) => continue,
                Err(e) => return Some(Err(e)),
            };
            return Some(record.map_err(|e| self.bad_record(e.to_string())));
        })
    }

    /// An error at record `index`; the reader reads no further.
    fn error(&mut self, index: u64, message: String) -> BinaryError {
        self.failed = true;
        BinaryError::Record {
            file: self.path.clone(),
            index,
            message,
        }
    }

    /// The record [`Reader::next_bytes`] gave last cannot be read: why.
    #[cold]
    pub(crate) fn bad_record(&mut self, message: String) -> BinaryError {
        self.error(self.index.saturating_sub(1), message)
    }

    /// The size of the record whose kind byte is `kind`.
    #[inline]
    fn size_of(kind: u8) -> usize {
        match kind {
            QUOTE_KIND => QUOTE_SIZE,
            _ => RECORD_SIZE,
        }
    }

    /// The next record's size in the block, refilled as needed (None at the end). Inlined for
    /// the common case, a whole record of either size already in the block.
    #[inline]
    fn next_size(&mut self) -> Result<Option<usize>, BinaryError> {
        match self.block.get(self.at + 12) {
            Some(&kind) if self.filled - self.at >= QUOTE_SIZE => Ok(Some(Reader::size_of(kind))),
            _ => self.next_size_refilled(),
        }
    }

    /// [`Reader::next_size`] near the end of the block: refilled first.
    #[cold]
    #[inline(never)]
    fn next_size_refilled(&mut self) -> Result<Option<usize>, BinaryError> {
        self.refill().inspect_err(|_| self.failed = true)?;
        let left = self.filled - self.at;
        if left == 0 {
            return Ok(None);
        }
        let size = self
            .block
            .get(self.at + 12)
            .map_or(RECORD_SIZE, |&k| Reader::size_of(k));
        if left < size {
            let message = format!("truncated: {left} of {size} bytes");
            return Err(self.error(self.index, message));
        }
        Ok(Some(size))
    }

    /// The next record's time, the record not taken: None at the end, and where it cannot be
    /// read (the next call to `next_bytes` says why).
    #[inline]
    pub fn peek_at(&mut self) -> Option<Timestamp> {
        if self.failed {
            return None;
        }
        self.next_size().ok()??;
        Some(Timestamp(u64_at(&self.block[self.at..], 0) as i64))
    }

    /// The next record's bytes (32, or a quote's 96), its time checked never to go back; None
    /// at the end or after an error.
    #[inline]
    pub(crate) fn next_bytes(&mut self) -> Option<Result<&[u8], BinaryError>> {
        if self.failed {
            return None;
        }
        let size = match self.next_size() {
            Ok(size) => size?,
            Err(e) => return Some(Err(e)),
        };
        let start = self.at;
        let at = Timestamp(u64_at(&self.block[start..], 0) as i64);
        if at < self.last_at {
            let message = format!(
                "time {at} goes back (the record before is at {})",
                self.last_at
            );
            return Some(Err(self.error(self.index, message)));
        }
        self.last_at = at;
        self.at += size;
        self.index += 1;
        Some(Ok(&self.block[start..start + size]))
    }
}

impl Iterator for Reader {
    type Item = Result<Entry, BinaryError>;

    fn next(&mut self) -> Option<Self::Item> {
        let entry = match self.next_bytes()? {
            Ok(b) if b.len() == QUOTE_SIZE => QuoteRecord::decode(b).map(Entry::Quote),
            Ok(b) => Record::decode(b)
                .map(Entry::Book)
                .map_err(|e| e.to_string()),
            Err(e) => return Some(Err(e)),
        };
        Some(entry.map_err(|message| self.bad_record(message)))
    }
}
