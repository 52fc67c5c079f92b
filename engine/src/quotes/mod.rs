//! From the quotes a strategy wants to the orders that rest at the venue: the [`QuoteManager`]
//! turns wanted-versus-live into the fewest place / amend / cancel [`Action`]s.
//!
//! - [`action`]: what the manager asks of the venue, and why it refuses a call.
//! - [`wanted`]: what a strategy asks for (one instrument, one side, one ladder level each).
//! - [`live`]: the live orders by key, in key order (what the diff walks).
//! - [`manager`]: the diff, with thresholds under which a live order is left alone to keep its
//!   queue place, and the bookkeeping of orders in flight so that nothing is ever sent twice.
//! - [`rules`]: how eagerly live orders follow the wanted ones (thresholds, the action cap).
//! - [`rate`]: the cap on actions per second.
//! - [`settled`]: the last wanted list that needed nothing, so that the same list is not diffed
//!   again while nothing changed.

pub mod action;
pub mod live;
pub mod manager;
pub mod rate;
pub mod rules;
pub mod settled;
pub mod wanted;

pub use manager::{Action, QuoteError, QuoteManager};
pub use rate::RateLimit;
pub use rules::QuoteRules;
pub use wanted::{QuoteKey, WantedQuote, WantedTake};
