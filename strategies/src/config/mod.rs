//! The roll maker's configuration: a TOML file (`strategies/configs/roll_maker.toml` is the
//! documented default), read with unknown keys refused and every value range-checked, each error
//! naming the key. The table of keys, units and effects is in `strategies/README.md`.

mod validate;

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
    pub style: HedgeStyle,
}

/// How the hedge trades the perpetual.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum HedgeStyle {
    /// Crossing now (immediate-or-cancel at the opposite best): the half-spread and the taker
    /// fee paid, the delta off at once.
    Taker,
    /// One resting order at the passive best (the maker fee): the delta waits until someone
    /// trades with it.
    Passive,
}

/// `[layoff]`: the reducing side of a held series, quoted too.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Layoff {
    pub enabled: bool,
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
    pub layoff: Layoff,
    /// How the maker prices a holder's whole roll as one package (the roll venue's mode).
    pub package: crate::package::PackageConfig,
}

/// The documented default, built in so that the binary runs with no file at hand.
pub const DEFAULT_TOML: &str = include_str!("../../configs/roll_maker.toml");

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
        self.check_universe()
            .and_then(|()| self.check_roll())
            .and_then(|()| self.check_edge_and_size())
            .and_then(|()| self.check_limits_and_rest())
            .map_err(|(key, value, rule)| ConfigError::Invalid {
                source_name: source_name.to_string(),
                key,
                value,
                rule,
            })
    }
}
