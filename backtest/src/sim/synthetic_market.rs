//! The synthetic market a backtest runs on: the index path, a Deribit-like listing of calls and
//! puts (relisted daily, each series kept until it settles), their fair values off the synthetic
//! smile, a venue book of `levels` levels a side around fair, and background takers.
//!
//! The book: the best bid and ask sit the half-spread the real chain shows for the option's
//! expiry and moneyness from fair (`[book.spread]`, measured by `rollmaker calibrate`: vol points,
//! and deep in the money bps of the USD delta, which makes deep in-the-money calls dearer to cross
//! than the put plus the future, as on Deribit), each further level `level_step_vol` vol points out, `depth_lots` displayed on each; prices are
//! rounded away from fair to the tick. Background takers (Poisson, `background_trades_per_day`
//! over the whole chain) take `background_lots` at a random series' best.

use super::market::{Market, MarketTrade, PutRoute, Series, SeriesIndex};
pub use super::synthetic_book::MarketConfig;
use super::synthetic_book::{half_spread, poisson, put_by_parity, Priced};
use crate::roll_flow::ListedCalls;
use crate::synthetic::listing::listing;
use crate::synthetic::path::{IndexPoint, PathConfig};
use crate::synthetic::smile::slice;
use engine::instrument::Expiry;
use engine::pricing::surface::Surface;
use engine::pricing::{coin, Greeks, OptionType};
use engine::state::{Stamped, State, StateBuilder, SurfaceState, Top};
use engine::{Instrument, InstrumentId, Instruments, Price, Qty, Side, Timestamp};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One option's book: levels best first.
#[derive(Clone, Debug, PartialEq)]
pub struct OptionBook {
    pub id: InstrumentId,
    pub bids: Vec<(Price, Qty)>,
    pub asks: Vec<(Price, Qty)>,
}

pub struct SyntheticMarket {
    path: PathConfig,
    config: MarketConfig,
    instruments: Instruments,
    series: Vec<Series>,
    /// The calls of `series` and their puts, index for index.
    calls: Vec<Priced>,
    puts: Vec<Priced>,
    listed_day: Option<i64>,
    point: Option<IndexPoint>,
    rng: ChaCha8Rng,
    trades: Vec<MarketTrade>,
    /// Where each series is in `series`, `calls` and `puts`.
    index: SeriesIndex,
    /// The perpetual the maker hedges on (its book is modelled: `sim::perpetual`).
    perpetual: Option<InstrumentId>,
}

impl SyntheticMarket {
    pub fn new(path: PathConfig, config: MarketConfig, seed: u64) -> SyntheticMarket {
        let mut instruments = Instruments::new();
        let perpetual = Instrument::deribit("ETH-PERPETUAL")
            .ok()
            .and_then(|i| instruments.intern(i).ok());
        SyntheticMarket {
            path,
            config,
            instruments,
            series: Vec::new(),
            calls: Vec::new(),
            puts: Vec::new(),
            listed_day: None,
            point: None,
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x5eed),
            trades: Vec::new(),
            index: SeriesIndex::default(),
            perpetual,
        }
    }

    /// Every listed option's book now, calls then puts.
    pub fn books(&self) -> Vec<OptionBook> {
        self.calls
            .iter()
            .chain(&self.puts)
            .map(|q| {
                let rule = self.instruments.get(q.id).tick_rule();
                let (mut bids, mut asks) = (Vec::new(), Vec::new());
                q.side(rule, &self.config, Side::Buy, &mut bids);
                q.side(rule, &self.config, Side::Sell, &mut asks);
                OptionBook {
                    id: q.id,
                    bids,
                    asks,
                }
            })
            .collect()
    }

    /// The chain now as Tardis `options_chain` quotes: the venue's best bid and ask with the
    /// displayed depth, the fair value as the mark.
    pub fn quotes(&self) -> Vec<crate::tardis::ChainQuote> {
        let Some(p) = self.point else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(2 * self.series.len());
        let terms = self.series.iter().chain(&self.series);
        for (q, s) in self.calls.iter().chain(&self.puts).zip(terms) {
            let inst = self.instruments.get(q.id);
            let eth = |(price, qty): (Price, Qty)| (inst.price_f64(price), qty.0 as f64);
            out.push(crate::tardis::ChainQuote {
                symbol: inst.name().to_string(),
                strike: s.strike,
                expiration: s.settles,
                bid: q.bid.map(eth),
                ask: q.ask.map(eth),
                mark: q.fair.price,
                mark_iv: q.vol,
                underlying_price: p.price,
            });
        }
        out
    }

    fn intern(&mut self, expiry: Expiry, strike: f64, right: char) -> Option<InstrumentId> {
        let inst = Instrument::deribit(&format!("ETH-{expiry}-{strike}-{right}")).ok()?;
        self.instruments.intern(inst).ok()
    }
}

impl Market for SyntheticMarket {
    type Step = IndexPoint;

    fn step_point(&self, step: &IndexPoint) -> IndexPoint {
        *step
    }

    fn instruments(&self) -> &Instruments {
        &self.instruments
    }

    fn hedge(&self) -> Option<InstrumentId> {
        self.perpetual
    }

    fn series(&self) -> &[Series] {
        &self.series
    }

    fn point(&self) -> Option<IndexPoint> {
        self.point
    }

    /// Relists once a day, drops settled series, reprices, draws the background trades since
    /// the last step.
    fn advance(&mut self, p: IndexPoint) {
        self.relist(p);
        let dt_days = self
            .point
            .map_or(0.0, |last| (p.at.0 - last.at.0) as f64 / 86_400e9);
        self.reprice(p);
        self.draw_trades(dt_days);
    }

    fn fair(&self, id: InstrumentId) -> Option<Greeks> {
        Some(self.calls[self.index.get(id)?].fair)
    }

    fn top(&self, id: InstrumentId) -> Option<Top> {
        let at = self.point.map_or(Timestamp(0), |p| p.at);
        Some(self.calls[self.index.get(id)?].top(at))
    }

    fn levels(&self, id: InstrumentId, side: Side, out: &mut Vec<(Price, Qty)>) {
        let Some(i) = self.index.get(id) else {
            return out.clear();
        };
        let q = &self.calls[i];
        q.side(
            self.instruments.get(q.id).tick_rule(),
            &self.config,
            side,
            out,
        );
    }

    fn trades(&self) -> &[MarketTrade] {
        &self.trades
    }

    fn put_route(&self, id: InstrumentId) -> Option<PutRoute> {
        let q = self.puts.get(self.index.get(id)?)?;
        let inst = self.instruments.get(q.id);
        let side = |s: Side| {
            let mut levels = Vec::new();
            q.side(inst.tick_rule(), &self.config, s, &mut levels);
            levels
                .into_iter()
                .map(|(p, n)| (inst.price_f64(p), n.0))
                .collect()
        };
        Some(PutRoute {
            bids: side(Side::Buy),
            asks: side(Side::Sell),
            fair: q.fair.price,
        })
    }

    /// The calls and puts, the calls first.
    fn state(
        &self,
        position: &dyn Fn(InstrumentId) -> Qty,
        surface: Option<SurfaceState>,
    ) -> State {
        let Some(p) = self.point else {
            return StateBuilder::new(Timestamp(0), "ETH").finish(None, surface);
        };
        let mut state = StateBuilder::new(p.at, "ETH");
        for priced in [&self.calls, &self.puts] {
            for q in priced {
                let inst = self.instruments.get(q.id);
                if let Err(e) = state.push(q.id, inst, p.price, q.top(p.at), position(q.id)) {
                    unreachable!("the synthetic market interns options only: {e}");
                }
            }
        }
        let index = Stamped {
            value: p.price,
            at: p.at,
        };
        state.finish(Some(index), surface)
    }

    /// The market's own smile, one slice per listed expiry.
    fn surface_now(&self) -> Option<SurfaceState> {
        let p = self.point?;
        let v = p.vol * p.vol;
        let mut seen: Vec<Expiry> = self.series.iter().map(|s| s.expiry).collect();
        seen.sort();
        seen.dedup();
        let slices = seen
            .into_iter()
            .map(|e| {
                let t = p.at.years_until(e.settlement_time());
                (
                    e.to_string(),
                    t,
                    p.price,
                    slice(&self.path, &self.config.smile, v, t),
                )
            })
            .collect();
        Some(SurfaceState {
            surface: Surface::from_params(slices),
            fitted: p.at,
        })
    }

    fn listing(&self) -> &[ListedCalls] {
        self.index.listing()
    }
}

impl SyntheticMarket {
    /// Once a day: the day's listing added (each series kept until it settles).
    fn relist(&mut self, p: IndexPoint) {
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
    fn reprice(&mut self, p: IndexPoint) {
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
        let v = p.vol * p.vol;
        for (i, s) in self.series.iter().enumerate() {
            let t = p.at.years_until(s.settles);
            // Minutes from expiry the slice's wing can take total variance below zero (vol 0):
            // the vol is floored at half the at-the-money vol.
            let svi = slice(&self.path, &self.config.smile, v, t);
            let vol = svi
                .vol((s.strike / p.price).ln(), t)
                .max(0.5 * svi.vol(0.0, t));
            let call = coin::greeks(OptionType::Call, p.price, s.strike, t, vol, 1.0);
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

    /// The background takers since the last step (`dt_days` of them at the configured rate),
    /// each hitting the best of a random option.
    fn draw_trades(&mut self, dt_days: f64) {
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

#[cfg(test)]
mod tests {
    use super::super::synthetic_book::{half_spread, side_levels};
    use super::*;
    use engine::tick_rule::TickRule;

    #[test]
    fn puts_by_parity_match_pricing_them() {
        for (f, k, t, vol) in [
            (2000.0, 1500.0, 0.1, 0.7),
            (2000.0, 2500.0, 0.02, 0.9),
            (1800.0, 1800.0, 1.0, 0.5),
        ] {
            let call = coin::greeks(OptionType::Call, f, k, t, vol, 1.0);
            let put = coin::greeks(OptionType::Put, f, k, t, vol, 1.0);
            let by_parity = put_by_parity(call, f, k);
            for (a, b) in [
                (by_parity.price, put.price),
                (by_parity.delta, put.delta),
                (by_parity.gamma, put.gamma),
                (by_parity.vega, put.vega),
                (by_parity.theta, put.theta),
                (by_parity.vanna, put.vanna),
                (by_parity.volga, put.volga),
            ] {
                assert!((a - b).abs() < 1e-12 * (1.0 + b.abs()), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn the_book_has_its_levels_uncrossed_and_the_deep_call_is_wider() {
        let config = MarketConfig::default();
        let rule = TickRule::deribit_option();
        let f = 2000.0;
        for k in [1000.0, 2000.0, 3000.0] {
            let call = coin::greeks(OptionType::Call, f, k, 0.1, 0.7, 1.0);
            let mut bids = Vec::new();
            let mut asks = Vec::new();
            let n = config.levels;
            let half = half_spread(OptionType::Call, 36.5, k / f, &call, &config);
            side_levels(&rule, &call, half, &config, Side::Buy, None, n, &mut bids);
            let best_bid = bids.first().map(|b| b.0);
            side_levels(
                &rule,
                &call,
                half,
                &config,
                Side::Sell,
                best_bid,
                n,
                &mut asks,
            );
            assert_eq!(asks.len(), config.levels, "{k}");
            assert!(bids.windows(2).all(|w| w[0].0 > w[1].0), "{k} {bids:?}");
            assert!(asks.windows(2).all(|w| w[0].0 < w[1].0), "{k} {asks:?}");
            if let Some(b) = bids.first() {
                assert!(b.0 < asks[0].0);
                assert!(b.0 .0 as f64 * 1e-4 <= call.price);
            }
            assert!(asks[0].0 .0 as f64 * 1e-4 >= call.price);
        }
        // The deep in-the-money call is far wider than its put, as on Deribit.
        let call = coin::greeks(OptionType::Call, f, 1000.0, 0.1, 0.7, 1.0);
        let put = put_by_parity(call, f, 1000.0);
        let half = |kind, g| half_spread(kind, 36.5, 0.5, g, &config);
        assert!(half(OptionType::Call, &call) > 5.0 * half(OptionType::Put, &put));
    }
}
