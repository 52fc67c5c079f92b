//! Expiry at the venue: an option delivered at the delivery price its market gives (the index's
//! 30-minute TWAP before 08:00 UTC): every account's orders on it cancelled, its positions paid
//! out at [`value_per_contract`] and kept as the account's settlement history (what
//! `private/get_settlement_history_by_currency` lists, as Deribit's "delivery" events), and its
//! book closed (orders on it refused from then on). The local venue charges no fees, so the
//! delivery's fee is 0 and says so.

use super::{Changes, Trading};
use engine::instrument::InstrumentKind;
use engine::settlement::value_per_contract;
use engine::{InstrumentId, Qty};
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::Decimal;
use serde_json::{json, Value};

impl Trading {
    /// Delivers `id` at `index` (USD); how many accounts held it. An error for an instrument
    /// that is not an option, a delivery price that is not positive, or one already delivered.
    pub fn deliver(
        &mut self,
        id: InstrumentId,
        index: f64,
        changes: &mut Changes,
    ) -> Result<usize, String> {
        let inst = self.instruments.get(id).clone();
        let InstrumentKind::Option { strike, right, .. } = *inst.kind() else {
            return Err(format!("{}: only options are delivered here", inst.name()));
        };
        let value = Decimal::from_f64(index)
            .and_then(|s| value_per_contract(right, strike, s))
            .ok_or_else(|| format!("{}: delivery price {index}", inst.name()))?;
        if !self.books.contains_key(&id) {
            return Err(format!("{}: delivered already", inst.name()));
        }
        let owners: Vec<_> = (self.orders.values())
            .filter(|o| o.instrument == id && o.state == "open")
            .map(|o| o.owner)
            .collect();
        for owner in owners {
            self.cancel_all(owner, Some(id), changes);
        }
        self.books.remove(&id);
        changes.books.push(id);
        let held: Vec<_> = (self.positions.iter())
            .filter(|((_, i), size)| *i == id && **size != 0)
            .map(|((owner, _), size)| (*owner, *size))
            .collect();
        let value_f64 = value.to_f64().unwrap_or(f64::NAN);
        for &(owner, size) in &held {
            self.positions.remove(&(owner, id));
            let position = inst.qty_f64(Qty(size));
            let paid = value_f64 * position;
            let record = json!({"type": "delivery", "timestamp": self.stamp(),
                "instrument_name": inst.name(), "position": position, "index_price": index,
                "mark_price": value_f64, "profit_loss": paid, "session_profit_loss": paid,
                "fee": 0.0});
            self.deliveries.entry(owner.0).or_default().push(record);
        }
        Ok(held.len())
    }

    /// The deliveries of `owner`'s positions, newest first (as Deribit lists them).
    pub fn settlements(&self, owner: engine::matching::OwnerId) -> Vec<Value> {
        let mut list = self.deliveries.get(&owner.0).cloned().unwrap_or_default();
        list.reverse();
        list
    }

    /// Whether `id` still trades (not delivered).
    pub fn is_active(&self, id: InstrumentId) -> bool {
        self.books.contains_key(&id)
    }
}
