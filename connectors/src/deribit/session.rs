//! One connection's session, without I/O: requests matched to their answers by id with a
//! deadline each; `public/auth` and cancel-on-disconnect at connect and a refresh before the token expires (from each
//! answer's `expires_in`); every `test_request` answered with `public/test`; each channel
//! subscribed exactly once per connection, and again once after a reconnect; a
//! `too_many_requests` refusal ends the session. Time comes in with each call (milliseconds);
//! what to send and what happened go out as [`Out`].

use super::credentials::Credentials;
use super::frame::{request, Data, Frame, Params, TOO_MANY_REQUESTS};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Milliseconds on the caller's clock.
pub type Millis = i64;

/// A request to send: its text, which may hold a secret (`public/auth`), so `Debug` shows the
/// id and method only.
#[derive(Clone, PartialEq)]
pub struct Outgoing {
    pub id: u64,
    pub method: String,
    text: String,
}

impl Outgoing {
    /// The frame's text, for the socket (and nothing else).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The frame's text, taken for the socket.
    pub fn into_text(self) -> String {
        self.text
    }
}

impl fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "request {} {}", self.id, self.method)
    }
}

/// What the session asks of its socket, and tells its owner.
#[derive(Clone, Debug, PartialEq)]
pub enum Out {
    /// A request to send.
    Send(Outgoing),
    /// The answer to a request the owner made (`call`).
    Answer {
        id: u64,
        method: String,
        result: Value,
    },
    /// A request of the owner's refused by the venue.
    Refused {
        id: u64,
        method: String,
        code: i64,
        message: String,
    },
    /// A request with no answer by its deadline (the owner decides: retry, or reconnect).
    TimedOut { id: u64, method: String },
    /// Data on a subscribed channel.
    Data { channel: String, data: Data },
    /// Authenticated until `expires_at`.
    Authenticated { expires_at: Millis },
    /// The session is over (the venue refused a request for too many; or auth failed): close the
    /// socket, wait, reconnect.
    Ended { why: String },
}

/// What a request of the session's own was for.
#[derive(Clone, Debug, PartialEq)]
enum Purpose {
    Auth,
    Subscribe(Vec<String>),
    /// The heartbeat's interval, cancel-on-disconnect.
    Setup,
    Test,
    Owner,
}

#[derive(Clone, Debug)]
struct Pending {
    method: String,
    purpose: Purpose,
    deadline: Millis,
}

pub struct Session {
    credentials: Option<Credentials>,
    /// Seconds between the venue's heartbeats (`public/set_heartbeat`).
    heartbeat_seconds: u64,
    timeout_ms: Millis,
    next_id: u64,
    pending: BTreeMap<u64, Pending>,
    refresh_token: Option<SecretString>,
    /// When to refresh the token.
    refresh_at: Option<Millis>,
    /// Channels wanted, and those subscribed (or asked for) on this connection.
    wanted: BTreeSet<String>,
    subscribed: BTreeSet<String>,
    /// Between `on_connected` and `on_disconnected`: nothing is sent otherwise.
    connected: bool,
    /// When the venue was last heard from (any frame): a venue silent for a heartbeat interval
    /// and a request's time-out has hung (its heartbeat is late), and the session ends.
    last_heard: Millis,
}

impl Session {
    /// A session that authenticates with `credentials` (public data only without), asks the
    /// venue for a heartbeat every `heartbeat_seconds`, and gives each request `timeout_ms`.
    pub fn new(
        credentials: Option<Credentials>,
        heartbeat_seconds: u64,
        timeout_ms: Millis,
    ) -> Session {
        Session {
            credentials,
            heartbeat_seconds,
            timeout_ms,
            next_id: 1,
            pending: BTreeMap::new(),
            refresh_token: None,
            refresh_at: None,
            wanted: BTreeSet::new(),
            subscribed: BTreeSet::new(),
            connected: false,
            last_heard: 0,
        }
    }

    /// The connection is gone: requests wait for the next one (`on_connected` times out what
    /// was pending).
    pub fn on_disconnected(&mut self) {
        self.connected = false;
    }

    /// A new connection: what was pending on the old one is dropped (timed out), then auth, the
    /// heartbeat, and every wanted channel subscribed once.
    pub fn on_connected(&mut self, now: Millis, out: &mut Vec<Out>) {
        for (id, p) in std::mem::take(&mut self.pending) {
            if p.purpose == Purpose::Owner {
                out.push(Out::TimedOut {
                    id,
                    method: p.method,
                });
            }
        }
        self.subscribed.clear();
        self.refresh_token = None;
        self.refresh_at = None;
        self.connected = true;
        self.last_heard = now;
        if let Some(c) = &self.credentials {
            let params = json!({"grant_type": "client_credentials", "client_id": c.client_id,
                                "client_secret": c.secret()});
            self.send(now, "public/auth", params, Purpose::Auth, out);
            // The venue cancels this connection's orders when it drops: none rests unwatched.
            let scope = json!({"scope": "connection"});
            self.send(
                now,
                "private/enable_cancel_on_disconnect",
                scope,
                Purpose::Setup,
                out,
            );
        }
        let interval = json!({"interval": self.heartbeat_seconds});
        self.send(now, "public/set_heartbeat", interval, Purpose::Setup, out);
        self.subscribe_wanted(now, out);
    }

    /// Wants `channels` (each sent once per connection, however often it is asked for; none
    /// before the first).
    pub fn subscribe(&mut self, now: Millis, channels: &[&str], out: &mut Vec<Out>) {
        self.wanted.extend(channels.iter().map(|c| c.to_string()));
        self.subscribe_wanted(now, out);
    }

    /// `channel` again from scratch (a book whose sequence broke: its next snapshot rebuilds
    /// the mirror): unsubscribed, then subscribed once more. Nothing if it is not wanted.
    pub fn resubscribe(&mut self, now: Millis, channel: &str, out: &mut Vec<Out>) {
        if !self.connected || !self.subscribed.remove(channel) {
            return;
        }
        let method = if channel.starts_with("user.") {
            "private/unsubscribe"
        } else {
            "public/unsubscribe"
        };
        let params = json!({ "channels": [channel] });
        self.send(now, method, params, Purpose::Setup, out);
        self.subscribe_wanted(now, out);
    }

    /// A request of the owner's; its answer comes back as [`Out::Answer`] with this id.
    pub fn call(
        &mut self,
        now: Millis,
        method: &str,
        params: impl Into<Params>,
        out: &mut Vec<Out>,
    ) -> u64 {
        self.send(now, method, params.into(), Purpose::Owner, out)
    }

    /// A frame from the venue.
    pub fn on_frame(&mut self, now: Millis, frame: Frame, out: &mut Vec<Out>) {
        self.last_heard = now;
        match frame {
            Frame::Heartbeat { test_request: true } => {
                self.send(now, "public/test", json!({}), Purpose::Test, out);
            }
            Frame::Heartbeat {
                test_request: false,
            } => {}
            Frame::Subscription { channel, data } => out.push(Out::Data { channel, data }),
            Frame::Result { id, result } => self.on_answer(now, id, Ok(result), out),
            Frame::Error { id, code, message } => {
                self.on_answer(now, id, Err((code, message)), out)
            }
        }
    }

    /// Deadlines passed and a token to refresh, at `now`.
    pub fn on_tick(&mut self, now: Millis, out: &mut Vec<Out>) {
        let silent = now - self.last_heard;
        if self.connected && silent > 1000 * self.heartbeat_seconds as Millis + self.timeout_ms {
            let why = format!("no message from the venue for {} ms", silent);
            return out.push(Out::Ended { why });
        }
        let late: Vec<u64> = (self.pending.iter())
            .filter(|(_, p)| p.deadline <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in late {
            let Some(p) = self.pending.remove(&id) else {
                continue;
            };
            match p.purpose {
                Purpose::Owner => out.push(Out::TimedOut {
                    id,
                    method: p.method,
                }),
                Purpose::Auth => out.push(Out::Ended {
                    why: "public/auth timed out".into(),
                }),
                // The channels go back to wanted-not-sent; the next tick asks again.
                Purpose::Subscribe(channels) => {
                    channels.iter().for_each(|c| {
                        self.subscribed.remove(c);
                    });
                }
                Purpose::Setup | Purpose::Test => {}
            }
        }
        if self.refresh_at.is_some_and(|at| at <= now) {
            self.refresh_at = None;
            if let Some(token) = self.refresh_token.take() {
                let token = token.expose_secret();
                let params = json!({"grant_type": "refresh_token", "refresh_token": token});
                self.send(now, "public/auth", params, Purpose::Auth, out);
            }
        }
        self.subscribe_wanted(now, out);
    }

    /// Whether request `id` is still waited for (not answered, not timed out).
    pub fn is_pending(&self, id: u64) -> bool {
        self.pending.contains_key(&id)
    }

    /// Requests sent and not answered.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    fn subscribe_wanted(&mut self, now: Millis, out: &mut Vec<Out>) {
        let new: Vec<String> = self.wanted.difference(&self.subscribed).cloned().collect();
        if new.is_empty() || !self.connected {
            return;
        }
        self.subscribed.extend(new.iter().cloned());
        // Own channels (`user.*`) need the token: `private/subscribe`, after the auth request
        // on the same connection; market data on `public/subscribe`.
        let (own, public): (Vec<String>, Vec<String>) =
            new.into_iter().partition(|c| c.starts_with("user."));
        for (method, channels) in [("public/subscribe", public), ("private/subscribe", own)] {
            if !channels.is_empty() {
                let params = json!({ "channels": channels });
                self.send(now, method, params, Purpose::Subscribe(channels), out);
            }
        }
    }

    fn send(
        &mut self,
        now: Millis,
        method: &str,
        params: impl Into<Params>,
        purpose: Purpose,
        out: &mut Vec<Out>,
    ) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let text = request(id, method, &params.into());
        out.push(Out::Send(Outgoing {
            id,
            method: method.to_string(),
            text,
        }));
        let deadline = now + self.timeout_ms;
        self.pending.insert(
            id,
            Pending {
                method: method.to_string(),
                purpose,
                deadline,
            },
        );
        id
    }

    fn on_answer(
        &mut self,
        now: Millis,
        id: u64,
        answer: Result<Value, (i64, String)>,
        out: &mut Vec<Out>,
    ) {
        // An answer to nothing pending (late, after a timeout) is dropped: the owner was told.
        let Some(p) = self.pending.remove(&id) else {
            return;
        };
        let (code, message) = match answer {
            Ok(result) => return self.on_result(now, id, p, result, out),
            Err(e) => e,
        };
        if code == TOO_MANY_REQUESTS || message == "too_many_requests" {
            out.push(Out::Ended {
                why: format!("{}: {code} {message}", p.method),
            });
        }
        match p.purpose {
            Purpose::Owner => out.push(Out::Refused {
                id,
                method: p.method,
                code,
                message,
            }),
            Purpose::Auth => out.push(Out::Ended {
                why: format!("public/auth refused: {code} {message}"),
            }),
            Purpose::Subscribe(channels) => {
                channels.iter().for_each(|c| {
                    self.subscribed.remove(c);
                });
            }
            Purpose::Setup | Purpose::Test => {}
        }
    }

    fn on_result(&mut self, now: Millis, id: u64, p: Pending, result: Value, out: &mut Vec<Out>) {
        match p.purpose {
            Purpose::Owner => out.push(Out::Answer {
                id,
                method: p.method,
                result,
            }),
            Purpose::Auth => {
                let expires_in = result["expires_in"].as_i64().unwrap_or(0);
                let expires_at = now + 1000 * expires_in;
                // Refresh at four fifths of the token's life: well before it ends.
                self.refresh_at = Some(now + 800 * expires_in);
                let token = result["refresh_token"].as_str();
                self.refresh_token = token.map(|t| SecretString::from(t.to_string()));
                out.push(Out::Authenticated { expires_at });
            }
            Purpose::Subscribe(_) | Purpose::Setup | Purpose::Test => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The requests in `out`, as (id, method, params).
    fn sent(out: &[Out]) -> Vec<(u64, String, Value)> {
        out.iter()
            .filter_map(|o| match o {
                Out::Send(r) => {
                    let v: Value = serde_json::from_str(r.text()).unwrap();
                    Some((r.id, r.method.clone(), v["params"].clone()))
                }
                _ => None,
            })
            .collect()
    }

    fn answer(id: u64, result: Value) -> Frame {
        Frame::Result { id, result }
    }

    #[test]
    fn a_connection_authenticates_subscribes_once_and_refreshes_before_expiry() {
        let creds = Credentials::new("id-1".into(), "s3cr3t".into());
        let mut s = Session::new(Some(creds), 10, 5_000);
        let mut out = Vec::new();
        s.subscribe(0, &["book.ETH-PERPETUAL.raw"], &mut out);
        s.on_connected(0, &mut out);
        s.subscribe(
            1,
            &["book.ETH-PERPETUAL.raw", "user.changes.option.ETH.raw"],
            &mut out,
        );
        let reqs = sent(&out);
        let methods: Vec<&str> = reqs.iter().map(|r| r.1.as_str()).collect();
        // Nothing before the connection; on it auth, cancel-on-disconnect, the heartbeat and the
        // book, then only the new own channel, privately.
        let expected = [
            "public/auth",
            "private/enable_cancel_on_disconnect",
            "public/set_heartbeat",
            "public/subscribe",
            "private/subscribe",
        ];
        assert_eq!(methods, expected);
        assert_eq!(reqs[0].2["client_secret"], "s3cr3t");
        assert!(
            !format!("{out:?}").contains("s3cr3t"),
            "the secret in Debug"
        );
        assert_eq!(reqs[4].2["channels"][0], "user.changes.option.ETH.raw");
        assert_eq!(reqs[1].2["scope"], "connection");
        out.clear();
        for r in &reqs[1..] {
            s.on_frame(500, answer(r.0, json!("ok")), &mut out);
        }
        assert!(out.is_empty());
        let auth = json!({"access_token": "a", "refresh_token": "r-1", "expires_in": 900});
        s.on_frame(1_000, answer(reqs[0].0, auth), &mut out);
        assert_eq!(
            out,
            [Out::Authenticated {
                expires_at: 901_000
            }]
        );
        out.clear();
        // The venue's heartbeats keep the session up meanwhile.
        s.on_frame(
            720_000,
            Frame::Heartbeat {
                test_request: false,
            },
            &mut out,
        );
        // Refreshed at four fifths of its life (720 s after it was granted), once.
        s.on_tick(720_999, &mut out);
        assert!(sent(&out).is_empty());
        s.on_tick(721_000, &mut out);
        s.on_tick(721_001, &mut out);
        let refresh = sent(&out);
        assert_eq!(refresh.len(), 1);
        assert_eq!(refresh[0].2["grant_type"], "refresh_token");
        assert_eq!(refresh[0].2["refresh_token"], "r-1");
    }

    #[test]
    fn a_venue_silent_past_two_heartbeats_ends_the_session() {
        let mut s = Session::new(None, 10, 5_000);
        let mut out = Vec::new();
        s.on_connected(0, &mut out);
        s.on_frame(
            1_000,
            Frame::Heartbeat {
                test_request: false,
            },
            &mut out,
        );
        out.clear();
        // Heard at 1 s: a 10 s interval and the 5 s time-out later, it has hung.
        s.on_tick(16_000, &mut out);
        assert!(
            !out.iter().any(|o| matches!(o, Out::Ended { .. })),
            "{out:?}"
        );
        s.on_tick(16_001, &mut out);
        assert!(matches!(out.last(), Some(Out::Ended { why }) if why.contains("no message")));
    }

    #[test]
    fn a_broken_book_is_unsubscribed_and_subscribed_again_once() {
        let mut s = Session::new(None, 10, 5_000);
        let mut out = Vec::new();
        s.on_connected(0, &mut out);
        s.subscribe(0, &["book.ETH-PERPETUAL.raw"], &mut out);
        out.clear();
        s.resubscribe(1, "book.ETH-PERPETUAL.raw", &mut out);
        s.resubscribe(1, "book.ETH-27MAR26-2000-C.raw", &mut out);
        let reqs = sent(&out);
        let methods: Vec<&str> = reqs.iter().map(|r| r.1.as_str()).collect();
        // The channel not wanted is left alone.
        assert_eq!(methods, ["public/unsubscribe", "public/subscribe"]);
        assert_eq!(reqs[1].2["channels"][0], "book.ETH-PERPETUAL.raw");
    }

    #[test]
    fn test_requests_are_answered_and_calls_time_out() {
        let mut s = Session::new(None, 10, 5_000);
        let mut out = Vec::new();
        s.on_connected(0, &mut out);
        out.clear();
        s.on_frame(100, Frame::Heartbeat { test_request: true }, &mut out);
        assert_eq!(sent(&out)[0].1, "public/test");
        out.clear();
        let id = s.call(
            200,
            "private/get_positions",
            json!({"currency": "ETH"}),
            &mut out,
        );
        let other = s.call(200, "public/get_time", json!({}), &mut out);
        out.clear();
        s.on_frame(300, answer(other, json!(1)), &mut out);
        assert_eq!(
            out,
            [Out::Answer {
                id: other,
                method: "public/get_time".into(),
                result: json!(1)
            }]
        );
        out.clear();
        s.on_tick(5_199, &mut out);
        assert!(out.is_empty());
        s.on_tick(5_200, &mut out);
        assert_eq!(
            out,
            [Out::TimedOut {
                id,
                method: "private/get_positions".into()
            }]
        );
        out.clear();
        // Its late answer is dropped: the owner was told it timed out.
        s.on_frame(6_000, answer(id, json!([])), &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn too_many_requests_ends_the_session_and_a_reconnect_resubscribes_once() {
        let mut s = Session::new(None, 10, 5_000);
        let mut out = Vec::new();
        s.subscribe(
            0,
            &["book.ETH-PERPETUAL.raw", "trades.ETH-PERPETUAL.raw"],
            &mut out,
        );
        s.on_connected(0, &mut out);
        out.clear();
        let id = s.call(10, "private/buy", json!({}), &mut out);
        let waiting = s.call(
            10,
            "private/get_open_orders_by_currency",
            json!({}),
            &mut out,
        );
        out.clear();
        let refused = Frame::Error {
            id,
            code: TOO_MANY_REQUESTS,
            message: "too_many_requests".into(),
        };
        s.on_frame(20, refused, &mut out);
        assert!(matches!(&out[0], Out::Ended { why } if why.contains("10028")));
        assert!(matches!(
            &out[1],
            Out::Refused {
                code: TOO_MANY_REQUESTS,
                ..
            }
        ));
        out.clear();
        // The new connection: what was pending is timed out, the two channels asked for in one
        // request, once.
        s.on_connected(30_000, &mut out);
        assert_eq!(
            out[0],
            Out::TimedOut {
                id: waiting,
                method: "private/get_open_orders_by_currency".into()
            }
        );
        let subs: Vec<_> = sent(&out)
            .into_iter()
            .filter(|r| r.1.ends_with("subscribe"))
            .collect();
        assert_eq!(subs.len(), 1);
        assert_eq!(subs[0].2["channels"].as_array().map(Vec::len), Some(2));
        // A subscribe refused goes back to wanted: asked again at the next tick.
        out.clear();
        s.on_frame(
            30_001,
            Frame::Error {
                id: subs[0].0,
                code: 11050,
                message: "bad_request".into(),
            },
            &mut out,
        );
        s.on_tick(30_002, &mut out);
        assert_eq!(sent(&out).len(), 1);
        assert_eq!(s.pending(), 2, "the heartbeat and the new subscribe");
    }
}
