//! `rollmaker run --config FILE`: the venue and how to sign in, the strategy's own config file,
//! where the journal and the metrics live, and the limits that stop the service quoting. TOML,
//! unknown keys refused (the error names the line), every value range-checked naming its key.
//! `strategies/configs/live_local.toml` is the documented example.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error, PartialEq)]
pub enum ServiceConfigError {
    #[error("cannot read service config {path}: {message}")]
    Read { path: String, message: String },
    #[error("service config {path}: {message}")]
    Parse { path: String, message: String },
    #[error("service config {path}: `{key}` = {value} is invalid: it must be {rule}")]
    Invalid {
        path: String,
        key: &'static str,
        value: String,
        rule: &'static str,
    },
}

/// The venue and the account.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VenueSection {
    /// `ws://` (the local venue) or `wss://` (Deribit), the JSON-RPC path included.
    pub url: String,
    /// The currency whose options and perpetual are listed, quoted and reconciled.
    pub currency: String,
    /// The API key inline: for the local venue's loopback key only. For a real account leave
    /// both out and set `DERIBIT_CLIENT_ID` / `DERIBIT_CLIENT_SECRET`, or name an owner-only
    /// `credentials_file`.
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub credentials_file: Option<PathBuf>,
    /// Seconds between the venue's heartbeats (a `test_request` missed closes the socket).
    pub heartbeat_seconds: u64,
    /// A request unanswered this long counts as lost.
    pub request_timeout_seconds: f64,
    /// Book channel interval: `raw` or `100ms`.
    pub book_interval: String,
}

/// The service's own files, addresses and schedule.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServiceSection {
    /// The roll maker's config, relative to this file.
    pub strategy: PathBuf,
    /// The journal (redb), relative to the working directory; created if absent.
    pub journal: PathBuf,
    /// Where `/metrics` and `/health` are served.
    pub metrics: SocketAddr,
    /// The surface is refitted to the venue's mark IVs this often, seconds.
    pub surface_seconds: f64,
    /// At least this long between two whole requotes, milliseconds (a requote also follows
    /// every fill, index move and refit).
    pub requote_ms: u64,
    /// Asks the venue what it lists this often while running (new series are listed daily).
    pub relist_seconds: f64,
    /// The trading thread polls for input without sleeping: a core of its own, and no wait
    /// for the thread to be woken when a frame comes.
    pub busy_poll: bool,
    /// The CPU core the trading thread is pinned to (optional: the scheduler's choice without
    /// it). With `busy_poll`, a core kept free of other work: nothing else is scheduled in its
    /// way, and its caches keep the trading path.
    #[serde(default)]
    pub pin_core: Option<usize>,
}

/// What stops the quoting: cancel everything, quote nothing until restarted.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KillSection {
    /// PnL (USD, marked at the venue's marks) below minus this.
    pub max_loss_usd: f64,
    /// Orders the venue rejected within a minute, more than this.
    pub max_rejects_per_minute: u32,
    /// The positions differ from the venue's after a reconcile.
    pub on_position_gap: bool,
}

/// Market Maker Protection at the venue (optional: without the section, none): set at every
/// sign-in, every quote tagged `mmp`. More than `quantity_limit` contracts of them filled within
/// `interval_seconds` and the venue cancels them all and refuses new ones for `frozen_seconds`;
/// the service pauses as long. `max_quote_quantity`: Deribit's cap on the open `mmp` orders'
/// size a side a book (the local venue does not enforce it).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MmpSection {
    pub interval_seconds: u32,
    pub frozen_seconds: u32,
    pub quantity_limit: f64,
    pub max_quote_quantity: f64,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    pub venue: VenueSection,
    pub service: ServiceSection,
    pub kill: KillSection,
    #[serde(default)]
    pub mmp: Option<MmpSection>,
    /// The file read (the strategy path is resolved against its folder).
    #[serde(skip)]
    pub path: PathBuf,
}

impl ServiceConfig {
    pub fn load(path: &Path) -> Result<ServiceConfig, ServiceConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ServiceConfigError::Read {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        let mut config = ServiceConfig::from_toml(&text, &shown)?;
        config.path = path.to_path_buf();
        Ok(config)
    }

    pub fn from_toml(text: &str, shown: &str) -> Result<ServiceConfig, ServiceConfigError> {
        let config: ServiceConfig =
            toml::from_str(text).map_err(|e| ServiceConfigError::Parse {
                path: shown.to_string(),
                message: e.to_string(),
            })?;
        config
            .check()
            .map_err(|(key, value, rule)| ServiceConfigError::Invalid {
                path: shown.to_string(),
                key,
                value,
                rule,
            })?;
        Ok(config)
    }

    /// The strategy's config file, resolved against this file's folder.
    pub fn strategy_path(&self) -> PathBuf {
        let dir = self.path.parent().unwrap_or(Path::new(""));
        dir.join(&self.service.strategy)
    }

    fn check(&self) -> Result<(), (&'static str, String, &'static str)> {
        let v = &self.venue;
        let url_ok = v.url.starts_with("ws://") || v.url.starts_with("wss://");
        if !url_ok {
            return Err(("venue.url", v.url.clone(), "a ws:// or wss:// address"));
        }
        if v.currency.is_empty() || !v.currency.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(("venue.currency", v.currency.clone(), "a currency code: ETH"));
        }
        if v.client_id.is_some() != v.client_secret.is_some() {
            let shown = "one of the two".to_string();
            return Err((
                "venue.client_id / venue.client_secret",
                shown,
                "both given or neither",
            ));
        }
        if !(1..=3600).contains(&v.heartbeat_seconds) {
            let s = v.heartbeat_seconds.to_string();
            return Err(("venue.heartbeat_seconds", s, "from 1 to 3600"));
        }
        positive("venue.request_timeout_seconds", v.request_timeout_seconds)?;
        if !matches!(v.book_interval.as_str(), "raw" | "100ms") {
            return Err((
                "venue.book_interval",
                v.book_interval.clone(),
                "\"raw\" or \"100ms\"",
            ));
        }
        positive("service.surface_seconds", self.service.surface_seconds)?;
        positive("service.relist_seconds", self.service.relist_seconds)?;
        positive("kill.max_loss_usd", self.kill.max_loss_usd)?;
        // The kernel's CPU set holds 1,024 (whether the core exists is known at the pinning).
        if let Some(c) = self.service.pin_core.filter(|c| *c >= 1024) {
            return Err((
                "service.pin_core",
                c.to_string(),
                "a core number below 1024",
            ));
        }
        self.mmp.as_ref().map_or(Ok(()), MmpSection::check)
    }
}

impl MmpSection {
    fn check(&self) -> Result<(), (&'static str, String, &'static str)> {
        // Deribit's ranges; a frozen time of 0 (until a manual reset) is not offered: the
        // service would pause for good.
        for (key, v) in [
            ("mmp.interval_seconds", self.interval_seconds),
            ("mmp.frozen_seconds", self.frozen_seconds),
        ] {
            if !(1..=3600).contains(&v) {
                return Err((key, v.to_string(), "from 1 to 3600"));
            }
        }
        positive("mmp.quantity_limit", self.quantity_limit)?;
        positive("mmp.max_quote_quantity", self.max_quote_quantity)
    }
}

fn positive(key: &'static str, v: f64) -> Result<(), (&'static str, String, &'static str)> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err((key, v.to_string(), "a finite number above 0"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCAL: &str = include_str!("../../strategies/configs/live_local.toml");

    #[test]
    fn the_shipped_local_config_reads_and_its_strategy_is_beside_it() {
        let c = ServiceConfig::from_toml(LOCAL, "live_local.toml").unwrap();
        assert_eq!(c.venue.url, "ws://127.0.0.1:8765/ws/api/v2");
        assert_eq!(c.service.metrics.to_string(), "127.0.0.1:9184");
        let c = ServiceConfig {
            path: PathBuf::from("strategies/configs/live_local.toml"),
            ..c
        };
        assert_eq!(
            c.strategy_path(),
            Path::new("strategies/configs/roll_maker.toml")
        );
    }

    #[test]
    fn bad_values_are_refused_naming_the_key() {
        let cases = [
            ("url = \"ws://", "url = \"http://", "venue.url"),
            (
                "heartbeat_seconds = 10",
                "heartbeat_seconds = 0",
                "venue.heartbeat_seconds",
            ),
            (
                "book_interval = \"100ms\"",
                "book_interval = \"1s\"",
                "venue.book_interval",
            ),
            (
                "surface_seconds = 10.0",
                "surface_seconds = -1.0",
                "service.surface_seconds",
            ),
            (
                "relist_seconds = 600.0",
                "relist_seconds = 0.0",
                "service.relist_seconds",
            ),
            ("#pin_core = 1 ", "pin_core = 4096 ", "service.pin_core"),
            (
                "client_secret = \"local\"",
                "",
                "venue.client_id / venue.client_secret",
            ),
        ];
        for (from, to, key) in cases {
            assert!(LOCAL.contains(from), "{from}");
            let text = LOCAL.replacen(from, to, 1);
            let e = ServiceConfig::from_toml(&text, "x.toml").unwrap_err();
            assert!(e.to_string().contains(&format!("`{key}`")), "{e}");
        }
        // The shipped Market Maker Protection, uncommented, reads; out of range, it is refused.
        let mmp = LOCAL
            .replace("\n#[mmp]", "\n[mmp]")
            .replace("\n#interval", "\ninterval");
        let mmp = mmp
            .replace("\n#frozen", "\nfrozen")
            .replace("\n#quantity", "\nquantity");
        let mmp = mmp.replace("\n#max_quote", "\nmax_quote");
        let c = ServiceConfig::from_toml(&mmp, "x.toml").unwrap();
        assert_eq!(c.mmp.map(|m| m.frozen_seconds), Some(5));
        let zero = mmp.replace("frozen_seconds = 5 ", "frozen_seconds = 0 ");
        let e = ServiceConfig::from_toml(&zero, "x.toml").unwrap_err();
        assert!(e.to_string().contains("`mmp.frozen_seconds`"), "{e}");
        let c = ServiceConfig::from_toml(LOCAL, "x.toml").unwrap();
        assert_eq!(c.mmp, None, "off unless asked for");
        let e = ServiceConfig::from_toml(&format!("{LOCAL}\n[extra]\n"), "x.toml").unwrap_err();
        assert!(e.to_string().contains("unknown field `extra`"), "{e}");
    }
}
