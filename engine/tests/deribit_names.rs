//! Every instrument name in the shared Deribit ETH chain data parses and prints back unchanged,
//! and every quoted bid and ask converts to integer ticks exactly under the option tick rule.

mod common;

use common::chain_files;
use engine::instrument::{Instrument, InstrumentName};
use flate2::read::MultiGzDecoder;
use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufRead, BufReader};

#[test]
fn every_chain_name_round_trips_and_every_quote_is_on_tick() {
    let Some(files) = chain_files() else { return };
    assert!(!files.is_empty(), "no chain files found");
    let mut names = BTreeSet::new();
    let mut quotes = 0usize;
    for path in &files {
        let reader = BufReader::new(MultiGzDecoder::new(File::open(path).unwrap()));
        let mut lines = reader.lines();
        let header = lines.next().unwrap().unwrap();
        let cols: Vec<&str> = header.split(',').collect();
        let col = |n: &str| cols.iter().position(|c| *c == n).unwrap();
        let (inst, under, fut, bid, ask) = (
            col("instrument_name"),
            col("underlying_name"),
            col("futures_instrument_name"),
            col("bid_price"),
            col("ask_price"),
        );
        for (i, line) in lines.enumerate() {
            let line = line.unwrap();
            let f: Vec<&str> = line.split(',').collect();
            let option = Instrument::deribit(f[inst])
                .unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 2));
            for px in [f[bid], f[ask]] {
                if !px.is_empty() {
                    option
                        .parse_price(px)
                        .unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 2));
                    quotes += 1;
                }
            }
            for n in [f[inst], f[under], f[fut]] {
                if !n.is_empty() && !names.contains(n) {
                    names.insert(n.to_string());
                }
            }
        }
    }
    for n in &names {
        let parsed = InstrumentName::parse(n).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&parsed.to_string(), n);
    }
    // The data holds thousands of options plus their futures and synthetic forwards.
    assert!(names.len() > 5_000, "only {} names", names.len());
    assert!(quotes > 1_000_000, "only {quotes} quotes");
    eprintln!(
        "{} names round-tripped, {quotes} quotes on tick",
        names.len()
    );
}
