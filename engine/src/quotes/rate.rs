//! A token bucket: at most `per_second` actions in any second, refilled continuously from the
//! timestamps it is handed (it never reads a clock).

use crate::time::Timestamp;

#[derive(Clone, Debug)]
pub struct RateLimit {
    per_second: f64,
    tokens: f64,
    last: Option<Timestamp>,
}

impl RateLimit {
    /// A full bucket of `per_second` actions.
    pub fn new(per_second: u32) -> RateLimit {
        RateLimit {
            per_second: f64::from(per_second),
            tokens: f64::from(per_second),
            last: None,
        }
    }

    /// Actions that may be sent at `now`, after refilling for the time since the last call.
    pub fn available(&mut self, now: Timestamp) -> usize {
        if let Some(last) = self.last {
            let seconds = (now.0 - last.0).max(0) as f64 / Timestamp::NANOS_PER_SEC as f64;
            self.tokens = (self.tokens + seconds * self.per_second).min(self.per_second);
        }
        self.last = Some(now);
        // Truncation: the tokens are never negative (so it is their floor), without libm's
        // floor, a call on the baseline target, made at every requote.
        self.tokens as usize
    }

    /// Spends `n` actions (at most what [`RateLimit::available`] said).
    pub fn spend(&mut self, n: usize) {
        self.tokens = (self.tokens - n as f64).max(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refills_with_time_and_caps_at_one_second() {
        let mut r = RateLimit::new(10);
        let t0 = Timestamp::from_millis(0);
        assert_eq!(r.available(t0), 10);
        r.spend(10);
        assert_eq!(r.available(t0), 0);
        assert_eq!(r.available(Timestamp::from_millis(250)), 2);
        assert_eq!(r.available(Timestamp::from_millis(60_000)), 10);
    }
}
