//! The index path: Heston stochastic variance (full-truncation Euler) with Merton jumps, one step
//! per `step_seconds`, streamed (memory does not grow with the horizon) and reproducible from a
//! seed (ChaCha8, portable across machines).
//!
//! `ln S` moves by `(μ - v/2)dt + √(v dt)·Z_s + J`, and `v` by `κ(θ - v)dt + ξ√(v dt)·Z_v`,
//! with `corr(Z_s, Z_v) = ρ`; a jump arrives with probability `λ dt` and is `N(μ_J, σ_J²)` in
//! log price. An optional crash adds, over its window, a fall of `fall` spread evenly in log
//! price, and leaves the variance at `after_variance` (from which it decays back to θ).

use engine::Timestamp;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// Seconds in a year of 365 days: the time unit of the rates below.
const YEAR_SECONDS: f64 = 365.0 * 86_400.0;

/// A scheduled crash.
#[derive(Clone, Debug, PartialEq)]
pub struct Crash {
    /// Seconds after the start.
    pub start_seconds: f64,
    pub duration_seconds: f64,
    /// The fraction lost over the window (0.35: the index ends it 35% lower, jumps and
    /// diffusion aside).
    pub fall: f64,
    /// Annualised variance right after the crash.
    pub after_variance: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PathConfig {
    pub start: Timestamp,
    pub s0: f64,
    pub step_seconds: f64,
    pub days: f64,
    /// Annual log drift μ.
    pub drift: f64,
    /// Annualised variance: initial v0 and long-run θ.
    pub v0: f64,
    pub theta: f64,
    /// Mean reversion κ (per year) and vol of variance ξ.
    pub kappa: f64,
    pub xi: f64,
    pub rho: f64,
    /// Jumps per year λ, and their log size N(μ_J, σ_J²).
    pub jumps_per_year: f64,
    pub jump_mean: f64,
    pub jump_std: f64,
    pub crash: Option<Crash>,
}

/// The built-in market scenarios.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Deserialize, serde::Serialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// Around 50% vol, no trend, rare small jumps.
    Calm,
    /// A falling market: -150% a year of drift (about -12% a month), 65% vol, more and larger
    /// down jumps.
    TrendDown,
    /// Calm, then a 35% fall within one hour (on day 10 unless told), vol at 120% after it,
    /// decaying.
    Crash,
}

/// The length of a synthetic run unless told: the presets run as long as asked.
pub const PRESET_DAYS: f64 = 30.0;

/// The longest synthetic run: ten years of minutes (5.3 M steps), the path streamed.
pub const MAX_DAYS: f64 = 3650.0;

/// The crash's day unless told.
pub const CRASH_DAY: f64 = 10.0;

/// Checks the days asked of a synthetic run: above 0 and at most [`MAX_DAYS`]. The one place
/// that limit is applied; `what` names the input (`--days`, the grid's `days`).
pub fn check_days(what: &str, days: f64) -> Result<(), String> {
    if days.is_finite() && days > 0.0 && days <= MAX_DAYS {
        Ok(())
    } else {
        Err(format!(
            "{what} {days} must be above 0 and at most {MAX_DAYS}"
        ))
    }
}

/// Checks the crash's day: at or after the start and before the run's end (`days`).
pub fn check_crash_day(what: &str, day: f64, days: f64) -> Result<(), String> {
    if day.is_finite() && day >= 0.0 && day < days {
        Ok(())
    } else {
        Err(format!(
            "{what} {day} must be at least 0 and before the run's end (day {days})"
        ))
    }
}

impl Preset {
    pub fn name(self) -> &'static str {
        match self {
            Preset::Calm => "calm",
            Preset::TrendDown => "trend-down",
            Preset::Crash => "crash",
        }
    }

    /// The preset's path over `days`, its crash (if any) starting on `crash_day`.
    pub fn config_for(self, days: f64, crash_day: f64) -> PathConfig {
        let mut c = self.config();
        c.days = days;
        if let Some(crash) = &mut c.crash {
            crash.start_seconds = crash_day * 86_400.0;
        }
        c
    }

    /// The preset's path over [`PRESET_DAYS`], a crash on day [`CRASH_DAY`].
    pub fn config(self) -> PathConfig {
        let calm = PathConfig {
            // 2026-03-01T00:00:00Z
            start: Timestamp::from_millis(1_772_323_200_000),
            s0: 2000.0,
            step_seconds: 60.0,
            days: PRESET_DAYS,
            drift: 0.0,
            v0: 0.25,
            theta: 0.25,
            kappa: 5.0,
            xi: 0.5,
            rho: -0.5,
            jumps_per_year: 4.0,
            jump_mean: -0.01,
            jump_std: 0.02,
            crash: None,
        };
        match self {
            Preset::Calm => calm,
            Preset::TrendDown => PathConfig {
                drift: -1.5,
                v0: 0.65 * 0.65,
                theta: 0.65 * 0.65,
                jumps_per_year: 12.0,
                jump_mean: -0.03,
                jump_std: 0.03,
                ..calm
            },
            Preset::Crash => PathConfig {
                crash: Some(Crash {
                    start_seconds: CRASH_DAY * 86_400.0,
                    duration_seconds: 3600.0,
                    fall: 0.35,
                    after_variance: 1.2 * 1.2,
                }),
                ..calm
            },
        }
    }
}

/// One point of the path.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IndexPoint {
    pub at: Timestamp,
    pub price: f64,
    /// The instantaneous annualised vol √v.
    pub vol: f64,
}

/// The path as an iterator: the start point, then one point per step to the horizon.
pub struct IndexPath {
    config: PathConfig,
    rng: ChaCha8Rng,
    step: u64,
    steps: u64,
    ln_s: f64,
    v: f64,
}

impl IndexPath {
    pub fn new(config: PathConfig, seed: u64) -> IndexPath {
        let steps = (config.days * 86_400.0 / config.step_seconds).round() as u64;
        IndexPath {
            ln_s: config.s0.ln(),
            v: config.v0,
            rng: ChaCha8Rng::seed_from_u64(seed),
            step: 0,
            steps,
            config,
        }
    }

    fn point(&self) -> IndexPoint {
        let nanos = (self.step as f64 * self.config.step_seconds * 1e9) as i64;
        IndexPoint {
            at: Timestamp(self.config.start.0 + nanos),
            price: self.ln_s.exp(),
            vol: self.v.max(0.0).sqrt(),
        }
    }
}

impl Iterator for IndexPath {
    type Item = IndexPoint;

    fn next(&mut self) -> Option<IndexPoint> {
        if self.step > self.steps {
            return None;
        }
        let current = self.point();
        // Advance to the next step (the last point is the horizon itself).
        let c = &self.config;
        let dt = c.step_seconds / YEAR_SECONDS;
        let v = self.v.max(0.0);
        let z_v: f64 = StandardNormal.sample(&mut self.rng);
        let z_2: f64 = StandardNormal.sample(&mut self.rng);
        let z_s = c.rho * z_v + (1.0 - c.rho * c.rho).sqrt() * z_2;
        let mut d_ln = (c.drift - 0.5 * v) * dt + (v * dt).sqrt() * z_s;
        if self.rng.random::<f64>() < c.jumps_per_year * dt {
            let z_j: f64 = StandardNormal.sample(&mut self.rng);
            d_ln += c.jump_mean + c.jump_std * z_j;
        }
        self.v = self.v + c.kappa * (c.theta - v) * dt + c.xi * (v * dt).sqrt() * z_v;
        if let Some(crash) = &c.crash {
            let t = self.step as f64 * c.step_seconds;
            let end = crash.start_seconds + crash.duration_seconds;
            if t >= crash.start_seconds && t < end {
                d_ln += (1.0 - crash.fall).ln() * c.step_seconds / crash.duration_seconds;
                if t + c.step_seconds >= end {
                    self.v = crash.after_variance;
                }
            }
        }
        self.ln_s += d_ln;
        self.step += 1;
        Some(current)
    }
}
