//! The journal on a thread of its own, so that the trading thread never waits for the disk to
//! send an order. Intents are taken as the order is sent, handed over once it is written, and
//! written while it travels (durable, in one transaction with whatever else waits: a group
//! commit).
//! Acknowledgements, fills and ends are handed over with a ticket, and the trader books them
//! when the writer says that ticket is durable (or they are waited for). One thread writes, in
//! the order things were handed over, so an intent is never journaled after its order's fill.

use super::{Entry, Journal, JournalError};
use crossbeam::channel::{bounded, unbounded, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

enum Job {
    /// Written with the next transaction; nobody waits.
    Ahead(Vec<Entry>),
    /// Written, then the ticket told to the owner's `notify`.
    Noted(Vec<Entry>, u64),
    /// Written, then the answer (the last sequence number written) sent back.
    Durable(Vec<Entry>, Sender<Result<u64, String>>),
}

/// Told, after each write with tickets in it, the last one (now durable), or why it failed.
pub type Notify = Box<dyn Fn(Result<u64, String>) + Send>;

pub struct JournalWriter {
    jobs: Option<Sender<Job>>,
    /// Why the last write failed; every later one fails too (the desk stops on the first).
    failed: Arc<Mutex<Option<String>>>,
    /// Intents taken and not yet handed over ([`JournalWriter::release`]).
    held: Vec<Entry>,
    path: String,
    thread: Option<JoinHandle<()>>,
}

impl JournalWriter {
    /// Moves `journal` to a new thread that writes what it is handed, telling `notify` the
    /// last ticket each write made durable (or why it failed).
    pub fn start(journal: Journal, notify: Notify) -> std::io::Result<JournalWriter> {
        let (jobs, rx) = unbounded();
        let failed = Arc::new(Mutex::new(None));
        let path = journal.path().to_string();
        let shared = Arc::clone(&failed);
        let thread = std::thread::Builder::new()
            .name("rollmaker-journal".into())
            .spawn(move || write_loop(&journal, &rx, &shared, &notify))?;
        Ok(JournalWriter {
            jobs: Some(jobs),
            failed,
            held: Vec::new(),
            path,
            thread: Some(thread),
        })
    }

    /// The error for a failed write: `why` with the journal's path.
    pub fn failure(&self, why: String) -> JournalError {
        JournalError::Failed {
            path: self.path.clone(),
            why,
        }
    }

    fn failed(&self) -> Option<String> {
        self.failed.lock().map_or(None, |f| f.clone())
    }

    /// Hands `job` over, after whatever is held (the order of things is kept).
    fn hand(&mut self, job: Job) -> Result<(), JournalError> {
        self.release()?;
        self.send(job)
    }

    fn send(&self, job: Job) -> Result<(), JournalError> {
        let gone = || self.failure("the writing thread is gone".into());
        self.jobs
            .as_ref()
            .ok_or_else(gone)?
            .send(job)
            .map_err(|_| gone())
    }

    /// Takes `entries` (order intents) to hand over at the next [`JournalWriter::release`] (or
    /// any other write, ahead of it), without waiting: durable within one transaction's time
    /// after that, the orders sent meanwhile. Handing over wakes the writer's thread, which can
    /// take the trading thread's core from it on a busy machine, so the trading thread first
    /// writes the orders these intents are for. An error only if an earlier write failed.
    pub fn hold(&mut self, entries: &[Entry]) -> Result<(), JournalError> {
        self.check()?;
        self.held.extend_from_slice(entries);
        Ok(())
    }

    /// An error if an earlier write failed (nothing more may be sent that needs the journal).
    pub fn check(&self) -> Result<(), JournalError> {
        match self.failed() {
            Some(why) => Err(self.failure(why)),
            None => Ok(()),
        }
    }

    /// Hands over what is held, if anything (whether there was).
    pub fn release(&mut self) -> Result<bool, JournalError> {
        if self.held.is_empty() {
            return Ok(false);
        }
        let held = std::mem::take(&mut self.held);
        self.send(Job::Ahead(held))?;
        Ok(true)
    }

    /// Hands `entries` over under `ticket` (tickets rise): the writer tells its `notify` when
    /// they are durable. An error only if an earlier write failed.
    pub fn write_noted(&mut self, entries: &[Entry], ticket: u64) -> Result<(), JournalError> {
        if let Some(why) = self.failed() {
            return Err(self.failure(why));
        }
        self.hand(Job::Noted(entries.to_vec(), ticket))
    }

    /// Appends `entries` after everything handed over before, all of it durable when this
    /// returns (none: waits for what was handed over); the last sequence number written by
    /// the transaction that took them (0 if it wrote nothing).
    pub fn append_all(&mut self, entries: &[Entry]) -> Result<u64, JournalError> {
        if let Some(why) = self.failed() {
            return Err(self.failure(why));
        }
        let (reply, answer) = bounded(1);
        self.hand(Job::Durable(entries.to_vec(), reply))?;
        let answer = answer
            .recv()
            .map_err(|_| self.failure("no answer".into()))?;
        answer.map_err(|why| self.failure(why))
    }
}

impl Drop for JournalWriter {
    /// Everything handed over is written before the writer goes.
    fn drop(&mut self) {
        let _ = self.release();
        self.jobs.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Takes every job waiting, writes them in one durable transaction, answers who waits.
fn write_loop(
    journal: &Journal,
    jobs: &Receiver<Job>,
    failed: &Mutex<Option<String>>,
    notify: &Notify,
) {
    let mut batch = Vec::new();
    let mut waiting = Vec::new();
    while let Ok(first) = jobs.recv() {
        let mut ticket = None;
        for job in std::iter::once(first).chain(jobs.try_iter()) {
            match job {
                Job::Ahead(entries) => batch.extend(entries),
                Job::Noted(entries, t) => {
                    batch.extend(entries);
                    ticket = Some(t);
                }
                Job::Durable(entries, reply) => {
                    batch.extend(entries);
                    waiting.push(reply);
                }
            }
        }
        let earlier = failed.lock().map_or(None, |f| f.clone());
        let result = match earlier {
            Some(why) => Err(why),
            None => journal.append_all(&batch).map_err(|e| reason(&e)),
        };
        if let Err(why) = &result {
            tracing::error!("{why}");
            if let Ok(mut f) = failed.lock() {
                f.get_or_insert_with(|| why.clone());
            }
        }
        for reply in waiting.drain(..) {
            let _ = reply.send(result.clone());
        }
        match (&result, ticket) {
            (Ok(_), Some(t)) => notify(Ok(t)),
            (Err(why), _) => notify(Err(why.clone())),
            (Ok(_), None) => {}
        }
        batch.clear();
    }
}

/// What went wrong, without the path (the writer's errors add it).
fn reason(e: &JournalError) -> String {
    match e {
        JournalError::Store { source, .. } => source.to_string(),
        JournalError::Entry { seq, why, .. } => format!("entry {seq} is not an entry: {why}"),
        JournalError::Failed { why, .. } => why.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ended(client_id: u64) -> Entry {
        Entry::Ended {
            client_id,
            why: "cancelled".into(),
        }
    }

    #[test]
    fn what_is_handed_over_is_written_in_order_and_durable_when_waited_for() {
        let dir = std::env::temp_dir().join(format!("rollmaker-writer-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("j.redb");
        let (told, tickets) = unbounded();
        let notify: Notify = Box::new(move |t| told.send(t).unwrap());
        let mut w = JournalWriter::start(Journal::open(&path).unwrap(), notify).unwrap();
        for i in 1..=40 {
            w.hold(&[ended(i)]).unwrap();
            assert!(w.release().unwrap());
        }
        w.hold(&[]).unwrap();
        assert!(!w.release().unwrap(), "nothing held, nothing handed over");
        // Held, then handed over ahead of what comes next (in order), or when released.
        for i in 41..=45 {
            w.hold(&[ended(i)]).unwrap();
        }
        w.release().unwrap();
        for i in 46..=50 {
            w.hold(&[ended(i)]).unwrap();
        }
        w.write_noted(&[ended(51)], 1).unwrap();
        assert_eq!(w.append_all(&[ended(52)]).unwrap(), 52);
        assert_eq!(tickets.recv().unwrap(), Ok(1), "told once it is durable");
        assert_eq!(w.append_all(&[]).unwrap(), 0, "nothing more written");
        w.hold(&[ended(53)]).unwrap();
        drop(w);
        assert!(tickets.try_recv().is_err(), "told once a ticket");
        let back = Journal::open(&path).unwrap().entries().unwrap();
        let ids: Vec<u64> = (back.iter())
            .map(|(_, e)| match e {
                Entry::Ended { client_id, .. } => *client_id,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(ids, (1..=53).collect::<Vec<_>>(), "all of it, in order");
        std::fs::remove_dir_all(&dir).ok();
    }
}
