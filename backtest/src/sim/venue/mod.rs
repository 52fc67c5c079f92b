//! The simulated venue: our orders reach it `order_latency` after they are sent, rest in its
//! queues behind what others display ([`Queues`]), fill on the market's trades (and, under the
//! `crosses` rule, when the opposite best reaches them) or on a holder taking them, pay the
//! venue's fees, and settle at expiry. Everything it says goes back to the trader
//! `response_latency` later, as [`VenueEvent`]s: both latencies in `latency`, the hedge's
//! orders on the perpetual in `perpetual_orders`.
//!
//! Money: each fill's fee is the fee model's, in exact decimals (ETH), charged per fill.

use super::market::Market;
use super::perpetual::{HedgeTally, Perpetual};

mod latency;
mod perpetual_orders;
use super::run_config::{FillRule, RunConfig};
use crate::events::latency::LatencyModel;
use crate::events::timeline::Timeline;
use crate::fees::{DeribitOptionFees, FeeModel};
use crate::queue::{QueueFill, Queues};
use engine::matching::OrderId;
use engine::position::Fill;
use engine::quotes::Action;
use engine::state::Top;
use engine::trader::VenueEvent;
use engine::{InstrumentId, Instruments, Price, Qty, Side, Timestamp};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

/// A fill of ours, as the venue made it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VenueFill {
    pub client_id: u64,
    pub instrument: InstrumentId,
    /// Our side.
    pub side: Side,
    pub price: Price,
    pub qty: Qty,
}

/// An order of ours the venue knows: what it trades and how much of it has filled.
#[derive(Clone, Copy, Debug)]
struct Known {
    instrument: InstrumentId,
    side: Side,
    filled: Qty,
}

pub struct SimVenue {
    queues: Queues,
    arrivals: Timeline<Action>,
    outbox: Timeline<VenueEvent>,
    order_latency: Box<dyn LatencyModel>,
    response_latency: Box<dyn LatencyModel>,
    fees: Box<dyn FeeModel>,
    fill_rule: FillRule,
    known: FxHashMap<u64, Known>,
    /// Our net lots per instrument, as the venue records them (what settles at expiry).
    held: Vec<i64>,
    scratch: Vec<QueueFill>,
    levels: Vec<(Price, Qty)>,
    /// The fills of the last call that filled anything.
    fills: Vec<VenueFill>,
    /// The latest time the venue has acted at: it never acts earlier (a holder who looks after
    /// an order arrived trades after its acknowledgement).
    clock: Timestamp,
    /// The modelled perpetual takes fill on, if the market lists one.
    perpetual: Option<Perpetual>,
    /// What the hedge's orders on it traded and cost.
    pub hedge: HedgeTally,
    /// The index at the last match (what the hedge's fills are measured against).
    index: f64,
}

impl SimVenue {
    pub fn new(config: &RunConfig) -> SimVenue {
        SimVenue {
            queues: Queues::new(config.venue.queue),
            arrivals: Timeline::new(),
            outbox: Timeline::new(),
            order_latency: config.venue.order_latency.model(config.seed),
            response_latency: config.venue.response_latency.model(config.seed ^ 0x5e5b),
            fees: Box::new(DeribitOptionFees::default()),
            fill_rule: config.venue.fill_rule,
            known: FxHashMap::default(),
            held: Vec::new(),
            scratch: Vec::new(),
            levels: Vec::new(),
            fills: Vec::new(),
            clock: Timestamp(0),
            perpetual: None,
            hedge: HedgeTally::default(),
            index: f64::NAN,
        }
    }

    /// The venue with `perpetual` (the market's, modelled) for the hedge's takes.
    pub fn with_perpetual(mut self, perpetual: Option<Perpetual>) -> SimVenue {
        self.perpetual = perpetual;
        self
    }

    /// Every order of ours taken off the book (told to the trader as expired): after a gap in
    /// the data the maker would have requoted on what the backtest cannot see, so its quotes from
    /// before the gap must not meet the market after it as if they had rested there unchanged.
    pub fn pull_all(&mut self, now: Timestamp) {
        self.end_orders(now, None);
    }

    /// Our orders on `instrument` (all with None) ended by the venue, told as expired.
    fn end_orders(&mut self, now: Timestamp, instrument: Option<InstrumentId>) {
        let now = self.tick(now);
        let ending: Vec<u64> = match instrument {
            Some(i) => self.queues.on(i).iter().map(|o| o.client_id).collect(),
            None => self.queues.orders().iter().map(|o| o.client_id).collect(),
        };
        for client_id in ending {
            self.queues.remove(client_id);
            self.answer(now, VenueEvent::Expired { client_id });
        }
    }

    fn apply<M: Market>(&mut self, market: &M, action: Action) -> VenueEvent {
        let levels = &mut self.levels;
        match action {
            Action::Place {
                client_id,
                key,
                price,
                qty,
            } => {
                let perpetual = self.perpetual.is_some_and(|p| p.id == key.instrument);
                if market.top(key.instrument).is_none() && !perpetual {
                    return VenueEvent::Rejected { client_id };
                }
                let ahead = market.displayed(key.instrument, key.side, price, levels);
                self.queues
                    .join(client_id, key.instrument, key.side, price, qty, ahead);
                let known = Known {
                    instrument: key.instrument,
                    side: key.side,
                    filled: Qty(0),
                };
                self.known.insert(client_id, known);
                VenueEvent::Accepted {
                    client_id,
                    venue_id: OrderId(client_id),
                }
            }
            Action::Amend {
                client_id,
                price,
                amount,
            } => {
                let Some(k) = self.known.get(&client_id) else {
                    return VenueEvent::Refused { client_id };
                };
                let remaining = amount - k.filled;
                // An amount not above what has filled leaves nothing to rest: refused.
                let moved = remaining.0 > 0
                    && self.queues.amend(client_id, price, remaining, |i, s| {
                        market.displayed(i, s, price, levels)
                    });
                if moved {
                    VenueEvent::Amended {
                        client_id,
                        price,
                        amount,
                    }
                } else {
                    VenueEvent::Refused { client_id }
                }
            }
            Action::Cancel { client_id } => match self.queues.remove(client_id) {
                Some(_) => VenueEvent::Cancelled { client_id },
                None => VenueEvent::Refused { client_id },
            },
            Action::Take {
                client_id,
                instrument,
                side,
                price,
                qty,
            } => self.take_perpetual(market, client_id, (instrument, side, price, qty)),
        }
    }

    /// The market's step fills our orders: under the `crosses` rule an order the venue's
    /// opposite best has reached fills in full; the printed trades fill through the queues; and
    /// cancels move the queues up. The fills are in [`SimVenue::fills`].
    pub fn match_market<M: Market>(&mut self, now: Timestamp, market: &M) {
        let now = self.tick(now);
        self.fills.clear();
        self.index = market.point().map_or(f64::NAN, |p| p.price);
        if self.fill_rule == FillRule::OppositeCrosses {
            for sr in market.series() {
                if self.queues.on(sr.id).is_empty() {
                    continue;
                }
                if let Some(top) = market.top(sr.id) {
                    self.cross(now, market.instruments(), sr.id, top);
                }
            }
        }
        self.match_perpetual(now, market);
        for t in market.trades() {
            self.scratch.clear();
            self.queues
                .on_trade(t.instrument, t.aggressor, t.price, t.qty, &mut self.scratch);
            self.book(now, market.instruments());
        }
        for c in market.cancels() {
            self.queues
                .on_cancel(c.instrument, c.side, c.price, c.before, c.after);
        }
    }

    /// A holder on `side` takes up to `qty` of our orders on `instrument` at `price`. The fills
    /// are in [`SimVenue::fills`].
    pub fn take(
        &mut self,
        now: Timestamp,
        instruments: &Instruments,
        instrument: InstrumentId,
        side: Side,
        price: Price,
        qty: Qty,
    ) {
        let now = self.tick(now);
        self.fills.clear();
        self.scratch.clear();
        self.queues
            .on_trade(instrument, side, price, qty, &mut self.scratch);
        self.book(now, instruments);
    }

    /// `now`, or the venue's clock if it has gone further.
    fn tick(&mut self, now: Timestamp) -> Timestamp {
        self.clock = self.clock.max(now);
        self.clock
    }

    /// The fills in `scratch`: charged their fees, recorded, and told to the trader.
    /// Our orders on `id` that `top`'s opposite best reaches fill in full: the best bid reaches
    /// our asks at or below it (sellers there would have sold to that bid), the best ask our bids
    /// at or above it.
    fn cross(&mut self, now: Timestamp, instruments: &Instruments, id: InstrumentId, top: Top) {
        for (aggressor, best) in [(Side::Buy, top.bid), (Side::Sell, top.ask)] {
            let Some((price, _)) = best else { continue };
            self.scratch.clear();
            self.queues
                .on_crossed(id, aggressor, price, &mut self.scratch);
            self.book(now, instruments);
        }
    }

    fn book(&mut self, now: Timestamp, instruments: &Instruments) {
        for i in 0..self.scratch.len() {
            let f = self.scratch[i];
            let Some(k) = self.known.get_mut(&f.client_id) else {
                continue;
            };
            k.filled += f.qty;
            let (instrument, side) = (k.instrument, k.side);
            let inst = instruments.get(instrument);
            let perpetual = self.is_perpetual(instrument);
            // Deribit's perpetual charges its makers nothing; the options their per-contract fee.
            let fee = if perpetual {
                Decimal::ZERO
            } else {
                let price = inst.price_decimal(f.price);
                self.fees.trade_fee(price, Decimal::from(f.qty.0), true)
            };
            *self.held_mut(instrument) += side.sign() * f.qty.0;
            let fill = Fill {
                instrument,
                side,
                price: f.price,
                qty: f.qty,
                fee,
                ts: now,
            };
            self.answer(
                now,
                VenueEvent::Filled {
                    client_id: f.client_id,
                    fill,
                },
            );
            if let Some(p) = self.perpetual.filter(|_| perpetual) {
                // The hedge's, tallied apart: `fills` are the options'.
                let fill = (side, f.price, f.qty, fee);
                p.tally(instruments, &mut self.hedge, fill, self.index);
                continue;
            }
            self.fills.push(VenueFill {
                client_id: f.client_id,
                instrument,
                side,
                price: f.price,
                qty: f.qty,
            });
        }
    }

    /// The fills of the last [`SimVenue::match_market`] or [`SimVenue::take`].
    pub fn fills(&self) -> &[VenueFill] {
        &self.fills
    }

    /// Our best resting price on `side` of `instrument`.
    pub fn best_resting(&self, instrument: InstrumentId, side: Side) -> Option<Price> {
        self.queues
            .on(instrument)
            .iter()
            .filter(|o| o.side == side)
            .map(|o| o.price)
            .reduce(|a, b| if side.better(a, b) { a } else { b })
    }

    /// Lots traded elsewhere (a package on the roll venue) that settle with the rest: the
    /// oracle pays P and N tokens what Deribit pays its calls.
    pub fn hold(&mut self, instrument: InstrumentId, lots: i64) {
        *self.held_mut(instrument) += lots;
    }

    /// Our net lots in `instrument` as the venue records them.
    pub fn held(&self, instrument: InstrumentId) -> i64 {
        self.held.get(instrument.index()).copied().unwrap_or(0)
    }

    fn held_mut(&mut self, instrument: InstrumentId) -> &mut i64 {
        if self.held.len() <= instrument.index() {
            self.held.resize(instrument.index() + 1, 0);
        }
        &mut self.held[instrument.index()]
    }

    /// `instrument` expired: the lots held settle at `value` per contract (ETH) less the
    /// delivery fee, and our orders on it end.
    pub fn settle(&mut self, now: Timestamp, instrument: InstrumentId, value: Decimal) {
        let now = self.tick(now);
        let lots = std::mem::take(self.held_mut(instrument));
        let fee = self.fees.delivery_fee(value, Decimal::from(lots));
        let settled = VenueEvent::Settled {
            instrument,
            value,
            fee,
            at: now,
        };
        self.answer(now, settled);
        self.end_orders(now, Some(instrument));
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_market::{Fixed, OneCall};
    use super::*;
    use crate::events::latency::Latency;
    use crate::synthetic::path::Preset;
    use engine::quotes::{QuoteKey, QuoteRules, WantedQuote, WantedTake};
    use engine::trader::Refusal;
    use engine::trader::Trader;
    use engine::Instrument;

    const MS: i64 = 1_000_000;

    fn place(id: InstrumentId, client_id: u64, side: Side, price: i64, qty: i64) -> Action {
        Action::Place {
            client_id,
            key: QuoteKey {
                instrument: id,
                side,
                level: 0,
            },
            price: Price(price),
            qty: Qty(qty),
        }
    }

    /// The last match's fills: (client id, price, lots).
    fn filled(v: &SimVenue) -> Vec<(u64, i64, i64)> {
        let fill = |f: &VenueFill| (f.client_id, f.price.0, f.qty.0);
        v.fills().iter().map(fill).collect()
    }

    fn venue(response_ms: f64) -> SimVenue {
        let mut config = RunConfig::new(Preset::Calm, 1);
        config.venue.response_latency = Latency::Constant { ms: response_ms };
        SimVenue::new(&config)
    }

    #[test]
    fn orders_arrive_after_the_order_latency_and_wait_behind_the_book() {
        let mut m = OneCall::new();
        let id = m.id();
        let mut v = venue(0.0);
        v.send(Timestamp(0), &[place(id, 1, Side::Sell, 520, 5)]);
        v.arrive(Timestamp(49 * MS), &m);
        assert_eq!(v.best_resting(id, Side::Sell), None);
        v.arrive(Timestamp(50 * MS), &m);
        assert_eq!(v.best_resting(id, Side::Sell), Some(Price(520)));
        // 12 bought at 520: the 10 displayed ahead go first, then 2 of ours.
        m.print(Side::Buy, 520, 12);
        v.match_market(Timestamp(60 * MS), &m);
        let got: Vec<(u64, i64)> = v.fills().iter().map(|f| (f.client_id, f.qty.0)).collect();
        assert_eq!(got, [(1, 2)]);
        assert_eq!(v.held(id), -2);
    }

    #[test]
    fn answers_reach_the_trader_a_response_latency_later() {
        let mut m = OneCall::new();
        let id = m.id();
        let rules = QuoteRules {
            price_threshold_ticks: 0,
            size_threshold_lots: 0,
            max_actions_per_second: 100,
        };
        let mut trader = Trader::new(rules, 1);
        let mut v = venue(100.0);
        let wanted = WantedQuote {
            key: QuoteKey {
                instrument: id,
                side: Side::Sell,
                level: 0,
            },
            price: Price(520),
            qty: Qty(5),
            tick: 5,
        };
        let mut actions = Vec::new();
        let mut strategy = Fixed(vec![wanted], vec![]);
        let state = m.state(&|_| Qty(0), None);
        trader.requote(Timestamp(0), &state, &mut strategy, &mut actions);
        v.send(Timestamp(0), &actions);
        v.arrive(Timestamp(50 * MS), &m);
        m.print(Side::Buy, 525, 15);
        v.match_market(Timestamp(50 * MS), &m);
        assert_eq!(v.held(id), -5);
        v.deliver(Some(Timestamp(149 * MS)), &mut trader, &m.instruments);
        assert_eq!(trader.position(id), Qty(0), "not yet told");
        v.deliver(Some(Timestamp(150 * MS)), &mut trader, &m.instruments);
        assert_eq!(trader.position(id), Qty(-5));
        assert!(trader.refusals().is_empty());
        // An amend of the filled order is refused, and the refusal counted.
        let amend = Action::Amend {
            client_id: 1,
            price: Price(525),
            amount: Qty(5),
        };
        v.send(Timestamp(200 * MS), &[amend]);
        v.arrive(Timestamp(300 * MS), &m);
        v.deliver(None, &mut trader, &m.instruments);
        assert_eq!(trader.refusals().get(&Refusal::ActionRefused), Some(&1));
    }

    #[test]
    fn crosses_fills_only_what_the_opposite_best_reached() {
        let mut m = OneCall::new();
        let id = m.id();
        let mut config = RunConfig::new(Preset::Calm, 1);
        config.venue.fill_rule = FillRule::OppositeCrosses;
        let mut v = SimVenue::new(&config);
        // Inside the venue's 500 / 520: neither is reached.
        v.send(
            Timestamp(0),
            &[
                place(id, 1, Side::Sell, 510, 3),
                place(id, 2, Side::Buy, 505, 4),
            ],
        );
        v.arrive(Timestamp(50 * MS), &m);
        v.match_market(Timestamp(60 * MS), &m);
        assert!(v.fills().is_empty(), "{:?}", v.fills());
        // The best bid rises to our ask: the ask fills in full at its own price, the bid rests.
        m.bid = (510, 1);
        v.match_market(Timestamp(70 * MS), &m);
        assert_eq!(filled(&v), [(1, 510, 3)]);
        // The best ask falls to 506, above our bid: nothing; to 505: the bid fills.
        m.bid = (500, 10);
        m.ask = (506, 1);
        v.match_market(Timestamp(80 * MS), &m);
        assert!(v.fills().is_empty());
        m.ask = (505, 1);
        v.match_market(Timestamp(90 * MS), &m);
        assert_eq!(filled(&v), [(2, 505, 4)]);
        assert_eq!(v.held(id), 1);
    }

    #[test]
    fn a_size_cut_keeps_the_place_and_a_new_price_joins_behind() {
        let mut m = OneCall::new();
        let id = m.id();
        let mut v = venue(0.0);
        v.send(Timestamp(0), &[place(id, 1, Side::Sell, 520, 5)]);
        v.arrive(Timestamp(50 * MS), &m);
        // 10 ahead; 8 trade: 2 ahead left.
        m.print(Side::Buy, 520, 8);
        v.match_market(Timestamp(60 * MS), &m);
        m.trades.clear();
        let cut = Action::Amend {
            client_id: 1,
            price: Price(520),
            amount: Qty(3),
        };
        v.send(Timestamp(60 * MS), &[cut]);
        v.arrive(Timestamp(110 * MS), &m);
        m.print(Side::Buy, 520, 4);
        v.match_market(Timestamp(120 * MS), &m);
        assert_eq!(v.held(id), -2, "2 ahead, then 2 of our 3");
        // Moved to 515 with 2 left, where the book shows nothing: first in line.
        m.trades.clear();
        let moved = Action::Amend {
            client_id: 1,
            price: Price(515),
            amount: Qty(4),
        };
        v.send(Timestamp(120 * MS), &[moved]);
        v.arrive(Timestamp(170 * MS), &m);
        m.print(Side::Buy, 515, 1);
        v.match_market(Timestamp(180 * MS), &m);
        assert_eq!(v.held(id), -3);
        // A larger size at the same price: all of it rests, behind what the book shows.
        m.trades.clear();
        m.ask = (515, 6);
        let larger = Action::Amend {
            client_id: 1,
            price: Price(515),
            amount: Qty(8),
        };
        v.send(Timestamp(180 * MS), &[larger]);
        v.arrive(Timestamp(230 * MS), &m);
        m.print(Side::Buy, 515, 7);
        v.match_market(Timestamp(240 * MS), &m);
        assert_eq!(v.held(id), -4, "6 ahead, then 1 of our 5");
        m.trades.clear();
        m.print(Side::Buy, 515, 9);
        v.match_market(Timestamp(250 * MS), &m);
        assert_eq!(v.held(id), -8, "the whole larger size fills");
    }

    /// The hedge's orders on the modelled perpetual: a take fills whole at once at the opposite
    /// best (or is cancelled where its limit does not reach it; a take of an option is refused),
    /// paying the taker fee; a resting order fills only once the index has moved through it,
    /// paying nothing. Neither shows among the options' fills.
    #[test]
    fn the_hedge_takes_the_perpetual_now_or_rests_until_the_index_moves_through() {
        let mut m = OneCall::new();
        let perp = m
            .instruments
            .intern(Instrument::deribit("ETH-PERPETUAL").unwrap())
            .unwrap();
        let rules = QuoteRules {
            price_threshold_ticks: 0,
            size_threshold_lots: 0,
            max_actions_per_second: 100,
        };
        let mut trader = Trader::new(rules, 1);
        let mut v = venue(0.0).with_perpetual(Some(Perpetual::new(perp, 1.0)));
        let take = |instrument, side, price, qty| WantedTake {
            instrument,
            side,
            price: Price(price),
            qty: Qty(qty),
        };
        // At 2000.01 the book is 2000.00 / 2000.05 (0.05 USD a price unit).
        m.index = 2000.01;
        let takes = vec![
            take(perp, Side::Sell, 39_980, 20_000),
            take(perp, Side::Buy, 40_000, 500),
            take(m.id(), Side::Buy, 520, 1),
        ];
        let mut actions = Vec::new();
        let state = m.state(&|_| Qty(0), None);
        trader.requote(
            Timestamp(0),
            &state,
            &mut Fixed(vec![], takes),
            &mut actions,
        );
        v.send(Timestamp(0), &actions);
        v.arrive(Timestamp(50 * MS), &m);
        v.deliver(None, &mut trader, &m.instruments);
        assert_eq!(trader.position(perp), Qty(-20_000), "sold at the bid");
        let fees = trader.ledger().fees();
        assert_eq!(fees, Decimal::new(5, 3), "0.05% of 10 ETH");
        assert_eq!(trader.refusals().get(&Refusal::OrderRejected), Some(&1));
        assert!((v.hedge.traded_eth - 10.0).abs() < 1e-12);
        assert!(v.fills().is_empty());

        // A bid resting at 2000.00: the index at 2000.02 does not reach it, at 1999.99 it does.
        let bid = WantedQuote {
            key: QuoteKey {
                instrument: perp,
                side: Side::Buy,
                level: 0,
            },
            price: Price(40_000),
            qty: Qty(20_000),
            tick: 1,
        };
        actions.clear();
        trader.requote(
            Timestamp(MS),
            &state,
            &mut Fixed(vec![bid], vec![]),
            &mut actions,
        );
        v.send(Timestamp(MS), &actions);
        v.arrive(Timestamp(60 * MS), &m);
        m.index = 2000.02;
        v.match_market(Timestamp(70 * MS), &m);
        v.deliver(None, &mut trader, &m.instruments);
        assert_eq!(
            trader.position(perp),
            Qty(-20_000),
            "the ask 2000.05 is above it"
        );
        m.index = 1999.99;
        v.match_market(Timestamp(80 * MS), &m);
        v.deliver(None, &mut trader, &m.instruments);
        assert_eq!(trader.position(perp), Qty(0), "the ask 1999.95 reached it");
        assert_eq!(trader.ledger().fees(), fees, "no maker fee");
        assert!(v.fills().is_empty());
        assert!((v.hedge.traded_eth - 20.0).abs() < 1e-12);
        // Sold 20,000 USD at 2000.00 and bought them back there: nothing made, the fee paid.
        let pnl = trader.ledger().position(perp).unwrap().realized_pnl();
        assert_eq!(pnl, Decimal::ZERO);
    }
}
