//! The venue's own market: the house shows a book (the synthetic market's levels, replaced as the
//! market moves, post-only: it never trades with a client's order) and its background takers
//! trade, so that clients' resting orders have a market around them and get filled by takers.
//! Two accounts of the venue's, so the takers trade with the house's levels rather than cancel
//! them (the matching engine prevents self-trades).

use super::channels::subscription;
use super::core::VenueCore;
use super::trading::{Changes, Request};
use super::Reply;
use crate::deribit::ticker::Ticker;
use engine::matching::{OwnerId, PostOnly, TimeInForce};
use engine::Side;

/// The account that shows the market's levels.
pub const HOUSE: OwnerId = OwnerId(u32::MAX - 1);
/// The account the background takers trade from.
pub const TAKERS: OwnerId = OwnerId(u32::MAX);

/// What the market does to the venue.
#[derive(Clone, Debug, PartialEq)]
pub enum House {
    /// The house's levels on `instrument` are now these: `(price, amount)` best first.
    Book {
        instrument: String,
        bids: Vec<(f64, f64)>,
        asks: Vec<(f64, f64)>,
    },
    /// The marks and the index now, for `ticker.{instrument}.*` subscribers.
    Ticker(Ticker),
    /// A background taker: `amount` at `price` or better, the rest cancelled.
    Take {
        instrument: String,
        side: Side,
        price: f64,
        amount: f64,
    },
    /// `instrument` listed from now on (the market lists new series as time goes by).
    List { instrument: String },
    /// `instrument` expired: delivered at `index_price` (USD, the market's delivery price).
    Deliver {
        instrument: String,
        index_price: f64,
    },
}

impl VenueCore {
    /// Applies `h` at `now_ms`; what it tells clients goes to `out`. A level or trade the venue
    /// refuses (off the instrument's grid, unknown instrument) is returned, and the rest of the
    /// update still applies.
    pub fn house(&mut self, h: &House, now_ms: i64, out: &mut Vec<Reply>) -> Vec<String> {
        self.trading.now_ms = now_ms;
        let mut changes = Changes::default();
        let mut refused = Vec::new();
        let mut place = |t: &mut super::trading::Trading, r: Request, changes: &mut Changes| {
            if let Err((code, why)) = t.place(r, changes) {
                refused.push(format!("{code}: {why}"));
            }
        };
        match h {
            House::Ticker(t) => {
                let at = self
                    .trading
                    .market_ms
                    .map_or(t.timestamp_ms, |m| m.max(t.timestamp_ms));
                self.trading.market_ms = Some(at);
                self.ticker(t, out)
            }
            House::Book {
                instrument,
                bids,
                asks,
            } => {
                let Ok(id) = self.trading.instruments.id(instrument) else {
                    return vec![format!("unknown instrument {instrument}")];
                };
                self.trading.cancel_all(HOUSE, Some(id), &mut changes);
                let levels = bids
                    .iter()
                    .map(|l| (Side::Buy, l))
                    .chain(asks.iter().map(|l| (Side::Sell, l)));
                for (side, &(price, amount)) in levels {
                    let r = request(
                        HOUSE,
                        instrument,
                        side,
                        price,
                        amount,
                        TimeInForce::GoodTilCancelled,
                    );
                    place(&mut self.trading, r, &mut changes);
                }
            }
            House::Take {
                instrument,
                side,
                price,
                amount,
            } => {
                let r = request(
                    TAKERS,
                    instrument,
                    *side,
                    *price,
                    *amount,
                    TimeInForce::ImmediateOrCancel,
                );
                place(&mut self.trading, r, &mut changes);
            }
            House::List { instrument } => {
                if let Err(why) = self.trading.list(instrument) {
                    refused.push(why);
                }
            }
            House::Deliver {
                instrument,
                index_price,
            } => {
                let delivered = (self.trading.instruments.id(instrument))
                    .map_err(|e| e.to_string())
                    .and_then(|id| self.trading.deliver(id, *index_price, &mut changes));
                if let Err(why) = delivered {
                    refused.push(why);
                }
            }
        }
        self.notify(changes, out);
        refused
    }
}

fn request(
    owner: OwnerId,
    instrument: &str,
    side: Side,
    price: f64,
    amount: f64,
    tif: TimeInForce,
) -> Request<'_> {
    Request {
        mmp: false,
        owner,
        instrument,
        side,
        price,
        amount,
        label: "",
        // The house shows the market and never takes: a level that would cross a client's
        // resting order slides behind it (only takers trade with clients, as on a venue where
        // a market maker's stale quote is picked off by a taker, not by another maker's quote).
        post_only: match tif {
            TimeInForce::GoodTilCancelled => PostOnly::Slide,
            TimeInForce::ImmediateOrCancel => PostOnly::Off,
        },
        tif,
    }
}

impl VenueCore {
    /// `t` kept as the instrument's last ticker and sent to its subscribers.
    fn ticker(&mut self, t: &Ticker, out: &mut Vec<Reply>) {
        let data = t.to_json();
        let name = &t.instrument;
        let channels = [format!("ticker.{name}.raw"), format!("ticker.{name}.100ms")];
        for (conn, c) in &self.conns {
            for ch in channels.iter().filter(|ch| c.channels.contains(*ch)) {
                out.push(Reply::Text(*conn, subscription(ch, data.clone())));
            }
        }
        self.tickers.insert(name.clone(), data);
    }
}
