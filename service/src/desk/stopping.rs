//! Stopping: the kill switch (everything cancelled at the venue, no more quoting until a
//! restart) and the stop a signal asks for (cancel everything, wait a while for the venue to
//! confirm, book what comes meanwhile, and end).

use super::{Desk, Input, Phase, CANCEL_ALL, STOP_WAIT};
use crate::journal::JournalError;
use crate::latency::Latencies;
use connectors::deribit::connection::Command;
use connectors::deribit::session::Out;
use crossbeam::channel::Receiver;
use serde_json::json;
use std::time::Instant;

impl Desk {
    /// The kill switch: everything cancelled at the venue, no more quoting.
    pub(crate) fn kill_now(&mut self, why: &str) {
        if matches!(self.phase, Phase::Killed(_)) {
            return;
        }
        tracing::error!("kill switch: {why}");
        self.phase = Phase::Killed(format!("killed: {why}"));
        self.health.not_quoting(&format!("killed: {why}"));
        self.send(cancel_all());
    }

    /// Cancel everything, wait (a while) for the venue to confirm, book what comes meanwhile;
    /// then the venue's lists once more, so that the journal ends equal to the venue: a fill
    /// made while the connection was down, or during a reconcile the stop cut short, would
    /// otherwise wait for the next start to be journaled.
    pub(super) async fn stop(
        &mut self,
        inputs: &Receiver<Input>,
    ) -> Result<Latencies, JournalError> {
        self.health.not_quoting("stopping");
        self.phase = Phase::Killed("stopping".into());
        self.send(cancel_all());
        let until = Instant::now() + STOP_WAIT;
        let mut confirmed = false;
        while let Some(input) = self.news(inputs, until).await {
            if matches!(input, Input::Authenticated) {
                // A new connection: the cancel-all went with the old one (unsent, or its answer
                // lost), so it is asked again (CI's drop test ended a trade short where the
                // stop waited out the lost answer and skipped the venue's lists).
                self.send(cancel_all());
                continue;
            }
            confirmed = matches!(&input, Input::Reply(Out::Answer { id, .. }) if *id == CANCEL_ALL);
            self.on_input(input);
            if confirmed {
                break;
            }
        }
        self.settle_now()?;
        if !confirmed {
            // The venue is not answering: its lists would not come either.
            tracing::warn!("stopping without the venue's word: the next start reconciles");
            return Ok(self.latencies.snapshot());
        }
        self.phase = Phase::Offline("stopping".into());
        self.start_reconcile();
        let until = Instant::now() + STOP_WAIT;
        // A drop during it (Offline until signed in again) starts it over on the new connection:
        // the lists are still wanted (the drop test's journal ended a trade short of the venue
        // where the stop gave up at the drop).
        while matches!(self.phase, Phase::Reconciling(_) | Phase::Offline(_)) {
            let Some(input) = self.news(inputs, until).await else {
                tracing::warn!("stopping before the venue's lists came: the next start reconciles");
                break;
            };
            self.on_input(input);
        }
        self.settle_now()?;
        Ok(self.latencies.snapshot())
    }

    /// The next input by `until` that is news of our orders (market data is passed over: no
    /// more quoting).
    async fn news(&mut self, inputs: &Receiver<Input>, until: Instant) -> Option<Input> {
        loop {
            match self.waiting.next(inputs, until).await {
                Ok(Input::Book { .. } | Input::Ticker { .. }) => continue,
                Ok(input) => return Some(input),
                Err(_) => return None,
            }
        }
    }
}

fn cancel_all() -> Command {
    Command::Call {
        method: "private/cancel_all".into(),
        params: json!({}).into(),
        tag: CANCEL_ALL,
        since: None,
    }
}
