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
        "rollmaker_malformed_total 0",
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

/// The shipped Grafana dashboard draws every metric the service exposes, and nothing it does not.
#[test]
fn the_dashboard_draws_every_metric() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/grafana/rollmaker.json");
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let exprs: Vec<String> = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["targets"].as_array().unwrap().iter())
        .map(|t| t["expr"].as_str().unwrap().to_string())
        .collect();
    let text = Metrics::new().text();
    let names: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(names.len() >= 10, "{names:?}");
    for n in &names {
        assert!(
            exprs.iter().any(|e| e.contains(n)),
            "{n} is not on the dashboard"
        );
    }
    for e in &exprs {
        assert!(
            names.iter().any(|n| e.contains(n)),
            "{e} draws no metric of the service"
        );
    }
}
