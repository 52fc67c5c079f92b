//! How the synthetic market moves at each step: the day's listing added, settled series
//! dropped, every option and its book priced at the new index point, background takers drawn,
//! all written into a [`View`] (the whole of it, so that a view handed back from the backtest
//! can be written again).

use super::view::View;
use super::MarketConfig;
use crate::sim::market::{MarketTrade, Series, SeriesIndex};
use crate::sim::synthetic_book::{half_spread, poisson, put_by_parity, Priced};
use crate::synthetic::listing::listing;
use crate::synthetic::path::{IndexPoint, PathConfig};
use crate::synthetic::smile::slice;
use engine::instrument::Expiry;
use engine::pricing::batch::{greeks_batch, BlackInput};
use engine::pricing::svi::SviParams;
use engine::pricing::{coin, Greeks, OptionType};
use engine::{Instrument, InstrumentId, Instruments, Qty, Side, Timestamp};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::Arc;

/// An expiry's smile at the step being priced, and its vol floor.
#[derive(Clone, Copy)]
struct ExpirySlice {
    settles: Timestamp,
    t: f64,
    svi: SviParams,
    floor: f64,
}

/// What the market keeps from step to step: the listing (shared with the views, copied only on
/// the day it changes), the takers' random draws, and each step's scratch.
pub(super) struct Mover {
    path: Arc<PathConfig>,
    config: Arc<MarketConfig>,
    rng: ChaCha8Rng,
    listed_day: Option<i64>,
    last: Option<IndexPoint>,
    instruments: Instruments,
    series: Arc<Vec<Series>>,
    /// The put of each series, index for index.
    puts: Vec<InstrumentId>,
    /// Where each series is in `series`.
    index: Arc<SeriesIndex>,
    /// The perpetual the maker hedges on (its book is modelled: `sim::perpetual`).
    perpetual: Option<InstrumentId>,
    // Scratch of each reprice: the calls' batch inputs and USD greeks, each expiry's slice.
    inputs: Vec<BlackInput>,
    usd: Vec<Greeks>,
    slices: Vec<ExpirySlice>,
}

impl Mover {
    pub fn new(path: PathConfig, config: MarketConfig, seed: u64) -> Mover {
        let mut instruments = Instruments::new();
        let perpetual = Instrument::deribit("ETH-PERPETUAL")
            .ok()
            .and_then(|i| instruments.intern(i).ok());
        Mover {
            path: Arc::new(path),
            config: Arc::new(config),
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x5eed),
            listed_day: None,
            last: None,
            instruments,
            series: Arc::default(),
            puts: Vec::new(),
            index: Arc::default(),
            perpetual,
            inputs: Vec::new(),
            usd: Vec::new(),
            slices: Vec::new(),
        }
    }

    /// The instruments interned before the first step (the perpetual).
    pub fn instruments(&self) -> &Instruments {
        &self.instruments
    }

    /// A view of the market before its first step.
    pub fn view(&self) -> View {
        View {
            fresh: Vec::new(),
            series: Arc::clone(&self.series),
            index: Arc::clone(&self.index),
            calls: Vec::new(),
            puts: Vec::new(),
            point: None,
            trades: Vec::new(),
            path: Arc::clone(&self.path),
            config: Arc::clone(&self.config),
            perpetual: self.perpetual,
        }
    }

    /// Moves to `p` and writes the market there into `view`: relists once a day, drops settled
    /// series, reprices, draws the background trades since the last step.
    pub fn advance(&mut self, p: IndexPoint, view: &mut View) {
        view.fresh.clear();
        self.relist(p, &mut view.fresh);
        let dt_days = self
            .last
            .map_or(0.0, |last| (p.at.0 - last.at.0) as f64 / 86_400e9);
        self.last = Some(p);
        self.drop_settled(p);
        view.series.clone_from(&self.series);
        view.index.clone_from(&self.index);
        view.point = Some(p);
        self.price_calls(p);
        self.reprice(p, view);
        self.draw_trades(dt_days, view);
    }

    /// Once a day: the day's listing added (each series kept until it settles).
    fn relist(&mut self, p: IndexPoint, fresh: &mut Vec<Instrument>) {
        let day = p.at.0.div_euclid(86_400 * Timestamp::NANOS_PER_SEC);
        if self.listed_day == Some(day) {
            return;
        }
        self.listed_day = Some(day);
        for e in listing(p.at, p.price) {
            for &k in &e.strikes {
                let (Some(call), Some(put)) = (
                    self.intern(e.expiry, k, 'C', fresh),
                    self.intern(e.expiry, k, 'P', fresh),
                ) else {
                    continue;
                };
                if self.series.iter().all(|s| s.id != call) {
                    Arc::make_mut(&mut self.series).push(Series {
                        id: call,
                        expiry: e.expiry,
                        strike: k,
                        settles: e.expiry.settlement_time(),
                    });
                    self.puts.push(put);
                }
            }
        }
        Arc::make_mut(&mut self.index).rebuild(&self.series);
    }

    /// The option's id, interned if new (and then added to `fresh`).
    fn intern(
        &mut self,
        expiry: Expiry,
        strike: f64,
        right: char,
        fresh: &mut Vec<Instrument>,
    ) -> Option<InstrumentId> {
        let name = format!("ETH-{expiry}-{strike}-{right}");
        if let Ok(id) = self.instruments.id(&name) {
            return Some(id);
        }
        let inst = Instrument::deribit(&name).ok()?;
        let id = self.instruments.intern(inst.clone()).ok()?;
        fresh.push(inst);
        Some(id)
    }

    /// Drops the series settled by `p` (and rebuilds the index that follows the list).
    fn drop_settled(&mut self, p: IndexPoint) {
        if self.series.iter().all(|s| s.settles > p.at) {
            return;
        }
        let series = Arc::make_mut(&mut self.series);
        let mut i = 0;
        while i < series.len() {
            if series[i].settles > p.at {
                i += 1;
            } else {
                series.remove(i);
                self.puts.remove(i);
            }
        }
        Arc::make_mut(&mut self.index).rebuild(&self.series);
    }

    /// Every option and its book at `p` into `view`, calls then puts, index for index with the
    /// series.
    fn reprice(&mut self, p: IndexPoint, view: &mut View) {
        view.calls.clear();
        view.puts.clear();
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
            let mut priced = Priced::unpriced(s.id);
            priced.reprice(
                call,
                vol,
                half_call,
                self.instruments.get(s.id).tick_rule(),
                c,
            );
            view.calls.push(priced);
            let put_id = self.puts[i];
            let mut priced = Priced::unpriced(put_id);
            priced.reprice(
                put,
                vol,
                half_put,
                self.instruments.get(put_id).tick_rule(),
                c,
            );
            view.puts.push(priced);
        }
    }

    /// Every series' call at `p` in one batch (the chain pricer's SIMD lanes) into `self.usd`
    /// (USD greeks), its inputs (t, vol) kept in `self.inputs`. The smile's slice is taken once
    /// per expiry.
    fn price_calls(&mut self, p: IndexPoint) {
        let v = p.vol * p.vol;
        self.slices.clear();
        self.inputs.clear();
        for s in self.series.iter() {
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
    fn draw_trades(&mut self, dt_days: f64, view: &mut View) {
        view.trades.clear();
        let n = poisson(
            &mut self.rng,
            self.config.background_trades_per_day * dt_days,
        );
        let series = view.calls.len();
        for _ in 0..n {
            if series == 0 {
                break;
            }
            let k = self.rng.random_range(0..2 * series);
            let aggressor = if self.rng.random::<bool>() {
                Side::Buy
            } else {
                Side::Sell
            };
            let q = if k < series {
                &view.calls[k]
            } else {
                &view.puts[k - series]
            };
            let best = match aggressor {
                Side::Buy => q.ask,
                Side::Sell => q.bid,
            };
            if let Some((price, _)) = best {
                view.trades.push(MarketTrade {
                    instrument: q.id,
                    aggressor,
                    price,
                    qty: Qty(self.config.background_lots),
                });
            }
        }
    }
}
