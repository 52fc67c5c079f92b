//! One full requote of the roll maker on an ETH-like chain: 8 expiries (1 day to 6 months) x 125
//! call strikes (0.3x to 1.5x the index), from a surface update to the list of actions. Run:
//! `cargo bench -p benches --bench strategy`.
//!
//! Each iteration hands the strategy a state whose surface moved by about ±2 vol points (alternating),
//! so the quotes move: strategy (price all 1,000 series through the batch pricer, classify, edge,
//! limits, ladder), then the quote manager's diff into amends (timed); then the venue's
//! confirmations of those amends, untimed, so that the next iteration starts from the same live
//! orders. `strategy_only` times the strategy alone.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use engine::matching::OrderId;
use engine::order::OrderEvent;
use engine::quotes::{Action, QuoteManager};
use engine::state::State;
use engine::Timestamp;
use std::hint::black_box;
use std::time::{Duration, Instant};
use strategies::config::ExpiryRule;
use strategies::{sample, RollMaker, RollMakerConfig, Strategy, Wanted};

const INDEX: f64 = 2000.0;

fn chain() -> (State, Vec<Timestamp>) {
    let now = Timestamp::from_millis(1_774_425_600_000); // 2026-03-25 08:00 UTC
    let day = 86_400_000;
    let settles: Vec<Timestamp> = [1, 2, 7, 14, 28, 56, 91, 182]
        .iter()
        .map(|d| Timestamp::from_millis(1_774_425_600_000 + d * day))
        .collect();
    let strikes: Vec<f64> = (0..125)
        .map(|i| INDEX * (0.3 + 1.2 * i as f64 / 124.0))
        .collect();
    (sample::chain(now, INDEX, &settles, &strikes), settles)
}

fn answer(m: &mut QuoteManager, actions: &[Action]) {
    for a in actions {
        let r = match *a {
            Action::Place { client_id, .. } => {
                m.on_event(client_id, OrderEvent::Accepted(OrderId(client_id)))
            }
            Action::Amend {
                client_id,
                price,
                amount,
            } => m.on_event(client_id, OrderEvent::Amended { price, amount }),
            Action::Cancel { client_id } => m.on_event(client_id, OrderEvent::Cancelled),
            Action::Take { .. } => unreachable!("the quote manager never takes"),
        };
        r.expect("the benchmark's own answers fit");
    }
}

fn requote(c: &mut Criterion) {
    let (base, settles) = chain();
    let mut config = RollMakerConfig::default_config();
    config.universe.expiries = ExpiryRule::All;
    config.universe.min_days = 0.5;
    config.universe.max_days = 200.0;
    config.universe.max_moneyness = 1.5;
    // The two states share one timestamp, so the rate cap's bucket would never refill: no cap.
    config.quotes.max_actions_per_second = u32::MAX;
    // Limits wide enough that most roll series rest quotes (the default binds after a few deep
    // in-the-money strikes of the short expiries).
    for b in [&mut config.limits.bucket, &mut config.limits.total] {
        b.delta *= 100.0;
        b.vega *= 100.0;
        b.gamma *= 100.0;
        b.notional *= 100.0;
    }
    let states: Vec<State> = [-0.02, 0.02]
        .iter()
        .map(|&shift| {
            let mut s = base.clone();
            s.surface = Some(sample::surface(s.now, INDEX, &settles, shift));
            s
        })
        .collect();
    let mut maker = RollMaker::new(config.clone());
    let mut manager = QuoteManager::new(config.quote_rules(), 1);
    let mut wanted = Wanted::default();
    let mut actions = Vec::new();
    // Warm: every wanted quote placed and acknowledged.
    maker.quotes(&states[0], &mut wanted);
    manager
        .reconcile(base.now, &wanted.quotes, &mut actions)
        .expect("valid");
    answer(&mut manager, &actions);
    eprintln!(
        "requote: {} series, {} quotes resting, {} pulled",
        base.series.len(),
        wanted.quotes.len(),
        wanted.pulled.len()
    );
    let mut g = c.benchmark_group("requote");
    g.throughput(Throughput::Elements(1));
    let mut i = 0usize;
    g.bench_function("strategy_only", |b| {
        b.iter(|| {
            i += 1;
            wanted.clear();
            maker.quotes(black_box(&states[i % 2]), &mut wanted);
            wanted.quotes.len()
        })
    });
    // The decision: strategy and quote manager, timed; the venue's confirmations, which let the
    // next iteration start from the same live orders, untimed.
    let (mut total_actions, mut rounds) = (0usize, 0usize);
    g.bench_function("roll_maker_1000_series", |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            for _ in 0..iters {
                i += 1;
                let state = &states[i % 2];
                let start = Instant::now();
                wanted.clear();
                maker.quotes(black_box(state), &mut wanted);
                actions.clear();
                manager
                    .reconcile(state.now, &wanted.quotes, &mut actions)
                    .expect("valid");
                timed += start.elapsed();
                total_actions += actions.len();
                rounds += 1;
                answer(&mut manager, &actions);
            }
            timed
        })
    });
    g.finish();
    eprintln!(
        "requote: {:.1} actions a requote on average",
        total_actions as f64 / rounds.max(1) as f64
    );
}

criterion_group! {
    name = strategy;
    config = benches::criterion();
    targets = requote
}
criterion_main!(strategy);
