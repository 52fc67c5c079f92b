//! Locating and reading `../shared/data` from the tests. Tests that need it skip, saying so, when
//! the folder is absent; CI always has it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;

/// `../shared/data/<rel>` beside the repository, or None (with a message) if absent.
pub fn shared_data(rel: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data")
        .join(rel);
    if path.exists() {
        Some(path)
    } else {
        eprintln!(
            "SKIPPED: {} is absent (the shared data sits beside the repository)",
            path.display()
        );
        None
    }
}

/// The chain snapshot files, in time order.
pub fn chain_files() -> Option<Vec<PathBuf>> {
    let dir = shared_data("deribit_eth_chain")?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("readable chain folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".csv.gz"))
        .collect();
    files.sort();
    Some(files)
}

/// A small reference CSV (`#` lines are comments) as rows of column -> text, with line numbers.
pub fn reference_rows(rel: &str) -> Option<Vec<(usize, HashMap<String, String>)>> {
    let path = shared_data(rel)?;
    let text = std::fs::read_to_string(&path).expect("readable reference file");
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty());
    let (_, header) = lines.next().expect("a header line");
    let cols: Vec<String> = header.split(',').map(|c| c.trim().to_string()).collect();
    let rows = lines
        .map(|(i, line)| {
            let row = cols
                .iter()
                .cloned()
                .zip(line.split(',').map(|v| v.trim().to_string()))
                .collect();
            (i + 1, row)
        })
        .collect();
    Some(rows)
}

/// A numeric field of a reference row, panicking with the line number if it is not a number.
pub fn num(row: &(usize, HashMap<String, String>), col: &str) -> f64 {
    let text = row
        .1
        .get(col)
        .unwrap_or_else(|| panic!("line {}: no column {col}", row.0));
    text.parse()
        .unwrap_or_else(|_| panic!("line {}: {col} = {text:?} is not a number", row.0))
}

/// The rows of the first snapshot (all rows sharing the first `timestamp`) of a chain file, each
/// as column -> text with its line number.
pub fn first_snapshot(path: &std::path::Path) -> Vec<(usize, HashMap<String, String>)> {
    use std::io::{BufRead, BufReader};
    let file = std::fs::File::open(path).expect("readable chain file");
    let mut lines = BufReader::new(flate2::read::MultiGzDecoder::new(file)).lines();
    let header = lines.next().expect("a header").expect("readable header");
    let cols: Vec<String> = header.split(',').map(str::to_string).collect();
    let mut rows = Vec::new();
    let mut first_ts: Option<String> = None;
    for (i, line) in lines.enumerate() {
        let line = line.expect("readable line");
        let row: HashMap<String, String> = cols
            .iter()
            .cloned()
            .zip(line.split(',').map(str::to_string))
            .collect();
        let ts = row.get("timestamp").cloned().unwrap_or_default();
        match &first_ts {
            None => first_ts = Some(ts),
            Some(first) if *first != ts => break,
            _ => {}
        }
        rows.push((i + 2, row));
    }
    rows
}
