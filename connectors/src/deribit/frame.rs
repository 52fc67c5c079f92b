//! Deribit's JSON-RPC 2.0 frames, both ways: a request as text, and a message from the venue
//! told apart as the answer to a request, a refusal, channel data or a heartbeat. No I/O: the
//! socket task hands text in and sends text out.

use serde::Deserialize;
use serde_json::{json, Value};
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
    Subscription { channel: String, data: Value },
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

#[derive(Deserialize)]
struct Raw {
    id: Option<u64>,
    method: Option<String>,
    params: Option<Value>,
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
    data: Value,
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
                    data: p.data,
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

fn params<T: serde::de::DeserializeOwned>(p: Option<Value>) -> Result<T, serde_json::Error> {
    serde_json::from_value(p.unwrap_or(Value::Null))
}

/// Request `id`: `method` with `params`, as the text to send.
pub fn request(id: u64, method: &str, params: Value) -> String {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

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
            (channel.as_str(), data["change_id"].as_u64()),
            ("book.ETH-PERPETUAL.raw", Some(5))
        );
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
        let text = request(3, "public/set_heartbeat", json!({"interval": 10}));
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["jsonrpc"], "2.0");
        assert_eq!(v["id"], 3);
        assert_eq!(v["method"], "public/set_heartbeat");
        assert_eq!(v["params"]["interval"], 10);
    }
}
