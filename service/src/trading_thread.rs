//! The trading thread: started before its desk exists (the desk is built after the venue's
//! listing), pinned to a core if asked, and, with `busy_poll`, running the connection on a
//! single-threaded runtime of its own from the start (see [`crate::desk::Waiting`]).

use crate::desk::{Desk, Input};
use crate::latency::Latencies;
use anyhow::{bail, Context, Result};
use connectors::deribit::connection::Command;
use std::future::Future;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// How long a connection on the trading thread is given to write its last requests and close.
const STOP_WAIT: Duration = Duration::from_secs(2);

/// Where the trading thread is handed its desk, and where it tells how it ended.
pub type Trading = (
    oneshot::Sender<(Desk, crossbeam::channel::Receiver<Input>)>,
    oneshot::Receiver<Result<Latencies, crate::journal::JournalError>>,
);

/// The trading thread, started before its desk is built (after the listing), on its core if
/// pinned. With `busy_poll` it runs the connection too, on a runtime of its own, from the start
/// (see [`crate::desk::Waiting`]); otherwise the connection is a task of the service's runtime.
pub fn trading_thread(
    s: &crate::config::ServiceSection,
    (connection, commands): (
        impl Future<Output = ()> + Send + 'static,
        &mpsc::Sender<Command>,
    ),
) -> Result<Trading> {
    let pin = s.pin_core;
    let here = match s.busy_poll {
        true => {
            tracing::info!("the trading thread spins; the connection runs on it");
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("starting the trading thread's runtime")?;
            let task = runtime.spawn(connection);
            Some((runtime, task))
        }
        false => {
            tokio::spawn(connection);
            None
        }
    };
    let commands = commands.clone();
    let (give_desk, desk) = oneshot::channel::<(Desk, crossbeam::channel::Receiver<Input>)>();
    let (done_tx, done) = oneshot::channel();
    let (pinned_tx, pinned) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("rollmaker-desk".into())
        .spawn(move || {
            let ok = pin.is_none_or(pin_here);
            let _ = pinned_tx.send(ok);
            if !ok {
                return;
            }
            let given = match &here {
                Some((r, _)) => r.block_on(desk).ok(),
                None => desk.blocking_recv().ok(),
            };
            let Some((desk, inputs)) = given else {
                return;
            };
            let ended = desk.run(inputs, here.as_ref().map(|(r, _)| r));
            if let Some((r, task)) = here {
                // The connection runs on here until what the desk asked last (a cancel-all)
                // is written and the socket closed.
                let _ = commands.try_send(Command::Stop);
                r.block_on(async { tokio::time::timeout(STOP_WAIT, task).await.ok() });
            }
            let _ = done_tx.send(ended);
        })
        .context("starting the trading thread")?;
    if let (Some(id), Ok(false) | Err(_)) = (pin, pinned.recv()) {
        bail!("service.pin_core = {id}: the trading thread cannot run on that core here");
    }
    Ok((give_desk, done))
}

/// The calling thread on core `id` only; false where there is no such core (or the machine's
/// CPU set leaves it out).
fn pin_here(id: usize) -> bool {
    // The kernel's CPU set holds 1,024 cores: past it the crate aborts rather than refuse.
    let ok = id < 1024 && core_affinity::set_for_current(core_affinity::CoreId { id });
    if ok {
        tracing::info!("the trading thread runs on core {id}");
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_is_pinned_to_a_core_the_machine_has_and_not_to_one_it_lacks() {
        let on = |id| std::thread::spawn(move || pin_here(id)).join().unwrap();
        assert!(on(0), "every machine has core 0");
        assert!(!on(1_000), "no machine this test runs on has 1,001 cores");
        assert!(
            !on(5_000),
            "past the kernel's CPU set: refused, not aborted"
        );
    }
}
