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
