//! The roll maker: one-sided resting quotes in the calls (N tokens) that P holders roll out of
//! and into, priced off the vol surface, held to expiry; and, on the same machinery, the
//! two-sided baseline ([`RollMaker::two_sided`]) that quotes both sides of every series.
//!
//! Per requote:
//! 1. no index, or an index or surface older than `stale.*`: pull everything, saying why;
//! 2. each series in the universe gets its role ([`classify`]): sell the call where holders roll
//!    out, buy it where they roll in;
//! 3. every series quoted or held is priced (one batch: fair coin price, delta, gamma and vega at
//!    the surface's vol) and every position enters the limits at those greeks; a stale or quiet
//!    book pulls its series;
//! 4. each ladder level is priced `fair ± (edge + carry)`: the edge is the GLFT closed form in vol
//!    points at the expiry bucket's vega inventory (never below `min_edge_vol`), times the
//!    option's vega; the carry pays for holding the contract to expiry. Prices are rounded away
//!    from fair to the tick (ask up, bid down: never through fair in the maker's disfavour) and
//!    kept off the opposite best (post-only);
//! 5. each level's size is cut to `max_series_lots` and to what the limits admit; with
//!    `layoff.enabled`, a held call also gets the side that reduces it, up to the position,
//!    priced as any level (the inventory offered back on the option venue);
//! 6. where `hedge.enabled`, an order on the perpetual for the USD delta beyond
//!    `hedge.max_delta` (crossing, or resting at the passive best: `hedge.style`).

pub mod classify;
mod hedge;
mod levels;
mod pick;
mod price;
mod side;

use crate::config::RollMakerConfig;
use crate::glft::Glft;
use crate::limits::{Exposure, Limiter};
use classify::{ExpiryWindow, Role, Roles};
use engine::instrument::OptionRight;
use engine::pricing::batch_columns::{BlackColumns, FirstGreeks};
use engine::pricing::surface::AtTime;
use engine::pricing::OptionType;
use engine::state::{SeriesState, State};
use engine::strategy::{PullReason, Pulled, Strategy, Wanted};
use engine::units::Side;
use engine::Timestamp;
use hedge::hedge;
use levels::LastReciprocal;
use pick::{Job, Picking};
use std::ops::Range;

/// Seconds from `then` to `now`.
fn age(now: Timestamp, then: Timestamp) -> f64 {
    (now.0 - then.0) as f64 / Timestamp::NANOS_PER_SEC as f64
}

/// A series priced for this requote: what the quotes and the limits read of its coin greeks
/// (the rest of them are never computed).
#[derive(Clone, Copy, Debug, Default)]
struct Priced {
    /// Coin (ETH) price per contract.
    price: f64,
    /// One contract's exposure, bought.
    exposure: Exposure,
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
    inputs: BlackColumns,
    coin: FirstGreeks,
    priced: Vec<Priced>,
    bucket_vega: Vec<f64>,
    /// What each expiry allows this requote.
    windows: Vec<ExpiryWindow>,
    /// Per batch input: the series it prices.
    slots: Vec<usize>,
    /// The sides quoted, in order.
    jobs: Vec<Job>,
    /// The ladder's edges per expiry and side, this requote.
    edges: side::Edges,
    /// Years to each expiry.
    expiry_t: Vec<f64>,
    /// ln F per expiry; strike and ln strike per series, kept across requotes.
    ln_forward: Vec<f64>,
    strikes: Vec<f64>,
    ln_strike: Vec<f64>,
    /// The surface's vol per series.
    vol: Vec<f64>,
    /// The surface at each expiry's t.
    at_expiry: Vec<Option<AtTime>>,
    /// 1 / lot and 1 / price unit of the last series quoted.
    per_lot: LastReciprocal,
    per_unit: LastReciprocal,
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
            inputs: BlackColumns::default(),
            coin: FirstGreeks::default(),
            priced: Vec::new(),
            bucket_vega: Vec::new(),
            windows: Vec::new(),
            slots: Vec::new(),
            jobs: Vec::new(),
            edges: side::Edges::default(),
            expiry_t: Vec::new(),
            ln_forward: Vec::new(),
            strikes: Vec::new(),
            ln_strike: Vec::new(),
            vol: Vec::new(),
            at_expiry: Vec::new(),
            per_lot: LastReciprocal::default(),
            per_unit: LastReciprocal::default(),
        }
    }

    pub fn config(&self) -> &RollMakerConfig {
        &self.config
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
        let index = match self.usable_index(state) {
            Ok(index) => index,
            Err(reason) => {
                return out.pulled.push(Pulled {
                    series: None,
                    reason,
                })
            }
        };
        self.expiry_windows(state, index);
        self.surface_vols(state);
        self.assign_sides(state, index, out);
        self.price_selected();
        let options_usd_delta = self.hold_positions(state, index);
        // Every quote this requote may make goes to the limiter before any is sized, so that
        // the limits no quote can reach are not checked quote by quote.
        self.declare_jobs(state);
        self.limiter.settle();
        self.edges.fill(&self.config, &self.glft, &self.bucket_vega);
        let carry_per_year = self.config.edge.carry_bps_per_year * 1e-4;
        for job in &self.jobs {
            let (s, p) = (&state.series[job.series], &self.priced[job.series]);
            let quoting = side::Quoting {
                config: &self.config,
                edge_vol: self.edges.of(s.expiry, job.side),
                carry: carry_per_year * p.t,
                lots_per_contract: self.per_lot.of(s.lot),
                units_per_eth: self.per_unit.of(s.price_unit),
            };
            quoting.side(&mut self.limiter, s, p, job.side, job.sizing, out);
        }
        if self.config.hedge.enabled {
            hedge(&self.config, state, index, options_usd_delta, out);
        }
    }
}

impl RollMaker {
    /// The index, when the state can be quoted on: the configured underlying, an index and a
    /// surface, neither stale. Otherwise why everything is pulled.
    fn usable_index(&self, state: &State) -> Result<f64, PullReason> {
        let stale = &self.config.stale;
        if state.underlying != self.config.universe.underlying {
            return Err(PullReason::OtherUnderlying {
                underlying: state.underlying.clone(),
            });
        }
        let index = state.index.ok_or(PullReason::NoIndex)?;
        let index_age = age(state.now, index.at);
        if index_age > stale.index_seconds {
            return Err(PullReason::IndexStale {
                age_seconds: index_age,
            });
        }
        let surface = state.surface.as_ref().ok_or(PullReason::NoSurface)?;
        let surface_age = age(state.now, surface.fitted);
        if surface_age > stale.surface_seconds {
            return Err(PullReason::SurfaceStale {
                age_seconds: surface_age,
            });
        }
        Ok(index.value)
    }

    /// Years to each expiry, and what each allows (calendar arithmetic once per expiry, not
    /// once per series).
    fn expiry_windows(&mut self, state: &State, index: f64) {
        let roles = Roles::new(&self.config, index);
        self.expiry_t.clear();
        self.expiry_t.extend(
            state
                .expiries
                .iter()
                .map(|e| state.now.years_until(e.settles)),
        );
        self.windows.clear();
        self.windows.extend(
            state
                .expiries
                .iter()
                .zip(&self.expiry_t)
                .map(|(e, &t)| roles.expiry(e.settles, t * 365.0)),
        );
    }

    /// The sides quoted on each series (its role in the roll flow, or both in the universe for
    /// the two-sided baseline, and the lay-off side of a held call) into `self.jobs`, or the
    /// series pulled, and the series to price: those quoted or held, past none of their
    /// expiry, with a vol ([`RollMaker::surface_vols`] first). One pass: the jobs and the
    /// batch's inputs are taken as the roles are decided.
    fn assign_sides(&mut self, state: &State, index: f64, out: &mut Wanted) {
        let config = &self.config;
        let roles = Roles::new(config, index);
        let picking = Picking::new(config, state.now);
        let series = &state.series;
        self.jobs.clear();
        self.inputs.start(series.len());
        self.slots.clear();
        self.priced.clear();
        let lays_off = self.mode == Mode::RollFlow && config.layoff.enabled;
        // By runs of one expiry: its window, years and forward are looked up once a run.
        for (expiry, run) in expiry_runs(series) {
            let (w, t) = (self.windows[expiry], self.expiry_t[expiry]);
            let e = &state.expiries[expiry];
            let in_run = series[run.clone()].iter().zip(&self.vol[run.clone()]);
            for (i, (s, &vol)) in run.zip(in_run) {
                let call = s.right == OptionRight::Call;
                let sides: &'static [Side] = match self.mode {
                    _ if !call => &[],
                    Mode::RollFlow => match roles.role(w, s.strike) {
                        Some(Role::RollOut) => &[Side::Sell],
                        Some(Role::RollIn) => &[Side::Buy],
                        None => &[],
                    },
                    Mode::TwoSided if roles.in_universe(w, s.strike) => &[Side::Buy, Side::Sell],
                    Mode::TwoSided => &[],
                };
                let needed = !sides.is_empty() || s.position.0 != 0;
                let ok = needed && t > 0.0 && vol.is_finite() && vol > 0.0;
                if ok {
                    self.slots.push(i);
                    let kind = OptionType::from(s.right);
                    self.inputs.push(kind, e.forward, s.strike, t, vol, e.df);
                }
                self.priced.push(Priced {
                    t,
                    ok,
                    ..Priced::default()
                });
                let reducing = match s.position.0.signum() {
                    1 => Some(Side::Sell),
                    -1 => Some(Side::Buy),
                    _ => None,
                };
                let held_call = call && w.listed;
                let layoff = reducing.filter(|r| lays_off && held_call && !sides.contains(r));
                if !sides.is_empty() || layoff.is_some() {
                    picking.series((i, s), sides, layoff, ok, &mut self.jobs, out);
                }
            }
        }
    }

    /// The exposure held (positions and the hedge) into the limiter and the vega buckets; the
    /// options' USD delta, ETH (their coin delta plus their coin value: what the hedge offsets).
    fn hold_positions(&mut self, state: &State, index: f64) -> f64 {
        self.limiter.reset(state.expiries.len());
        self.bucket_vega.clear();
        self.bucket_vega.resize(state.expiries.len(), 0.0);
        let mut usd_delta = 0.0;
        for (s, p) in state.series.iter().zip(&self.priced) {
            if s.position.0 != 0 && p.ok {
                let contracts = s.position.0 as f64 * s.lot;
                let e = p.exposure.scaled(contracts);
                self.limiter.hold(s.expiry, e, contracts);
                self.bucket_vega[s.expiry] += e.vega;
                usd_delta += e.delta + p.price * contracts;
            }
        }
        if let Some(h) = &state.hedge {
            // The perpetual's delta offsets the options' in the total (never in a bucket).
            self.limiter.hold_total(Exposure {
                delta: h.position.0 as f64 * h.lot_usd / index,
                vega: 0.0,
                gamma: 0.0,
            });
        }
        usd_delta
    }
}

/// The runs of consecutive series of one expiry, as (expiry, index range): the chain lists
/// its series expiry by expiry, so what depends on the expiry alone is taken once a run.
fn expiry_runs(series: &[SeriesState]) -> impl Iterator<Item = (usize, Range<usize>)> + '_ {
    let mut start = 0;
    std::iter::from_fn(move || {
        let first = series.get(start)?;
        let len = series[start..]
            .iter()
            .take_while(|s| s.expiry == first.expiry)
            .count();
        let run = start..start + len;
        start += len;
        Some((first.expiry, run))
    })
}
