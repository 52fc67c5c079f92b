//! Matching engine with 1,000 resting orders: add (non-crossing), cancel, and a crossing order
//! that fills through 5 price levels. Run: `cargo bench -p benches --bench matching`.
//!
//! Book shape: 100 levels per side, 5 orders of 2 lots at each, one owner per order slot cycling
//! through 7 owners (so no self-trade). Prices in units of a uniform tick.

use criterion::{criterion_group, criterion_main, Criterion};
use engine::matching::{MatchEvent, MatchingEngine, NewOrder, OrderId, OwnerId};
use engine::tick_rule::TickRule;
use engine::{Price, Qty, Side};
use std::hint::black_box;
use std::time::{Duration, Instant};

const LEVELS: i64 = 100;
const PER_LEVEL: i64 = 5;
const BATCH: usize = 100;

fn engine_1000() -> MatchingEngine {
    let mut e = MatchingEngine::new(TickRule::uniform(1).unwrap());
    let mut ev = Vec::new();
    let mut n = 0u32;
    for lvl in 0..LEVELS {
        for _ in 0..PER_LEVEL {
            for (side, price) in [(Side::Buy, 10_000 - lvl), (Side::Sell, 10_001 + lvl)] {
                n += 1;
                e.submit(
                    NewOrder::limit(OwnerId(n % 7), side, Price(price), Qty(2)),
                    &mut ev,
                )
                .unwrap();
            }
        }
    }
    assert_eq!(e.open_orders(), 1000);
    e
}

/// Adds `n` passive bids of owner 9 and keeps their ids.
fn add_batch(e: &mut MatchingEngine, n: usize, ev: &mut Vec<MatchEvent>, ids: &mut Vec<OrderId>) {
    for i in 0..n {
        let o = NewOrder::limit(OwnerId(9), Side::Buy, add_price(i), Qty(1));
        ids.push(e.submit(black_box(o), ev).unwrap());
    }
}

/// Prices of passive adds: spread over the existing bid levels (joining a queue) so the book
/// keeps its shape.
fn add_price(i: usize) -> Price {
    Price(10_000 - ((i as i64 * 37) % LEVELS))
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("matching_1000_resting");

    // Time BATCH adds, then cancel them untimed, so the book stays at 1,000 orders.
    g.bench_function("add_passive", |b| {
        let mut e = engine_1000();
        let mut ev = Vec::with_capacity(2 * BATCH);
        let mut ids: Vec<OrderId> = Vec::with_capacity(BATCH);
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut done = 0u64;
            while done < iters {
                let n = BATCH.min((iters - done) as usize);
                ids.clear();
                ev.clear();
                let t = Instant::now();
                add_batch(&mut e, n, &mut ev, &mut ids);
                total += t.elapsed();
                for id in &ids {
                    e.cancel(OwnerId(9), *id, &mut ev).unwrap();
                }
                done += n as u64;
            }
            total
        });
    });

    // Add BATCH untimed, then time their cancels.
    g.bench_function("cancel", |b| {
        let mut e = engine_1000();
        let mut ev = Vec::with_capacity(2 * BATCH);
        let mut ids: Vec<OrderId> = Vec::with_capacity(BATCH);
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut done = 0u64;
            while done < iters {
                let n = BATCH.min((iters - done) as usize);
                ids.clear();
                ev.clear();
                add_batch(&mut e, n, &mut ev, &mut ids);
                // Cancel in a scattered order, not just the newest first.
                let stride = if n % 31 == 0 { 1 } else { 31 };
                let t = Instant::now();
                for k in 0..n {
                    let id = ids[(k * stride) % n];
                    black_box(e.cancel(OwnerId(9), id, &mut ev).unwrap());
                }
                total += t.elapsed();
                done += n as u64;
            }
            total
        });
    });

    // A buy that sweeps the best 5 ask levels (25 orders, 25 fills). Each sweep is timed on its
    // own and the 25 asks are put back untimed, so every sweep meets the same 1,000-order book.
    // The figure includes one `Instant` pair, measured below as `clock_overhead`.
    g.bench_function("sweep_5_levels_25_fills", |b| {
        let mut e = engine_1000();
        let mut ev: Vec<MatchEvent> = Vec::with_capacity(64);
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                ev.clear();
                let o = NewOrder::limit(
                    OwnerId(100),
                    Side::Buy,
                    Price(10_005),
                    Qty(2 * 5 * PER_LEVEL),
                );
                let t = Instant::now();
                e.submit(black_box(o), &mut ev).unwrap();
                total += t.elapsed();
                debug_assert_eq!(ev.len(), 25);
                for lvl in 0..5 {
                    for k in 0..PER_LEVEL {
                        let o = NewOrder::limit(
                            OwnerId((lvl * PER_LEVEL + k) as u32 % 7),
                            Side::Sell,
                            Price(10_001 + lvl),
                            Qty(2),
                        );
                        e.submit(o, &mut ev).unwrap();
                    }
                }
            }
            total
        });
    });

    g.bench_function("clock_overhead", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let t = Instant::now();
                total += black_box(t).elapsed();
            }
            total
        });
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = benches::criterion();
    targets = bench
}
criterion_main!(benches);
