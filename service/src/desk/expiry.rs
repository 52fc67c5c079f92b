//! Expiry while running. An option held past its settlement time (on the feed's clock) is paid
//! out by the venue and dropped from its positions, and nothing on `user.changes` says so. While
//! the desk holds one, it asks the venue's settlement history every [`ASK_EVERY`] and books each
//! delivery as the trader's settlement: the payoff from the delivery price
//! ([`value_per_contract`]: exact), less the fee the venue states, or Deribit's delivery
//! schedule where it states none (Deribit does not); journaled like a fill, durable before it
//! counts. A reconcile asks for the same list, so a delivery missed while away is booked before
//! the positions are compared.

use super::{Desk, OWN_TAGS};
use backtest::fees::{DeribitOptionFees, FeeModel};
use connectors::deribit::connection::Command;
use connectors::deribit::deliveries::{deliveries, Delivery};
use engine::instrument::InstrumentKind;
use engine::settlement::value_per_contract;
use engine::trader::VenueEvent;
use engine::{InstrumentId, Instruments, Qty, Timestamp};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The tag of the desk's own ask for the settlement history.
pub(crate) const DELIVERIES: u64 = OWN_TAGS + 2;
/// How often the settlement history is asked for while an expired option is held.
const ASK_EVERY: Duration = Duration::from_secs(10);

/// The settlement history's request: the currency's deliveries, newest first.
pub(crate) fn history_params(currency: &str) -> Value {
    json!({"currency": currency, "type": "delivery", "count": 1000})
}

impl Desk {
    /// Asks for the settlement history if an option held has expired (at most every
    /// [`ASK_EVERY`]).
    pub(super) fn ask_deliveries(&mut self, wall: Instant) {
        if self
            .last_delivery_ask
            .is_some_and(|t| wall.duration_since(t) < ASK_EVERY)
        {
            return;
        }
        let now = self.market.clock.now(wall);
        if now.0 == 0 || !self.holds_expired(now) {
            return;
        }
        self.last_delivery_ask = Some(wall);
        self.send(Command::Call {
            method: "private/get_settlement_history_by_currency".into(),
            params: history_params(&self.currency).into(),
            tag: DELIVERIES,
            since: None,
        });
    }

    fn holds_expired(&self, now: Timestamp) -> bool {
        let instruments = self.market.instruments();
        (self.trader.ledger().iter())
            .filter(|(_, p)| p.size().0 != 0)
            .any(|(id, _)| match instruments.get(id).kind() {
                InstrumentKind::Option { expiry, .. } => expiry.settlement_time() <= now,
                _ => false,
            })
    }

    /// The settlement history's `answer`: each delivery of a position held, a settlement for
    /// the turn's events (journaled, then booked). An error names what could not be read.
    pub(crate) fn on_deliveries(&mut self, answer: &Value) -> Result<(), String> {
        let instruments = Arc::clone(self.market.instruments());
        let ledger = self.trader.ledger();
        let held: Vec<(InstrumentId, Qty)> =
            (ledger.iter()).map(|(id, p)| (id, p.size())).collect();
        let list = deliveries(&instruments, &held, answer).map_err(|e| e.to_string())?;
        for d in &list {
            let name = instruments.get(d.instrument).name();
            let ours = held.iter().find(|(id, _)| *id == d.instrument).map(|h| h.1);
            if ours != Some(d.position) {
                tracing::warn!(
                    "{name}: delivered {} lots, {:?} booked: the reconcile compares",
                    d.position.0,
                    ours.map(|q| q.0)
                );
            }
            let Some(event) = settlement(&instruments, d) else {
                return Err(format!("{name}: no payoff at {}", d.index_price));
            };
            tracing::info!("{name}: delivered at {}: {event:?}", d.index_price);
            self.events.push(event);
        }
        Ok(())
    }
}

/// The trader's settlement of delivery `d`: the payoff at its delivery price, its fee (the
/// venue's, or Deribit's delivery schedule). None for an instrument that is not an option.
pub(crate) fn settlement(instruments: &Instruments, d: &Delivery) -> Option<VenueEvent> {
    let inst = instruments.get(d.instrument);
    let InstrumentKind::Option { strike, right, .. } = *inst.kind() else {
        return None;
    };
    let value = value_per_contract(right, strike, d.index_price)?;
    if let Some(told) = d
        .value
        .filter(|v| (*v - value).abs() > rust_decimal::Decimal::new(1, 8))
    {
        tracing::warn!(
            "{}: the venue says {told} a contract, the payoff is {value}",
            inst.name()
        );
    }
    let contracts = inst.qty_decimal(d.position);
    let fee =
        (d.fee).unwrap_or_else(|| DeribitOptionFees::default().delivery_fee(value, contracts));
    Some(VenueEvent::Settled {
        instrument: d.instrument,
        value,
        fee,
        at: Timestamp::from_millis(d.timestamp_ms),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::Instrument;
    use rust_decimal::Decimal;

    #[test]
    fn a_delivery_settles_at_the_payoff_with_the_venues_fee_or_deribits() {
        let mut instruments = Instruments::new();
        let put = (instruments.intern(Instrument::deribit("ETH-6MAR26-2000-P").unwrap())).unwrap();
        let d = |fee| Delivery {
            instrument: put,
            position: Qty(-3),
            index_price: Decimal::from(1_600),
            value: None,
            fee,
            timestamp_ms: 1_772_784_000_000,
        };
        let Some(VenueEvent::Settled { value, fee, at, .. }) = settlement(&instruments, &d(None))
        else {
            panic!("a settlement");
        };
        // (2000 - 1600) / 1600 = 0.25 ETH; Deribit's 0.00015 ETH a contract (under 12.5% of it).
        assert_eq!(value, Decimal::new(25, 2));
        assert_eq!(fee, Decimal::new(45, 5));
        assert_eq!(at, Timestamp::from_millis(1_772_784_000_000));
        let told = settlement(&instruments, &d(Some(Decimal::ZERO)));
        assert!(matches!(told, Some(VenueEvent::Settled { fee, .. }) if fee.is_zero()));
    }
}
