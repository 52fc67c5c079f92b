//! Between the connection (tokio) and the trading thread: each venue message read into the
//! engine's terms where it arrives (book messages in ticks and lots, tickers, our changes as
//! they came), stamped with when it was read, and handed over a crossbeam channel; the socket's
//! own events counted in the metrics. A message that cannot be read is logged with its text and
//! counted; nothing else happens to the connection.

use crate::desk::Input;
use crate::metrics::Metrics;
use connectors::deribit::book::{self, BookMessage};
use connectors::deribit::connection::Event;
use connectors::deribit::frame::TOO_MANY_REQUESTS;
use connectors::deribit::session::Out;
use connectors::deribit::ticker::{self, Ticker};
use crossbeam::channel::Sender;
use engine::Instruments;
use serde_json::Value;
use std::sync::Arc;
use std::time::Instant;

pub struct Gateway {
    instruments: Arc<Instruments>,
    inputs: Sender<Input>,
    metrics: Arc<Metrics>,
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
        metrics: Arc<Metrics>,
        signed_in: bool,
    ) -> Gateway {
        Gateway {
            instruments,
            inputs,
            metrics,
            fresh: !signed_in,
            connections: u64::from(signed_in),
        }
    }

    /// One event of the connection; false once the trading thread is gone.
    pub fn on_event(&mut self, event: Event) -> bool {
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
            Event::Session(out) => self.on_out(out),
        }
    }

    fn on_out(&mut self, out: Out) -> bool {
        match out {
            Out::Authenticated { .. } if self.fresh => {
                self.fresh = false;
                self.send(Input::Authenticated)
            }
            Out::Data { channel, data } => self.on_data(&channel, data),
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

    fn on_data(&mut self, channel: &str, data: Value) -> bool {
        let received = Instant::now();
        let input = if let Some(name) = book::channel_instrument(channel) {
            let Ok(id) = self.instruments.id(name) else {
                return self.malformed(channel, "an instrument not listed", &data);
            };
            match BookMessage::parse(self.instruments.get(id), &data) {
                Ok(message) => Input::Book {
                    id,
                    message,
                    received,
                },
                Err(e) => return self.malformed(channel, &e.to_string(), &data),
            }
        } else if ticker::channel_instrument(channel).is_some() {
            match Ticker::parse(&data) {
                Ok(ticker) => Input::Ticker { ticker, received },
                Err(e) => return self.malformed(channel, &e.to_string(), &data),
            }
        } else if channel.starts_with("user.changes.") {
            Input::Changes(data)
        } else {
            return self.malformed(channel, "a channel not subscribed", &data);
        };
        self.send(input)
    }

    fn malformed(&self, channel: &str, why: &str, data: &Value) -> bool {
        self.metrics.malformed.inc();
        tracing::warn!("{channel}: {why}: {data}");
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
    use serde_json::json;

    #[test]
    fn data_is_read_where_it_arrives_and_bad_data_is_counted() {
        let mut instruments = Instruments::new();
        instruments
            .intern(Instrument::deribit("ETH-PERPETUAL").unwrap())
            .unwrap();
        let (tx, rx) = crossbeam::channel::unbounded();
        let metrics = Arc::new(Metrics::new());
        let mut g = Gateway::new(Arc::new(instruments), tx, metrics.clone(), false);
        let book = json!({"type": "snapshot", "instrument_name": "ETH-PERPETUAL", "change_id": 1,
                          "timestamp": 1, "bids": [["new", 2000.0, 10.0]], "asks": []});
        let data = |channel: &str, data: Value| {
            Event::Session(Out::Data {
                channel: channel.into(),
                data,
            })
        };
        assert!(g.on_event(data("book.ETH-PERPETUAL.raw", book)));
        assert!(matches!(rx.try_recv(), Ok(Input::Book { .. })));
        assert!(g.on_event(data("book.ETH-PERPETUAL.raw", json!({"type": "snapshot"}))));
        assert!(g.on_event(data("book.ETH-26JUN26-9000-C.raw", json!({}))));
        assert!(g.on_event(Event::Malformed("{not json".into())));
        assert!(rx.try_recv().is_err());
        assert_eq!(metrics.malformed.get(), 3);
        // The first sign-in of a connection starts a reconcile; a token refresh does not.
        let auth = || Event::Session(Out::Authenticated { expires_at: 1 });
        g.on_event(Event::Connected);
        g.on_event(auth());
        g.on_event(auth());
        assert!(matches!(rx.try_recv(), Ok(Input::Authenticated)));
        assert!(rx.try_recv().is_err());
        g.on_event(Event::Connected);
        assert_eq!(metrics.reconnects.get(), 1);
        drop(rx);
        assert!(!g.on_event(auth()), "the trading thread is gone");
    }
}
