//! What the benchmarks share. Nothing outside `benches/` depends on this crate.

use criterion::Criterion;
use std::time::Duration;

/// One criterion set-up for every benchmark: 1 s warm-up, 3 s of samples, so the whole suite runs
/// in about a minute on the 2-core machine.
pub fn criterion() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}
