//! Quoting logic behind one [`Strategy`] trait. A strategy reads the engine's
//! [`State`](engine::state::State) and returns the quotes it wants; the engine's quote manager
//! turns those into orders. Nothing here does I/O or reads a clock, so the same code runs in a
//! backtest and live.
//!
//! - [`strategy`]: the trait and what it returns ([`Wanted`], [`Pulled`] with a reason).
//! - [`roll_maker`]: one-sided resting quotes for P-token rolls, held to expiry.
//! - [`config`]: its TOML configuration, checked key by key; [`glft`]: the inventory-dependent
//!   edge; [`limits`]: exposure limits that hold under any sequence of fills.
//! - [`sample`]: a synthetic chain state for tests, benchmarks and examples.

pub mod config;
pub mod glft;
pub mod limits;
pub mod roll_maker;
pub mod sample;
pub mod strategy;

pub use config::RollMakerConfig;
pub use roll_maker::RollMaker;
pub use strategy::{PullReason, Pulled, Strategy, Wanted};
