//! One Tardis file as a stream of rows: each parsed and checked, a bad one an error naming the
//! file and line (or, lenient, skipped and counted).

use super::{ChainQuote, Dataset, Origin, Row, TardisError, TardisEvent};
use crate::csv_file;
use crate::quote_check::{self, Fault};
use engine::{Side, Timestamp};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A row's times (microseconds since the epoch).
struct Head {
    timestamp: i64,
    local_timestamp: Option<i64>,
}

/// The [`Head`] of a record (serde's `flatten` would buffer every field).
macro_rules! head {
    ($r:expr) => {
        Head {
            timestamp: $r.timestamp,
            local_timestamp: $r.local_timestamp,
        }
    };
}

/// Streams one Tardis file.
pub struct TardisReader {
    file: PathBuf,
    /// The same path, shared by every row's origin.
    shared_file: Arc<Path>,
    dataset: Dataset,
    records: csv::StringRecordsIntoIter<Box<dyn Read>>,
    header: csv::StringRecord,
    lenient: bool,
    /// Rows skipped as bad (lenient readers only).
    pub skipped: u64,
    /// The symbol of the run of `is_snapshot` rows of incremental_book_L2 we are in: only a
    /// run's first row of each symbol resets that symbol's book (one file holds many symbols).
    snapshot_of: Option<String>,
    /// The line and order key of the last row read: within a file the order key never goes
    /// back. Tardis orders its files by `local_timestamp` (receipt), whose column is the key
    /// where present (exchange timestamps may step back a little); else `timestamp`.
    line: u64,
    last_at: Timestamp,
    /// book_snapshot_25: the (price, amount) columns of each level, bids then asks.
    levels: [Vec<(usize, usize)>; 2],
}

impl TardisReader {
    /// Opens `path` as `dataset`; `lenient` skips and counts bad rows instead of stopping.
    pub fn open(path: &Path, dataset: Dataset, lenient: bool) -> Result<TardisReader, TardisError> {
        let (reader, header) = csv_file::open(path)?;
        let need: &[&str] = match dataset {
            Dataset::OptionsChain => &[
                "symbol",
                "timestamp",
                "strike_price",
                "expiration",
                "bid_price",
                "bid_amount",
                "ask_price",
                "ask_amount",
                "mark_price",
                "mark_iv",
                "underlying_price",
            ],
            Dataset::BookSnapshot25 => &["symbol", "timestamp", "asks[0].price", "bids[0].price"],
            Dataset::IncrementalBookL2 => &[
                "symbol",
                "timestamp",
                "is_snapshot",
                "side",
                "price",
                "amount",
            ],
            Dataset::Trades => &["symbol", "timestamp", "side", "price", "amount"],
        };
        for name in need {
            if !header.iter().any(|h| h == *name) {
                let message = format!("the header has no `{name}` column ({dataset:?})");
                return Err(TardisError::new(path, 1, message));
            }
        }
        let levels = ["bids", "asks"].map(|side| level_columns(&header, side));
        Ok(TardisReader {
            file: path.to_path_buf(),
            shared_file: Arc::from(path),
            dataset,
            records: reader.into_records(),
            header,
            lenient,
            skipped: 0,
            snapshot_of: None,
            line: 1,
            last_at: Timestamp(i64::MIN),
            levels,
        })
    }

    /// A record as a row, and its order key.
    fn parse(&mut self, record: &csv::StringRecord) -> Result<(Row, Timestamp), String> {
        let header = &self.header;
        let (head, event) = match self.dataset {
            Dataset::OptionsChain => quote_row(csv_file::deserialize(record, header)?)?,
            Dataset::BookSnapshot25 => {
                let r: SnapshotHead = csv_file::deserialize(record, header)?;
                let [bids, asks] = &self.levels;
                let event = TardisEvent::Snapshot {
                    symbol: symbol(r.symbol)?,
                    bids: levels(record, header, bids)?,
                    asks: levels(record, header, asks)?,
                };
                (head!(r), event)
            }
            Dataset::IncrementalBookL2 => {
                let r = csv_file::deserialize(record, header)?;
                level_row(r, &mut self.snapshot_of)?
            }
            Dataset::Trades => trade_row(csv_file::deserialize(record, header)?)?,
        };
        let at = Timestamp::from_micros(head.timestamp);
        // Tardis orders its files by receipt (`local_timestamp`) where it has one.
        let key = head.local_timestamp.map_or(at, Timestamp::from_micros);
        let row = Row {
            at,
            event,
            origin: Origin::default(),
        };
        Ok((row, key))
    }
}

fn symbol(s: String) -> Result<String, String> {
    if s.is_empty() {
        Err("symbol is empty".into())
    } else {
        Ok(s)
    }
}

/// A `book_snapshot_25` row's first columns (its levels are read by position).
#[derive(serde::Deserialize)]
struct SnapshotHead {
    symbol: String,
    timestamp: i64,
    local_timestamp: Option<i64>,
}

/// A side as Tardis writes it: a trade's aggressor (`buy`/`sell`) or a level's (`bid`/`ask`).
#[derive(Clone, Copy, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum WireSide {
    #[serde(alias = "bid")]
    Buy,
    #[serde(alias = "ask")]
    Sell,
}

impl From<WireSide> for Side {
    fn from(s: WireSide) -> Side {
        match s {
            WireSide::Buy => Side::Buy,
            WireSide::Sell => Side::Sell,
        }
    }
}

/// An `options_chain` row.
#[derive(serde::Deserialize)]
struct QuoteRecord {
    symbol: String,
    timestamp: i64,
    local_timestamp: Option<i64>,
    strike_price: f64,
    expiration: i64,
    bid_price: Option<f64>,
    bid_amount: Option<f64>,
    ask_price: Option<f64>,
    ask_amount: Option<f64>,
    mark_price: f64,
    mark_iv: f64,
    underlying_price: f64,
}

/// An `incremental_book_L2` row.
#[derive(serde::Deserialize)]
struct LevelRecord {
    symbol: String,
    timestamp: i64,
    local_timestamp: Option<i64>,
    is_snapshot: bool,
    side: WireSide,
    price: f64,
    amount: f64,
}

/// A `trades` row.
#[derive(serde::Deserialize)]
struct TradeRecord {
    symbol: String,
    timestamp: i64,
    local_timestamp: Option<i64>,
    side: WireSide,
    price: f64,
    amount: f64,
}

/// One option's quote, checked.
fn quote_row(r: QuoteRecord) -> Result<(Head, TardisEvent), String> {
    let opt = |v: Option<f64>| v.unwrap_or(0.0);
    csv_file::finite(&[
        ("strike_price", r.strike_price),
        ("bid_price", opt(r.bid_price)),
        ("bid_amount", opt(r.bid_amount)),
        ("ask_price", opt(r.ask_price)),
        ("ask_amount", opt(r.ask_amount)),
        ("mark_price", r.mark_price),
        ("mark_iv", r.mark_iv),
        ("underlying_price", r.underlying_price),
    ])?;
    let pair = |p: Option<f64>, a: Option<f64>| match (p, a) {
        (Some(p), Some(a)) if p > 0.0 && a > 0.0 => Some((p, a)),
        _ => None,
    };
    let quote = ChainQuote {
        symbol: symbol(r.symbol)?,
        strike: r.strike_price,
        expiration: Timestamp::from_micros(r.expiration),
        bid: pair(r.bid_price, r.bid_amount),
        ask: pair(r.ask_price, r.ask_amount),
        mark: r.mark_price,
        mark_iv: r.mark_iv / 100.0,
        underlying_price: r.underlying_price,
    };
    implausible(&quote).map_or(Ok(()), Err)?;
    Ok((head!(r), TardisEvent::Quote(quote)))
}

/// The `{side}[i].price` and `{side}[i].amount` columns of a `book_snapshot_25` header, in level
/// order, while both are there.
fn level_columns(header: &csv::StringRecord, side: &str) -> Vec<(usize, usize)> {
    let at = |name: String| header.iter().position(|h| h == name);
    (0..25)
        .map_while(|i| {
            let price = at(format!("{side}[{i}].price"))?;
            Some((price, at(format!("{side}[{i}].amount"))?))
        })
        .collect()
}

/// A `book_snapshot_25` side: its levels, best first, up to the first empty one.
fn levels(
    record: &csv::StringRecord,
    header: &csv::StringRecord,
    columns: &[(usize, usize)],
) -> Result<Vec<(f64, f64)>, String> {
    let number = |i: usize| -> Result<Option<f64>, String> {
        let text = record.get(i).unwrap_or("");
        if text.is_empty() {
            return Ok(None);
        }
        let name = header.get(i).unwrap_or("?");
        let v = text
            .parse::<f64>()
            .map_err(|_| format!("{name} = {text:?} is not a finite number"))?;
        csv_file::finite(&[(name, v)]).map(|_| Some(v))
    };
    let mut out = Vec::new();
    for &(p, a) in columns {
        match (number(p)?, number(a)?) {
            (Some(p), Some(a)) => out.push((p, a)),
            _ => break,
        }
    }
    Ok(out)
}

/// An `incremental_book_L2` row; `snapshot_of` is the symbol of the snapshot run in progress.
fn level_row(
    r: LevelRecord,
    snapshot_of: &mut Option<String>,
) -> Result<(Head, TardisEvent), String> {
    csv_file::finite(&[("price", r.price), ("amount", r.amount)])?;
    if r.amount < 0.0 {
        return Err(format!("amount = {} is negative", r.amount));
    }
    if r.price <= 0.0 {
        return Err("price is not positive".into());
    }
    let symbol = symbol(r.symbol)?;
    let snapshot = r.is_snapshot;
    let reset = snapshot && snapshot_of.as_deref() != Some(symbol.as_str());
    *snapshot_of = snapshot.then(|| symbol.clone());
    let event = TardisEvent::Level {
        symbol,
        snapshot,
        reset,
        side: r.side.into(),
        price: r.price,
        amount: r.amount,
    };
    Ok((head!(r), event))
}

/// A `trades` row.
fn trade_row(r: TradeRecord) -> Result<(Head, TardisEvent), String> {
    csv_file::finite(&[("price", r.price), ("amount", r.amount)])?;
    if r.price <= 0.0 {
        return Err("price is not positive".into());
    }
    let event = TardisEvent::Trade {
        symbol: symbol(r.symbol)?,
        side: r.side.into(),
        price: r.price,
        amount: r.amount,
    };
    Ok((head!(r), event))
}

/// What makes a parsed chain quote unusable: numbers that parse but cannot be a market.
fn implausible(q: &ChainQuote) -> Option<String> {
    // An index outside (0, 10^7) USD is no ETH price (1e300 or 0 would price everything wrong).
    if !(q.underlying_price > 0.0 && q.underlying_price < 1e7) {
        return Some(format!(
            "underlying_price = {:?} is not a price (0 to 10,000,000)",
            q.underlying_price
        ));
    }
    if q.strike <= 0.0 {
        return Some(format!("strike_price = {:?} is not positive", q.strike));
    }
    let (bid, ask) = (q.bid.map(|b| b.0), q.ask.map(|a| a.0));
    quote_check::check(q.mark, q.mark_iv, bid, ask).map(|fault| match fault {
        Fault::NegativeMark => format!("mark_price = {:?} is negative", q.mark),
        Fault::Vol => format!(
            "mark_iv = {:?} is not above 0 and at most 1000 (percent), nor 0 with a mark of 0",
            q.mark_iv * 100.0
        ),
        Fault::Crossed => format!(
            "crossed: bid_price = {:?} is above ask_price = {:?}",
            bid.unwrap_or_default(),
            ask.unwrap_or_default()
        ),
    })
}

impl Iterator for TardisReader {
    type Item = Result<Row, TardisError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let record = self.records.next()?;
            let line = crate::csv_file::line_of(&record, self.line);
            self.line = line;
            let record = match record {
                Ok(r) => r,
                Err(_) if self.lenient => {
                    self.skipped += 1;
                    continue;
                }
                Err(e) => {
                    let error = TardisError::caused(&self.file, line, "unreadable row", e);
                    return Some(Err(error));
                }
            };
            let parsed = self.parse(&record).and_then(|(row, key)| {
                if key < self.last_at {
                    return Err(format!(
                        "time goes back: {key} after {} on the line before",
                        self.last_at
                    ));
                }
                Ok((row, key))
            });
            match parsed {
                Ok((mut row, key)) => {
                    self.last_at = key;
                    row.origin = Origin {
                        file: Some(self.shared_file.clone()),
                        line,
                    };
                    return Some(Ok(row));
                }
                Err(_) if self.lenient => self.skipped += 1,
                Err(message) => return Some(Err(TardisError::new(&self.file, line, message))),
            }
        }
    }
}
