//! A synthetic ETH option chain as a [`State`], for tests, benchmarks and examples: calls at the
//! given strikes for each expiry, a skewed SVI smile fitted into a surface, empty live books and
//! flat positions. Not market data: the backtester's synthetic market is the realistic one.

use engine::instrument::OptionRight;
use engine::pricing::surface::{SliceInput, Surface};
use engine::pricing::svi::{SlicePoint, SviParams};
use engine::state::{ExpiryState, SeriesState, Stamped, State, SurfaceState, Top};
use engine::tick_rule::TickRule;
use engine::{InstrumentId, Qty, Timestamp};

/// The smile of every sample expiry: about 55% at the money with a put skew, `vol_shift` added
/// in total variance (`vol_shift² · t`-like bumps move the whole surface).
pub fn smile(t: f64, vol_shift: f64) -> SviParams {
    SviParams {
        a: (0.3 + vol_shift) * t,
        b: 0.1,
        rho: -0.3,
        m: 0.0,
        sigma: 0.3,
    }
}

/// The surface of [`smile`] for each expiry, fitted at `now`.
pub fn surface(now: Timestamp, index: f64, settles: &[Timestamp], vol_shift: f64) -> SurfaceState {
    let inputs = settles
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            let t = now.years_until(s);
            let points = (0..40)
                .map(|j| {
                    let k = -1.2 + 1.6 * j as f64 / 39.0;
                    SlicePoint::mid(k, smile(t, vol_shift).vol(k, t), 1.0)
                })
                .collect();
            SliceInput {
                expiry: format!("E{i}"),
                t,
                forward: index,
                points,
            }
        })
        .collect();
    SurfaceState {
        surface: Surface::fit(inputs).into(),
        fitted: now,
    }
}

/// Calls at `strikes` for each of `settles`, ids in order (expiry-major), forward = index,
/// no discounting, Deribit's tick rule and units.
pub fn chain(now: Timestamp, index: f64, settles: &[Timestamp], strikes: &[f64]) -> State {
    let expiries = settles
        .iter()
        .map(|&s| ExpiryState {
            settles: s,
            forward: index,
            df: 1.0,
        })
        .collect();
    let mut series = Vec::with_capacity(settles.len() * strikes.len());
    for e in 0..settles.len() {
        for &k in strikes {
            series.push(SeriesState {
                id: InstrumentId(series.len() as u32),
                expiry: e,
                strike: k,
                right: OptionRight::Call,
                top: Top {
                    bid: None,
                    ask: None,
                    live: true,
                    updated: now,
                },
                position: Qty(0),
                tick_rule: TickRule::deribit_option(),
                price_unit: 1e-4,
                lot: 1.0,
            });
        }
    }
    State {
        now,
        underlying: "ETH".to_string(),
        index: Some(Stamped {
            value: index,
            at: now,
        }),
        expiries,
        series,
        surface: Some(surface(now, index, settles, 0.0)),
        hedge: None,
        cash_eth: 0.0,
    }
}
