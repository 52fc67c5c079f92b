//! A connector client for the loopback tests: the real connection, its commands and events.

use connectors::deribit::budget::{Budget, Limits};
use connectors::deribit::connection::{run, Command, Event, Options};
use connectors::deribit::credentials::Credentials;
use connectors::deribit::session::Session;
use std::time::Duration;
use tokio::sync::mpsc;

pub struct Client {
    pub commands: mpsc::Sender<Command>,
    pub events: mpsc::Receiver<Event>,
}

/// A connection to `url` with API key `key`, subscribing `channels`, retrying within 10-100 ms,
/// each request given `timeout_ms`.
pub fn client(url: &str, key: (&str, &str), channels: &[&str], timeout_ms: i64) -> Client {
    let (commands, command_rx) = mpsc::channel(16);
    let (event_tx, events) = mpsc::channel(4096);
    let options = Options {
        url: url.to_string(),
        tick: Duration::from_millis(20),
        min_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(100),
    };
    let credentials = Credentials::new(key.0.into(), key.1.into());
    let session = Session::new(Some(credentials), 10, timeout_ms);
    let channels = channels.iter().map(|c| c.to_string()).collect();
    commands.try_send(Command::Subscribe(channels)).unwrap();
    let budget = Budget::new(Limits::default());
    tokio::spawn(run(options, session, budget, command_rx, event_tx));
    Client { commands, events }
}
