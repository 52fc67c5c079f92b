//! The life of one order, from our side: a state machine that refuses impossible transitions, so a
//! venue message that does not fit what we know is an error instead of a silent overwrite.

use crate::instrument::InstrumentId;
use crate::matching::{CancelReason, MatchEvent, OrderId};
use crate::units::{Price, Qty, Side};
use std::fmt;
use thiserror::Error;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderStatus {
    /// Sent, not yet acknowledged.
    Pending,
    Open,
    PartiallyFilled,
    Filled,
    Cancelled,
    Rejected,
    Expired,
}

impl OrderStatus {
    /// No event changes a final order.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            OrderStatus::Filled
                | OrderStatus::Cancelled
                | OrderStatus::Rejected
                | OrderStatus::Expired
        )
    }
    /// Acknowledged and still able to trade.
    pub fn is_working(self) -> bool {
        matches!(self, OrderStatus::Open | OrderStatus::PartiallyFilled)
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// What can happen to an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderEvent {
    Accepted(OrderId),
    Filled {
        qty: Qty,
    },
    /// New price and new total amount (filled included).
    Amended {
        price: Price,
        amount: Qty,
    },
    Cancelled,
    Rejected,
    /// The instrument expired with the order still open.
    Expired,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum OrderError {
    #[error("order {client_id}: {event:?} is not possible when {from}")]
    IllegalTransition {
        client_id: u64,
        from: OrderStatus,
        event: OrderEvent,
    },
    #[error("order {client_id}: a fill of {fill} would take it past its amount ({filled} of {amount} filled)")]
    Overfill {
        client_id: u64,
        amount: Qty,
        filled: Qty,
        fill: Qty,
    },
    #[error("order {client_id}: amount {amount} is not above the {filled} already filled")]
    AmendBelowFilled {
        client_id: u64,
        amount: Qty,
        filled: Qty,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    pub client_id: u64,
    pub instrument: InstrumentId,
    pub side: Side,
    pub price: Price,
    /// Total amount asked for, filled part included.
    pub amount: Qty,
    pub filled: Qty,
    pub venue_id: Option<OrderId>,
    status: OrderStatus,
}

impl Order {
    pub fn new(
        client_id: u64,
        instrument: InstrumentId,
        side: Side,
        price: Price,
        amount: Qty,
    ) -> Order {
        Order {
            client_id,
            instrument,
            side,
            price,
            amount,
            filled: Qty::ZERO,
            venue_id: None,
            status: OrderStatus::Pending,
        }
    }

    pub fn status(&self) -> OrderStatus {
        self.status
    }
    pub fn remaining(&self) -> Qty {
        self.amount - self.filled
    }

    /// Applies `event`, or refuses it and changes nothing.
    pub fn apply(&mut self, event: OrderEvent) -> Result<OrderStatus, OrderError> {
        use OrderStatus::*;
        let illegal = || OrderError::IllegalTransition {
            client_id: self.client_id,
            from: self.status,
            event,
        };
        let next = match (self.status, event) {
            (Pending, OrderEvent::Accepted(id)) => {
                self.venue_id = Some(id);
                Open
            }
            // A venue may report a trade before the acknowledgement of the order that made it.
            (Pending | Open | PartiallyFilled, OrderEvent::Filled { qty }) => {
                if qty.0 <= 0 || self.filled + qty > self.amount {
                    return Err(OrderError::Overfill {
                        client_id: self.client_id,
                        amount: self.amount,
                        filled: self.filled,
                        fill: qty,
                    });
                }
                self.filled += qty;
                if self.filled == self.amount {
                    Filled
                } else {
                    PartiallyFilled
                }
            }
            (Open | PartiallyFilled, OrderEvent::Amended { price, amount }) => {
                if amount <= self.filled {
                    return Err(OrderError::AmendBelowFilled {
                        client_id: self.client_id,
                        amount,
                        filled: self.filled,
                    });
                }
                self.price = price;
                self.amount = amount;
                self.status
            }
            (Pending | Open | PartiallyFilled, OrderEvent::Cancelled) => Cancelled,
            (Pending, OrderEvent::Rejected) => Rejected,
            (Open | PartiallyFilled, OrderEvent::Expired) => Expired,
            _ => return Err(illegal()),
        };
        self.status = next;
        Ok(next)
    }

    /// Applies a matching-engine event if it concerns this order (by venue id); `Ok(false)` if not.
    pub fn apply_match_event(&mut self, event: &MatchEvent) -> Result<bool, OrderError> {
        let Some(me) = self.venue_id else {
            return Ok(false);
        };
        let ev = match *event {
            MatchEvent::Fill {
                maker, taker, qty, ..
            } if maker == me || taker == me => OrderEvent::Filled { qty },
            MatchEvent::Cancelled {
                id,
                reason: CancelReason::Expired,
                ..
            } if id == me => OrderEvent::Expired,
            MatchEvent::Cancelled { id, .. } if id == me => OrderEvent::Cancelled,
            MatchEvent::Amended { id, price, qty, .. } if id == me => OrderEvent::Amended {
                price,
                amount: self.filled + qty,
            },
            _ => return Ok(false),
        };
        self.apply(ev).map(|_| true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus::*;

    fn order() -> Order {
        Order::new(7, InstrumentId(0), Side::Buy, Price(100), Qty(10))
    }

    #[test]
    fn walks_the_legal_path() {
        let mut o = order();
        assert_eq!(o.status(), Pending);
        assert_eq!(o.apply(OrderEvent::Accepted(OrderId(1))), Ok(Open));
        assert_eq!(
            o.apply(OrderEvent::Filled { qty: Qty(4) }),
            Ok(PartiallyFilled)
        );
        assert_eq!(
            o.apply(OrderEvent::Amended {
                price: Price(99),
                amount: Qty(8)
            }),
            Ok(PartiallyFilled)
        );
        assert_eq!(o.remaining(), Qty(4));
        assert_eq!(o.apply(OrderEvent::Filled { qty: Qty(4) }), Ok(Filled));
        assert!(o.status().is_final());
    }

    #[test]
    fn refuses_illegal_transitions_and_keeps_its_state() {
        let mut o = order();
        let err = o.apply(OrderEvent::Expired).unwrap_err();
        assert_eq!(
            err.to_string(),
            "order 7: Expired is not possible when Pending"
        );
        o.apply(OrderEvent::Accepted(OrderId(1))).unwrap();
        assert!(o.apply(OrderEvent::Accepted(OrderId(2))).is_err());
        assert!(o.apply(OrderEvent::Rejected).is_err());
        assert!(matches!(
            o.apply(OrderEvent::Filled { qty: Qty(11) }),
            Err(OrderError::Overfill { .. })
        ));
        assert!(o.apply(OrderEvent::Filled { qty: Qty(0) }).is_err());
        o.apply(OrderEvent::Filled { qty: Qty(3) }).unwrap();
        assert!(matches!(
            o.apply(OrderEvent::Amended {
                price: Price(1),
                amount: Qty(3)
            }),
            Err(OrderError::AmendBelowFilled { .. })
        ));
        o.apply(OrderEvent::Cancelled).unwrap();
        for ev in [
            OrderEvent::Filled { qty: Qty(1) },
            OrderEvent::Cancelled,
            OrderEvent::Expired,
            OrderEvent::Amended {
                price: Price(1),
                amount: Qty(9),
            },
        ] {
            assert!(o.apply(ev).is_err(), "{ev:?} after cancel");
        }
        assert_eq!(o.status(), Cancelled);
        assert_eq!(o.filled, Qty(3));
        assert_eq!(o.venue_id, Some(OrderId(1)));
    }

    #[test]
    fn rejected_and_expired_are_final() {
        let mut o = order();
        assert_eq!(o.apply(OrderEvent::Rejected), Ok(Rejected));
        assert!(o.apply(OrderEvent::Accepted(OrderId(1))).is_err());
        let mut o = order();
        o.apply(OrderEvent::Accepted(OrderId(1))).unwrap();
        assert_eq!(o.apply(OrderEvent::Expired), Ok(Expired));
        assert!(o.apply(OrderEvent::Filled { qty: Qty(1) }).is_err());
    }
}
