//! Risk limits on |net| delta, vega and gamma and on gross notional, per expiry bucket and in
//! total, counting every resting quote as filled: a quote is admitted only up to the size that
//! keeps the worst case (all quotes that push a measure one way filled, none of the others)
//! within every bound, so no sequence of fills can pass a limit at the greeks it was sized on.
//! A limit already passed (the market moved) admits nothing that adds to it, and everything that
//! reduces it: it stops adding risk, it never flattens.

use crate::config::Bounds;

/// Greeks of a position or of one contract, in the units of the config: delta in ETH, vega in
/// ETH per vol point, gamma in ETH of delta per USD; notional in contracts.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Exposure {
    pub delta: f64,
    pub vega: f64,
    pub gamma: f64,
}

impl Exposure {
    /// One contract's exposure from its coin greeks (vega per 1.00 of vol, so a hundredth of
    /// it per vol point).
    pub fn of_coin(coin: &engine::pricing::Greeks) -> Exposure {
        Exposure {
            delta: coin.delta,
            vega: coin.vega * 0.01,
            gamma: coin.gamma,
        }
    }

    pub fn scaled(self, k: f64) -> Exposure {
        Exposure {
            delta: self.delta * k,
            vega: self.vega * k,
            gamma: self.gamma * k,
        }
    }
    fn array(&self) -> [f64; 3] {
        [self.delta, self.vega, self.gamma]
    }
}

/// One scope's current exposure and the worst case its admitted quotes add.
#[derive(Clone, Copy, Debug, Default)]
struct Scope {
    current: [f64; 3],
    gross: f64,
    /// Sums of the admitted quotes' positive and negative contributions, per measure.
    up: [f64; 3],
    down: [f64; 3],
    gross_added: f64,
}

impl Scope {
    /// Largest number of contracts of per-contract exposure `e` this scope admits.
    fn room(&self, b: &Bounds, e: &Exposure, adds_gross: bool) -> f64 {
        let bounds = [b.delta, b.vega, b.gamma];
        let e = e.array();
        let mut room = f64::INFINITY;
        for (i, bound) in bounds.into_iter().enumerate() {
            let x = e[i];
            if x > 0.0 {
                room = room.min((bound - self.current[i] - self.up[i]) / x);
            } else if x < 0.0 {
                room = room.min((bound + self.current[i] - self.down[i]) / -x);
            }
        }
        if adds_gross {
            room = room.min(b.notional - self.gross - self.gross_added);
        }
        room.max(0.0)
    }

    /// Whether `n` contracts of `e` fit within the bounds (as `room`, without dividing).
    fn fits(&self, b: &Bounds, e: &Exposure, n: f64, adds_gross: bool) -> bool {
        let bounds = [b.delta, b.vega, b.gamma];
        let e = e.array();
        (0..3).all(|i| {
            let x = e[i] * n;
            if x > 0.0 {
                self.current[i] + self.up[i] + x <= bounds[i]
            } else {
                self.current[i] - self.down[i] + x >= -bounds[i]
            }
        }) && (!adds_gross || self.gross + self.gross_added + n <= b.notional)
    }

    fn admit(&mut self, e: &Exposure, n: f64, adds_gross: bool) {
        for (i, x) in e.array().into_iter().enumerate() {
            let x = x * n;
            if x > 0.0 {
                self.up[i] += x;
            } else {
                self.down[i] -= x;
            }
        }
        if adds_gross {
            self.gross_added += n;
        }
    }

    /// The worst |net| per measure and the gross notional, with every admitted quote filled.
    fn worst(&self) -> ([f64; 3], f64) {
        let mut w = [0.0; 3];
        for (i, wi) in w.iter_mut().enumerate() {
            *wi = (self.current[i] + self.up[i])
                .abs()
                .max((self.current[i] - self.down[i]).abs());
        }
        (w, self.gross + self.gross_added)
    }
}

/// Limits for one requote: positions first, then quotes admitted one by one.
#[derive(Clone, Debug)]
pub struct Limiter {
    bucket: Bounds,
    total: Bounds,
    buckets: Vec<Scope>,
    all: Scope,
}

impl Limiter {
    pub fn new(bucket: Bounds, total: Bounds) -> Limiter {
        Limiter {
            bucket,
            total,
            buckets: Vec::new(),
            all: Scope::default(),
        }
    }

    /// Starts a requote with `n` empty expiry buckets.
    pub fn reset(&mut self, n: usize) {
        self.buckets.clear();
        self.buckets.resize(n, Scope::default());
        self.all = Scope::default();
    }

    /// A held position: its total exposure and its size in contracts.
    pub fn hold(&mut self, bucket: usize, e: Exposure, contracts: f64) {
        for scope in [&mut self.buckets[bucket], &mut self.all] {
            for (c, x) in scope.current.iter_mut().zip(e.array()) {
                *c += x;
            }
            scope.gross += contracts.abs();
        }
    }

    /// Exposure that belongs to no expiry (the perpetual hedge): counted in the total only.
    pub fn hold_total(&mut self, e: Exposure) {
        for (c, x) in self.all.current.iter_mut().zip(e.array()) {
            *c += x;
        }
    }

    /// Admits up to `wanted` contracts of per-contract exposure `e` (signed for the quote's side)
    /// and returns how many; `adds_gross` when a fill would grow the position's size.
    #[inline]
    pub fn admit(&mut self, bucket: usize, e: Exposure, wanted: f64, adds_gross: bool) -> f64 {
        // Usually everything fits: check that with multiplications, and divide only when not.
        let fits = self.buckets[bucket].fits(&self.bucket, &e, wanted, adds_gross)
            && self.all.fits(&self.total, &e, wanted, adds_gross);
        let n = if fits {
            wanted
        } else {
            wanted.min(
                self.buckets[bucket]
                    .room(&self.bucket, &e, adds_gross)
                    .min(self.all.room(&self.total, &e, adds_gross)),
            )
        };
        if n > 0.0 {
            self.buckets[bucket].admit(&e, n, adds_gross);
            self.all.admit(&e, n, adds_gross);
        }
        n.max(0.0)
    }

    /// Worst |delta|, |vega|, |gamma| and gross notional of a bucket with every admitted quote
    /// filled (what the tests hold against the bounds).
    pub fn worst_bucket(&self, bucket: usize) -> ([f64; 3], f64) {
        self.buckets[bucket].worst()
    }
}

/// One scope's net exposure and gross contracts, before or after a trade done at once (a
/// package), where [`Limiter`] sizes quotes resting together.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Book {
    pub exposure: Exposure,
    pub contracts: f64,
}

impl Book {
    /// `lots` (signed) of a contract of exposure `e`, into a position of `held` lots.
    pub fn add(&mut self, e: Exposure, held: f64, lots: f64) {
        let x = e.scaled(lots);
        self.exposure.delta += x.delta;
        self.exposure.vega += x.vega;
        self.exposure.gamma += x.gamma;
        self.contracts += (held + lots).abs() - held.abs();
    }
}

/// Whether a scope going from `before` to `after` stays within `b`: each measure within its
/// bound, or no further from zero than before (a limit already passed admits only what reduces
/// it). `delta: false` leaves delta to a hedge (a package maker hedges it on the future).
pub fn change_within(b: &Bounds, before: &Book, after: &Book, delta: bool) -> bool {
    let ok = |bound: f64, x0: f64, x1: f64| x1.abs() <= bound || x1.abs() <= x0.abs();
    let (e0, e1) = (before.exposure, after.exposure);
    (!delta || ok(b.delta, e0.delta, e1.delta))
        && ok(b.vega, e0.vega, e1.vega)
        && ok(b.gamma, e0.gamma, e1.gamma)
        && ok(b.notional, before.contracts, after.contracts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounds(v: f64) -> Bounds {
        Bounds {
            delta: v,
            vega: v,
            gamma: v,
            notional: 1000.0,
        }
    }

    #[test]
    fn admits_up_to_the_room_and_only_reducing_risk_past_a_limit() {
        let mut l = Limiter::new(bounds(10.0), bounds(100.0));
        l.reset(1);
        let e = Exposure {
            delta: 1.0,
            vega: 0.5,
            gamma: 0.0,
        };
        assert_eq!(l.admit(0, e, 4.0, true), 4.0);
        // 6 of delta left.
        assert_eq!(l.admit(0, e, 100.0, true), 6.0);
        assert_eq!(l.admit(0, e, 1.0, true), 0.0);
        // The other way is still open down to -10 of delta: the admitted upside does not count
        // against it (both sides cannot fill at once into the same worst case).
        assert_eq!(l.admit(0, e.scaled(-1.0), 25.0, false), 10.0);
        // Past a limit already: only reducing quotes are admitted.
        let mut l = Limiter::new(bounds(10.0), bounds(100.0));
        l.reset(1);
        l.hold(0, e.scaled(12.0), 12.0);
        assert_eq!(l.admit(0, e, 1.0, true), 0.0);
        assert!(l.admit(0, e.scaled(-1.0), 3.0, false) == 3.0);
    }

    #[test]
    fn a_trade_done_at_once_stays_within_or_reduces() {
        let b = bounds(10.0);
        let e = Exposure {
            delta: 0.5,
            vega: 0.2,
            gamma: 0.0,
        };
        let before = Book::default();
        let mut after = before;
        after.add(e, 0.0, 40.0);
        // Vega 8 and 40 contracts fit; delta 20 does not, unless a hedge takes it.
        assert!(!change_within(&b, &before, &after, true));
        assert!(change_within(&b, &before, &after, false));
        let mut more = after;
        more.add(e, 40.0, 20.0);
        assert!(!change_within(&b, &after, &more, false), "vega 12 > 10");
        // Past the limit, taking some back is admitted; the gross falls with it.
        let mut back = more;
        back.add(e, 60.0, -5.0);
        assert_eq!(back.contracts, 55.0);
        assert!(change_within(&b, &more, &back, false));
        let tight = Bounds {
            vega: 100.0,
            notional: 50.0,
            ..b
        };
        assert!(
            !change_within(&tight, &before, &more, false),
            "60 contracts > 50"
        );
    }
}
