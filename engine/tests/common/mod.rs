//! Locating and reading `../shared/data` from the tests. Tests that need it skip, saying so, when
//! the folder is absent; CI always has it.
#![allow(dead_code)]

pub mod lane_edges;

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

/// The distance from `v` to the next double up: one unit in its last place.
pub fn ulp(v: f64) -> f64 {
    f64::from_bits(v.to_bits() + 1) - v
}

/// One row of `reference/lets_be_rational_cases.csv`: an undiscounted Black price and its sigma.
pub struct LbrCase {
    pub line: usize,
    pub kind: engine::pricing::OptionType,
    pub forward: f64,
    pub strike: f64,
    pub t: f64,
    pub sigma: f64,
    pub price: f64,
}

impl LbrCase {
    /// How far sigma can be pinned by the price known to two units in its last place (relative).
    pub fn attainable(&self) -> f64 {
        let g = engine::pricing::black76::greeks(
            self.kind,
            self.forward,
            self.strike,
            self.t,
            self.sigma,
            1.0,
        );
        2.0 * ulp(self.price) / g.vega / self.sigma
    }
}

/// The Let's Be Rational reference cases, or None (with a message) if the shared data is absent.
pub fn lbr_cases() -> Option<Vec<LbrCase>> {
    let rows = reference_rows("reference/lets_be_rational_cases.csv")?;
    let cases = rows
        .iter()
        .map(|row| LbrCase {
            line: row.0,
            kind: row.1["type"]
                .parse()
                .unwrap_or_else(|e| panic!("line {}: {e}", row.0)),
            forward: num(row, "forward"),
            strike: num(row, "strike"),
            t: num(row, "t"),
            sigma: num(row, "sigma"),
            price: num(row, "black_price"),
        })
        .collect();
    Some(cases)
}
