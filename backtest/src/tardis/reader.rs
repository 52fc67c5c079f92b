//! One Tardis file as a stream of rows: each parsed and checked, a bad one an error naming the
//! file and line (or, lenient, skipped and counted).

use super::{ChainQuote, Dataset, FileId, Origin, Row, Symbol, TardisError, TardisEvent};
use crate::csv_file;
use crate::fields::{Columns, Fields};
use crate::quote_check::{self, Fault};
use engine::{Side, Timestamp};
use rustc_hash::FxHashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Streams one Tardis file.
pub struct TardisReader {
    file: PathBuf,
    /// The same path by number, as every row's origin names it.
    file_id: FileId,
    reader: csv::Reader<Box<dyn Read + Send>>,
    /// The row being read (one buffer for the whole file).
    record: csv::StringRecord,
    columns: Columns,
    /// Where the columns every dataset has are, and those of this file's dataset.
    head: HeadColumns,
    layout: Layout,
    lenient: bool,
    /// Rows skipped as bad (lenient readers only).
    pub skipped: u64,
    /// The symbol of the run of `is_snapshot` rows of incremental_book_L2 we are in: only a
    /// run's first row of each symbol resets that symbol's book (one file holds many symbols).
    snapshot_of: Option<Symbol>,
    /// Each symbol read, once.
    symbols: FxHashMap<Box<str>, Symbol>,
    /// The line and order key of the last row read: within a file the order key never goes
    /// back. Tardis orders its files by `local_timestamp` (receipt), whose column is the key
    /// where present (exchange timestamps may step back a little); else `timestamp`.
    line: u64,
    last_at: Timestamp,
}

/// The columns of every dataset.
struct HeadColumns {
    symbol: usize,
    timestamp: usize,
    local_timestamp: Option<usize>,
}

/// Where a dataset's own columns are in the file's header (found once).
enum Layout {
    Chain(ChainColumns),
    /// book_snapshot_25: the (price, amount) columns of each level, bids then asks.
    Snapshot([Vec<(usize, usize)>; 2]),
    /// incremental_book_L2 (with `is_snapshot`) and trades (without).
    Level(LevelColumns),
}

struct ChainColumns {
    strike: usize,
    expiration: usize,
    bid: (usize, usize),
    ask: (usize, usize),
    mark_price: usize,
    mark_iv: usize,
    underlying_price: usize,
}

struct LevelColumns {
    is_snapshot: Option<usize>,
    side: usize,
    price: usize,
    amount: usize,
}

impl Layout {
    fn find(c: &Columns, dataset: Dataset) -> Result<Layout, String> {
        let what = format!("{dataset:?}");
        let need = |name: &str| c.need(name, &what);
        Ok(match dataset {
            Dataset::OptionsChain => Layout::Chain(ChainColumns {
                strike: need("strike_price")?,
                expiration: need("expiration")?,
                bid: (need("bid_price")?, need("bid_amount")?),
                ask: (need("ask_price")?, need("ask_amount")?),
                mark_price: need("mark_price")?,
                mark_iv: need("mark_iv")?,
                underlying_price: need("underlying_price")?,
            }),
            Dataset::BookSnapshot25 => {
                need("asks[0].price")?;
                need("bids[0].price")?;
                Layout::Snapshot(["bids", "asks"].map(|side| level_columns(c, side)))
            }
            Dataset::IncrementalBookL2 | Dataset::Trades => Layout::Level(LevelColumns {
                is_snapshot: match dataset {
                    Dataset::Trades => None,
                    _ => Some(need("is_snapshot")?),
                },
                side: need("side")?,
                price: need("price")?,
                amount: need("amount")?,
            }),
        })
    }
}

impl TardisReader {
    /// Opens `path` as `dataset`; `lenient` skips and counts bad rows instead of stopping.
    pub fn open(path: &Path, dataset: Dataset, lenient: bool) -> Result<TardisReader, TardisError> {
        let (reader, header) = csv_file::open(path)?;
        let columns = Columns::new(header);
        let what = format!("{dataset:?}");
        let located = |m: String| TardisError::new(path, 1, m);
        let head = HeadColumns {
            symbol: columns.need("symbol", &what).map_err(located)?,
            timestamp: columns.need("timestamp", &what).map_err(located)?,
            local_timestamp: columns.find("local_timestamp"),
        };
        let layout = Layout::find(&columns, dataset).map_err(located)?;
        Ok(TardisReader {
            file: path.to_path_buf(),
            file_id: FileId::of(path),
            reader,
            record: csv::StringRecord::new(),
            columns,
            head,
            layout,
            lenient,
            skipped: 0,
            snapshot_of: None,
            symbols: FxHashMap::default(),
            line: 1,
            last_at: Timestamp(i64::MIN),
        })
    }

    /// The record just read as a row, and its order key.
    fn parse(&mut self) -> Result<(Row, Timestamp), String> {
        let f = self.columns.row(&self.record);
        let h = &self.head;
        let symbol = intern(&mut self.symbols, f.str(h.symbol))?;
        let at = Timestamp::from_micros(f.i64(h.timestamp)?);
        // Tardis orders its files by receipt (`local_timestamp`) where it has one.
        let key = f
            .opt_i64(h.local_timestamp)?
            .map_or(at, Timestamp::from_micros);
        let event = match &self.layout {
            Layout::Chain(c) => quote_row(&f, c, symbol)?,
            Layout::Snapshot([bids, asks]) => TardisEvent::Snapshot {
                symbol,
                bids: levels(&f, bids)?,
                asks: levels(&f, asks)?,
            },
            Layout::Level(c) => match c.is_snapshot {
                Some(is_snapshot) => {
                    let snapshot = f.bool(is_snapshot)?;
                    level_row(&f, c, symbol, snapshot, &mut self.snapshot_of)?
                }
                None => trade_row(&f, c, symbol)?,
            },
        };
        let row = Row {
            at,
            event,
            origin: Origin::default(),
        };
        Ok((row, key))
    }
}

/// The reader's one copy of symbol `s`.
fn intern(symbols: &mut FxHashMap<Box<str>, Symbol>, s: &str) -> Result<Symbol, String> {
    if s.is_empty() {
        return Err("symbol is empty".into());
    }
    if let Some(known) = symbols.get(s) {
        return Ok(known.clone());
    }
    let symbol: Symbol = Arc::from(s);
    symbols.insert(s.into(), symbol.clone());
    Ok(symbol)
}

/// A side as Tardis writes it: a trade's aggressor (`buy`/`sell`) or a level's (`bid`/`ask`).
fn side(f: &Fields, i: usize) -> Result<Side, String> {
    match f.str(i) {
        "buy" | "bid" => Ok(Side::Buy),
        "sell" | "ask" => Ok(Side::Sell),
        other => Err(format!("side = {other:?} is not buy, sell, bid or ask")),
    }
}

/// An `options_chain` row's quote, checked.
fn quote_row(f: &Fields, c: &ChainColumns, symbol: Symbol) -> Result<TardisEvent, String> {
    let (bid_price, bid_amount) = (f.opt_f64(c.bid.0)?, f.opt_f64(c.bid.1)?);
    let (ask_price, ask_amount) = (f.opt_f64(c.ask.0)?, f.opt_f64(c.ask.1)?);
    let (strike, mark, mark_iv) = (f.f64(c.strike)?, f.f64(c.mark_price)?, f.f64(c.mark_iv)?);
    let (expiration, underlying_price) = (f.i64(c.expiration)?, f.f64(c.underlying_price)?);
    let opt = |v: Option<f64>| v.unwrap_or(0.0);
    csv_file::finite(&[
        ("strike_price", strike),
        ("bid_price", opt(bid_price)),
        ("bid_amount", opt(bid_amount)),
        ("ask_price", opt(ask_price)),
        ("ask_amount", opt(ask_amount)),
        ("mark_price", mark),
        ("mark_iv", mark_iv),
        ("underlying_price", underlying_price),
    ])?;
    let pair = |p: Option<f64>, a: Option<f64>| match (p, a) {
        (Some(p), Some(a)) if p > 0.0 && a > 0.0 => Some((p, a)),
        _ => None,
    };
    let quote = ChainQuote {
        symbol,
        strike,
        expiration: Timestamp::from_micros(expiration),
        bid: pair(bid_price, bid_amount),
        ask: pair(ask_price, ask_amount),
        mark,
        mark_iv: mark_iv / 100.0,
        underlying_price,
    };
    implausible(&quote).map_or(Ok(()), Err)?;
    Ok(TardisEvent::Quote(Box::new(quote)))
}

/// The `{side}[i].price` and `{side}[i].amount` columns of a `book_snapshot_25` header, in level
/// order, while both are there.
fn level_columns(c: &Columns, side: &str) -> Vec<(usize, usize)> {
    (0..25)
        .map_while(|i| {
            let price = c.find(&format!("{side}[{i}].price"))?;
            Some((price, c.find(&format!("{side}[{i}].amount"))?))
        })
        .collect()
}

/// A `book_snapshot_25` side: its levels, best first, up to the first empty one.
fn levels(f: &Fields, columns: &[(usize, usize)]) -> Result<Vec<(f64, f64)>, String> {
    let number = |i: usize| -> Result<Option<f64>, String> {
        let v = f.opt_f64(i)?;
        if let Some(v) = v {
            csv_file::finite(&[(f.name(i), v)])?;
        }
        Ok(v)
    };
    let mut out = Vec::with_capacity(columns.len());
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
    f: &Fields,
    c: &LevelColumns,
    symbol: Symbol,
    snapshot: bool,
    snapshot_of: &mut Option<Symbol>,
) -> Result<TardisEvent, String> {
    let (side, price, amount) = (side(f, c.side)?, f.f64(c.price)?, f.f64(c.amount)?);
    csv_file::finite(&[("price", price), ("amount", amount)])?;
    if amount < 0.0 {
        return Err(format!("amount = {amount} is negative"));
    }
    if price <= 0.0 {
        return Err("price is not positive".into());
    }
    let reset = snapshot && snapshot_of.as_deref() != Some(&*symbol);
    if !snapshot {
        *snapshot_of = None;
    } else if reset {
        *snapshot_of = Some(symbol.clone());
    }
    Ok(TardisEvent::Level {
        symbol,
        snapshot,
        reset,
        side,
        price,
        amount,
    })
}

/// A `trades` row.
fn trade_row(f: &Fields, c: &LevelColumns, symbol: Symbol) -> Result<TardisEvent, String> {
    let (side, price, amount) = (side(f, c.side)?, f.f64(c.price)?, f.f64(c.amount)?);
    csv_file::finite(&[("price", price), ("amount", amount)])?;
    if price <= 0.0 {
        return Err("price is not positive".into());
    }
    Ok(TardisEvent::Trade {
        symbol,
        side,
        price,
        amount,
    })
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
            let read = self.reader.read_record(&mut self.record);
            let position = match &read {
                Ok(_) => self.record.position(),
                Err(e) => e.position(),
            };
            // A stream that broke (a corrupt `.gz`) has no position: the line after the last.
            let line = position.map_or(self.line + 1, |p| p.line());
            self.line = line;
            match read {
                Ok(true) => {}
                Ok(false) => return None,
                Err(_) if self.lenient => {
                    self.skipped += 1;
                    continue;
                }
                Err(e) => {
                    let error = TardisError::caused(&self.file, line, "unreadable row", e);
                    return Some(Err(error));
                }
            }
            let parsed = self.parse().and_then(|(row, key)| {
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
                        file: Some(self.file_id),
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
