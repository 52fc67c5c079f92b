//! Shared set-up for the benchmarks lives in each bench file; this crate has no library code.
