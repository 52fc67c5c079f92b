//! Cancels at the local venue: one order by its label, every order of an account (on one
//! instrument, or all), each through its instrument's matching engine.

use super::{Changes, Key, Trading};
use engine::matching::OwnerId;
use engine::InstrumentId;

impl Trading {
    /// Cancels the order `label` of `owner`.
    pub fn cancel_by_label(&mut self, owner: OwnerId, label: &str, changes: &mut Changes) -> usize {
        let Some(&key) = self.labels.get(&(owner, label.to_string())) else {
            return 0;
        };
        let n = self.cancel(owner, key, changes);
        self.forget_ended();
        n
    }

    /// Cancels every open order of `owner` (on `instrument` only, if given); how many.
    pub fn cancel_all(
        &mut self,
        owner: OwnerId,
        instrument: Option<InstrumentId>,
        changes: &mut Changes,
    ) -> usize {
        let open: Vec<Key> = (self.orders.iter())
            .filter(|(_, o)| o.owner == owner && o.state == "open")
            .filter(|(_, o)| instrument.is_none_or(|i| o.instrument == i))
            .map(|(id, _)| *id)
            .collect();
        let n = open
            .into_iter()
            .map(|key| self.cancel(owner, key, changes))
            .sum();
        self.forget_ended();
        n
    }

    pub(super) fn cancel(&mut self, owner: OwnerId, key: Key, changes: &mut Changes) -> usize {
        let Some(o) = self.orders.get(&key).filter(|o| o.state == "open") else {
            return 0;
        };
        let id = o.instrument;
        let mut events = Vec::new();
        let Some(book) = self.books.get_mut(&id) else {
            return 0;
        };
        if book.cancel(owner, key.1, &mut events).is_err() {
            return 0;
        }
        self.apply(id, &events, changes);
        1
    }
}
