//! The roll maker: one-sided resting quotes in the calls (N tokens) that P holders roll out of
//! and into, priced off the vol surface, held to expiry; and, on the same machinery, the
//! two-sided baseline ([`RollMaker::two_sided`]) that quotes both sides of every series.
//!
//! Per requote:
//! 1. no index, or an index or surface older than `stale.*`: pull everything, saying why;
//! 2. every series is priced (the batch pricer: fair coin price and greeks at the surface's vol)
//!    and every position enters the limits at those greeks;
//! 3. each series in the universe gets its role ([`classify`]): sell the call where holders roll
//!    out, buy it where they roll in; a stale or quiet book pulls that series;
//! 4. each ladder level is priced `fair ± (edge + carry)`: the edge is the GLFT closed form in vol
//!    points at the expiry bucket's vega inventory (never below `min_edge_vol`), times the
//!    option's vega; the carry pays for holding the contract to expiry. Prices are rounded away
//!    from fair to the tick (ask up, bid down: never through fair in the maker's disfavour) and
//!    kept off the opposite best (post-only);
//! 5. each level's size is cut to `max_series_lots` and to what the limits admit;
//! 6. optionally (`hedge.enabled`, off by default), a resting order on the perpetual for the net
//!    delta beyond `hedge.max_delta`.

pub mod classify;

use crate::config::RollMakerConfig;
use crate::glft::Glft;
use crate::limits::{Exposure, Limiter};
use classify::{expiry_listed, in_universe, role, Role};
use engine::instrument::OptionRight;
use engine::pricing::batch::{greeks_batch, BlackInput};
use engine::pricing::surface::AtTime;
use engine::pricing::{coin, Greeks, OptionType};
use engine::quotes::{QuoteKey, WantedQuote};
use engine::state::{SeriesState, State};
use engine::strategy::{PullReason, Pulled, Strategy, Wanted};
use engine::tick_rule::Rounding;
use engine::units::{Price, Qty, Side};
use engine::Timestamp;

/// Seconds from `then` to `now`.
fn age(now: Timestamp, then: Timestamp) -> f64 {
    (now.0 - then.0) as f64 / Timestamp::NANOS_PER_SEC as f64
}

/// A series priced for this requote.
#[derive(Clone, Copy, Debug, Default)]
struct Priced {
    /// Coin (ETH) price and greeks per contract; vega per 1.00 of vol.
    coin: Greeks,
    t: f64,
    ok: bool,
}

/// Which sides the maker quotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// One side per series, by the roll flow: the roll maker.
    RollFlow,
    /// Both sides of every series in the universe: the two-sided baseline.
    TwoSided,
}

pub struct RollMaker {
    mode: Mode,
    config: RollMakerConfig,
    glft: Glft,
    limiter: Limiter,
    // Scratch reused across requotes.
    inputs: Vec<BlackInput>,
    usd: Vec<Greeks>,
    priced: Vec<Priced>,
    bucket_vega: Vec<f64>,
    listed: Vec<bool>,
    /// Per series: whether this requote needs its price (held, or a quoting candidate).
    needed: Vec<bool>,
    /// Per batch input: the series it prices.
    slots: Vec<usize>,
    /// Per series: the sides quoted this requote.
    sides: Vec<&'static [Side]>,
    /// Years to each expiry.
    expiry_t: Vec<f64>,
    /// ln F per expiry, and (strike, ln strike) per series, kept across requotes.
    ln_forward: Vec<f64>,
    ln_strike: Vec<(f64, f64)>,
    /// The surface at each expiry's t.
    at_expiry: Vec<Option<AtTime>>,
}

impl RollMaker {
    /// The roll maker: one side per series, where the roll flow is.
    pub fn new(config: RollMakerConfig) -> RollMaker {
        RollMaker::with_mode(config, Mode::RollFlow)
    }

    /// The two-sided baseline the backtester compares against: the same pricing, edges (GLFT,
    /// skewed by inventory: the side that adds to it widens, the other narrows), ladder and
    /// limits, but a bid and an ask on every call in the universe, whatever the roll flow.
    /// `[roll]` is not used.
    pub fn two_sided(config: RollMakerConfig) -> RollMaker {
        RollMaker::with_mode(config, Mode::TwoSided)
    }

    fn with_mode(config: RollMakerConfig, mode: Mode) -> RollMaker {
        RollMaker {
            mode,
            glft: Glft::new(&config.edge),
            limiter: Limiter::new(config.limits.bucket.clone(), config.limits.total.clone()),
            config,
            inputs: Vec::new(),
            usd: Vec::new(),
            priced: Vec::new(),
            bucket_vega: Vec::new(),
            listed: Vec::new(),
            needed: Vec::new(),
            slots: Vec::new(),
            sides: Vec::new(),
            expiry_t: Vec::new(),
            ln_forward: Vec::new(),
            ln_strike: Vec::new(),
            at_expiry: Vec::new(),
        }
    }

    pub fn config(&self) -> &RollMakerConfig {
        &self.config
    }

    /// Prices the series marked in `self.needed` at the surface's vol (one batch) into
    /// `self.priced`; a series not needed, past its expiry, or without a vol is marked not ok.
    fn price_needed(&mut self, state: &State) {
        let surface = state.surface.as_ref().map(|s| &s.surface);
        self.ln_forward.clear();
        self.ln_forward
            .extend(state.expiries.iter().map(|e| e.forward.ln()));
        self.at_expiry.clear();
        self.at_expiry.extend(
            self.expiry_t
                .iter()
                .map(|&t| surface.and_then(|sf| sf.at(t))),
        );
        if self.ln_strike.len() != state.series.len()
            || self
                .ln_strike
                .iter()
                .zip(&state.series)
                .any(|(c, s)| c.0 != s.strike)
        {
            self.ln_strike.clear();
            self.ln_strike
                .extend(state.series.iter().map(|s| (s.strike, s.strike.ln())));
        }
        self.inputs.clear();
        self.slots.clear();
        self.priced.clear();
        for (i, s) in state.series.iter().enumerate() {
            let e = &state.expiries[s.expiry];
            let t = self.expiry_t[s.expiry];
            let mut priced = Priced {
                t,
                ..Priced::default()
            };
            if self.needed[i] && t > 0.0 {
                // k = ln K - ln F: ln K is cached per series (strikes do not move), ln F and the
                // surface's slices at t are taken once per expiry.
                let k = self.ln_strike[i].1 - self.ln_forward[s.expiry];
                let vol =
                    self.at_expiry[s.expiry].map(|at| (at.total_variance(k).max(0.0) / t).sqrt());
                if let Some(vol) = vol.filter(|v| v.is_finite() && *v > 0.0) {
                    priced.ok = true;
                    self.slots.push(i);
                    self.inputs.push(BlackInput {
                        kind: match s.right {
                            OptionRight::Call => OptionType::Call,
                            OptionRight::Put => OptionType::Put,
                        },
                        f: e.forward,
                        k: s.strike,
                        t,
                        vol,
                        df: e.df,
                    });
                }
            }
            self.priced.push(priced);
        }
        self.usd.clear();
        self.usd.resize(self.inputs.len(), Greeks::default());
        greeks_batch(&self.inputs, &mut self.usd);
        for ((&i, g), input) in self.slots.iter().zip(&self.usd).zip(&self.inputs) {
            self.priced[i].coin = coin::from_usd(*g, input.f);
        }
    }

    /// The per-contract exposure of buying one contract, in config units.
    fn exposure(coin: &Greeks) -> Exposure {
        Exposure {
            delta: coin.delta,
            vega: coin.vega * 0.01,
            gamma: coin.gamma,
        }
    }
}

impl Strategy for RollMaker {
    fn name(&self) -> &'static str {
        match self.mode {
            Mode::RollFlow => "roll_maker",
            Mode::TwoSided => "two_sided",
        }
    }

    fn quotes(&mut self, state: &State, out: &mut Wanted) {
        let stale = self.config.stale.clone();
        let pull_all = |out: &mut Wanted, reason| {
            out.pulled.push(Pulled {
                series: None,
                reason,
            })
        };
        if state.underlying != self.config.universe.underlying {
            return pull_all(
                out,
                PullReason::OtherUnderlying {
                    underlying: state.underlying.clone(),
                },
            );
        }
        let Some(index) = state.index else {
            return pull_all(out, PullReason::NoIndex);
        };
        let index_age = age(state.now, index.at);
        if index_age > stale.index_seconds {
            return pull_all(
                out,
                PullReason::IndexStale {
                    age_seconds: index_age,
                },
            );
        }
        let Some(surface) = &state.surface else {
            return pull_all(out, PullReason::NoSurface);
        };
        let surface_age = age(state.now, surface.fitted);
        if surface_age > stale.surface_seconds {
            return pull_all(
                out,
                PullReason::SurfaceStale {
                    age_seconds: surface_age,
                },
            );
        }

        // Roles first (calendar arithmetic once per expiry), so that only the series held or
        // quoted are priced.
        let config = &self.config;
        self.listed.clear();
        self.listed.extend(
            state
                .expiries
                .iter()
                .map(|e| expiry_listed(config.universe.expiries, e.settles)),
        );
        self.expiry_t.clear();
        self.expiry_t.extend(
            state
                .expiries
                .iter()
                .map(|e| state.now.years_until(e.settles)),
        );
        self.sides.clear();
        self.needed.clear();
        for s in &state.series {
            let days = self.expiry_t[s.expiry] * 365.0;
            let sides: &'static [Side] = if s.right != OptionRight::Call || !self.listed[s.expiry] {
                &[]
            } else {
                match self.mode {
                    Mode::RollFlow => match role(config, index.value, s.strike, days) {
                        Some(Role::RollOut) => &[Side::Sell],
                        Some(Role::RollIn) => &[Side::Buy],
                        None => &[],
                    },
                    Mode::TwoSided if in_universe(config, index.value, s.strike, days) => {
                        &[Side::Buy, Side::Sell]
                    }
                    Mode::TwoSided => &[],
                }
            };
            self.sides.push(sides);
            self.needed.push(!sides.is_empty() || s.position.0 != 0);
        }
        self.price_needed(state);
        self.limiter.reset(state.expiries.len());
        self.bucket_vega.clear();
        self.bucket_vega.resize(state.expiries.len(), 0.0);
        let mut option_delta = 0.0;
        for (s, p) in state.series.iter().zip(&self.priced) {
            if s.position.0 != 0 && p.ok {
                let contracts = s.position.0 as f64 * s.lot;
                let e = Self::exposure(&p.coin).scaled(contracts);
                self.limiter.hold(s.expiry, e, contracts);
                self.bucket_vega[s.expiry] += e.vega;
                option_delta += e.delta;
            }
        }
        if let Some(h) = &state.hedge {
            // The perpetual's delta offsets the options' in the total (never in a bucket).
            self.limiter.hold_total(Exposure {
                delta: h.position.0 as f64 * h.lot_usd / index.value,
                vega: 0.0,
                gamma: 0.0,
            });
        }

        let config = &self.config;
        let book_stale_nanos = (stale.book_seconds * Timestamp::NANOS_PER_SEC as f64) as i64;
        let per_vega_unit = 1.0 / config.edge.vega_unit;
        for ((s, p), sides) in state.series.iter().zip(&self.priced).zip(&self.sides) {
            if sides.is_empty() {
                continue;
            }
            let pull = |out: &mut Wanted, reason| {
                out.pulled.push(Pulled {
                    series: Some(s.id),
                    reason,
                })
            };
            if !s.top.live {
                pull(out, PullReason::BookStale);
                continue;
            }
            if state.now.0 - s.top.updated.0 > book_stale_nanos {
                pull(
                    out,
                    PullReason::BookQuiet {
                        age_seconds: age(state.now, s.top.updated),
                    },
                );
                continue;
            }
            if !p.ok {
                pull(out, PullReason::NoVol);
                continue;
            }
            for &side in *sides {
                let q = self.bucket_vega[s.expiry] * per_vega_unit;
                let glft = match side {
                    Side::Buy => self.glft.bid(q),
                    Side::Sell => self.glft.ask(q),
                };
                let vega_per_point = p.coin.vega * 0.01;
                let carry = config.edge.carry_bps_per_year * 1e-4 * p.t;
                let buy = Self::exposure(&p.coin);
                let per_contract = match side {
                    Side::Buy => buy,
                    Side::Sell => buy.scaled(-1.0),
                };
                // Lots the series may still add on this side.
                let mut series_room = match side {
                    Side::Buy => config.size.max_series_lots - s.position.0,
                    Side::Sell => config.size.max_series_lots + s.position.0,
                }
                .max(0);
                // Reciprocals once per series: divisions are the slow links of the per-level chain.
                let lots_per_contract = reciprocal(s.lot);
                let units_per_eth = reciprocal(s.price_unit);
                for (level, l) in config.size.levels.iter().enumerate() {
                    let edge_vol = glft.max(config.edge.min_edge_vol) + l.extra_edge_vol;
                    let distance = edge_vol * vega_per_point + carry;
                    let Some(price) = quote_price(s, units_per_eth, side, p.coin.price, distance)
                    else {
                        break;
                    };
                    let lots = l.lots.min(series_room);
                    let adds_gross = match side {
                        Side::Buy => s.position.0 >= 0,
                        Side::Sell => s.position.0 <= 0,
                    };
                    let admitted =
                        self.limiter
                            .admit(s.expiry, per_contract, lots as f64 * s.lot, adds_gross);
                    // Whole lots only, rounded down (the 1e-9 keeps an exact fit from being lost to
                    // floating-point rounding).
                    let lots = floor_i64(admitted * lots_per_contract + 1e-9);
                    if lots <= 0 {
                        break;
                    }
                    series_room -= lots;
                    out.quotes.push(WantedQuote {
                        key: QuoteKey {
                            instrument: s.id,
                            side,
                            level: level as u8,
                        },
                        price,
                        qty: Qty(lots),
                        tick: s.tick_rule.tick_at(price),
                    });
                }
            }
        }
        if self.config.hedge.enabled {
            hedge(&self.config, state, index.value, option_delta, out);
        }
    }
}

/// The slow delta hedge: when the options' net delta plus the hedge position's is beyond
/// `hedge.max_delta`, one resting order on the hedge instrument for the excess (never the whole
/// delta: the band is the point), at the passive best (the bid to buy, the ask to sell), so it
/// never crosses. A stale or empty book pulls it.
fn hedge(config: &RollMakerConfig, state: &State, index: f64, option_delta: f64, out: &mut Wanted) {
    let Some(h) = &state.hedge else {
        return;
    };
    // An inverse perpetual of N USD is N/S of ETH exposure.
    let delta = option_delta + h.position.0 as f64 * h.lot_usd / index;
    let excess = delta.abs() - config.hedge.max_delta;
    if excess <= 0.0 {
        return;
    }
    let stale_nanos = (config.stale.book_seconds * Timestamp::NANOS_PER_SEC as f64) as i64;
    if !h.top.live || state.now.0 - h.top.updated.0 > stale_nanos {
        out.pulled.push(Pulled {
            series: Some(h.id),
            reason: PullReason::BookStale,
        });
        return;
    }
    let side = if delta > 0.0 { Side::Sell } else { Side::Buy };
    let best = match side {
        Side::Buy => h.top.bid,
        Side::Sell => h.top.ask,
    };
    let Some((price, _)) = best else {
        return;
    };
    // Whole lots, rounded down: never hedge more than the excess.
    let lots = floor_i64(excess * index / h.lot_usd);
    if lots <= 0 {
        return;
    }
    out.quotes.push(WantedQuote {
        key: QuoteKey {
            instrument: h.id,
            side,
            level: 0,
        },
        price,
        qty: Qty(lots),
        tick: h.tick_rule.tick_at(price),
    });
}

/// `fair ± distance` (ETH) in price units, rounded away from fair to a valid tick and kept off
/// the opposite best so that the order rests (post-only). None for a bid that would be at or below
/// zero.
fn quote_price(
    s: &SeriesState,
    units_per_eth: f64,
    side: Side,
    fair: f64,
    distance: f64,
) -> Option<Price> {
    let rule = &s.tick_rule;
    let price = match side {
        Side::Sell => {
            let raw = Price(ceil_i64((fair + distance) * units_per_eth));
            let mut p = rule.round(raw.max(Price(1)), Rounding::Up);
            if let Some((bid, _)) = s.top.bid {
                if p <= bid {
                    p = rule.next_up(bid);
                }
            }
            p
        }
        Side::Buy => {
            let raw = Price(floor_i64((fair - distance) * units_per_eth));
            if raw.0 <= 0 {
                return None;
            }
            let mut p = rule.round(raw, Rounding::Down);
            if let Some((ask, _)) = s.top.ask {
                if p >= ask {
                    p = rule.next_down(ask);
                }
            }
            p
        }
    };
    (price.0 > 0).then_some(price)
}

/// ⌊x⌋ for the finite prices and sizes here, without a call to libm's `floor` (the baseline
/// x86-64 target has no rounding instruction).
fn floor_i64(x: f64) -> i64 {
    let t = x as i64;
    if (t as f64) > x {
        t - 1
    } else {
        t
    }
}

/// ⌈x⌉, as [`floor_i64`].
fn ceil_i64(x: f64) -> i64 {
    let t = x as i64;
    if (t as f64) < x {
        t + 1
    } else {
        t
    }
}

/// 1/x, exact when it is a whole number (1/0.0001 is 10000, not 10000.000000000002), so that
/// multiplying by it converts decimal units as dividing would.
fn reciprocal(x: f64) -> f64 {
    let r = 1.0 / x;
    // Nearest whole number without libm's `round` (a call on the baseline target).
    let whole = floor_i64(r + 0.5) as f64;
    if (r - whole).abs() < 1e-9 * r {
        whole
    } else {
        r
    }
}
