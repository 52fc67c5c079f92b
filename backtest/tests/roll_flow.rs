//! Roll demand on synthetic paths: the population's steady state, rolls that keep their USD value
//! into the configured targets, expiry-driven rolls in a calm month, and a wave of near-strike
//! rolls in a crash.

use backtest::roll_flow::{
    group_by_expiry, ListedCall, ListedCalls, RollFlow, RollFlowConfig, RollRequest, Trigger,
};
use backtest::synthetic::listing::listing;
use backtest::synthetic::path::{IndexPath, IndexPoint, PathConfig, Preset};
use backtest::synthetic::smile::{slice, SmileConfig};
use engine::instrument::Expiry;
use engine::pricing::{black76, OptionType};
use engine::InstrumentId;
use std::cell::RefCell;

thread_local! {
    /// The series behind each instrument id the tests hand out (id = position).
    static SERIES: RefCell<Vec<(Expiry, f64)>> = const { RefCell::new(Vec::new()) };
}

/// The generator's listing at `p`, each call given an id (one per series, kept across days).
fn listed(p: &IndexPoint) -> Vec<ListedCalls> {
    let calls = listing(p.at, p.price).into_iter().flat_map(|e| {
        e.strikes.into_iter().map(move |strike| {
            let id = SERIES.with_borrow_mut(|all| {
                let at = all.iter().position(|s| *s == (e.expiry, strike));
                at.unwrap_or_else(|| {
                    all.push((e.expiry, strike));
                    all.len() - 1
                })
            });
            let id = InstrumentId(id as u32);
            (e.expiry, ListedCall { strike, id })
        })
    });
    group_by_expiry(calls)
}

fn series(id: InstrumentId) -> (Expiry, f64) {
    SERIES.with_borrow(|all| all[id.index()])
}

/// A P token's USD value at the path point: F - C (no discounting).
fn value_at<'a>(config: &'a PathConfig, p: &IndexPoint) -> impl Fn(Expiry, f64) -> f64 + 'a {
    let (s, v, at) = (p.price, p.vol * p.vol, p.at);
    move |e: Expiry, k: f64| {
        let t = at.years_until(e.settlement_time()).max(1e-6);
        let vol = slice(config, &SmileConfig::default(), v, t).vol((k / s).ln(), t);
        s - black76::price(OptionType::Call, s, k, t, vol, 1.0)
    }
}

/// The same, by the call's id, as the flow asks for it.
fn value_p<'a>(config: &'a PathConfig, p: &IndexPoint) -> impl Fn(InstrumentId) -> f64 + 'a {
    let value = value_at(config, p);
    move |id| {
        let (e, k) = series(id);
        value(e, k)
    }
}

/// Runs `config`'s path hourly with `flow_config`, every roll done at once; returns the requests
/// with the path point each came at.
fn run_flow(
    config: &PathConfig,
    flow_config: RollFlowConfig,
    seed: u64,
) -> (RollFlow, Vec<(IndexPoint, RollRequest)>) {
    let points: Vec<IndexPoint> = IndexPath::new(config.clone(), seed).collect();
    let mut list = listed(&points[0]);
    let mut flow = RollFlow::new(
        flow_config,
        points[0].price,
        &list,
        value_p(config, &points[0]),
        seed,
    );
    let mut all = Vec::new();
    for (i, p) in points.iter().enumerate().step_by(60) {
        if i % 1440 == 0 {
            list = listed(p);
        }
        let mut out = Vec::new();
        flow.step(p.at, p.price, &list, value_p(config, p), &mut out);
        for r in out {
            flow.completed(r.holder, r.to);
            all.push((*p, r));
        }
    }
    (flow, all)
}

/// The default population on a preset's path.
fn run(preset: Preset, seed: u64) -> (RollFlow, Vec<RollRequest>) {
    let (flow, requests) = run_flow(&preset.config(), RollFlowConfig::default(), seed);
    (flow, requests.into_iter().map(|(_, r)| r).collect())
}

#[test]
fn the_population_starts_in_a_steady_state() {
    let config = Preset::Calm.config();
    let p0 = IndexPath::new(config.clone(), 1).next().unwrap();
    let list = listed(&p0);
    let flow = RollFlow::new(
        RollFlowConfig::default(),
        p0.price,
        &list,
        value_p(&config, &p0),
        1,
    );
    let holders = flow.holders();
    assert_eq!(holders.len(), 200);
    let value = value_at(&config, &p0);
    let total: f64 = holders
        .iter()
        .map(|h| h.position.qty * value(h.position.expiry, h.position.strike))
        .sum();
    assert!((total / 10_000_000.0 - 1.0).abs() < 1e-9, "{total}");
    let ratios: Vec<f64> = holders
        .iter()
        .map(|h| h.position.strike / p0.price)
        .collect();
    assert!(
        ratios.iter().all(|r| (0.45..=0.8).contains(r)),
        "{ratios:?}"
    );
    let expiries: std::collections::BTreeSet<_> =
        holders.iter().map(|h| h.position.expiry).collect();
    assert!(expiries.len() >= 4, "{expiries:?}");
}

#[test]
fn rolls_keep_value_and_go_to_the_targets() {
    let config = Preset::Calm.config();
    let (_, requests) = run(Preset::Calm, 1);
    let points: Vec<IndexPoint> = IndexPath::new(config.clone(), 1).collect();
    assert!(!requests.is_empty());
    // A calm month: the March monthly settles on day 26, so its holders roll on expiry.
    assert!(requests.iter().any(|r| r.trigger == Trigger::NearExpiry));
    for r in &requests {
        let minute = ((r.at.0 - points[0].at.0) / 60_000_000_000) as usize;
        let p = &points[minute];
        assert!(r.to.strike <= 0.6 * p.price + 1e-9, "{r:?}");
        let days = r.at.years_until(r.to.expiry.settlement_time()) * 365.0;
        assert!(days >= 25.0, "{r:?}");
        let value = value_at(&config, p);
        assert_eq!(series(r.to.call), (r.to.expiry, r.to.strike), "{r:?}");
        assert_eq!(series(r.from.call), (r.from.expiry, r.from.strike), "{r:?}");
        let before = r.from.qty * value(r.from.expiry, r.from.strike);
        let after = r.to.qty * value(r.to.expiry, r.to.strike);
        assert!((after / before - 1.0).abs() < 1e-9, "{r:?}");
    }
    assert_eq!(requests, run(Preset::Calm, 1).1, "same seed, same requests");
}

#[test]
fn a_crash_sends_a_wave_of_near_strike_rolls() {
    let (_, requests) = run(Preset::Crash, 2);
    let start = 1_772_323_200_000_000_000i64;
    let crash_day: Vec<&RollRequest> = requests
        .iter()
        .filter(|r| r.trigger == Trigger::NearStrike)
        .filter(|r| (r.at.0 - start) / 86_400_000_000_000 == 10)
        .collect();
    // After a 35% fall most holders (strikes from 0.5 to 0.8 of the index) are within 1.25x.
    assert!(
        crash_day.len() >= 100,
        "{} near-strike rolls on the crash day",
        crash_day.len()
    );
}

#[test]
fn n_holders_roll_up_in_a_rising_market() {
    use backtest::roll_flow::Token;
    let mut config = Preset::Calm.config();
    config.drift = 4.0; // about +40% in 30 days
    let flow_config = RollFlowConfig {
        holders: 0,
        n_holders: 50,
        ..RollFlowConfig::default()
    };
    let (flow, requests) = run_flow(&config, flow_config, 5);
    assert!(flow.holders().iter().all(|h| h.token == Token::N));
    let mut ups = 0;
    for (p, r) in &requests {
        assert_eq!(r.token, Token::N);
        if r.trigger == Trigger::LeverageFell {
            ups += 1;
            assert!(
                r.to.strike > r.from.strike && r.to.strike <= 0.7 * p.price + 1e-9,
                "{r:?}"
            );
            // N's value is S - P: kept across the roll.
            let v = value_at(&config, p);
            let before = r.from.qty * (p.price - v(r.from.expiry, r.from.strike));
            let after = r.to.qty * (p.price - v(r.to.expiry, r.to.strike));
            assert!((after / before - 1.0).abs() < 1e-9, "{r:?}");
        }
    }
    assert!(ups > 0, "{} requests, none rolling up", requests.len());
}
