//! Between the connection (tokio) and the trading thread, on the connection's own task (no hop
//! between them: [`Route`]): each venue message read into the engine's terms where it arrives
//! (book messages in ticks and lots, tickers, our changes as they came), stamped with when its
//! frame was read, and handed over a crossbeam channel; the socket's own events counted in the
//! metrics, and the time from a book frame to the order it caused written (tick to quote). A
//! message that cannot be read is logged with its text and counted; nothing else happens to the
//! connection.

use crate::desk::Input;
use crate::latency::Shared;
use crate::metrics::Metrics;
use connectors::deribit::book::{self, BookMessage};
use connectors::deribit::connection::{Event, Events};
use connectors::deribit::frame::{Data, TOO_MANY_REQUESTS};
use connectors::deribit::session::Out;
use connectors::deribit::ticker::{self, Ticker};
use connectors::deribit::trades;
use crossbeam::channel::Sender;
use engine::Instruments;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};

/// The connection's events: to the start-up's questions (the listing reads them) until the
/// gateway is handed over, then through it. The events the start-up left unread go through
/// the gateway first.
pub struct Route {
    early: mpsc::UnboundedSender<Event>,
    handover: Option<oneshot::Receiver<(Gateway, mpsc::UnboundedReceiver<Event>)>>,
    gateway: Option<Gateway>,
    /// Give way after every event (the trading thread runs the connection: it takes each
    /// frame as it is read, not after the whole burst the socket holds).
    give_way: bool,
}

impl Route {
    /// The route, where the start-up reads its events, and where it hands the gateway over
    /// (with that receiver). `give_way`: the connection's task yields after each event.
    #[allow(clippy::type_complexity)]
    pub fn new(
        give_way: bool,
    ) -> (
        Route,
        mpsc::UnboundedReceiver<Event>,
        oneshot::Sender<(Gateway, mpsc::UnboundedReceiver<Event>)>,
    ) {
        let (early, rx) = mpsc::unbounded_channel();
        let (give, handover) = oneshot::channel();
        let route = Route {
            early,
            handover: Some(handover),
            gateway: None,
            give_way,
        };
        (route, rx, give)
    }

    fn take_over(&mut self) {
        let Some(handover) = &mut self.handover else {
            return;
        };
        match handover.try_recv() {
            Ok((mut gateway, mut unread)) => {
                while let Ok(e) = unread.try_recv() {
                    gateway.on_event(e, Instant::now());
                }
                self.gateway = Some(gateway);
                self.handover = None;
            }
            Err(oneshot::error::TryRecvError::Empty) => {}
            Err(oneshot::error::TryRecvError::Closed) => self.handover = None,
        }
    }
}

impl Events for Route {
    async fn event(&mut self, event: Event, read: Instant) -> bool {
        if self.gateway.is_none() {
            self.take_over();
        }
        let open = match &mut self.gateway {
            Some(g) => g.on_event(event, read),
            None => self.early.send(event).is_ok(),
        };
        if self.give_way {
            tokio::task::yield_now().await;
        }
        open
    }
}

pub struct Gateway {
    instruments: Arc<Instruments>,
    /// The registry again, each time the desk takes on new listings.
    listings: Option<crossbeam::channel::Receiver<Arc<Instruments>>>,
    inputs: Sender<Input>,
    metrics: Arc<Metrics>,
    latencies: Shared,
    /// A connection up and not yet signed in: its first `Authenticated` starts a reconcile
    /// (a token refresh's does not).
    fresh: bool,
    connections: u64,
}

impl Gateway {
    /// `signed_in`: the connection already signed in (the start-up listing saw it).
    pub fn new(
        instruments: Arc<Instruments>,
        inputs: Sender<Input>,
        (metrics, latencies): (Arc<Metrics>, Shared),
        signed_in: bool,
    ) -> Gateway {
        Gateway {
            instruments,
            listings: None,
            inputs,
            metrics,
            latencies,
            fresh: !signed_in,
            connections: u64::from(signed_in),
        }
    }

    /// Takes the registry again from `listings` whenever the desk sends it.
    pub fn with_listings(
        mut self,
        listings: crossbeam::channel::Receiver<Arc<Instruments>>,
    ) -> Gateway {
        self.listings = Some(listings);
        self
    }

    /// One event of the connection, its frame read at `read`; false once the trading thread
    /// is gone.
    pub fn on_event(&mut self, event: Event, read: Instant) -> bool {
        match event {
            Event::Connected => {
                self.connections += 1;
                if self.connections > 1 {
                    self.metrics.reconnects.inc();
                }
                self.fresh = true;
                true
            }
            Event::Disconnected { why, retry_in } => {
                tracing::warn!("disconnected ({why}); again in {retry_in:?}");
                self.send(Input::Disconnected(why))
            }
            Event::Malformed(text) => {
                self.metrics.malformed.inc();
                tracing::warn!("not a JSON-RPC frame: {text}");
                true
            }
            Event::Written { to_write, took, .. } => {
                // Tick to quote ends where the frame leaves the process: the write called.
                self.metrics.tick_to_quote.observe(to_write.as_secs_f64());
                (self.latencies).record(|l| &mut l.tick_to_quote, to_write);
                (self.latencies).record(|l| &mut l.write_returned, took);
                true
            }
            Event::Session(out) => self.on_out(out, read),
        }
    }

    fn on_out(&mut self, out: Out, read: Instant) -> bool {
        match out {
            Out::Authenticated { .. } if self.fresh => {
                self.fresh = false;
                self.send(Input::Authenticated)
            }
            Out::Data { channel, data } => self.on_data(&channel, data, read),
            Out::Ended { why } => {
                if why.contains(&TOO_MANY_REQUESTS.to_string()) {
                    self.metrics.rate_limited.inc();
                }
                tracing::warn!("the venue ended the session: {why}");
                true
            }
            reply @ (Out::Answer { .. } | Out::Refused { .. } | Out::TimedOut { .. }) => {
                self.send(Input::Reply(reply))
            }
            Out::Authenticated { .. } | Out::Send(_) => true,
        }
    }

    fn on_data(&mut self, channel: &str, data: Data, received: Instant) -> bool {
        if let Some(newer) = self.listings.as_ref().and_then(|l| l.try_iter().last()) {
            self.instruments = newer;
        }
        let input = if let Some(name) = book::channel_instrument(channel) {
            let Ok(id) = self.instruments.id(name) else {
                return self.malformed(channel, "an instrument not listed", &data);
            };
            match BookMessage::parse(self.instruments.get(id), &mut data.reader()) {
                Ok(message) => Input::Book {
                    id,
                    message,
                    received,
                },
                Err(e) => return self.malformed(channel, &e.to_string(), &data),
            }
        } else if ticker::channel_instrument(channel).is_some() {
            match Ticker::parse(&mut data.reader()) {
                Ok(ticker) => Input::Ticker { ticker, received },
                Err(e) => return self.malformed(channel, &e.to_string(), &data),
            }
        } else if channel.starts_with("user.changes.") {
            match data.value() {
                Ok(v) => Input::Changes(v),
                Err(e) => return self.malformed(channel, &e.to_string(), &data),
            }
        } else if channel.starts_with("user.mmp_trigger.") {
            match data.value() {
                Ok(v) => Input::MmpTriggered(v),
                Err(e) => return self.malformed(channel, &e.to_string(), &data),
            }
        } else if trades::channel(channel).is_some() {
            // The market's flow: counted here (our fills come on the changes).
            return match trades::parse(&mut data.reader()) {
                Ok(list) => {
                    self.metrics.market_trades.inc_by(list.len() as u64);
                    true
                }
                Err(e) => self.malformed(channel, &e.to_string(), &data),
            };
        } else {
            return self.malformed(channel, "a channel not subscribed", &data);
        };
        self.send(input)
    }

    fn malformed(&self, channel: &str, why: &str, data: &Data) -> bool {
        self.metrics.malformed.inc();
        tracing::warn!("{channel}: {why}: {}", data.text());
        true
    }

    fn send(&self, input: Input) -> bool {
        self.inputs.send(input).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::Instrument;
    use serde_json::{json, Value};

    #[test]
    fn data_is_read_where_it_arrives_and_bad_data_is_counted() {
        let mut instruments = Instruments::new();
        instruments
            .intern(Instrument::deribit("ETH-PERPETUAL").unwrap())
            .unwrap();
        let (tx, rx) = crossbeam::channel::unbounded();
        let metrics = Arc::new(Metrics::new());
        let latencies = Shared::default();
        let shared = (metrics.clone(), latencies.clone());
        let mut g = Gateway::new(Arc::new(instruments), tx, shared, false);
        let t = Instant::now();
        let book = json!({"type": "snapshot", "instrument_name": "ETH-PERPETUAL", "change_id": 1,
                          "timestamp": 1, "bids": [["new", 2000.0, 10.0]], "asks": []});
        let data = |channel: &str, data: Value| {
            Event::Session(Out::Data {
                channel: channel.into(),
                data: Data::parse(data.to_string()).unwrap(),
            })
        };
        assert!(g.on_event(data("book.ETH-PERPETUAL.raw", book), t));
        assert!(matches!(rx.try_recv(), Ok(Input::Book { .. })));
        assert!(g.on_event(
            data("book.ETH-PERPETUAL.raw", json!({"type": "snapshot"})),
            t
        ));
        assert!(g.on_event(data("book.ETH-26JUN26-9000-C.raw", json!({})), t));
        assert!(g.on_event(Event::Malformed("{not json".into()), t));
        // The market's trades are counted; a list that cannot be read is counted as malformed.
        let trade = json!([{"trade_id": "T-9", "instrument_name": "ETH-PERPETUAL",
                            "direction": "buy", "price": 2000.0, "amount": 10.0, "timestamp": 1}]);
        assert!(g.on_event(data("trades.any.ETH.100ms", trade), t));
        assert!(g.on_event(data("trades.any.ETH.100ms", json!({})), t));
        assert_eq!(metrics.market_trades.get(), 1);
        assert!(rx.try_recv().is_err());
        assert_eq!(metrics.malformed.get(), 4);
        // The first sign-in of a connection starts a reconcile; a token refresh does not.
        let auth = || Event::Session(Out::Authenticated { expires_at: 1 });
        g.on_event(Event::Connected, t);
        g.on_event(auth(), t);
        g.on_event(auth(), t);
        assert!(matches!(rx.try_recv(), Ok(Input::Authenticated)));
        assert!(rx.try_recv().is_err());
        g.on_event(Event::Connected, t);
        assert_eq!(metrics.reconnects.get(), 1);
        // An order written: tick to quote, in the histogram and the metric.
        let took = std::time::Duration::from_micros(40);
        let to_write = std::time::Duration::from_micros(30);
        let written = Event::Written {
            tag: 7,
            to_write,
            took,
        };
        assert!(g.on_event(written, t));
        // To the write called, and to its return (3 significant figures).
        let l = latencies.snapshot();
        assert!(l.tick_to_quote.equivalent(l.tick_to_quote.max(), 30_000));
        assert!(l.write_returned.equivalent(l.write_returned.max(), 40_000));
        assert_eq!((l.tick_to_quote.len(), l.write_returned.len()), (1, 1));
        assert!(metrics
            .text()
            .contains("rollmaker_tick_to_quote_seconds_count 1"));
        drop(rx);
        assert!(!g.on_event(auth(), t), "the trading thread is gone");
    }
}
