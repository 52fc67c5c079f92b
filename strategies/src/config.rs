//! The roll maker's configuration: a TOML file (`strategies/configs/roll_maker.toml` is the
//! documented default), read with unknown keys refused and every value range-checked, each error
//! naming the key. The table of keys, units and effects is in `strategies/README.md`.

use engine::quotes::QuoteRules;
use serde::Deserialize;
use std::path::Path;
use thiserror::Error;

#[derive(Debug, Error, PartialEq)]
pub enum ConfigError {
    #[error("cannot read config {path}: {message}")]
    Read { path: String, message: String },
    #[error("config {source_name}: {message}")]
    Parse {
        source_name: String,
        message: String,
    },
    #[error("config {source_name}: `{key}` = {value} is invalid: it must be {rule}")]
    Invalid {
        source_name: String,
        key: &'static str,
        value: String,
        rule: String,
    },
}

/// Which listed expiries to quote.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ExpiryRule {
    All,
    /// The last Friday of a month (Deribit's monthlies).
    Monthly,
    /// Monthlies of March, June, September and December.
    Quarterly,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Universe {
    pub underlying: String,
    pub expiries: ExpiryRule,
    pub min_days: f64,
    pub max_days: f64,
    pub min_moneyness: f64,
    pub max_moneyness: f64,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Roll {
    pub roll_ratio: f64,
    pub roll_days: f64,
    pub target_ratio: f64,
    pub target_band: f64,
    pub horizon_days: f64,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Edge {
    pub gamma: f64,
    pub kappa: f64,
    pub arrival_per_day: f64,
    pub vol_of_vol: f64,
    pub vega_unit: f64,
    pub min_edge_vol: f64,
    pub carry_bps_per_year: f64,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub lots: i64,
    pub extra_edge_vol: f64,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Size {
    pub levels: Vec<Level>,
    pub max_series_lots: i64,
}

/// Bounds on |net exposure| of one expiry bucket and of the whole book.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Bounds {
    pub delta: f64,
    pub vega: f64,
    pub gamma: f64,
    pub notional: f64,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    pub bucket: Bounds,
    pub total: Bounds,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Stale {
    pub index_seconds: f64,
    pub book_seconds: f64,
    pub surface_seconds: f64,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Quoting {
    pub price_threshold_ticks: i64,
    pub size_threshold_lots: i64,
    pub max_actions_per_second: u32,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Hedge {
    pub enabled: bool,
    pub max_delta: f64,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RollMakerConfig {
    pub universe: Universe,
    pub roll: Roll,
    pub edge: Edge,
    pub size: Size,
    pub limits: Limits,
    pub stale: Stale,
    pub quotes: Quoting,
    pub hedge: Hedge,
}

/// The documented default, built in so that the binary runs with no file at hand.
pub const DEFAULT_TOML: &str = include_str!("../configs/roll_maker.toml");

impl RollMakerConfig {
    /// The built-in default (`strategies/configs/roll_maker.toml`).
    pub fn default_config() -> RollMakerConfig {
        RollMakerConfig::from_toml(DEFAULT_TOML, "strategies/configs/roll_maker.toml")
            .expect("the shipped default config is valid (tested)")
    }

    /// The quote manager's rules from `[quotes]`.
    pub fn quote_rules(&self) -> QuoteRules {
        QuoteRules {
            price_threshold_ticks: self.quotes.price_threshold_ticks,
            size_threshold_lots: self.quotes.size_threshold_lots,
            max_actions_per_second: self.quotes.max_actions_per_second,
        }
    }

    /// `text` with some keys replaced (`("edge.min_edge_vol", 1.5)`), then checked as usual. A
    /// key that is not in `text` is refused, naming it.
    pub fn from_toml_with(
        text: &str,
        source_name: &str,
        overrides: &[(String, toml::Value)],
    ) -> Result<RollMakerConfig, ConfigError> {
        let parse = |message: String| ConfigError::Parse {
            source_name: source_name.to_string(),
            message,
        };
        let mut table: toml::Table = toml::from_str(text).map_err(|e| parse(e.to_string()))?;
        for (key, value) in overrides {
            let mut parts = key.split('.').peekable();
            let mut at = &mut table;
            while let Some(part) = parts.next() {
                if parts.peek().is_none() {
                    match at.get_mut(part) {
                        Some(slot) => *slot = value.clone(),
                        None => return Err(parse(format!("override `{key}`: no such key"))),
                    }
                    break;
                }
                at = match at.get_mut(part) {
                    Some(toml::Value::Table(t)) => t,
                    _ => return Err(parse(format!("override `{key}`: no such key"))),
                };
            }
        }
        let text = toml::to_string(&table).map_err(|e| parse(e.to_string()))?;
        RollMakerConfig::from_toml(&text, source_name)
    }

    pub fn load(path: &Path) -> Result<RollMakerConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        RollMakerConfig::from_toml(&text, &path.display().to_string())
    }

    /// Parses and checks `text`; `source_name` names it in errors.
    pub fn from_toml(text: &str, source_name: &str) -> Result<RollMakerConfig, ConfigError> {
        let config: RollMakerConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            source_name: source_name.to_string(),
            message: e.to_string(),
        })?;
        config.validate(source_name)?;
        Ok(config)
    }

    fn validate(&self, source_name: &str) -> Result<(), ConfigError> {
        let invalid = |key: &'static str, value: String, rule: &str| ConfigError::Invalid {
            source_name: source_name.to_string(),
            key,
            value,
            rule: rule.to_string(),
        };
        let positive = |key: &'static str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(invalid(key, v.to_string(), "a finite number above 0"))
            }
        };
        let non_negative = |key: &'static str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(invalid(key, v.to_string(), "a finite number at least 0"))
            }
        };
        let (u, r, e, s) = (&self.universe, &self.roll, &self.edge, &self.size);
        if u.underlying.is_empty() || !u.underlying.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(invalid(
                "universe.underlying",
                format!("{:?}", u.underlying),
                "an underlying as in instrument names, e.g. \"ETH\"",
            ));
        }
        non_negative("universe.min_days", u.min_days)?;
        positive("universe.max_days", u.max_days)?;
        if u.max_days <= u.min_days {
            return Err(invalid(
                "universe.max_days",
                u.max_days.to_string(),
                &format!("above universe.min_days ({})", u.min_days),
            ));
        }
        positive("universe.min_moneyness", u.min_moneyness)?;
        positive("universe.max_moneyness", u.max_moneyness)?;
        if u.max_moneyness <= u.min_moneyness {
            return Err(invalid(
                "universe.max_moneyness",
                u.max_moneyness.to_string(),
                &format!("above universe.min_moneyness ({})", u.min_moneyness),
            ));
        }
        if !(r.roll_ratio.is_finite() && r.roll_ratio > 1.0) {
            return Err(invalid(
                "roll.roll_ratio",
                r.roll_ratio.to_string(),
                "above 1 (S/K below it marks holders near their strike)",
            ));
        }
        non_negative("roll.roll_days", r.roll_days)?;
        positive("roll.target_ratio", r.target_ratio)?;
        positive("roll.target_band", r.target_band)?;
        if r.target_band >= r.target_ratio {
            return Err(invalid(
                "roll.target_band",
                r.target_band.to_string(),
                &format!("below roll.target_ratio ({})", r.target_ratio),
            ));
        }
        // One side per series by construction: roll-in strikes lie below every roll-out strike,
        // and roll-in expiries lie beyond every expiry-triggered roll-out.
        if r.target_ratio >= 1.0 / r.roll_ratio {
            return Err(invalid(
                "roll.target_ratio",
                r.target_ratio.to_string(),
                &format!(
                    "below 1 / roll.roll_ratio ({:.4}), so no series is both rolled out of and into",
                    1.0 / r.roll_ratio
                ),
            ));
        }
        if r.horizon_days <= r.roll_days {
            return Err(invalid(
                "roll.horizon_days",
                r.horizon_days.to_string(),
                &format!("above roll.roll_days ({})", r.roll_days),
            ));
        }
        positive("edge.gamma", e.gamma)?;
        positive("edge.kappa", e.kappa)?;
        positive("edge.arrival_per_day", e.arrival_per_day)?;
        non_negative("edge.vol_of_vol", e.vol_of_vol)?;
        positive("edge.vega_unit", e.vega_unit)?;
        non_negative("edge.min_edge_vol", e.min_edge_vol)?;
        non_negative("edge.carry_bps_per_year", e.carry_bps_per_year)?;
        if s.levels.is_empty() || s.levels.len() > 8 {
            return Err(invalid(
                "size.levels",
                format!("{} levels", s.levels.len()),
                "1 to 8 levels",
            ));
        }
        for level in &s.levels {
            if level.lots <= 0 {
                return Err(invalid(
                    "size.levels.lots",
                    level.lots.to_string(),
                    "a whole number of lots above 0",
                ));
            }
            non_negative("size.levels.extra_edge_vol", level.extra_edge_vol)?;
        }
        if s.max_series_lots <= 0 {
            return Err(invalid(
                "size.max_series_lots",
                s.max_series_lots.to_string(),
                "a whole number of lots above 0",
            ));
        }
        for (prefix, b) in [
            ("limits.bucket", &self.limits.bucket),
            ("limits.total", &self.limits.total),
        ] {
            let keys: [(&'static str, &'static str, f64); 4] = [
                ("limits.bucket.delta", "limits.total.delta", b.delta),
                ("limits.bucket.vega", "limits.total.vega", b.vega),
                ("limits.bucket.gamma", "limits.total.gamma", b.gamma),
                (
                    "limits.bucket.notional",
                    "limits.total.notional",
                    b.notional,
                ),
            ];
            for (bucket_key, total_key, v) in keys {
                positive(
                    if prefix == "limits.bucket" {
                        bucket_key
                    } else {
                        total_key
                    },
                    v,
                )?;
            }
        }
        positive("stale.index_seconds", self.stale.index_seconds)?;
        positive("stale.book_seconds", self.stale.book_seconds)?;
        positive("stale.surface_seconds", self.stale.surface_seconds)?;
        let q = &self.quotes;
        if q.price_threshold_ticks < 0 {
            return Err(invalid(
                "quotes.price_threshold_ticks",
                q.price_threshold_ticks.to_string(),
                "at least 0",
            ));
        }
        if q.size_threshold_lots < 0 {
            return Err(invalid(
                "quotes.size_threshold_lots",
                q.size_threshold_lots.to_string(),
                "at least 0",
            ));
        }
        if q.max_actions_per_second == 0 {
            return Err(invalid(
                "quotes.max_actions_per_second",
                "0".into(),
                "at least 1",
            ));
        }
        positive("hedge.max_delta", self.hedge.max_delta)?;
        Ok(())
    }
}
