//! The backtest's configuration file (`backtest/configs/backtest.toml` is the documented default,
//! built in): the simulated venue, the schedule, the roll demand and the baselines. Unknown keys
//! are refused and every value is range-checked, each error naming the key.

use crate::baselines::LendingConfig;
use crate::queue::QueueModel;
use crate::roll_flow::RollFlowConfig;
use crate::sim::run::{FillRule, Latency, RunConfig};
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

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Venue {
    half_spread_vol: f64,
    half_spread_delta_bps: f64,
    depth_lots: i64,
    levels: usize,
    level_step_vol: f64,
    background_trades_per_day: f64,
    background_lots: i64,
    order_latency_ms: f64,
    order_latency_sigma: f64,
    feed_latency_ms: f64,
    feed_latency_sigma: f64,
    queue: String,
    fill_rule: String,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Schedule {
    requote_seconds: f64,
    surface_seconds: f64,
    flow_seconds: f64,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Flow {
    holders: usize,
    notional_usd: f64,
    strike_ratio_min: f64,
    strike_ratio_max: f64,
    roll_ratio: f64,
    roll_days: f64,
    target_ratio: f64,
    horizon_days: f64,
    jitter: f64,
    patient_share: f64,
    patience_hours: f64,
    max_slippage_bps: f64,
    retry_minutes: f64,
    n_holders: usize,
    n_notional_usd: f64,
    n_strike_ratio_min: f64,
    n_strike_ratio_max: f64,
    n_roll_ratio: f64,
    n_target_ratio: f64,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Lending {
    liquidation_threshold: f64,
    bonus: f64,
    close_factor: f64,
    full_below_health: f64,
    depth_usd: f64,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Amm {
    depth_usd: f64,
    fee: f64,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct File {
    venue: Venue,
    schedule: Schedule,
    flow: Flow,
    lending: Lending,
    amm: Amm,
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
    let invalid = |key: &str, value: String, rule: &'static str| BacktestConfigError::Invalid {
        source_name: source_name.to_string(),
        key: key.to_string(),
        value,
        rule,
    };
    let check = |key: &str, v: f64, ok: bool, rule: &'static str| {
        if v.is_finite() && ok {
            Ok(v)
        } else {
            Err(invalid(key, v.to_string(), rule))
        }
    };
    let positive = |key: &str, v: f64| check(key, v, v > 0.0, "a finite number above 0");
    let non_negative = |key: &str, v: f64| check(key, v, v >= 0.0, "a finite number at least 0");
    let fraction = |key: &str, v: f64| check(key, v, (0.0..=1.0).contains(&v), "between 0 and 1");
    let v = &f.venue;
    non_negative("venue.half_spread_vol", v.half_spread_vol)?;
    non_negative("venue.half_spread_delta_bps", v.half_spread_delta_bps)?;
    positive("venue.level_step_vol", v.level_step_vol)?;
    if !(1..=25).contains(&v.levels) {
        return Err(invalid(
            "venue.levels",
            v.levels.to_string(),
            "between 1 and 25",
        ));
    }
    if v.depth_lots < 0 || v.background_lots <= 0 {
        return Err(invalid(
            "venue.depth_lots / venue.background_lots",
            format!("{} / {}", v.depth_lots, v.background_lots),
            "at least 0 / above 0",
        ));
    }
    non_negative(
        "venue.background_trades_per_day",
        v.background_trades_per_day,
    )?;
    non_negative("venue.order_latency_ms", v.order_latency_ms)?;
    non_negative("venue.order_latency_sigma", v.order_latency_sigma)?;
    non_negative("venue.feed_latency_ms", v.feed_latency_ms)?;
    non_negative("venue.feed_latency_sigma", v.feed_latency_sigma)?;
    let queue = match v.queue.as_str() {
        "conservative" => QueueModel::Conservative,
        "probabilistic" => QueueModel::Probabilistic,
        other => {
            return Err(invalid(
                "venue.queue",
                format!("{other:?}"),
                "\"conservative\" or \"probabilistic\"",
            ))
        }
    };
    let fill_rule = match v.fill_rule.as_str() {
        "demand" => FillRule::RollDemandOnly,
        "crosses" => FillRule::OppositeCrosses,
        other => {
            return Err(invalid(
                "venue.fill_rule",
                format!("{other:?}"),
                "\"demand\" or \"crosses\"",
            ))
        }
    };
    let s = &f.schedule;
    non_negative("schedule.requote_seconds", s.requote_seconds)?;
    non_negative("schedule.surface_seconds", s.surface_seconds)?;
    non_negative("schedule.flow_seconds", s.flow_seconds)?;
    let w = &f.flow;
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
            return Err(invalid(
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
    positive("flow.retry_minutes", w.retry_minutes)?;
    let l = &f.lending;
    fraction("lending.liquidation_threshold", l.liquidation_threshold)?;
    fraction("lending.bonus", l.bonus)?;
    fraction("lending.close_factor", l.close_factor)?;
    fraction("lending.full_below_health", l.full_below_health)?;
    positive("lending.depth_usd", l.depth_usd)?;
    positive("amm.depth_usd", f.amm.depth_usd)?;
    fraction("amm.fee", f.amm.fee)?;

    let mut c = base.clone();
    c.market.half_spread_vol = v.half_spread_vol;
    c.market.half_spread_delta_bps = v.half_spread_delta_bps;
    c.market.depth_lots = v.depth_lots;
    c.market.levels = v.levels;
    c.market.level_step_vol = v.level_step_vol;
    c.market.background_trades_per_day = v.background_trades_per_day;
    c.market.background_lots = v.background_lots;
    c.order_latency = Latency::from_config(v.order_latency_ms, v.order_latency_sigma);
    c.feed_latency = Latency::from_config(v.feed_latency_ms, v.feed_latency_sigma);
    c.queue = queue;
    c.fill_rule = fill_rule;
    c.requote_seconds = s.requote_seconds;
    c.surface_seconds = s.surface_seconds;
    c.flow_seconds = s.flow_seconds;
    c.flow = RollFlowConfig {
        holders: w.holders,
        notional_usd: w.notional_usd,
        strike_ratio_min: w.strike_ratio_min,
        strike_ratio_max: w.strike_ratio_max,
        roll_ratio: w.roll_ratio,
        roll_days: w.roll_days,
        target_ratio: w.target_ratio,
        horizon_days: w.horizon_days,
        jitter: w.jitter,
        patient_share: w.patient_share,
        patience_hours: w.patience_hours,
        max_slippage_bps: w.max_slippage_bps,
        retry_minutes: w.retry_minutes,
        n_holders: w.n_holders,
        n_notional_usd: w.n_notional_usd,
        n_strike_ratio_min: w.n_strike_ratio_min,
        n_strike_ratio_max: w.n_strike_ratio_max,
        n_roll_ratio: w.n_roll_ratio,
        n_target_ratio: w.n_target_ratio,
    };
    c.lending = LendingConfig {
        liquidation_threshold: l.liquidation_threshold,
        bonus: l.bonus,
        close_factor: l.close_factor,
        full_below_health: l.full_below_health,
        depth_usd: l.depth_usd,
    };
    c.amm_depth_usd = f.amm.depth_usd;
    c.amm_fee = f.amm.fee;
    Ok(c)
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
        let bad = DEFAULT_TOML.replacen("queue = \"conservative\"", "queue = \"fifo\"", 1);
        assert!(apply(&bad, "b", &base)
            .unwrap_err()
            .to_string()
            .contains("venue.queue"));
        let n = DEFAULT_TOML.replacen("n_holders = 0", "n_holders = 20", 1);
        assert_eq!(apply(&n, "b", &base).unwrap().flow.n_holders, 20);
    }
}
