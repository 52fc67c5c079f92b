//! How the synthetic market moves at each step: the day's listing added, settled series
//! dropped, every option and its book priced at the new index point, background takers drawn.

use super::{ExpirySlice, SyntheticMarket};
use crate::sim::market::{MarketTrade, Series};
use crate::sim::synthetic_book::{half_spread, poisson, put_by_parity, Priced};
use crate::synthetic::listing::listing;
use crate::synthetic::path::IndexPoint;
use crate::synthetic::smile::slice;
use engine::pricing::batch::{greeks_batch, BlackInput};
use engine::pricing::{coin, Greeks, OptionType};
use engine::{Qty, Side, Timestamp};
use rand::Rng;

impl SyntheticMarket {
    /// Once a day: the day's listing added (each series kept until it settles).
    pub(super) fn relist(&mut self, p: IndexPoint) {
        let day = p.at.0.div_euclid(86_400 * Timestamp::NANOS_PER_SEC);
        if self.listed_day != Some(day) {
            self.listed_day = Some(day);
            for e in listing(p.at, p.price) {
                for &k in &e.strikes {
                    let (Some(call), Some(put)) =
                        (self.intern(e.expiry, k, 'C'), self.intern(e.expiry, k, 'P'))
                    else {
                        continue;
                    };
                    if self.series.iter().all(|s| s.id != call) {
                        self.series.push(Series {
                            id: call,
                            expiry: e.expiry,
                            strike: k,
                            settles: e.expiry.settlement_time(),
                        });
                        let unpriced = Priced {
                            id: call,
                            fair: Greeks::default(),
                            vol: 0.0,
                            half: 0.0,
                            bid: None,
                            ask: None,
                        };
                        self.puts.push(Priced {
                            id: put,
                            ..unpriced
                        });
                        self.calls.push(unpriced);
                    }
                }
            }
            self.index.rebuild(&self.series);
        }
    }

    /// Drops settled series, and prices every option and its book at `p`.
    pub(super) fn reprice(&mut self, p: IndexPoint) {
        let listed = self.series.len();
        let mut i = 0;
        while i < self.series.len() {
            if self.series[i].settles > p.at {
                i += 1;
            } else {
                self.series.remove(i);
                self.calls.remove(i);
                self.puts.remove(i);
            }
        }
        // The index follows the list (relisting rebuilds it too).
        if self.series.len() != listed {
            self.index.rebuild(&self.series);
        }
        self.point = Some(p);
        self.price_calls(p);
        for (i, s) in self.series.iter().enumerate() {
            let input = &self.inputs[i];
            let (t, vol) = (input.t, input.vol);
            let call = coin::from_usd(self.usd[i], p.price);
            let put = put_by_parity(call, p.price, s.strike);
            let (days, km) = (t * 365.25, s.strike / p.price);
            let c = &self.config;
            let half_call = half_spread(OptionType::Call, days, km, &call, c);
            let half_put = half_spread(OptionType::Put, days, km, &put, c);
            // Options share one tick rule; each is asked for its own all the same.
            let rule = self.instruments.get(self.calls[i].id).tick_rule();
            self.calls[i].reprice(call, vol, half_call, rule, c);
            let rule = self.instruments.get(self.puts[i].id).tick_rule();
            self.puts[i].reprice(put, vol, half_put, rule, c);
        }
    }

    /// Every series' call at `p` in one batch (the chain pricer's SIMD lanes) into `self.usd`
    /// (USD greeks), its inputs (t, vol) kept in `self.inputs`. The smile's slice is taken once
    /// per expiry.
    fn price_calls(&mut self, p: IndexPoint) {
        let v = p.vol * p.vol;
        self.slices.clear();
        self.inputs.clear();
        for s in &self.series {
            let expiry = match self.slices.iter().find(|e| e.settles == s.settles) {
                Some(e) => *e,
                None => {
                    let t = p.at.years_until(s.settles);
                    let svi = slice(&self.path, &self.config.smile, v, t);
                    // Minutes from expiry the slice's wing can take total variance below zero
                    // (vol 0): the vol is floored at half the at-the-money vol.
                    let floor = 0.5 * svi.vol(0.0, t);
                    let e = ExpirySlice {
                        settles: s.settles,
                        t,
                        svi,
                        floor,
                    };
                    self.slices.push(e);
                    e
                }
            };
            let t = expiry.t;
            let vol = expiry
                .svi
                .vol((s.strike / p.price).ln(), t)
                .max(expiry.floor);
            self.inputs.push(BlackInput {
                kind: OptionType::Call,
                f: p.price,
                k: s.strike,
                t,
                vol,
                df: 1.0,
            });
        }
        self.usd.clear();
        self.usd.resize(self.inputs.len(), Greeks::default());
        greeks_batch(&self.inputs, &mut self.usd);
    }

    /// The background takers since the last step (`dt_days` of them at the configured rate),
    /// each hitting the best of a random option.
    pub(super) fn draw_trades(&mut self, dt_days: f64) {
        self.trades.clear();
        let n = poisson(
            &mut self.rng,
            self.config.background_trades_per_day * dt_days,
        );
        for _ in 0..n {
            if self.series.is_empty() {
                break;
            }
            let k = self.rng.random_range(0..2 * self.series.len());
            let aggressor = if self.rng.random::<bool>() {
                Side::Buy
            } else {
                Side::Sell
            };
            let q = if k < self.series.len() {
                &self.calls[k]
            } else {
                &self.puts[k - self.series.len()]
            };
            let best = match aggressor {
                Side::Buy => q.ask,
                Side::Sell => q.bid,
            };
            if let Some((price, _)) = best {
                self.trades.push(MarketTrade {
                    instrument: q.id,
                    aggressor,
                    price,
                    qty: Qty(self.config.background_lots),
                });
            }
        }
    }
}
