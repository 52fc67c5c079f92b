//! The synthetic market written as Tardis.dev CSV (`options_chain`, `incremental_book_L2`,
//! `trades`), so that the replay of Tardis data runs on files with known contents and both
//! paths, generated and replayed, are tested against each other.
//!
//! Every `book_seconds` the books are written as level changes against the last written state
//! (a first sight of an option's book is a snapshot run); the chain's quotes every
//! `chain_seconds`; every background trade as it happens (at the step's time). Only options
//! expiring within `max_expiry_days` are written, to keep the files small. With
//! `distinct_timestamps` (as in real data) the rows of one step are stamped a microsecond apart,
//! in the order written; otherwise they share the step's time.

use crate::sim::every::Every;
use crate::sim::market::Market;
use crate::sim::synthetic_market::{MarketConfig, SyntheticMarket};
use crate::synthetic::path::{IndexPath, PathConfig};
use crate::tardis::{Dataset, TardisError, TardisWriter};
use engine::{InstrumentId, Price, Qty, Side, Timestamp};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq)]
pub struct ExportConfig {
    pub days: f64,
    pub book_seconds: f64,
    pub chain_seconds: f64,
    pub max_expiry_days: f64,
    pub distinct_timestamps: bool,
}

impl Default for ExportConfig {
    fn default() -> Self {
        ExportConfig {
            days: 1.0,
            book_seconds: 60.0,
            chain_seconds: 60.0,
            max_expiry_days: 45.0,
            distinct_timestamps: true,
        }
    }
}

/// Rows written, and the files.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Exported {
    pub quotes: u64,
    pub levels: u64,
    pub trades: u64,
    pub files: Vec<PathBuf>,
}

type Levels = Vec<(Price, Qty)>;

/// The files written, in Tardis's naming.
const FILES: [(&str, Dataset); 3] = [
    (
        "deribit_options_chain_synthetic.csv.gz",
        Dataset::OptionsChain,
    ),
    (
        "deribit_incremental_book_L2_synthetic.csv.gz",
        Dataset::IncrementalBookL2,
    ),
    ("deribit_trades_synthetic.csv.gz", Dataset::Trades),
];

fn expires(inst: &engine::Instrument) -> Option<Timestamp> {
    match inst.kind() {
        engine::instrument::InstrumentKind::Option { expiry, .. } => Some(expiry.settlement_time()),
        _ => None,
    }
}

/// Writes `days` of the synthetic market of `path` (seeded) under `dir`, gzipped.
pub fn export(
    path: PathConfig,
    market: MarketConfig,
    seed: u64,
    config: &ExportConfig,
    dir: &Path,
) -> Result<Exported, TardisError> {
    let mut path = path;
    path.days = config.days;
    let files = FILES.map(|(name, _)| dir.join(name));
    let [chain, book, trades] = [0, 1, 2].map(|k| TardisWriter::create(&files[k], FILES[k].1));
    let (mut chain, mut book, mut trades) = (chain?, book?, trades?);
    let mut m = SyntheticMarket::new(path.clone(), market, seed);
    let mut out = Exported::default();
    let mut written: HashMap<InstrumentId, (Levels, Levels)> = HashMap::new();
    let (mut books, mut chains) = (
        Every::new(config.book_seconds),
        Every::new(config.chain_seconds),
    );
    let horizon = (config.max_expiry_days * 86_400e9) as i64;
    let mut trade_id = 0u64;
    for mut p in IndexPath::new(path, seed) {
        m.advance(&mut p);
        // The next row's time.
        let mut row = 0i64;
        let mut stamp = || {
            let t = Timestamp(p.at.0 + row * 1_000);
            row += i64::from(config.distinct_timestamps);
            t
        };
        let near = |at: Timestamp| at.0 - p.at.0 <= horizon;
        let eth = |id: InstrumentId, price: Price| m.instruments().get(id).price_f64(price);
        if chains.due(p.at) {
            for q in m.quotes().iter().filter(|q| near(q.expiration)) {
                chain.quote(stamp(), q)?;
                out.quotes += 1;
            }
        }
        if books.due(p.at) {
            let rows = write_books(&m, &mut written, &near, &mut book, &mut stamp)?;
            out.levels += rows;
        }
        for t in m.trades() {
            let inst = m.instruments().get(t.instrument);
            if expires(inst).is_some_and(near) {
                trade_id += 1;
                let (price, qty) = (eth(t.instrument, t.price), t.qty.0 as f64);
                trades.trade(stamp(), inst.name(), trade_id, t.aggressor, price, qty)?;
                out.trades += 1;
            }
        }
    }
    chain.finish()?;
    book.finish()?;
    trades.finish()?;
    out.files = files.to_vec();
    Ok(out)
}

/// The books of the options expiring `near` written as changes against `written` (what was
/// written of each, kept up to date; a book seen for the first time is a snapshot); the rows.
fn write_books(
    m: &SyntheticMarket,
    written: &mut HashMap<InstrumentId, (Levels, Levels)>,
    near: &dyn Fn(Timestamp) -> bool,
    book: &mut TardisWriter,
    stamp: &mut dyn FnMut() -> Timestamp,
) -> Result<u64, TardisError> {
    let books = m.books();
    let live: std::collections::HashSet<InstrumentId> = books.iter().map(|b| b.id).collect();
    written.retain(|id, _| live.contains(id));
    let mut rows = 0;
    for b in books {
        let inst = m.instruments().get(b.id);
        if !expires(inst).is_some_and(near) {
            continue;
        }
        let symbol = inst.name().to_string();
        // A snapshot's rows share one time, as Tardis writes them.
        let snapshot = (!written.contains_key(&b.id)).then(&mut *stamp);
        let (old_bids, old_asks) = written.remove(&b.id).unwrap_or_default();
        // Both sides' levels gone first, then both sides' new ones: a book that moved by more
        // than its spread is never crossed between two rows.
        for adding in [false, true] {
            for (side, old, new) in [
                (Side::Buy, &old_bids, &b.bids),
                (Side::Sell, &old_asks, &b.asks),
            ] {
                let diff = Diff {
                    symbol: &symbol,
                    side,
                    snapshot,
                };
                let eth = |price| inst.price_f64(price);
                rows += match adding {
                    false => diff.removed(book, old, new, stamp, &eth)?,
                    true => diff.added(book, old, new, stamp, &eth)?,
                };
            }
        }
        written.insert(b.id, (b.bids, b.asks));
    }
    Ok(rows)
}

/// The rows that take one side of a book from what was written to what it is now.
struct Diff<'a> {
    symbol: &'a str,
    side: Side,
    /// A book written for the first time: its rows are a snapshot, all at this time.
    snapshot: Option<Timestamp>,
}

impl Diff<'_> {
    /// Levels gone (size 0); the rows written.
    fn removed(
        &self,
        book: &mut TardisWriter,
        old: &Levels,
        new: &Levels,
        stamp: &mut dyn FnMut() -> Timestamp,
        eth: &dyn Fn(Price) -> f64,
    ) -> Result<u64, TardisError> {
        let mut rows = 0;
        for &(price, _) in old {
            if !new.iter().any(|l| l.0 == price) {
                book.level(stamp(), self.symbol, false, self.side, eth(price), 0.0)?;
                rows += 1;
            }
        }
        Ok(rows)
    }

    /// Levels new or changed; the rows written.
    fn added(
        &self,
        book: &mut TardisWriter,
        old: &Levels,
        new: &Levels,
        stamp: &mut dyn FnMut() -> Timestamp,
        eth: &dyn Fn(Price) -> f64,
    ) -> Result<u64, TardisError> {
        let (symbol, side) = (self.symbol, self.side);
        let mut rows = 0;
        for &(price, qty) in new {
            if !old.contains(&(price, qty)) {
                let at = self.snapshot.unwrap_or_else(&mut *stamp);
                let snapshot = self.snapshot.is_some();
                book.level(at, symbol, snapshot, side, eth(price), qty.0 as f64)?;
                rows += 1;
            }
        }
        Ok(rows)
    }
}
