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
        let book = |bytes: &[u8]| (bytes.len() == RECORD_SIZE).then(|| Record::decode(bytes));
        std::iter::from_fn(move || self.next_with(book))
    }

    fn error(&mut self, message: String) -> BinaryError {
        self.failed = true;
        BinaryError::Record {
            file: self.path.clone(),
            index: self.index,
            message,
        }
    }

    /// The next record's bytes in the block, refilled as needed (None at the end).
    fn next_size(&mut self) -> Result<Option<usize>, BinaryError> {
        if self.filled - self.at < RECORD_SIZE {
            self.refill().inspect_err(|_| self.failed = true)?;
        }
        let left = self.filled - self.at;
        if left == 0 {
            return Ok(None);
        }
        let size = match self.block.get(self.at + 12) {
            Some(&QUOTE_KIND) => QUOTE_SIZE,
            _ => RECORD_SIZE,
        };
        if left < size {
            self.refill().inspect_err(|_| self.failed = true)?;
        }
        let left = self.filled - self.at;
        if left < size {
            let message = format!("truncated: {left} of {size} bytes");
            return Err(self.error(message));
        }
        Ok(Some(size))
    }
}

impl Reader {
    /// The next record that `decode` (given its bytes) does not pass over (None), its time
    /// checked never to go back; None at the end or after an error.
    fn next_with<T>(
        &mut self,
        decode: impl Fn(&[u8]) -> Option<Result<T, String>>,
    ) -> Option<Result<T, BinaryError>> {
        loop {
            if self.failed {
                return None;
            }
            let size = match self.next_size() {
                Ok(Some(size)) => size,
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            };
            let bytes = &self.block[self.at..self.at + size];
            let at = Timestamp(u64_at(bytes, 0) as i64);
            let last_at = self.last_at;
            let decoded = if at < last_at {
                Some(Err(format!(
                    "time {at} goes back (the record before is at {last_at})"
                )))
            } else {
                decode(bytes)
            };
            let result = match decoded {
                None => None,
                Some(Ok(t)) => Some(Ok(t)),
                Some(Err(message)) => Some(Err(self.error(message))),
            };
            self.last_at = at.max(last_at);
            self.at += size;
            self.index += 1;
            if result.is_some() {
                return result;
            }
        }
    }
}

impl Iterator for Reader {
    type Item = Result<Entry, BinaryError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_with(|bytes| {
            Some(match bytes.len() {
                QUOTE_SIZE => QuoteRecord::decode(bytes).map(Entry::Quote),
                _ => Record::decode(bytes).map(Entry::Book),
            })
        })
    }
}
