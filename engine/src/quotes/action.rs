//! What the quote manager asks of the venue ([`Action`]) and why it refuses a call
//! ([`QuoteError`]).

use super::wanted::QuoteKey;
use crate::instrument::InstrumentId;
use crate::order::OrderError;
use crate::units::{Price, Qty, Side};
use thiserror::Error;

/// An instruction for the venue. Every place is post-only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Place {
        client_id: u64,
        key: QuoteKey,
        price: Price,
        qty: Qty,
    },
    /// New price and new total amount (what is already filled included), as Deribit's `edit`.
    Amend {
        client_id: u64,
        price: Price,
        amount: Qty,
    },
    Cancel {
        client_id: u64,
    },
    /// Immediate-or-cancel, not post-only: what the book has at `price` or better now, the
    /// rest cancelled ([`WantedTake`](super::WantedTake)). The trader sends these beside the
    /// manager's actions; the manager never makes one.
    Take {
        client_id: u64,
        instrument: InstrumentId,
        side: Side,
        price: Price,
        qty: Qty,
    },
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum QuoteError {
    #[error("wanted quotes name {0:?} twice: one order per instrument, side and level")]
    DuplicateKey(QuoteKey),
    #[error("wanted quote {0:?} has price {1:?} and size {2:?}: both must be positive")]
    BadQuote(QuoteKey, Price, Qty),
    #[error("wanted quote {0:?} is not on the instrument being re-priced")]
    OtherInstrument(QuoteKey),
    #[error("an event for order {0}, which the quote manager does not know")]
    UnknownOrder(u64),
    #[error(transparent)]
    Order(#[from] OrderError),
}
