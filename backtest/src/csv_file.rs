//! Opening a `.csv` or `.csv.gz` file as a streaming CSV reader (gzip by extension; memory does
//! not grow with the file).

use flate2::read::MultiGzDecoder;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// The reader and its header, or why the file cannot be read (a message for the caller to wrap
/// with the file name).
pub fn open(path: &Path) -> Result<(csv::Reader<Box<dyn Read>>, csv::StringRecord), String> {
    let file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let raw: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(MultiGzDecoder::new(BufReader::new(file)))
    } else {
        Box::new(BufReader::new(file))
    };
    let mut reader = csv::ReaderBuilder::new().from_reader(raw);
    let header = reader
        .headers()
        .map_err(|e| format!("unreadable header: {e}"))?
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
