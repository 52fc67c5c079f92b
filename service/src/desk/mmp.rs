//! Market Maker Protection, when the config asks for it ([`MmpSection`]): the venue's protection
//! set at every sign-in (quoting waits for the reconcile, asked for at the same time), every
//! quote and its edits tagged `mmp`, and a trigger (`user.mmp_trigger.{index}`: the venue has
//! cancelled every quote, their ends come on `user.changes`) pausing the desk for the frozen
//! time: no requote, no re-price, the health saying why. A venue that refuses the configuration
//! trips the kill switch: the operator asked for a protection the venue will not give.

use super::{Desk, OWN_TAGS};
use crate::config::MmpSection;
use connectors::deribit::connection::Command;
use connectors::deribit::session::Out;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The tag of `private/set_mmp_config`.
pub(super) const MMP_CONFIG: u64 = OWN_TAGS + 4;

/// The index Deribit keys protection by: `eth_usd` for ETH.
pub fn index_name(currency: &str) -> String {
    format!("{}_usd", currency.to_lowercase())
}

/// The channel that tells of a trigger.
pub fn trigger_channel(currency: &str) -> String {
    format!("user.mmp_trigger.{}", index_name(currency))
}

/// `private/set_mmp_config`'s parameters for `m`.
pub fn config_params(currency: &str, m: &MmpSection) -> Value {
    json!({"index_name": index_name(currency), "interval": m.interval_seconds,
           "frozen_time": m.frozen_seconds, "quantity_limit": m.quantity_limit,
           "max_quote_quantity": m.max_quote_quantity})
}

impl Desk {
    /// The protection set at the venue (every sign-in: a new session may not keep it).
    pub(crate) fn ask_mmp(&mut self) {
        if let Some(m) = &self.mmp {
            let params = config_params(&self.currency, m);
            self.send(Command::Call {
                method: "private/set_mmp_config".into(),
                params: params.into(),
                tag: MMP_CONFIG,
                since: None,
            });
        }
    }

    pub(super) fn on_mmp_reply(&mut self, out: Out) {
        match out {
            Out::Answer { result, .. } => tracing::info!("market maker protection: {result}"),
            Out::Refused { code, message, .. } => self.kill_now(&format!(
                "market maker protection refused: {code} {message}"
            )),
            // Asked again at the next sign-in; a time-out reconciles (quoting waits).
            other => {
                tracing::warn!("market maker protection: {other:?}");
                self.start_reconcile();
            }
        }
    }

    /// A trigger: every quote was cancelled at the venue; none for the frozen time.
    pub(super) fn on_mmp_trigger(&mut self, data: &Value) {
        self.metrics.mmp_triggers.inc();
        let frozen = self.mmp.as_ref().map_or(0, |m| m.frozen_seconds);
        tracing::warn!("market maker protection tripped ({data}): no quotes for {frozen} s");
        self.frozen_until = Some(Instant::now() + Duration::from_secs(u64::from(frozen)));
    }

    pub(crate) fn mmp_on(&self) -> bool {
        self.mmp.is_some()
    }

    /// The venue's `get_mmp_status` at a reconcile: frozen (a trigger while away), the desk
    /// pauses until it says (`frozen_until` 0: until a reset, taken as the configured time).
    pub(crate) fn on_mmp_status(&mut self, status: &Value) {
        let now_ms = super::wall_ms();
        let frozen = self
            .mmp
            .as_ref()
            .map_or(0, |m| i64::from(m.frozen_seconds) * 1000);
        for s in status.as_array().into_iter().flatten() {
            let left = match s["frozen_until"].as_i64() {
                Some(0) => frozen,
                Some(t) => t - now_ms,
                None => continue,
            };
            if left > 0 {
                tracing::warn!("market maker protection frozen at the venue ({s}): {left} ms");
                let until = Instant::now() + Duration::from_millis(left as u64);
                self.frozen_until = Some(self.frozen_until.map_or(until, |t| t.max(until)));
            }
        }
    }

    /// Whether the desk is paused by a trigger at `wall`.
    pub(super) fn frozen(&self, wall: Instant) -> bool {
        self.frozen_until.is_some_and(|t| wall < t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_protection_is_asked_for_as_deribit_names_it() {
        let m = MmpSection {
            interval_seconds: 10,
            frozen_seconds: 5,
            quantity_limit: 100.0,
            max_quote_quantity: 50.0,
        };
        let p = config_params("ETH", &m);
        assert_eq!(p["index_name"], "eth_usd");
        assert_eq!(
            (p["interval"].as_u64(), p["frozen_time"].as_u64()),
            (Some(10), Some(5))
        );
        assert_eq!(p["quantity_limit"], 100.0);
        assert_eq!(trigger_channel("ETH"), "user.mmp_trigger.eth_usd");
    }
}
