//! One Tardis file as a stream of rows: each parsed and checked, a bad one an error naming the
//! file and line (or, lenient, skipped and counted).

use super::{ChainQuote, Dataset, Origin, Row, TardisError, TardisEvent};
use crate::csv_file;
use crate::quote_check::{self, Fault};
use engine::{Side, Timestamp};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
    local_col: Option<usize>,
}

impl TardisReader {
    /// Opens `path` as `dataset`; `lenient` skips and counts bad rows instead of stopping.
    pub fn open(path: &Path, dataset: Dataset, lenient: bool) -> Result<TardisReader, TardisError> {
        let (reader, header) = csv_file::open(path).map_err(|message| TardisError {
            file: path.to_path_buf(),
            line: 1,
            message,
        })?;
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
                return Err(TardisError {
                    file: path.to_path_buf(),
                    line: 1,
                    message: format!("the header has no `{name}` column ({dataset:?})"),
                });
            }
        }
        let local_col = header.iter().position(|h| h == "local_timestamp");
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
            local_col,
        })
    }

    fn parse(&mut self, record: &csv::StringRecord) -> Result<Row, String> {
        let f = Fields {
            header: &self.header,
            record,
        };
        let symbol = f.get("symbol").to_string();
        if symbol.is_empty() {
            return Err("symbol is empty".into());
        }
        let at = f.micros("timestamp")?;
        let event = match self.dataset {
            Dataset::OptionsChain => quote_row(&f, symbol)?,
            Dataset::BookSnapshot25 => snapshot_row(&f, symbol)?,
            Dataset::IncrementalBookL2 => {
                let snapshot_of = &mut self.snapshot_of;
                level_row(&f, symbol, snapshot_of)?
            }
            Dataset::Trades => trade_row(&f, symbol)?,
        };
        let price_ok = match &event {
            TardisEvent::Level { price, .. } | TardisEvent::Trade { price, .. } => *price > 0.0,
            _ => true,
        };
        if !price_ok {
            return Err("price is not positive".into());
        }
        Ok(Row {
            at,
            event,
            origin: Origin::default(),
        })
    }
}

/// One record's fields by column name.
struct Fields<'a> {
    header: &'a csv::StringRecord,
    record: &'a csv::StringRecord,
}

impl Fields<'_> {
    fn get(&self, name: &str) -> &str {
        self.header
            .iter()
            .position(|h| h == name)
            .and_then(|i| self.record.get(i))
            .unwrap_or("")
    }

    fn number(&self, name: &str) -> Result<f64, String> {
        let text = self.get(name);
        text.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("{name} = {text:?} is not a finite number"))
    }

    fn optional(&self, name: &str) -> Result<Option<f64>, String> {
        if self.get(name).is_empty() {
            Ok(None)
        } else {
            self.number(name).map(Some)
        }
    }

    fn micros(&self, name: &str) -> Result<Timestamp, String> {
        let text = self.get(name);
        text.parse::<i64>()
            .map(Timestamp::from_micros)
            .map_err(|_| format!("{name} = {text:?} is not microseconds since the epoch"))
    }
}

fn side(text: &str) -> Result<Side, String> {
    match text {
        "buy" | "bid" => Ok(Side::Buy),
        "sell" | "ask" => Ok(Side::Sell),
        other => Err(format!("side = {other:?} is not buy/sell or bid/ask")),
    }
}

/// An `options_chain` row: one option's quote, checked.
fn quote_row(f: &Fields, symbol: String) -> Result<TardisEvent, String> {
    let pair = |p: &str, a: &str| -> Result<Option<(f64, f64)>, String> {
        Ok(match (f.optional(p)?, f.optional(a)?) {
            (Some(p), Some(a)) if p > 0.0 && a > 0.0 => Some((p, a)),
            _ => None,
        })
    };
    let quote = ChainQuote {
        symbol,
        strike: f.number("strike_price")?,
        expiration: f.micros("expiration")?,
        bid: pair("bid_price", "bid_amount")?,
        ask: pair("ask_price", "ask_amount")?,
        mark: f.number("mark_price")?,
        mark_iv: f.number("mark_iv")? / 100.0,
        underlying_price: f.number("underlying_price")?,
    };
    implausible(&quote).map_or(Ok(()), Err)?;
    Ok(TardisEvent::Quote(quote))
}

/// A `book_snapshot_25` row: up to 25 levels a side.
fn snapshot_row(f: &Fields, symbol: String) -> Result<TardisEvent, String> {
    let levels = |prefix: &str| -> Result<Vec<(f64, f64)>, String> {
        let mut out = Vec::new();
        for i in 0..25 {
            let (p, a) = (
                format!("{prefix}[{i}].price"),
                format!("{prefix}[{i}].amount"),
            );
            match (f.optional(&p)?, f.optional(&a)?) {
                (Some(p), Some(a)) => out.push((p, a)),
                _ => break,
            }
        }
        Ok(out)
    };
    Ok(TardisEvent::Snapshot {
        symbol,
        bids: levels("bids")?,
        asks: levels("asks")?,
    })
}

/// An `incremental_book_L2` row; `snapshot_of` is the symbol of the snapshot run in progress.
fn level_row(
    f: &Fields,
    symbol: String,
    snapshot_of: &mut Option<String>,
) -> Result<TardisEvent, String> {
    let snapshot = match f.get("is_snapshot") {
        "true" => true,
        "false" => false,
        other => return Err(format!("is_snapshot = {other:?} is not true/false")),
    };
    let reset = snapshot && snapshot_of.as_deref() != Some(symbol.as_str());
    *snapshot_of = snapshot.then(|| symbol.clone());
    let amount = f.number("amount")?;
    if amount < 0.0 {
        return Err(format!("amount = {amount} is negative"));
    }
    Ok(TardisEvent::Level {
        symbol,
        snapshot,
        reset,
        side: side(f.get("side"))?,
        price: f.number("price")?,
        amount,
    })
}

/// A `trades` row.
fn trade_row(f: &Fields, symbol: String) -> Result<TardisEvent, String> {
    Ok(TardisEvent::Trade {
        symbol,
        side: side(f.get("side"))?,
        price: f.number("price")?,
        amount: f.number("amount")?,
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
            let record = self.records.next()?;
            let line = crate::csv_file::line_of(&record, self.line);
            self.line = line;
            let parsed = record.map_err(|e| e.to_string()).and_then(|r| {
                let row = self.parse(&r)?;
                let key = match self.local_col {
                    Some(i) => {
                        let text = r.get(i).unwrap_or("");
                        let micros = text.parse::<i64>().map_err(|_| {
                            format!(
                                "local_timestamp = {text:?} is not microseconds since the epoch"
                            )
                        })?;
                        Timestamp::from_micros(micros)
                    }
                    None => row.at,
                };
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
                Err(message) => {
                    return Some(Err(TardisError {
                        file: self.file.clone(),
                        line,
                        message,
                    }))
                }
            }
        }
    }
}
