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
        config.venue.order_latency = Latency::Jittered {
            median_ms: 80.0,
            sigma: 0.7,
        };
        let c = RollMakerConfig::default_config();
        let rules = c.quote_rules();
        run(&config, &mut RollMaker::new(c), rules)
    };
    assert_eq!(jittered(3), jittered(3));
    // The crossing rule adds fills (orders the moving book reaches), never removes them; on two
    // calm days the book seldom moves through the maker's quotes (the venue's unit test
    // `crosses_fills_only_what_the_opposite_best_reached` pins the rule itself).
    let rule = |fill_rule| {
        let mut config = RunConfig::new(Preset::Calm, 3);
        config.days = 2.0;
        config.venue.fill_rule = fill_rule;
        let c = RollMakerConfig::default_config();
        let rules = c.quote_rules();
        run(&config, &mut RollMaker::new(c), rules)
    };
    assert!(rule(FillRule::OppositeCrosses).fills >= rule(FillRule::RollDemandOnly).fills);
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
            s.maker_pnl_split_usd.spread,
            s.maker_pnl_split_usd.inventory,
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

/// The roll maker, recording how old the index it is handed is.
struct Recorder {
    inner: RollMaker,
    ages_ns: Vec<i64>,
}

impl strategies::Strategy for Recorder {
    fn name(&self) -> &'static str {
        "recorder"
    }
    fn quotes(&mut self, state: &engine::state::State, out: &mut strategies::Wanted) {
        if let Some(index) = &state.index {
            self.ages_ns.push(state.now.0 - index.at.0);
        }
        self.inner.quotes(state, out);
    }
}

/// Feed latency ages what the strategy sees: by exactly the constant given, and, once it is
/// longer than the strategy's stale-index limit (10 s), the maker pulls everything and fills
/// nothing.
#[test]
fn feed_latency_reaches_the_strategy() {
    let with_feed = |ms: f64| {
        let mut config = RunConfig::new(Preset::Calm, 3);
        config.days = 2.0;
        config.venue.feed_latency = Latency::Constant { ms };
        let c = RollMakerConfig::default_config();
        let rules = c.quote_rules();
        let mut r = Recorder {
            inner: RollMaker::new(c),
            ages_ns: Vec::new(),
        };
        let s = run(&config, &mut r, rules);
        (s, r.ages_ns)
    };
    let (fast, ages) = with_feed(250.0);
    assert!(!ages.is_empty());
    assert!(ages.iter().all(|&a| a == 250_000_000), "{:?}", &ages[..5]);
    assert!(fast.fills > 0, "{}", fast.fills);
    let (slow, ages) = with_feed(20_000.0);
    assert!(ages.iter().all(|&a| a == 20_000_000_000));
    assert_eq!((slow.fills, slow.roll_filled_usd), (0, 0.0));
}

/// Holders crossing the venue walk its levels: with one lot a level, five levels cost more than
/// one (where the rest of a leg is taken at the only level's price).
#[test]
fn crossing_walks_the_book() {
    let with_levels = |levels: usize| {
        let mut config = RunConfig::new(Preset::Crash, 4);
        config.days = 11.0;
        config.market.levels = levels;
        config.market.depth_lots = 1;
        let c = RollMakerConfig::default_config();
        let rules = c.quote_rules();
        run(&config, &mut RollMaker::new(c), rules)
    };
    let (one, five) = (with_levels(1), with_levels(5));
    assert!(one.roll_requests > 10, "{}", one.roll_requests);
    // The same holders: demand differs only where a roll that completed on one book and not
    // on the other moved its holder to another series (a few requests).
    let (a, b) = (one.roll_requests as f64, five.roll_requests as f64);
    assert!((a - b).abs() <= 0.02 * a, "{a} vs {b} rolls");
    assert!(
        five.taker_roll_cost_bps > one.taker_roll_cost_bps + 1.0,
        "{} vs {}",
        five.taker_roll_cost_bps,
        one.taker_roll_cost_bps
    );
}

/// The strategy's hedge trades the perpetual through the venue: with it on, the maker's USD
/// delta (cash, options and the perpetual) stays within `hedge.max_delta` at nearly every hourly
/// sample (one taken between an expiry's settlement and the hedge's order reaching the venue may
/// not be); with it off nothing trades and the delta wanders past the band.
#[test]
fn the_hedge_keeps_the_makers_delta_within_its_band() {
    let with_hedge = |enabled: bool| {
        let mut config = RunConfig::new(Preset::Calm, 1);
        config.days = 5.0;
        let mut c = RollMakerConfig::default_config();
        c.hedge.enabled = enabled;
        let rules = c.quote_rules();
        run(&config, &mut RollMaker::new(c), rules)
    };
    let band = RollMakerConfig::default_config().hedge.max_delta;
    let (on, off) = (with_hedge(true), with_hedge(false));
    let beyond = |s: &Summary| {
        s.series
            .iter()
            .filter(|x| x.delta_eth.abs() > band + 1.0)
            .count()
    };
    assert_eq!(
        (off.hedge_traded_eth, off.maker_pnl_split_usd.hedge),
        (0.0, 0.0)
    );
    assert!(
        beyond(&off) > off.series.len() / 4,
        "{} of {}",
        beyond(&off),
        off.series.len()
    );
    assert!(on.hedge_traded_eth > 0.0);
    // What it held on average is no more than its largest position could be: every trade's sum.
    let traded_usd = on.hedge_traded_eth * on.start_index.max(on.end_index) * 1.5;
    assert!(on.hedge_mean_abs_usd > 0.0 && on.hedge_mean_abs_usd <= traded_usd);
    assert!(
        beyond(&on) <= on.series.len() / 50,
        "{} of {}",
        beyond(&on),
        on.series.len()
    );
    // The hedge's PnL is the maker's with it less the options book's.
    let options = on.maker_pnl_usd - on.maker_pnl_split_usd.hedge;
    assert!((on.maker_pnl_unhedged_usd - options).abs() < 1e-6);
    assert!(on.hedge_cost_usd > 0.0 && on.fees_usd > off.fees_usd);
}

#[test]
fn a_short_run_is_the_start_of_a_longer_one() {
    let short = backtest(Preset::Calm, 2, 2.0);
    let long = backtest(Preset::Calm, 2, 3.0);
    assert_eq!(short.events, 2 * 1440 + 1);
    assert_eq!(long.events, 3 * 1440 + 1);
    let end = short.series.last().expect("samples").at;
    let before = |s: &Summary| -> (Vec<_>, Vec<_>) {
        let fills = s.fill_records.iter().filter(|f| f.at < end).cloned();
        let samples = s.series.iter().filter(|x| x.at < end).cloned();
        (fills.collect(), samples.collect())
    };
    let (fills, samples) = before(&short);
    assert!(
        !fills.is_empty() && samples.len() >= 24,
        "{} {}",
        fills.len(),
        samples.len()
    );
    assert_eq!((fills, samples), before(&long));
}
