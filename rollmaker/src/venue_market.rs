//! The local venue's own market, as the house's updates: the synthetic one (a minute of it a
//! step: each option's levels, its marks, the minute's background trades) or Deribit chain
//! snapshots replayed (`--data`: one snapshot a step, each option's best bid and ask and its
//! marks; no takers, the data has no trades). Either way the perpetual is shown a tick around the
//! index, a million USD a side, tickers are stamped with the market's own time (its calendar,
//! not the wall's: the listing's expiries are on it), and each listed option is delivered when
//! that time passes its settlement, at the index's 30-minute TWAP (the backtest's [`Settler`]).

use crate::venue_rolls::Rolls;
use anyhow::{bail, Result};
use backtest::chain::{ChainReader, Snapshot};
use backtest::sim::market::Market;
use backtest::sim::perpetual::Perpetual;
use backtest::sim::settler::Settler;
use backtest::sim::synthetic_book::MarketConfig;
use backtest::sim::synthetic_market::SyntheticMarket;
use backtest::synthetic::path::{IndexPath, IndexPoint, Preset};
use connectors::deribit::ticker::Ticker;
use connectors::venue::house::House;
use engine::instrument::InstrumentKind;
use engine::{Instrument, InstrumentId, Instruments, Price, Qty, Timestamp};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;
use tokio::sync::mpsc::Sender;

/// Contracts shown at a snapshot's best bid and ask (the snapshots carry no sizes).
const DATA_DEPTH: f64 = 10.0;

/// The perpetual `id` at `index`: its book a tick around it and its ticker.
fn perpetual(instruments: &Instruments, id: InstrumentId, index: f64, at: Timestamp) -> Vec<House> {
    let mut out = Vec::new();
    if let Some(top) = Perpetual::new(id, 1.0).top(instruments, index, at) {
        let side = |best: Option<(Price, Qty)>| -> Vec<(f64, f64)> {
            best.map(|(price, _)| vec![(instruments.get(id).price_f64(price), 1_000_000.0)])
                .unwrap_or_default()
        };
        out.push(House::Book {
            instrument: instruments.get(id).name().to_string(),
            bids: side(top.bid),
            asks: side(top.ask),
        });
    }
    out.push(House::Ticker(Ticker {
        instrument: instruments.get(id).name().to_string(),
        timestamp_ms: at.0 / 1_000_000,
        mark_price: index,
        mark_iv: None,
        index_price: index,
        underlying_price: None,
        best_bid_price: None,
        best_ask_price: None,
    }));
    out
}

/// The venue's options not yet delivered, by settlement time, and the index's TWAP.
struct Deliveries {
    /// By settlement time, the next one due first.
    due: BTreeSet<(Timestamp, String)>,
    settler: Settler,
}

impl Deliveries {
    /// The options of `instruments` (the venue's listing).
    fn of(instruments: &Instruments) -> Deliveries {
        let mut d = Deliveries {
            due: BTreeSet::new(),
            settler: Settler::default(),
        };
        instruments.iter().for_each(|(_, i)| d.add(i));
        d
    }

    /// `inst` listed: delivered in its turn (options only).
    fn add(&mut self, inst: &Instrument) {
        if let InstrumentKind::Option { expiry, .. } = inst.kind() {
            self.due
                .insert((expiry.settlement_time(), inst.name().to_string()));
        }
    }

    /// The index at `p`; each option whose settlement time it has reached, delivered.
    fn at(&mut self, p: IndexPoint, out: &mut Vec<House>) {
        self.settler.observe(p);
        while self.due.first().is_some_and(|(t, _)| *t <= p.at) {
            let Some((_, instrument)) = self.due.pop_first() else {
                break;
            };
            let index_price = self.settler.twap(p);
            out.push(House::Deliver {
                instrument,
                index_price,
            });
        }
    }
}

/// Chain snapshots to replay, in time order, and every option they name (with the perpetual),
/// in the order first named: the first snapshot's are listed at the start, the others when
/// they first appear.
pub struct DataMarket {
    pub instruments: Instruments,
    snapshots: Vec<Snapshot>,
}

impl DataMarket {
    /// What the venue lists at the start: the perpetual and the first snapshot's options.
    pub fn first_listing(&self) -> Instruments {
        let first = self.snapshots.first().map_or(0, |s| s.rows.len());
        let mut out = Instruments::new();
        for (_, inst) in self.instruments.iter().take(1 + first) {
            let _ = out.intern(inst.clone());
        }
        out
    }
}

/// Instruments of `all` from index `listed` up to `id`, listed (and to be delivered).
fn list_up_to(
    all: &Instruments,
    listed: &mut usize,
    id: InstrumentId,
    (deliveries, out): (&mut Deliveries, &mut Vec<House>),
) {
    while *listed <= id.index() {
        let inst = all.get(InstrumentId(*listed as u32));
        deliveries.add(inst);
        out.push(House::List {
            instrument: inst.name().to_string(),
        });
        *listed += 1;
    }
}

/// The snapshots of the `.csv` / `.csv.gz` files of `files`, from `from` to `to`.
pub fn data(files: &[std::path::PathBuf], from: Timestamp, to: Timestamp) -> Result<DataMarket> {
    let mut instruments = Instruments::new();
    let perp = Instrument::deribit("ETH-PERPETUAL")?;
    instruments.intern(perp)?;
    let mut snapshots = Vec::new();
    for file in files {
        for snapshot in ChainReader::open(file)? {
            let snapshot = snapshot?;
            if snapshot.timestamp < from || snapshot.timestamp > to {
                continue;
            }
            for row in &snapshot.rows {
                if instruments.id(&row.instrument).is_err() {
                    instruments.intern(Instrument::deribit(&row.instrument)?)?;
                }
            }
            snapshots.push(snapshot);
        }
    }
    if snapshots.is_empty() {
        bail!(
            "no chain snapshot in {} between the times given",
            show(files)
        );
    }
    Ok(DataMarket {
        instruments,
        snapshots,
    })
}

fn show(files: &[std::path::PathBuf]) -> String {
    files
        .first()
        .and_then(|f| f.parent())
        .unwrap_or(Path::new("."))
        .display()
        .to_string()
}

/// One snapshot every `step`, as the house's updates, until the last or the venue stops.
pub async fn data_feed(market: DataMarket, step: Duration, house: Sender<House>) {
    let mut ticks = tokio::time::interval(step);
    let perp = market.instruments.id("ETH-PERPETUAL").ok();
    let first = market.first_listing();
    let mut deliveries = Deliveries::of(&first);
    let mut listed = first.len();
    for snapshot in &market.snapshots {
        ticks.tick().await;
        let ms = snapshot.timestamp.0 / 1_000_000;
        let mut out = Vec::with_capacity(2 * snapshot.rows.len() + 2);
        for row in &snapshot.rows {
            if let Ok(id) = market.instruments.id(&row.instrument) {
                let all = &market.instruments;
                list_up_to(all, &mut listed, id, (&mut deliveries, &mut out));
            }
            let side = |p: Option<f64>| p.map(|p| vec![(p, DATA_DEPTH)]).unwrap_or_default();
            out.push(House::Book {
                instrument: row.instrument.to_string(),
                bids: side(row.bid),
                asks: side(row.ask),
            });
            out.push(House::Ticker(Ticker {
                instrument: row.instrument.to_string(),
                timestamp_ms: ms,
                mark_price: row.mark,
                mark_iv: Some(row.mark_iv),
                index_price: row.index,
                underlying_price: Some(row.underlying),
                best_bid_price: row.bid,
                best_ask_price: row.ask,
            }));
        }
        if let Some(row) = snapshot.rows.first() {
            if let Some(id) = perp {
                let (index, at) = (row.index, snapshot.timestamp);
                out.extend(perpetual(&market.instruments, id, index, at));
            }
            let p = IndexPoint {
                at: snapshot.timestamp,
                price: row.index,
                vol: row.mark_iv,
            };
            deliveries.at(p, &mut out);
        }
        for update in out {
            if house.send(update).await.is_err() {
                return;
            }
        }
    }
}

/// The synthetic market at its first step (calls, puts and the perpetual listed), and the path
/// that moves it on.
pub fn synthetic(preset: Preset, seed: u64, takers_per_day: f64) -> (SyntheticMarket, IndexPath) {
    let config = preset.config();
    let book = MarketConfig {
        background_trades_per_day: takers_per_day,
        ..MarketConfig::default()
    };
    let mut market = SyntheticMarket::new(config.clone(), book, seed);
    let mut path = IndexPath::new(config, seed);
    if let Some(mut first) = path.next() {
        market.advance(&mut first);
    }
    (market, path)
}

/// A minute of the market every `step`, as the house's updates, until the path ends or the venue
/// stops listening.
pub async fn synthetic_feed(
    mut market: SyntheticMarket,
    path: IndexPath,
    (step, mut rolls): (Duration, Option<Rolls>),
    house: tokio::sync::mpsc::Sender<House>,
) {
    let mut ticks = tokio::time::interval(step);
    // What the venue lists: the market's instruments before it moves on.
    let mut deliveries = Deliveries::of(market.instruments());
    let mut listed = market.instruments().len();
    for mut point in path {
        ticks.tick().await;
        market.advance(&mut point);
        // New series first, so that their levels are taken.
        let mut out = Vec::new();
        if let Some(last) = market.instruments().len().checked_sub(1) {
            let id = InstrumentId(last as u32);
            list_up_to(
                market.instruments(),
                &mut listed,
                id,
                (&mut deliveries, &mut out),
            );
        }
        out.extend(updates(&market));
        if let Some(r) = rolls.as_mut() {
            r.step(&market, &mut out);
        }
        deliveries.at(point, &mut out);
        for update in out {
            if house.send(update).await.is_err() {
                return;
            }
        }
    }
}

/// The market now as the house's updates: each option's levels, the perpetual a tick around the
/// index (a million USD a side), the marks, the minute's background trades.
fn updates(market: &SyntheticMarket) -> Vec<House> {
    let instruments = market.instruments();
    let levels = |id, l: &[(Price, Qty)]| -> Vec<(f64, f64)> {
        let inst = instruments.get(id);
        l.iter()
            .map(|&(p, q)| (inst.price_f64(p), inst.qty_f64(q)))
            .collect()
    };
    let mut out: Vec<House> = (market.books().into_iter())
        .map(|b| House::Book {
            instrument: instruments.get(b.id).name().to_string(),
            bids: levels(b.id, &b.bids),
            asks: levels(b.id, &b.asks),
        })
        .collect();
    out.extend(tickers(market));
    for t in market.trades() {
        let inst = instruments.get(t.instrument);
        out.push(House::Take {
            instrument: inst.name().to_string(),
            side: t.aggressor,
            price: inst.price_f64(t.price),
            amount: inst.qty_f64(t.qty),
        });
    }
    out
}

/// The marks now: each option's mark and mark IV with its expiry's forward, and the perpetual's
/// mark at the index. Stamped with the synthetic market's time (its calendar, not the wall's: the
/// listing's expiries are on it).
fn tickers(market: &SyntheticMarket) -> Vec<House> {
    let Some(point) = market.point() else {
        return Vec::new();
    };
    let ms = point.at.0 / 1_000_000;
    let mut out: Vec<House> = (market.quotes().into_iter())
        .map(|q| {
            House::Ticker(Ticker {
                instrument: q.symbol.to_string(),
                timestamp_ms: ms,
                mark_price: q.mark,
                mark_iv: Some(q.mark_iv),
                index_price: point.price,
                underlying_price: Some(q.underlying_price),
                best_bid_price: q.bid.map(|b| b.0),
                best_ask_price: q.ask.map(|a| a.0),
            })
        })
        .collect();
    if let Some(id) = market.hedge() {
        out.extend(perpetual(market.instruments(), id, point.price, point.at));
    }
    out
}
