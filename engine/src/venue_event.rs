//! What the venue tells a trader about its orders and positions ([`VenueEvent`]), and why
//! something sent or told did not take effect ([`Refusal`]).

use crate::instrument::InstrumentId;
use crate::matching::OrderId;
use crate::position::Fill;
use crate::time::Timestamp;
use crate::units::{Price, Qty};
use rust_decimal::Decimal;
use std::fmt;

/// What the venue says about our orders and positions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VenueEvent {
    Accepted {
        client_id: u64,
        venue_id: OrderId,
    },
    /// A new order was refused (unknown instrument, post-only would cross, ...).
    Rejected {
        client_id: u64,
    },
    Amended {
        client_id: u64,
        price: Price,
        amount: Qty,
    },
    Cancelled {
        client_id: u64,
    },
    /// An amend or a cancel was refused (the order had filled or gone): it stands as it was.
    Refused {
        client_id: u64,
    },
    /// A fill of one of our orders, its fee charged by the venue.
    Filled {
        client_id: u64,
        fill: Fill,
    },
    /// The order's instrument expired with the order still resting.
    Expired {
        client_id: u64,
    },
    /// The position in `instrument` settled at `value` per contract, less `fee`.
    Settled {
        instrument: InstrumentId,
        value: Decimal,
        fee: Decimal,
        at: Timestamp,
    },
}

/// Why something the trader sent, or was told, did not take effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Refusal {
    /// The strategy's wanted quotes were refused whole (a key twice, a price or size not
    /// positive): nothing was sent that requote.
    BadWantedQuotes,
    /// The venue rejected a new order.
    OrderRejected,
    /// The venue refused an amend or a cancel.
    ActionRefused,
    /// An event for an order the trader does not know.
    UnknownOrder,
    /// An event that does not fit the order's state (e.g. a fill past its amount).
    ImpossibleEvent,
    /// A fill or settlement the ledger refused (size or price not positive, out of range).
    BadFill,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::BadWantedQuotes => "bad_wanted_quotes",
            Refusal::OrderRejected => "order_rejected",
            Refusal::ActionRefused => "action_refused",
            Refusal::UnknownOrder => "unknown_order",
            Refusal::ImpossibleEvent => "impossible_event",
            Refusal::BadFill => "bad_fill",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
