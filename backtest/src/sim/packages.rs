//! The roll venue in package mode: each holder's whole roll meets the maker's package price
//! ([`strategies::package`]), priced on the market the holder sees, and takes it when it costs no
//! more than crossing both legs on the option venue now (walking its depth, through the cheaper of
//! the call and the put plus the future). Otherwise any holder crosses now if that costs at most
//! `max_slippage_bps` of the P value (the cheaper way, at once); beyond it a patient holder waits
//! for a better package and crosses at its deadline, an impatient one gives up at its deadline.
//! Nothing is filled by halves.
//!
//! Money: the package's net price is the maker's, rounded once to the P tick; its legs are booked
//! on the ledger at their fair values on the price unit (0.0001 ETH) and the rest of the net as a
//! transfer, so the ledger's cash is the net to the unit.

use super::attribution::Attribution;
use super::desk::{Leg, RollDesk};
use super::market::Market;
use super::prices::{cheaper_route, holder_cost, sweep_price};
use super::roll_log::NotDone;
use crate::roll_flow::Token;
use crate::synthetic::path::IndexPoint;
use engine::instrument::Expiry;
use engine::position::Fill;
use engine::{InstrumentId, Price, Qty, Timestamp};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};
use strategies::limits::{change_within, Book, Exposure};
use strategies::package::{quote, NoQuote, PackageLeg, PackageMaker, PACKAGE_TICK};

/// A package the maker sold: its two legs (the maker's sides) and the net beyond them (ETH).
#[derive(Clone, Debug, PartialEq)]
pub struct PackageFill {
    pub legs: Vec<Fill>,
    pub residual: Decimal,
}

impl RollDesk {
    /// Holders look (at most once a second) at the maker's package price for each roll waiting.
    /// `held` is the maker's position by instrument before the look; each package is priced and
    /// limited on it plus what the look sold before it. The packages sold, for the caller to book.
    pub fn work_packages<M: Market>(
        &mut self,
        p: IndexPoint,
        market: &M,
        config: &PackageMaker,
        held: &dyn Fn(InstrumentId) -> i64,
        pnl: &mut Attribution,
    ) -> Vec<PackageFill> {
        let mut sold = Vec::new();
        if !self.legs_due(p.at) {
            return sold;
        }
        self.last_legs = Some(p.at);
        let mut rolls: Vec<u64> = self.pending.keys().copied().collect();
        rolls.sort_unstable();
        // Lots this look sold, by instrument: the caller books them after it.
        let mut sold_lots: HashMap<InstrumentId, i64> = HashMap::new();
        for roll in rolls {
            let legs: Vec<Leg> = self
                .legs
                .iter()
                .filter(|l| l.roll == roll)
                .cloned()
                .collect();
            let fairs: Option<Vec<f64>> = legs
                .iter()
                .map(|l| market.fair(l.instrument).map(|g| g.price))
                .collect();
            match fairs {
                Some(f) if legs.len() == 2 => {
                    let now = |id| held(id) + sold_lots.get(&id).copied().unwrap_or(0);
                    if let Some(fill) = self.work_package(p, market, config, &now, pnl, &legs, &f) {
                        for leg in &fill.legs {
                            *sold_lots.entry(leg.instrument).or_default() +=
                                leg.side.sign() * leg.qty.0;
                        }
                        sold.push(fill);
                    }
                }
                _ => self.drop_roll(roll, NotDone::SeriesGone),
            }
        }
        sold
    }

    /// One roll, its legs at `fair` (ETH per contract): sold as a package, crossed, left waiting
    /// or given up.
    #[allow(clippy::too_many_arguments)]
    fn work_package<M: Market>(
        &mut self,
        p: IndexPoint,
        market: &M,
        config: &PackageMaker,
        held: &dyn Fn(InstrumentId) -> i64,
        pnl: &mut Attribution,
        legs: &[Leg],
        fair: &[f64],
    ) -> Option<PackageFill> {
        let roll = legs[0].roll;
        let cross = self.crossing_eth(p, market, legs, fair);
        let p_value = match legs[0].token {
            Token::P => legs[0].left as f64 * (1.0 - fair[0]),
            Token::N => legs[0].left as f64 * fair[0],
        };
        let asked: Vec<PackageLeg> = legs
            .iter()
            .zip(fair)
            .map(|(l, f)| PackageLeg {
                id: l.instrument,
                holder_side: l.side,
                lots: l.left,
                fair: *f,
                held: held(l.instrument),
                carry: carry_per_contract(
                    market,
                    l.instrument,
                    p.at,
                    config.pricing.carry_bps_per_year,
                ),
            })
            .collect();
        let moved: f64 = legs
            .iter()
            .zip(fair)
            .map(|(l, f)| holder_cost(l.side, *f, l.fair_at_request) * l.left as f64)
            .sum();
        let quoted = quote(&config.pricing, &asked, p_value);
        let within = quoted.is_ok() && keeps_limits(market, &config.limits, held, &asked);
        if matches!(quoted, Err(NoQuote::SeriesFull)) || (quoted.is_ok() && !within) {
            self.totals.over_limits += 1;
        }
        if let Some(q) = quoted.ok().filter(|_| within) {
            let maker_cost = q.net_units as f64 * PACKAGE_TICK - q.fair_net;
            if cross.is_none_or(|c| maker_cost <= c + 1e-12) {
                let usd = maker_cost * p.price;
                self.log
                    .traded(roll, 0, legs[0].left, true, [usd, usd + moved * p.price]);
                self.log.traded(roll, 1, legs[1].left, true, [0.0, 0.0]);
                self.totals.cost_usd += usd;
                let value: f64 = asked.iter().map(|l| l.fair * l.lots as f64).sum();
                self.totals.filled_usd += value * p.price;
                let fill = package_fill(p.at, &asked, q.net_units);
                pnl.on_package(market, &fill.legs, fair, maker_cost);
                self.complete(roll, p);
                return Some(fill);
            }
        }
        let leg = &legs[0];
        let within = cross.is_some_and(|c| c <= leg.max_slippage * p_value);
        let due = p.at >= leg.deadline;
        match (leg.patient, within, due, cross) {
            (_, true, _, Some(c)) | (true, _, true, Some(c)) => {
                let usd = c * p.price;
                self.log
                    .traded(roll, 0, leg.left, false, [usd, usd + moved * p.price]);
                self.log.traded(roll, 1, legs[1].left, false, [0.0, 0.0]);
                self.totals.cost_usd += usd;
                self.complete(roll, p);
            }
            (false, false, true, _) => {
                self.drop_roll(roll, NotDone::GaveUp);
                self.totals.abandoned += 1;
            }
            _ => {}
        }
        None
    }

    /// What crossing both legs on the option venue now costs over fair (ETH), each through the
    /// cheaper route; None where a book has no side to take.
    fn crossing_eth<M: Market>(
        &mut self,
        p: IndexPoint,
        market: &M,
        legs: &[Leg],
        fair: &[f64],
    ) -> Option<f64> {
        let future = self.future_half_spread_usd / p.price;
        let mut total = 0.0;
        for (l, f) in legs.iter().zip(fair) {
            let px = sweep_price(market, l.instrument, l.side, l.left, &mut self.levels)?;
            let call_cost = holder_cost(l.side, px, *f);
            let cost = cheaper_route(market, l.instrument, l.side, l.left, call_cost, future);
            total += cost * l.left as f64;
        }
        Some(total)
    }

    /// Roll `roll` done at `p`: its legs go, the holder holds the new series.
    fn complete(&mut self, roll: u64, p: IndexPoint) {
        self.legs.retain(|l| l.roll != roll);
        self.legs_left.remove(&roll);
        if let Some(r) = self.pending.remove(&roll) {
            self.flow.completed(r.holder, r.to);
            self.log.completed(roll, p.at);
        }
    }
}

/// `carry_bps_per_year` of 1 ETH for the years from `now` to series `id`'s expiry, ETH a
/// contract (0 for a series the market does not list).
fn carry_per_contract<M: Market>(
    market: &M,
    id: InstrumentId,
    now: Timestamp,
    carry_bps_per_year: f64,
) -> f64 {
    market.series_of(id).map_or(0.0, |s| {
        carry_bps_per_year * 1e-4 * now.years_until(s.settles).max(0.0)
    })
}

/// Whether the maker's book after the package stays within `limits`, in each leg's expiry bucket
/// and in total: |net| vega and gamma and gross contracts within their bounds, or no further
/// past them than before. Delta is left to the hedge (the strategy's `hedge.*`).
fn keeps_limits<M: Market>(
    market: &M,
    limits: &strategies::config::Limits,
    held: &dyn Fn(InstrumentId) -> i64,
    legs: &[PackageLeg],
) -> bool {
    // Per contract, in the limits' units (as the roll maker counts them).
    let exposure = |id| market.fair(id).map(|g| Exposure::of_coin(&g));
    let mut before: BTreeMap<Expiry, Book> = BTreeMap::new();
    let mut total = Book::default();
    for s in market.series() {
        let lots = held(s.id) as f64;
        if let (true, Some(e)) = (lots != 0.0, exposure(s.id)) {
            before.entry(s.expiry).or_default().add(e, 0.0, lots);
            total.add(e, 0.0, lots);
        }
    }
    let (mut after, mut total_after) = (before.clone(), total);
    for (i, l) in legs.iter().enumerate() {
        let (Some(s), Some(e)) = (market.series_of(l.id), exposure(l.id)) else {
            return false;
        };
        let maker = -(l.holder_side.sign() * l.lots) as f64;
        // What the legs before this one did to the same series.
        let earlier: f64 = legs[..i]
            .iter()
            .filter(|o| o.id == l.id)
            .map(|o| -(o.holder_side.sign() * o.lots) as f64)
            .sum();
        let now = l.held as f64 + earlier;
        after.entry(s.expiry).or_default().add(e, now, maker);
        total_after.add(e, now, maker);
    }
    change_within(&limits.total, &total, &total_after, false)
        && after.iter().all(|(x, a)| {
            let b = before.get(x).copied().unwrap_or_default();
            change_within(&limits.bucket, &b, a, false)
        })
}

/// The legs of a package sold at `net_units` (what the holder pays, in P ticks): each at its fair
/// value on the price unit (at least one unit), the maker on the other side of the holder; the
/// rest of the net as the residual.
fn package_fill(at: Timestamp, legs: &[PackageLeg], net_units: i64) -> PackageFill {
    let mut booked_units = 0i64;
    let fills = legs
        .iter()
        .map(|l| {
            let units = ((l.fair / PACKAGE_TICK).round() as i64).max(1);
            booked_units += l.holder_side.sign() * l.lots * units;
            Fill {
                instrument: l.id,
                side: l.holder_side.opposite(),
                price: Price(units),
                qty: Qty(l.lots),
                fee: Decimal::ZERO,
                ts: at,
            }
        })
        .collect();
    PackageFill {
        legs: fills,
        residual: Decimal::new(net_units - booked_units, 4),
    }
}

#[cfg(test)]
mod tests {
    use super::super::run_config::RunConfig;
    use super::super::test_market::OneCall;
    use super::*;
    use crate::synthetic::path::Preset;
    use engine::quotes::QuoteRules;
    use engine::trader::Trader;
    use engine::Side;

    /// A desk with one P roll waiting: buy back 4 of the call, sell 4 of it (one book).
    fn desk(m: &OneCall, patient: bool) -> RollDesk {
        let mut config = RunConfig::new(Preset::Calm, 1);
        config.flow.holders = 0;
        let mut desk = RollDesk::start(m.point().unwrap(), m, &config);
        for (leg, side) in [(0, Side::Buy), (1, Side::Sell)] {
            desk.legs.push(Leg {
                roll: 0,
                leg,
                instrument: m.id(),
                fair_at_request: m.fair,
                side,
                left: 4,
                patient,
                deadline: Timestamp(i64::MAX),
                max_slippage: 0.0,
                token: Token::P,
            });
        }
        let request = m.roll_request(patient);
        let name = m.instruments.get(m.id()).name();
        desk.log.requested(0, &request, [name, name], 7592.0);
        desk.legs_left.insert(0, 2);
        desk.pending.insert(0, request);
        desk
    }

    fn package(edge_bps: f64) -> PackageMaker {
        let mut limits = strategies::RollMakerConfig::default_config().limits;
        limits.bucket.notional = 1e9;
        limits.total.notional = 1e9;
        PackageMaker {
            pricing: strategies::package::PackageConfig {
                edge_bps,
                skew_bps_per_100_lots: 0.0,
                max_series_lots: 1000,
                carry_bps_per_year: 0.0,
            },
            limits,
        }
    }

    #[test]
    fn a_roll_sold_as_a_package_costs_the_holder_what_the_maker_makes() {
        let m = OneCall::new();
        let mut d = desk(&m, true);
        let mut pnl = Attribution::default();
        let p = m.point().unwrap();
        let sold = d.work_packages(p, &m, &package(2.0), &|_| 0, &mut pnl);
        // Fair 0.051 both ways: the legs net nothing; 2 bps of the P value rolled (4 x 0.949 =
        // 3.796 ETH) is 0.00075920, rounded up once to the P tick: 0.0008 ETH for the package.
        assert_eq!(sold.len(), 1);
        assert_eq!(sold[0].residual, Decimal::new(8, 4));
        let mut trader = Trader::new(
            QuoteRules {
                price_threshold_ticks: 0,
                size_threshold_lots: 0,
                max_actions_per_second: 1,
            },
            1,
        );
        trader.book_package(&m.instruments, &sold[0].legs, sold[0].residual);
        assert_eq!(
            trader.ledger().cash(),
            Decimal::new(8, 4),
            "the maker's to the unit"
        );
        assert_eq!(trader.position(m.id()), Qty(0));
        assert!(trader.refusals().is_empty());
        // The holder paid the same 0.0008 ETH at 2,000 USD: 1.6 USD; the roll is done at once.
        let r = &d.log.records[0];
        assert!((r.cost_usd - 1.6).abs() < 1e-9, "{}", r.cost_usd);
        assert_eq!((r.hours_to_fill(), r.maker_usd), (Some(0.0), 7592.0));
        assert!((pnl.spread_usd - 1.6).abs() < 1e-9);
        assert!(d.legs.is_empty() && d.pending.is_empty());
    }

    #[test]
    fn a_package_dearer_than_the_venue_is_passed_over_until_the_deadline() {
        let mut m = OneCall::new();
        // Crossing both legs costs 0.001 a contract each way: 0.008 ETH. An edge of 30 bps of
        // 3.796 ETH (0.0114) is dearer: the patient holder waits, then crosses at its deadline.
        let mut d = desk(&m, true);
        d.legs
            .iter_mut()
            .for_each(|l| l.deadline = Timestamp(60_000_000_000));
        let mut pnl = Attribution::default();
        let dear = package(30.0);
        assert!(d
            .work_packages(m.point().unwrap(), &m, &dear, &|_| 0, &mut pnl)
            .is_empty());
        assert_eq!(d.legs.len(), 2, "waits");
        m.at = Timestamp(60_000_000_000);
        assert!(d
            .work_packages(m.point().unwrap(), &m, &dear, &|_| 0, &mut pnl)
            .is_empty());
        let r = &d.log.records[0];
        assert!((r.cost_usd - 0.008 * 2000.0).abs() < 1e-9, "{}", r.cost_usd);
        assert_eq!(r.maker_usd, 0.0);
        assert!(r.filled.is_some());
        // With a limit of 1% of the P value (0.038 ETH), crossing for 0.008 is done at once.
        let mut m = OneCall::new();
        m.at = Timestamp(0);
        let mut d = desk(&m, true);
        d.legs.iter_mut().for_each(|l| l.max_slippage = 0.01);
        assert!(d
            .work_packages(m.point().unwrap(), &m, &dear, &|_| 0, &mut pnl)
            .is_empty());
        assert_eq!(d.log.records[0].hours_to_fill(), Some(0.0));
    }

    #[test]
    fn a_package_past_the_limits_is_withheld_unless_it_takes_risk_back() {
        let m = OneCall::new();
        let mut limits = package(1.0).limits;
        limits.bucket.notional = 10.0;
        let leg = |side, held| PackageLeg {
            id: m.id(),
            holder_side: side,
            lots: 4,
            fair: m.fair,
            held,
            carry: 0.0,
        };
        // The holder sells 8 to a flat maker: 8 contracts fit in 10.
        let sells = [leg(Side::Sell, 0), leg(Side::Sell, 0)];
        assert!(keeps_limits(&m, &limits, &|_| 0, &sells));
        // Long 4 already: 12 would pass the bucket's 10.
        let long4 = [leg(Side::Sell, 4), leg(Side::Sell, 4)];
        assert!(!keeps_limits(&m, &limits, &|_| 4, &long4));
        // Long 20, past it already: a package that sells 4 back is taken.
        let back = [leg(Side::Buy, 20), leg(Side::Buy, 20)];
        assert!(keeps_limits(&m, &limits, &|_| 20, &back));
        // And the total's bound holds as the bucket's does.
        limits.bucket.notional = 1e9;
        limits.total.notional = 7.0;
        assert!(!keeps_limits(&m, &limits, &|_| 0, &sells));
    }

    #[test]
    fn a_look_prices_each_package_on_what_the_packages_before_it_sold() {
        let m = OneCall::new();
        let mut d = desk(&m, true);
        // Two rolls of the same book, each leaving the maker 6 lots long (it buys 10, sells 4).
        let first: Vec<Leg> = d.legs.clone();
        d.legs.clear();
        for roll in [0, 1] {
            for (l, lots) in first.iter().zip([4, 10]) {
                d.legs.push(Leg {
                    roll,
                    left: lots,
                    ..l.clone()
                });
            }
        }
        let request = d.pending[&0].clone();
        let name = m.instruments.get(m.id()).name();
        d.log.requested(1, &request, [name, name], 7592.0);
        d.legs_left.insert(1, 2);
        d.pending.insert(1, request);
        // Room for 10 contracts: the first package fits, the second would make 12.
        let mut config = package(0.0);
        config.limits.bucket.notional = 10.0;
        let mut pnl = Attribution::default();
        let sold = d.work_packages(m.point().unwrap(), &m, &config, &|_| 0, &mut pnl);
        assert_eq!(sold.len(), 1, "the second package sees the first's 6 lots");
        assert_eq!(d.totals.over_limits, 1);
        assert!(d.pending.contains_key(&1), "it waits");
    }
}
