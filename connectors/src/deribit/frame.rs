//! Deribit's JSON-RPC 2.0 frames, both ways: a request as text, and a message from the venue
//! told apart as the answer to a request, a refusal, channel data or a heartbeat. No I/O: the
//! socket task hands text in and sends text out.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use thiserror::Error;

/// Deribit's error code for `too_many_requests`: it ends the session.
pub const TOO_MANY_REQUESTS: i64 = 10028;
/// Deribit's error code for `post_only_reject`: a post-only order (placed or edited) that would
/// have crossed the book, refused whole.
pub const POST_ONLY_REJECT: i64 = 11054;

/// One message from the venue.
#[derive(Clone, Debug, PartialEq)]
pub enum Frame {
    /// The answer to request `id`.
    Result { id: u64, result: Value },
    /// Request `id` refused, with Deribit's code and message (match on both: code tables in
    /// circulation disagree).
    Error { id: u64, code: i64, message: String },
    /// Data on a subscribed channel.
    Subscription { channel: String, data: Data },
    /// The venue's heartbeat; a `test_request` must be answered with `public/test` or the venue
    /// closes the connection.
    Heartbeat { test_request: bool },
}

/// A message that is not a frame this client knows, with the text it came as (cut to
/// [`RAW_KEPT`] characters) for the log.
#[derive(Debug, Error, PartialEq)]
#[error("{why}: {raw}")]
pub struct FrameError {
    pub why: String,
    pub raw: String,
}

/// How much of a bad message's text an error keeps.
pub const RAW_KEPT: usize = 300;

/// A channel's data as it came (its JSON text, checked), read by whoever knows its shape: a
/// book's straight into ticks, no [`Value`] tree built for the thousands a second.
#[derive(Clone, Debug)]
pub struct Data(Box<RawValue>);

impl PartialEq for Data {
    fn eq(&self, other: &Data) -> bool {
        self.0.get() == other.0.get()
    }
}

impl Data {
    /// The data `text` holds, if it is JSON.
    pub fn parse(text: String) -> serde_json::Result<Data> {
        RawValue::from_string(text).map(Data)
    }

    /// The JSON text.
    pub fn text(&self) -> &str {
        self.0.get()
    }

    /// A reader of the text, for a type's own parse (`BookMessage::parse`, `Ticker::parse`).
    pub fn reader(&self) -> serde_json::Deserializer<serde_json::de::StrRead<'_>> {
        serde_json::Deserializer::from_str(self.0.get())
    }

    /// As a JSON value (for data read seldom: our orders' changes).
    pub fn value(&self) -> serde_json::Result<Value> {
        serde_json::from_str(self.0.get())
    }
}

#[derive(Deserialize)]
struct Raw<'a> {
    id: Option<u64>,
    method: Option<String>,
    #[serde(borrow)]
    params: Option<&'a RawValue>,
    result: Option<Value>,
    error: Option<RawError>,
}

#[derive(Deserialize)]
struct RawError {
    code: i64,
    message: String,
}

#[derive(Deserialize)]
struct SubscriptionParams {
    channel: String,
    data: Box<RawValue>,
}

#[derive(Deserialize)]
struct HeartbeatParams {
    #[serde(rename = "type")]
    kind: String,
}

impl Frame {
    /// The frame `text` holds.
    pub fn parse(text: &str) -> Result<Frame, FrameError> {
        let bad = |why: String| FrameError {
            why,
            raw: text.chars().take(RAW_KEPT).collect(),
        };
        let raw: Raw = serde_json::from_str(text).map_err(|e| bad(format!("not a frame: {e}")))?;
        match (raw.id, raw.method.as_deref(), raw.error) {
            (Some(id), _, Some(e)) => Ok(Frame::Error {
                id,
                code: e.code,
                message: e.message,
            }),
            (Some(id), None, None) => Ok(Frame::Result {
                id,
                result: raw.result.unwrap_or(Value::Null),
            }),
            (None, Some("subscription"), _) => {
                let p: SubscriptionParams =
                    params(raw.params).map_err(|e| bad(format!("subscription params: {e}")))?;
                Ok(Frame::Subscription {
                    channel: p.channel,
                    data: Data(p.data),
                })
            }
            (None, Some("heartbeat"), _) => {
                let p: HeartbeatParams =
                    params(raw.params).map_err(|e| bad(format!("heartbeat params: {e}")))?;
                Ok(Frame::Heartbeat {
                    test_request: p.kind == "test_request",
                })
            }
            (None, Some(method), _) => Err(bad(format!("unknown method {method:?}"))),
            (Some(_), Some(method), None) => {
                Err(bad(format!("a request ({method:?}), not an answer")))
            }
            (None, None, _) => Err(bad("neither an id nor a method".to_string())),
        }
    }
}

fn params<T: serde::de::DeserializeOwned>(p: Option<&RawValue>) -> Result<T, serde_json::Error> {
    serde_json::from_str(p.map_or("null", RawValue::get))
}

/// A request's params: any JSON value, or already written (an order's, from its ticks: no
/// [`Value`] tree built on a re-price's way to the socket) with the order's label.
#[derive(Debug, Clone)]
pub enum Params {
    Value(Value),
    Written { raw: Box<RawValue>, label: String },
}

impl From<Value> for Params {
    fn from(v: Value) -> Params {
        Params::Value(v)
    }
}

impl Params {
    /// The order the request names by its label, if it names one.
    pub fn label(&self) -> Option<&str> {
        match self {
            Params::Value(v) => v.get("label").and_then(Value::as_str),
            Params::Written { label, .. } => Some(label),
        }
    }
}

#[derive(Serialize)]
struct Request<'a, P> {
    jsonrpc: &'static str,
    id: u64,
    method: &'a str,
    params: P,
}

/// Request `id`: `method` with `params`, as the text to send.
pub fn request(id: u64, method: &str, params: &Params) -> String {
    let text = match params {
        Params::Value(params) => to_text(id, method, params),
        Params::Written { raw, .. } => to_text(id, method, raw),
    };
    // A map with other than string keys is the only thing that fails to write: JSON values
    // and written params never are one.
    text.expect("JSON params always write")
}

fn to_text<P: Serialize>(id: u64, method: &str, params: P) -> serde_json::Result<String> {
    let jsonrpc = "2.0";
    serde_json::to_string(&Request {
        jsonrpc,
        id,
        method,
        params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers_refusals_channel_data_and_heartbeats_are_told_apart() {
        let answer = r#"{"jsonrpc":"2.0","id":7,"result":{"access_token":"x","expires_in":900},"usIn":1,"usOut":2}"#;
        let Frame::Result { id, result } = Frame::parse(answer).unwrap() else {
            panic!()
        };
        assert_eq!((id, result["expires_in"].as_u64()), (7, Some(900)));
        let refused =
            r#"{"jsonrpc":"2.0","id":8,"error":{"message":"too_many_requests","code":10028}}"#;
        assert_eq!(
            Frame::parse(refused).unwrap(),
            Frame::Error {
                id: 8,
                code: TOO_MANY_REQUESTS,
                message: "too_many_requests".into()
            }
        );
        let data = r#"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.ETH-PERPETUAL.raw","data":{"change_id":5}}}"#;
        let Frame::Subscription { channel, data } = Frame::parse(data).unwrap() else {
            panic!()
        };
        assert_eq!(
            (
                channel.as_str(),
                data.value().unwrap()["change_id"].as_u64()
            ),
            ("book.ETH-PERPETUAL.raw", Some(5))
        );
        assert_eq!(data.text(), r#"{"change_id":5}"#);
        assert_eq!(Some(data), Data::parse(r#"{"change_id":5}"#.into()).ok());
        assert!(Data::parse("{".into()).is_err());
        let beat = r#"{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}"#;
        assert_eq!(
            Frame::parse(beat).unwrap(),
            Frame::Heartbeat { test_request: true }
        );
        let beat = r#"{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"heartbeat"}}"#;
        assert_eq!(
            Frame::parse(beat).unwrap(),
            Frame::Heartbeat {
                test_request: false
            }
        );
    }

    #[test]
    fn a_bad_message_is_refused_with_its_text() {
        for (text, why) in [
            ("{\"jsonrpc\":\"2.0\",\"id\":", "not a frame"),
            (r#"{"jsonrpc":"2.0"}"#, "neither an id nor a method"),
            (
                r#"{"jsonrpc":"2.0","method":"gossip","params":{}}"#,
                "unknown method \"gossip\"",
            ),
            (
                r#"{"jsonrpc":"2.0","method":"subscription","params":{"data":1}}"#,
                "subscription params",
            ),
            (r#"{"jsonrpc":"2.0","id":-1,"result":0}"#, "not a frame"),
            (
                r#"{"jsonrpc":"2.0","id":4,"method":"private/buy","params":{}}"#,
                "a request",
            ),
        ] {
            let e = Frame::parse(text).unwrap_err();
            assert!(e.why.starts_with(why), "{text}: {e}");
            assert_eq!(e.raw, text);
        }
        let long = format!("{{\"x\":\"{}\"}}", "a".repeat(1000));
        assert_eq!(Frame::parse(&long).unwrap_err().raw.len(), RAW_KEPT);
    }

    #[test]
    fn a_request_is_json_rpc_2() {
        let text = request(3, "public/set_heartbeat", &json!({"interval": 10}).into());
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["jsonrpc"], "2.0");
        assert_eq!(v["id"], 3);
        assert_eq!(v["method"], "public/set_heartbeat");
        assert_eq!(v["params"]["interval"], 10);
        // Params already written go as they are, and name their order by its label.
        let raw = RawValue::from_string(r#"{"label":"rm-7","price":0.05}"#.into()).unwrap();
        let label = "rm-7".to_string();
        let written = Params::Written { raw, label };
        assert_eq!(written.label(), Some("rm-7"));
        assert_eq!(Params::from(json!({"label": "rm-8"})).label(), Some("rm-8"));
        assert_eq!(Params::from(json!({})).label(), None);
        let v: Value = serde_json::from_str(&request(4, "private/buy", &written)).unwrap();
        assert_eq!(
            (v["id"].as_u64(), v["method"].as_str()),
            (Some(4), Some("private/buy"))
        );
        assert_eq!(v["params"], json!({"label": "rm-7", "price": 0.05}));
    }
}
