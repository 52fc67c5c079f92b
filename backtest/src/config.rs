//! The backtest's configuration file (`backtest/configs/backtest.toml` is the documented default,
//! built in): the simulated venue, the synthetic market's book, the schedule, the roll demand and
//! the baselines. Each section deserializes straight into the struct the run uses; unknown keys
//! are refused (the TOML error names the line) and every value is range-checked, each error naming
//! the key.

use crate::amm::AmmConfig;
use crate::baselines::LendingConfig;
use crate::roll_flow::RollFlowConfig;
use crate::sim::run::{RunConfig, Schedule, VenueConfig};
use crate::sim::synthetic_market::MarketConfig;
use serde::Deserialize;
use thiserror::Error;

pub const DEFAULT_TOML: &str = include_str!("../configs/backtest.toml");

#[derive(Debug, Error, PartialEq)]
pub enum BacktestConfigError {
    #[error("backtest config {source_name}: {message}")]
    Parse {
        source_name: String,
        message: String,
    },
    #[error("backtest config {source_name}: `{key}` = {value} is invalid: it must be {rule}")]
    Invalid {
        source_name: String,
        key: String,
        value: String,
        rule: &'static str,
    },
}

/// The file: its sections are the run's.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    venue: VenueConfig,
    book: MarketConfig,
    schedule: Schedule,
    flow: RollFlowConfig,
    lending: LendingConfig,
    amm: AmmConfig,
}

/// A value outside its range: (key, value, rule).
type Bad = (&'static str, String, &'static str);

fn check(key: &'static str, v: f64, ok: bool, rule: &'static str) -> Result<(), Bad> {
    if v.is_finite() && ok {
        Ok(())
    } else {
        Err((key, v.to_string(), rule))
    }
}

fn positive(key: &'static str, v: f64) -> Result<(), Bad> {
    check(key, v, v > 0.0, "a finite number above 0")
}

fn non_negative(key: &'static str, v: f64) -> Result<(), Bad> {
    check(key, v, v >= 0.0, "a finite number at least 0")
}

fn fraction(key: &'static str, v: f64) -> Result<(), Bad> {
    check(key, v, (0.0..=1.0).contains(&v), "between 0 and 1")
}

/// `text` applied to `base` (whose preset, seed and days it leaves as they are).
pub fn apply(
    text: &str,
    source_name: &str,
    base: &RunConfig,
) -> Result<RunConfig, BacktestConfigError> {
    let f: File = toml::from_str(text).map_err(|e| BacktestConfigError::Parse {
        source_name: source_name.to_string(),
        message: e.to_string(),
    })?;
    let checked = non_negative("venue.future_spread_ticks", f.venue.future_spread_ticks)
        .and_then(|()| check_book(&f.book))
        .and_then(|()| check_schedule(&f.schedule))
        .and_then(|()| check_flow(&f.flow))
        .and_then(|()| check_baselines(&f.lending, &f.amm));
    if let Err((key, value, rule)) = checked {
        return Err(BacktestConfigError::Invalid {
            source_name: source_name.to_string(),
            key: key.to_string(),
            value,
            rule,
        });
    }
    Ok(RunConfig {
        market: MarketConfig {
            smile: base.market.smile.clone(),
            ..f.book
        },
        venue: f.venue,
        schedule: f.schedule,
        flow: f.flow,
        lending: f.lending,
        amm: f.amm,
        ..base.clone()
    })
}

fn check_book(b: &MarketConfig) -> Result<(), Bad> {
    if let Err(why) = b.spread.check() {
        return Err((
            "book.spread",
            why,
            "a finite, non-negative cell for each bucket",
        ));
    }
    positive("book.level_step_vol", b.level_step_vol)?;
    if !(1..=25).contains(&b.levels) {
        return Err(("book.levels", b.levels.to_string(), "between 1 and 25"));
    }
    if b.depth_lots < 0 || b.background_lots <= 0 {
        return Err((
            "book.depth_lots / book.background_lots",
            format!("{} / {}", b.depth_lots, b.background_lots),
            "at least 0 / above 0",
        ));
    }
    non_negative(
        "book.background_trades_per_day",
        b.background_trades_per_day,
    )
}

fn check_schedule(s: &Schedule) -> Result<(), Bad> {
    non_negative("schedule.requote_seconds", s.requote_seconds)?;
    non_negative("schedule.surface_seconds", s.surface_seconds)?;
    non_negative("schedule.flow_seconds", s.flow_seconds)?;
    non_negative("schedule.stale_after_seconds", s.stale_after_seconds)
}

fn check_flow(w: &RollFlowConfig) -> Result<(), Bad> {
    positive("flow.notional_usd", w.notional_usd)?;
    positive("flow.n_notional_usd", w.n_notional_usd)?;
    for (key, lo, hi) in [
        (
            "flow.strike_ratio_min / max",
            w.strike_ratio_min,
            w.strike_ratio_max,
        ),
        (
            "flow.n_strike_ratio_min / max",
            w.n_strike_ratio_min,
            w.n_strike_ratio_max,
        ),
    ] {
        if !(lo > 0.0 && lo <= hi && hi.is_finite()) {
            return Err((
                key,
                format!("{lo} / {hi}"),
                "above 0, the minimum at most the maximum",
            ));
        }
    }
    check(
        "flow.roll_ratio",
        w.roll_ratio,
        w.roll_ratio > 1.0,
        "above 1",
    )?;
    check(
        "flow.n_roll_ratio",
        w.n_roll_ratio,
        w.n_roll_ratio > 1.0,
        "above 1",
    )?;
    positive("flow.target_ratio", w.target_ratio)?;
    positive("flow.n_target_ratio", w.n_target_ratio)?;
    non_negative("flow.roll_days", w.roll_days)?;
    positive("flow.horizon_days", w.horizon_days)?;
    fraction("flow.jitter", w.jitter)?;
    fraction("flow.patient_share", w.patient_share)?;
    non_negative("flow.patience_hours", w.patience_hours)?;
    non_negative("flow.max_slippage_bps", w.max_slippage_bps)?;
    positive("flow.retry_minutes", w.retry_minutes)
}

fn check_baselines(l: &LendingConfig, a: &AmmConfig) -> Result<(), Bad> {
    fraction("lending.liquidation_threshold", l.liquidation_threshold)?;
    fraction("lending.bonus", l.bonus)?;
    fraction("lending.close_factor", l.close_factor)?;
    fraction("lending.full_below_health", l.full_below_health)?;
    positive("lending.depth_usd", l.depth_usd)?;
    positive("amm.depth_usd", a.depth_usd)?;
    fraction("amm.fee", a.fee)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::path::Preset;

    #[test]
    fn the_default_file_is_the_built_in_defaults() {
        let base = RunConfig::new(Preset::Calm, 1);
        assert_eq!(apply(DEFAULT_TOML, "default", &base).unwrap(), base);
    }

    #[test]
    fn bad_files_are_refused_naming_the_key() {
        let base = RunConfig::new(Preset::Calm, 1);
        let unknown = DEFAULT_TOML.replacen("[amm]", "[amm]\nspeed = 1", 1);
        assert!(apply(&unknown, "b.toml", &base)
            .unwrap_err()
            .to_string()
            .contains("speed"));
        let bad = DEFAULT_TOML.replacen("patient_share = 0.7", "patient_share = 1.7", 1);
        let e = apply(&bad, "b.toml", &base).unwrap_err().to_string();
        assert!(
            e.contains("flow.patient_share") && e.contains("b.toml"),
            "{e}"
        );
        // A value of the wrong kind: the TOML error names the key and its line.
        let bad = DEFAULT_TOML.replacen("queue = \"conservative\"", "queue = \"fifo\"", 1);
        let e = apply(&bad, "b", &base).unwrap_err().to_string();
        assert!(e.contains("queue") && e.contains("line"), "{e}");
        let bad = DEFAULT_TOML.replacen(
            "order_latency = { median_ms = 50.0",
            "order_latency = { median_ms = -5.0",
            1,
        );
        let e = apply(&bad, "b", &base).unwrap_err().to_string();
        assert!(e.contains("median_ms") && e.contains("line"), "{e}");
        let n = DEFAULT_TOML.replacen("n_holders = 0", "n_holders = 20", 1);
        assert_eq!(apply(&n, "b", &base).unwrap().flow.n_holders, 20);
    }
}
