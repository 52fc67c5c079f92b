//! Quoting logic behind one [`Strategy`] trait. A strategy reads the engine's
//! [`State`](engine::state::State) and returns the quotes it wants; the engine's quote manager
//! turns those into orders. Nothing here does I/O or reads a clock, so the same code runs in a
//! backtest and live.
//!
//! - [`Strategy`], [`Wanted`], [`Pulled`]: the trait and what it returns, defined in the engine
//!   (`engine::strategy`) so that every driver of it depends on the engine alone.
//! - [`roll_maker`]: one-sided resting quotes for P-token rolls, held to expiry.
//! - [`config`]: its TOML configuration, checked key by key; [`glft`]: the inventory-dependent
//!   edge; [`limits`]: exposure limits that hold under any sequence of fills.
//! - [`package`]: a holder's whole roll priced as one package (the roll venue's mode);
//! - [`sample`]: a synthetic chain state for tests, benchmarks and examples.

pub mod config;
pub mod glft;
pub mod limits;
pub mod package;
pub mod roll_maker;
pub mod sample;

pub use config::RollMakerConfig;
pub use roll_maker::RollMaker;

/// Which strategy a run uses: the roll maker or its two-sided baseline (`roll_maker`,
/// `two_sided` in a sweep grid and in summaries).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StrategyKind {
    RollMaker,
    TwoSided,
}

impl StrategyKind {
    pub fn name(self) -> &'static str {
        match self {
            StrategyKind::RollMaker => "roll_maker",
            StrategyKind::TwoSided => "two_sided",
        }
    }

    /// The strategy of this kind with `config`.
    pub fn build(self, config: RollMakerConfig) -> RollMaker {
        match self {
            StrategyKind::RollMaker => RollMaker::new(config),
            StrategyKind::TwoSided => RollMaker::two_sided(config),
        }
    }
}
// The trait lives in the engine, where the backtester and the connectors both reach it.
pub use engine::strategy::{PullReason, Pulled, Strategy, Wanted};
