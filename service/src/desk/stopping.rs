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

    /// Cancel everything, wait (a while) for the venue to confirm, book what comes meanwhile.
    pub(super) async fn stop(
        &mut self,
        inputs: &Receiver<Input>,
    ) -> Result<Latencies, JournalError> {
        self.health.not_quoting("stopping");
        self.phase = Phase::Killed("stopping".into());
        self.send(cancel_all());
        let until = Instant::now() + STOP_WAIT;
        while let Ok(input) = self.waiting.next(inputs, until).await {
            let confirmed =
                matches!(&input, Input::Reply(Out::Answer { id, .. }) if *id == CANCEL_ALL);
            if matches!(input, Input::Book { .. } | Input::Ticker { .. }) {
                // No more quoting: only what happened to our orders counts now.
                continue;
            }
            self.on_input(input);
            if confirmed {
                break;
            }
        }
        self.settle_now()?;
        Ok(self.latencies.snapshot())
    }
}

fn cancel_all() -> Command {
    Command::Call {
        method: "private/cancel_all".into(),
        params: json!({}),
        tag: CANCEL_ALL,
        since: None,
    }
}
