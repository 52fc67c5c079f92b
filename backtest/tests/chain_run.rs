//! The real January-February 2026 drawdown (ETH from about 3,000 to under 2,000 USD), replayed
//! from the shared chain snapshots end to end: a finite summary, a wave of rolls.

use backtest::chain::ChainReader;
use backtest::sim::run::{run_chain, RunConfig};
use backtest::synthetic::path::Preset;
use std::path::Path;
use strategies::{RollMaker, RollMakerConfig};

#[test]
fn the_january_february_2026_drawdown_runs_end_to_end() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/deribit_eth_chain");
    let files = [
        "deribit_eth_options_chain_202601.csv.gz",
        "deribit_eth_options_chain_202602.csv.gz",
    ];
    if !dir.join(files[0]).exists() {
        eprintln!("SKIPPED: {} is absent", dir.display());
        return;
    }
    let mut snapshots = Vec::new();
    for f in files {
        for s in ChainReader::open(&dir.join(f)).unwrap() {
            snapshots.push(s.unwrap());
        }
    }
    let n = snapshots.len() as u64;
    let config = RollMakerConfig::default_config();
    let rules = config.quote_rules();
    let (s, skipped) = run_chain(
        snapshots.into_iter(),
        n,
        &RunConfig::new(Preset::Calm, 1),
        &mut RollMaker::new(config),
        rules,
        &mut |_, _| {},
    );
    eprintln!("{s:#?}\nskipped: {skipped:?}");
    assert!(skipped.is_empty(), "{skipped:?}");
    assert_eq!(s.events, n);
    assert!(
        s.end_index < 0.75 * s.start_index,
        "a drawdown: {} to {}",
        s.start_index,
        s.end_index
    );
    assert!(s.roll_requests > 50, "{s:?}");
    for x in [
        s.roll_demand_usd,
        s.roll_filled_usd,
        s.holder_roll_cost_bps,
        s.taker_roll_cost_bps,
        s.amm_roll_cost_bps,
        s.liquidation_loss_bps,
        s.no_roll_drift_bps,
        s.maker_pnl_usd,
        s.maker_pnl_split_usd.spread,
        s.maker_pnl_split_usd.inventory,
        s.maker_pnl_split_usd.settlement,
    ] {
        assert!(x.is_finite(), "{s:?}");
    }
    // Rolling with resting quotes is cheaper for holders than crossing the book at once, which
    // itself takes the cheaper of the deep in-the-money call and the put plus the future: about
    // 10 bps a roll through the puts in ROLLS.md's measurement, where the calls cost about 100.
    assert!(s.holder_roll_cost_bps < s.taker_roll_cost_bps, "{s:?}");
    assert!(s.taker_roll_cost_bps < 40.0, "{s:?}");
    assert!(!s.series.is_empty());
}

/// A quote made: instrument, side, price (ETH), and the time of the data it was priced on.
type Quoted = (String, engine::Side, f64, engine::Timestamp);

/// Quotes one tick inside the venue's best on both sides of every call, and remembers each
/// quote it made.
struct InsideTheBook {
    quoted: std::rc::Rc<std::cell::RefCell<Vec<Quoted>>>,
    names: std::collections::HashMap<engine::InstrumentId, String>,
}

impl strategies::Strategy for InsideTheBook {
    fn name(&self) -> &'static str {
        "inside_the_book"
    }
    fn quotes(&mut self, state: &engine::state::State, out: &mut strategies::Wanted) {
        use engine::quotes::WantedQuote;
        use engine::{Qty, Side};
        let priced_on = state.index.as_ref().map_or(state.now, |i| i.at);
        for s in &state.series {
            let (Some((bid, _)), Some((ask, _))) = (s.top.bid, s.top.ask) else {
                continue;
            };
            let inside = [
                (Side::Buy, s.tick_rule.next_up(bid)),
                (Side::Sell, s.tick_rule.next_down(ask)),
            ];
            if inside[0].1 >= inside[1].1 {
                continue;
            }
            for (side, price) in inside {
                out.quotes.push(WantedQuote::new(
                    s.id,
                    (side, 0),
                    price,
                    Qty(500),
                    &s.tick_rule,
                ));
                let name = self.names.get(&s.id).cloned().unwrap_or_default();
                let eth = price.0 as f64 * s.price_unit;
                self.quoted.borrow_mut().push((name, side, eth, priced_on));
            }
        }
    }
}

/// A holder meets the maker's current quote: every price a holder took from the maker is the one
/// the maker made on that very snapshot's book (snapshots are hours apart and the books move, so
/// a quote left from the snapshot before would show as another price).
#[test]
fn holders_meet_the_quote_made_on_the_data_they_see() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/deribit_eth_chain");
    let file = dir.join("deribit_eth_options_chain_202602.csv.gz");
    if !file.exists() {
        eprintln!("SKIPPED: {} is absent", file.display());
        return;
    }
    let snapshots: Vec<_> = ChainReader::open(&file)
        .unwrap()
        .map(|s| s.unwrap())
        .take(60)
        .collect();
    let mut names = std::collections::HashMap::new();
    // The replay's ids: the perpetual (listed for the hedge) first, then the rows' options.
    let mut registry = engine::Instruments::new();
    let perpetual = engine::Instrument::deribit("ETH-PERPETUAL").unwrap();
    registry.intern(perpetual).unwrap();
    for row in snapshots.iter().flat_map(|s| &s.rows) {
        if let Ok(inst) = engine::Instrument::deribit(&row.instrument) {
            if let Ok(id) = registry.intern(inst) {
                names.insert(id, row.instrument.to_string());
            }
        }
    }
    let quoted = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let mut strategy = InsideTheBook {
        quoted: quoted.clone(),
        names,
    };
    let rules = engine::quotes::QuoteRules {
        price_threshold_ticks: 0,
        size_threshold_lots: 0,
        max_actions_per_second: 100_000,
    };
    let n = snapshots.len() as u64;
    let mut config = RunConfig::new(Preset::Calm, 1);
    // Every holder rests its roll, for long: the maker's quotes are what they take.
    config.flow.patient_share = 1.0;
    config.flow.patience_hours = 24.0 * 30.0;
    let (s, _) = run_chain(
        snapshots.into_iter(),
        n,
        &config,
        &mut strategy,
        rules,
        &mut |_, _| {},
    );
    let holder_fills: Vec<_> = s
        .fill_records
        .iter()
        .filter(|f| f.taker == "holder")
        .collect();
    assert!(
        holder_fills.len() >= 5,
        "{} holder fills",
        holder_fills.len()
    );
    let quoted = quoted.borrow();
    for f in holder_fills {
        let current = quoted
            .iter()
            .rev()
            .find(|q| q.0 == f.instrument && q.1 == f.side && q.3 == f.at)
            .unwrap_or_else(|| panic!("no quote made on the data of {f:?}"));
        assert!(
            (current.2 - f.price).abs() < 1e-12,
            "{f:?} filled at another price than the quote made on its snapshot: {current:?}"
        );
    }
}
