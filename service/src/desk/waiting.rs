//! How the trading thread waits for its next input: asleep on the channel, or spinning on it
//! and giving way between looks to the runtime it runs in (`busy_poll`). That runtime is the
//! connection's, on this thread: a book frame read off the socket reaches the desk, and
//! the order it causes reaches the socket, with no thread woken on the way. The connection is
//! still its own task with its own channels; it runs while the desk waits, so a requote delays
//! reading the socket (the kernel holds the frames), never the reverse.

use super::Input;
use crossbeam::channel::{Receiver, RecvTimeoutError, TryRecvError};
use std::future::Future;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waiting {
    /// Sleeps on the channel (a wake-up costs a few hundred microseconds on a busy machine).
    Sleep,
    /// Spins on the channel, and gives way to the runtime's other tasks (the connection)
    /// between looks: only inside that runtime.
    GiveWay,
}

impl Waiting {
    /// The next input by `until`.
    pub async fn next(
        self,
        inputs: &Receiver<Input>,
        until: Instant,
    ) -> Result<Input, RecvTimeoutError> {
        if self == Waiting::Sleep {
            return inputs.recv_deadline(until);
        }
        loop {
            for _ in 0..16 {
                match inputs.try_recv() {
                    Ok(input) => return Ok(input),
                    Err(TryRecvError::Disconnected) => return Err(RecvTimeoutError::Disconnected),
                    Err(TryRecvError::Empty) => {}
                }
                // One turn of the runtime: its ready tasks run, the sockets are polled
                // (without blocking), and back.
                tokio::task::yield_now().await;
            }
            if Instant::now() >= until {
                return Err(RecvTimeoutError::Timeout);
            }
        }
    }

    /// Giving way: one turn of the runtime (what the desk asked of the connection is written
    /// to the socket, if the budget allows). Nothing otherwise.
    pub async fn give_way(self) {
        if self == Waiting::GiveWay {
            tokio::task::yield_now().await;
        }
    }
}

/// Runs `f` to its end on this thread, outside any runtime: for a desk that sleeps on its
/// channel (it never waits on anything else, so it is never pending for long).
pub fn finish<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = f.as_mut().poll(&mut cx) {
            return out;
        }
        std::hint::spin_loop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn giving_way_runs_the_runtime_s_tasks_while_the_desk_waits() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (tx, rx) = crossbeam::channel::unbounded();
        // A task on the runtime (as the connection is) that answers after a timer: only the
        // desk's giving way runs it.
        runtime.spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            tx.send(Input::Stop).unwrap();
        });
        let wait = Waiting::GiveWay;
        let soon = Instant::now() + Duration::from_millis(1);
        let first = runtime.block_on(wait.next(&rx, soon));
        assert!(matches!(first, Err(RecvTimeoutError::Timeout)));
        let later = Instant::now() + Duration::from_secs(10);
        let second = runtime.block_on(wait.next(&rx, later));
        assert!(matches!(second, Ok(Input::Stop)));
        let third = runtime.block_on(wait.next(&rx, later));
        assert!(matches!(third, Err(RecvTimeoutError::Disconnected)));
        // Outside a runtime: asleep on the channel alone.
        let w = Waiting::Sleep;
        let (tx, rx) = crossbeam::channel::unbounded();
        tx.send(Input::Stop).unwrap();
        assert!(matches!(finish(w.next(&rx, later)), Ok(Input::Stop)));
        assert!(matches!(
            finish(w.next(&rx, Instant::now())),
            Err(RecvTimeoutError::Timeout)
        ));
        finish(w.give_way());
    }
}
