//! Pricing a requote's series: the surface's vol per series, a batch of the series selected,
//! and their coin price and exposure.

use super::RollMaker;
use crate::limits::Exposure;
use engine::pricing::batch_columns::{first_greeks, Denomination};
use engine::state::State;

impl RollMaker {
    /// Prices the series [`RollMaker::assign_sides`] selected (one batch) into `self.priced`.
    pub(super) fn price_selected(&mut self) {
        first_greeks(&self.inputs, Denomination::Coin, &mut self.coin);
        self.store_coin();
    }

    /// The surface's vol of every series into `self.vol` (NaN where there is none), by runs of
    /// series of one expiry: ln K cached per series (strikes do not move), ln F and the
    /// surface's slices at t taken once per expiry.
    pub(super) fn surface_vols(&mut self, state: &State) {
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
        let series = &state.series;
        if self.strikes.len() != series.len()
            || self.strikes.iter().zip(series).any(|(&k, s)| k != s.strike)
        {
            self.strikes.clear();
            self.strikes.extend(series.iter().map(|s| s.strike));
            self.ln_strike.clear();
            self.ln_strike.extend(series.iter().map(|s| s.strike.ln()));
        }
        self.vol.clear();
        self.vol.resize(series.len(), f64::NAN);
        for (e, run) in super::expiry_runs(series) {
            if let Some(at) = &self.at_expiry[e] {
                let (ln_f, t) = (self.ln_forward[e], self.expiry_t[e]);
                at.vols(ln_f, &self.ln_strike[run.clone()], t, &mut self.vol[run]);
            }
        }
    }

    /// The batch's coin greeks into `self.priced` (as [`Exposure::of_coin`]).
    fn store_coin(&mut self) {
        let coin = &self.coin;
        for (j, &i) in self.slots.iter().enumerate() {
            self.priced[i].price = coin.price[j];
            self.priced[i].exposure = Exposure {
                delta: coin.delta[j],
                vega: coin.vega[j] * 0.01,
                gamma: coin.gamma[j],
            };
        }
    }
}
