//! The answers to our requests: an order's acknowledgement read as its changes, a refusal as
//! the trader's rejection (counted towards the kill switch), a time-out as a reason to
//! reconcile; the desk's own requests (the reconcile's lists, the cancel-all).

use super::expiry::DELIVERIES;
use super::listing::LISTING;
use super::mmp::MMP_CONFIG;
use super::{Desk, Phase, CANCEL_ALL, OWN_TAGS};
use connectors::deribit::frame::POST_ONLY_REJECT;
use connectors::deribit::session::Out;
use engine::trader::VenueEvent;
use serde_json::json;
use std::time::{Duration, Instant};

impl Desk {
    pub(super) fn on_reply(&mut self, out: Out) {
        let tag = match &out {
            Out::Answer { id, .. } | Out::Refused { id, .. } | Out::TimedOut { id, .. } => *id,
            _ => return,
        };
        if tag >= OWN_TAGS {
            return self.on_own_reply(tag, out);
        }
        self.in_flight = self.in_flight.saturating_sub(1);
        match out {
            Out::Answer { method, result, .. } => match method.as_str() {
                "private/cancel_by_label" if result.as_u64() == Some(0) => {
                    // Gone before the cancel came: its fills or end come on the changes.
                    self.events.push(VenueEvent::Refused { client_id: tag });
                }
                "private/buy" | "private/sell" | "private/edit_by_label" => {
                    let changes = json!({"orders": [result["order"]], "trades": result["trades"]});
                    self.on_changes(&changes);
                }
                _ => {}
            },
            Out::Refused {
                method,
                code,
                message,
                ..
            } => self.on_refused(tag, &method, code, &message),
            Out::TimedOut { method, .. } => {
                // Its fate is unknown: the venue's lists tell, before any more quoting (one
                // reconcile, however many time out; every sign-in starts one anyway).
                tracing::warn!("{method} for order {tag} timed out");
                if self.phase == Phase::Quoting {
                    self.start_reconcile();
                }
            }
            _ => {}
        }
    }

    fn on_refused(&mut self, client_id: u64, method: &str, code: i64, message: &str) {
        tracing::info!("{method} for order {client_id} refused: {code} {message}");
        if matches!(method, "private/buy" | "private/sell") {
            self.events.push(VenueEvent::Rejected { client_id });
            // Not counted: a post-only reject (the book moved while the order travelled: a
            // maker's churn in a fast market), nor a refusal while a protection's trigger
            // pauses us (the order was sent before the trigger came).
            let now = Instant::now();
            if code == POST_ONLY_REJECT || self.frozen(now) {
                return;
            }
            self.rejects.push_back(now);
            while self
                .rejects
                .front()
                .is_some_and(|t| now.duration_since(*t) > Duration::from_secs(60))
            {
                self.rejects.pop_front();
            }
            if self.rejects.len() > self.kill.max_rejects_per_minute as usize {
                let n = self.rejects.len();
                self.kill_now(&format!("{n} orders rejected within a minute"));
            }
        } else {
            self.events.push(VenueEvent::Refused { client_id });
        }
    }

    fn on_own_reply(&mut self, tag: u64, out: Out) {
        if tag == CANCEL_ALL {
            if let Out::Answer { result, .. } = &out {
                tracing::info!("cancel_all: {result} orders cancelled");
            }
            return;
        }
        if tag == MMP_CONFIG {
            return self.on_mmp_reply(out);
        }
        if tag == LISTING {
            match out {
                Out::Answer { result, .. } => self.on_listing(&result),
                other => tracing::warn!("listing: {other:?}"),
            }
            return;
        }
        if tag == DELIVERIES {
            match out {
                Out::Answer { result, .. } => {
                    if let Err(why) = self.on_deliveries(&result) {
                        self.metrics.malformed.inc();
                        tracing::warn!("settlement history: {why}: {result}");
                    }
                }
                // Asked again in a while.
                other => tracing::warn!("settlement history: {other:?}"),
            }
            return;
        }
        self.on_reconcile_reply(tag, out);
    }
}
