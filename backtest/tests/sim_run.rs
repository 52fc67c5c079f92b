//! End-to-end backtests on the synthetic market: deterministic for a seed, and the crash does
//! what a crash does to roll demand.

use backtest::sim::run::{run, FillRule, Latency, RunConfig, Summary};
use backtest::synthetic::path::Preset;
use strategies::{RollMaker, RollMakerConfig};

fn backtest(preset: Preset, seed: u64, days: f64) -> Summary {
    let mut config = RunConfig::new(preset, seed);
    config.days = days;
    let strategy_config = RollMakerConfig::default_config();
    let rules = strategy_config.quote_rules();
    run(&config, &mut RollMaker::new(strategy_config), rules)
}

#[test]
fn the_same_seed_gives_the_same_run() {
    let a = backtest(Preset::Calm, 5, 4.0);
    assert_eq!(a, backtest(Preset::Calm, 5, 4.0));
    assert_eq!(
        format!("{a:?}"),
        format!("{:?}", backtest(Preset::Calm, 5, 4.0))
    );
    assert_ne!(a, backtest(Preset::Calm, 6, 4.0));
    // A drawn order latency is seeded too.
    let jittered = |seed| {
        let mut config = RunConfig::new(Preset::Calm, seed);
        config.days = 2.0;
        config.order_latency = Latency::Jittered {
            median_ms: 80.0,
            sigma: 0.7,
        };
        let c = RollMakerConfig::default_config();
        let rules = c.quote_rules();
        run(&config, &mut RollMaker::new(c), rules)
    };
    assert_eq!(jittered(3), jittered(3));
    // The crossing rule adds fills (orders the moving book reaches), never removes them.
    let rule = |fill_rule| {
        let mut config = RunConfig::new(Preset::Calm, 3);
        config.days = 2.0;
        config.fill_rule = fill_rule;
        let c = RollMakerConfig::default_config();
        let rules = c.quote_rules();
        run(&config, &mut RollMaker::new(c), rules)
    };
    assert!(rule(FillRule::OppositeCrosses).fills > rule(FillRule::RollDemandOnly).fills);
    assert_eq!(a.events, 4 * 1440 + 1);
}

#[test]
fn a_crash_brings_a_wave_of_rolls_that_the_maker_partly_fills() {
    let calm = backtest(Preset::Calm, 2, 11.0);
    let crash = backtest(Preset::Crash, 2, 11.0);
    for s in [&calm, &crash] {
        for x in [
            s.roll_demand_usd,
            s.roll_filled_usd,
            s.holder_roll_cost_bps,
            s.taker_roll_cost_bps,
            s.maker_pnl_usd,
            s.pnl_spread_usd,
            s.pnl_inventory_usd,
            s.fees_usd,
            s.amm_roll_cost_bps,
            s.liquidation_loss_bps,
            s.no_roll_drift_bps,
        ] {
            assert!(x.is_finite(), "{s:?}");
        }
        assert!((0.0..=1.0).contains(&s.roll_fill_ratio), "{s:?}");
        assert!(s.fills > 0, "{s:?}");
    }
    assert!(crash.end_index < 0.75 * crash.start_index, "{crash:?}");
    assert!(
        crash.roll_requests > 2 * calm.roll_requests.max(1),
        "calm {calm:?}\ncrash {crash:?}"
    );
    assert!(crash.roll_filled_usd > 0.0, "{crash:?}");
    // The baselines see the crash too: more lost to liquidations, more drift without rolling.
    assert!(
        crash.liquidation_loss_bps > calm.liquidation_loss_bps,
        "{calm:?}\n{crash:?}"
    );
    assert!(crash.liquidation_sold_eth > 0.0);
    assert!(
        crash.no_roll_drift_bps < calm.no_roll_drift_bps - 500.0,
        "{calm:?}\n{crash:?}"
    );
}
