//! The chain snapshot reader: snapshots split on timestamps, and every bad field is an error that
//! names the file, the line and the field.

use backtest::chain::ChainReader;
use engine::pricing::OptionType;

const HEADER: &str = "timestamp,instrument_name,underlying,underlying_name,option_type,strike,expiry_datetime,time_to_maturity,bid_price,ask_price,mark_price,mid_price,futures_price,futures_instrument_name,implied_volatility,delta,vega,open_interest,volume,bid_ask_spread,currency,index_price,volume_usd";

fn row(ts: &str, name: &str, strike: &str, bid: &str, ask: &str) -> String {
    format!("{ts},{name},2988.2,SYN.ETH-23JAN26,call,{strike},2026-01-23T08:00:00+00:00,0.06,{bid},{ask},0.0075,0.0075,2988.2,SYN.ETH-23JAN26,0.59,0.11,1.4,0,0,0.001,ETH,2982.3,0")
}

fn write(name: &str, lines: &[String]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rollmaker-chain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, format!("{HEADER}\n{}\n", lines.join("\n"))).unwrap();
    path
}

#[test]
fn splits_snapshots_and_keeps_empty_sides_as_none() {
    let t1 = "2026-01-01T09:18:35.173006+00:00";
    let t2 = "2026-01-01T15:18:35+00:00";
    let path = write(
        "good.csv",
        &[
            row(t1, "ETH-23JAN26-3600-C", "3600.0", "0.007", "0.008"),
            row(t1, "ETH-23JAN26-3800-C", "3800.0", "", "0.004"),
            row(t2, "ETH-23JAN26-3600-C", "3600.0", "0.006", "0.007"),
        ],
    );
    let snapshots: Vec<_> = ChainReader::open(&path)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(snapshots.len(), 2);
    assert_eq!(snapshots[0].rows.len(), 2);
    assert_eq!(snapshots[0].rows[1].bid, None);
    assert_eq!(snapshots[0].rows[1].ask, Some(0.004));
    assert_eq!(snapshots[0].rows[0].kind, OptionType::Call);
    assert_eq!(&*snapshots[0].rows[0].expiry, "23JAN26");
    assert_eq!(snapshots[1].rows.len(), 1);
}

#[test]
fn a_corrupt_line_is_reported_with_file_line_and_field() {
    let t = "2026-01-01T09:18:35+00:00";
    for (bad, needle) in [
        (
            row(t, "ETH-23JAN26-3600-C", "abc", "0.007", "0.008"),
            "strike = \"abc\" is not a finite number",
        ),
        (
            row(t, "ETH-23JAN26-3600-C", "3600", "-0.007", "0.008"),
            "bid_price = -0.007 is negative",
        ),
        (
            row(t, "ETH-23JAN26-3600-X", "3600", "0.007", "0.008"),
            "ETH-23JAN26-3600-X",
        ),
        (
            row("yesterday", "ETH-23JAN26-3600-C", "3600", "0.007", "0.008"),
            "timestamp \"yesterday\"",
        ),
        (
            row(t, "ETH-23JAN26-3600-C", "NaN", "0.007", "0.008"),
            "strike = NaN is not a finite number",
        ),
        // Numbers that parse but cannot be a market.
        (
            row(t, "ETH-23JAN26-3600-C", "3600", "0.009", "0.008"),
            "crossed: bid_price = 0.009 is above ask_price = 0.008",
        ),
        (
            row(t, "ETH-23JAN26-3600-C", "3600", "0.007", "0.008").replace(",2982.3,0", ",1e300,0"),
            "index_price = 1e300 is not within a factor 2",
        ),
        (
            row(t, "ETH-23JAN26-3600-C", "3600", "0.007", "0.008").replace(",2982.3,0", ",0,0"),
            "index_price = 0.0 is not within a factor 2",
        ),
        (
            row(t, "ETH-23JAN26-3600-C", "3600", "0.007", "0.008").replace(",0.59,", ",1000000,"),
            "implied_volatility = 1000000.0 is not above 0",
        ),
        (
            row(t, "ETH-23JAN26-3600-C", "3600", "0.007", "0.008")
                .replace(",0.0075,0.0075,", ",-0.01,0.0075,"),
            "mark_price = -0.01 is negative",
        ),
        (
            row(
                "2025-12-31T09:18:35+00:00",
                "ETH-23JAN26-3600-C",
                "3600",
                "0.007",
                "0.008",
            ),
            "goes back in time",
        ),
    ] {
        let path = write(
            "bad.csv",
            &[row(t, "ETH-23JAN26-3400-C", "3400", "0.01", "0.02"), bad],
        );
        let results: Vec<_> = ChainReader::open(&path).unwrap().collect();
        let err = results.into_iter().find_map(Result::err).expect("an error");
        let text = err.to_string();
        assert!(text.contains("bad.csv:3:"), "{text}");
        assert!(text.contains(needle), "{text}");
        // Lenient: the bad row is skipped and counted, the good one kept.
        let mut lenient = ChainReader::open(&path).unwrap().lenient();
        let snapshots: Vec<_> = lenient.by_ref().map(Result::unwrap).collect();
        assert_eq!(snapshots.len(), 1);
        assert_eq!(snapshots[0].rows.len(), 1);
        assert_eq!(lenient.skipped, 1);
    }
    // A .gz cut short: the error names the line after the last one read, not line 0.
    let gz = write(
        "cut.csv",
        &[row(t, "ETH-23JAN26-3400-C", "3400", "0.01", "0.02")],
    );
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut enc, &std::fs::read(&gz).unwrap()).unwrap();
    let bytes = enc.finish().unwrap();
    let cut = gz.with_extension("csv.gz");
    std::fs::write(&cut, &bytes[..bytes.len() - 12]).unwrap();
    let results: Vec<_> = ChainReader::open(&cut).unwrap().collect();
    let err = results.into_iter().find_map(Result::err).expect("an error");
    assert!(err.to_string().contains("cut.csv.gz:"), "{err}");
    assert!(!err.to_string().contains("cut.csv.gz:0:"), "{err}");
    let path = write("noheader.csv", &[]);
    std::fs::write(&path, "a,b\n1,2\n").unwrap();
    let err = ChainReader::open(&path).err().expect("refused");
    assert!(err.to_string().contains("no `timestamp` column"), "{err}");
}
