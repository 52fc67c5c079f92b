//! Tardis readers on hand-written files: each dataset's rows, gzip, a bad row named by file and
//! line (or skipped and counted), and several files merged by time.

use backtest::tardis::{merge, Dataset, Row, TardisEvent, TardisReader};
use engine::Side;
use flate2::write::GzEncoder;
use std::io::Write;
use std::path::PathBuf;

fn file(name: &str, text: &str) -> PathBuf {
    // A folder of this test binary's own (the CLI's export test reads a whole folder).
    let dir = std::env::temp_dir().join(format!("rollmaker-tardis-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    if name.ends_with(".gz") {
        let mut gz = GzEncoder::new(
            std::fs::File::create(&path).unwrap(),
            flate2::Compression::fast(),
        );
        gz.write_all(text.as_bytes()).unwrap();
        gz.finish().unwrap();
    } else {
        std::fs::write(&path, text).unwrap();
    }
    path
}

fn read(path: &std::path::Path, d: Dataset) -> Vec<Row> {
    TardisReader::open(path, d, false)
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

const L2: &str = "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount
deribit,ETH-PERPETUAL,1000,1001,true,bid,2000.5,10
deribit,ETH-PERPETUAL,1000,1001,true,ask,2001,5
deribit,ETH-27MAR26-2000-C,1000,1001,true,bid,0.05,3
deribit,ETH-PERPETUAL,2000,2001,false,bid,2000.5,0
deribit,ETH-PERPETUAL,3000,3001,true,bid,1999,7
";

const TRADES: &str = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount
deribit,ETH-PERPETUAL,1500,1501,t1,buy,2001,2
deribit,ETH-PERPETUAL,2500,2501,t2,sell,2000,1
";

#[test]
fn incremental_l2_and_trades_gzipped_and_merged() {
    let l2 = file("l2.csv.gz", L2);
    let rows = read(&l2, Dataset::IncrementalBookL2);
    assert_eq!(rows.len(), 5);
    assert!(matches!(
        rows[0].event,
        TardisEvent::Level {
            reset: true,
            side: Side::Buy,
            ..
        }
    ));
    // Only a snapshot run's first row of each symbol resets that book; a new run resets again.
    assert!(matches!(
        rows[1].event,
        TardisEvent::Level { reset: false, .. }
    ));
    assert!(matches!(
        &rows[2].event,
        TardisEvent::Level { reset: true, symbol, .. } if &**symbol == "ETH-27MAR26-2000-C"
    ));
    assert!(matches!(rows[3].event, TardisEvent::Level { amount, .. } if amount == 0.0));
    assert!(matches!(
        rows[4].event,
        TardisEvent::Level { reset: true, .. }
    ));
    assert_eq!(rows[0].at.0, 1_000_000);

    let trades = file("trades.csv", TRADES);
    let merged: Vec<Row> = merge(vec![
        TardisReader::open(&l2, Dataset::IncrementalBookL2, false).unwrap(),
        TardisReader::open(&trades, Dataset::Trades, false).unwrap(),
    ])
    .map(|r| r.unwrap())
    .collect();
    let times: Vec<i64> = merged.iter().map(|r| r.at.0 / 1000).collect();
    assert_eq!(times, vec![1000, 1000, 1000, 1500, 2000, 2500, 3000]);
    assert!(matches!(
        merged[3].event,
        TardisEvent::Trade {
            side: Side::Buy,
            ..
        }
    ));
}

#[test]
fn options_chain_and_book_snapshots() {
    let chain = file(
        "chain.csv",
        "exchange,symbol,timestamp,local_timestamp,type,strike_price,expiration,open_interest,last_price,bid_price,bid_amount,bid_iv,ask_price,ask_amount,ask_iv,mark_price,mark_iv,underlying_index,underlying_price,delta,gamma,vega,theta,rho
deribit,ETH-27MAR26-2000-C,5000,5001,call,2000,1774598400000000,10,0.05,0.049,12,61.2,0.051,3,63.0,0.0502,62.1,ETH-27MAR26,2010.5,0.5,0.001,2.1,-3.2,0.4
deribit,ETH-27MAR26-2500-C,5000,5001,call,2500,1774598400000000,10,,,,,0.012,4,70.1,0.011,69.5,ETH-27MAR26,2010.5,0.2,0.001,1.9,-2.8,0.2
",
    );
    let rows = read(&chain, Dataset::OptionsChain);
    let TardisEvent::Quote(q) = &rows[0].event else {
        panic!()
    };
    assert_eq!(q.bid, Some((0.049, 12.0)));
    assert!((q.mark_iv - 0.621).abs() < 1e-12);
    let TardisEvent::Quote(q) = &rows[1].event else {
        panic!()
    };
    assert_eq!(q.bid, None);
    let mut header = "exchange,symbol,timestamp,local_timestamp".to_string();
    for i in 0..25 {
        header += &format!(",asks[{i}].price,asks[{i}].amount,bids[{i}].price,bids[{i}].amount");
    }
    let mut row = "deribit,ETH-PERPETUAL,7000,7001".to_string();
    for i in 0..25 {
        if i < 2 {
            row += &format!(",{},{},{},{}", 2001 + i, 1 + i, 2000 - i, 2 + i);
        } else {
            row += ",,,,";
        }
    }
    let snap = file("snap.csv", &format!("{header}\n{row}\n"));
    let rows = read(&snap, Dataset::BookSnapshot25);
    let TardisEvent::Snapshot { bids, asks, .. } = &rows[0].event else {
        panic!()
    };
    assert_eq!((bids.len(), asks.len()), (2, 2));
    assert_eq!(bids[1], (1999.0, 3.0));
}

#[test]
fn a_bad_row_is_named_or_skipped_and_counted() {
    let bad = file(
        "bad.csv",
        "exchange,symbol,timestamp,local_timestamp,id,side,price,amount
deribit,ETH-PERPETUAL,1500,1501,t1,buy,2001,2
deribit,ETH-PERPETUAL,2500,2501,t2,sideways,2000,1
deribit,ETH-PERPETUAL,3500,3501,t3,sell,-5,1
deribit,ETH-PERPETUAL,4500,4501,t4,sell,2000,1
",
    );
    let mut strict = TardisReader::open(&bad, Dataset::Trades, false).unwrap();
    assert!(strict.next().unwrap().is_ok());
    let e = strict.next().unwrap().unwrap_err();
    assert_eq!(e.line, 3);
    assert!(
        e.to_string().contains("bad.csv:3") && e.to_string().contains("sideways"),
        "{e}"
    );
    let mut lenient = TardisReader::open(&bad, Dataset::Trades, true).unwrap();
    let ok: Vec<_> = lenient.by_ref().collect();
    assert_eq!(ok.len(), 2);
    assert_eq!(lenient.skipped, 2);
    // A file of another dataset is refused at its header.
    let e = TardisReader::open(&bad, Dataset::IncrementalBookL2, false)
        .err()
        .unwrap();
    assert!(e.to_string().contains("is_snapshot"), "{e}");
}

/// Chain quotes whose numbers parse but cannot be a market, and rows going back in time: each
/// named by file and line (or skipped and counted when lenient).
#[test]
fn implausible_quotes_and_time_going_back_are_named() {
    let header = "exchange,symbol,timestamp,local_timestamp,type,strike_price,expiration,open_interest,last_price,bid_price,bid_amount,bid_iv,ask_price,ask_amount,ask_iv,mark_price,mark_iv,underlying_index,underlying_price,delta,gamma,vega,theta,rho";
    let good = "deribit,ETH-27MAR26-2000-C,5000,5001,call,2000,1774598400000000,10,0.05,0.049,12,61.2,0.051,3,63.0,0.0502,62.1,ETH-27MAR26,2010.5,0.5,0.001,2.1,-3.2,0.4";
    for (bad, needle) in [
        (
            good.replace(",2010.5,", ",1e300,"),
            "underlying_price = 1e300",
        ),
        (good.replace(",2010.5,", ",0,"), "underlying_price = 0.0"),
        (
            good.replace(",62.1,", ",100000000,"),
            "mark_iv = 100000000.0",
        ),
        (good.replace(",0.0502,", ",-0.01,"), "mark_price = -0.01"),
        (
            good.replace(",0.049,12,", ",0.06,12,"),
            "crossed: bid_price = 0.06",
        ),
        (good.replace(",5000,5001,", ",4000,4001,"), "time goes back"),
    ] {
        let path = file("implausible.csv", &format!("{header}\n{good}\n{bad}\n"));
        let mut strict = TardisReader::open(&path, Dataset::OptionsChain, false).unwrap();
        assert!(strict.next().unwrap().is_ok());
        let e = strict.next().unwrap().unwrap_err().to_string();
        assert!(
            e.contains("implausible.csv:3:") && e.contains(needle),
            "{needle}: {e}"
        );
        let mut lenient = TardisReader::open(&path, Dataset::OptionsChain, true).unwrap();
        assert_eq!(lenient.by_ref().count(), 1);
        assert_eq!(lenient.skipped, 1);
    }
}

/// The synthetic market written as Tardis options_chain and read back: the same quotes.
#[test]
fn synthetic_quotes_round_trip_through_tardis_csv() {
    use backtest::sim::market::Market;
    use backtest::sim::synthetic_market::{MarketConfig, SyntheticMarket};
    use backtest::synthetic::path::{IndexPath, Preset};
    let config = Preset::Calm.config();
    let mut market = SyntheticMarket::new(config.clone(), MarketConfig::default(), 4);
    let mut written = Vec::new();
    for mut p in IndexPath::new(config, 4).step_by(360).take(4) {
        market.advance(&mut p);
        for q in market.quotes() {
            written.push((p.at, q));
        }
    }
    assert!(written.len() > 400, "{}", written.len());
    let path = file("synthetic_chain.csv.gz", "");
    backtest::tardis::write_options_chain(&path, written.clone()).unwrap();
    let read: Vec<(engine::Timestamp, backtest::tardis::ChainQuote)> =
        read(&path, Dataset::OptionsChain)
            .into_iter()
            .map(|r| match r.event {
                TardisEvent::Quote(q) => (r.at, *q),
                other => panic!("{other:?}"),
            })
            .collect();
    assert_eq!(read.len(), written.len());
    for ((ta, a), (tb, b)) in written.iter().zip(&read) {
        assert_eq!(ta, tb);
        assert_eq!(
            (&a.symbol, a.strike, a.expiration, a.bid, a.ask, a.mark),
            (&b.symbol, b.strike, b.expiration, b.bid, b.ask, b.mark)
        );
        // IVs pass through percent: equal to the last bits of the conversion.
        assert!(
            (a.mark_iv - b.mark_iv).abs() < 1e-15,
            "{} vs {}",
            a.mark_iv,
            b.mark_iv
        );
    }
}

/// A reader on its own thread gives the same rows as read here, in blocks across its block size;
/// it stops at a bad row (strict) or counts it (lenient); dropped or finished early, it ends.
#[test]
fn a_reader_ahead_on_its_thread_gives_the_same_rows_and_counts() {
    use backtest::tardis::ReadAhead;
    let mut text = String::from("exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n");
    for i in 0..40_000 {
        let side = if i % 3 == 0 { "buy" } else { "sell" };
        text += &format!(
            "deribit,ETH-PERPETUAL,{i},{i},t{i},{side},{},1\n",
            2000 + i % 7
        );
    }
    text += "deribit,ETH-PERPETUAL,60000,60000,tx,sideways,2000,1\n";
    text += "deribit,ETH-PERPETUAL,60001,60001,ty,buy,2000,1\n";
    let path = file("ahead.csv.gz", &text);
    let direct: Vec<_> = TardisReader::open(&path, Dataset::Trades, true)
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let lenient = TardisReader::open(&path, Dataset::Trades, true).unwrap();
    let mut ahead = ReadAhead::spawn(lenient);
    let rows: Vec<_> = ahead.by_ref().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 40_001);
    assert_eq!(rows, direct);
    assert_eq!(ahead.finish().skipped, 1);
    // Strict: the bad row is the last thing it gives.
    let strict = TardisReader::open(&path, Dataset::Trades, false).unwrap();
    let all: Vec<_> = ReadAhead::spawn(strict).collect();
    assert_eq!(all.len(), 40_001);
    let e = all[40_000].as_ref().unwrap_err();
    assert!(e.to_string().contains("ahead.csv.gz:40002"), "{e}");
    // Stopped after a row, it reads no further than its blocks ahead: it never reaches the bad
    // row at the end (finishing does not wait for the whole file).
    let mut early = ReadAhead::spawn(TardisReader::open(&path, Dataset::Trades, true).unwrap());
    assert!(early.next().is_some_and(|r| r.is_ok()));
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert_eq!(early.finish().skipped, 0);
    drop(ReadAhead::spawn(
        TardisReader::open(&path, Dataset::Trades, false).unwrap(),
    ));
}
