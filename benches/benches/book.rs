//! L2 mirror: one delta applied to a 25-level book, and the best-price lookup.
//! Run: `cargo bench -p benches --bench book`.

use criterion::{criterion_group, criterion_main, Criterion};
use engine::book::{L2Book, LevelAction, LevelUpdate};
use engine::{Price, Qty, Side};
use std::hint::black_box;

const LEVELS: i64 = 25;

/// Bids 1000..976 and asks 1001..1025 (price units), sizes 10.
fn book() -> L2Book {
    let bids: Vec<_> = (0..LEVELS).map(|i| (Price(1000 - i), Qty(10))).collect();
    let asks: Vec<_> = (0..LEVELS).map(|i| (Price(1001 + i), Qty(10))).collect();
    let mut b = L2Book::new();
    b.apply_snapshot(1, &bids, &asks).unwrap();
    b
}

/// A fixed pseudo-random sequence of level indices in `0..n` (xorshift), so neither the timing
/// loop nor a learned branch pattern favours one search over another.
fn picks(n: i64, len: usize) -> Vec<i64> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as i64
        })
        .collect()
}

/// `half` (delete, new) pairs on the bid side of [`book`], then the same undone in reverse.
fn level_churn(half: usize) -> Vec<[[LevelUpdate; 1]; 2]> {
    let mut occupied: Vec<i64> = (0..LEVELS).map(|i| 1000 - i).collect();
    let mut empty: Vec<i64> = (0..LEVELS).map(|i| 1000 - LEVELS - i).collect();
    let picks = picks(1 << 30, 2 * half);
    let at = |action, p| {
        [LevelUpdate {
            side: Side::Buy,
            action,
            price: Price(p),
            qty: Qty(10),
        }]
    };
    let mut forward = Vec::with_capacity(half);
    for k in 0..half {
        let i = (picks[2 * k] % LEVELS) as usize;
        let j = (picks[2 * k + 1] % LEVELS) as usize;
        let (gone, new) = (occupied[i], empty[j]);
        occupied[i] = new;
        empty[j] = gone;
        forward.push((gone, new));
    }
    let undo = forward.iter().rev().map(|&(gone, new)| (new, gone));
    forward
        .iter()
        .copied()
        .chain(undo)
        .map(|(gone, new)| [at(LevelAction::Delete, gone), at(LevelAction::New, new)])
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("l2_book_25_levels");

    // A size change at a random level of either side: the common Deribit delta. Sequence check
    // and crossed check included; the updates are made up front so only `apply_update` is timed.
    g.bench_function("delta_change", |b| {
        let mut book = book();
        let updates: Vec<[LevelUpdate; 1]> = picks(2 * LEVELS, 4096)
            .into_iter()
            .enumerate()
            .map(|(n, i)| {
                let (side, price) = if i < LEVELS {
                    (Side::Buy, Price(1000 - i))
                } else {
                    (Side::Sell, Price(1001 + i - LEVELS))
                };
                [LevelUpdate {
                    side,
                    action: LevelAction::Change,
                    price,
                    qty: Qty(5 + (n as i64 & 7)),
                }]
            })
            .collect();
        let mut seq = 1u64;
        b.iter(|| {
            let u = &updates[(seq & 4095) as usize];
            book.apply_update(seq + 1, seq, black_box(u)).unwrap();
            seq += 1;
        });
    });

    // Levels coming and going: a random bid level is deleted and a new one appears at a random
    // empty price within 50 ticks of the top, so the ladder shifts both ways. The second half of
    // the sequence undoes the first, so it can be replayed forever. Reported per pair of deltas.
    g.bench_function("delta_delete_and_new_pair", |b| {
        let mut book = book();
        let pairs = level_churn(2048);
        let mut seq = 1u64;
        let mut n = 0usize;
        b.iter(|| {
            for u in &pairs[n & 4095] {
                book.apply_update(seq + 1, seq, black_box(u)).unwrap();
                seq += 1;
            }
            n += 1;
        });
        assert_eq!(book.side(Side::Buy).len(), LEVELS as usize);
    });

    g.bench_function("best_bid_and_ask", |b| {
        let book = book();
        b.iter(|| {
            let bk = black_box(&book);
            (bk.best_bid(), bk.best_ask())
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
