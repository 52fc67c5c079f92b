//! Time as data: the engine never reads a clock, it is handed [`Timestamp`]s.

use chrono::{DateTime, Utc};
use std::fmt;

/// Nanoseconds since the Unix epoch, UTC. i64 nanoseconds reach the year 2262.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub const NANOS_PER_SEC: i64 = 1_000_000_000;

    pub fn from_millis(ms: i64) -> Timestamp {
        Timestamp(ms * 1_000_000)
    }
    pub fn from_micros(us: i64) -> Timestamp {
        Timestamp(us * 1_000)
    }
    pub fn from_datetime(dt: DateTime<Utc>) -> Option<Timestamp> {
        dt.timestamp_nanos_opt().map(Timestamp)
    }
    pub fn to_datetime(self) -> DateTime<Utc> {
        DateTime::from_timestamp_nanos(self.0)
    }
    /// Years of 365 days from `self` to `later` (negative if `later` is earlier): the time unit of
    /// option pricing.
    pub fn years_until(self, later: Timestamp) -> f64 {
        (later.0 - self.0) as f64 / (365.0 * 86_400.0 * Self::NANOS_PER_SEC as f64)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_datetime().format("%Y-%m-%dT%H:%M:%S%.fZ"))
    }
}
