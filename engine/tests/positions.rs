//! The ledger always equals the sum of its fills.

use engine::instrument::Instrument;
use engine::position::{Fill, Ledger};
use engine::{InstrumentId, Price, Qty, Side, Timestamp};
use proptest::prelude::*;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

fn fills() -> impl Strategy<Value = Vec<(bool, i64, i64, i64)>> {
    // (buy, price units, lots, fee in 1e-6 ETH)
    prop::collection::vec((any::<bool>(), 1i64..2_000, 1i64..50, 0i64..1_000), 1..60)
}

proptest! {
    #[test]
    fn linear_positions_equal_the_sum_of_fills_exactly(fs in fills(), mark in 1i64..2_000) {
        let inst = Instrument::deribit("ETH-27MAR26-2000-C").unwrap();
        let id = InstrumentId(0);
        let mut ledger = Ledger::new();
        let (mut size, mut fees, mut cash) = (0i64, Decimal::ZERO, Decimal::ZERO);
        for (buy, p, q, fee) in fs {
            let side = if buy { Side::Buy } else { Side::Sell };
            let f = Fill { instrument: id, side, price: Price(p), qty: Qty(q), fee: Decimal::new(fee, 6), ts: Timestamp(0) };
            ledger.apply(&inst, &f).unwrap();
            size += side.sign() * q;
            fees += f.fee;
            // Cash paid out for buys, taken in for sells, in ETH.
            cash -= Decimal::from(side.sign() * q) * inst.price_decimal(Price(p));
        }
        let pos = ledger.position(id).unwrap();
        prop_assert_eq!(pos.size(), Qty(size));
        prop_assert_eq!(pos.fees_paid(), fees);
        // Realized plus what the rest would realize at the mark equals the cash flows plus the
        // inventory valued at the mark: nothing is lost or rounded.
        let total = pos.realized_pnl() + pos.unrealized_pnl(&inst, Price(mark)).unwrap();
        let marked = cash + Decimal::from(size) * inst.price_decimal(Price(mark));
        prop_assert_eq!(total, marked);
        // The models' f64 figure is the decimal one to float precision.
        let unrealized = pos.unrealized_pnl(&inst, Price(mark)).unwrap().to_f64().unwrap();
        let f = pos.unrealized_pnl_f64(&inst, inst.price_f64(Price(mark)));
        prop_assert!((f - unrealized).abs() <= 1e-9 * unrealized.abs().max(1.0), "{} vs {}", f, unrealized);
        // Open cost is the entry value of exactly |size| lots.
        if size == 0 {
            prop_assert_eq!(pos.open_cost_units(), 0);
        }
    }

    #[test]
    fn inverse_positions_equal_the_sum_of_fills(fs in fills(), mark in 1_000i64..2_000) {
        let inst = Instrument::deribit("ETH-PERPETUAL").unwrap();
        let id = InstrumentId(0);
        let mut ledger = Ledger::new();
        let (mut size, mut coin) = (0i64, Decimal::ZERO);
        let m = inst.price_decimal(Price(mark));
        for (buy, p, q, _) in fs {
            let p = p + 1_000; // keep prices away from zero: 50 USD and up
            let side = if buy { Side::Buy } else { Side::Sell };
            let f = Fill { instrument: id, side, price: Price(p), qty: Qty(q), fee: Decimal::ZERO, ts: Timestamp(0) };
            ledger.apply(&inst, &f).unwrap();
            size += side.sign() * q;
            // A buy of q USD at p, valued at the mark, gains q * (1/p - 1/m) coin.
            let px = inst.price_decimal(Price(p));
            coin += Decimal::from(side.sign() * q) * (Decimal::ONE / px - Decimal::ONE / m);
        }
        let pos = ledger.position(id).unwrap();
        prop_assert_eq!(pos.size(), Qty(size));
        let total = pos.realized_pnl() + pos.unrealized_pnl(&inst, Price(mark)).unwrap();
        // 1/price is carried to 28 significant digits, so the two sums agree to far below a satoshi.
        prop_assert!((total - coin).abs() < Decimal::new(1, 18), "{} vs {}", total, coin);
        let unrealized = pos.unrealized_pnl(&inst, Price(mark)).unwrap().to_f64().unwrap();
        let f = pos.unrealized_pnl_f64(&inst, inst.price_f64(Price(mark)));
        prop_assert!((f - unrealized).abs() <= 1e-9 * unrealized.abs().max(1e-6), "{} vs {}", f, unrealized);
    }

    #[test]
    fn the_ledger_cash_is_every_position_cash_and_the_transfers(
        events in prop::collection::vec((0usize..3, any::<bool>(), 1i64..2_000, 1i64..50, 0u8..10), 1..80),
    ) {
        let names = ["ETH-27MAR26-2000-C", "ETH-27MAR26-2500-C", "ETH-26JUN26-1500-P"];
        let insts: Vec<Instrument> = names.iter().map(|n| Instrument::deribit(n).unwrap()).collect();
        let mut ledger = Ledger::new();
        for (k, buy, p, q, what) in events {
            let (inst, id) = (&insts[k], InstrumentId(k as u32 * 2));
            match what {
                // Now and then a settlement at a value, a fee taken, or a package's transfer.
                // (of an instrument traded: a settlement pays what is held).
                0 if ledger.position(id).is_some_and(|pos| pos.fill_count() > 0) => {
                    ledger.settle(inst, id, Decimal::new(p, 4), Decimal::new(q, 5)).unwrap();
                }
                0 => {}
                1 => ledger.transfer(Decimal::new(p - 1_000, 4)),
                _ => {
                    let side = if buy { Side::Buy } else { Side::Sell };
                    let f = Fill { instrument: id, side, price: Price(p), qty: Qty(q), fee: Decimal::new(q, 6), ts: Timestamp(0) };
                    ledger.apply(inst, &f).unwrap();
                }
            }
            let each: Decimal = ledger.iter().map(|(_, pos)| pos.cash()).sum();
            prop_assert_eq!(ledger.cash(), each + ledger.transfers());
        }
    }
}
