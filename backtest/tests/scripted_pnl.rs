//! A hand-built scenario through the backtest loop, with every number known: one call, a maker
//! that offers 10 at 0.0515 ETH, the book's best bid rising to meet it (filled in full under the
//! crossing rule), and expiry at 2,500 USD. The PnL comes out to the unit.

use backtest::roll_flow::ListedCalls;
use backtest::sim::market::{IterSteps, Market, Series};
use backtest::sim::run::{run_market, FillRule, RunConfig};
use backtest::synthetic::path::{IndexPoint, Preset};
use engine::instrument::Expiry;
use engine::pricing::Greeks;
use engine::quotes::{QuoteKey, QuoteRules, WantedQuote};
use engine::state::{Stamped, State, StateBuilder, SurfaceState, Top};
use engine::{Instrument, InstrumentId, Instruments, Price, Qty, Side, Timestamp};
use strategies::{Strategy, Wanted};

/// One step: time, index, and the call's best bid and ask (price units of 0.0001 ETH).
type Step = (Timestamp, f64, i64, i64);

fn point(s: &Step) -> IndexPoint {
    IndexPoint {
        at: s.0,
        price: s.1,
        vol: 0.5,
    }
}

struct Scripted {
    instruments: Instruments,
    series: Vec<Series>,
    now: Option<Step>,
}

impl Market for Scripted {
    type Step = Step;
    fn step_point(&self, s: &Step) -> IndexPoint {
        point(s)
    }
    fn advance(&mut self, s: &mut Step) {
        self.series.retain(|x| x.expiry.settlement_time() > s.0);
        self.now = Some(*s);
    }
    fn instruments(&self) -> &Instruments {
        &self.instruments
    }
    fn series(&self) -> &[Series] {
        &self.series
    }
    fn fair(&self, id: InstrumentId) -> Option<Greeks> {
        self.series.iter().any(|s| s.id == id).then_some(Greeks {
            price: 0.051,
            vega: 1.0,
            ..Greeks::default()
        })
    }
    fn top(&self, id: InstrumentId) -> Option<Top> {
        let (at, _, bid, ask) = self.now?;
        self.series.iter().any(|s| s.id == id).then_some(Top {
            bid: Some((Price(bid), Qty(10))),
            ask: Some((Price(ask), Qty(10))),
            live: true,
            updated: at,
        })
    }
    fn point(&self) -> Option<IndexPoint> {
        self.now.as_ref().map(point)
    }
    fn state(
        &self,
        position: &dyn Fn(InstrumentId) -> Qty,
        surface: Option<SurfaceState>,
    ) -> State {
        let p = self.point().unwrap();
        let mut state = StateBuilder::new(p.at, "ETH");
        for s in &self.series {
            let top = self.top(s.id).unwrap_or_default();
            let inst = self.instruments.get(s.id);
            state
                .push(s.id, inst, p.price, top, position(s.id))
                .unwrap();
        }
        let index = Stamped {
            value: p.price,
            at: p.at,
        };
        state.finish(Some(index), surface)
    }
    fn surface_now(&self) -> Option<SurfaceState> {
        None
    }
    fn listing(&self) -> &[ListedCalls] {
        &[]
    }
}

/// Offers 10 at 0.0515 while flat; nothing once it holds the short.
struct OfferTen;

impl Strategy for OfferTen {
    fn name(&self) -> &'static str {
        "offer_ten"
    }
    fn quotes(&mut self, state: &State, out: &mut Wanted) {
        for s in &state.series {
            if s.position.0 == 0 {
                out.quotes.push(WantedQuote {
                    key: QuoteKey {
                        instrument: s.id,
                        side: Side::Sell,
                        level: 0,
                    },
                    price: Price(515),
                    qty: Qty(10),
                    tick: 5,
                });
            }
        }
    }
}

fn expiry() -> Expiry {
    Expiry::parse("27MAR26").unwrap()
}

/// The scripted backtest of `steps` with the offer of [`OfferTen`], requoting at every step, under
/// the crossing rule.
fn scripted(steps: Vec<Step>) -> backtest::sim::run::Summary {
    let mut instruments = Instruments::new();
    let id = instruments
        .intern(Instrument::deribit("ETH-27MAR26-2000-C").unwrap())
        .unwrap();
    let mut market = Scripted {
        instruments,
        series: vec![Series {
            id,
            expiry: expiry(),
            strike: 2000.0,
            settles: expiry().settlement_time(),
        }],
        now: None,
    };
    let mut config = RunConfig::new(Preset::Calm, 1);
    config.flow.holders = 0;
    config.venue.fill_rule = FillRule::OppositeCrosses;
    config.schedule.requote_seconds = 0.0;
    let rules = QuoteRules {
        price_threshold_ticks: 0,
        size_threshold_lots: 0,
        max_actions_per_second: 100,
    };
    let n = steps.len() as u64;
    run_market(
        &mut market,
        &mut IterSteps(steps.into_iter()),
        n,
        &config,
        &mut OfferTen,
        rules,
        &mut |_, _| {},
    )
}

const MINUTE: i64 = 60 * Timestamp::NANOS_PER_SEC;

#[test]
fn a_quote_does_not_rest_through_a_gap_in_the_data() {
    let t0 = expiry().settlement_time().0 - 30 * 86_400 * Timestamp::NANOS_PER_SEC;
    // Six hours on, the bid has reached the offer: the maker would have requoted meanwhile, on
    // data the backtest does not have, so the offer priced six hours ago does not fill.
    let gap = vec![
        (Timestamp(t0), 2400.0, 500, 520),
        (Timestamp(t0 + 360 * MINUTE), 2450.0, 515, 520),
    ];
    assert_eq!(scripted(gap.clone()).fills, 0);
    // The offer made on the new data, a minute later reached by the same bid, fills.
    let mut then = gap;
    then.push((Timestamp(t0 + 361 * MINUTE), 2450.0, 515, 520));
    assert_eq!(scripted(then).fills, 1);
    // A minute apart, with no gap, the first offer fills where the bid reaches it.
    let steady = vec![
        (Timestamp(t0), 2400.0, 500, 520),
        (Timestamp(t0 + MINUTE), 2450.0, 515, 520),
    ];
    assert_eq!(scripted(steady).fills, 1);
}

#[test]
fn a_scripted_fill_and_settlement_give_the_exact_pnl() {
    let settle = expiry().settlement_time().0;
    let minute = MINUTE;
    let steps: Vec<Step> = vec![
        (Timestamp(settle - 3 * minute), 2400.0, 500, 520), // the offer is sent
        (Timestamp(settle - 2 * minute), 2450.0, 515, 520), // it arrived: the bid reaches it
        (Timestamp(settle - minute), 2480.0, 515, 520),
        (Timestamp(settle), 2500.0, 515, 520), // settles at the 30-minute TWAP
    ];
    let s = scripted(steps);
    assert_eq!(s.fills, 1);
    // Sold 10 at 0.0515: +0.515 ETH, fee 0.0003 x 10 = 0.003 (under 12.5% of 0.0515).
    // Settlement at the TWAP of the samples within 30 minutes before it, each held until the
    // next: 2400, 2450 and 2480 for a minute each (the one at settlement is held for no time).
    let twap: f64 = (2400.0 + 2450.0 + 2480.0) / 3.0;
    let value = ((twap - 2000.0) / twap * 1e10).floor() / 1e10; // rounded down at 1e-10 ETH
    let delivery = 0.00015 * 10.0;
    let cash = 0.515 - 0.003 - value * 10.0 - delivery;
    let expected = cash * 2500.0;
    assert!(
        (s.maker_pnl_usd - expected).abs() < 1e-6,
        "{} vs {expected}",
        s.maker_pnl_usd
    );
    // Spread PnL against the fair 0.051: 10 x 0.0005 ETH at 2450.
    assert!(
        (s.maker_pnl_split_usd.spread - 10.0 * 0.0005 * 2450.0).abs() < 1e-9,
        "{}",
        s.maker_pnl_split_usd.spread
    );
    assert!((s.fees_usd - (0.003 + delivery) * 2500.0).abs() < 1e-9);
}
