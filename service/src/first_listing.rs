//! What the service asks the venue before it trades: the currency's options and futures and the
//! account's request limits. A request lost on the way (the connection dropped, or no answer by
//! its deadline) is asked again: at once while the connection stands, after the next sign-in
//! where it dropped. A venue that drops connections often must not stop the service at its
//! start (it did: `private/get_account_summary: no answer`, and the process exited).

use crate::listing::add_listed;
use anyhow::{bail, Result};
use connectors::deribit::budget::Limits;
use connectors::deribit::connection::{Command, Event};
use connectors::deribit::session::Out;
use engine::Instruments;
use serde_json::{json, Value};
use tokio::sync::mpsc;

/// The connection's events as the listing reads them.
pub type Events = mpsc::UnboundedReceiver<Event>;

/// An answer that did not come.
struct Lost {
    method: String,
    /// Whether the connection is signed in after it (it stood, or came back meanwhile).
    signed_in: bool,
}

/// The requests in flight and where the connection is: tags are never reused, so an outcome
/// of an earlier try is never taken for a later one's.
struct Asker<'a> {
    commands: &'a mpsc::Sender<Command>,
    events: &'a mut Events,
    tag: u64,
    signed_in: bool,
}

/// Waits for the connection to sign in, then lists the currency's options and futures (names
/// the engine cannot read are logged and left out) and reads the account's request limits.
pub async fn listing(
    commands: &mpsc::Sender<Command>,
    events: &mut Events,
    currency: &str,
) -> Result<(Instruments, Limits)> {
    let mut asker = Asker {
        commands,
        events,
        tag: 0,
        signed_in: false,
    };
    loop {
        if !asker.signed_in {
            asker.sign_in().await?;
        }
        match asker.list(currency).await? {
            Ok(listed) => return Ok(listed),
            Err(lost) => tracing::warn!(
                "{}: no answer; asked again {}",
                lost.method,
                if lost.signed_in {
                    "now"
                } else {
                    "once signed in"
                }
            ),
        }
    }
}

impl Asker<'_> {
    async fn sign_in(&mut self) -> Result<()> {
        loop {
            match self.events.recv().await {
                Some(Event::Session(Out::Authenticated { .. })) => {
                    self.signed_in = true;
                    return Ok(());
                }
                Some(Event::Session(Out::Ended { why })) => tracing::warn!("sign-in: {why}"),
                Some(Event::Disconnected { why, retry_in }) => {
                    tracing::warn!("connecting: {why}; again in {retry_in:?}")
                }
                Some(_) => {}
                None => bail!("the connection ended before signing in"),
            }
        }
    }

    async fn list(&mut self, currency: &str) -> Result<Result<(Instruments, Limits), Lost>> {
        let mut instruments = Instruments::new();
        for kind in ["option", "future"] {
            let params = json!({"currency": currency, "kind": kind, "expired": false});
            match self.ask("public/get_instruments", params).await? {
                Ok(list) => add_listed(&mut instruments, &list),
                Err(lost) => return Ok(Err(lost)),
            };
        }
        let params = json!({ "currency": currency });
        Ok(
            match self.ask("private/get_account_summary", params).await? {
                Ok(summary) => {
                    let limits = Limits::from_account_summary(&summary);
                    tracing::info!("request limits: {limits:?}");
                    Ok((instruments, limits))
                }
                Err(lost) => Err(lost),
            },
        )
    }

    /// Sends `method` with `params` and waits for its outcome (what else comes meanwhile is
    /// dropped: nothing is subscribed or sent yet). A refusal is an error; a lost answer is
    /// `Lost`.
    async fn ask(&mut self, method: &str, params: Value) -> Result<Result<Value, Lost>> {
        self.tag += 1;
        let tag = self.tag;
        let call = Command::Call {
            method: method.to_string(),
            params: params.into(),
            tag,
            since: None,
        };
        self.commands.send(call).await?;
        loop {
            match self.events.recv().await {
                Some(Event::Session(Out::Answer { id, result, .. })) if id == tag => {
                    return Ok(Ok(result))
                }
                Some(Event::Session(Out::Refused {
                    id,
                    method,
                    message,
                    ..
                })) if id == tag => bail!("{method}: {message}"),
                Some(Event::Session(Out::TimedOut { id, method })) if id == tag => {
                    let signed_in = self.signed_in;
                    return Ok(Err(Lost { method, signed_in }));
                }
                Some(Event::Disconnected { .. }) => self.signed_in = false,
                Some(Event::Session(Out::Authenticated { .. })) => self.signed_in = true,
                Some(_) => {}
                None => bail!("the connection ended"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// The venue's side: the next request asked, its tag and method.
    async fn asked(commands: &mut mpsc::Receiver<Command>) -> (u64, String) {
        match commands.recv().await {
            Some(Command::Call { method, tag, .. }) => (tag, method),
            other => panic!("not a request: {other:?}"),
        }
    }

    fn answer(events: &mpsc::UnboundedSender<Event>, id: u64, result: Value) {
        let method = String::new();
        let answer = Out::Answer { id, method, result };
        events.send(Event::Session(answer)).expect("listening");
    }

    fn signed_in(events: &mpsc::UnboundedSender<Event>) {
        let out = Out::Authenticated { expires_at: 0 };
        events.send(Event::Session(out)).expect("listening");
    }

    fn timed_out(events: &mpsc::UnboundedSender<Event>, id: u64, method: &str) {
        let method = method.to_string();
        events
            .send(Event::Session(Out::TimedOut { id, method }))
            .expect("listening");
    }

    /// The listing started on channels of its own: the venue's end of the requests, the
    /// events' sender, and the listing's outcome (how many instruments it listed).
    fn start() -> (
        mpsc::Receiver<Command>,
        mpsc::UnboundedSender<Event>,
        tokio::task::JoinHandle<Result<usize>>,
    ) {
        let (commands, venue) = mpsc::channel(16);
        let (tell, mut events) = mpsc::unbounded_channel();
        let listed = tokio::spawn(async move {
            let listed = listing(&commands, &mut events, "ETH").await;
            listed.map(|(instruments, _)| instruments.len())
        });
        (venue, tell, listed)
    }

    fn options() -> Value {
        json!([{"instrument_name": "ETH-27MAR26-2000-C", "is_active": true}])
    }

    #[tokio::test]
    async fn a_dropped_connection_at_the_start_is_signed_in_again_and_asked_again() {
        let (mut venue, tell, listed) = start();
        signed_in(&tell);
        let (tag, method) = asked(&mut venue).await;
        assert_eq!(method, "public/get_instruments");
        answer(&tell, tag, options());
        let (tag, _) = asked(&mut venue).await;
        answer(&tell, tag, json!([]));
        // The summary's answer lost with the connection: the pending request is timed out
        // when the next connection is made, then the connection signs in.
        let (lost, method) = asked(&mut venue).await;
        assert_eq!(method, "private/get_account_summary");
        let why = "closed by the venue".to_string();
        let retry_in = Duration::from_millis(100);
        tell.send(Event::Disconnected { why, retry_in }).unwrap();
        timed_out(&tell, lost, &method);
        // Nothing is asked before the sign-in.
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(venue.try_recv().is_err(), "asked before signing in again");
        signed_in(&tell);
        let mut asked_again = Vec::new();
        for result in [options(), json!([]), json!({})] {
            let (tag, method) = asked(&mut venue).await;
            assert!(tag > lost, "tag {tag} reused");
            asked_again.push(method);
            answer(&tell, tag, result);
        }
        let kinds = ["public/get_instruments", "public/get_instruments"];
        assert_eq!(asked_again[..2], kinds);
        assert_eq!(asked_again[2], "private/get_account_summary");
        assert_eq!(listed.await.unwrap().unwrap(), 1);
    }

    #[tokio::test]
    async fn an_answer_late_on_a_standing_connection_is_asked_again_at_once() {
        let (mut venue, tell, listed) = start();
        signed_in(&tell);
        let (tag, method) = asked(&mut venue).await;
        timed_out(&tell, tag, &method);
        for result in [options(), json!([]), json!({})] {
            let (tag, _) = asked(&mut venue).await;
            answer(&tell, tag, result);
        }
        assert_eq!(listed.await.unwrap().unwrap(), 1);
    }

    #[tokio::test]
    async fn a_refusal_stops_the_start_naming_the_request() {
        let (commands, mut venue) = mpsc::channel(16);
        let (tell, mut events) = mpsc::unbounded_channel();
        let listed =
            tokio::spawn(async move { listing(&commands, &mut events, "ETH").await.err() });
        signed_in(&tell);
        let (id, method) = asked(&mut venue).await;
        let refused = Out::Refused {
            id,
            method,
            code: 13009,
            message: "unauthorized".into(),
        };
        tell.send(Event::Session(refused)).unwrap();
        let error = listed.await.unwrap().expect("refused");
        assert_eq!(error.to_string(), "public/get_instruments: unauthorized");
    }
}
