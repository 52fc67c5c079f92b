//! The backtest's whole loop on one instrument's L2 stream (the binary format's records): what
//! the comparison with hftbacktest's whole loop runs (`benches/benches/replay.rs`). The records
//! become the Tardis market's rows (its book, the trades it prints, the cancels it infers), after
//! one chain quote that lists the option; [`BestQuotes`] keeps a bid and an ask at the best; and
//! [`run_market`] joins them with the trader, the quote manager and the simulated venue (order,
//! response and feed latency, queue model, fees) and keeps the accounts, as in every backtest.
//!
//! The option is given a grid of one unit (0.000001 ETH) so that every price of a stream whose
//! tick is one unit is on it.

use super::market::StepSource;
use super::run::{run_market, Summary};
use super::run_config::RunConfig;
use super::tardis_market::TardisMarket;
use crate::binary::{Kind, Record};
use crate::events::latency::Latency;
use crate::queue::QueueModel;
use crate::tardis::resolve::{Event, Listed, Resolved};
use crate::tardis::{refill, ChainQuote, Origin, StepRows};
use engine::instrument::{ContractSpec, InstrumentName, PnlStyle};
use engine::quotes::{QuoteRules, WantedQuote};
use engine::state::State;
use engine::strategy::{Strategy, Wanted};
use engine::{Instrument, InstrumentId, Qty, Side, Timestamp};
use rust_decimal::Decimal;

/// The option the stream's book is taken to be.
pub const OPTION: &str = "ETH-27MAR26-2000-C";

/// One bid and one ask of `lots` at the best prices of every series whose book is live.
#[derive(Clone, Copy, Debug)]
pub struct BestQuotes {
    pub lots: i64,
}

impl Strategy for BestQuotes {
    fn name(&self) -> &'static str {
        "best_quotes"
    }

    fn quotes(&mut self, state: &State, out: &mut Wanted) {
        for s in state.series.iter().filter(|s| s.top.live) {
            let quote = |side, price| {
                WantedQuote::new(s.id, (side, 0), price, Qty(self.lots), &s.tick_rule)
            };
            // Each side on its own (a loop over the two copied both tops first).
            if let Some((bid, _)) = s.top.bid {
                out.quotes.push(quote(Side::Buy, bid));
            }
            if let Some((ask, _)) = s.top.ask {
                out.quotes.push(quote(Side::Sell, ask));
            }
        }
    }
}

/// [`OPTION`] on a grid of one unit of 0.000001 ETH, 1 ETH a contract.
pub fn option() -> Instrument {
    let unit = Decimal::new(1, 6);
    let spec = ContractSpec {
        price_unit: unit,
        tick_size: unit,
        tick_size_steps: vec![],
        contract_size: Decimal::ONE,
        min_amount: Decimal::ONE,
        settlement_currency: "ETH".into(),
        pnl: PnlStyle::Linear,
        tradeable: true,
    };
    let name = InstrumentName::parse(OPTION).expect("a Deribit option name");
    Instrument::new(name, spec).expect("a well-formed spec")
}

/// The loop's config for the comparison: order, response and feed latency of `latency_ms`
/// each, the conservative queue (it moves up on trades only, as hftbacktest's risk-averse one
/// does), a requote at every step, no roll demand (the stream's trades are the only takers).
pub fn config(latency_ms: f64) -> RunConfig {
    let mut config = RunConfig::new(crate::synthetic::path::Preset::Calm, 1);
    let latency = Latency::Constant { ms: latency_ms };
    config.venue.order_latency = latency.clone();
    config.venue.response_latency = latency.clone();
    config.venue.feed_latency = latency;
    config.venue.queue = QueueModel::Conservative;
    config.schedule.requote_seconds = 0.0;
    config.flow.holders = 0;
    config.flow.n_holders = 0;
    config
}

/// Every move of the best followed at once, no rate cap (as the anchor's strategy does).
pub fn rules() -> QuoteRules {
    QuoteRules {
        price_threshold_ticks: 0,
        size_threshold_lots: 0,
        max_actions_per_second: u32::MAX,
    }
}

/// `records` (one instrument's) through the whole backtest loop with `strategy`.
pub fn run_l2(
    records: impl Iterator<Item = Record>,
    config: &RunConfig,
    strategy: &mut dyn Strategy,
    rules: QuoteRules,
) -> Summary {
    let mut market = TardisMarket::new();
    // The chain (one option) is built at the first step, not a minute after its quote.
    market.rebuild_seconds = 0.0;
    let mut steps = L2Steps(Rows::new(records));
    run_market(
        &mut market,
        &mut steps,
        0,
        config,
        strategy,
        rules,
        &mut |_, _| {},
    )
}

/// The records as the Tardis market's rows: first a chain quote listing [`OPTION`] (id 0), then
/// each record; the levels at a clear's time are a snapshot run, the first one resetting the book.
struct Rows<I: Iterator<Item = Record>> {
    records: std::iter::Peekable<I>,
    listed: bool,
    /// The time of the last clear, and whether its run has had its first level.
    clear: Option<(Timestamp, bool)>,
    line: u64,
}

impl<I: Iterator<Item = Record>> Rows<I> {
    fn new(records: I) -> Rows<I> {
        Rows {
            records: records.peekable(),
            listed: false,
            clear: None,
            line: 0,
        }
    }

    fn listing(at: Timestamp) -> Resolved {
        let id = InstrumentId(0);
        let quote = ChainQuote {
            symbol: OPTION.into(),
            strike: 2000.0,
            expiration: Timestamp::from_millis(1_774_598_400_000),
            bid: None,
            ask: None,
            mark: 0.2,
            mark_iv: 0.5,
            underlying_price: 2000.0,
        };
        Resolved {
            at,
            origin: Origin::default(),
            event: Ok(Event::Quote {
                id,
                quote: Box::new(quote),
            }),
            listed: Some(Listed {
                id,
                instrument: Box::new(option()),
            }),
        }
    }

    fn event(&mut self, r: &Record) -> Event {
        let id = InstrumentId(0);
        if r.kind == Kind::Trade {
            return Event::Trade {
                id,
                side: r.side,
                price: r.price,
                qty: r.qty,
            };
        }
        let (snapshot, reset) = match &mut self.clear {
            Some((at, started)) if *at == r.at => (true, !std::mem::replace(started, true)),
            _ => (false, false),
        };
        Event::Level {
            id,
            snapshot,
            reset,
            side: r.side,
            price: r.price,
            qty: r.qty,
        }
    }
}

impl<I: Iterator<Item = Record>> Rows<I> {
    /// The next row's time, the clears before it read past (after the listing).
    #[inline]
    fn next_at(&mut self) -> Option<Timestamp> {
        if self.listed {
            // Peeked, not `next_if` (which takes each record out and puts it back).
            while let Some(r) = self.records.peek().filter(|r| r.kind == Kind::Clear) {
                self.clear = Some((r.at, false));
                self.line += 1;
                self.records.next();
            }
        }
        self.records.peek().map(|r| r.at)
    }

    /// The next row: the listing, then one a record (the tests read the rows one by one).
    #[cfg(test)]
    fn row(&mut self) -> Option<Resolved> {
        self.next_at()?;
        self.take_row()
    }

    /// The row [`Rows::next_at`] has just seen.
    #[inline]
    fn take_row(&mut self) -> Option<Resolved> {
        if !self.listed {
            self.listed = true;
            return Some(Rows::<I>::listing(self.records.peek()?.at));
        }
        let r = self.records.next()?;
        self.line += 1;
        let event = self.event(&r);
        let origin = Origin {
            file: None,
            line: self.line,
        };
        Some(Resolved {
            at: r.at,
            origin,
            event: Ok(event),
            listed: None,
        })
    }
}

#[cfg(test)]
impl<I: Iterator<Item = Record>> Iterator for Rows<I> {
    type Item = Result<Resolved, crate::tardis::TardisError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.row().map(Ok)
    }
}

/// The rows as the loop's steps (those of one time together), each written straight into the
/// step as the binary format's steps are: no row held in a peeked slot and moved on from there.
struct L2Steps<I: Iterator<Item = Record>>(Rows<I>);

impl<I: Iterator<Item = Record>> StepSource<StepRows> for L2Steps<I> {
    fn next_into(&mut self, slot: &mut Option<StepRows>) {
        refill(slot, |step| {
            while let Some(at) = self.0.next_at() {
                if step.first().is_some_and(|r| r.at != at) {
                    break;
                }
                match self.0.take_row() {
                    Some(row) => step.push(row),
                    None => break,
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::l2_stream::{L2Stream, L2StreamConfig};
    use crate::tardis::Batches;

    fn run(latency_ms: f64, records: &[Record]) -> Summary {
        let mut strategy = BestQuotes { lots: 1 };
        run_l2(
            records.iter().copied(),
            &config(latency_ms),
            &mut strategy,
            rules(),
        )
    }

    #[test]
    fn the_tardis_markets_state_updated_in_place_is_the_state_built_afresh() {
        use crate::sim::market::Market;
        let records = L2Stream::new(L2StreamConfig::default(), 6_000, 4);
        let mut rows: Vec<Resolved> = Vec::new();
        for (i, row) in Rows::new(records).enumerate() {
            let row = row.expect("a row");
            let at = row.at;
            rows.push(row);
            // A new forward now and then: the chain is rebuilt, the state must be too.
            if i % 1_000 == 999 {
                let mut quote = Rows::<std::vec::IntoIter<Record>>::listing(at);
                quote.listed = None;
                if let Ok(Event::Quote { quote, .. }) = &mut quote.event {
                    quote.underlying_price += i as f64 * 0.01;
                }
                rows.push(quote);
            }
        }
        let mut market = TardisMarket::new();
        market.rebuild_seconds = 0.0;
        let mut kept: Option<State> = None;
        let (mut steps, mut compared) = (0i64, 0);
        for mut step in Batches::new(rows.into_iter().map(Ok)) {
            market.advance(&mut step);
            steps += 1;
            if market.point().is_none() {
                continue;
            }
            let held = |_: InstrumentId| Qty(steps % 3 - 1);
            let mut state = kept.take().unwrap_or_else(|| market.state(&held, None));
            market.update_state(&mut state, &held, None);
            let fresh = market.state(&held, None);
            assert_eq!(state.series, fresh.series, "step {steps}");
            assert_eq!(state.index, fresh.index, "step {steps}");
            assert_eq!(state.expiries, fresh.expiries, "step {steps}");
            assert_eq!(
                (state.now, state.hedge.is_none()),
                (fresh.now, fresh.hedge.is_none())
            );
            kept = Some(state);
            compared += 1;
        }
        assert!(compared > 4_000, "{compared}");
    }

    #[test]
    fn the_stream_runs_through_the_whole_loop_and_its_trades_fill_the_best_quotes() {
        let records: Vec<Record> = L2Stream::new(L2StreamConfig::default(), 20_000, 3).collect();
        let clears = records.iter().filter(|r| r.kind == Kind::Clear).count() as u64;
        let s = run(0.001, &records);
        // Every record but the clears is a row, and the listing quote one more.
        assert_eq!(s.events, records.len() as u64 - clears + 1);
        assert!(s.fills > 10, "{} fills", s.fills);
        // Orders that reach the venue only after the stream has ended never fill.
        let late = run(1e9, &records);
        assert_eq!((late.events, late.fills), (s.events, 0));
    }
}
