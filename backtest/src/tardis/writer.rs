//! Rows written in Tardis's columns, gzipped when the path ends in `.gz` (the synthetic market's
//! export, and test files).

use super::{ChainQuote, Dataset, TardisError};
use engine::{Side, Timestamp};
use std::path::{Path, PathBuf};

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
        let file = std::fs::File::create(path)
            .map_err(|e| TardisError::caused(path, 0, "cannot create", e))?;
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
                let message = "writing book_snapshot_25 is not supported";
                return Err(TardisError::new(path, 0, message));
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
        (self.csv.write_record(&fields))
            .map_err(|e| TardisError::caused(&self.path, line, "cannot write", e))
    }

    fn expect(&self, dataset: Dataset) -> Result<(), TardisError> {
        if self.dataset == dataset {
            Ok(())
        } else {
            let message = format!("a {dataset:?} row in a {:?} file", self.dataset);
            Err(TardisError::new(&self.path, self.rows + 1, message))
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
            q.symbol.to_string(),
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
            aggressor.to_string(),
            price.to_string(),
            amount.to_string(),
        ])
    }

    /// Flushes (and ends the gzip stream), reporting what fails there.
    pub fn finish(self) -> Result<(), TardisError> {
        let path = self.path;
        let err = |e: std::io::Error| TardisError::caused(&path, 0, "cannot finish writing", e);
        let sink = self.csv.into_inner().map_err(|e| err(e.into_error()))?;
        match sink {
            Sink::Gz(gz) => gz.finish().map(drop).map_err(err),
            Sink::Plain(mut w) => std::io::Write::flush(&mut w).map_err(err),
        }
    }
}

fn micros(t: Timestamp) -> String {
    (t.0 / 1000).to_string()
}
