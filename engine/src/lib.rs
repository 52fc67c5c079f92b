//! The core of rollmaker: instruments, integer ticks and lots, the L2 book mirror, the price-time
//! matching engine, orders and positions. Pure code: no I/O, no threads, no clocks.
//!
//! Prices and sizes are integers in the hot path ([`Price`], [`Qty`]); `rust_decimal` appears only at
//! the edges ([`scale::Scale`], [`instrument::Instrument`] conversions, fees), and every conversion
//! either is exact or is an error.

pub mod book;
pub mod instrument;
pub mod matching;
pub mod order;
pub mod position;
pub mod pricing;
pub mod quotes;
pub mod scale;
pub mod settlement;
pub mod state;
pub mod strategy;
pub mod tick_rule;
pub mod time;
pub mod trader;
pub mod units;
pub mod venue_event;

pub use instrument::{Instrument, InstrumentId, InstrumentKind, Instruments};
pub use time::Timestamp;
pub use units::{Price, Qty, Side};
