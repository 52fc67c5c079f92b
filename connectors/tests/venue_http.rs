//! The local venue's HTTP API on loopback: `/api/v2/{method}` by GET and POST, private methods
//! signed in by the `Authorization` header (Basic, or Deribit's HMAC signature over the request).

use connectors::deribit::signature;
use connectors::venue::core::VenueCore;
use connectors::venue::server::{serve, Options};
use engine::{Instrument, Instruments};
use serde_json::Value;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn http(addr: std::net::SocketAddr, request: String) -> (u16, Value) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).await.unwrap();
    let status = text[9..12].parse().unwrap();
    let body = text.split_once("\r\n\r\n").unwrap().1;
    (status, serde_json::from_str(body).unwrap())
}

#[tokio::test]
async fn the_http_api_serves_public_and_signed_private_calls() {
    let mut instruments = Instruments::new();
    instruments
        .intern(Instrument::deribit("ETH-27MAR26-2000-C").unwrap())
        .unwrap();
    let core = VenueCore::new(instruments, &[("desk", "s3cret")]);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(
        listener,
        core,
        None,
        Options::plain(Duration::from_millis(100)),
    ));
    let get = |target: &str, auth: &str| {
        format!("GET {target} HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n")
    };
    let (status, v) = http(
        addr,
        get(
            "/api/v2/public/get_instruments?currency=ETH&kind=option",
            "",
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(v["result"][0]["instrument_name"], "ETH-27MAR26-2000-C");
    // Private without a key: refused.
    let (status, v) = http(addr, get("/api/v2/private/get_positions?currency=ETH", "")).await;
    assert_eq!((status, v["error"]["code"].as_i64()), (400, Some(13009)));
    // Basic: "desk:s3cret".
    let basic = "Authorization: Basic ZGVzazpzM2NyZXQ=\r\n";
    let (status, v) = http(
        addr,
        get("/api/v2/private/get_positions?currency=ETH", basic),
    )
    .await;
    assert_eq!((status, v["result"].clone()), (200, serde_json::json!([])));
    // Signed over the request, as Deribit documents it; a wrong secret is refused.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"private/get_open_orders_by_currency","params":{"currency":"ETH"}}"#;
    let target = "/api/v2/private/get_open_orders_by_currency";
    let post = |secret: &str| {
        let sig = signature::sign(secret, now, "n0nce", &format!("POST\n{target}\n{body}\n"));
        format!(
            "POST {target} HTTP/1.1\r\nHost: x\r\nAuthorization: deri-hmac-sha256 id=desk,ts={now},sig={sig},nonce=n0nce\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let (status, v) = http(addr, post("s3cret")).await;
    assert_eq!((status, v["result"].clone()), (200, serde_json::json!([])));
    let (status, v) = http(addr, post("wrong")).await;
    assert_eq!((status, v["error"]["code"].as_i64()), (401, Some(13004)));
}
