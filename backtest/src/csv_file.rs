//! Opening a `.csv` or `.csv.gz` file as a streaming CSV reader (gzip by extension; memory does
//! not grow with the file).

use flate2::read::MultiGzDecoder;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// What went wrong beneath a [`DataError`]: an I/O error, a CSV error (which may hold one).
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// A data file that cannot be read, or a bad row of it, located. A failure beneath (a file that
/// would not open, a stream that broke) is kept as the source, so that a caller tells a failed
/// read (the disk, permissions) from bad input by it.
#[derive(Debug, Error)]
#[error("{}:{line}: {message}", file.display())]
pub struct DataError {
    pub file: PathBuf,
    /// 1-based line in the (decompressed) file.
    pub line: u64,
    pub message: String,
    #[source]
    pub cause: Option<Cause>,
}

impl DataError {
    pub fn new(file: &Path, line: u64, message: impl Into<String>) -> DataError {
        DataError {
            file: file.to_path_buf(),
            line,
            message: message.into(),
            cause: None,
        }
    }

    /// `message` caused by `cause` (shown after it, as its source).
    pub fn caused(file: &Path, line: u64, message: &str, cause: impl Into<Cause>) -> DataError {
        DataError {
            cause: Some(cause.into()),
            ..DataError::new(file, line, message)
        }
    }
}

/// The reader and its header, or why the file cannot be read.
pub fn open(
    path: &Path,
) -> Result<(csv::Reader<Box<dyn Read + Send>>, csv::StringRecord), DataError> {
    let file = File::open(path).map_err(|e| DataError::caused(path, 1, "cannot open", e))?;
    let raw: Box<dyn Read + Send> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(MultiGzDecoder::new(BufReader::new(file)))
    } else {
        Box::new(BufReader::new(file))
    };
    let mut reader = csv::ReaderBuilder::new().from_reader(raw);
    let header = reader
        .headers()
        .map_err(|e| DataError::caused(path, 1, "unreadable header", e))?
        .clone();
    Ok((reader, header))
}

/// The file line of a record just read: its own, or, for a stream that broke (a corrupt `.gz`)
/// and has none, the line after `last` (the line of the record before).
pub fn line_of(record: &Result<csv::StringRecord, csv::Error>, last: u64) -> u64 {
    let position = match record {
        Ok(r) => r.position(),
        Err(e) => e.position(),
    };
    position.map_or(last + 1, |p| p.line())
}

/// `record` as a serde record `T`, fields found by the header's column names (other columns
/// ignored). An error names the column and the text it held.
pub fn deserialize<T: serde::de::DeserializeOwned>(
    record: &csv::StringRecord,
    header: &csv::StringRecord,
) -> Result<T, String> {
    record.deserialize(Some(header)).map_err(|e| {
        let csv::ErrorKind::Deserialize { err, .. } = e.kind() else {
            return e.to_string();
        };
        let field = err.field().and_then(|i| usize::try_from(i).ok());
        let (Some(name), Some(text)) = (
            field.and_then(|i| header.get(i)),
            field.and_then(|i| record.get(i)),
        ) else {
            return err.to_string();
        };
        use csv::DeserializeErrorKind as Kind;
        match err.kind() {
            Kind::ParseFloat(_) => format!("{name} = {text:?} is not a finite number"),
            Kind::ParseInt(_) => format!("{name} = {text:?} is not an integer"),
            Kind::ParseBool(_) => format!("{name} = {text:?} is not true/false"),
            Kind::Message(m) => format!("{name} = {text:?} {m}"),
            _ => format!("{name} = {text:?}: {err}"),
        }
    })
}

/// The first of `fields` (column, value) that is not a finite number, as an error (serde's
/// `f64` takes `NaN` and `inf`, which no price or size may be).
pub fn finite(fields: &[(&str, f64)]) -> Result<(), String> {
    match fields.iter().find(|(_, v)| !v.is_finite()) {
        Some((name, v)) => Err(format!("{name} = {v:?} is not a finite number")),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Rec {
        name: String,
        price: f64,
        bid: Option<f64>,
        flag: bool,
    }

    fn parse(row: &[&str]) -> Result<Rec, String> {
        let header = csv::StringRecord::from(vec!["flag", "extra", "name", "price", "bid"]);
        deserialize(&csv::StringRecord::from(row.to_vec()), &header)
    }

    #[test]
    fn fields_come_by_column_name_and_errors_name_the_column() {
        let ok = parse(&["true", "x", "ETH", "1.5", ""]).unwrap();
        assert_eq!(
            (ok.name.as_str(), ok.price, ok.bid, ok.flag),
            ("ETH", 1.5, None, true)
        );
        assert_eq!(
            parse(&["false", "", "E", "2", "0.5"]).unwrap().bid,
            Some(0.5)
        );
        let bad = |row: &[&str], want: &str| assert_eq!(parse(row).unwrap_err(), want);
        bad(
            &["true", "", "E", "abc", ""],
            "price = \"abc\" is not a finite number",
        );
        let nan = parse(&["true", "", "E", "NaN", ""]).unwrap();
        assert_eq!(
            finite(&[("bid", 1.0), ("price", nan.price)]).unwrap_err(),
            "price = NaN is not a finite number"
        );
        bad(
            &["yes", "", "E", "1", ""],
            "flag = \"yes\" is not true/false",
        );
    }

    #[test]
    fn a_file_that_will_not_open_keeps_its_io_error_as_the_source() {
        let Err(e) = open(Path::new("/nonexistent/chain.csv")) else {
            panic!("opened a file that is not there");
        };
        assert_eq!((e.line, e.message.as_str()), (1, "cannot open"));
        let source = std::error::Error::source(&e).expect("a source");
        let io = source
            .downcast_ref::<std::io::Error>()
            .expect("an io::Error");
        assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
        // Bad input has none.
        assert!(std::error::Error::source(&DataError::new(Path::new("x"), 2, "bad")).is_none());
    }
}
