//! The synthetic market a backtest runs on: the index path, a Deribit-like listing of calls
//! (relisted daily, each series kept until it settles), their fair values off the synthetic
//! smile, and a venue book around fair: the best bid and ask `half_spread_vol` vol points either
//! side (rounded away from fair to the tick, at least one tick), `depth_lots` displayed on each.

use crate::synthetic::listing::{listing, ListedExpiry};
use crate::synthetic::path::{IndexPoint, PathConfig};
use crate::synthetic::smile::{slice, SmileConfig};
use engine::instrument::{Expiry, OptionRight};
use engine::pricing::surface::Surface;
use engine::pricing::{coin, Greeks, OptionType};
use engine::state::{ExpiryState, SeriesState, Stamped, State, SurfaceState, Top};
use engine::tick_rule::Rounding;
use engine::{Instrument, InstrumentId, Instruments, Price, Qty, Timestamp};
use std::collections::BTreeMap;

/// What the backtest loop needs of a market, synthetic or replayed from data.
pub trait Market {
    /// One step of the market's own timeline (a path point, a snapshot).
    type Step;
    /// The time and index of a step, before the market moves to it.
    fn step_point(step: &Self::Step) -> IndexPoint;
    /// Moves the market to `step`.
    fn advance(&mut self, step: Self::Step);
    fn instruments(&self) -> &Instruments;
    /// The listed calls now.
    fn series(&self) -> &[Series];
    /// Fair coin price and greeks of series `i`.
    fn fair(&self, i: usize) -> Greeks;
    /// The venue's best bid and ask of series `i`.
    fn top(&self, i: usize) -> Top;
    fn point(&self) -> Option<IndexPoint>;
    /// The state a strategy sees now, with `position(id)` lots held.
    fn state(&self, position: &dyn Fn(InstrumentId) -> Qty, surface: Option<SurfaceState>)
        -> State;
    /// The surface the strategy is handed.
    fn surface_now(&self) -> Option<SurfaceState>;
    /// Expiries and strikes listed now (the roll demand's targets).
    fn listing(&self) -> Vec<ListedExpiry>;
    /// The put of series `i`'s strike and expiry, for the taker route through the put and the
    /// future (ETH prices), where the market lists puts.
    fn put_route(&self, _i: usize) -> Option<PutRoute> {
        None
    }
}

/// A put's best bid and ask and fair value (ETH per contract).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PutRoute {
    pub bid: Option<f64>,
    pub ask: Option<f64>,
    pub fair: f64,
}

impl PutRoute {
    /// What crossing the put costs over fair per contract, for a holder on `side` of the call
    /// (buying the call = buying the put and the future; the future's spread is not in the data
    /// and taken as nothing).
    pub fn cost(&self, side: engine::Side) -> Option<f64> {
        match side {
            engine::Side::Buy => self.ask.map(|a| a - self.fair),
            engine::Side::Sell => self.bid.map(|b| self.fair - b),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct MarketConfig {
    pub smile: SmileConfig,
    /// Venue spread: the best bid and ask this many vol points from fair.
    pub half_spread_vol: f64,
    /// Lots displayed at the venue's best bid and ask.
    pub depth_lots: i64,
}

impl Default for MarketConfig {
    fn default() -> Self {
        MarketConfig {
            smile: SmileConfig::default(),
            half_spread_vol: 2.0,
            depth_lots: 50,
        }
    }
}

/// One listed call.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub id: InstrumentId,
    pub expiry: Expiry,
    pub strike: f64,
}

pub struct SyntheticMarket {
    path: PathConfig,
    config: MarketConfig,
    instruments: Instruments,
    series: Vec<Series>,
    listed_day: Option<i64>,
    point: Option<IndexPoint>,
    /// Fair coin greeks of each series at the current point (price, vega per 1.00).
    fair: Vec<Greeks>,
    /// And the vol they were priced at.
    vols: Vec<f64>,
}

impl SyntheticMarket {
    pub fn new(path: PathConfig, config: MarketConfig) -> SyntheticMarket {
        SyntheticMarket {
            path,
            config,
            instruments: Instruments::new(),
            series: Vec::new(),
            listed_day: None,
            point: None,
            fair: Vec::new(),
            vols: Vec::new(),
        }
    }
}

impl SyntheticMarket {
    /// The chain now as Tardis `options_chain` quotes: the venue's best bid and ask with the
    /// displayed depth, the fair value as the mark.
    pub fn quotes(&self) -> Vec<crate::tardis::ChainQuote> {
        let Some(p) = self.point else {
            return Vec::new();
        };
        let eth = |inst: &Instrument, price: Price| {
            use rust_decimal::prelude::ToPrimitive;
            inst.price_decimal(price).to_f64().unwrap_or(f64::NAN)
        };
        self.series
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let inst = self.instruments.get(s.id);
                let top = self.top(i);
                crate::tardis::ChainQuote {
                    symbol: inst.name().to_string(),
                    strike: s.strike,
                    expiration: s.expiry.settlement_time(),
                    bid: top.bid.map(|(b, q)| (eth(inst, b), q.0 as f64)),
                    ask: top.ask.map(|(a, q)| (eth(inst, a), q.0 as f64)),
                    mark: self.fair[i].price,
                    mark_iv: self.vols[i],
                    underlying_price: p.price,
                }
            })
            .collect()
    }
}

impl Market for SyntheticMarket {
    type Step = IndexPoint;

    fn step_point(step: &IndexPoint) -> IndexPoint {
        *step
    }

    fn instruments(&self) -> &Instruments {
        &self.instruments
    }

    fn series(&self) -> &[Series] {
        &self.series
    }

    fn point(&self) -> Option<IndexPoint> {
        self.point
    }

    /// Relists once a day, drops settled series, reprices.
    fn advance(&mut self, p: IndexPoint) {
        let day = p.at.0.div_euclid(86_400 * Timestamp::NANOS_PER_SEC);
        if self.listed_day != Some(day) {
            self.listed_day = Some(day);
            for e in listing(p.at, p.price) {
                for &k in &e.strikes {
                    let name = format!("ETH-{}-{}-C", e.expiry, k);
                    let Ok(inst) = Instrument::deribit(&name) else {
                        continue;
                    };
                    let Ok(id) = self.instruments.intern(inst) else {
                        continue;
                    };
                    if self.series.iter().all(|s| s.id != id) {
                        self.series.push(Series {
                            id,
                            expiry: e.expiry,
                            strike: k,
                        });
                    }
                }
            }
        }
        self.series.retain(|s| s.expiry.settlement_time() > p.at);
        self.point = Some(p);
        let v = p.vol * p.vol;
        self.fair.clear();
        self.vols.clear();
        for s in &self.series {
            let t = p.at.years_until(s.expiry.settlement_time());
            let vol = slice(&self.path, &self.config.smile, v, t).vol((s.strike / p.price).ln(), t);
            self.fair.push(coin::greeks(
                OptionType::Call,
                p.price,
                s.strike,
                t,
                vol,
                1.0,
            ));
            self.vols.push(vol);
        }
    }

    fn fair(&self, i: usize) -> Greeks {
        self.fair[i]
    }

    /// Fair ± the half spread, rounded away from fair to the tick.
    fn top(&self, i: usize) -> Top {
        let inst = self.instruments.get(self.series[i].id);
        let rule = inst.tick_rule();
        let g = self.fair[i];
        let half = self.config.half_spread_vol * g.vega / 100.0;
        let unit = 1e-4;
        let bid_raw = Price(((g.price - half) / unit).floor() as i64);
        let ask_raw = Price(((g.price + half) / unit).ceil() as i64);
        let mut ask = rule.round(ask_raw.max(Price(1)), Rounding::Up);
        let bid = if bid_raw.0 >= 1 {
            Some(rule.round(bid_raw, Rounding::Down))
        } else {
            None
        };
        if let Some(b) = bid {
            if ask <= b {
                ask = rule.next_up(b);
            }
        }
        let depth = Qty(self.config.depth_lots);
        Top {
            bid: bid.map(|b| (b, depth)),
            ask: Some((ask, depth)),
            live: true,
            updated: self.point.map_or(Timestamp(0), |p| p.at),
        }
    }

    fn state(
        &self,
        position: &dyn Fn(InstrumentId) -> Qty,
        surface: Option<SurfaceState>,
    ) -> State {
        let Some(p) = self.point else {
            return State {
                now: Timestamp(0),
                underlying: "ETH".to_string(),
                index: None,
                expiries: Vec::new(),
                series: Vec::new(),
                surface,
                hedge: None,
            };
        };
        let mut expiry_index: BTreeMap<Expiry, usize> = BTreeMap::new();
        let mut expiries = Vec::new();
        let mut series = Vec::with_capacity(self.series.len());
        for (i, s) in self.series.iter().enumerate() {
            let e = *expiry_index.entry(s.expiry).or_insert_with(|| {
                expiries.push(ExpiryState {
                    settles: s.expiry.settlement_time(),
                    forward: p.price,
                    df: 1.0,
                });
                expiries.len() - 1
            });
            let inst = self.instruments.get(s.id);
            series.push(SeriesState {
                id: s.id,
                expiry: e,
                strike: s.strike,
                right: OptionRight::Call,
                top: self.top(i),
                position: position(s.id),
                tick_rule: inst.tick_rule().clone(),
                price_unit: 1e-4,
                lot: 1.0,
            });
        }
        State {
            now: p.at,
            underlying: "ETH".to_string(),
            index: Some(Stamped {
                value: p.price,
                at: p.at,
            }),
            expiries,
            series,
            surface,
            hedge: None,
        }
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

    fn listing(&self) -> Vec<ListedExpiry> {
        match self.point {
            Some(p) => listing(p.at, p.price),
            None => Vec::new(),
        }
    }
}
