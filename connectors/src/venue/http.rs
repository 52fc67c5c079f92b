//! Deribit's JSON-RPC over HTTP on the local venue: `/api/v2/{method}`, GET with the params as
//! query parameters (each read as JSON where it is JSON: `count=5` is a number) or POST with a
//! JSON-RPC body (its params), answered with the JSON-RPC response. Private methods are signed
//! in by the `Authorization` header: `Basic` (client id and secret) or `deri-hmac-sha256
//! id=..,ts=..,sig=..,nonce=..` over `ts\nnonce\nMETHOD\nURI\nBODY\n`, as Deribit documents it.
//! One request a connection (`Connection: close`); the core serves it as a connection of its
//! own for the request's length.

use serde_json::{json, Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Larger requests are refused.
const MAX_REQUEST: usize = 1 << 20;

/// Whether the first bytes a client sent are a request for the HTTP API.
pub fn is_http_api(first: &[u8]) -> bool {
    first.starts_with(b"GET /api/v2/") || first.starts_with(b"POST /api/v2/")
}

/// A request read: the JSON-RPC method, its params, and the `public/auth` params its header
/// signs in with (none: public methods only).
#[derive(Debug, PartialEq)]
pub struct Call {
    pub method: String,
    pub params: Value,
    pub auth: Option<Value>,
}

/// The call an HTTP request makes, or why it is refused.
pub fn call_of(
    verb: &str,
    target: &str,
    authorization: Option<&str>,
    body: &str,
) -> Result<Call, String> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let method = path
        .strip_prefix("/api/v2/")
        .filter(|m| !m.is_empty())
        .ok_or_else(|| format!("not an API path: {path}"))?
        .to_string();
    let params = match verb {
        "GET" => query_params(query)?,
        "POST" if body.trim().is_empty() => json!({}),
        "POST" => {
            let v: Value = serde_json::from_str(body).map_err(|e| format!("body: {e}"))?;
            v.get("params").cloned().unwrap_or(v)
        }
        other => return Err(format!("method {other} not allowed")),
    };
    let auth = authorization
        .map(|a| auth_params(a, verb, target, body))
        .transpose()?;
    Ok(Call {
        method,
        params,
        auth,
    })
}

fn query_params(query: &str) -> Result<Value, String> {
    let mut out = Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(&s.replace('+', " "))
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|e| format!("query {k}: {e}"))
        };
        let (k, v) = (decode(k)?, decode(v)?);
        let value = serde_json::from_str(&v).unwrap_or(Value::String(v));
        out.insert(k, value);
    }
    Ok(Value::Object(out))
}

/// The `public/auth` params of an `Authorization` header.
fn auth_params(header: &str, verb: &str, target: &str, body: &str) -> Result<Value, String> {
    use base64::Engine as _;
    let (scheme, rest) = header.trim().split_once(' ').unwrap_or((header, ""));
    match scheme.to_ascii_lowercase().as_str() {
        "basic" => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(rest.trim())
                .map_err(|e| format!("Authorization: {e}"))?;
            let text = String::from_utf8(bytes).map_err(|e| format!("Authorization: {e}"))?;
            let (id, secret) = text
                .split_once(':')
                .ok_or("Authorization: want id:secret")?;
            Ok(
                json!({"grant_type": "client_credentials", "client_id": id, "client_secret": secret}),
            )
        }
        "deri-hmac-sha256" => {
            let field = |name: &str| {
                (rest.split(','))
                    .filter_map(|kv| kv.trim().split_once('='))
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
                    .ok_or_else(|| format!("Authorization: no {name}"))
            };
            let ts: i64 = field("ts")?.parse().map_err(|_| "Authorization: ts")?;
            let data = format!("{}\n{target}\n{body}\n", verb.to_ascii_uppercase());
            Ok(
                json!({"grant_type": "client_signature", "client_id": field("id")?,
                      "timestamp": ts, "nonce": field("nonce")?, "signature": field("sig")?,
                      "data": data}),
            )
        }
        other => Err(format!("Authorization scheme {other:?}")),
    }
}

/// Reads one request: (verb, target, Authorization header, body).
pub async fn read_request(
    tcp: &mut TcpStream,
) -> Result<(String, String, Option<String>, String), String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = tcp.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("closed before the request ended".into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() > MAX_REQUEST {
            return Err("request too large".into());
        }
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut req = httparse::Request::new(&mut headers);
        let httparse::Status::Complete(head) = req.parse(&buf).map_err(|e| e.to_string())? else {
            continue;
        };
        let header = |name: &str| {
            (req.headers.iter())
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| String::from_utf8_lossy(h.value).into_owned())
        };
        let length: usize = header("content-length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        if buf.len() < head + length {
            continue;
        }
        let body = String::from_utf8_lossy(&buf[head..head + length]).into_owned();
        let verb = req.method.unwrap_or_default().to_string();
        let target = req.path.unwrap_or_default().to_string();
        return Ok((verb, target, header("authorization"), body));
    }
}

/// Writes `body` (JSON) with `status`, and closes.
pub async fn respond(tcp: &mut TcpStream, status: u16, body: &str) {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        _ => "Error",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = tcp.write_all(head.as_bytes()).await;
    let _ = tcp.write_all(body.as_bytes()).await;
    let _ = tcp.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deribit::signature;

    #[test]
    fn get_and_post_become_calls_and_headers_sign_in() {
        let get = call_of(
            "GET",
            "/api/v2/public/get_instruments?currency=ETH&kind=option&count=5",
            None,
            "",
        )
        .unwrap();
        assert_eq!(get.method, "public/get_instruments");
        assert_eq!(
            get.params,
            json!({"currency": "ETH", "kind": "option", "count": 5})
        );
        assert_eq!(get.auth, None);
        let body = r#"{"jsonrpc":"2.0","id":7,"method":"private/get_positions","params":{"currency":"ETH"}}"#;
        // "local:local" in base64.
        let post = call_of(
            "POST",
            "/api/v2/private/get_positions",
            Some("Basic bG9jYWw6bG9jYWw="),
            body,
        )
        .unwrap();
        assert_eq!(post.params, json!({"currency": "ETH"}));
        assert_eq!(post.auth.unwrap()["client_secret"], "local");
        let target = "/api/v2/private/get_positions?currency=ETH";
        let data = format!("GET\n{target}\n\n");
        let sig = signature::sign("s3cret", 1_000, "abc", &data);
        let header = format!("deri-hmac-sha256 id=desk,ts=1000,sig={sig},nonce=abc");
        let signed = call_of("GET", target, Some(&header), "")
            .unwrap()
            .auth
            .unwrap();
        assert_eq!(signed["grant_type"], "client_signature");
        let ok = signature::verify(
            "s3cret",
            1_000,
            "abc",
            signed["data"].as_str().unwrap(),
            &sig,
        );
        assert!(ok);
        assert!(call_of("GET", "/api/v2/", None, "").is_err());
        assert!(call_of("PUT", "/api/v2/public/test", None, "").is_err());
        assert!(call_of("GET", "/api/v2/public/test", Some("Digest x"), "").is_err());
        assert!(
            is_http_api(b"GET /api/v2/public/test HTTP/1.1")
                && !is_http_api(b"GET /ws/api/v2 HTTP/1.1")
        );
    }
}
