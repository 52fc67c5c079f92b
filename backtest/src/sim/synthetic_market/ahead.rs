//! The synthetic market's steps on a thread of their own, run ahead of the backtest along the
//! same path: pricing the chain and its books is about half of a synthetic run, and nothing the
//! maker does changes it, so it runs beside the maker's own work on the other core. The views
//! are the same, in the same order; they are handed over, and back to be written again, so
//! that nothing is copied and memory stays flat in the run's length.

use super::steps::Mover;
use super::view::View;
use crate::synthetic::path::{IndexPath, IndexPoint};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender};
use std::thread::JoinHandle;

/// Views computed ahead of the backtest, at most.
const DEPTH: usize = 4;

pub(super) struct Ahead {
    views: Receiver<Box<View>>,
    spare: Sender<Box<View>>,
    /// Dropped, the thread ends at its next view (nobody receives it).
    thread: Option<JoinHandle<()>>,
}

impl Ahead {
    /// Starts moving `mover` along `steps` on a new thread.
    pub fn spawn(mut mover: Mover, steps: IndexPath) -> Ahead {
        let (send, views) = sync_channel::<Box<View>>(DEPTH);
        let (spare, spares) = channel::<Box<View>>();
        let thread = std::thread::spawn(move || {
            for p in steps {
                let mut view = spares.try_recv().unwrap_or_else(|_| Box::new(mover.view()));
                mover.advance(p, &mut view);
                if send.send(view).is_err() {
                    return;
                }
            }
        });
        Ahead {
            views,
            spare,
            thread: Some(thread),
        }
    }

    /// A view read, handed back to be written again.
    pub fn recycle(&self, old: Box<View>) {
        // The thread has ended once the path has: it needs no more views.
        let _ = self.spare.send(old);
    }

    /// The view at `p`.
    pub fn next(&mut self, p: IndexPoint) -> Box<View> {
        let Ok(view) = self.views.recv() else {
            if let Some(Err(panic)) = self.thread.take().map(JoinHandle::join) {
                std::panic::resume_unwind(panic);
            }
            panic!("the synthetic path ended before {p:?}: the backtest ran past it");
        };
        // The backtest walks the same path (its config and seed): a step apart is a bug.
        assert_eq!(view.point.map(|v| v.at), Some(p.at), "steps out of line");
        view
    }
}
