//! A price-time priority matching engine for one instrument (L3: every order, in queue order). The
//! local venue and the backtester both run on it, so its rules follow Deribit's where they differ
//! from textbook ones (post-only slide, amend keeping priority on size-down).

mod engine;
mod types;

pub use engine::{MatchingEngine, OrderView};
pub use types::{
    CancelReason, Execution, MatchEvent, NewOrder, OrderId, OwnerId, PostOnly, Reject, TimeInForce,
};
