//! A token bucket: at most `per_second` actions in any second, refilled continuously from the
//! timestamps it is handed (it never reads a clock).

use crate::time::Timestamp;

/// Billionths of a token in one token: the bucket counts token-nanoseconds.
const NANO: u64 = Timestamp::NANOS_PER_SEC as u64;

#[derive(Clone, Debug)]
pub struct RateLimit {
    per_second: u64,
    /// Billionths of a token, whole: a nanosecond refills exactly `per_second` of them, so the
    /// bucket neither drifts with floating-point rounding nor divides by anything but the
    /// constant [`NANO`] (a multiplication) at every requote. At most `u32::MAX * 1e9`, which fits.
    nano_tokens: u64,
    last: Option<Timestamp>,
}

impl RateLimit {
    /// A full bucket of `per_second` actions.
    pub fn new(per_second: u32) -> RateLimit {
        let per_second = u64::from(per_second);
        RateLimit {
            per_second,
            nano_tokens: per_second * NANO,
            last: None,
        }
    }

    /// Actions that may be sent at `now`, after refilling for the time since the last call.
    pub fn available(&mut self, now: Timestamp) -> usize {
        if let Some(last) = self.last {
            let nanos = (now.0 - last.0).max(0) as u64;
            self.nano_tokens = (self.nano_tokens)
                .saturating_add(nanos.saturating_mul(self.per_second))
                .min(self.per_second * NANO);
        }
        self.last = Some(now);
        (self.nano_tokens / NANO) as usize
    }

    /// Spends `n` actions (at most what [`RateLimit::available`] said).
    pub fn spend(&mut self, n: usize) {
        self.nano_tokens = (self.nano_tokens).saturating_sub((n as u64).saturating_mul(NANO));
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

    /// Ten refills of a tenth of a token make one whole token (summed in floating point they
    /// made 0.9999999999999999, and no action).
    #[test]
    fn refills_add_up_exactly() {
        let mut r = RateLimit::new(10);
        let t0 = Timestamp::from_millis(0);
        let full = r.available(t0);
        r.spend(full);
        for ms in 1..=10 {
            let n = r.available(Timestamp::from_millis(10 * ms));
            assert_eq!(n, usize::from(ms == 10), "after {ms} refills");
        }
    }

    /// The widest cap neither overflows nor runs out.
    #[test]
    fn the_widest_cap_fits() {
        let mut r = RateLimit::new(u32::MAX);
        let t0 = Timestamp::from_millis(0);
        assert_eq!(r.available(t0), u32::MAX as usize);
        r.spend(5);
        assert_eq!(r.available(t0), u32::MAX as usize - 5);
        let year = Timestamp(t0.0 + 365 * 86_400 * Timestamp::NANOS_PER_SEC);
        assert_eq!(r.available(year), u32::MAX as usize);
    }
}
