//! Replay throughput on one core: a seeded 25-level L2 incremental stream with about 7% trades
//! (2 million records), through the engine's book mirror and the queue simulator, with a no-op
//! strategy and with one that keeps a bid and an ask at the best and re-quotes on every event;
//! read from the binary event file in 64 KiB blocks, and preloaded in memory. The anchor,
//! hftbacktest 0.9.4 (L2 asset, risk-averse queue, no-partial-fill exchange), runs the same
//! stream preloaded in memory with the same two strategies, one call per feed event, with its
//! 1 us order latency; `requote_latency_preloaded` is ours with the same 1 us order latency (an
//! order joins the queue when it arrives).
//! Run: `cargo bench -p benches --bench replay`.

use backtest::binary::{Kind, Reader, Record, Writer};
use backtest::events::latency::Constant;
use backtest::replay::{replay, replay_with_latency, ReplayStrategy};
use backtest::sim::l2_loop;
use backtest::synthetic::l2_stream::{L2Stream, L2StreamConfig};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use engine::Side;
use hftbacktest::backtest::assettype::LinearAsset;
use hftbacktest::backtest::data::Data;
use hftbacktest::backtest::models::{
    CommonFees, ConstantLatency, RiskAdverseQueueModel, TradingValueFeeModel,
};
use hftbacktest::backtest::{Backtest, DataSource, ExchangeKind, L2AssetBuilder};
use hftbacktest::prelude::{
    Bot, ElapseResult, Event, HashMapMarketDepth, MarketDepth, OrdType, TimeInForce, BUY_EVENT,
    DEPTH_EVENT, EXCH_EVENT, LOCAL_EVENT, SELL_EVENT, TRADE_EVENT,
};
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
                black_box(replay(
                    reader.records().map(|r| r.expect("a good record")),
                    strategy,
                ))
            })
        });
        g.bench_function(format!("{name}_preloaded"), |b| {
            b.iter(|| black_box(replay(records.iter().copied(), strategy)))
        });
    }
    g.bench_function("requote_latency_preloaded", |b| {
        b.iter(|| {
            let mut latency = Constant { nanos: 1_000 };
            let strategy = ReplayStrategy::Requote { lots: 1 };
            black_box(replay_with_latency(
                records.iter().copied(),
                strategy,
                &mut latency,
            ))
        })
    });
    // The backtest's whole loop (Tardis market, trader, quote manager, simulated venue with
    // 1 us order, response and feed latency and the conservative queue, accounts).
    let config = l2_loop::config(0.001);
    let whole = |records: &[Record]| {
        let mut strategy = l2_loop::BestQuotes { lots: 1 };
        l2_loop::run_l2(
            records.iter().copied(),
            &config,
            &mut strategy,
            l2_loop::rules(),
        )
    };
    let s = whole(&records);
    eprintln!("whole loop: {} events, {} fills", s.events, s.fills);
    g.bench_function("requote_whole_loop_preloaded", |b| {
        b.iter(|| black_box(whole(&records).fills))
    });
    let events = to_anchor_events(&records);
    for (name, requote) in [("noop", false), ("requote", true)] {
        g.bench_function(format!("{name}_anchor_preloaded"), |b| {
            b.iter(|| black_box(anchor(&events, requote)))
        });
    }
    g.finish();
    std::fs::remove_dir_all(&dir).ok();
}

/// The stream as hftbacktest events (prices in ticks of 1.0, the feed seen 1 µs after the
/// exchange); the leading clear is dropped (its book starts empty).
fn to_anchor_events(records: &[Record]) -> Vec<Event> {
    records
        .iter()
        .filter(|r| r.kind != Kind::Clear)
        .map(|r| {
            let side = match r.side {
                Side::Buy => BUY_EVENT,
                Side::Sell => SELL_EVENT,
            };
            let kind = if r.kind == Kind::Trade {
                TRADE_EVENT
            } else {
                DEPTH_EVENT
            };
            Event {
                ev: EXCH_EVENT | LOCAL_EVENT | kind | side,
                exch_ts: r.at.0,
                local_ts: r.at.0 + 1_000,
                px: r.price.0 as f64,
                qty: r.qty.0 as f64,
                order_id: 0,
                ival: 0,
                fval: 0.0,
            }
        })
        .collect()
}

/// Feed events processed by hftbacktest, with a no-op strategy or one that keeps a bid and an
/// ask at the best (cancel and replace when it moves).
fn anchor(events: &[Event], requote: bool) -> u64 {
    let mut hbt = Backtest::builder()
        .add_asset(
            L2AssetBuilder::new()
                .data(vec![DataSource::Data(Data::from_data(events))])
                .latency_model(ConstantLatency::new(1_000, 1_000))
                .asset_type(LinearAsset::new(1.0))
                .fee_model(TradingValueFeeModel::new(CommonFees::new(0.0, 0.0)))
                .exchange(ExchangeKind::NoPartialFillExchange)
                .queue_model(RiskAdverseQueueModel::new())
                .depth(|| HashMapMarketDepth::new(1.0, 1.0))
                .build()
                .expect("anchor asset"),
        )
        .build()
        .expect("anchor backtest");
    let (mut feeds, mut next_id) = (0u64, 1u64);
    // Our resting orders: (order id, price) per side.
    let mut bid: Option<(u64, f64)> = None;
    let mut ask: Option<(u64, f64)> = None;
    loop {
        match hbt.wait_next_feed(false, 1_000_000_000_000) {
            Ok(ElapseResult::EndOfData) | Err(_) => break,
            Ok(_) => {}
        }
        feeds += 1;
        if !requote {
            continue;
        }
        let (best_bid, best_ask) = (hbt.depth(0).best_bid(), hbt.depth(0).best_ask());
        for (is_bid, ours, best) in [(true, &mut bid, best_bid), (false, &mut ask, best_ask)] {
            if !best.is_finite() || ours.is_some_and(|(_, p)| p == best) {
                continue;
            }
            if let Some((id, _)) = ours.take() {
                hbt.cancel(0, id, false).ok();
            }
            let sent = if is_bid {
                hbt.submit_buy_order(
                    0,
                    next_id,
                    best,
                    1.0,
                    TimeInForce::GTX,
                    OrdType::Limit,
                    false,
                )
            } else {
                hbt.submit_sell_order(
                    0,
                    next_id,
                    best,
                    1.0,
                    TimeInForce::GTX,
                    OrdType::Limit,
                    false,
                )
            };
            if sent.is_ok() {
                *ours = Some((next_id, best));
            }
            next_id += 1;
        }
        if feeds % 1024 == 0 {
            hbt.clear_inactive_orders(Some(0));
        }
    }
    feeds
}

criterion_group! {
    name = replay_group;
    config = benches::criterion();
    targets = replay_bench
}
criterion_main!(replay_group);
