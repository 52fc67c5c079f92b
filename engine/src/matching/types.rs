//! What goes into the matching engine and what comes out of it.

use crate::units::{Price, Qty, Side};
use std::fmt;
use thiserror::Error;

/// Venue-assigned order id. Unique for the engine's life (slot and generation packed together).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrderId(pub u64);

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// The account an order belongs to; orders of one owner never trade with each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OwnerId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeInForce {
    GoodTilCancelled,
    /// Trades what it can at once; the rest is cancelled.
    ImmediateOrCancel,
}

/// Post-only handling when the order would trade on arrival.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PostOnly {
    Off,
    /// Refuse the order (Deribit's `reject_post_only: true`).
    Reject,
    /// Re-price it one tick behind the opposite best price (Deribit's default post-only).
    Slide,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewOrder {
    pub owner: OwnerId,
    pub side: Side,
    pub price: Price,
    pub qty: Qty,
    pub tif: TimeInForce,
    pub post_only: PostOnly,
}

impl NewOrder {
    /// A plain good-til-cancelled limit order.
    pub fn limit(owner: OwnerId, side: Side, price: Price, qty: Qty) -> NewOrder {
        NewOrder {
            owner,
            side,
            price,
            qty,
            tif: TimeInForce::GoodTilCancelled,
            post_only: PostOnly::Off,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CancelReason {
    /// The owner asked.
    Requested,
    /// An order of the same owner arrived on the other side and would have traded with it.
    SelfTrade,
    /// The unfilled rest of an immediate-or-cancel order.
    Unfilled,
    /// The instrument expired with the order still open.
    Expired,
}

/// Everything the engine did, in order. Fills are exact: `qty` lots at the maker's price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchEvent {
    Fill {
        maker: OrderId,
        maker_owner: OwnerId,
        taker: OrderId,
        taker_owner: OwnerId,
        /// The taker's side; the maker was on the other.
        taker_side: Side,
        price: Price,
        qty: Qty,
        maker_remaining: Qty,
        taker_remaining: Qty,
    },
    /// The order (or what is left of it) now rests on the book at `price`.
    Rested {
        id: OrderId,
        owner: OwnerId,
        side: Side,
        price: Price,
        qty: Qty,
    },
    Cancelled {
        id: OrderId,
        owner: OwnerId,
        remaining: Qty,
        reason: CancelReason,
    },
    /// An amend took effect: `price` and remaining `qty` as amended (before any fill it caused).
    Amended {
        id: OrderId,
        owner: OwnerId,
        price: Price,
        qty: Qty,
        kept_priority: bool,
    },
}

/// One party's side of a fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Execution {
    pub owner: OwnerId,
    pub order: OrderId,
    pub side: Side,
    pub price: Price,
    pub qty: Qty,
    /// True for the resting order's side.
    pub maker: bool,
}

impl MatchEvent {
    /// A fill's two executions, taker first; `None` for any other event.
    pub fn executions(&self) -> Option<[Execution; 2]> {
        let MatchEvent::Fill {
            maker,
            maker_owner,
            taker,
            taker_owner,
            taker_side,
            price,
            qty,
            ..
        } = *self
        else {
            return None;
        };
        let exec = |owner, order, side, maker| Execution {
            owner,
            order,
            side,
            price,
            qty,
            maker,
        };
        Some([
            exec(taker_owner, taker, taker_side, false),
            exec(maker_owner, maker, taker_side.opposite(), true),
        ])
    }
}

/// Why a request was refused; a refused request changes nothing.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
pub enum Reject {
    #[error("order size {0} must be positive")]
    NonPositiveQty(Qty),
    #[error("price {0} must be positive")]
    NonPositivePrice(Price),
    #[error("price {0} is not on the instrument's tick")]
    OffTick(Price),
    #[error("post-only order at {price} would trade against {opposite}")]
    PostOnlyWouldCross { price: Price, opposite: Price },
    #[error("an immediate-or-cancel order cannot be post-only")]
    PostOnlyImmediate,
    #[error("no open order {0} of this owner")]
    UnknownOrder(OrderId),
    #[error("amended amount {amount} is not above the {filled} already filled")]
    AmendBelowFilled { amount: Qty, filled: Qty },
}
