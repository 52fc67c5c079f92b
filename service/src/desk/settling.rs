//! What the venue told us, durable before it counts: the turn's venue events are handed to the
//! journal's thread under a ticket and booked by the trader when it says that ticket is durable,
//! so the trading thread never waits for the disk. Until they are booked no whole requote is
//! made (the strategy would quote on the inventory before them); a book tick's re-price of the
//! quotes already out still is. A reconcile and a stop wait for the disk instead.

use super::Desk;
use crate::journal::JournalError;
use crate::record;
use engine::trader::VenueEvent;
use std::sync::Arc;

impl Desk {
    /// The turn's venue events handed to the journal (their fills with their trade ids).
    pub(crate) fn settle(&mut self) -> Result<(), JournalError> {
        // The intents of the orders sent go ahead of what the venue said since.
        self.hold_intents()?;
        if self.events.is_empty() {
            return Ok(());
        }
        let instruments = Arc::clone(self.market.instruments());
        self.entries.clear();
        for e in &self.events {
            let trade = match e {
                VenueEvent::Filled { .. } => self.trade_ids.pop_front(),
                _ => None,
            };
            self.entries
                .extend(record::entry(&instruments, e, trade.as_deref()));
        }
        self.ticket += 1;
        self.journal.write_noted(&self.entries, self.ticket)?;
        let ticket = self.ticket;
        (self.unbooked).extend(self.events.drain(..).map(|e| (ticket, e)));
        Ok(())
    }

    /// The turn's venue events handed over, waited for, and everything handed over booked.
    pub(crate) fn settle_now(&mut self) -> Result<(), JournalError> {
        self.settle()?;
        self.journal.append_all(&[])?;
        self.book(self.ticket);
        Ok(())
    }

    /// The events handed over under `ticket` or before, durable now: booked.
    pub(crate) fn book(&mut self, ticket: u64) {
        let instruments = Arc::clone(self.market.instruments());
        while self.unbooked.front().is_some_and(|(t, _)| *t <= ticket) {
            let Some((_, e)) = self.unbooked.pop_front() else {
                break;
            };
            if let VenueEvent::Filled { fill, .. } = e {
                self.metrics.fills.inc();
                self.dirty = true;
                let ms = fill.ts.0 / 1_000_000;
                self.last_fill_ms = Some(self.last_fill_ms.map_or(ms, |l| l.max(ms)));
            }
            self.trader.on_event(&instruments, e);
        }
    }

    /// Events handed over and not yet booked.
    pub(crate) fn unbooked(&self) -> bool {
        !self.unbooked.is_empty()
    }
}
