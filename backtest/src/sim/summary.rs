//! What a backtest run produced: the summary's figures and the hourly samples.

use super::attribution::FillRecord;
use super::roll_log::{RollRecord, RollStats};
use engine::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;

/// What a run produced (`summary.json` is this, with the run's identity beside it).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Market events replayed: path points, snapshots, or data rows.
    pub events: u64,
    pub fills: u64,
    pub roll_requests: u64,
    pub roll_demand_usd: f64,
    /// Of the roll legs' USD value, what the maker's quotes filled.
    pub roll_filled_usd: f64,
    /// Of the rolled tokens' value asked for, the share the maker's quotes filled (a roll's two
    /// legs half each): 1 when the maker filled every leg.
    pub roll_fill_ratio: f64,
    /// Holders' cost of rolling against fair value, bps of the rolled notional (all legs, maker
    /// and venue; a roll not done counts its value and no cost: see `rolls.cost_bps_per_roll`).
    pub holder_roll_cost_bps: f64,
    /// The holders' cost of all their rolls over their notional, per year of the run, percent
    /// (what rolling cost them this run, annualised).
    pub holder_cost_pct_per_year: f64,
    /// The done rolls' average cost (`rolls.cost_bps_per_roll`) times 12: a monthly roll's
    /// yearly cost, percent.
    pub holder_cost_pct_per_year_monthly: f64,
    /// The same rolls crossing the venue at once, as `holder_cost_pct_per_year`: each leg the
    /// cheaper way, through the calls only, and through the puts and the future (the calls where
    /// no put is listed).
    pub taker_cost_pct_per_year: f64,
    pub taker_calls_cost_pct_per_year: f64,
    pub taker_puts_cost_pct_per_year: f64,
    /// The same rolls through the AMM, and the same holders as ETH-backed borrowers (bonuses
    /// lost to liquidations), as `holder_cost_pct_per_year`.
    pub amm_cost_pct_per_year: f64,
    pub liquidation_loss_pct_per_year: f64,
    /// Each roll from request to fill: time to fill, share filled within a day, why not done.
    pub rolls: RollStats,
    /// Days from the first priced step to the last.
    pub run_days: f64,
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
    /// The maker's PnL in parts: spread (fills against fair when they filled), settlement
    /// (what expiry paid beyond the last mark), hedge (the perpetual's PnL), inventory (the rest).
    pub maker_pnl_split_usd: PnlSplit,
    /// Fees on the options and the perpetual, USD at the last index.
    pub fees_usd: f64,
    /// The maker's PnL without its delta hedge: the options book alone (maker PnL less the
    /// perpetual's), what its direction did.
    pub maker_pnl_unhedged_usd: f64,
    /// The hedge's crossing (its fills' distance from the index) and its fees, USD.
    pub hedge_cost_usd: f64,
    /// ETH of the perpetual the hedge traded.
    pub hedge_traded_eth: f64,
    /// The largest hedge trade, USD.
    pub hedge_largest_usd: f64,
    /// The perpetual held, long or short, on average over the hourly samples (USD): what its
    /// funding, not modelled, would be charged or paid on.
    pub hedge_mean_abs_usd: f64,
    /// The maker's fees and that hedge's costs, bps of the P value it rolled: what holding the
    /// rolls costs it hedged (the edge that breaks even, spread apart).
    pub maker_costs_bps_of_rolled: f64,
    /// Gross contracts held, summed over the hourly samples, in years.
    pub maker_contract_years: f64,
    /// The maker's fees and the hedge's costs per contract held a year, bps of 1 ETH (the unit
    /// of `edge.carry_bps_per_year`: the carry, measured).
    pub maker_costs_bps_per_contract_year: f64,
    /// Largest absolute net vega (ETH per vol point) held in one expiry.
    pub max_inventory_vega: f64,
    pub missed_rolls: u64,
    /// Impatient rolls dropped at their deadline because crossing cost more than
    /// `max_slippage_bps` (retried later by the flow, so also among the missed).
    pub abandoned_rolls: u64,
    /// Package prices withheld because the package would pass the maker's risk limits or
    /// `package.max_series_lots` (a roll waiting is counted at each look).
    pub packages_over_limits: u64,
    /// What the trader sent or was told that did not take effect, by reason (see
    /// `engine::trader::Refusal`); never dropped silently.
    pub refused: BTreeMap<String, u64>,
    pub start_index: f64,
    pub end_index: f64,
    /// Hourly samples of the run (`timeseries.csv`, not `summary.json`).
    #[serde(skip)]
    pub series: Vec<Sample>,
    /// One record a roll (`rolls.csv`, not `summary.json`).
    #[serde(skip)]
    pub roll_records: Vec<RollRecord>,
    /// One record a fill of the maker's (`fills.csv`, not `summary.json`).
    #[serde(skip)]
    pub fill_records: Vec<FillRecord>,
}

/// One hourly sample: the index, the maker's PnL and its parts so far, its net vega per expiry,
/// the holders' value against their start (rolling as they do, and never rolling), and the
/// roll costs so far against rolled notional.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Sample {
    #[serde(serialize_with = "as_text")]
    pub at: Timestamp,
    pub index: f64,
    pub maker_pnl_usd: f64,
    pub spread_usd: f64,
    pub inventory_usd: f64,
    pub settlement_usd: f64,
    /// (expiry, net vega in ETH per vol point), by expiry.
    pub vega_by_expiry: Vec<(String, f64)>,
    /// (expiry, net contracts), by expiry.
    pub contracts_by_expiry: Vec<(String, i64)>,
    /// The maker's USD delta, ETH (its cash and positions, the perpetual's included), and the
    /// perpetual's PnL so far (USD).
    pub delta_eth: f64,
    pub hedge_usd: f64,
    pub rolling_drift_bps: f64,
    pub no_roll_drift_bps: f64,
    pub holder_cost_bps: f64,
    pub taker_cost_bps: f64,
    pub amm_cost_bps: f64,
    pub liquidation_loss_bps: f64,
}

/// The maker's PnL in its parts, USD.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct PnlSplit {
    pub spread: f64,
    pub inventory: f64,
    pub settlement: f64,
    pub hedge: f64,
}

/// A field as its text (a time: RFC 3339, UTC; a side: buy or sell), for the CSV and JSON outputs.
pub(crate) fn as_text<T: std::fmt::Display, S: serde::Serializer>(
    t: &T,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_str(t)
}
