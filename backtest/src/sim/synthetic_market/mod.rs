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

mod ahead;
mod steps;
mod view;

use super::market::{Market, MarketTrade, PutRoute, Series};
pub use super::synthetic_book::MarketConfig;
use crate::roll_flow::ListedCalls;
use crate::sim::synthetic_book::Priced;
use crate::synthetic::path::{IndexPath, IndexPoint, PathConfig};
use crate::synthetic::smile::slice;
use ahead::Ahead;
use engine::instrument::Expiry;
use engine::pricing::surface::Surface;
use engine::pricing::Greeks;
use engine::state::{set_surface, Stamped, State, StateBuilder, SurfaceState, Top};
use engine::{InstrumentId, Instruments, Price, Qty, Side, Timestamp};
use steps::Mover;
use view::View;

/// One option's book: levels best first.
#[derive(Clone, Debug, PartialEq)]
pub struct OptionBook {
    pub id: InstrumentId,
    pub bids: Vec<(Price, Qty)>,
    pub asks: Vec<(Price, Qty)>,
}

pub struct SyntheticMarket {
    /// The market now.
    view: Box<View>,
    /// Every instrument the steps have interned, with the same ids.
    instruments: Instruments,
    steps: Steps,
}

/// Where the steps are computed.
enum Steps {
    /// Here, at each advance.
    Here(Box<Mover>),
    /// On a thread of their own, along the path given.
    Ahead(Ahead),
}

impl SyntheticMarket {
    /// The market on `path`'s smile and `config`'s books, its takers drawn from `seed`, moved to
    /// whatever point each advance is given.
    pub fn new(path: PathConfig, config: MarketConfig, seed: u64) -> SyntheticMarket {
        let mover = Mover::new(path, config, seed);
        SyntheticMarket {
            view: Box::new(mover.view()),
            instruments: mover.instruments().clone(),
            steps: Steps::Here(Box::new(mover)),
        }
    }

    /// The same market, its steps computed ahead on a thread of their own along the path of
    /// `path` and `seed` ([`IndexPath`]); each advance must be given that path's next point.
    pub fn ahead(path: PathConfig, config: MarketConfig, seed: u64) -> SyntheticMarket {
        let mover = Mover::new(path.clone(), config, seed);
        SyntheticMarket {
            view: Box::new(mover.view()),
            instruments: mover.instruments().clone(),
            steps: Steps::Ahead(Ahead::spawn(mover, IndexPath::new(path, seed))),
        }
    }

    /// Option `q`'s levels on `side`, best first, into `out` (cleared first).
    fn side(&self, q: &Priced, side: Side, out: &mut Vec<(Price, Qty)>) {
        let rule = self.instruments.get(q.id).tick_rule();
        q.side(rule, &self.view.config, side, out);
    }

    /// Every listed option's book now, calls then puts.
    pub fn books(&self) -> Vec<OptionBook> {
        let v = &self.view;
        (v.calls.iter().chain(&v.puts))
            .map(|q| {
                let (mut bids, mut asks) = (Vec::new(), Vec::new());
                self.side(q, Side::Buy, &mut bids);
                self.side(q, Side::Sell, &mut asks);
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
        let v = &self.view;
        let Some(p) = v.point else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(2 * v.series.len());
        let terms = v.series.iter().chain(v.series.iter());
        for (q, s) in v.calls.iter().chain(&v.puts).zip(terms) {
            let inst = self.instruments.get(q.id);
            let eth = |(price, qty): (Price, Qty)| (inst.price_f64(price), qty.0 as f64);
            out.push(crate::tardis::ChainQuote {
                symbol: inst.name().into(),
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
        self.view.perpetual
    }

    fn series(&self) -> &[Series] {
        &self.view.series
    }

    fn point(&self) -> Option<IndexPoint> {
        self.view.point
    }

    /// Relists once a day, drops settled series, reprices, draws the background trades since
    /// the last step ([`steps`]); or takes that step's view from the thread computing ahead.
    fn advance(&mut self, p: &mut IndexPoint) {
        let p = *p;
        match &mut self.steps {
            Steps::Here(mover) => mover.advance(p, &mut self.view),
            Steps::Ahead(ahead) => {
                let old = std::mem::replace(&mut self.view, ahead.next(p));
                ahead.recycle(old);
            }
        }
        for inst in self.view.fresh.drain(..) {
            let name = inst.name().to_string();
            // Interned in the same order as the steps did: the same ids.
            if let Err(e) = self.instruments.intern(inst) {
                unreachable!("{name} was interned by the steps: {e}");
            }
        }
    }

    fn fair(&self, id: InstrumentId) -> Option<Greeks> {
        Some(self.view.calls[self.view.index.get(id)?].fair)
    }

    fn top(&self, id: InstrumentId) -> Option<Top> {
        let at = self.view.point.map_or(Timestamp(0), |p| p.at);
        Some(self.view.calls[self.view.index.get(id)?].top(at))
    }

    fn levels(&self, id: InstrumentId, side: Side, out: &mut Vec<(Price, Qty)>) {
        let Some(i) = self.view.index.get(id) else {
            return out.clear();
        };
        self.side(&self.view.calls[i], side, out);
    }

    fn trades(&self) -> &[MarketTrade] {
        &self.view.trades
    }

    fn put_route(&self, id: InstrumentId) -> Option<PutRoute> {
        let v = &self.view;
        let q = v.puts.get(v.index.get(id)?)?;
        let inst = self.instruments.get(q.id);
        let side = |s: Side| {
            let mut levels = Vec::new();
            self.side(q, s, &mut levels);
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
        let v = &self.view;
        let Some(p) = v.point else {
            return StateBuilder::new(Timestamp(0), "ETH").finish(None, surface);
        };
        let mut state = StateBuilder::new(p.at, "ETH");
        for priced in [&v.calls, &v.puts] {
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

    /// In place where `state` lists this market's options in its order: each top and position,
    /// the forwards, the index and the surface, as [`Market::state`] sets them. Building it
    /// afresh each requote cost a fifth of a run (a series' state, its tick rule, 1,400 times).
    fn update_state(
        &self,
        state: &mut State,
        position: &dyn Fn(InstrumentId) -> Qty,
        surface: Option<&SurfaceState>,
    ) {
        let v = &self.view;
        let options = v.calls.iter().chain(&v.puts);
        let same = state.series.len() == v.calls.len() + v.puts.len()
            && state.series.iter().zip(options).all(|(s, q)| s.id == q.id);
        let Some(p) = v.point.filter(|_| same) else {
            *state = self.state(position, surface.cloned());
            return;
        };
        let options = v.calls.iter().chain(&v.puts);
        for (s, q) in state.series.iter_mut().zip(options) {
            s.top = q.top(p.at);
            s.position = position(q.id);
        }
        for e in &mut state.expiries {
            e.forward = p.price;
        }
        state.now = p.at;
        state.index = Some(Stamped {
            value: p.price,
            at: p.at,
        });
        set_surface(&mut state.surface, surface);
        state.hedge = None;
        state.cash_eth = 0.0;
    }

    /// The market's own smile, one slice per listed expiry.
    fn surface_now(&self) -> Option<SurfaceState> {
        let v = &self.view;
        let p = v.point?;
        let var = p.vol * p.vol;
        let mut seen: Vec<Expiry> = v.series.iter().map(|s| s.expiry).collect();
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
                    slice(&v.path, &v.config.smile, var, t),
                )
            })
            .collect();
        Some(SurfaceState {
            surface: Surface::from_params(slices).into(),
            fitted: p.at,
        })
    }

    fn listing(&self) -> &[ListedCalls] {
        self.view.index.listing()
    }
}

#[cfg(test)]
mod tests {
    use super::super::synthetic_book::{half_spread, put_by_parity, side_levels};
    use super::*;
    use engine::pricing::{coin, OptionType};
    use engine::tick_rule::TickRule;

    #[test]
    fn a_state_updated_in_place_is_the_state_built_afresh() {
        use crate::synthetic::path::{IndexPath, Preset};
        let config = Preset::Calm.config();
        let mut market = SyntheticMarket::new(config.clone(), MarketConfig::default(), 3);
        let mut path = IndexPath::new(config, 3);
        let held = |id: InstrumentId| Qty(id.0 as i64 % 3 - 1);
        market.advance(&mut path.next().unwrap());
        let mut state = market.state(&held, None);
        // Minutes within a day (the series unchanged), then across midnight (new series
        // listed, settled ones dropped: rebuilt).
        for minutes in [1, 7, 60, 1440, 1] {
            for _ in 0..minutes {
                market.advance(&mut path.next().unwrap());
            }
            // (No surface: its fits hold NaNs, which no state equals.)
            market.update_state(&mut state, &held, None);
            assert_eq!(state, market.state(&held, None), "after {minutes} minutes");
        }
        assert!(state.series.iter().any(|s| s.position.0 != 0));
    }

    #[test]
    fn steps_computed_ahead_are_the_steps_computed_here() {
        use crate::synthetic::path::{IndexPath, Preset};
        // Two days and a half: two relistings, daily expiries settled, takers every minute.
        let config = Preset::Calm.config_for(2.5, 10.0);
        let mut here = SyntheticMarket::new(config.clone(), MarketConfig::default(), 5);
        let mut ahead = SyntheticMarket::ahead(config.clone(), MarketConfig::default(), 5);
        let (mut steps, mut trades, mut settled) = (0, 0, false);
        for p in IndexPath::new(config, 5) {
            let listed = here.series().len();
            here.advance(&mut { p });
            ahead.advance(&mut { p });
            settled |= here.series().len() < listed;
            assert_eq!(here.point(), ahead.point());
            assert_eq!(here.trades(), ahead.trades());
            assert_eq!(here.series(), ahead.series());
            if steps % 97 == 0 {
                assert_eq!(here.books(), ahead.books(), "step {steps}");
                assert_eq!(here.quotes(), ahead.quotes(), "step {steps}");
            }
            trades += here.trades().len();
            steps += 1;
        }
        assert!(settled && trades > 1000, "{trades} trades");
        assert_eq!(here.instruments().len(), ahead.instruments().len());
    }

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
