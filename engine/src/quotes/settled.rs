//! The quote manager's memory of its last fixed point: a wanted list that needed nothing (every
//! live order as wanted or waiting for an answer, no order to place), and the count of changes to
//! the live orders it was taken at. The same list again, with no change since, needs nothing
//! again: the diff is skipped, not redone (on an L2 stream most book rows leave the best, and so
//! the wanted quotes, as they were).

use super::wanted::WantedQuote;

#[derive(Debug, Default)]
pub struct Settled {
    /// The live orders' change count the list was settled at; None: nothing settled.
    at: Option<u64>,
    wanted: Vec<WantedQuote>,
}

impl Settled {
    /// Whether `wanted` is the list settled at `changes`.
    #[inline]
    pub fn holds(&self, changes: u64, wanted: &[WantedQuote]) -> bool {
        self.at == Some(changes) && self.wanted == wanted
    }

    /// `wanted` needed nothing at `changes`.
    pub fn record(&mut self, changes: u64, wanted: &[WantedQuote]) {
        self.at = Some(changes);
        self.wanted.clear();
        self.wanted.extend_from_slice(wanted);
    }

    pub fn forget(&mut self) {
        self.at = None;
    }
}
