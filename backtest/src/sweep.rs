//! Parameter sweeps: a grid of backtests (presets × seeds × strategies × config values), cut into
//! shards that separate machines run independently (a Kubernetes Indexed Job, a Slurm array), and
//! merged afterwards.
//!
//! The grid is a TOML file:
//! ```toml
//! presets = ["calm", "crash"]                # or data = "../shared/data/deribit_eth_chain/"
//! seeds = [1, 2, 3]
//! days = 30                                  # with presets only
//! strategies = ["roll_maker", "two_sided"]   # optional, default ["roll_maker"]
//! roll_modes = ["legs", "package"]           # optional, default ["package"] (the CLI's)
//! [config]                                   # optional: roll_maker.toml keys and their values
//! "edge.min_edge_vol" = [0.5, 1.0, 2.0]
//! ```
//! Jobs are numbered in a fixed order (the product in the order written, config keys sorted);
//! shard I of N runs the jobs whose number is I modulo N.

use crate::sim::run_config::RollMode;
use crate::synthetic::path::Preset;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use strategies::StrategyKind;
use thiserror::Error;

#[derive(Debug, Error, PartialEq)]
pub enum SweepError {
    #[error("grid {source_name}: {message}")]
    Grid {
        source_name: String,
        message: String,
    },
    #[error("--shard {0}: give I/N with 0 <= I < N")]
    Shard(String),
    #[error("merge: {0}")]
    Merge(String),
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Grid {
    /// The synthetic markets; or, instead, `data`: a folder or file of data to replay whole.
    #[serde(default)]
    pub presets: Vec<Preset>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    pub seeds: Vec<u64>,
    /// Days of each preset (not with data).
    #[serde(default)]
    pub days: Option<f64>,
    #[serde(default = "default_strategies")]
    pub strategies: Vec<StrategyKind>,
    #[serde(default = "default_modes")]
    pub roll_modes: Vec<RollMode>,
    #[serde(default)]
    pub config: BTreeMap<String, Vec<toml::Value>>,
}

fn default_strategies() -> Vec<StrategyKind> {
    vec![StrategyKind::RollMaker]
}

fn default_modes() -> Vec<RollMode> {
    vec![RollMode::Package]
}

/// One backtest of the grid.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    pub number: usize,
    /// The synthetic market, or None: the grid's data.
    pub preset: Option<Preset>,
    pub seed: u64,
    pub strategy: StrategyKind,
    pub roll_mode: RollMode,
    /// The config keys set for this job.
    pub overrides: Vec<(String, toml::Value)>,
}

impl Grid {
    pub fn parse(text: &str, source_name: &str) -> Result<Grid, SweepError> {
        let err = |message: String| SweepError::Grid {
            source_name: source_name.to_string(),
            message,
        };
        let grid: Grid = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        if grid.presets.is_empty() == grid.data.is_none() {
            return Err(err("give presets or data (one of them)".into()));
        }
        if grid.seeds.is_empty() || grid.strategies.is_empty() || grid.roll_modes.is_empty() {
            return Err(err(
                "seeds, strategies and roll_modes must each list at least one value".into(),
            ));
        }
        if let Some((k, _)) = grid.config.iter().find(|(_, v)| v.is_empty()) {
            return Err(err(format!(
                "{}config key `{k}` lists no values",
                at_line(text, k)
            )));
        }
        match (grid.days, grid.data.is_some()) {
            (Some(_), true) => {
                return Err(err(format!(
                    "{}days does not apply to data (it is replayed whole)",
                    at_line(text, "days")
                )))
            }
            (None, false) => return Err(err("days is required with presets".into())),
            (Some(days), false) => crate::synthetic::path::check_days("days =", days)
                .map_err(|m| err(format!("{}{m}", at_line(text, "days"))))?,
            (None, true) => {}
        }
        Ok(grid)
    }

    /// Every job, numbered.
    pub fn jobs(&self) -> Vec<Job> {
        let mut combos: Vec<Vec<(String, toml::Value)>> = vec![Vec::new()];
        for (key, values) in &self.config {
            combos = combos
                .into_iter()
                .flat_map(|c| {
                    values.iter().map(move |v| {
                        let mut c = c.clone();
                        c.push((key.clone(), v.clone()));
                        c
                    })
                })
                .collect();
        }
        let markets: Vec<Option<Preset>> = match self.data {
            Some(_) => vec![None],
            None => self.presets.iter().map(|p| Some(*p)).collect(),
        };
        let mut jobs = Vec::new();
        for preset in markets {
            for &seed in &self.seeds {
                for strategy in &self.strategies {
                    for roll_mode in &self.roll_modes {
                        for overrides in &combos {
                            jobs.push(Job {
                                number: jobs.len(),
                                preset,
                                seed,
                                strategy: *strategy,
                                roll_mode: *roll_mode,
                                overrides: overrides.clone(),
                            });
                        }
                    }
                }
            }
        }
        jobs
    }
}

/// "line N: " for the first line of `text` holding `needle` (so an error names the grid file's
/// own line), or nothing.
pub fn at_line(text: &str, needle: &str) -> String {
    text.lines()
        .position(|l| l.contains(needle))
        .map_or(String::new(), |n| format!("line {}: ", n + 1))
}

impl Grid {
    /// A fingerprint of the grid's jobs (FNV-1a of its canonical JSON): every result carries it,
    /// and shards of different grids are refused at merge.
    pub fn hash(&self) -> String {
        let canonical = serde_json::to_string(self).unwrap_or_default();
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in canonical.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("{h:016x}")
    }
}

/// `I/N` from the command line.
pub fn parse_shard(text: &str) -> Result<(usize, usize), SweepError> {
    let bad = || SweepError::Shard(text.to_string());
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let (i, n): (usize, usize) = (
        i.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if n == 0 || i >= n {
        return Err(bad());
    }
    Ok((i, n))
}

/// The jobs of shard `i` of `n`.
pub fn shard(jobs: &[Job], i: usize, n: usize) -> Vec<Job> {
    jobs.iter().filter(|j| j.number % n == i).cloned().collect()
}

/// The results of all shards, checked: every job of the grid exactly once (results name their
/// job number and the grid's job count). Sorted by job number.
pub fn merge(mut results: Vec<serde_json::Value>) -> Result<Vec<serde_json::Value>, SweepError> {
    let err = |m: String| SweepError::Merge(m);
    let total = results
        .first()
        .and_then(|r| r["jobs"].as_u64())
        .ok_or_else(|| err("no results, or a result without `jobs`".into()))?;
    let grid = results[0]["grid"].clone();
    if let Some(r) = results.iter().find(|r| r["grid"] != grid) {
        return Err(err(format!(
            "results of two grids: {} and {} (job {})",
            grid, r["grid"], r["job"]
        )));
    }
    let mut seen = vec![false; total as usize];
    for r in &results {
        let (Some(n), Some(t)) = (r["job"].as_u64(), r["jobs"].as_u64()) else {
            return Err(err(format!("a result without `job` and `jobs`: {r}")));
        };
        if t != total {
            return Err(err(format!("results of two grids: {t} jobs and {total}")));
        }
        let slot = seen
            .get_mut(n as usize)
            .ok_or_else(|| err(format!("job {n} of {total}")))?;
        if *slot {
            return Err(err(format!("job {n} twice (a shard run twice?)")));
        }
        *slot = true;
    }
    let missing: Vec<usize> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| !**s)
        .map(|(i, _)| i)
        .collect();
    if !missing.is_empty() {
        return Err(err(format!(
            "{} of {total} jobs missing, e.g. {:?}",
            missing.len(),
            &missing[..missing.len().min(10)]
        )));
    }
    results.sort_by_key(|r| r["job"].as_u64());
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRID: &str = r#"
presets = ["calm", "crash"]
seeds = [1, 2]
days = 2
[config]
"edge.min_edge_vol" = [0.5, 1.0, 2.0]
"edge.carry_bps_per_year" = [25.0, 50.0]
"#;

    #[test]
    fn the_product_in_a_fixed_order_split_into_disjoint_shards() {
        let g = Grid::parse(GRID, "grid.toml").unwrap();
        let jobs = g.jobs();
        assert_eq!(jobs.len(), 2 * 2 * 3 * 2);
        assert_eq!(jobs, g.jobs());
        assert_eq!(jobs[0].overrides.len(), 2);
        let mut seen: Vec<usize> = (0..3)
            .flat_map(|i| shard(&jobs, i, 3))
            .map(|j| j.number)
            .collect();
        seen.sort();
        assert_eq!(seen, (0..24).collect::<Vec<_>>());
        assert_eq!(parse_shard("2/3"), Ok((2, 3)));
        assert!(
            parse_shard("3/3").is_err() && parse_shard("x").is_err() && parse_shard("0/0").is_err()
        );
    }

    #[test]
    fn merge_wants_every_job_once() {
        let r = |job: u64| serde_json::json!({"job": job, "jobs": 3, "grid": "a"});
        assert_eq!(merge(vec![r(2), r(0), r(1)]).unwrap()[0]["job"], 0);
        let other = serde_json::json!({"job": 1, "jobs": 3, "grid": "b"});
        assert!(merge(vec![r(0), other, r(2)])
            .unwrap_err()
            .to_string()
            .contains("two grids"));
        assert!(merge(vec![r(0), r(1)])
            .unwrap_err()
            .to_string()
            .contains("1 of 3 jobs missing"));
        assert!(merge(vec![r(0), r(1), r(1), r(2)])
            .unwrap_err()
            .to_string()
            .contains("job 1 twice"));
    }

    #[test]
    fn bad_grids_are_refused_naming_the_problem() {
        let e = Grid::parse("presets = []\nseeds = [1]\ndays = 1", "g").unwrap_err();
        assert!(e.to_string().contains("presets or data"), "{e}");
        let e = Grid::parse("presets = [\"calm\"]\nseeds = []\ndays = 1", "g").unwrap_err();
        assert!(e.to_string().contains("at least one"), "{e}");
        // Data is replayed whole: days does not apply, and presets go with days.
        let e = Grid::parse("data = \"d\"\nseeds = [1]\ndays = 3", "g").unwrap_err();
        assert!(e.to_string().contains("line 3: days does not apply"), "{e}");
        let e = Grid::parse("presets = [\"calm\"]\nseeds = [1]", "g").unwrap_err();
        assert!(e.to_string().contains("days is required"), "{e}");
        let data = Grid::parse(
            "data = \"d\"\nseeds = [1, 2]\nroll_modes = [\"legs\", \"package\"]",
            "g",
        )
        .unwrap();
        let jobs = data.jobs();
        assert_eq!(jobs.len(), 4);
        assert!(jobs.iter().all(|j| j.preset.is_none()));
        assert_eq!(jobs[1].roll_mode, RollMode::Package);
        let e = Grid::parse(
            "presets = [\"calm\"]\nseeds = [1]\ndays = 1\nspeed = 2",
            "g",
        )
        .unwrap_err();
        assert!(e.to_string().contains("speed"), "{e}");
        let e = Grid::parse(
            "presets = [\"calm\"]\nseeds = [1]\ndays = 1\nstrategies = [\"x\"]",
            "g",
        )
        .unwrap_err();
        // Not a strategy: the TOML error names the value and its line.
        assert!(
            e.to_string().contains("\"x\"") && e.to_string().contains("line 4"),
            "{e}"
        );
        let e = Grid::parse("presets = [\"calm\"]\nseeds = [1]\ndays = 3651", "g").unwrap_err();
        assert!(e.to_string().contains("line 3: days = 3651"), "{e}");
        // A preset that is not one: the TOML error names its line.
        let e = Grid::parse("seeds = [1]\npresets = [\"calmer\"]\ndays = 1", "g").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        let a = Grid::parse(GRID, "g").unwrap();
        let mut b = a.clone();
        b.seeds.push(3);
        assert_ne!(a.hash(), b.hash());
        assert_eq!(a.hash(), Grid::parse(GRID, "other name").unwrap().hash());
    }
}
