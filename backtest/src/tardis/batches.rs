//! A resolved stream of rows as steps: the rows of one timestamp together (a backtest step).

use super::{Resolved, TardisError};

/// Rows grouped into steps of equal timestamps. A reader error ends the steps and is kept in
/// `error` (take it after the run).
pub struct Batches<I: Iterator<Item = Result<Resolved, TardisError>>> {
    rows: std::iter::Peekable<I>,
    pub error: Option<TardisError>,
    pub rows_read: u64,
    /// The last step's length: the next step's vector is allocated once at that size.
    last_len: usize,
}

impl<I: Iterator<Item = Result<Resolved, TardisError>>> Batches<I> {
    pub fn new(rows: I) -> Batches<I> {
        Batches {
            rows: rows.peekable(),
            error: None,
            rows_read: 0,
            last_len: 4,
        }
    }
}

impl<I: Iterator<Item = Result<Resolved, TardisError>>> Iterator for Batches<I> {
    type Item = Vec<Resolved>;

    fn next(&mut self) -> Option<Vec<Resolved>> {
        if self.error.is_some() {
            return None;
        }
        let mut batch: Vec<Resolved> = Vec::with_capacity(self.last_len);
        loop {
            match self.rows.peek() {
                Some(Ok(r)) if batch.first().is_none_or(|b| b.at == r.at) => {}
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
                batch.push(r);
            }
        }
        self.last_len = batch.len().max(4);
        (!batch.is_empty()).then_some(batch)
    }
}
