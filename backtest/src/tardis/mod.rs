//! Tardis.dev CSV data (VENUE.md): `options_chain`, `book_snapshot_25`, `incremental_book_L2` and
//! `trades`, streamed from `.csv` or `.csv.gz` files (memory does not grow with the file), each
//! bad row an error naming the file and line, or, when the reader is lenient, skipped and
//! counted. Several files merge into one stream by timestamp ([`merge`]).
//!
//! Timestamps are the venue's (`timestamp`, microseconds since the epoch); options_chain IVs are
//! in percent and prices in coin, as Tardis writes them (converted here: IVs to fractions).

//! - [`reader`]: a file as a stream of rows, each checked;
//! - [`resolve`]: rows in the engine's terms (instrument ids, prices on the tick, whole lots),
//!   once, as they leave the readers;
//! - [`writer`]: rows written in Tardis's columns (the synthetic market's export);
//! - [`Batches`]: a resolved stream as steps of equal timestamps;
//! - [`ReadAhead`]: a reader on a thread of its own;
//! - [`BinaryRows`]: the same rows from the binary event format;
//! - here: the rows' types as read, the dataset of a file from its header, and the merge of
//!   several files by time.

mod batches;
mod binary_rows;
mod read_ahead;
mod reader;
pub mod resolve;
mod writer;

pub(crate) use batches::refill;
pub use batches::{Batches, StepRows, Steps};
pub use binary_rows::{BinaryRows, BinarySteps};
pub use read_ahead::ReadAhead;
pub use reader::TardisReader;
pub use resolve::{Resolved, Resolver};
pub use writer::{write_options_chain, TardisWriter};

use crate::csv_file;
use engine::{Side, Timestamp};
use std::path::Path;
use std::sync::Arc;

/// A bad file or row, located (the failure beneath, if any, as its source).
pub type TardisError = csv_file::DataError;

/// Which dataset a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dataset {
    OptionsChain,
    BookSnapshot25,
    IncrementalBookL2,
    Trades,
}

/// One option's quote row of `options_chain`.
#[derive(Clone, Debug, PartialEq)]
pub struct ChainQuote {
    pub symbol: Symbol,
    pub strike: f64,
    pub expiration: Timestamp,
    pub bid: Option<(f64, f64)>,
    pub ask: Option<(f64, f64)>,
    pub mark: f64,
    /// As a fraction (Tardis writes percent).
    pub mark_iv: f64,
    pub underlying_price: f64,
}

/// An instrument's name as a row gives it: shared by every row of a reader that names it (a
/// file repeats a few hundred names millions of times).
pub type Symbol = Arc<str>;

/// What a row says, as read (names and floats; [`resolve`] turns it into the engine's terms).
#[derive(Clone, Debug, PartialEq)]
pub enum TardisEvent {
    /// Boxed: a quote is three times the size of the other rows, which are most rows.
    Quote(Box<ChainQuote>),
    /// Up to 25 levels a side, best first: (price, amount).
    Snapshot {
        symbol: Symbol,
        bids: Vec<(f64, f64)>,
        asks: Vec<(f64, f64)>,
    },
    /// One level set to `amount` (0 deletes). `snapshot` rows are part of a book snapshot;
    /// `reset` marks the first row of a symbol's snapshot run: that symbol's book is rebuilt from
    /// here.
    Level {
        symbol: Symbol,
        snapshot: bool,
        reset: bool,
        side: Side,
        price: f64,
        amount: f64,
    },
    Trade {
        symbol: Symbol,
        /// The aggressor's side.
        side: Side,
        price: f64,
        amount: f64,
    },
}

/// A row's timestamp and event, and where it was read.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub at: Timestamp,
    pub event: TardisEvent,
    pub origin: Origin,
}

/// The file and line a row was read from, so that what is refused after reading (an unknown
/// symbol, a price off the tick) is named as a bad row is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    pub file: Option<FileId>,
    pub line: u64,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.file {
            Some(file) => write!(f, "{}:{}", file.path().display(), self.line),
            None => f.write_str("(a row made in memory)"),
        }
    }
}

/// A file rows were read from, by number: every row carries its origin, and a number is copied
/// where a shared path was counted in and out on each of millions of rows. The paths are kept
/// for the life of the process (a run reads a handful of files).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileId(u32);

static FILES: std::sync::Mutex<Vec<Arc<Path>>> = std::sync::Mutex::new(Vec::new());

impl FileId {
    /// The number of `path` (the same for the same path).
    pub fn of(path: &Path) -> FileId {
        let mut files = FILES.lock().unwrap_or_else(|e| e.into_inner());
        let i = match files.iter().position(|f| **f == *path) {
            Some(i) => i,
            None => {
                files.push(Arc::from(path));
                files.len() - 1
            }
        };
        FileId(u32::try_from(i).expect("fewer than 2^32 files in one process"))
    }

    pub fn path(self) -> Arc<Path> {
        let files = FILES.lock().unwrap_or_else(|e| e.into_inner());
        files[self.0 as usize].clone()
    }
}

/// Which dataset a Tardis file holds, from its header (None: not a Tardis file).
pub fn detect(path: &Path) -> Result<Option<Dataset>, TardisError> {
    let (_, header) = csv_file::open(path)?;
    let has = |name: &str| header.iter().any(|h| h == name);
    if !(has("symbol") && has("timestamp")) {
        return Ok(None);
    }
    Ok(if has("is_snapshot") {
        Some(Dataset::IncrementalBookL2)
    } else if has("asks[0].price") {
        Some(Dataset::BookSnapshot25)
    } else if has("strike_price") && has("mark_iv") {
        Some(Dataset::OptionsChain)
    } else if has("side") && has("price") && has("amount") {
        Some(Dataset::Trades)
    } else {
        None
    })
}

/// Rows of several time-ordered streams as one, by timestamp; ties keep the order of the streams
/// as given (deterministic). An error ends the merged stream after it is yielded.
pub fn merge<I>(streams: Vec<I>) -> impl Iterator<Item = Result<Row, TardisError>>
where
    I: Iterator<Item = Result<Row, TardisError>>,
{
    let mut streams: Vec<std::iter::Peekable<I>> =
        streams.into_iter().map(|s| s.peekable()).collect();
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed {
            return None;
        }
        // An error anywhere comes out first; otherwise the earliest row.
        let mut best: Option<(usize, Timestamp)> = None;
        for (i, s) in streams.iter_mut().enumerate() {
            match s.peek() {
                Some(Err(_)) => {
                    failed = true;
                    return s.next();
                }
                Some(Ok(row)) if best.is_none_or(|(_, t)| row.at < t) => best = Some((i, row.at)),
                _ => {}
            }
        }
        let (i, _) = best?;
        streams[i].next()
    })
}
