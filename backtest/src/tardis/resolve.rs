//! Rows resolved to the engine's terms once, as they leave the readers: each symbol to an
//! [`InstrumentId`] (parsed and interned on first sight, looked up after: data rows repeat a
//! few symbols millions of times), each book or trade price to the instrument's [`Price`] on its
//! tick and each amount to whole lots ([`Qty`]). Nothing is rounded: a row the engine cannot use
//! (a symbol that is not a Deribit option, a price off the tick, a fractional amount) keeps the
//! reason, naming the symbol and the value, for its user to refuse or to skip and count.
//!
//! The resolver owns the stream's instrument registry. A market keeping its own registry (the
//! chain market's) interns each instrument as the row that first names it hands it over
//! ([`Resolved::listed`]): the registries then grow in the same order and give the same ids.

use super::{ChainQuote, Origin, Row, TardisError, TardisEvent};
use engine::instrument::InstrumentKind;
use engine::{Instrument, InstrumentId, Instruments, Price, Qty, Side, Timestamp};
use rustc_hash::FxHashMap;

/// What a row says, in the engine's terms.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// An `options_chain` quote (its prices stay floats: they feed IVs and the surface).
    Quote {
        id: InstrumentId,
        quote: Box<ChainQuote>,
    },
    /// A `book_snapshot_25` row: the book's levels, best first (boxed: rare, and every row is
    /// as large as the largest kind, moved several times on its way to the market).
    Snapshot {
        id: InstrumentId,
        levels: Box<SnapshotLevels>,
    },
    /// An `incremental_book_L2` row: one level set to `qty` (0 deletes); `reset` starts a
    /// snapshot run (the book is rebuilt from here), `snapshot` rows belong to one.
    Level {
        id: InstrumentId,
        snapshot: bool,
        reset: bool,
        side: Side,
        price: Price,
        qty: Qty,
    },
    /// A `trades` row; `side` is the aggressor's.
    Trade {
        id: InstrumentId,
        side: Side,
        price: Price,
        qty: Qty,
    },
}

/// A book snapshot's levels, best first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SnapshotLevels {
    pub bids: Vec<(Price, Qty)>,
    pub asks: Vec<(Price, Qty)>,
}

/// An instrument seen for the first time, with the id the resolver gave it.
#[derive(Clone, Debug, PartialEq)]
pub struct Listed {
    pub id: InstrumentId,
    pub instrument: Box<Instrument>,
}

/// A row resolved: its time, where it was read, and what it says or why the engine cannot use it.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved {
    pub at: Timestamp,
    pub origin: Origin,
    pub event: Result<Event, String>,
    /// The row's instrument, when this row is the first to name it.
    pub listed: Option<Listed>,
}

/// Which instruments a stream's user can take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accept {
    /// Options only (the backtest market: a future's rows are refused, naming it).
    Options,
    /// Any Deribit instrument (the binary format replays books of anything).
    Any,
}

/// The symbols and instruments of one stream of rows.
#[derive(Debug)]
pub struct Resolver {
    accept: Accept,
    /// Each symbol seen, and its id or why it is not an instrument the engine can use.
    symbols: FxHashMap<Box<str>, Result<InstrumentId, String>>,
    instruments: Instruments,
}

impl Resolver {
    pub fn new(accept: Accept) -> Resolver {
        Resolver {
            accept,
            symbols: FxHashMap::default(),
            instruments: Instruments::new(),
        }
    }

    /// The resolver with ETH-PERPETUAL listed first, for a market that lists it first too (the
    /// hedge's: `TardisMarket::with_perpetual`); its rows are still refused under
    /// `Accept::Options`.
    pub fn with_perpetual(mut self) -> Resolver {
        if let Ok(perpetual) = engine::Instrument::deribit("ETH-PERPETUAL") {
            // A fresh registry: the first intern cannot clash.
            let _ = self.instruments.intern(perpetual);
        }
        self
    }

    /// The instruments named so far, by id.
    pub fn instruments(&self) -> &Instruments {
        &self.instruments
    }

    /// `rows` resolved as they come; a reader's error passes through.
    pub fn rows<I>(self, rows: I) -> Resolve<I>
    where
        I: Iterator<Item = Result<Row, TardisError>>,
    {
        Resolve {
            rows,
            resolver: self,
        }
    }

    pub fn resolve(&mut self, row: Row) -> Resolved {
        let mut listed = None;
        let event = self.event(row.event, &mut listed);
        Resolved {
            at: row.at,
            origin: row.origin,
            event,
            listed,
        }
    }

    fn event(&mut self, event: TardisEvent, listed: &mut Option<Listed>) -> Result<Event, String> {
        Ok(match event {
            TardisEvent::Quote(quote) => Event::Quote {
                id: self.id(&quote.symbol, listed)?,
                quote,
            },
            TardisEvent::Snapshot { symbol, bids, asks } => {
                let id = self.id(&symbol, listed)?;
                let inst = self.instruments.get(id);
                let levels = |side: Vec<(f64, f64)>| -> Result<Vec<(Price, Qty)>, String> {
                    side.into_iter().map(|(p, a)| units(inst, p, a)).collect()
                };
                Event::Snapshot {
                    id,
                    levels: Box::new(SnapshotLevels {
                        bids: levels(bids)?,
                        asks: levels(asks)?,
                    }),
                }
            }
            TardisEvent::Level {
                symbol,
                snapshot,
                reset,
                side,
                price,
                amount,
            } => {
                let (id, price, qty) = self.priced(&symbol, (price, amount), listed)?;
                Event::Level {
                    id,
                    snapshot,
                    reset,
                    side,
                    price,
                    qty,
                }
            }
            TardisEvent::Trade {
                symbol,
                side,
                price,
                amount,
            } => {
                let (id, price, qty) = self.priced(&symbol, (price, amount), listed)?;
                if qty.0 == 0 {
                    return Err(format!("{symbol}: a trade of nothing"));
                }
                Event::Trade {
                    id,
                    side,
                    price,
                    qty,
                }
            }
        })
    }

    /// The id of `symbol`, and a row's price and amount in its units.
    fn priced(
        &mut self,
        symbol: &str,
        (price, amount): (f64, f64),
        listed: &mut Option<Listed>,
    ) -> Result<(InstrumentId, Price, Qty), String> {
        let id = self.id(symbol, listed)?;
        let (price, qty) = units(self.instruments.get(id), price, amount)?;
        Ok((id, price, qty))
    }

    /// The id of option `symbol`, interning it (and handing it out in `listed`) the first time.
    pub fn id(
        &mut self,
        symbol: &str,
        listed: &mut Option<Listed>,
    ) -> Result<InstrumentId, String> {
        if let Some(known) = self.symbols.get(symbol) {
            return known.clone();
        }
        let interned = Instrument::deribit(symbol)
            .map_err(|e| format!("{symbol}: {e}"))
            .and_then(|inst| match (self.accept, inst.kind()) {
                (Accept::Options, InstrumentKind::Option { .. }) | (Accept::Any, _) => Ok(inst),
                (Accept::Options, _) => Err(format!("{symbol} is not an option")),
            })
            .and_then(|inst| {
                let known = self.instruments.len();
                let id = self
                    .instruments
                    .intern(inst.clone())
                    .map_err(|e| format!("{symbol}: {e}"))?;
                // Another spelling of a known instrument is not listed again.
                if self.instruments.len() > known {
                    *listed = Some(Listed {
                        id,
                        instrument: Box::new(inst),
                    });
                }
                Ok(id)
            });
        self.symbols.insert(symbol.into(), interned.clone());
        interned
    }
}

/// A row's price and amount in `inst`'s integer units: the price on its tick, the amount in
/// whole lots (0 allowed: it deletes a level). An error names the instrument and the value.
fn units(inst: &Instrument, price: f64, amount: f64) -> Result<(Price, Qty), String> {
    let price = inst.price_of_f64(price).map_err(|e| e.to_string())?;
    let qty = if amount == 0.0 {
        Qty(0)
    } else {
        inst.qty_of_f64(amount).map_err(|e| e.to_string())?
    };
    Ok((price, qty))
}

/// Rows resolved one by one as they are read ([`Resolver::rows`]).
pub struct Resolve<I> {
    rows: I,
    resolver: Resolver,
}

impl<I> Resolve<I> {
    /// The resolver, with the instruments named so far.
    pub fn resolver(&self) -> &Resolver {
        &self.resolver
    }
}

impl<I: Iterator<Item = Result<Row, TardisError>>> Iterator for Resolve<I> {
    type Item = Result<Resolved, TardisError>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.rows.next()?.map(|row| self.resolver.resolve(row)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every row is moved several times between the reader and the market: kept small by
    /// boxing the rare large kinds (a chain quote, a snapshot's levels).
    #[test]
    fn a_resolved_row_stays_small() {
        assert!(
            std::mem::size_of::<Event>() <= 32,
            "{}",
            std::mem::size_of::<Event>()
        );
        assert!(
            std::mem::size_of::<Resolved>() <= 80,
            "{}",
            std::mem::size_of::<Resolved>()
        );
    }

    fn row(line: u64, event: TardisEvent) -> Row {
        Row {
            at: Timestamp(1_772_323_200_000_000_000),
            event,
            origin: Origin { file: None, line },
        }
    }

    fn trade(symbol: &str, price: f64, amount: f64) -> TardisEvent {
        TardisEvent::Trade {
            symbol: symbol.into(),
            side: Side::Buy,
            price,
            amount,
        }
    }

    #[test]
    fn a_symbol_is_listed_once_and_its_values_come_in_units() {
        let mut r = Resolver::new(Accept::Options);
        let first = r.resolve(row(2, trade("ETH-27MAR26-2000-C", 0.0125, 3.0)));
        let listed = first.listed.expect("first sight lists the instrument");
        assert_eq!(listed.instrument.name(), "ETH-27MAR26-2000-C");
        assert_eq!(
            first.event,
            Ok(Event::Trade {
                id: listed.id,
                side: Side::Buy,
                price: Price(125),
                qty: Qty(3),
            })
        );
        let again = r.resolve(row(3, trade("ETH-27MAR26-2000-C", 0.013, 1.0)));
        assert!(again.listed.is_none());
        assert!(matches!(again.event, Ok(Event::Trade { id, .. }) if id == listed.id));
        assert_eq!(first.origin.line, 2);
        assert_eq!(r.instruments().len(), 1);
    }

    #[test]
    fn what_the_engine_cannot_use_keeps_its_reason() {
        let mut r = Resolver::new(Accept::Options);
        let reason = |r: &mut Resolver, event| r.resolve(row(1, event)).event.unwrap_err();
        let off_tick = reason(&mut r, trade("ETH-27MAR26-2000-C", 0.01234, 1.0));
        assert!(
            off_tick.contains("ETH-27MAR26-2000-C") && off_tick.contains("0.01234"),
            "{off_tick}"
        );
        let fraction = reason(&mut r, trade("ETH-27MAR26-2000-C", 0.0125, 0.5));
        assert!(fraction.contains("0.5"), "{fraction}");
        let nothing = reason(&mut r, trade("ETH-27MAR26-2000-C", 0.0125, 0.0));
        assert!(nothing.contains("a trade of nothing"), "{nothing}");
        let unknown = reason(&mut r, trade("NOT-A-SYMBOL", 0.01, 1.0));
        assert!(unknown.starts_with("NOT-A-SYMBOL: "), "{unknown}");
        let future = reason(&mut r, trade("ETH-PERPETUAL", 2000.0, 1.0));
        assert!(
            future.contains("ETH-PERPETUAL is not an option"),
            "{future}"
        );
        // A snapshot with one bad level is refused whole: half a book would be a wrong book.
        let snapshot = TardisEvent::Snapshot {
            symbol: "ETH-27MAR26-2000-C".into(),
            bids: vec![(0.0125, 1.0), (0.01234, 1.0)],
            asks: vec![(0.013, 2.0)],
        };
        assert!(reason(&mut r, snapshot).contains("0.01234"));
        // Only the option was interned; the refused symbols are remembered, not parsed again.
        assert_eq!(r.instruments().len(), 1);
        assert_eq!(r.symbols.len(), 3);
    }

    #[test]
    fn any_instrument_when_asked() {
        let mut r = Resolver::new(Accept::Any);
        let level = TardisEvent::Level {
            symbol: "ETH-PERPETUAL".into(),
            snapshot: false,
            reset: false,
            side: Side::Sell,
            price: 2000.5,
            amount: 0.0,
        };
        let resolved = r.resolve(row(1, level));
        assert!(
            matches!(resolved.event, Ok(Event::Level { qty: Qty(0), .. })),
            "{resolved:?}"
        );
    }

    #[test]
    fn reader_errors_pass_through() {
        let bad = csv_error();
        let rows = vec![
            Ok(row(1, trade("ETH-27MAR26-2000-C", 0.0125, 1.0))),
            Err(bad),
        ];
        let mut resolve = Resolver::new(Accept::Options).rows(rows.into_iter());
        assert!(matches!(resolve.next(), Some(Ok(_))));
        assert!(matches!(resolve.next(), Some(Err(_))));
        assert!(resolve.next().is_none());
        assert_eq!(resolve.resolver().instruments().len(), 1);
    }

    fn csv_error() -> TardisError {
        crate::csv_file::open(std::path::Path::new("/nonexistent/rollmaker/rows.csv"))
            .err()
            .expect("a missing file does not open")
    }
}
