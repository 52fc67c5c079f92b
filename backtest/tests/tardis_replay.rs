//! The synthetic market written as Tardis CSV (options_chain, incremental_book_L2, trades) and
//! replayed through the Tardis market: the books it rebuilds are the generator's, level for
//! level, and a backtest on the files fills the maker through the trades.

use backtest::sim::market::Market;
use backtest::sim::run::{run_market, RunConfig};
use backtest::sim::synthetic_market::{MarketConfig, SyntheticMarket};
use backtest::sim::tardis_market::{Batches, StepRows, TardisMarket};
use backtest::synthetic::path::{IndexPath, Preset};
use backtest::synthetic::tardis_export::{export, ExportConfig, Exported};
use backtest::tardis::resolve::Accept;
use backtest::tardis::{detect, merge, Dataset, Resolved, Resolver, Row, TardisReader};
use engine::Side;
use std::path::{Path, PathBuf};
use strategies::{RollMaker, RollMakerConfig};

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rollmaker-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn exported(name: &str, config: ExportConfig, market: MarketConfig) -> (PathBuf, Exported) {
    let d = dir(name);
    let e = export(Preset::Calm.config(), market, 7, &config, &d).unwrap();
    (d, e)
}

/// Rows made in memory resolved as the readers' are (one resolver per market: its registry).
fn resolved(resolver: &mut Resolver, rows: Vec<Row>) -> StepRows {
    rows.into_iter().map(|r| resolver.resolve(r)).collect()
}

fn batches(
    files: &[PathBuf],
) -> Batches<impl Iterator<Item = Result<Resolved, backtest::tardis::TardisError>>> {
    let readers = files
        .iter()
        .map(|f| {
            let dataset = detect(f).unwrap().unwrap();
            TardisReader::open(f, dataset, false).unwrap()
        })
        .collect();
    // The replay's way: the perpetual listed first in both registries (`TardisMarket::with_perpetual`).
    Batches::new(
        Resolver::new(Accept::Options)
            .with_perpetual()
            .rows(merge(readers)),
    )
}

#[test]
fn replayed_books_are_the_generated_ones() {
    let (d, e) = exported(
        "books",
        ExportConfig {
            days: 0.1,
            max_expiry_days: 10.0,
            // One step a minute, compared with the generator's minute.
            distinct_timestamps: false,
            ..ExportConfig::default()
        },
        MarketConfig::default(),
    );
    assert!(
        e.quotes > 1000 && e.levels > 10_000 && e.trades > 10,
        "{e:?}"
    );
    let datasets: Vec<Dataset> = e
        .files
        .iter()
        .map(|f| detect(f).unwrap().unwrap())
        .collect();
    assert_eq!(
        datasets,
        [
            Dataset::OptionsChain,
            Dataset::IncrementalBookL2,
            Dataset::Trades
        ]
    );
    let mut replayed = TardisMarket::new().with_perpetual();
    let mut generated = SyntheticMarket::new(Preset::Calm.config(), MarketConfig::default(), 7);
    let mut path = IndexPath::new(Preset::Calm.config(), 7);
    let mut steps = batches(&e.files);
    let (mut compared, mut levels) = (0, 0);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    // The fairs generation: the same number, the same calls at the same fair values (what the
    // sampler's vegas rely on to skip a step's recount).
    let (mut last, mut generations) = (None, 0);
    for mut batch in steps.by_ref() {
        let at = batch[0].at;
        replayed.advance(&mut batch);
        let fairs: Vec<_> = (replayed.series().iter())
            .map(|s| (s.id, replayed.fair(s.id).map(|g| g.vega.to_bits())))
            .collect();
        let generation = replayed.fairs_generation().expect("numbered chains");
        match &last {
            Some((g, f)) if *g == generation => assert_eq!(f, &fairs, "at {at}"),
            _ => generations += 1,
        }
        last = Some((generation, fairs));
        // The generator at the same minute.
        for mut p in path.by_ref() {
            generated.advance(&mut p);
            if p.at >= at {
                break;
            }
        }
        for s in replayed.series() {
            let (i, name) = (s.id, replayed.instruments().get(s.id).name());
            let Some(j) = generated
                .series()
                .iter()
                .find(|g| generated.instruments().get(g.id).name() == name)
                .map(|g| g.id)
            else {
                continue;
            };
            let (r, g) = (replayed.top(i).unwrap(), generated.top(j).unwrap());
            assert_eq!(r.bid, g.bid, "{name} at {at}");
            assert_eq!(r.ask, g.ask, "{name} at {at}");
            for side in [Side::Buy, Side::Sell] {
                replayed.levels(i, side, &mut a);
                generated.levels(j, side, &mut b);
                assert_eq!(a, b, "{name} {side:?} at {at}");
                levels += a.len();
            }
            compared += 1;
        }
    }
    assert!(steps.error.is_none(), "{:?}", steps.error);
    assert_eq!(replayed.skipped_rows, 0, "{:?}", replayed.skipped);
    assert!(
        compared > 1000 && levels > 5 * compared,
        "{compared} {levels}"
    );
    assert!(generations > 2, "{generations}");
    std::fs::remove_dir_all(d).ok();
}

#[test]
fn a_backtest_on_tardis_files_fills_through_trades() {
    // Half a day, the monthly expiry the roll maker quotes included; the chain every 10 minutes.
    let (d, e) = exported(
        "run",
        ExportConfig {
            days: 0.5,
            chain_seconds: 600.0,
            max_expiry_days: 45.0,
            ..ExportConfig::default()
        },
        // Busier than the default, so that trades reach the maker's few series in half a day.
        MarketConfig {
            background_trades_per_day: 50_000.0,
            ..MarketConfig::default()
        },
    );
    let run = || {
        let mut market = TardisMarket::new().with_perpetual();
        let mut config = RunConfig::new(Preset::Calm, 7);
        config.schedule.requote_seconds = 60.0;
        let c = RollMakerConfig::default_config();
        let rules = c.quote_rules();
        let mut steps = batches(&e.files);
        let s = run_market(
            &mut market,
            &mut steps,
            1440,
            &config,
            &mut RollMaker::new(c),
            rules,
            &mut |_, _| {},
        );
        assert!(steps.error.is_none(), "{:?}", steps.error);
        // Every row is an event.
        assert_eq!(s.events, steps.rows_read);
        assert_eq!(s.events, e.quotes + e.levels + e.trades);
        s
    };
    let s = run();
    assert_eq!(
        s.series.len(),
        13,
        "hourly samples over half a day, both ends"
    );
    assert!(s.fills > 0, "{}", s.fills);
    assert!(s.maker_pnl_usd.is_finite() && s.start_index > 0.0);
    // The hedge has the perpetual here too: it traded, and no order of it was rejected (the
    // refusals here are amends and cancels that met a fill).
    assert!(s.hedge_traded_eth > 0.0, "{s:?}");
    assert!(!s.refused.contains_key("order_rejected"), "{:?}", s.refused);
    // Deterministic.
    assert_eq!(s, run());
    std::fs::remove_dir_all(Path::new(&d)).ok();
}

/// The hand-built rows' clock: `s` seconds after 2026-03-01.
fn at(s: i64) -> engine::Timestamp {
    engine::Timestamp(1_772_323_200_000_000_000 + s * 1_000_000_000)
}

/// The option of the hand-built rows.
const OPTION: &str = "ETH-27MAR26-2000-C";

/// [`OPTION`]'s chain quote: 0.05 bid, 0.052 asked, 30 days out, the future at 2000.
fn chain_quote() -> backtest::tardis::ChainQuote {
    backtest::tardis::ChainQuote {
        symbol: OPTION.into(),
        strike: 2000.0,
        expiration: at(30 * 86_400),
        bid: Some((0.05, 10.0)),
        ask: Some((0.052, 10.0)),
        mark: 0.051,
        mark_iv: 0.6,
        underlying_price: 2000.0,
    }
}

/// Hand-built rows: a trade and the level update after it (what the trade does not explain was
/// cancelled), a row of an unknown instrument (skipped and counted), a crossed book (not live).
#[test]
fn trades_cancels_and_bad_rows() {
    use backtest::sim::market::{LevelCancel, MarketTrade};
    use backtest::tardis::TardisEvent;
    use engine::{Price, Qty};
    let (t, name, quote) = (at, OPTION, chain_quote());
    let level = |side, price, amount, reset| TardisEvent::Level {
        symbol: name.into(),
        snapshot: reset,
        reset,
        side,
        price,
        amount,
    };
    let mut m = TardisMarket::new();
    let mut r = Resolver::new(Accept::Options);
    // The chain built at once (no warm-up), so that its one series is there after the first step.
    m.rebuild_seconds = 0.0;
    m.advance(&mut resolved(
        &mut r,
        vec![
            Row {
                at: t(0),
                event: TardisEvent::Quote(Box::new(quote.clone())),
                origin: Default::default(),
            },
            Row {
                at: t(0),
                event: level(Side::Buy, 0.05, 10.0, true),
                origin: Default::default(),
            },
            Row {
                at: t(0),
                event: level(Side::Sell, 0.052, 10.0, false),
                origin: Default::default(),
            },
        ],
    ));
    assert_eq!(m.series().len(), 1);
    assert_eq!(m.point().map(|p| p.price), Some(2000.0));
    let id = m.series()[0].id;
    assert_eq!(
        m.top(m.series()[0].id).unwrap().bid,
        Some((Price(500), Qty(10)))
    );
    m.advance(&mut resolved(
        &mut r,
        vec![
            Row {
                at: t(1),
                event: TardisEvent::Trade {
                    symbol: name.into(),
                    side: Side::Sell,
                    price: 0.05,
                    amount: 3.0,
                },
                origin: Default::default(),
            },
            Row {
                at: t(1),
                event: level(Side::Buy, 0.05, 5.0, false),
                origin: Default::default(),
            },
            Row {
                at: t(1),
                event: TardisEvent::Trade {
                    symbol: "BTC-27MAR26-90000-C".into(),
                    side: Side::Buy,
                    price: 0.01,
                    amount: 1.0,
                },
                origin: Default::default(),
            },
        ],
    ));
    assert_eq!(
        m.trades(),
        [MarketTrade {
            instrument: id,
            aggressor: Side::Sell,
            price: Price(500),
            qty: Qty(3),
        }]
    );
    // 10 shown, 3 traded, 5 left: 2 cancelled, from the 7 the trade left.
    assert_eq!(
        m.cancels(),
        [LevelCancel {
            instrument: id,
            side: Side::Buy,
            price: Price(500),
            before: Qty(7),
            after: Qty(5),
        }]
    );
    assert_eq!(m.skipped_rows, 1);
    assert!(
        m.skipped[0].contains("BTC-27MAR26-90000-C"),
        "{:?}",
        m.skipped
    );
    assert!(m.top(m.series()[0].id).unwrap().live);
    // A bid through the ask: the top is shown, not live.
    m.advance(&mut resolved(
        &mut r,
        vec![Row {
            at: t(2),
            event: level(Side::Buy, 0.053, 1.0, false),
            origin: Default::default(),
        }],
    ));
    assert!(!m.top(m.series()[0].id).unwrap().live);
    assert!(m.trades().is_empty() && m.cancels().is_empty());

    // By default the chain is first built a minute after the first quote (for the whole chain
    // to have been quoted); until then there is no index, and the loop only keeps the books.
    let mut warm = TardisMarket::new();
    let mut r = Resolver::new(Accept::Options);
    let mut step = |at, event| {
        let row = Row {
            at,
            event,
            origin: Default::default(),
        };
        resolved(&mut r, vec![row])
    };
    warm.advance(&mut step(t(0), TardisEvent::Quote(Box::new(quote.clone()))));
    assert!(warm.series().is_empty() && warm.point().is_none());
    let mut next = step(t(61), level(Side::Buy, 0.05, 4.0, false));
    assert!(warm.step_point(&next).price.is_nan());
    warm.advance(&mut next);
    assert_eq!(warm.series().len(), 1);
    assert_eq!(warm.point().map(|p| p.price), Some(2000.0));
}

/// Tardis rows written once in the binary format: one record a row (and a clear per snapshot
/// run), read back in order, and each instrument's book replays without a refused delta.
#[test]
fn tardis_rows_convert_to_the_binary_format() {
    use backtest::binary::{Kind, Reader};
    use backtest::replay::{replay, ReplayStrategy};
    use backtest::tardis_binary::{convert, symbols_path};
    let (d, e) = exported(
        "binary",
        ExportConfig {
            days: 0.05,
            max_expiry_days: 3.0,
            ..ExportConfig::default()
        },
        MarketConfig::default(),
    );
    let out = d.join("events.bin");
    let rows = || {
        let readers = e
            .files
            .iter()
            .map(|f| TardisReader::open(f, detect(f).unwrap().unwrap(), false).unwrap())
            .collect();
        merge(readers)
    };
    let done = convert(rows(), &out, None).unwrap();
    assert_eq!(done.quotes, e.quotes);
    let entries = Reader::open(&out).unwrap().count() as u64;
    let records: Vec<_> = (Reader::open(&out).unwrap().records())
        .map(Result::unwrap)
        .collect();
    let clears = records.iter().filter(|r| r.kind == Kind::Clear).count() as u64;
    assert_eq!(
        clears,
        done.symbols.len() as u64,
        "one snapshot run per book"
    );
    assert_eq!(records.len() as u64, e.levels + e.trades + clears);
    assert_eq!(done.records, records.len() as u64 + e.quotes);
    assert_eq!(entries, done.records);
    let table = std::fs::read_to_string(symbols_path(&out)).unwrap();
    assert_eq!(table.lines().collect::<Vec<_>>(), done.symbols);
    // Each instrument on its own replays cleanly.
    for id in 0..done.symbols.len() as u32 {
        let mine = records.iter().copied().filter(|r| r.instrument.0 == id);
        let stats = replay(mine, ReplayStrategy::Requote { lots: 1 });
        assert_eq!(stats.refused, 0, "{}", done.symbols[id as usize]);
        assert!(stats.events > 0);
    }
    // One symbol only: the same records, renumbered 0.
    let name = &done.symbols[3];
    let one = convert(rows(), &d.join("one.bin"), Some(name)).unwrap();
    assert_eq!(one.symbols, std::slice::from_ref(name));
    let single: Vec<_> = (Reader::open(&d.join("one.bin")).unwrap().records())
        .map(Result::unwrap)
        .collect();
    let expected: Vec<_> = records.iter().filter(|r| r.instrument.0 == 3).collect();
    assert_eq!(single.len(), expected.len());
    assert!(single.iter().zip(expected).all(|(a, b)| a.instrument.0 == 0
        && (a.at, a.kind, a.side, a.price, a.qty) == (b.at, b.kind, b.side, b.price, b.qty)));
    std::fs::remove_dir_all(d).ok();
}

/// A price off the instrument's tick, or a symbol the engine does not know, is refused naming the
/// file and line it was read from: an error in the converter, skipped and counted in the market.
#[test]
fn rows_the_engine_refuses_name_their_file_and_line() {
    let d = dir("offtick");
    let trades = d.join("trades.csv");
    std::fs::write(
        &trades,
        "exchange,symbol,timestamp,local_timestamp,id,side,price,amount
deribit,ETH-27MAR26-2000-C,1772323200000000,1772323200000000,t1,buy,0.0125,1
deribit,ETH-27MAR26-2000-C,1772323201000000,1772323201000000,t2,buy,0.01234,1
deribit,BTC-27MAR26-90000-C,1772323202000000,1772323202000000,t3,buy,0.01,1
",
    )
    .unwrap();
    let e = backtest::tardis_binary::convert(
        TardisReader::open(&trades, Dataset::Trades, false).unwrap(),
        &d.join("x.bin"),
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("trades.csv:3") && e.contains("ETH-27MAR26-2000-C") && e.contains("0.01234"),
        "{e}"
    );
    let mut market = TardisMarket::new().with_perpetual();
    for mut step in batches(std::slice::from_ref(&trades)) {
        market.advance(&mut step);
    }
    assert_eq!(market.skipped_rows, 2, "{:?}", market.skipped);
    assert!(
        market.skipped[0].contains("trades.csv:3"),
        "{:?}",
        market.skipped
    );
    assert!(
        market.skipped[1].contains("trades.csv:4"),
        "{:?}",
        market.skipped
    );
    std::fs::remove_dir_all(d).ok();
}

/// A book snapshot with no level (an option whose book was pulled) empties the book, from the
/// CSV rows and from the binary format alike: each step leaves the same top on both.
#[test]
fn an_empty_book_snapshot_empties_the_book_in_both_formats() {
    use backtest::sim::market::StepSource;
    use backtest::tardis::{BinaryRows, BinarySteps, TardisEvent};
    use backtest::tardis_binary::convert;
    use engine::state::Top;
    use engine::InstrumentId;
    let (t, name, quote) = (at, OPTION, chain_quote());
    let snapshot = |bids: Vec<(f64, f64)>, asks: Vec<(f64, f64)>| TardisEvent::Snapshot {
        symbol: name.into(),
        bids,
        asks,
    };
    let events = [
        TardisEvent::Quote(Box::new(quote)),
        snapshot(vec![(0.05, 10.0), (0.049, 3.0)], vec![(0.052, 5.0)]),
        snapshot(vec![], vec![]),
        snapshot(vec![(0.048, 1.0)], vec![]),
        snapshot(vec![], vec![]),
    ];
    let rows: Vec<Row> = (events.into_iter().enumerate())
        .map(|(i, event)| Row {
            at: t(i as i64),
            event,
            origin: Default::default(),
        })
        .collect();
    let d = dir("empty-snapshot");
    let out = d.join("events.bin");
    convert(rows.clone().into_iter().map(Ok), &out, None).unwrap();
    let option = InstrumentId(1);
    let tops = |steps: &mut dyn StepSource<StepRows>| -> Vec<Option<Top>> {
        let (mut m, mut slot, mut tops) = (TardisMarket::new().with_perpetual(), None, vec![]);
        m.rebuild_seconds = 0.0;
        loop {
            steps.next_into(&mut slot);
            let Some(step) = slot.as_mut() else {
                return tops;
            };
            m.advance(step);
            tops.push(m.top(option));
        }
    };
    let resolver = || Resolver::new(Accept::Options).with_perpetual();
    let csv = tops(&mut Batches::new(resolver().rows(rows.into_iter().map(Ok))));
    let binary = tops(&mut BinarySteps::new(
        BinaryRows::open(&out, resolver()).unwrap(),
        None,
    ));
    assert_eq!(csv, binary);
    // The empty snapshots leave no level on either side, and the book between them its own.
    let sides = |top: &Option<Top>| top.as_ref().map(|t| (t.bid.is_some(), t.ask.is_some()));
    let seen: Vec<_> = csv.iter().map(sides).collect();
    assert_eq!(
        seen[1..],
        [
            Some((true, true)),
            Some((false, false)),
            Some((true, false)),
            Some((false, false))
        ]
    );
    std::fs::remove_dir_all(d).ok();
}
