//! Tardis.dev CSV data (VENUE.md): `options_chain`, `book_snapshot_25`, `incremental_book_L2` and
//! `trades`, streamed from `.csv` or `.csv.gz` files (memory does not grow with the file), each
//! bad row an error naming the file and line, or, when the reader is lenient, skipped and
//! counted. Several files merge into one stream by timestamp ([`merge`]).
//!
//! Timestamps are the venue's (`timestamp`, microseconds since the epoch); options_chain IVs are
//! in percent and prices in coin, as Tardis writes them (converted here: IVs to fractions).

use crate::csv_file;
use engine::{Instrument, InstrumentId, Instruments, Price, Qty, Side, Timestamp};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error, PartialEq)]
#[error("{}:{line}: {message}", file.display())]
pub struct TardisError {
    pub file: PathBuf,
    pub line: u64,
    pub message: String,
}

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
    pub symbol: String,
    pub strike: f64,
    pub expiration: Timestamp,
    pub bid: Option<(f64, f64)>,
    pub ask: Option<(f64, f64)>,
    pub mark: f64,
    /// As a fraction (Tardis writes percent).
    pub mark_iv: f64,
    pub underlying_price: f64,
}

/// What a row says.
#[derive(Clone, Debug, PartialEq)]
pub enum TardisEvent {
    Quote(ChainQuote),
    /// Up to 25 levels a side, best first: (price, amount).
    Snapshot {
        symbol: String,
        bids: Vec<(f64, f64)>,
        asks: Vec<(f64, f64)>,
    },
    /// One level set to `amount` (0 deletes). `snapshot` rows are part of a book snapshot;
    /// `reset` marks the first row of a symbol's snapshot run: that symbol's book is rebuilt from
    /// here.
    Level {
        symbol: String,
        snapshot: bool,
        reset: bool,
        side: Side,
        price: f64,
        amount: f64,
    },
    Trade {
        symbol: String,
        /// The aggressor's side.
        side: Side,
        price: f64,
        amount: f64,
    },
}

/// A row's timestamp and event.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub at: Timestamp,
    pub event: TardisEvent,
}

/// Streams one Tardis file.
pub struct TardisReader {
    file: PathBuf,
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
        let header = &self.header;
        let get = |name: &str| -> &str {
            header
                .iter()
                .position(|h| h == name)
                .and_then(|i| record.get(i))
                .unwrap_or("")
        };
        let number = |name: &str| -> Result<f64, String> {
            let text = get(name);
            text.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("{name} = {text:?} is not a finite number"))
        };
        let optional = |name: &str| -> Result<Option<f64>, String> {
            if get(name).is_empty() {
                Ok(None)
            } else {
                number(name).map(Some)
            }
        };
        let micros = |name: &str| -> Result<Timestamp, String> {
            let text = get(name);
            text.parse::<i64>()
                .map(Timestamp::from_micros)
                .map_err(|_| format!("{name} = {text:?} is not microseconds since the epoch"))
        };
        let side = |text: &str| -> Result<Side, String> {
            match text {
                "buy" | "bid" => Ok(Side::Buy),
                "sell" | "ask" => Ok(Side::Sell),
                other => Err(format!("side = {other:?} is not buy/sell or bid/ask")),
            }
        };
        let symbol = get("symbol").to_string();
        if symbol.is_empty() {
            return Err("symbol is empty".into());
        }
        let at = micros("timestamp")?;
        let event = match self.dataset {
            Dataset::OptionsChain => {
                let pair = |p: &str, a: &str| -> Result<Option<(f64, f64)>, String> {
                    Ok(match (optional(p)?, optional(a)?) {
                        (Some(p), Some(a)) if p > 0.0 && a > 0.0 => Some((p, a)),
                        _ => None,
                    })
                };
                let quote = ChainQuote {
                    symbol,
                    strike: number("strike_price")?,
                    expiration: micros("expiration")?,
                    bid: pair("bid_price", "bid_amount")?,
                    ask: pair("ask_price", "ask_amount")?,
                    mark: number("mark_price")?,
                    mark_iv: number("mark_iv")? / 100.0,
                    underlying_price: number("underlying_price")?,
                };
                implausible(&quote).map_or(Ok(()), Err)?;
                TardisEvent::Quote(quote)
            }
            Dataset::BookSnapshot25 => {
                let levels = |prefix: &str| -> Result<Vec<(f64, f64)>, String> {
                    let mut out = Vec::new();
                    for i in 0..25 {
                        let (p, a) = (
                            format!("{prefix}[{i}].price"),
                            format!("{prefix}[{i}].amount"),
                        );
                        match (optional(&p)?, optional(&a)?) {
                            (Some(p), Some(a)) => out.push((p, a)),
                            _ => break,
                        }
                    }
                    Ok(out)
                };
                TardisEvent::Snapshot {
                    symbol,
                    bids: levels("bids")?,
                    asks: levels("asks")?,
                }
            }
            Dataset::IncrementalBookL2 => {
                let snapshot = match get("is_snapshot") {
                    "true" => true,
                    "false" => false,
                    other => return Err(format!("is_snapshot = {other:?} is not true/false")),
                };
                let reset = snapshot && self.snapshot_of.as_deref() != Some(symbol.as_str());
                self.snapshot_of = snapshot.then(|| symbol.clone());
                let amount = number("amount")?;
                if amount < 0.0 {
                    return Err(format!("amount = {amount} is negative"));
                }
                TardisEvent::Level {
                    symbol,
                    snapshot,
                    reset,
                    side: side(get("side"))?,
                    price: number("price")?,
                    amount,
                }
            }
            Dataset::Trades => TardisEvent::Trade {
                symbol,
                side: side(get("side"))?,
                price: number("price")?,
                amount: number("amount")?,
            },
        };
        let price_ok = match &event {
            TardisEvent::Level { price, .. } | TardisEvent::Trade { price, .. } => *price > 0.0,
            _ => true,
        };
        if !price_ok {
            return Err("price is not positive".into());
        }
        Ok(Row { at, event })
    }
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
    if q.mark < 0.0 {
        return Some(format!("mark_price = {:?} is negative", q.mark));
    }
    // A worthless option has no vol to invert: 0 is taken there, and only there.
    let worthless = q.mark == 0.0 && q.mark_iv == 0.0;
    if !(worthless || (q.mark_iv > 0.0 && q.mark_iv <= 10.0)) {
        return Some(format!(
            "mark_iv = {:?} is not above 0 and at most 1000 (percent), nor 0 with a mark of 0",
            q.mark_iv * 100.0
        ));
    }
    if let (Some((bid, _)), Some((ask, _))) = (q.bid, q.ask) {
        if bid > ask {
            return Some(format!(
                "crossed: bid_price = {bid:?} is above ask_price = {ask:?}"
            ));
        }
    }
    None
}

impl Iterator for TardisReader {
    type Item = Result<Row, TardisError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let record = self.records.next()?;
            // A record's own line; a stream that breaks (a corrupt .gz) has none: the line after
            // the last one read.
            let line = match &record {
                Ok(r) => r.position().map_or(self.line + 1, |p| p.line()),
                Err(e) => e.position().map_or(self.line + 1, |p| p.line()),
            };
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
                Ok((row, key)) => {
                    self.last_at = key;
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

/// Writes `options_chain` rows in Tardis's columns (what a quote does not carry is left empty;
/// IVs in percent, as Tardis writes them), gzipped when `path` ends in `.gz`.
pub fn write_options_chain(
    path: &Path,
    rows: impl IntoIterator<Item = (Timestamp, ChainQuote)>,
) -> Result<(), TardisError> {
    let mut w = TardisWriter::create(path, Dataset::OptionsChain)?;
    for (at, q) in rows {
        w.quote(at, &q)?;
    }
    w.finish()
}

/// The file under a [`TardisWriter`]: gzipped or plain.
enum Sink {
    Plain(std::io::BufWriter<std::fs::File>),
    Gz(flate2::write::GzEncoder<std::fs::File>),
}

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::Plain(w) => w.write(buf),
            Sink::Gz(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Gz(w) => w.flush(),
        }
    }
}

/// Writes one Tardis dataset row by row in Tardis's columns (those the readers need, plus the
/// usual neighbours left empty), gzipped when the path ends in `.gz`. Timestamps in
/// microseconds; `local_timestamp` is written equal to `timestamp`.
pub struct TardisWriter {
    path: PathBuf,
    dataset: Dataset,
    csv: csv::Writer<Sink>,
    rows: u64,
}

impl TardisWriter {
    pub fn create(path: &Path, dataset: Dataset) -> Result<TardisWriter, TardisError> {
        let file = std::fs::File::create(path).map_err(|e| TardisError {
            file: path.to_path_buf(),
            line: 0,
            message: format!("cannot create: {e}"),
        })?;
        let sink = if path.extension().is_some_and(|e| e == "gz") {
            Sink::Gz(flate2::write::GzEncoder::new(
                file,
                flate2::Compression::fast(),
            ))
        } else {
            Sink::Plain(std::io::BufWriter::new(file))
        };
        let header: &[&str] = match dataset {
            Dataset::OptionsChain => &[
                "exchange",
                "symbol",
                "timestamp",
                "local_timestamp",
                "type",
                "strike_price",
                "expiration",
                "open_interest",
                "last_price",
                "bid_price",
                "bid_amount",
                "bid_iv",
                "ask_price",
                "ask_amount",
                "ask_iv",
                "mark_price",
                "mark_iv",
                "underlying_index",
                "underlying_price",
                "delta",
                "gamma",
                "vega",
                "theta",
                "rho",
            ],
            Dataset::IncrementalBookL2 => &[
                "exchange",
                "symbol",
                "timestamp",
                "local_timestamp",
                "is_snapshot",
                "side",
                "price",
                "amount",
            ],
            Dataset::Trades => &[
                "exchange",
                "symbol",
                "timestamp",
                "local_timestamp",
                "id",
                "side",
                "price",
                "amount",
            ],
            Dataset::BookSnapshot25 => {
                return Err(TardisError {
                    file: path.to_path_buf(),
                    line: 0,
                    message: "writing book_snapshot_25 is not supported".into(),
                })
            }
        };
        let mut w = TardisWriter {
            path: path.to_path_buf(),
            dataset,
            csv: csv::Writer::from_writer(sink),
            rows: 0,
        };
        w.record(header.iter().map(|h| h.to_string()).collect())?;
        Ok(w)
    }

    fn record(&mut self, fields: Vec<String>) -> Result<(), TardisError> {
        self.rows += 1;
        let line = self.rows;
        self.csv.write_record(&fields).map_err(|e| TardisError {
            file: self.path.clone(),
            line,
            message: e.to_string(),
        })
    }

    fn expect(&self, dataset: Dataset) -> Result<(), TardisError> {
        if self.dataset == dataset {
            Ok(())
        } else {
            Err(TardisError {
                file: self.path.clone(),
                line: self.rows + 1,
                message: format!("a {dataset:?} row in a {:?} file", self.dataset),
            })
        }
    }

    /// An options_chain row.
    pub fn quote(&mut self, at: Timestamp, q: &ChainQuote) -> Result<(), TardisError> {
        self.expect(Dataset::OptionsChain)?;
        let side = |x: Option<(f64, f64)>| match x {
            Some((p, a)) => (p.to_string(), a.to_string()),
            None => (String::new(), String::new()),
        };
        let ((bp, ba), (ap, aa)) = (side(q.bid), side(q.ask));
        let kind = if q.symbol.ends_with("-P") {
            "put"
        } else {
            "call"
        };
        let e = String::new;
        self.record(vec![
            "deribit".to_string(),
            q.symbol.clone(),
            micros(at),
            micros(at),
            kind.to_string(),
            q.strike.to_string(),
            micros(q.expiration),
            e(),
            e(),
            bp,
            ba,
            e(),
            ap,
            aa,
            e(),
            q.mark.to_string(),
            (q.mark_iv * 100.0).to_string(),
            e(),
            q.underlying_price.to_string(),
            e(),
            e(),
            e(),
            e(),
            e(),
        ])
    }

    /// An incremental_book_L2 row: the level (`side`, `price`) now shows `amount` (0 deletes).
    pub fn level(
        &mut self,
        at: Timestamp,
        symbol: &str,
        is_snapshot: bool,
        side: Side,
        price: f64,
        amount: f64,
    ) -> Result<(), TardisError> {
        self.expect(Dataset::IncrementalBookL2)?;
        self.record(vec![
            "deribit".to_string(),
            symbol.to_string(),
            micros(at),
            micros(at),
            is_snapshot.to_string(),
            match side {
                Side::Buy => "bid",
                Side::Sell => "ask",
            }
            .to_string(),
            price.to_string(),
            amount.to_string(),
        ])
    }

    /// A trades row; `aggressor` is the taker's side.
    pub fn trade(
        &mut self,
        at: Timestamp,
        symbol: &str,
        id: u64,
        aggressor: Side,
        price: f64,
        amount: f64,
    ) -> Result<(), TardisError> {
        self.expect(Dataset::Trades)?;
        self.record(vec![
            "deribit".to_string(),
            symbol.to_string(),
            micros(at),
            micros(at),
            id.to_string(),
            match aggressor {
                Side::Buy => "buy",
                Side::Sell => "sell",
            }
            .to_string(),
            price.to_string(),
            amount.to_string(),
        ])
    }

    /// Flushes (and ends the gzip stream), reporting what fails there.
    pub fn finish(self) -> Result<(), TardisError> {
        let err = |message: String| TardisError {
            file: self.path.clone(),
            line: 0,
            message,
        };
        let sink = self.csv.into_inner().map_err(|e| err(e.to_string()))?;
        match sink {
            Sink::Gz(gz) => gz.finish().map(drop).map_err(|e| err(e.to_string())),
            Sink::Plain(mut w) => std::io::Write::flush(&mut w).map_err(|e| err(e.to_string())),
        }
    }
}

fn micros(t: Timestamp) -> String {
    (t.0 / 1000).to_string()
}

/// Instrument ids of Tardis symbols: a name is parsed and interned on first sight, looked up
/// after (data rows repeat a few symbols millions of times).
#[derive(Clone, Debug, Default)]
pub struct Symbols(HashMap<String, InstrumentId>);

impl Symbols {
    /// The id of `symbol` in `instruments` (Deribit's terms), interning it the first time; an
    /// error names the symbol.
    pub fn id(
        &mut self,
        symbol: &str,
        instruments: &mut Instruments,
    ) -> Result<InstrumentId, String> {
        if let Some(id) = self.0.get(symbol) {
            return Ok(*id);
        }
        let inst = Instrument::deribit(symbol).map_err(|e| format!("{symbol}: {e}"))?;
        let id = instruments
            .intern(inst)
            .map_err(|e| format!("{symbol}: {e}"))?;
        self.0.insert(symbol.to_string(), id);
        Ok(id)
    }
}

/// A row's price and amount in `inst`'s integer units: the price on its tick, the amount in
/// whole lots (0 allowed: it deletes a level). Nothing is rounded; an error names the
/// instrument and the value.
pub fn units(inst: &Instrument, price: f64, amount: f64) -> Result<(Price, Qty), String> {
    let price = inst
        .parse_price(&price.to_string())
        .map_err(|e| e.to_string())?;
    let qty = if amount == 0.0 {
        Qty(0)
    } else {
        inst.parse_qty(&amount.to_string())
            .map_err(|e| e.to_string())?
    };
    Ok((price, qty))
}

/// Which dataset a Tardis file holds, from its header (None: not a Tardis file).
pub fn detect(path: &Path) -> Result<Option<Dataset>, TardisError> {
    let (_, header) = csv_file::open(path).map_err(|message| TardisError {
        file: path.to_path_buf(),
        line: 1,
        message,
    })?;
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
