//! Replay throughput on one core: a seeded 25-level L2 incremental stream with about 7% trades
//! (2 million records), through the engine's book mirror and the queue simulator, with a no-op
//! strategy and with one that keeps a bid and an ask at the best and re-quotes on every event;
//! read from the binary event file in 64 KiB blocks, and preloaded in memory.
//! Run: `cargo bench -p benches --bench replay`.

use backtest::binary::{Reader, Record, Writer};
use backtest::replay::{replay, ReplayStrategy};
use backtest::synthetic::l2_stream::{L2Stream, L2StreamConfig};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

const RECORDS: u64 = 2_000_000;

fn replay_bench(c: &mut Criterion) {
    let records: Vec<Record> = L2Stream::new(L2StreamConfig::default(), RECORDS, 1).collect();
    let dir = std::env::temp_dir().join(format!("rollmaker-replay-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("stream.bin");
    let mut w = Writer::create(&path).expect("create");
    for r in &records {
        w.write(r).expect("write");
    }
    w.finish().expect("flush");
    let mut g = c.benchmark_group("replay");
    g.throughput(Throughput::Elements(records.len() as u64));
    g.sample_size(10);
    for (name, strategy) in [
        ("noop", ReplayStrategy::Noop),
        ("requote", ReplayStrategy::Requote { lots: 1 }),
    ] {
        g.bench_function(format!("{name}_from_file"), |b| {
            b.iter(|| {
                let reader = Reader::open(&path).expect("open");
                black_box(replay(reader.map(|r| r.expect("a good record")), strategy))
            })
        });
        g.bench_function(format!("{name}_preloaded"), |b| {
            b.iter(|| black_box(replay(records.iter().copied(), strategy)))
        });
    }
    g.finish();
    std::fs::remove_dir_all(&dir).ok();
}

criterion_group! {
    name = replay_group;
    config = benches::criterion();
    targets = replay_bench
}
criterion_main!(replay_group);
