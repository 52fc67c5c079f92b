//! The L2 mirror of a venue's book for one instrument: price levels with aggregate sizes, kept in
//! step with the venue's snapshots and sequenced deltas.

mod ladder;
mod mirror;

pub use ladder::Ladder;
pub use mirror::{BookError, BookStatus, L2Book, LevelAction, LevelUpdate, StaleReason};
