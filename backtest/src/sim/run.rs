//! A backtest on the synthetic market: the live strategy and quote manager, a simulated venue
//! (order latency, queue position, fees, expiry settlement), background trades and the roll
//! demand of P holders; deterministic for a seed.
//!
//! Each step of the market (a minute of the synthetic path, a snapshot, a batch of data rows):
//! series that settled pay out at the 30-minute TWAP of the index; the market moves; orders sent
//! a latency ago reach the venue (and are acknowledged there); the trades the market printed
//! (background takers, or the data's) fill our orders through their queues, and cancels move
//! them up; every `requote_seconds` the strategy requotes and the quote manager sends its
//! actions; every `flow_seconds` holders whose triggers fired start a roll, whose two legs (buy
//! back the old call, sell the new one) take the maker's resting quote when it is at least as
//! good as the venue's, and otherwise walk the venue's book: at once if impatient, at the
//! deadline if patient. Where steps come faster than a second (data rows), settlements and the
//! legs of rolls in progress are looked at once a second of market time.
//!
//! Two latencies: the strategy sees a step `feed_latency` after it happened (its clock, and the
//! age of what it sees, are that much later), and its orders reach the venue `order_latency`
//! after it decides.
//!
//! Money: cash and fees in exact decimals (ETH); marks and the summary's USD figures in f64 from
//! the model's fair values (a report, not a ledger).

use super::market::{average_price, Market};
use super::synthetic_market::{MarketConfig, SyntheticMarket};
use crate::baselines::{amm_cost_fraction, Lending, LendingConfig};
use crate::events::latency::{Constant, Jittered, LatencyModel};
use crate::events::timeline::Timeline;
use crate::fees::{DeribitOptionFees, FeeModel};
use crate::queue::{QueueFill, QueueModel, Queues};
use crate::roll_flow::{RollFlow, RollFlowConfig, RollRequest, Token};
use crate::settlement::{twap_30_minutes, value_per_contract};
use crate::synthetic::path::{IndexPath, IndexPoint, Preset};
use engine::instrument::OptionRight;
use engine::matching::OrderId;
use engine::order::OrderEvent;
use engine::quotes::{Action, QuoteManager, QuoteRules};
use engine::{InstrumentId, Price, Qty, Side, Timestamp};
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::Decimal;
use std::collections::{HashMap, VecDeque};
use strategies::Strategy;

#[derive(Clone, Debug, PartialEq)]
pub struct RunConfig {
    pub preset: Preset,
    pub seed: u64,
    /// Days of the preset's path to run (at most its horizon).
    pub days: f64,
    pub market: MarketConfig,
    pub flow: RollFlowConfig,
    pub queue: QueueModel,
    /// How long an order takes to reach the venue.
    pub order_latency: Latency,
    /// How long market data takes to reach the strategy.
    pub feed_latency: Latency,
    pub fill_rule: FillRule,
    pub requote_seconds: f64,
    pub surface_seconds: f64,
    pub flow_seconds: f64,
    pub lending: LendingConfig,
    /// USD depth of each series' AMM pool, and its fee.
    pub amm_depth_usd: f64,
    pub amm_fee: f64,
}

impl RunConfig {
    pub fn new(preset: Preset, seed: u64) -> RunConfig {
        RunConfig {
            preset,
            seed,
            days: 30.0,
            market: MarketConfig::default(),
            flow: RollFlowConfig::default(),
            queue: QueueModel::Conservative,
            order_latency: Latency::Constant { ms: 50.0 },
            feed_latency: Latency::Constant { ms: 10.0 },
            fill_rule: FillRule::RollDemandOnly,
            requote_seconds: 60.0,
            surface_seconds: 300.0,
            flow_seconds: 900.0,
            lending: LendingConfig::default(),
            amm_depth_usd: 10_000_000.0,
            amm_fee: 0.003,
        }
    }
}

/// What fills the maker where the data shows no trades.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FillRule {
    /// Only the simulated roll demand (and background takers, where the market has them).
    RollDemandOnly,
    /// Also: a resting order that the venue's opposite best reaches at a later step is filled
    /// in full at its price.
    OppositeCrosses,
}

/// A latency model, as configured.
#[derive(Clone, Debug, PartialEq)]
pub enum Latency {
    Constant {
        ms: f64,
    },
    /// Log-normal around the median (seeded from the run's seed).
    Jittered {
        median_ms: f64,
        sigma: f64,
    },
}

impl Latency {
    /// A median in milliseconds and a log-normal sigma (0: constant).
    pub fn from_config(median_ms: f64, sigma: f64) -> Latency {
        if sigma > 0.0 {
            Latency::Jittered {
                median_ms: median_ms.max(1e-6),
                sigma,
            }
        } else {
            Latency::Constant { ms: median_ms }
        }
    }

    fn model(&self, seed: u64) -> Box<dyn LatencyModel> {
        match *self {
            Latency::Constant { ms } => Box::new(Constant {
                nanos: (ms * 1e6) as i64,
            }),
            Latency::Jittered { median_ms, sigma } => {
                match Jittered::new(median_ms * 1e6, sigma, seed ^ 0x1a7e) {
                    Ok(j) => Box::new(j),
                    // An invalid spec (median <= 0, sigma not finite) is a constant delay at the
                    // median instead.
                    Err(_) => Box::new(Constant {
                        nanos: (median_ms.max(0.0) * 1e6) as i64,
                    }),
                }
            }
        }
    }
}

/// What a run produced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    /// Market events replayed: path points, snapshots, or data rows.
    pub events: u64,
    pub fills: u64,
    pub roll_requests: u64,
    pub roll_demand_usd: f64,
    /// Of the roll legs' USD value, what the maker's quotes filled.
    pub roll_filled_usd: f64,
    pub roll_fill_ratio: f64,
    /// Holders' cost of rolling against fair value, bps of the rolled notional (all legs, maker
    /// and venue).
    pub holder_roll_cost_bps: f64,
    /// The same rolls, had every leg crossed the venue's book at once.
    pub taker_roll_cost_bps: f64,
    /// The same rolls through constant-product pools at fair value.
    pub amm_roll_cost_bps: f64,
    /// The holders as ETH-collateral borrowers: liquidation bonuses lost, bps of collateral.
    pub liquidation_loss_bps: f64,
    pub liquidation_sold_eth: f64,
    /// The holders never rolling: change of their positions' USD value, bps.
    pub no_roll_drift_bps: f64,
    pub maker_pnl_usd: f64,
    pub pnl_spread_usd: f64,
    pub pnl_inventory_usd: f64,
    pub pnl_settlement_usd: f64,
    pub fees_usd: f64,
    /// Largest absolute net vega (ETH per vol point) held in one expiry.
    pub max_inventory_vega: f64,
    pub missed_rolls: u64,
    pub start_index: f64,
    pub end_index: f64,
    /// Hourly samples of the run.
    pub series: Vec<Sample>,
}

/// One hourly sample: the index, the maker's PnL and its parts so far, its net vega per expiry,
/// the holders' value against their start (rolling as they do, and never rolling), and the
/// roll costs so far against rolled notional.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sample {
    pub at: Timestamp,
    pub index: f64,
    pub maker_pnl_usd: f64,
    pub spread_usd: f64,
    pub inventory_usd: f64,
    pub settlement_usd: f64,
    /// (expiry, net vega in ETH per vol point), by expiry.
    pub vega_by_expiry: Vec<(String, f64)>,
    pub rolling_drift_bps: f64,
    pub no_roll_drift_bps: f64,
    pub holder_cost_bps: f64,
    pub taker_cost_bps: f64,
    pub amm_cost_bps: f64,
    pub liquidation_loss_bps: f64,
}

/// One leg of a holder's roll in call terms: the holder buys back the old call or sells the new.
#[derive(Clone, Debug)]
struct Leg {
    roll: u64,
    instrument: InstrumentId,
    /// The holder's side.
    side: Side,
    left: i64,
    patient: bool,
    deadline: Timestamp,
}

/// Lots held per instrument, by the registry's dense ids (looked up for every series at every
/// requote: an index, not a hash).
#[derive(Default)]
struct Lots(Vec<i64>);

impl Lots {
    fn get(&self, id: InstrumentId) -> i64 {
        self.0.get(id.index()).copied().unwrap_or(0)
    }
    fn add(&mut self, id: InstrumentId, lots: i64) {
        if self.0.len() <= id.index() {
            self.0.resize(id.index() + 1, 0);
        }
        self.0[id.index()] += lots;
    }
    /// The position, leaving none.
    fn take(&mut self, id: InstrumentId) -> i64 {
        self.0.get_mut(id.index()).map_or(0, std::mem::take)
    }
}

/// The maker's side of the simulation: its quote manager, its orders' keys, positions and cash.
struct MakerBook {
    manager: QuoteManager,
    by_client: HashMap<u64, (InstrumentId, Side)>,
    positions: Lots,
    cash_eth: Decimal,
    fees_eth: Decimal,
}

fn d(x: f64) -> Decimal {
    Decimal::from_f64(x).unwrap_or_default()
}

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
    let mut path_config = config.preset.config();
    path_config.days = config.days.min(path_config.days);
    let mut market = SyntheticMarket::new(path_config.clone(), config.market.clone(), config.seed);
    let total_steps = (path_config.days * 86_400.0 / path_config.step_seconds).round() as u64 + 1;
    let steps = IndexPath::new(path_config, config.seed);
    run_market(
        &mut market,
        steps,
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
    let mut market = super::chain_market::ChainMarket::new();
    let config = RunConfig {
        requote_seconds: 0.0,
        surface_seconds: 0.0,
        flow_seconds: 0.0,
        ..config.clone()
    };
    let summary = run_market(
        &mut market,
        snapshots,
        expected,
        &config,
        strategy,
        rules,
        progress,
    );
    (summary, market.skipped)
}

/// The backtest loop on any market: `steps` (of which there are about `total_steps`) move it.
pub fn run_market<M: Market>(
    market: &mut M,
    steps: impl Iterator<Item = M::Step>,
    total_steps: u64,
    config: &RunConfig,
    strategy: &mut dyn Strategy,
    rules: QuoteRules,
    progress: &mut dyn FnMut(u64, u64),
) -> Summary {
    let mut maker = MakerBook {
        manager: QuoteManager::new(rules, 1),
        by_client: HashMap::new(),
        positions: Lots::default(),
        cash_eth: Decimal::ZERO,
        fees_eth: Decimal::ZERO,
    };
    let mut queues = Queues::new(config.queue);
    let mut arrivals: Timeline<Action> = Timeline::new();
    let fees = DeribitOptionFees::default();
    let mut s = Summary::default();
    let mut wanted = strategies::Wanted::default();
    let mut actions = Vec::new();
    let mut recent: VecDeque<(Timestamp, f64)> = VecDeque::new();
    let mut flow: Option<RollFlow> = None;
    let mut legs: Vec<Leg> = Vec::new();
    // Rolls in progress by id: legs left, and the request.
    let mut roll_legs: HashMap<u64, usize> = HashMap::new();
    let mut pending_rolls: HashMap<u64, RollRequest> = HashMap::new();
    let mut next_roll: u64 = 0;
    let (mut cost_eth_usd, mut taker_cost_usd, mut rolled_usd) = (0.0, 0.0, 0.0);
    let mut amm_cost_usd = 0.0;
    let mut lending: Option<Lending> = None;
    // The holders' starting positions (expiry, strike, qty) and value: the do-nothing baseline.
    let mut initial: Vec<(engine::instrument::Expiry, f64, f64)> = Vec::new();
    let mut initial_usd = 0.0;
    let mut settle_index: HashMap<engine::instrument::Expiry, f64> = HashMap::new();
    let mut surface = None;
    let mut last_surface: Option<Timestamp> = None;
    let mut last_requote: Option<Timestamp> = None;
    let mut last_flow: Option<Timestamp> = None;
    let mut last_settle_scan: Option<Timestamp> = None;
    let mut last_legs: Option<Timestamp> = None;
    // Whether `every` seconds have passed since `last` (always, the first time).
    let due = |last: Option<Timestamp>, now: Timestamp, every: f64| {
        last.is_none_or(|l| (now.0 - l.0) as f64 >= every * 1e9)
    };
    let mut fills: Vec<QueueFill> = Vec::new();
    let mut latency = config.order_latency.model(config.seed);
    let mut feed_latency = config.feed_latency.model(config.seed ^ 0xfeed);
    let mut levels: Vec<(Price, Qty)> = Vec::new();

    let mut last_sample_hour: Option<i64> = None;
    let mut steps_done: u64 = 0;
    for step in steps {
        let p = market.step_point(&step);
        steps_done += 1;
        if steps_done % 60 == 0 || total_steps < 10_000 {
            progress(steps_done, total_steps);
        }
        if !(p.price.is_finite() && p.price > 0.0) {
            // No index yet (data rows before the first chain quote): the market keeps its books.
            market.advance(step);
            s.events += market.step_events();
            continue;
        }
        if s.start_index == 0.0 {
            s.start_index = p.price;
        }
        s.end_index = p.price;
        // The TWAP's samples: at most one a second (data steps can be microseconds apart).
        if recent
            .back()
            .is_none_or(|(t, _)| p.at.0 - t.0 >= Timestamp::NANOS_PER_SEC)
        {
            recent.push_back((p.at, p.price));
        }
        while recent
            .front()
            .is_some_and(|(t, _)| p.at.0 - t.0 > 1800 * Timestamp::NANOS_PER_SEC)
        {
            recent.pop_front();
        }
        // Settlement of held series whose expiry has come (before the market drops them), looked
        // for at most once a second of market time (data steps can be microseconds apart).
        // (id, strike, the last fair mark before settlement)
        let settle_scan = due(last_settle_scan, p.at, 1.0);
        if settle_scan {
            last_settle_scan = Some(p.at);
        }
        let settled: Vec<(InstrumentId, f64, f64)> = if settle_scan {
            market
                .series()
                .iter()
                .enumerate()
                .filter(|(_, sr)| sr.settles <= p.at)
                .map(|(i, sr)| (sr.id, sr.strike, market.fair(i).price))
                .collect()
        } else {
            Vec::new()
        };
        for (id, strike, last_mark) in settled {
            let lots = maker.positions.take(id);
            if lots == 0 {
                continue;
            }
            let twap = twap_now(&recent, p);
            let value =
                value_per_contract(OptionRight::Call, d(strike), d(twap)).unwrap_or_default();
            let contracts = Decimal::from(lots);
            let fee = fees.delivery_fee(value, contracts);
            maker.cash_eth += value * contracts - fee;
            maker.fees_eth += fee;
            // Settlement against the last mark: what expiry added beyond the marks.
            s.pnl_settlement_usd +=
                (value.to_f64().unwrap_or(0.0) - last_mark) * lots as f64 * twap;
            // Orders on a settled series end with it.
            let ids: Vec<u64> = queues
                .orders()
                .iter()
                .filter(|o| o.instrument == id)
                .map(|o| o.client_id)
                .collect();
            for c in ids {
                queues.remove(c);
                maker.manager.on_event(c, OrderEvent::Expired).ok();
            }
        }
        market.advance(step);
        s.events += market.step_events();
        if flow.is_none() {
            let value = |e: engine::instrument::Expiry, k: f64| p_value(&*market, e, k);
            let list = market.listing();
            let f = RollFlow::new(config.flow.clone(), p.price, &list, value, config.seed);
            // The P holders: the baselines are theirs.
            initial = f
                .holders()
                .iter()
                .filter(|h| h.token == Token::P)
                .map(|h| (h.position.expiry, h.position.strike, h.position.qty))
                .collect();
            initial_usd = initial
                .iter()
                .map(|&(e, k, q)| q * p_value(&*market, e, k))
                .sum();
            lending = Some(Lending::new(
                config.lending.clone(),
                initial.iter().map(|&(_, k, q)| (k, q)),
                p.price,
            ));
            flow = Some(f);
        }

        if let Some(l) = lending.as_mut() {
            l.step(p.price);
        }
        // Settlement prices of the holders' starting expiries, for the do-nothing baseline.
        if settle_scan {
            for &(e, _, _) in &initial {
                if e.settlement_time() <= p.at && !settle_index.contains_key(&e) {
                    settle_index.insert(e, twap_now(&recent, p));
                }
            }
        }

        // Orders reaching the venue.
        while arrivals.peek_time().is_some_and(|t| t <= p.at) {
            let Some((_, action)) = arrivals.pop() else {
                break;
            };
            apply_action(&*market, &mut queues, &mut maker, action);
        }

        // On data without trades, optionally: an order the venue's opposite best has reached
        // (an ask at or below the best bid, a bid at or above the best ask) filled in full.
        if config.fill_rule == FillRule::OppositeCrosses {
            for (i, sr) in market.series().iter().enumerate() {
                let top = market.top(i);
                for (aggressor, best) in [(Side::Buy, top.ask), (Side::Sell, top.bid)] {
                    let Some((price, _)) = best else { continue };
                    fills.clear();
                    queues.on_crossed(sr.id, aggressor, price, &mut fills);
                    maker.book_fills(&*market, &fees, &mut s, &fills, None);
                }
            }
        }

        // The venue's trades fill our orders through their queues; cancels move them up.
        for t in market.trades() {
            fills.clear();
            queues.on_trade(t.instrument, t.aggressor, t.price, t.qty, &mut fills);
            maker.book_fills(&*market, &fees, &mut s, &fills, None);
        }
        for c in market.cancels() {
            queues.on_cancel(c.instrument, c.side, c.price, c.before, c.after);
        }

        // Requote, on what the feed has delivered: the step, `feed_latency` late.
        let requoted = due(last_requote, p.at, config.requote_seconds);
        if requoted {
            last_requote = Some(p.at);
            if due(last_surface, p.at, config.surface_seconds) {
                last_surface = Some(p.at);
                surface = market.surface_now();
            }
            let decided = Timestamp(p.at.0 + feed_latency.delay_nanos());
            let mut state = market.state(&|id| Qty(maker.positions.get(id)), surface.clone());
            state.now = decided;
            wanted.clear();
            strategy.quotes(&state, &mut wanted);
            actions.clear();
            if maker
                .manager
                .reconcile(decided, &wanted.quotes, &mut actions)
                .is_ok()
            {
                for a in &actions {
                    arrivals.push(Timestamp(decided.0 + latency.delay_nanos()), *a);
                }
            }
        }

        // Roll demand.
        if let Some(flow) = flow.as_mut() {
            // Work the legs: holders look at the book at most once a second of market time.
            let mut done_rolls = Vec::new();
            let mut k = 0;
            let work_legs = !legs.is_empty() && due(last_legs, p.at, 1.0);
            if work_legs {
                last_legs = Some(p.at);
            }
            while work_legs && k < legs.len() {
                let leg = legs[k].clone();
                let Some(i) = market
                    .series()
                    .iter()
                    .position(|sr| sr.id == leg.instrument)
                else {
                    legs.swap_remove(k);
                    continue;
                };
                let fair = market.fair(i).price;
                let top = market.top(i);
                let venue = match leg.side {
                    Side::Buy => top.ask.map(|a| a.0),
                    Side::Sell => top.bid.map(|b| b.0),
                };
                // The maker's best resting price on the other side.
                let ours = queues
                    .orders()
                    .iter()
                    .filter(|o| o.instrument == leg.instrument && o.side == leg.side.opposite())
                    .map(|o| o.price)
                    .reduce(|a, b| {
                        if leg.side.opposite().better(a, b) {
                            a
                        } else {
                            b
                        }
                    });
                let mut left = leg.left;
                if let (Some(our), Some(v)) = (ours, venue) {
                    // The holder takes the maker's quote when it costs no more than crossing the
                    // cheaper of the call's best and the put's (plus the future).
                    let venue_cost = cheaper_route(
                        &*market,
                        i,
                        leg.side,
                        1,
                        holder_cost(leg.side, eth(&*market, i, v), fair),
                    );
                    let maker_cost = holder_cost(leg.side, eth(&*market, i, our), fair);
                    if maker_cost <= venue_cost + 1e-12 {
                        fills.clear();
                        queues.on_trade(leg.instrument, leg.side, our, Qty(left), &mut fills);
                        let got: i64 = fills.iter().map(|f| f.qty.0).sum();
                        left -= got;
                        for f in &fills {
                            let px = eth(&*market, i, f.price);
                            cost_eth_usd +=
                                holder_cost(leg.side, px, fair) * f.qty.0 as f64 * p.price;
                            s.roll_filled_usd += fair * f.qty.0 as f64 * p.price;
                        }
                        maker.book_fills(&*market, &fees, &mut s, &fills, Some(fair));
                    }
                }
                if left > 0 && (!leg.patient || p.at >= leg.deadline) {
                    if let Some(px) = sweep_price(&*market, i, leg.side, left, &mut levels) {
                        let call_cost = holder_cost(leg.side, px, fair);
                        let cost = cheaper_route(&*market, i, leg.side, left, call_cost);
                        cost_eth_usd += cost * left as f64 * p.price;
                        left = 0;
                    }
                }
                if left == 0 {
                    legs.swap_remove(k);
                    if let Some(n) = roll_legs.get_mut(&leg.roll) {
                        *n = n.saturating_sub(1);
                    }
                    continue;
                }
                legs[k].left = left;
                k += 1;
            }
            for (roll, n) in &roll_legs {
                if *n == 0 {
                    done_rolls.push(*roll);
                }
            }
            done_rolls.sort_unstable();
            for id in done_rolls {
                roll_legs.remove(&id);
                if let Some(r) = pending_rolls.remove(&id) {
                    flow.completed(r.holder, r.to);
                }
            }
            if due(last_flow, p.at, config.flow_seconds) {
                last_flow = Some(p.at);
                let list = market.listing();
                let mut requests = Vec::new();
                flow.step(
                    p.at,
                    p.price,
                    &list,
                    |e, k| p_value(&*market, e, k),
                    &mut requests,
                );
                for r in requests {
                    let (Some(from), Some(to)) = (
                        series_index(&*market, r.from.expiry, r.from.strike),
                        series_index(&*market, r.to.expiry, r.to.strike),
                    ) else {
                        continue;
                    };
                    let lots = r.from.qty.round() as i64;
                    let lots_to = r.to.qty.round() as i64;
                    if lots <= 0 || lots_to <= 0 {
                        continue;
                    }
                    s.roll_requests += 1;
                    let p_from = p_value(&*market, r.from.expiry, r.from.strike);
                    let usd = r.from.qty
                        * match r.token {
                            Token::P => p_from,
                            Token::N => p.price - p_from,
                        };
                    s.roll_demand_usd += usd;
                    rolled_usd += usd;
                    // Both legs through the series' pools.
                    amm_cost_usd +=
                        2.0 * amm_cost_fraction(usd, config.amm_depth_usd, config.amm_fee) * usd;
                    let roll_id = next_roll;
                    next_roll += 1;
                    // In call terms a P holder buys back the old call and sells the new one; an N
                    // holder sells the old call and buys the new one.
                    let (out_side, in_side) = match r.token {
                        Token::P => (Side::Buy, Side::Sell),
                        Token::N => (Side::Sell, Side::Buy),
                    };
                    for (series, side, left) in [(from, out_side, lots), (to, in_side, lots_to)] {
                        // The taker route: the same leg crossing the venue's book now.
                        let fair = market.fair(series).price;
                        let taker_px =
                            sweep_price(&*market, series, side, left, &mut levels).unwrap_or(fair);
                        let cost = cheaper_route(
                            &*market,
                            series,
                            side,
                            left,
                            holder_cost(side, taker_px, fair),
                        );
                        taker_cost_usd += cost * left as f64 * p.price;
                        legs.push(Leg {
                            roll: roll_id,
                            instrument: market.series()[series].id,
                            side,
                            left,
                            patient: r.patient,
                            deadline: r.deadline,
                        });
                    }
                    roll_legs.insert(roll_id, 2);
                    pending_rolls.insert(roll_id, r);
                }
            }
            s.missed_rolls = flow.missed;
        }

        // The hourly sample (every step, where steps are further apart).
        let hour = p.at.0.div_euclid(3600 * Timestamp::NANOS_PER_SEC);
        let sample = last_sample_hour != Some(hour);

        // Inventory vega per expiry, at each requote and sample.
        let mut vega_by_expiry: HashMap<engine::instrument::Expiry, f64> = HashMap::new();
        if requoted || sample {
            for (i, sr) in market.series().iter().enumerate() {
                let l = maker.positions.get(sr.id);
                if l != 0 {
                    *vega_by_expiry.entry(sr.expiry).or_default() +=
                        l as f64 * market.fair(i).vega / 100.0;
                }
            }
        }
        for v in vega_by_expiry.values() {
            s.max_inventory_vega = s.max_inventory_vega.max(v.abs());
        }

        if sample {
            last_sample_hour = Some(hour);
            let pnl = (maker.cash_eth.to_f64().unwrap_or(0.0) + maker.open_eth(&*market)) * p.price;
            let mut vegas: Vec<(String, f64)> = vega_by_expiry
                .iter()
                .map(|(e, v)| (e.to_string(), *v))
                .collect();
            vegas.sort_by(|a, b| a.0.cmp(&b.0));
            let value = |e, k, q| held_value(&*market, &settle_index, e, k, q);
            let drift = |v: f64| {
                if initial_usd > 0.0 {
                    1e4 * (v - initial_usd) / initial_usd
                } else {
                    0.0
                }
            };
            let no_roll: f64 = initial
                .iter()
                .map(|&(e, k, q)| value(e, k, q))
                .filter(|v| v.is_finite())
                .sum();
            let rolling: f64 = flow.as_ref().map_or(0.0, |f| {
                f.holders()
                    .iter()
                    .filter(|h| h.token == Token::P)
                    .map(|h| value(h.position.expiry, h.position.strike, h.position.qty))
                    .filter(|v| v.is_finite())
                    .sum()
            });
            let per_rolled = |x: f64| {
                if rolled_usd > 0.0 {
                    1e4 * x / rolled_usd
                } else {
                    0.0
                }
            };
            s.series.push(Sample {
                at: p.at,
                index: p.price,
                maker_pnl_usd: pnl,
                spread_usd: s.pnl_spread_usd,
                settlement_usd: s.pnl_settlement_usd,
                inventory_usd: pnl - s.pnl_spread_usd - s.pnl_settlement_usd,
                vega_by_expiry: vegas,
                rolling_drift_bps: drift(rolling - cost_eth_usd),
                no_roll_drift_bps: drift(no_roll),
                holder_cost_bps: per_rolled(cost_eth_usd),
                taker_cost_bps: per_rolled(taker_cost_usd),
                amm_cost_bps: per_rolled(amm_cost_usd),
                liquidation_loss_bps: lending.as_ref().map_or(0.0, |l| l.loss_bps()),
            });
        }
    }

    // Marks: open positions at fair, cash at the end index.
    let end = s.end_index;
    let open_eth = maker.open_eth(&*market);
    let cash = maker.cash_eth.to_f64().unwrap_or(0.0);
    s.fees_usd = maker.fees_eth.to_f64().unwrap_or(0.0) * end;
    s.maker_pnl_usd = (cash + open_eth) * end;
    s.pnl_inventory_usd = s.maker_pnl_usd - s.pnl_spread_usd - s.pnl_settlement_usd;
    s.roll_fill_ratio = if s.roll_demand_usd > 0.0 {
        s.roll_filled_usd / (2.0 * s.roll_demand_usd)
    } else {
        0.0
    };
    if rolled_usd > 0.0 {
        s.holder_roll_cost_bps = 1e4 * cost_eth_usd / rolled_usd;
        s.taker_roll_cost_bps = 1e4 * taker_cost_usd / rolled_usd;
        s.amm_roll_cost_bps = 1e4 * amm_cost_usd / rolled_usd;
    }
    if let Some(l) = &lending {
        s.liquidation_loss_bps = l.loss_bps();
        s.liquidation_sold_eth = l.sold_eth;
    }
    if initial_usd > 0.0 {
        let end_usd: f64 = initial
            .iter()
            .map(|&(e, k, q)| held_value(&*market, &settle_index, e, k, q))
            .filter(|v| v.is_finite())
            .sum();
        s.no_roll_drift_bps = 1e4 * (end_usd - initial_usd) / initial_usd;
    }
    s
}

/// A price of series `i` in ETH.
fn eth<M: Market>(market: &M, i: usize, price: Price) -> f64 {
    let inst = market.instruments().get(market.series()[i].id);
    inst.price_f64(price)
}

/// The average price (ETH) of a holder on `side` crossing `lots` of series `i`, walking the
/// venue's displayed levels ([`average_price`]). None when that side of the book is empty.
fn sweep_price<M: Market>(
    market: &M,
    i: usize,
    side: Side,
    lots: i64,
    levels: &mut Vec<(Price, Qty)>,
) -> Option<f64> {
    market.levels(i, side.opposite(), levels);
    let eth_levels: Vec<(f64, i64)> = levels
        .iter()
        .map(|&(p, q)| (eth(market, i, p), q.0))
        .collect();
    average_price(&eth_levels, lots)
}

/// A holder crossing the book for `lots` takes the cheaper of the call and, where the market
/// lists it, the put plus the future (ROLLS.md's taker route): `call_cost` per contract, or the
/// put's.
fn cheaper_route<M: Market>(market: &M, i: usize, side: Side, lots: i64, call_cost: f64) -> f64 {
    match market.put_route(i).and_then(|r| r.cost(side, lots)) {
        Some(put_cost) => put_cost.min(call_cost),
        None => call_cost,
    }
}

/// What the holder pays over fair per contract (ETH): buying above it, selling below.
fn holder_cost(side: Side, price: f64, fair: f64) -> f64 {
    match side {
        Side::Buy => price - fair,
        Side::Sell => fair - price,
    }
}

fn series_index<M: Market>(
    market: &M,
    expiry: engine::instrument::Expiry,
    strike: f64,
) -> Option<usize> {
    market
        .series()
        .iter()
        .position(|s| s.expiry == expiry && s.strike == strike)
}

/// The index's 30-minute TWAP as of `p`, from the recent samples (`p` itself where there are
/// none in the window).
fn twap_now(recent: &VecDeque<(Timestamp, f64)>, p: IndexPoint) -> f64 {
    let samples: Vec<(f64, f64)> = recent
        .iter()
        .map(|(t, x)| ((p.at.0 - t.0) as f64 / 1e9, *x))
        .collect();
    twap_30_minutes(&samples).unwrap_or(p.price)
}

/// USD value of `q` P tokens of (expiry `e`, strike `k`): min(S_T, K) once settled (at the
/// index in `settled`), else the fair value now.
fn held_value<M: Market>(
    market: &M,
    settled: &HashMap<engine::instrument::Expiry, f64>,
    e: engine::instrument::Expiry,
    k: f64,
    q: f64,
) -> f64 {
    match settled.get(&e) {
        Some(st) => q * st.min(k),
        None => q * p_value(market, e, k),
    }
}

/// A P token's USD value: S - C, the call at the market's fair value.
fn p_value<M: Market>(market: &M, expiry: engine::instrument::Expiry, strike: f64) -> f64 {
    let Some(p) = market.point() else {
        return f64::NAN;
    };
    match series_index(market, expiry, strike) {
        Some(i) => p.price * (1.0 - market.fair(i).price),
        None => f64::NAN,
    }
}

/// An action reaching the venue: orders join their queues and are acknowledged.
fn apply_action<M: Market>(market: &M, queues: &mut Queues, maker: &mut MakerBook, action: Action) {
    let MakerBook {
        manager, by_client, ..
    } = maker;
    // Others' quantity displayed at the order's price: it trades first. (Behind the best the
    // better levels trade first too, but a trade reaches the order only at its price.)
    let mut levels = Vec::new();
    let mut displayed = |id: InstrumentId, side: Side, price: Price| {
        let Some(i) = market.series().iter().position(|s| s.id == id) else {
            return Qty(0);
        };
        market.levels(i, side, &mut levels);
        levels
            .iter()
            .find(|(p, _)| *p == price)
            .map_or(Qty(0), |(_, q)| *q)
    };
    match action {
        Action::Place {
            client_id,
            key,
            price,
            qty,
        } => {
            if market.series().iter().all(|s| s.id != key.instrument) {
                manager.on_event(client_id, OrderEvent::Rejected).ok();
                return;
            }
            let ahead = displayed(key.instrument, key.side, price);
            queues.join(client_id, key.instrument, key.side, price, qty, ahead);
            by_client.insert(client_id, (key.instrument, key.side));
            manager
                .on_event(client_id, OrderEvent::Accepted(OrderId(client_id)))
                .ok();
        }
        Action::Amend {
            client_id,
            price,
            amount,
        } => {
            let Some(&(instrument, side)) = by_client.get(&client_id) else {
                return;
            };
            let filled = manager
                .orders()
                .find(|(_, o)| o.client_id == client_id)
                .map_or(Qty(0), |(_, o)| o.filled);
            let remaining = amount - filled;
            match queues
                .orders()
                .iter()
                .find(|o| o.client_id == client_id)
                .map(|o| o.price)
            {
                Some(p) if p == price => queues.reduce(client_id, remaining),
                Some(_) => {
                    queues.remove(client_id);
                    let ahead = displayed(instrument, side, price);
                    queues.join(client_id, instrument, side, price, remaining, ahead);
                }
                None => {
                    manager.on_refused(client_id).ok();
                    return;
                }
            }
            manager
                .on_event(client_id, OrderEvent::Amended { price, amount })
                .ok();
        }
        Action::Cancel { client_id } => {
            if queues.remove(client_id).is_some() {
                manager.on_event(client_id, OrderEvent::Cancelled).ok();
            } else {
                manager.on_refused(client_id).ok();
            }
        }
    }
}

impl MakerBook {
    /// The open positions at the market's fair values (ETH).
    fn open_eth<M: Market>(&self, market: &M) -> f64 {
        market
            .series()
            .iter()
            .enumerate()
            .map(|(i, sr)| self.positions.get(sr.id) as f64 * market.fair(i).price)
            .sum()
    }

    /// Our fills into positions, cash, fees and the quote manager; spread PnL against `fair` (or
    /// the market's fair value of the series).
    fn book_fills<M: Market>(
        &mut self,
        market: &M,
        fees: &DeribitOptionFees,
        s: &mut Summary,
        fills: &[QueueFill],
        fair: Option<f64>,
    ) {
        let Some(p) = market.point() else { return };
        for f in fills {
            let Some(&(instrument, side)) = self.by_client.get(&f.client_id) else {
                continue;
            };
            s.fills += 1;
            let inst = market.instruments().get(instrument);
            let price = inst.price_decimal(f.price);
            let contracts = Decimal::from(f.qty.0);
            let fee = fees.trade_fee(price, contracts, true);
            let sign = side.sign();
            self.cash_eth -= price * contracts * Decimal::from(sign);
            self.cash_eth -= fee;
            self.fees_eth += fee;
            self.positions.add(instrument, sign * f.qty.0);
            let fair = fair.or_else(|| {
                market
                    .series()
                    .iter()
                    .position(|sr| sr.id == instrument)
                    .map(|i| market.fair(i).price)
            });
            if let Some(fair) = fair {
                let px = price.to_f64().unwrap_or(f64::NAN);
                let edge = match side {
                    Side::Buy => fair - px,
                    Side::Sell => px - fair,
                };
                s.pnl_spread_usd += edge * f.qty.0 as f64 * p.price;
            }
            self.manager
                .on_event(f.client_id, OrderEvent::Filled { qty: f.qty })
                .ok();
        }
    }
}
