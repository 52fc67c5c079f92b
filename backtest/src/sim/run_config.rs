//! What a backtest run is configured with: the market, the venue's models, the schedule, the roll
//! demand and the baselines. The TOML file (`backtest/configs/backtest.toml`) deserializes into
//! these sections directly ([`crate::config`] checks their ranges).

use super::synthetic_market::MarketConfig;
use crate::amm::AmmConfig;
use crate::baselines::LendingConfig;
use crate::events::latency::Latency;
use crate::queue::QueueModel;
use crate::roll_flow::RollFlowConfig;
use crate::synthetic::path::Preset;
use serde::Deserialize;

#[derive(Clone, Debug, PartialEq)]
pub struct RunConfig {
    pub preset: Preset,
    pub seed: u64,
    /// Days of the preset's path to run.
    pub days: f64,
    /// The crash preset's day of the fall (others have none).
    pub crash_day: f64,
    /// The synthetic market's books (`[book]`).
    pub market: MarketConfig,
    pub venue: VenueConfig,
    pub schedule: Schedule,
    pub flow: RollFlowConfig,
    pub lending: LendingConfig,
    pub amm: AmmConfig,
    /// The roll venue's mode: holders take the maker's leg quotes on the option venue (None),
    /// or its price for the whole roll as one package (the strategy's `[package]`).
    pub package: Option<strategies::package::PackageMaker>,
}

/// Where holders and the maker meet: the maker's resting leg quotes on the option venue, or its
/// price for each whole roll as one package on a roll venue beside it.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize, clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum RollMode {
    #[default]
    Legs,
    Package,
}

impl RollMode {
    pub fn name(self) -> &'static str {
        match self {
            RollMode::Legs => "legs",
            RollMode::Package => "package",
        }
    }
}

/// The simulated venue's models (`[venue]`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VenueConfig {
    pub queue: QueueModel,
    pub fill_rule: FillRule,
    /// How long an order takes to reach the venue.
    pub order_latency: Latency,
    /// How long the venue's answers (acknowledgements, fills) take to reach the trader.
    pub response_latency: Latency,
    /// How long market data takes to reach the strategy.
    pub feed_latency: Latency,
    /// The ETH future's quoted spread, in its ticks (0.05 USD on Deribit): a holder crossing
    /// through the put pays half of it on the future leg (the data has no future book).
    pub future_spread_ticks: f64,
}

/// How often the strategy requotes, its surface is refitted and the holders look for rolls
/// (`[schedule]`, seconds of market time; 0: every step).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    pub requote_seconds: f64,
    pub surface_seconds: f64,
    pub flow_seconds: f64,
    /// A step this long after the one before is a gap in the data (chain snapshots are hours
    /// apart): the maker's quotes from before it are taken off before the new data meets them.
    pub stale_after_seconds: f64,
}

impl RunConfig {
    pub fn new(preset: Preset, seed: u64) -> RunConfig {
        RunConfig {
            preset,
            seed,
            days: crate::synthetic::path::PRESET_DAYS,
            crash_day: crate::synthetic::path::CRASH_DAY,
            market: MarketConfig::default(),
            venue: VenueConfig {
                queue: QueueModel::Conservative,
                fill_rule: FillRule::RollDemandOnly,
                order_latency: Latency::Constant { ms: 50.0 },
                response_latency: Latency::Constant { ms: 0.0 },
                feed_latency: Latency::Constant { ms: 10.0 },
                future_spread_ticks: 1.0,
            },
            schedule: Schedule {
                requote_seconds: 60.0,
                surface_seconds: 300.0,
                flow_seconds: 900.0,
                stale_after_seconds: 600.0,
            },
            flow: RollFlowConfig::default(),
            lending: LendingConfig::default(),
            amm: AmmConfig {
                depth_usd: 10_000_000.0,
                fee: 0.003,
            },
            package: None,
        }
    }
}

/// What fills the maker where the data shows no trades.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Deserialize)]
pub enum FillRule {
    /// Only the simulated roll demand (and background takers, where the market has them).
    #[value(name = "demand")]
    #[serde(rename = "demand")]
    RollDemandOnly,
    /// Also: a resting order that the venue's opposite best reaches at a later step is filled
    /// in full at its price.
    #[value(name = "crosses")]
    #[serde(rename = "crosses")]
    OppositeCrosses,
}
