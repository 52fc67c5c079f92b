//! The market replayed from Deribit chain snapshots (`../shared/data/deribit_eth_chain/`): each
//! snapshot is one step. Fair values are Deribit's marks (the coin price at the mark IV, forward
//! `underlying`), the venue's book is the snapshot's best bid and ask, the strategy's surface is
//! the SVI fit of the snapshot.
//!
//! Fill rule on snapshot data (no trades or depth are seen): only the simulated roll demand fills
//! the maker's resting orders, when the maker's price is at least as good as the snapshot's best;
//! displayed size is unknown, so the maker is taken to be first at its price. Snapshots are hours
//! apart: orders sent at one snapshot rest from the next, and expiries settle at the index of the
//! first snapshot after them (there is no 30-minute TWAP to take). The puts are kept for the taker
//! route through the put and the future.

use super::market::{put_of, Market, PutRoute, Series, SeriesIndex};
use crate::chain::Snapshot;
use crate::chain_state::{known_state, option_ids, surface_of, ChainStateError};
use crate::roll_flow::ListedCalls;
use crate::synthetic::path::IndexPoint;
use engine::instrument::{InstrumentKind, OptionRight};
use engine::pricing::{coin, Greeks, OptionType};
use engine::state::{State, SurfaceState, Top};
use engine::{InstrumentId, Instruments, Qty};
use rustc_hash::FxHashMap;
use std::cell::OnceCell;

/// What an option's fair value is computed from: Deribit's mark IV at its expiry's forward. Kept
/// rather than the value, which is computed when first asked for (a Tardis replay rebuilds the
/// chain every minute, and asks for few of them).
#[derive(Clone, Copy, Debug)]
struct Mark {
    underlying: f64,
    strike: f64,
    t: f64,
    iv: f64,
}

impl Mark {
    /// The coin price and greeks per contract.
    fn coin_greeks(&self, kind: OptionType) -> Greeks {
        coin::greeks(kind, self.underlying, self.strike, self.t, self.iv, 1.0)
    }

    /// The coin price per contract (`coin::price`'s, as the put route has always used).
    fn coin_price(&self, kind: OptionType) -> f64 {
        coin::price(kind, self.underlying, self.strike, self.t, self.iv, 1.0)
    }
}

#[derive(Default)]
pub struct ChainMarket {
    instruments: Instruments,
    series: Vec<Series>,
    /// Each series' mark, and its fair value once asked for.
    fair: Vec<(Mark, OnceCell<Greeks>)>,
    tops: Vec<Top>,
    state: Option<State>,
    point: Option<IndexPoint>,
    /// The listed puts' marks and tops, by the put's id: for the taker route through the put.
    puts: FxHashMap<InstrumentId, (Mark, Top)>,
    /// Where each series is in `series`, `fair` and `tops`.
    index: SeriesIndex,
    /// Snapshots that could not be turned into a state (skipped, with the reason kept).
    pub skipped: Vec<String>,
    /// The perpetual the maker hedges on, where listed (`with_perpetual`).
    perpetual: Option<InstrumentId>,
    /// The last snapshot taken, and its surface once asked for: fitted at most once a
    /// snapshot, and only if asked (the Tardis market rebuilds the chain every minute; the
    /// backtest wants a surface every `surface_seconds`).
    snapshot: Option<Snapshot>,
    surface: OnceCell<Option<SurfaceState>>,
    /// Snapshots taken so far: what a state built from this one's is tagged with.
    generation: u64,
}

impl ChainMarket {
    pub fn new() -> ChainMarket {
        ChainMarket::default()
    }

    /// The market with ETH-PERPETUAL listed for the hedge (the snapshots hold options only: its
    /// book is modelled from the index, `sim::perpetual`). Not for a market whose registry must
    /// follow another's ids (the Tardis market's).
    pub fn with_perpetual(mut self) -> ChainMarket {
        self.perpetual = engine::Instrument::deribit("ETH-PERPETUAL")
            .ok()
            .and_then(|i| self.instruments.intern(i).ok());
        self
    }

    /// Snapshots taken so far (a state built between two is the same but for positions).
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// For a market built on this one that interns the instruments of its own rows (ids stay
    /// those of the chain).
    pub(crate) fn instruments_mut(&mut self) -> &mut Instruments {
        &mut self.instruments
    }

    /// The chain of a snapshot whose options are known (`ids[i]` is row i's, interned here):
    /// the Tardis market's, which keeps its quotes by id.
    pub(crate) fn advance_known(&mut self, snapshot: Snapshot, ids: &[InstrumentId]) {
        let state = known_state(&snapshot, ids, &self.instruments);
        self.take(snapshot, state);
    }

    /// The snapshot and its state (or why it has none: kept, and the chain left as it was) as
    /// the chain.
    fn take(&mut self, snapshot: Snapshot, state: Result<State, ChainStateError>) {
        let state = match state {
            Ok(s) => s,
            Err(e) => {
                self.skipped.push(format!("{}: {e}", snapshot.timestamp));
                return;
            }
        };
        self.series.clear();
        self.fair.clear();
        self.tops.clear();
        self.puts.clear();
        // known_state keeps the rows' order, one series per row.
        for (row, s) in snapshot.rows.iter().zip(&state.series) {
            if row.t <= 0.0 {
                continue;
            }
            let inst = self.instruments.get(s.id);
            let InstrumentKind::Option { expiry, .. } = *inst.kind() else {
                continue;
            };
            let mark = Mark {
                underlying: row.underlying,
                strike: row.strike,
                t: row.t,
                iv: row.mark_iv,
            };
            if s.right == OptionRight::Put {
                self.puts.insert(s.id, (mark, s.top));
                continue;
            }
            self.series.push(Series {
                id: s.id,
                expiry,
                strike: s.strike,
                // The state's: the same time, taken once an expiry.
                settles: state.expiries[s.expiry].settles,
            });
            self.fair.push((mark, OnceCell::new()));
            self.tops.push(s.top);
        }
        self.index.rebuild(&self.series);
        self.point = Some(self.step_point(&snapshot));
        self.state = Some(state);
        self.snapshot = Some(snapshot);
        self.surface = OnceCell::new();
        self.generation += 1;
    }

    /// The last snapshot's surface, fitted when first asked for.
    pub(crate) fn surface(&self) -> Option<&SurfaceState> {
        let fit = || self.snapshot.as_ref().map(surface_of);
        self.surface.get_or_init(fit).as_ref()
    }
}

impl Market for ChainMarket {
    type Step = Snapshot;

    fn step_point(&self, step: &Snapshot) -> IndexPoint {
        IndexPoint {
            at: step.timestamp,
            price: step.rows.first().map_or(f64::NAN, |r| r.index),
            vol: 0.0,
        }
    }

    fn advance(&mut self, snapshot: &mut Snapshot) {
        // Kept as the chain (its surface is fitted from it when asked for).
        let snapshot = std::mem::take(snapshot);
        let state = option_ids(&snapshot, &mut self.instruments)
            .and_then(|ids| known_state(&snapshot, &ids, &self.instruments));
        self.take(snapshot, state);
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

    fn fair(&self, id: InstrumentId) -> Option<Greeks> {
        let (mark, fair) = &self.fair[self.index.get(id)?];
        Some(*fair.get_or_init(|| mark.coin_greeks(OptionType::Call)))
    }

    /// The series and their marks change with a snapshot, and only then.
    fn fairs_generation(&self) -> Option<u64> {
        Some(self.generation)
    }

    fn top(&self, id: InstrumentId) -> Option<Top> {
        Some(self.tops[self.index.get(id)?])
    }

    fn point(&self) -> Option<IndexPoint> {
        self.point
    }

    fn state(
        &self,
        position: &dyn Fn(InstrumentId) -> Qty,
        surface: Option<SurfaceState>,
    ) -> State {
        let mut state =
            (self.state.clone()).unwrap_or_else(|| State::empty(engine::Timestamp(0), "ETH"));
        for s in &mut state.series {
            s.position = position(s.id);
        }
        state.surface = surface.or_else(|| self.surface_now());
        state
    }

    fn surface_now(&self) -> Option<SurfaceState> {
        self.surface().cloned()
    }

    fn put_route(&self, id: InstrumentId) -> Option<PutRoute> {
        self.index.get(id)?;
        let put = put_of(&self.instruments, id)?;
        let (mark, top) = self.puts.get(&put)?;
        let inst = self.instruments.get(put);
        // The snapshots show no sizes: one level, as deep as needed.
        let one_level = |best: Option<(engine::Price, Qty)>| -> Vec<(f64, i64)> {
            best.map(|(p, _)| (inst.price_f64(p), 0))
                .into_iter()
                .collect()
        };
        Some(PutRoute {
            bids: one_level(top.bid),
            asks: one_level(top.ask),
            fair: mark.coin_price(OptionType::Put),
        })
    }

    fn listing(&self) -> &[ListedCalls] {
        self.index.listing()
    }
}
