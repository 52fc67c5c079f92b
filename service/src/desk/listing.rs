//! New series while running: every `relist_seconds` while quoting the desk asks what the venue
//! lists; new instruments are appended to the registry (ids never change), handed to the
//! gateway before they are subscribed (so their first messages are read), their books and
//! tickers subscribed, and the strategy sees them from the next requote.

use super::{Desk, OWN_TAGS};
use crate::listing::{add_listed, instrument_channels};
use connectors::deribit::connection::Command;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Instant;

/// The tag of the desk's own ask for the listing.
pub(crate) const LISTING: u64 = OWN_TAGS + 3;

impl Desk {
    /// Asks for the listing when due.
    pub(super) fn ask_listing(&mut self, wall: Instant) {
        let last = *self.last_listing.get_or_insert(wall);
        if wall.duration_since(last) < self.relist_every {
            return;
        }
        self.last_listing = Some(wall);
        self.send(Command::Call {
            method: "public/get_instruments".into(),
            params: json!({"currency": self.currency, "kind": "option", "expired": false}).into(),
            tag: LISTING,
            since: None,
        });
    }

    /// The listing's answer: what is new, taken on.
    pub(crate) fn on_listing(&mut self, list: &Value) {
        let mut instruments = (**self.market.instruments()).clone();
        let added = add_listed(&mut instruments, list);
        if added.is_empty() {
            return;
        }
        let instruments = Arc::new(instruments);
        self.market.extend(Arc::clone(&instruments));
        if let Some(gateway) = &self.listings {
            let _ = gateway.send(Arc::clone(&instruments));
        }
        let channels = instrument_channels(&instruments, &added, &self.book_interval);
        tracing::info!("{} new instruments listed: subscribing", added.len());
        self.send(Command::Subscribe(channels));
    }
}
