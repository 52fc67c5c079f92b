//! The queue simulator under random orders and trades: a trade never fills more than its size,
//! an order never more than its own, and positions equal the sum of fills.

use backtest::queue::{QueueFill, QueueModel, Queues};
use engine::{InstrumentId, Price, Qty, Side};
use proptest::prelude::*;
use std::collections::HashMap;

proptest! {
    #[test]
    fn liquidity_is_used_once(
        orders in prop::collection::vec((any::<bool>(), 95i64..105, 1i64..10, 0i64..20), 1..20),
        trades in prop::collection::vec((any::<bool>(), 95i64..105, 1i64..30), 1..40),
        probabilistic in any::<bool>(),
    ) {
        let model = if probabilistic { QueueModel::Probabilistic } else { QueueModel::Conservative };
        let mut q = Queues::new(model);
        let mut size: HashMap<u64, i64> = HashMap::new();
        for (i, &(buy, price, qty, shown)) in orders.iter().enumerate() {
            let side = if buy { Side::Buy } else { Side::Sell };
            q.join(i as u64, InstrumentId(0), side, Price(price), Qty(qty), Qty(shown));
            size.insert(i as u64, qty);
        }
        let mut filled: HashMap<u64, i64> = HashMap::new();
        for &(buy, price, qty) in &trades {
            let aggressor = if buy { Side::Buy } else { Side::Sell };
            let mut fills: Vec<QueueFill> = Vec::new();
            q.on_trade(InstrumentId(0), aggressor, Price(price), Qty(qty), &mut fills);
            let total: i64 = fills.iter().map(|f| f.qty.0).sum();
            prop_assert!(total <= qty);
            for f in fills {
                // Only orders on the passive side, at or better than the trade for the aggressor.
                let o = orders[f.client_id as usize];
                prop_assert_eq!(o.0, !buy);
                let reached = if buy { o.1 <= price } else { o.1 >= price };
                prop_assert!(reached);
                *filled.entry(f.client_id).or_default() += f.qty.0;
            }
        }
        for (id, f) in &filled {
            prop_assert!(*f <= size[id]);
        }
        // What is left resting plus what was filled is what was placed.
        for (id, s) in &size {
            let left = q.orders().iter().find(|o| o.client_id == *id).map_or(0, |o| o.remaining.0);
            prop_assert_eq!(left + filled.get(id).copied().unwrap_or(0), *s);
        }
    }
}
