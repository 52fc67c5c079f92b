//! The backtest loop: one pass over a market's steps (a minute of the synthetic path, a chain
//! snapshot, a batch of data rows), joining the parts. At each step, in order:
//! - settlement ([`Settler`]): held series whose expiry has come pay out at the 30-minute TWAP;
//! - the market moves; the holders ([`RollDesk`]) start on the first priced step, and their
//!   baselines step;
//! - orders sent an order latency ago reach the [`SimVenue`], and the step's trades (and, under
//!   the `crosses` rule, the opposite best) fill them through their queues;
//! - after a gap in the data (a step more than `stale_after_seconds` after the last) the maker's
//!   resting quotes come off first: they must not meet the new data as if they had rested through
//!   the gap unchanged;
//! - every `requote_seconds` the [`Trader`] hands the strategy the state the feed has delivered
//!   (`feed_latency` late) and sends the quote manager's actions; what reaches the venue before
//!   the next step rests there before the holders look;
//! - the holders take new rolls every `flow_seconds`, and work every roll waiting against the
//!   maker's quotes (its leg quotes, or its package price) and the venue;
//! - the venue's answers reach the trader `response_latency` after they happen;
//! - the [`Sampler`] measures.
//!
//! Deterministic for a seed. Money is booked by the trader's ledger in exact decimals (ETH); the
//! report's USD figures are f64 from the model's fair values.

use super::attribution::{Attribution, Taker};
use super::chain_market::ChainMarket;
use super::desk::RollDesk;
use super::every::Every;
use super::market::{IterSteps, Market, StepSlots, StepSource};
use super::perpetual::Perpetual;
use super::quoting::Quoting;
use super::sampler::{Sampler, View};
use super::settler::Settler;
use super::synthetic_market::SyntheticMarket;
use super::venue::SimVenue;
use crate::synthetic::path::{IndexPath, IndexPoint};
use engine::quotes::QuoteRules;
use engine::strategy::Strategy;
use engine::trader::Trader;
use engine::Timestamp;

// What a caller of the loop needs, in one place.
pub use super::run_config::{FillRule, RollMode, RunConfig, Schedule, VenueConfig};
pub use super::summary::{Sample, Summary};
pub use crate::events::latency::Latency;

pub fn run(config: &RunConfig, strategy: &mut dyn Strategy, rules: QuoteRules) -> Summary {
    run_with_progress(config, strategy, rules, &mut |_, _| {})
}

/// [`run`], calling `progress(steps done, steps in all)` once per simulated hour (the caller may
/// draw a progress bar; the run itself does no I/O).
pub fn run_with_progress(
    config: &RunConfig,
    strategy: &mut dyn Strategy,
    rules: QuoteRules,
    progress: &mut dyn FnMut(u64, u64),
) -> Summary {
    // The days and crash day are checked where they are asked for (check_days, check_crash_day).
    let path_config = config.preset.config_for(config.days, config.crash_day);
    let mut market =
        SyntheticMarket::ahead(path_config.clone(), config.market.clone(), config.seed);
    let total_steps = (path_config.days * 86_400.0 / path_config.step_seconds).round() as u64 + 1;
    let mut steps = IterSteps(IndexPath::new(path_config, config.seed));
    run_market(
        &mut market,
        &mut steps,
        total_steps,
        config,
        strategy,
        rules,
        progress,
    )
}

/// A backtest replaying chain snapshots (in time order): no background trades (the data has
/// none), a requote and a roll-demand step at every snapshot. `expected` snapshots, for progress.
pub fn run_chain(
    snapshots: impl Iterator<Item = crate::chain::Snapshot>,
    expected: u64,
    config: &RunConfig,
    strategy: &mut dyn Strategy,
    rules: QuoteRules,
    progress: &mut dyn FnMut(u64, u64),
) -> (Summary, Vec<String>) {
    let mut market = ChainMarket::new().with_perpetual();
    // Every snapshot is a requote, a refit and a look for rolls.
    let mut config = config.clone();
    config.schedule = Schedule {
        requote_seconds: 0.0,
        surface_seconds: 0.0,
        flow_seconds: 0.0,
        ..config.schedule
    };
    let summary = run_market(
        &mut market,
        &mut IterSteps(snapshots),
        expected,
        &config,
        strategy,
        rules,
        progress,
    );
    (summary, market.skipped)
}

/// The index range and the first priced step (the run's length is taken once, at the end).
fn record_point(s: &mut Summary, first_at: &mut Option<Timestamp>, p: IndexPoint) {
    if s.start_index == 0.0 {
        s.start_index = p.price;
    }
    s.end_index = p.price;
    first_at.get_or_insert(p.at);
}

/// The holders at `p`: every roll waiting worked against the maker's leg quotes or, in package
/// mode, its package price (packages sold are booked by the trader and held by the venue); then,
/// when `flow_due`, new rolls, worked at once (a holder who decides to roll looks at the market).
fn holders_look<M: Market>(
    d: &mut RollDesk,
    p: IndexPoint,
    market: &M,
    config: &RunConfig,
    flow_due: bool,
    (venue, trader, pnl): (&mut SimVenue, &mut Trader, &mut Attribution),
) {
    // Rolls waiting first (one at its deadline is crossed before the flow counts it missed),
    // then new ones, looked at once if there are any.
    work(d, p, market, config, (venue, trader, pnl));
    if flow_due && d.take_requests(p, market) > 0 {
        d.look_again();
        work(d, p, market, config, (venue, trader, pnl));
    }
}

/// Every roll waiting worked against the maker's leg quotes or its package price, when a look
/// is due (checked inline: most steps of a data replay have none).
#[inline(always)]
fn work<M: Market>(
    d: &mut RollDesk,
    p: IndexPoint,
    market: &M,
    config: &RunConfig,
    parts: (&mut SimVenue, &mut Trader, &mut Attribution),
) {
    if d.legs_due(p.at) {
        work_due(d, p, market, config, parts);
    }
}

fn work_due<M: Market>(
    d: &mut RollDesk,
    p: IndexPoint,
    market: &M,
    config: &RunConfig,
    (venue, trader, pnl): (&mut SimVenue, &mut Trader, &mut Attribution),
) {
    let Some(c) = &config.package else {
        return d.work_legs(p, market, venue, pnl);
    };
    let held = |id| trader.position(id).0;
    for sold in d.work_packages(p, market, c, &held, pnl) {
        trader.book_package(market.instruments(), &sold.legs, sold.residual);
        for f in &sold.legs {
            venue.hold(f.instrument, f.side.sign() * f.qty.0);
        }
    }
}

/// The backtest loop on any market: `steps` (of which there are about `total_steps`) move it.
pub fn run_market<M: Market>(
    market: &mut M,
    steps: &mut impl StepSource<M::Step>,
    total_steps: u64,
    config: &RunConfig,
    strategy: &mut dyn Strategy,
    rules: QuoteRules,
    progress: &mut dyn FnMut(u64, u64),
) -> Summary {
    let mut trader = Trader::new(rules, 1);
    let perpetual = (market.hedge()).map(|id| Perpetual::new(id, config.venue.future_spread_ticks));
    let mut venue = SimVenue::new(config).with_perpetual(perpetual);
    let mut quoting = Quoting::new(config, perpetual);
    let (mut settler, mut sampler) = (Settler::default(), Sampler::default());
    let mut pnl = Attribution::default();
    let mut desk: Option<RollDesk> = None;
    let mut s = Summary::default();
    let mut flow = Every::new(config.schedule.flow_seconds);
    let (mut first_at, mut last_at): (Option<Timestamp>, Option<Timestamp>) = (None, None);
    let mut steps_done: u64 = 0;
    let stale_after = (config.schedule.stale_after_seconds * 1e9) as i64;
    let mut slots = StepSlots::start(steps);
    while let Some((step, next)) = slots.turn(steps) {
        let p = market.step_point(step);
        steps_done += 1;
        // Every 60 steps: a Tardis replay's steps are its rows' times, millions of them, and
        // drawing the bar at each took a twentieth of the run.
        if steps_done % 60 == 0 {
            progress(steps_done, total_steps);
        }
        if !(p.price.is_finite() && p.price > 0.0) {
            // No index yet (data rows before the first chain quote): the market keeps its books.
            market.advance(step);
            s.events += market.step_events();
            continue;
        }
        record_point(&mut s, &mut first_at, p);
        let scan = settler.observe(p);
        if scan {
            settler.settle(p, &*market, &mut venue, &mut pnl);
            venue.deliver(Some(p.at), &mut trader, market.instruments());
        }
        market.advance(step);
        s.events += market.step_events();
        let d = desk.get_or_insert_with(|| RollDesk::start(p, &*market, config));
        d.baselines.step(p, scan, &settler);

        if last_at.is_some_and(|l| p.at.0 - l.0 > stale_after) {
            venue.pull_all(p.at);
        }
        last_at = Some(p.at);
        venue.arrive(p.at, &*market);
        venue.match_market(p.at, &*market);
        pnl.on_fills(&*market, venue.fills(), Taker::Market);
        venue.deliver(Some(p.at), &mut trader, market.instruments());

        let requoted = quoting.step(p.at, &*market, &mut trader, strategy, &mut venue);
        // Holders look after what was sent reaches the venue, if it does before the next step:
        // they meet the maker's current quote, never one priced on older data.
        let next_at = next.map(|s| market.step_point(s).at);
        venue.arrive(
            next_at.map_or(Timestamp(i64::MAX), |t| Timestamp(t.0 - 1)),
            &*market,
        );

        let flow_due = flow.due(p.at);
        let parts = (&mut venue, &mut trader, &mut pnl);
        holders_look(d, p, &*market, config, flow_due, parts);
        venue.deliver(Some(p.at), &mut trader, market.instruments());

        let view = View::of(&*market, &trader, &pnl, desk.as_ref());
        sampler.step(p, requoted, &view.hedged(perpetual, venue.hedge));
    }
    venue.deliver(None, &mut trader, market.instruments());
    // From the first point recorded to the last (once, not a division a step).
    if let (Some(first), Some(last)) = (first_at, last_at) {
        s.run_days = (last.0 - first.0) as f64 / (86_400.0 * 1e9);
    }
    let view = View::of(&*market, &trader, &pnl, desk.as_ref());
    sampler.finish(s, &view.hedged(perpetual, venue.hedge))
}
