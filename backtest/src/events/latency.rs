//! Latency models: how long a market event takes to reach the strategy (feed) and an order the
//! venue (order). Each model is seeded where it draws, so runs are reproducible.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};
use thiserror::Error;

/// A delay in nanoseconds for each message.
pub trait LatencyModel {
    fn delay_nanos(&mut self) -> i64;
}

/// The same delay every time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Constant {
    pub nanos: i64,
}

impl LatencyModel for Constant {
    fn delay_nanos(&mut self) -> i64 {
        self.nanos
    }
}

#[derive(Debug, Error, PartialEq)]
#[error("latency model: {what} = {value} is invalid: it must be {rule}")]
pub struct LatencyError {
    pub what: &'static str,
    pub value: f64,
    pub rule: &'static str,
}

/// Delays drawn from a log-normal around `median` (a network's long right tail), seeded.
#[derive(Clone, Debug)]
pub struct Jittered {
    dist: LogNormal<f64>,
    rng: ChaCha8Rng,
}

impl Jittered {
    /// `median_nanos` > 0; `sigma` (of the log) >= 0: 0.5 puts the 99th percentile at about
    /// 3.2x the median.
    pub fn new(median_nanos: f64, sigma: f64, seed: u64) -> Result<Jittered, LatencyError> {
        if !(median_nanos.is_finite() && median_nanos > 0.0) {
            return Err(LatencyError {
                what: "median",
                value: median_nanos,
                rule: "a finite number of nanoseconds above 0",
            });
        }
        let dist = LogNormal::new(median_nanos.ln(), sigma).map_err(|_| LatencyError {
            what: "sigma",
            value: sigma,
            rule: "finite and at least 0",
        })?;
        Ok(Jittered {
            dist,
            rng: ChaCha8Rng::seed_from_u64(seed),
        })
    }
}

impl LatencyModel for Jittered {
    fn delay_nanos(&mut self) -> i64 {
        self.dist.sample(&mut self.rng).round() as i64
    }
}

/// A latency as the config file gives it: a median and a log-normal sigma (0: constant).
#[derive(Clone, Copy, Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatencySpec {
    pub median_ms: f64,
    pub sigma: f64,
}

impl TryFrom<LatencySpec> for Latency {
    type Error = String;
    fn try_from(s: LatencySpec) -> Result<Latency, String> {
        if !(s.median_ms.is_finite() && s.median_ms >= 0.0) {
            return Err(format!(
                "median_ms = {} must be a finite number at least 0",
                s.median_ms
            ));
        }
        if !(s.sigma.is_finite() && s.sigma >= 0.0) {
            return Err(format!(
                "sigma = {} must be a finite number at least 0",
                s.sigma
            ));
        }
        Ok(Latency::from_config(s.median_ms, s.sigma))
    }
}

/// A latency model as configured: constant, or log-normal around a median.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(try_from = "LatencySpec")]
pub enum Latency {
    Constant {
        ms: f64,
    },
    /// Log-normal around the median (seeded from the run's seed).
    Jittered {
        median_ms: f64,
        sigma: f64,
    },
}

impl Latency {
    /// A median in milliseconds and a log-normal sigma (0: constant).
    pub fn from_config(median_ms: f64, sigma: f64) -> Latency {
        if sigma > 0.0 {
            Latency::Jittered {
                median_ms: median_ms.max(1e-6),
                sigma,
            }
        } else {
            Latency::Constant { ms: median_ms }
        }
    }

    /// The model, drawing (where it draws) from `seed`.
    pub fn model(&self, seed: u64) -> Box<dyn LatencyModel> {
        match *self {
            Latency::Constant { ms } => Box::new(Constant {
                nanos: (ms * 1e6) as i64,
            }),
            Latency::Jittered { median_ms, sigma } => {
                match Jittered::new(median_ms * 1e6, sigma, seed ^ 0x1a7e) {
                    Ok(j) => Box::new(j),
                    // An invalid spec (median <= 0, sigma not finite) is a constant delay at the
                    // median instead.
                    Err(_) => Box::new(Constant {
                        nanos: (median_ms.max(0.0) * 1e6) as i64,
                    }),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_and_jittered() {
        let mut c = Constant { nanos: 5_000_000 };
        assert_eq!(c.delay_nanos(), 5_000_000);
        let draw = |seed| {
            let mut j = Jittered::new(2e6, 0.5, seed).unwrap();
            (0..10_001).map(|_| j.delay_nanos()).collect::<Vec<i64>>()
        };
        let a = draw(1);
        assert_eq!(a, draw(1));
        assert_ne!(a, draw(2));
        assert!(a.iter().all(|d| *d > 0));
        let mut sorted = a.clone();
        sorted.sort_unstable();
        let median = sorted[5000] as f64;
        assert!((median / 2e6 - 1.0).abs() < 0.05, "median {median}");
        assert!(Jittered::new(-1.0, 0.5, 0).is_err());
        assert!(Jittered::new(1e6, f64::NAN, 0).is_err());
    }
}
