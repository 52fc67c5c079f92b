//! The client's own request budget, so that Deribit's `too_many_requests` (which ends the session)
//! is never reached: matching-engine requests (orders, edits, cancels) and the rest draw from two
//! separate buckets, each a rate a second with a burst, as `private/get_account_summary` gives
//! them (`limits`), Deribit's published defaults until then. After a `too_many_requests` anyway
//! the rates are halved (`slow_down`) until the owner restores them.

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use serde_json::Value;
use std::num::NonZeroU32;
use std::time::Duration;

/// Requests a second and the burst, for one bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub per_second: u32,
    pub burst: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub matching: Rate,
    pub other: Rate,
}

impl Default for Limits {
    /// Deribit's published defaults (the lowest tier): matching engine 5 a second, bursts of 20;
    /// other requests 20 a second, bursts of 100.
    fn default() -> Limits {
        Limits {
            matching: Rate {
                per_second: 5,
                burst: 20,
            },
            other: Rate {
                per_second: 20,
                burst: 100,
            },
        }
    }
}

impl Limits {
    /// The account's limits from a `private/get_account_summary` result (`limits`, with the
    /// matching engine's either flat or grouped under `total`); the defaults for what it lacks.
    pub fn from_account_summary(result: &Value) -> Limits {
        let rate = |v: &Value| -> Option<Rate> {
            let n = |k: &str| {
                v[k].as_u64()
                    .and_then(|x| u32::try_from(x).ok())
                    .filter(|x| *x > 0)
            };
            Some(Rate {
                per_second: n("rate")?,
                burst: n("burst")?,
            })
        };
        let limits = &result["limits"];
        let me = &limits["matching_engine"];
        let d = Limits::default();
        Limits {
            matching: rate(me)
                .or_else(|| rate(&me["total"]))
                .unwrap_or(d.matching),
            other: rate(&limits["non_matching_engine"]).unwrap_or(d.other),
        }
    }
}

/// Whether `method` goes to Deribit's matching engine (its own, smaller budget).
pub fn is_matching(method: &str) -> bool {
    matches!(
        method,
        "private/buy"
            | "private/sell"
            | "private/edit"
            | "private/edit_by_label"
            | "private/cancel"
            | "private/cancel_by_label"
            | "private/cancel_all"
            | "private/cancel_all_by_currency"
            | "private/cancel_all_by_instrument"
            | "private/close_position"
            | "private/mass_quote"
    )
}

type Limiter<C> = RateLimiter<NotKeyed, InMemoryState, C, NoOpMiddleware<<C as Clock>::Instant>>;

pub struct Budget<C: Clock + Clone = DefaultClock> {
    clock: C,
    limits: Limits,
    matching: Limiter<C>,
    other: Limiter<C>,
    /// Whether the rates are halved after a `too_many_requests`.
    pub slowed: bool,
}

impl Rate {
    /// The rate as a governor quota (halved where `slowed`, at least one a second).
    pub fn quota(self, slowed: bool) -> Quota {
        let per_second = if slowed {
            (self.per_second / 2).max(1)
        } else {
            self.per_second
        };
        let nz = |n: u32| NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
        Quota::per_second(nz(per_second)).allow_burst(nz(self.burst))
    }
}

impl<C: Clock + Clone> Budget<C> {
    pub fn with_clock(limits: Limits, clock: &C) -> Budget<C> {
        Budget {
            clock: clock.clone(),
            limits,
            matching: RateLimiter::direct_with_clock(limits.matching.quota(false), clock.clone()),
            other: RateLimiter::direct_with_clock(limits.other.quota(false), clock.clone()),
            slowed: false,
        }
    }

    /// Spends one request of `method`'s bucket now, or says how long until it may.
    pub fn spend(&self, method: &str) -> Result<(), Duration> {
        let limiter = if is_matching(method) {
            &self.matching
        } else {
            &self.other
        };
        limiter
            .check()
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// New limits (from the account summary), or the same ones halved after a
    /// `too_many_requests` (`slowed`); the buckets start full.
    pub fn set(&mut self, limits: Limits, slowed: bool) {
        *self = Budget::with_clock(limits, &self.clock);
        if slowed {
            self.matching =
                RateLimiter::direct_with_clock(limits.matching.quota(true), self.clock.clone());
            self.other =
                RateLimiter::direct_with_clock(limits.other.quota(true), self.clock.clone());
            self.slowed = true;
        }
    }

    /// Halves the rates (after the venue said `too_many_requests`).
    pub fn slow_down(&mut self) {
        self.set(self.limits, true);
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }
}

impl Budget<DefaultClock> {
    pub fn new(limits: Limits) -> Budget<DefaultClock> {
        Budget::with_clock(limits, &DefaultClock::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;
    use serde_json::json;

    #[test]
    fn orders_and_other_requests_draw_from_their_own_buckets() {
        let clock = FakeRelativeClock::default();
        let b = Budget::with_clock(Limits::default(), &clock);
        for _ in 0..20 {
            assert!(b.spend("private/buy").is_ok());
        }
        // The burst spent: the next order waits a fifth of a second (5 a second).
        assert_eq!(
            b.spend("private/edit_by_label"),
            Err(Duration::from_millis(200))
        );
        assert!(
            b.spend("public/get_time").is_ok(),
            "the other bucket is untouched"
        );
        clock.advance(Duration::from_millis(200));
        assert!(b.spend("private/cancel_by_label").is_ok());
        assert!(b.spend("private/sell").is_err());
    }

    #[test]
    fn limits_come_from_the_account_summary_and_halve_after_too_many_requests() {
        let flat = json!({"limits": {"matching_engine": {"rate": 10, "burst": 40}, "non_matching_engine": {"rate": 30, "burst": 150}}});
        let grouped = json!({"limits": {"matching_engine": {"total": {"rate": 10, "burst": 40}}}});
        let l = Limits::from_account_summary(&flat);
        assert_eq!(
            l.matching,
            Rate {
                per_second: 10,
                burst: 40
            }
        );
        assert_eq!(
            l.other,
            Rate {
                per_second: 30,
                burst: 150
            }
        );
        let g = Limits::from_account_summary(&grouped);
        assert_eq!((g.matching, g.other), (l.matching, Limits::default().other));
        assert_eq!(Limits::from_account_summary(&json!({})), Limits::default());
        let clock = FakeRelativeClock::default();
        let mut b = Budget::with_clock(l, &clock);
        b.slow_down();
        for _ in 0..40 {
            assert!(b.spend("private/buy").is_ok());
        }
        // 5 a second now, not 10.
        assert_eq!(b.spend("private/buy"), Err(Duration::from_millis(200)));
        assert!(b.slowed);
    }
}
