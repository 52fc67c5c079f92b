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
//! - [`sample`]: a synthetic chain state for tests, benchmarks and examples.

pub mod config;
pub mod glft;
pub mod limits;
pub mod roll_maker;
pub mod sample;

pub use config::RollMakerConfig;
pub use roll_maker::RollMaker;
// The trait lives in the engine, where the backtester and the connectors both reach it.
pub use engine::strategy::{PullReason, Pulled, Strategy, Wanted};
