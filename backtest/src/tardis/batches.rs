//! A resolved stream of rows as steps: the rows of one timestamp together (a backtest step).

use super::{Resolved, TardisError};
use crate::sim::market::StepSource;
use engine::Timestamp;

/// One step's rows (most steps of an L2 stream are one row: 10,447,089 steps of 10,455,430 rows
/// in the 2-day export). A plain vector: the loop's two steps are reused, so it allocates only
/// while they grow, and is cheaper to push to and read than an inline one (checked at each use).
pub type StepRows = Vec<Resolved>;

/// The slot's step (its room reused) cleared and filled by `fill`, the slot emptied if `fill`
/// pushed nothing: the part of [`StepSource::next_into`] every reader of rows shares.
#[inline(always)]
pub(crate) fn refill(slot: &mut Option<StepRows>, fill: impl FnOnce(&mut StepRows)) {
    let step = slot.get_or_insert_with(StepRows::new);
    step.clear();
    fill(step);
    if step.is_empty() {
        *slot = None;
    }
}

/// A stream of steps that a reader's error may end: the error, and the rows read, are taken
/// after the run ([`Batches`] over any resolved rows, [`super::BinarySteps`] from the binary
/// format).
pub trait Steps: StepSource<StepRows> {
    fn take_error(&mut self) -> Option<TardisError>;
    fn rows_read(&self) -> u64;
}

impl<I: Iterator<Item = Result<Resolved, TardisError>>> Steps for Batches<I> {
    fn take_error(&mut self) -> Option<TardisError> {
        self.error.take()
    }

    fn rows_read(&self) -> u64 {
        self.rows_read
    }
}

/// Rows grouped into steps of equal timestamps, up to `to` if given (the rows after it are not
/// read). A reader error ends the steps and is kept in `error` (take it after the run).
pub struct Batches<I: Iterator<Item = Result<Resolved, TardisError>>> {
    rows: std::iter::Peekable<I>,
    to: Option<Timestamp>,
    pub error: Option<TardisError>,
    pub rows_read: u64,
}

impl<I: Iterator<Item = Result<Resolved, TardisError>>> Batches<I> {
    pub fn new(rows: I) -> Batches<I> {
        Batches {
            rows: rows.peekable(),
            to: None,
            error: None,
            rows_read: 0,
        }
    }

    /// The steps up to `to` (inclusive), as [`super::BinarySteps`] bounds its own.
    pub fn until(mut self, to: Option<Timestamp>) -> Batches<I> {
        self.to = to;
        self
    }

    /// The next step's rows pushed onto `step` (none at the end or after an error).
    fn fill(&mut self, step: &mut StepRows) {
        if self.error.is_some() {
            return;
        }
        loop {
            match self.rows.peek() {
                Some(Ok(r)) if self.to.is_some_and(|to| r.at > to) => break,
                Some(Ok(r)) if step.first().is_none_or(|b| b.at == r.at) => {}
                Some(Err(_)) => {
                    if let Some(Err(e)) = self.rows.next() {
                        self.error = Some(e);
                    }
                    break;
                }
                _ => break,
            }
            if let Some(Ok(r)) = self.rows.next() {
                self.rows_read += 1;
                step.push(r);
            }
        }
    }
}

impl<I: Iterator<Item = Result<Resolved, TardisError>>> Iterator for Batches<I> {
    type Item = StepRows;

    fn next(&mut self) -> Option<StepRows> {
        let mut step = StepRows::new();
        self.fill(&mut step);
        (!step.is_empty()).then_some(step)
    }
}

/// The rows pushed straight into the loop's step (its room reused), not into a step of their
/// own moved there.
impl<I: Iterator<Item = Result<Resolved, TardisError>>> StepSource<StepRows> for Batches<I> {
    fn next_into(&mut self, slot: &mut Option<StepRows>) {
        refill(slot, |step| self.fill(step));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(at: i64) -> Result<Resolved, TardisError> {
        Ok(Resolved {
            at: Timestamp(at),
            origin: Default::default(),
            event: Err("a row".into()),
            listed: None,
        })
    }

    /// Rows of one time make one step; `until` ends the steps at the first row after it, inside
    /// a step or between two, and the rows after it are not counted.
    #[test]
    fn steps_group_equal_times_up_to_until() {
        let times = |b: Batches<_>| -> Vec<Vec<i64>> {
            b.map(|s| s.iter().map(|r| r.at.0).collect()).collect()
        };
        let rows = || [1, 1, 2, 3, 3].map(row).into_iter();
        assert_eq!(
            times(Batches::new(rows())),
            [vec![1, 1], vec![2], vec![3, 3]]
        );
        assert_eq!(
            times(Batches::new(rows()).until(Some(Timestamp(2)))),
            [vec![1, 1], vec![2]]
        );
        let mut b = Batches::new(rows()).until(Some(Timestamp(1)));
        let mut slot = None;
        b.next_into(&mut slot);
        assert_eq!(slot.map(|s| s.len()), Some(2));
        let mut slot = None;
        b.next_into(&mut slot);
        assert!(slot.is_none());
        assert_eq!(b.rows_read, 2);
    }
}
