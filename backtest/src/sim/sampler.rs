//! The run's measurements over time: the maker's net vega per expiry (at each requote and
//! sample), an hourly [`Sample`], and the final [`Summary`] with the open positions marked at
//! fair and the cash at the last index.

use super::attribution::Attribution;
use super::desk::RollDesk;
use super::market::Market;
use super::perpetual::{HedgeTally, Perpetual};
use super::summary::{Sample, Summary};
use crate::synthetic::path::IndexPoint;
use engine::instrument::Expiry;
use engine::trader::Trader;
use engine::Timestamp;
use rust_decimal::prelude::ToPrimitive;

/// What the samples read: the market, the trader's ledger, the PnL split, the holders, and the
/// perpetual the maker hedges on with what its hedge traded.
pub struct View<'a, M> {
    pub market: &'a M,
    pub trader: &'a Trader,
    pub pnl: &'a Attribution,
    pub desk: Option<&'a RollDesk>,
    pub perpetual: Option<Perpetual>,
    pub hedge: HedgeTally,
}

impl<'a, M: Market> View<'a, M> {
    pub fn of(
        market: &'a M,
        trader: &'a Trader,
        pnl: &'a Attribution,
        desk: Option<&'a RollDesk>,
    ) -> View<'a, M> {
        View {
            market,
            trader,
            pnl,
            desk,
            perpetual: None,
            hedge: HedgeTally::default(),
        }
    }

    /// The view with the perpetual the maker hedges on, and what its hedge traded.
    pub fn hedged(mut self, perpetual: Option<Perpetual>, hedge: HedgeTally) -> View<'a, M> {
        self.perpetual = perpetual;
        self.hedge = hedge;
        self
    }

    /// The perpetual's PnL so far at index `s`, USD (realized, fees and unrealized).
    fn hedge_usd(&self, s: f64) -> f64 {
        let ledger = self.trader.ledger();
        let instruments = self.market.instruments();
        self.perpetual
            .map_or(0.0, |p| p.pnl_eth(instruments, ledger, s) * s)
    }

    /// The open positions at the market's fair values (ETH).
    fn open_eth(&self) -> f64 {
        let m = self.market;
        m.series()
            .iter()
            .filter_map(|sr| {
                let lots = self.trader.position(sr.id).0;
                (lots != 0).then(|| lots as f64 * m.fair(sr.id).map_or(f64::NAN, |g| g.price))
            })
            .sum()
    }

    /// Cash plus the open positions at fair (the perpetual's at the index), at index `s` (USD).
    fn pnl_usd(&self, s: f64) -> f64 {
        let ledger = self.trader.ledger();
        let cash = ledger.cash().to_f64().unwrap_or(0.0);
        let perpetual = self.perpetual.map_or(0.0, |p| {
            p.unrealized_eth(self.market.instruments(), ledger, s)
        });
        (cash + self.open_eth() + perpetual) * s
    }

    /// The maker's USD delta at index `s`, ETH: its cash plus each open option's coin delta and
    /// price, and the perpetual's.
    fn delta_eth(&self, s: f64) -> f64 {
        let ledger = self.trader.ledger();
        let cash = ledger.cash().to_f64().unwrap_or(0.0);
        let perpetual = self
            .perpetual
            .map_or(0.0, |p| p.delta_eth(self.market.instruments(), ledger, s));
        let m = self.market;
        let options: f64 = m
            .series()
            .iter()
            .filter_map(|sr| {
                let lots = self.trader.position(sr.id).0;
                let g = m.fair(sr.id).filter(|_| lots != 0)?;
                Some(lots as f64 * (g.delta + g.price))
            })
            .sum();
        cash + options + perpetual
    }

    /// The perpetual held, long or short, USD.
    fn hedge_abs_usd(&self) -> f64 {
        let instruments = self.market.instruments();
        let ledger = self.trader.ledger();
        (self.perpetual).map_or(0.0, |p| p.position_usd(instruments, ledger).abs())
    }

    /// Contracts held, long and short alike.
    fn gross_contracts(&self) -> f64 {
        let m = self.market;
        m.series()
            .iter()
            .map(|sr| self.trader.position(sr.id).0.abs() as f64)
            .sum()
    }

    fn contracts_by_expiry(&self) -> Vec<(String, i64)> {
        let mut by: std::collections::BTreeMap<Expiry, i64> = Default::default();
        for sr in self.market.series() {
            let lots = self.trader.position(sr.id).0;
            if lots != 0 {
                *by.entry(sr.expiry).or_default() += lots;
            }
        }
        by.into_iter().map(|(e, n)| (e.to_string(), n)).collect()
    }

    /// Into `by` (cleared first; a few expiries, so a scan): each expiry's vega held.
    fn vega_by_expiry(&self, by: &mut Vec<(Expiry, f64)>) {
        by.clear();
        for sr in self.market.series() {
            let lots = self.trader.position(sr.id).0;
            if let (true, Some(fair)) = (lots != 0, self.market.fair(sr.id)) {
                let x = lots as f64 * fair.vega / 100.0;
                match by.iter_mut().find(|(e, _)| *e == sr.expiry) {
                    Some((_, v)) => *v += x,
                    None => by.push((sr.expiry, x)),
                }
            }
        }
    }
}

#[derive(Default)]
pub struct Sampler {
    /// The last sample's hour, [start, end) in nanoseconds: a step in it takes no sample (a
    /// comparison, not a division, at every step).
    last_hour: Option<(i64, i64)>,
    max_vega: f64,
    samples: Vec<Sample>,
    /// Since the last sample: gross contracts held and the perpetual's |USD| held; contract-years
    /// and USD-years of the perpetual so far, and the years sampled.
    held: Option<(Timestamp, f64, f64)>,
    contract_years: f64,
    hedge_usd_years: f64,
    years: f64,
    /// Each step's vega by expiry (kept: a step reuses it), and the market's fairs generation
    /// and the ledger's changes it was taken at.
    vega: Vec<(Expiry, f64)>,
    vega_inputs: Option<(u64, u64)>,
}

impl Sampler {
    /// The step at `p`: inventory vega where the strategy requoted or a sample is due, and the
    /// hourly sample (at every step where steps are further apart).
    pub fn step<M: Market>(&mut self, p: IndexPoint, requoted: bool, v: &View<'_, M>) {
        let sample = self
            .last_hour
            .is_none_or(|(start, end)| !(start..end).contains(&p.at.0));
        if !(requoted || sample) {
            return;
        }
        // Unchanged fairs and sizes give the same vegas as last time (and the same maximum).
        let inputs =
            (v.market.fairs_generation()).map(|fairs| (fairs, v.trader.ledger().changes()));
        if inputs.is_none() || inputs != self.vega_inputs {
            self.vega_inputs = inputs;
            v.vega_by_expiry(&mut self.vega);
            for (_, x) in &self.vega {
                self.max_vega = self.max_vega.max(x.abs());
            }
        }
        if !sample {
            return;
        }
        const HOUR: i64 = 3600 * Timestamp::NANOS_PER_SEC;
        let start = p.at.0.div_euclid(HOUR) * HOUR;
        self.last_hour = Some((start, start.saturating_add(HOUR)));
        if let Some((since, contracts, hedge_usd)) = self.held {
            let years = since.years_until(p.at);
            self.contract_years += contracts * years;
            self.hedge_usd_years += hedge_usd * years;
            self.years += years;
        }
        self.held = Some((p.at, v.gross_contracts(), v.hedge_abs_usd()));
        let pnl = v.pnl_usd(p.price);
        let hedge = v.hedge_usd(p.price);
        let mut vegas: Vec<(String, f64)> = (self.vega.iter())
            .map(|(e, x)| (e.to_string(), *x))
            .collect();
        vegas.sort_by(|a, b| a.0.cmp(&b.0));
        let (spread, settlement) = (v.pnl.spread_usd, v.pnl.settlement_usd);
        let mut s = Sample {
            at: p.at,
            index: p.price,
            maker_pnl_usd: pnl,
            spread_usd: spread,
            settlement_usd: settlement,
            inventory_usd: pnl - spread - settlement - hedge,
            vega_by_expiry: vegas,
            contracts_by_expiry: v.contracts_by_expiry(),
            delta_eth: v.delta_eth(p.price),
            hedge_usd: hedge,
            ..Sample::default()
        };
        if let Some(d) = v.desk {
            let (t, b) = (&d.totals, &d.baselines);
            s.rolling_drift_bps = b.drift_bps(d.rolling_usd(v.market) - t.cost_usd);
            s.no_roll_drift_bps = b.drift_bps(b.no_roll_usd(v.market));
            s.holder_cost_bps = t.bps_of_demand(t.cost_usd);
            s.taker_cost_bps = t.bps_of_demand(b.taker_cost_usd);
            s.amm_cost_bps = t.bps_of_demand(b.amm_cost_usd);
            s.liquidation_loss_bps = b.lending.loss_bps();
        }
        self.samples.push(s);
    }

    /// The summary at the end of the run (`s` holds the loop's counts and index range).
    pub fn finish<M: Market>(self, mut s: Summary, v: &View<'_, M>) -> Summary {
        let end = s.end_index;
        let ledger = v.trader.ledger();
        s.fills = v.pnl.fills;
        s.fees_usd = ledger.fees().to_f64().unwrap_or(0.0) * end;
        // The maker's costs: the options' fees, and the hedge's crossing and fees (counted once).
        let perpetual_fees = v.perpetual.and_then(|p| ledger.position(p.id));
        let perpetual_fees = perpetual_fees.map_or(0.0, |p| p.fees_paid().to_f64().unwrap_or(0.0));
        let costs_usd = s.fees_usd - perpetual_fees * end + v.hedge.cost_usd;
        s.maker_pnl_usd = v.pnl_usd(end);
        s.maker_pnl_split_usd.spread = v.pnl.spread_usd;
        s.maker_pnl_split_usd.settlement = v.pnl.settlement_usd;
        s.maker_pnl_split_usd.hedge = v.hedge_usd(end);
        let split = &mut s.maker_pnl_split_usd;
        split.inventory = s.maker_pnl_usd - split.spread - split.settlement - split.hedge;
        s.maker_pnl_unhedged_usd = s.maker_pnl_usd - split.hedge;
        s.max_inventory_vega = self.max_vega;
        s.hedge_cost_usd = v.hedge.cost_usd;
        s.hedge_traded_eth = v.hedge.traded_eth;
        s.hedge_largest_usd = v.hedge.largest_usd;
        // The same costs per contract held a year, bps of 1 ETH: `edge.carry_bps_per_year`'s
        // unit, measured.
        s.maker_contract_years = self.contract_years;
        if self.years > 0.0 {
            s.hedge_mean_abs_usd = self.hedge_usd_years / self.years;
        }
        if self.contract_years > 0.0 && end > 0.0 {
            let costs_eth = costs_usd / end;
            s.maker_costs_bps_per_contract_year = 1e4 * costs_eth / self.contract_years;
        }
        s.refused = v
            .trader
            .refusals()
            .iter()
            .map(|(r, n)| (r.to_string(), *n))
            .collect();
        if let Some(d) = v.desk {
            holder_figures(&mut s, d, v.market, costs_usd);
        }
        s.fill_records = v.pnl.records.clone();
        s.series = self.samples;
        s
    }
}

/// The holders' figures of the summary: the roll demand, what was done and how fast, their cost
/// a year against their other ways out, and the maker's costs (`costs_usd`) over what it rolled.
fn holder_figures<M: Market>(s: &mut Summary, d: &RollDesk, market: &M, costs_usd: f64) {
    let (t, b) = (&d.totals, &d.baselines);
    s.roll_requests = t.requests;
    s.roll_demand_usd = t.demand_usd;
    s.roll_filled_usd = t.filled_usd;
    s.missed_rolls = d.flow.missed;
    s.abandoned_rolls = t.abandoned;
    s.packages_over_limits = t.over_limits;
    s.rolls = d.log.stats();
    s.roll_fill_ratio = s.rolls.maker_fill_ratio;
    // What holding the rolls costs the maker once hedged: the edge it must charge to
    // break even on them (the measured carry).
    let maker_usd = s.rolls.maker_fill_ratio * s.rolls.demand_usd;
    if maker_usd > 0.0 {
        s.maker_costs_bps_of_rolled = 1e4 * costs_usd / maker_usd;
    }
    s.roll_records = d.log.records.clone();
    let per_year = |usd: f64| {
        let years = s.run_days / 365.25;
        let notional = d.flow.notional_usd();
        if years > 0.0 && notional > 0.0 {
            100.0 * usd / notional / years
        } else {
            0.0
        }
    };
    s.holder_cost_pct_per_year = per_year(t.cost_usd);
    s.taker_cost_pct_per_year = per_year(b.taker_cost_usd);
    s.taker_calls_cost_pct_per_year = per_year(b.taker_calls_cost_usd);
    s.taker_puts_cost_pct_per_year = per_year(b.taker_puts_cost_usd);
    s.amm_cost_pct_per_year = per_year(b.amm_cost_usd);
    s.liquidation_loss_pct_per_year = per_year(b.lending.lost_usd);
    s.holder_cost_pct_per_year_monthly = s.rolls.cost_bps_per_roll * 12.0 / 100.0;
    s.holder_roll_cost_bps = t.bps_of_demand(t.cost_usd);
    s.taker_roll_cost_bps = t.bps_of_demand(b.taker_cost_usd);
    s.amm_roll_cost_bps = t.bps_of_demand(b.amm_cost_usd);
    s.liquidation_loss_bps = b.lending.loss_bps();
    s.liquidation_sold_eth = b.lending.sold_eth;
    if b.has_holders() {
        s.no_roll_drift_bps = b.drift_bps(b.no_roll_usd(market));
    }
}
