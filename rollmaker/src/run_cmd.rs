//! `rollmaker run --config FILE`: the live service (the `service` crate) against the venue the
//! config names, until SIGINT or SIGTERM.

use crate::out::out;
use anyhow::Result;
use clap::Args;
use service::config::ServiceConfig;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The service's config (`strategies/configs/live_local.toml`: the local venue).
    #[arg(long)]
    config: PathBuf,
    /// Serve /metrics and /health here instead of the config's `service.metrics`.
    #[arg(long)]
    metrics: Option<SocketAddr>,
}

pub fn run(args: &RunArgs) -> Result<()> {
    let config = ServiceConfig::load(&args.config)?;
    let latencies = service::run::run(&config, args.metrics)?;
    out!("{latencies}");
    Ok(())
}
