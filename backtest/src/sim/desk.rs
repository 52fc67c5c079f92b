//! The roll-demand desk: the holders of ROLLS.md's flow model, whose triggers start rolls, and
//! the legs of those rolls worked against the market. In call terms a P holder buys back the old
//! call and sells the new one (an N holder the other way). A leg takes the maker's resting quote
//! when it costs no more than crossing the venue (the cheaper of the call and the put plus the
//! future); otherwise an impatient holder crosses the book at once and a patient one at its
//! deadline. Holders look at the book at most once a second of market time.

use super::attribution::{Attribution, Taker};
use super::baselines::Baselines;
use super::market::Market;
use super::prices::{
    cheaper_route, eth, future_half_spread_usd, holder_cost, p_value, put_route_cost, sweep_price,
};
use super::roll_log::{NotDone, RollLog};
use super::run_config::RunConfig;
use super::venue::SimVenue;
use crate::roll_flow::{RollFlow, RollRequest, Token};
use crate::synthetic::path::IndexPoint;
use engine::{InstrumentId, Price, Qty, Side, Timestamp};
use std::collections::HashMap;

/// One leg of a holder's roll in call terms.
#[derive(Clone, Debug)]
pub(super) struct Leg {
    pub(super) roll: u64,
    /// 0: out of the old series; 1: into the new.
    pub(super) leg: usize,
    pub(super) instrument: InstrumentId,
    /// The call's fair value when the roll was asked for (ETH).
    pub(super) fair_at_request: f64,
    /// The holder's side.
    pub(super) side: Side,
    pub(super) left: i64,
    pub(super) patient: bool,
    pub(super) deadline: Timestamp,
    /// Impatient holders' limit: cost over fair per contract, as a fraction of the token's value.
    pub(super) max_slippage: f64,
    pub(super) token: Token,
}

/// What the holders' rolls came to, in USD.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HolderTotals {
    pub requests: u64,
    /// The rolled P (or N) tokens' value at request.
    pub demand_usd: f64,
    /// Holders' cost against fair, every leg, maker's and venue's.
    pub cost_usd: f64,
    /// The legs' value that the maker's quotes filled.
    pub filled_usd: f64,
    /// Impatient rolls dropped at their deadline: crossing cost more than `max_slippage_bps`
    /// and the maker did not fill them (the holder retries later, as the flow model says).
    pub abandoned: u64,
    /// Package prices the maker withheld because the package would pass its risk limits or
    /// `max_series_lots` (a roll waiting is counted at each look).
    pub over_limits: u64,
}

impl HolderTotals {
    /// `usd` in bps of the rolls' demand (0 before any roll).
    pub fn bps_of_demand(&self, usd: f64) -> f64 {
        if self.demand_usd > 0.0 {
            1e4 * usd / self.demand_usd
        } else {
            0.0
        }
    }
}

pub struct RollDesk {
    pub flow: RollFlow,
    /// The same holders' alternatives.
    pub baselines: Baselines,
    pub(super) legs: Vec<Leg>,
    /// Rolls in progress: legs left, and the request.
    pub(super) legs_left: HashMap<u64, usize>,
    pub(super) pending: HashMap<u64, RollRequest>,
    next_roll: u64,
    pub(super) last_legs: Option<Timestamp>,
    pub totals: HolderTotals,
    /// Each roll from request to fill.
    pub log: RollLog,
    /// Half the future's spread (USD per ETH), paid on the put route.
    pub(super) future_half_spread_usd: f64,
    pub(super) levels: Vec<(Price, Qty)>,
}

impl RollDesk {
    /// The desk for the holders of `config`'s flow model at `p`, on `market`'s listing.
    pub fn start<M: Market>(p: IndexPoint, market: &M, config: &RunConfig) -> RollDesk {
        let value = |call| p_value(market, call);
        let listing = market.listing();
        let flow = RollFlow::new(config.flow.clone(), p.price, listing, value, config.seed);
        let baselines = Baselines::start(&flow, market, p, config);
        RollDesk {
            flow,
            baselines,
            legs: Vec::new(),
            legs_left: HashMap::new(),
            pending: HashMap::new(),
            next_roll: 0,
            last_legs: None,
            totals: HolderTotals::default(),
            log: RollLog::default(),
            future_half_spread_usd: future_half_spread_usd(config.venue.future_spread_ticks),
            levels: Vec::new(),
        }
    }

    /// Whether the legs waiting are due a look at `at`: there are some, and the last look was
    /// a second ago or more (most steps of a data replay are much closer than that).
    #[inline]
    pub fn legs_due(&self, at: Timestamp) -> bool {
        !self.legs.is_empty()
            && (self.last_legs).is_none_or(|l| at.0 - l.0 >= Timestamp::NANOS_PER_SEC)
    }

    /// Holders look at the book (at most once a second): each leg takes the maker's quote where
    /// it is no dearer than the venue, or crosses the venue when it may no longer wait. Rolls
    /// whose legs are all done complete.
    pub fn work_legs<M: Market>(
        &mut self,
        p: IndexPoint,
        market: &M,
        venue: &mut SimVenue,
        pnl: &mut Attribution,
    ) {
        if !self.legs_due(p.at) {
            return;
        }
        self.last_legs = Some(p.at);
        let mut k = 0;
        while k < self.legs.len() {
            let leg = self.legs[k].clone();
            let Some(fair) = market.fair(leg.instrument) else {
                // The series is no longer listed: the roll cannot be done as asked (the flow
                // asks again after its deadline).
                let before = self.legs[..k].iter().filter(|l| l.roll == leg.roll).count();
                self.drop_roll(leg.roll, NotDone::SeriesGone);
                k -= before;
                continue;
            };
            let left = self.work_leg(p, market, venue, pnl, &leg, fair.price);
            if left > 0 && !leg.patient && p.at >= leg.deadline {
                // Its legs go; the next unvisited leg moves back by those before this one.
                let before = self.legs[..k].iter().filter(|l| l.roll == leg.roll).count();
                self.drop_roll(leg.roll, NotDone::GaveUp);
                self.totals.abandoned += 1;
                k -= before;
                continue;
            }
            if left == 0 {
                self.legs.swap_remove(k);
                if let Some(n) = self.legs_left.get_mut(&leg.roll) {
                    *n = n.saturating_sub(1);
                }
                continue;
            }
            self.legs[k].left = left;
            k += 1;
        }
        let mut done: Vec<u64> = self
            .legs_left
            .iter()
            .filter(|(_, n)| **n == 0)
            .map(|(r, _)| *r)
            .collect();
        done.sort_unstable();
        for id in done {
            self.legs_left.remove(&id);
            if let Some(r) = self.pending.remove(&id) {
                self.flow.completed(r.holder, r.to);
                self.log.completed(id, p.at);
            }
        }
    }

    /// A roll that ends without completing (`why`): its legs are dropped (the flow retries it
    /// after its deadline).
    pub(super) fn drop_roll(&mut self, roll: u64, why: NotDone) {
        self.legs.retain(|l| l.roll != roll);
        self.legs_left.remove(&roll);
        self.pending.remove(&roll);
        self.log.not_workable(roll, why);
    }

    /// One leg (its call's fair value `fair`): what is left of it after this look.
    fn work_leg<M: Market>(
        &mut self,
        p: IndexPoint,
        market: &M,
        venue: &mut SimVenue,
        pnl: &mut Attribution,
        leg: &Leg,
        fair: f64,
    ) -> i64 {
        let i = leg.instrument;
        let top = market.top(i).unwrap_or_default();
        let best = match leg.side {
            Side::Buy => top.ask.map(|a| a.0),
            Side::Sell => top.bid.map(|b| b.0),
        };
        let ours = venue.best_resting(leg.instrument, leg.side.opposite());
        let mut left = leg.left;
        let future = self.future_half_spread_usd / p.price;
        if let (Some(our), Some(v)) = (ours, best) {
            let at_best = holder_cost(leg.side, eth(market, i, v), fair);
            let venue_cost = cheaper_route(market, i, leg.side, 1, at_best, future);
            let maker_cost = holder_cost(leg.side, eth(market, i, our), fair);
            if maker_cost <= venue_cost + 1e-12 {
                venue.take(
                    p.at,
                    market.instruments(),
                    leg.instrument,
                    leg.side,
                    our,
                    Qty(left),
                );
                for f in venue.fills() {
                    let px = eth(market, i, f.price);
                    let q = f.qty.0 as f64;
                    let cost = holder_cost(leg.side, px, fair) * q * p.price;
                    let vs_request = holder_cost(leg.side, px, leg.fair_at_request) * q * p.price;
                    self.totals.cost_usd += cost;
                    self.totals.filled_usd += fair * q * p.price;
                    self.log
                        .traded(leg.roll, leg.leg, f.qty.0, true, [cost, vs_request]);
                    left -= f.qty.0;
                }
                pnl.on_fills(market, venue.fills(), Taker::Holder { fair });
            }
        }
        if left > 0 && (!leg.patient || p.at >= leg.deadline) {
            if let Some(px) = sweep_price(market, i, leg.side, left, &mut self.levels) {
                let call_cost = holder_cost(leg.side, px, fair);
                let cost = cheaper_route(market, i, leg.side, left, call_cost, future);
                // An impatient holder's limit: cost per contract within max_slippage of the
                // token's value (P: 1 - call, N: the call, ETH per contract).
                let token_value = match leg.token {
                    Token::P => 1.0 - fair,
                    Token::N => fair,
                };
                if leg.patient || cost <= leg.max_slippage * token_value {
                    let usd = cost * left as f64 * p.price;
                    // Against fair at the request: what the market moved meanwhile, added.
                    let moved = holder_cost(leg.side, fair, leg.fair_at_request);
                    let vs_request = usd + moved * left as f64 * p.price;
                    self.totals.cost_usd += usd;
                    self.log
                        .traded(leg.roll, leg.leg, left, false, [usd, vs_request]);
                    left = 0;
                }
            }
        }
        left
    }

    /// The rolls whose triggers fire at `p` become legs; each is priced for the baselines (the
    /// taker crossing now, the AMM).
    /// How many were asked for.
    pub fn take_requests<M: Market>(&mut self, p: IndexPoint, market: &M) -> usize {
        let mut requests = Vec::new();
        let value = |call| p_value(market, call);
        (self.flow).step(p.at, p.price, market.listing(), value, &mut requests);
        let n = requests.len();
        for r in requests {
            self.request(p, market, r);
        }
        n
    }

    /// The holders may look at the book again at once (new rolls just asked for).
    pub fn look_again(&mut self) {
        self.last_legs = None;
    }

    /// One roll asked for: logged; counted with its baselines the first time; its two legs
    /// queued, or, when it cannot be worked, why kept in the log.
    fn request<M: Market>(&mut self, p: IndexPoint, market: &M, r: RollRequest) {
        let roll = self.next_roll;
        self.next_roll += 1;
        let (from, to) = (r.from.call, r.to.call);
        let name = |id| market.instruments().get(id).name();
        let listed = market.fair(from).is_some() && market.fair(to).is_some();
        let p_from = p_value(market, from);
        let usd = r.from.qty
            * match r.token {
                Token::P => p_from,
                Token::N => p.price - p_from,
            };
        // A settled series has no value to count (its roll is logged, not counted).
        let usd = if listed && usd.is_finite() { usd } else { 0.0 };
        let first = self.log.requested(roll, &r, [name(from), name(to)], usd);
        if !listed {
            return self.log.not_workable(roll, NotDone::SeriesGone);
        }
        let (lots, lots_to) = (r.from.qty.round() as i64, r.to.qty.round() as i64);
        if lots <= 0 || lots_to <= 0 {
            return self.log.not_workable(roll, NotDone::TooSmall);
        }
        // A retried roll's demand and baselines were counted when it was first asked for.
        if first {
            self.totals.requests += 1;
            self.totals.demand_usd += usd;
            self.baselines.on_roll(market, p.price, &r);
        }
        let (out_side, in_side) = match r.token {
            Token::P => (Side::Buy, Side::Sell),
            Token::N => (Side::Sell, Side::Buy),
        };
        let legs = [(from, out_side, lots), (to, in_side, lots_to)];
        for (leg, (series, side, left)) in legs.into_iter().enumerate() {
            let fair = market.fair(series).map_or(f64::NAN, |g| g.price);
            if first {
                // The taker route: the same leg crossing the venue's book now.
                let taker_px =
                    sweep_price(market, series, side, left, &mut self.levels).unwrap_or(fair);
                let call_cost = holder_cost(side, taker_px, fair);
                let future = self.future_half_spread_usd / p.price;
                let put_cost = put_route_cost(market, series, side, left, future);
                let cost = put_cost.map_or(call_cost, |c| c.min(call_cost));
                let usd = |c: f64| c * left as f64 * p.price;
                self.baselines.taker_cost_usd += usd(cost);
                self.baselines.taker_calls_cost_usd += usd(call_cost);
                self.baselines.taker_puts_cost_usd += usd(put_cost.unwrap_or(call_cost));
            }
            self.legs.push(Leg {
                roll,
                leg,
                instrument: series,
                fair_at_request: fair,
                side,
                left,
                patient: r.patient,
                deadline: r.deadline,
                max_slippage: r.max_slippage_bps / 1e4,
                token: r.token,
            });
        }
        self.legs_left.insert(roll, 2);
        self.pending.insert(roll, r);
    }

    /// The P holders' positions' value now (as they roll).
    pub fn rolling_usd<M: Market>(&self, market: &M) -> f64 {
        let baselines = &self.baselines;
        self.flow
            .holders()
            .iter()
            .filter(|h| h.token == Token::P)
            .map(|h| baselines.value(market, &h.position))
            .filter(|v| v.is_finite())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_market::OneCall;
    use super::*;
    use crate::synthetic::path::Preset;
    use engine::quotes::{Action, QuoteKey};

    fn desk_with_leg(m: &OneCall, side: Side, patient: bool) -> RollDesk {
        desk_with_limit(m, side, patient, 0.005, Timestamp(i64::MAX))
    }

    fn desk_with_limit(
        m: &OneCall,
        side: Side,
        patient: bool,
        max_slippage: f64,
        deadline: Timestamp,
    ) -> RollDesk {
        let mut config = RunConfig::new(Preset::Calm, 1);
        config.flow.holders = 0;
        let p = m.point().unwrap();
        let mut desk = RollDesk::start(p, m, &config);
        desk.legs.push(Leg {
            roll: 0,
            leg: 0,
            instrument: m.id(),
            fair_at_request: m.fair,
            side,
            left: 4,
            patient,
            deadline,
            max_slippage,
            token: Token::P,
        });
        desk.legs_left.insert(0, 1);
        desk
    }

    fn resting_offer(m: &OneCall, price: i64) -> SimVenue {
        let mut v = SimVenue::new(&RunConfig::new(Preset::Calm, 1));
        let offer = Action::Place {
            client_id: 1,
            key: QuoteKey {
                instrument: m.id(),
                side: Side::Sell,
                level: 0,
            },
            price: Price(price),
            qty: Qty(10),
        };
        v.send(Timestamp(0), &[offer]);
        v.arrive(Timestamp(i64::MAX / 2), m);
        v
    }

    #[test]
    fn a_leg_takes_the_maker_where_it_is_no_dearer_than_the_venue() {
        let m = OneCall::new();
        // The venue asks 0.0520 against a fair 0.0510; the maker offers 0.0515.
        let mut v = resting_offer(&m, 515);
        let mut desk = desk_with_leg(&m, Side::Buy, true);
        let mut pnl = Attribution::default();
        desk.work_legs(m.point().unwrap(), &m, &mut v, &mut pnl);
        assert!(desk.legs.is_empty());
        assert_eq!(v.held(m.id()), -4);
        assert_eq!(pnl.fills, 1);
        // The holder paid 0.0005 over fair on 4 contracts at 2000 USD.
        assert!((desk.totals.cost_usd - 0.0005 * 4.0 * 2000.0).abs() < 1e-9);
    }

    /// A roll whose two legs the maker's quotes fill (out of and into the same call, for one
    /// book): the fill ratio is 1, the roll is done at once, and its cost is the maker's edge.
    #[test]
    fn a_roll_the_maker_fills_whole_has_a_fill_ratio_of_one() {
        let m = OneCall::new();
        let mut v = resting_offer(&m, 515);
        let bid = Action::Place {
            client_id: 2,
            key: QuoteKey {
                instrument: m.id(),
                side: Side::Buy,
                level: 0,
            },
            price: Price(505),
            qty: Qty(10),
        };
        v.send(Timestamp(0), &[bid]);
        v.arrive(Timestamp(i64::MAX / 2), &m);
        let mut desk = desk_with_leg(&m, Side::Buy, true);
        let mut sell = desk.legs[0].clone();
        (sell.leg, sell.side) = (1, Side::Sell);
        desk.legs.push(sell);
        desk.legs_left.insert(0, 2);
        let request = m.roll_request(true);
        let name = m.instruments.get(m.id()).name();
        desk.log.requested(0, &request, [name, name], 7592.0);
        desk.pending.insert(0, request);
        desk.work_legs(m.point().unwrap(), &m, &mut v, &mut Attribution::default());
        let s = desk.log.stats();
        assert_eq!(s.maker_fill_ratio, 1.0);
        assert_eq!((s.filled_within_24h, s.hours_to_fill.p99), (1.0, 0.0));
        // 0.0005 over fair each way, on 4 contracts each, at 2000 USD.
        let cost = 2.0 * 0.0005 * 4.0 * 2000.0;
        assert!((desk.log.records[0].cost_usd - cost).abs() < 1e-9);
    }

    #[test]
    fn a_dearer_maker_is_passed_over_and_only_the_impatient_cross() {
        let m = OneCall::new();
        let mut v = resting_offer(&m, 530);
        let mut pnl = Attribution::default();
        let mut patient = desk_with_leg(&m, Side::Buy, true);
        patient.work_legs(m.point().unwrap(), &m, &mut v, &mut pnl);
        assert_eq!(patient.legs.len(), 1, "a patient holder waits");
        let mut impatient = desk_with_leg(&m, Side::Buy, false);
        impatient.work_legs(m.point().unwrap(), &m, &mut v, &mut pnl);
        assert!(impatient.legs.is_empty());
        assert_eq!(v.held(m.id()), 0, "the maker was not taken");
        // Crossed at the venue's 0.0520 (the only level): 0.001 over fair.
        assert!((impatient.totals.cost_usd - 0.001 * 4.0 * 2000.0).abs() < 1e-9);
    }

    #[test]
    fn an_impatient_holder_crosses_only_within_its_limit_and_gives_up_at_the_deadline() {
        let mut m = OneCall::new();
        let mut v = resting_offer(&m, 530);
        let mut pnl = Attribution::default();
        // Crossing at 0.0520 costs 0.001 a contract over fair: above 5 bps of the P's 0.949.
        let deadline = Timestamp(60 * Timestamp::NANOS_PER_SEC);
        let mut desk = desk_with_limit(&m, Side::Buy, false, 0.0005, deadline);
        desk.work_legs(m.point().unwrap(), &m, &mut v, &mut pnl);
        assert_eq!(desk.legs.len(), 1, "waits for the maker");
        assert_eq!(desk.totals.cost_usd, 0.0);
        m.at = deadline;
        desk.work_legs(m.point().unwrap(), &m, &mut v, &mut pnl);
        assert!(desk.legs.is_empty() && desk.legs_left.is_empty());
        assert_eq!(desk.totals.abandoned, 1);
        assert_eq!(desk.totals.cost_usd, 0.0, "nothing crossed");
    }
}
