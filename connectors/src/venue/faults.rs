//! Faults the local venue injects on purpose, so that a client's handling of a real venue's
//! misbehaviour can be tested: connections dropped, malformed frames, book changes lost (the next
//! one's `prev_change_id` then shows a gap), orders refused, connections that stop answering,
//! frames delayed and reordered. Seeded: the same seed injects the same faults in the same order
//! of events. Each injection is counted.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// How often each fault happens (probabilities per event, or rates per minute of a connection).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    /// Connections dropped, per connection per minute.
    pub drop_per_minute: f64,
    /// A malformed frame sent before a frame, per frame.
    pub malformed: f64,
    /// A book change not sent, per change.
    pub lose_book_change: f64,
    /// An order (`private/buy` or `sell`) refused, per order.
    pub refuse_orders: f64,
    /// A connection that stops answering (and sends nothing more) until the client leaves, per
    /// connection per minute.
    pub hang_per_minute: f64,
    /// Each frame held up to this long (milliseconds, uniform).
    pub max_delay_ms: u64,
    /// A frame sent after the one that follows it, per frame.
    pub reorder: f64,
    pub seed: u64,
}

/// What was injected, so far, and whether the faults have ended.
#[derive(Debug, Default)]
pub struct Injected {
    /// Set by [`Injected::end`]: no fault is injected after it.
    ended: AtomicBool,
    pub dropped: AtomicU64,
    pub malformed: AtomicU64,
    pub lost_book_changes: AtomicU64,
    pub refused_orders: AtomicU64,
    pub hung: AtomicU64,
    pub reordered: AtomicU64,
    /// Requests past the venue's rate limit (refused with too_many_requests, the connection closed).
    pub rate_limited: AtomicU64,
}

impl Injected {
    pub fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Ends the faults: none is injected from here, and a hung connection speaks again (what
    /// it missed stays missed), so that a test can check a client ends consistent once the
    /// faults have passed.
    pub fn end(&self) {
        self.ended.store(true, Ordering::Relaxed);
    }

    pub fn ended(&self) -> bool {
        self.ended.load(Ordering::Relaxed)
    }

    /// The counts as `name count` pairs.
    pub fn report(&self) -> String {
        let n = |c: &AtomicU64| c.load(Ordering::Relaxed);
        format!(
            "dropped {} malformed {} lost_book_changes {} refused_orders {} hung {} reordered {} rate_limited {}",
            n(&self.dropped),
            n(&self.malformed),
            n(&self.lost_book_changes),
            n(&self.refused_orders),
            n(&self.hung),
            n(&self.reordered),
            n(&self.rate_limited)
        )
    }
}

/// The faults' dice and counts.
pub struct Dice {
    pub faults: Faults,
    rng: ChaCha8Rng,
    pub injected: Arc<Injected>,
}

/// A frame that is no JSON at all.
pub const MALFORMED: &str = "{\"jsonrpc\":\"2.0\",\"method\":\"subscription\",\"params\":{\"chan";

impl Dice {
    pub fn new(faults: Faults, injected: Arc<Injected>) -> Dice {
        let rng = ChaCha8Rng::seed_from_u64(faults.seed);
        Dice {
            faults,
            rng,
            injected,
        }
    }

    /// Whether an event of probability `p` happens (never for `p` 0, without drawing).
    pub fn roll(&mut self, p: f64) -> bool {
        p > 0.0 && !self.injected.ended() && self.rng.random::<f64>() < p
    }

    /// Whether a rate per minute fires within `seconds`.
    pub fn per_minute(&mut self, rate: f64, seconds: f64) -> bool {
        self.roll(rate * seconds / 60.0)
    }

    /// A delay for one frame, milliseconds.
    pub fn delay_ms(&mut self) -> u64 {
        match self.faults.max_delay_ms {
            0 => 0,
            _ if self.injected.ended() => 0,
            max => self.rng.random_range(0..=max),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_fault_is_injected_once_the_faults_end() {
        let faults = Faults {
            max_delay_ms: 50,
            seed: 3,
            ..Faults::default()
        };
        let mut dice = Dice::new(faults, Arc::default());
        assert!((0..100).any(|_| dice.roll(0.5)));
        assert!((0..100).any(|_| dice.delay_ms() > 0));
        dice.injected.end();
        assert!((0..1000).all(|_| !dice.roll(1.0) && dice.delay_ms() == 0));
        assert!(!dice.per_minute(1e9, 1.0));
    }
}
