//! What reaches the trading thread, over its channel.

use connectors::deribit::book::BookMessage;
use connectors::deribit::session::Out;
use connectors::deribit::ticker::Ticker;
use engine::InstrumentId;
use serde_json::Value;
use std::time::Instant;

/// What reaches the trading thread.
#[derive(Debug)]
pub enum Input {
    /// A book message, parsed, and when its frame was read.
    Book {
        id: InstrumentId,
        message: BookMessage,
        received: Instant,
    },
    Ticker {
        ticker: Ticker,
        received: Instant,
    },
    /// `user.changes` data: our orders and trades.
    Changes(Value),
    /// `user.mmp_trigger` data: the venue's Market Maker Protection tripped.
    MmpTriggered(Value),
    /// The answer, refusal or time-out of one of our requests (its `id` is our tag).
    Reply(Out),
    /// The journal's writer: every venue event handed over under this ticket or before is
    /// durable (or why a write failed).
    Journaled(Result<u64, String>),
    /// A connection is up and signed in: reconcile, then quote.
    Authenticated,
    Disconnected(String),
    /// Cancel everything and stop quoting until restarted.
    Kill(String),
    /// Cancel everything and end (SIGINT, SIGTERM).
    Stop,
}
