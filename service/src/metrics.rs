//! What the service exposes to watch it: Prometheus metrics at `/metrics` (the text format,
//! `prometheus-client`) and `/health` (200 while quoting; 503 with the reason otherwise), served
//! by axum on 127.0.0.1:9184 unless told otherwise.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex};

type FloatGauge = Gauge<f64, AtomicU64>;

/// The service's metrics (names as Prometheus shows them; counters end in `_total`).
pub struct Metrics {
    registry: Registry,
    /// `rollmaker_quotes_live`: orders resting at the venue.
    pub quotes_live: Gauge,
    /// `rollmaker_fills_total`.
    pub fills: Counter,
    /// `rollmaker_market_trades_total`: the market's trades (the `trades.*` channel), ours
    /// included: the flow our fills are a share of.
    pub market_trades: Counter,
    /// `rollmaker_reconnects_total`.
    pub reconnects: Counter,
    /// `rollmaker_book_gaps_total`: book messages out of sequence (a mirror gone stale).
    pub book_gaps: Counter,
    /// `rollmaker_rate_limited_total`: requests the venue refused as too many, or held back by
    /// the client's own budget.
    pub rate_limited: Counter,
    /// `rollmaker_mmp_triggers_total`: Market Maker Protection tripped at the venue (every quote
    /// cancelled, quoting paused for the frozen time).
    pub mmp_triggers: Counter,
    /// `rollmaker_malformed_total`: venue messages that could not be read (logged with their
    /// text; the connection stays up).
    pub malformed: Counter,
    /// `rollmaker_tick_to_quote_seconds`: a book frame read off the socket to the order it
    /// caused (its series re-priced) handed to the socket's write.
    pub tick_to_quote: Histogram,
    /// `rollmaker_inventory_delta_eth`, `_vega_eth_per_vol_point`, `_gamma`, and
    /// `rollmaker_pnl_usd`.
    pub delta: FloatGauge,
    pub vega: FloatGauge,
    pub gamma: FloatGauge,
    pub pnl_usd: FloatGauge,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

/// A counter registered in `r` as `name` (Prometheus adds `_total`).
fn counter(r: &mut Registry, name: &str, help: &str) -> Counter {
    let c = Counter::default();
    r.register(name, help, c.clone());
    c
}

fn gauge(r: &mut Registry, name: &str, help: &str) -> FloatGauge {
    let g = FloatGauge::default();
    r.register(name, help, g.clone());
    g
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let r = &mut registry;
        let quotes_live = Gauge::default();
        r.register(
            "rollmaker_quotes_live",
            "Orders resting at the venue",
            quotes_live.clone(),
        );
        // 1 us to about 1 s.
        let tick_to_quote = Histogram::new(exponential_buckets(1e-6, 2.0, 20));
        r.register(
            "rollmaker_tick_to_quote_seconds",
            "A book frame read to the order it caused handed to the socket",
            tick_to_quote.clone(),
        );
        Metrics {
            quotes_live,
            fills: counter(r, "rollmaker_fills", "Fills of our orders"),
            market_trades: counter(
                r,
                "rollmaker_market_trades",
                "The market's trades, ours included",
            ),
            reconnects: counter(
                r,
                "rollmaker_reconnects",
                "Connections to the venue made again",
            ),
            book_gaps: counter(r, "rollmaker_book_gaps", "Book messages out of sequence"),
            rate_limited: counter(
                r,
                "rollmaker_rate_limited",
                "Requests refused or held back for the rate limit",
            ),
            mmp_triggers: counter(
                r,
                "rollmaker_mmp_triggers",
                "Market Maker Protection tripped at the venue",
            ),
            malformed: counter(
                r,
                "rollmaker_malformed",
                "Venue messages that could not be read",
            ),
            tick_to_quote,
            delta: gauge(
                r,
                "rollmaker_inventory_delta_eth",
                "Net USD delta held, ETH",
            ),
            vega: gauge(
                r,
                "rollmaker_inventory_vega_eth_per_vol_point",
                "Net vega held",
            ),
            gamma: gauge(
                r,
                "rollmaker_inventory_gamma",
                "Net gamma held, ETH of delta per USD",
            ),
            pnl_usd: gauge(
                r,
                "rollmaker_pnl_usd",
                "PnL marked at the venue's marks, USD",
            ),
            registry,
        }
    }

    /// The metrics in Prometheus' text format.
    pub fn text(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

/// Whether the service is quoting, and why not.
#[derive(Debug, Default)]
pub struct Health {
    quoting: AtomicBool,
    why_not: Mutex<String>,
}

impl Health {
    pub fn quoting(&self) {
        self.quoting
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn not_quoting(&self, why: &str) {
        self.quoting
            .store(false, std::sync::atomic::Ordering::Relaxed);
        if let Ok(mut w) = self.why_not.lock() {
            *w = why.to_string();
        }
    }

    /// (quoting, why not).
    pub fn get(&self) -> (bool, String) {
        let quoting = self.quoting.load(std::sync::atomic::Ordering::Relaxed);
        let why = self.why_not.lock().map(|w| w.clone()).unwrap_or_default();
        (quoting, why)
    }
}

type Shared = (Arc<Metrics>, Arc<Health>);

/// Serves `/metrics` and `/health` on `listener` until it fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    metrics: Arc<Metrics>,
    health: Arc<Health>,
) -> std::io::Result<()> {
    let app = Router::new()
        .route("/metrics", get(metrics_page))
        .route("/health", get(health_page))
        .with_state((metrics, health));
    axum::serve(listener, app).await
}

async fn metrics_page(State((m, _)): State<Shared>) -> impl IntoResponse {
    let kind = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    ([(header::CONTENT_TYPE, kind)], m.text())
}

async fn health_page(State((_, h)): State<Shared>) -> impl IntoResponse {
    match h.get() {
        (true, _) => (StatusCode::OK, "quoting\n".to_string()),
        (false, why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not quoting: {why}\n"),
        ),
    }
}
