//! The metrics and health pages over HTTP on loopback.

use service::metrics::{serve, Health, Metrics};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    s.write_all(request.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test]
async fn metrics_and_health_are_served() {
    let (metrics, health) = (Arc::new(Metrics::new()), Arc::new(Health::default()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, metrics.clone(), health.clone()));
    metrics.fills.inc_by(3);
    metrics.quotes_live.set(12);
    metrics.delta.set(-4.5);
    metrics.tick_to_quote.observe(7e-6);
    let page = get(addr, "/metrics").await;
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    for line in [
        "rollmaker_fills_total 3",
        "rollmaker_quotes_live 12",
        "rollmaker_inventory_delta_eth -4.5",
        "rollmaker_tick_to_quote_seconds_count 1",
        "rollmaker_reconnects_total 0",
        "rollmaker_book_gaps_total 0",
        "rollmaker_rate_limited_total 0",
    ] {
        assert!(page.contains(line), "{line} missing from\n{page}");
    }
    health.not_quoting("reconciling after a reconnect");
    let down = get(addr, "/health").await;
    assert!(
        down.starts_with("HTTP/1.1 503") && down.contains("reconciling after a reconnect"),
        "{down}"
    );
    health.quoting();
    assert!(get(addr, "/health").await.starts_with("HTTP/1.1 200"));
}
