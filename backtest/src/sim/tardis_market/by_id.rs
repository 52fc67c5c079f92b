//! A value per instrument id, where ids are dense (a registry's): a slot per id, found by index,
//! with no key hashed on each of millions of rows (the market's books and latest quotes).

use engine::InstrumentId;

#[derive(Debug)]
pub(super) struct ById<T> {
    slots: Vec<Option<T>>,
}

impl<T> Default for ById<T> {
    fn default() -> Self {
        ById { slots: Vec::new() }
    }
}

impl<T> ById<T> {
    pub fn get(&self, id: InstrumentId) -> Option<&T> {
        self.slots.get(id.0 as usize)?.as_ref()
    }

    /// `id`'s slot, the slots grown to hold it.
    pub fn slot(&mut self, id: InstrumentId) -> &mut Option<T> {
        let i = id.0 as usize;
        if i >= self.slots.len() {
            self.slots.resize_with(i + 1, || None);
        }
        &mut self.slots[i]
    }

    /// Keeps the values `keep` accepts (given their ids).
    pub fn retain(&mut self, keep: impl Fn(InstrumentId, &T) -> bool) {
        for (i, slot) in self.slots.iter_mut().enumerate() {
            if slot
                .as_ref()
                .is_some_and(|v| !keep(InstrumentId(i as u32), v))
            {
                *slot = None;
            }
        }
    }
}
