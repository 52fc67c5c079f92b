//! What a backtest run is configured with: the market, the venue's models, the schedule, the roll
//! demand and the baselines. The TOML file (`backtest/configs/backtest.toml`) fills it in
//! ([`crate::config`]).

use super::synthetic_market::MarketConfig;
use crate::baselines::LendingConfig;
use crate::events::latency::Latency;
use crate::queue::QueueModel;
use crate::roll_flow::RollFlowConfig;
use crate::synthetic::path::Preset;

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
    /// How long the venue's answers (acknowledgements, fills) take to reach the trader.
    pub response_latency: Latency,
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
            response_latency: Latency::Constant { ms: 0.0 },
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FillRule {
    /// Only the simulated roll demand (and background takers, where the market has them).
    #[value(name = "demand")]
    RollDemandOnly,
    /// Also: a resting order that the venue's opposite best reaches at a later step is filled
    /// in full at its price.
    #[value(name = "crosses")]
    OppositeCrosses,
}
