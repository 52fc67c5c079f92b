//! `rollmaker venue`: the local venue (Deribit's JSON-RPC over WebSocket) on this machine,
//! listing the synthetic market's options at its start and ETH-PERPETUAL. So far it matches what
//! its clients send; the synthetic market's own participants and fault injection come next
//! (issue 13).

use crate::out::out;
use anyhow::{bail, Context, Result};
use backtest::sim::market::Market;
use backtest::sim::synthetic_book::MarketConfig;
use backtest::sim::synthetic_market::SyntheticMarket;
use backtest::synthetic::path::{IndexPath, Preset};
use clap::Args;
use connectors::venue::core::VenueCore;
use engine::Instruments;
use std::time::Duration;

#[derive(Args, Debug)]
pub struct VenueArgs {
    /// The port on 127.0.0.1 (0: any free one; the address is printed).
    #[arg(long, default_value_t = 8765)]
    port: u16,
    /// An API key `CLIENT_ID:SECRET` (again for more accounts). Default: `local:local`, for
    /// loopback use only.
    #[arg(long = "key", value_name = "ID:SECRET")]
    keys: Vec<String>,
    /// The synthetic market whose listing the venue takes.
    #[arg(long, value_enum, default_value_t = Preset::Calm)]
    preset: Preset,
}

pub fn run(args: &VenueArgs) -> Result<()> {
    let mut keys = Vec::new();
    for k in &args.keys {
        let Some((id, secret)) = k
            .split_once(':')
            .filter(|(i, s)| !i.is_empty() && !s.is_empty())
        else {
            bail!("--key {k:?}: want CLIENT_ID:SECRET");
        };
        keys.push((id.to_string(), secret.to_string()));
    }
    if keys.is_empty() {
        keys.push(("local".to_string(), "local".to_string()));
    }
    let instruments = listing(args.preset);
    let n = instruments.len();
    let keys: Vec<(&str, &str)> = keys.iter().map(|(i, s)| (i.as_str(), s.as_str())).collect();
    let core = VenueCore::new(instruments, &keys);
    let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
            .await
            .with_context(|| format!("binding 127.0.0.1:{}", args.port))?;
        let addr = listener.local_addr()?;
        out!(
            "listening on ws://{addr}/ws/api/v2 ({n} instruments, {} API keys)",
            keys.len()
        );
        connectors::venue::server::serve(listener, core, Duration::from_secs(1)).await;
        Ok(())
    })
}

/// The synthetic market's instruments at its first step (calls, puts and the perpetual).
fn listing(preset: Preset) -> Instruments {
    let config = preset.config();
    let mut market = SyntheticMarket::new(config.clone(), MarketConfig::default(), 1);
    if let Some(first) = IndexPath::new(config, 1).next() {
        market.advance(first);
    }
    market.instruments().clone()
}
