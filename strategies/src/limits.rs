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

/// The bounds on delta, vega and gamma, in [`Exposure::array`]'s order.
fn measures(b: &Bounds) -> [f64; 3] {
    [b.delta, b.vega, b.gamma]
}

/// Quotes counted as filled, per measure each way (the sums of their positive and of their
/// negative contributions), and in gross contracts.
#[derive(Clone, Copy, Debug, Default)]
struct Added {
    up: [f64; 3],
    down: [f64; 3],
    gross: f64,
}

impl Added {
    /// `x` per measure (`n` contracts of a quote's exposure), and `n` when it grows the gross.
    fn add(&mut self, x: &[f64; 3], n: f64, adds_gross: bool) {
        for (i, &x) in x.iter().enumerate() {
            if x > 0.0 {
                self.up[i] += x;
            } else {
                self.down[i] -= x;
            }
        }
        if adds_gross {
            self.gross += n;
        }
    }

    /// Another's sums added to these.
    fn add_sums(&mut self, other: &Added) {
        for i in 0..3 {
            self.up[i] += other.up[i];
            self.down[i] += other.down[i];
        }
        self.gross += other.gross;
    }
}

/// Relative room [`Scope::settle`] leaves for rounding: the sums of a requote's quotes, taken
/// quote by quote or series by series, differ by a few ulps per term, a million terms stay
/// under 1e-9 of their magnitude.
const SURE_MARGIN: f64 = 1e-9;

/// One scope's current exposure and the worst case its admitted quotes add.
#[derive(Clone, Copy, Debug, Default)]
struct Scope {
    current: [f64; 3],
    gross: f64,
    admitted: Added,
    /// At most what this requote's quotes may add ([`Limiter::may_admit`]).
    may: Added,
    /// Even with all of `may` filled every bound holds, with [`SURE_MARGIN`] to spare: every
    /// quote fits, and none needs checking or counting.
    sure: bool,
}

impl Scope {
    /// Largest number of contracts of per-contract exposure `e` this scope admits.
    fn room(&self, b: &Bounds, e: &Exposure, adds_gross: bool) -> f64 {
        let bounds = measures(b);
        let e = e.array();
        let a = &self.admitted;
        let mut room = f64::INFINITY;
        for (i, bound) in bounds.into_iter().enumerate() {
            let x = e[i];
            if x > 0.0 {
                room = room.min((bound - self.current[i] - a.up[i]) / x);
            } else if x < 0.0 {
                room = room.min((bound + self.current[i] - a.down[i]) / -x);
            }
        }
        if adds_gross {
            room = room.min(b.notional - self.gross - a.gross);
        }
        room.max(0.0)
    }

    /// Whether adding `x` (per measure: `n` contracts of a quote's exposure) and `n` contracts
    /// fits within the bounds (as `room`, without dividing).
    fn fits(&self, b: &Bounds, x: &[f64; 3], n: f64, adds_gross: bool) -> bool {
        let bounds = measures(b);
        let a = &self.admitted;
        (0..3).all(|i| {
            if x[i] > 0.0 {
                self.current[i] + a.up[i] + x[i] <= bounds[i]
            } else {
                self.current[i] - a.down[i] + x[i] >= -bounds[i]
            }
        }) && (!adds_gross || self.gross + a.gross + n <= b.notional)
    }

    /// Whether all of `may` fits within `b` with room to spare. Then `fits` holds for every
    /// quote (its sums never pass `may`'s), and `room` exceeds every quote's size by more than
    /// its rounding: checking changes no quote, so it is skipped.
    fn settle(&mut self, b: &Bounds) {
        let bounds = measures(b);
        let may = &self.may;
        let measures = (0..3).all(|i| {
            let (c, up, down, bound) = (self.current[i], may.up[i], may.down[i], bounds[i]);
            let spare = SURE_MARGIN * (c.abs() + up + down + bound);
            c + up + spare <= bound && c - down - spare >= -bound
        });
        let spare = SURE_MARGIN * (self.gross + may.gross + b.notional);
        self.sure = measures && self.gross + may.gross + spare <= b.notional;
    }
}

/// Limits for one requote: positions first, then every quote it may make, then quotes admitted
/// one by one.
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

    /// Up to `contracts` of per-contract exposure `e` (signed as for [`Limiter::admit`]) may be
    /// asked of this requote. Every quote [`Limiter::admit`] sees must have been declared
    /// here first (one call may cover several quotes of the same exposure and gross flag, up
    /// to their total size), and [`Limiter::settle`] called in between.
    #[inline]
    pub fn may_admit(&mut self, bucket: usize, e: Exposure, contracts: f64, adds_gross: bool) {
        let x = e.scaled(contracts).array();
        self.buckets[bucket].may.add(&x, contracts, adds_gross);
    }

    /// After the last [`Limiter::may_admit`]: the scopes whose limits no declared quote can
    /// reach are marked, and their quotes go unchecked (they would all fit). The total's bound
    /// is the buckets' bounds added up (the same terms in another order: within the margin).
    pub fn settle(&mut self) {
        self.all.may = Added::default();
        for scope in &mut self.buckets {
            scope.settle(&self.bucket);
            self.all.may.add_sums(&scope.may);
        }
        self.all.settle(&self.total);
    }

    /// Whether every quote declared to `bucket` is sure to be admitted whole (the bucket and the
    /// total are sure since [`Limiter::settle`]): then [`Limiter::admit`] returns what it is asked
    /// and records nothing, and a caller may skip it. Never in a debug build, where `admit`
    /// checks that each quote was declared.
    #[inline]
    pub fn admits_all(&self, bucket: usize) -> bool {
        self.buckets[bucket].sure && self.all.sure && !cfg!(debug_assertions)
    }

    /// Admits up to `wanted` contracts of per-contract exposure `e` (signed for the quote's side)
    /// and returns how many; `adds_gross` when a fill would grow the position's size.
    #[inline]
    pub fn admit(&mut self, bucket: usize, e: Exposure, wanted: f64, adds_gross: bool) -> f64 {
        // Usually everything fits: check that with multiplications (taken once for both scopes
        // and the sums), and divide only when not.
        let x = e.scaled(wanted).array();
        let (b, a) = (&self.buckets[bucket], &self.all);
        // Debug builds (the tests) count a sure scope's quotes too and hold them to its bounds:
        // a quote that was not declared first would show here.
        debug_assert!(
            !b.sure || b.room(&self.bucket, &e, adds_gross) > wanted,
            "undeclared quote in expiry bucket {bucket}"
        );
        debug_assert!(
            !a.sure || a.room(&self.total, &e, adds_gross) > wanted,
            "undeclared quote in the total"
        );
        let fits = (b.sure || b.fits(&self.bucket, &x, wanted, adds_gross))
            && (a.sure || a.fits(&self.total, &x, wanted, adds_gross));
        let (n, x) = if fits {
            (wanted, x)
        } else {
            // A sure scope's room exceeds `wanted`: only the other one can bind.
            let room = |s: &Scope, bounds| match s.sure {
                true => f64::INFINITY,
                false => s.room(bounds, &e, adds_gross),
            };
            let n = wanted.min(room(b, &self.bucket).min(room(a, &self.total)));
            (n, e.scaled(n).array())
        };
        if n > 0.0 {
            for scope in [&mut self.buckets[bucket], &mut self.all] {
                if !scope.sure || cfg!(debug_assertions) {
                    scope.admitted.add(&x, n, adds_gross);
                }
            }
        }
        n.max(0.0)
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
    use proptest::prelude::*;

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

    /// A quote: bucket, exposure per contract, contracts wanted, whether it grows the gross,
    /// and how much more than it the requote declared (`may_admit` is an upper bound).
    type Quote = (usize, [f64; 3], f64, bool, f64);

    fn quote() -> impl Strategy<Value = Quote> {
        let measure = prop_oneof![-2.0..2.0f64, Just(0.0)];
        (
            0..3usize,
            [measure.clone(), measure.clone(), measure],
            prop_oneof![0.0..50.0f64, Just(0.0)],
            any::<bool>(),
            prop_oneof![Just(1.0), 1.0..1.5f64],
        )
    }

    /// The limiter over `quotes` after holding `held` in bucket 0, declaring them first or not.
    fn admitted(b: &Bounds, held: [f64; 3], quotes: &[Quote], declared: bool) -> (Vec<f64>, usize) {
        let mut l = Limiter::new(b.clone(), b.clone());
        l.reset(3);
        let e = |x: [f64; 3]| Exposure {
            delta: x[0],
            vega: x[1],
            gamma: x[2],
        };
        l.hold(0, e(held), held[0].abs());
        if declared {
            for &(bucket, x, n, adds, more) in quotes {
                l.may_admit(bucket, e(x), n * more, adds);
            }
            l.settle();
        }
        let sure = l.buckets.iter().chain([&l.all]).filter(|s| s.sure).count();
        let n = quotes
            .iter()
            .map(|&(bucket, x, n, adds, _)| l.admit(bucket, e(x), n, adds))
            .collect();
        (n, sure)
    }

    proptest! {
        /// Declaring the quotes first changes no admitted size, bit for bit, whether their
        /// limits are far (sure: unchecked), near or already passed.
        #[test]
        fn declared_quotes_are_admitted_as_checked_ones(
            quotes in prop::collection::vec(quote(), 0..40),
            held in [-30.0..30.0f64, -30.0..30.0f64, -30.0..30.0f64],
            scale in prop_oneof![0.1..2.0f64, 2.0..1000.0f64],
        ) {
            // Bounds around what the quotes add up to: some scopes sure, some binding.
            let total: f64 = quotes.iter().map(|q| q.2 * q.1.iter().map(|x| x.abs()).sum::<f64>()).sum();
            let v = (total + 1.0) * scale;
            let b = Bounds { delta: v, vega: v * 0.5, gamma: v * 0.25, notional: v * 2.0 };
            let (checked, _) = admitted(&b, held, &quotes, false);
            let (declared, _) = admitted(&b, held, &quotes, true);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            prop_assert_eq!(bits(&declared), bits(&checked));
        }
    }

    #[test]
    fn far_limits_leave_the_quotes_unchecked_and_near_ones_checked() {
        let quotes: Vec<Quote> = (0..10)
            .map(|i| (i % 3, [1.0, -0.5, 0.25], 10.0, true, 1.0))
            .collect();
        let (far, sure) = admitted(&bounds(1e6), [0.0; 3], &quotes, true);
        assert_eq!(sure, 4, "three buckets and the total");
        assert!(far.iter().all(|&n| n == 10.0));
        // Delta 40: buckets 1 and 2 (30 each) are sure, bucket 0 (40, no room to spare) and
        // the total (100) are checked, and the total binds after the first four quotes.
        let (near, sure) = admitted(&bounds(40.0), [0.0; 3], &quotes, true);
        assert_eq!(sure, 2);
        assert_eq!(near, admitted(&bounds(40.0), [0.0; 3], &quotes, false).0);
        assert_eq!(near, [10.0, 10.0, 10.0, 10.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    }
}
