//! The latest `options_chain` quote of each option: stored by instrument id (a quote row is
//! written in place, with no lookup by name), read in symbol order (the order the rebuilt
//! chain's rows have always had, so that the chain, and every run, is deterministic).

use super::by_id::ById;
use crate::tardis::{ChainQuote, Symbol};
use engine::InstrumentId;

#[derive(Debug, Default)]
pub(super) struct ChainQuotes {
    /// By instrument id: the latest quote, if any.
    by_id: ById<ChainQuote>,
    /// The symbols held, sorted, with their ids.
    order: Vec<(Symbol, InstrumentId)>,
}

impl ChainQuotes {
    /// `q` as `id`'s latest quote.
    pub fn insert(&mut self, id: InstrumentId, q: ChainQuote) {
        let slot = self.by_id.slot(id);
        if slot.is_none() {
            // New, or quoted again after it was dropped: placed by its symbol.
            if let Err(at) = self.order.binary_search_by(|(s, _)| (**s).cmp(&*q.symbol)) {
                self.order.insert(at, (q.symbol.clone(), id));
            }
        }
        *slot = Some(q);
    }

    /// Keeps only the quotes `keep` accepts.
    pub fn retain(&mut self, keep: impl Fn(&ChainQuote) -> bool) {
        self.by_id.retain(|_, q| keep(q));
        // Expired options leave the order too: a months-long replay lists thousands.
        let by_id = &self.by_id;
        self.order.retain(|(_, id)| by_id.get(*id).is_some());
    }

    /// The quotes held, with their ids, in symbol order.
    pub fn iter(&self) -> impl Iterator<Item = (InstrumentId, &ChainQuote)> {
        self.order
            .iter()
            .filter_map(|(_, id)| Some((*id, self.by_id.get(*id)?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::Timestamp;

    fn quote(symbol: &str, mark: f64) -> ChainQuote {
        ChainQuote {
            symbol: symbol.into(),
            strike: 2000.0,
            expiration: Timestamp(1),
            bid: None,
            ask: None,
            mark,
            mark_iv: 0.5,
            underlying_price: 2000.0,
        }
    }

    #[test]
    fn latest_quotes_in_symbol_order_whatever_the_ids() {
        let mut q = ChainQuotes::default();
        q.insert(InstrumentId(5), quote("ETH-B", 1.0));
        q.insert(InstrumentId(2), quote("ETH-C", 2.0));
        q.insert(InstrumentId(9), quote("ETH-A", 3.0));
        q.insert(InstrumentId(5), quote("ETH-B", 4.0));
        let seen: Vec<(u32, &str, f64)> =
            q.iter().map(|(id, c)| (id.0, &*c.symbol, c.mark)).collect();
        assert_eq!(
            seen,
            [(9, "ETH-A", 3.0), (5, "ETH-B", 4.0), (2, "ETH-C", 2.0)]
        );
        // Dropped, then quoted again: back in its place, once.
        q.retain(|c| c.mark != 4.0);
        assert_eq!(q.iter().count(), 2);
        assert_eq!(q.order.len(), 2, "a dropped symbol leaves the order");
        q.insert(InstrumentId(5), quote("ETH-B", 5.0));
        let marks: Vec<f64> = q.iter().map(|(_, c)| c.mark).collect();
        assert_eq!(marks, [3.0, 5.0, 2.0]);
    }
}
