//! A file's reader on a thread of its own, its rows handed over in blocks: each file's gzip and
//! CSV work runs beside the replay, which keeps its own thread for the market and the maker
//! (the rows are the same, in the same order; only where they are parsed moves).

use super::{Row, TardisError, TardisReader};
use std::sync::mpsc::{sync_channel, Receiver};
use std::thread::JoinHandle;

/// Rows a block.
const BLOCK: usize = 2048;
/// Blocks read ahead of the replay, at most (memory stays flat in the file).
const DEPTH: usize = 8;

type Block = Vec<Result<Row, TardisError>>;

/// The rows of a [`TardisReader`] running on its own thread.
pub struct ReadAhead {
    block: std::vec::IntoIter<Result<Row, TardisError>>,
    blocks: Receiver<Block>,
    /// Dropped without [`ReadAhead::finish`], the thread ends at its next block (nobody
    /// receives it).
    thread: JoinHandle<TardisReader>,
}

impl ReadAhead {
    /// Starts reading `reader` on a new thread.
    pub fn spawn(mut reader: TardisReader) -> ReadAhead {
        let (send, blocks) = sync_channel::<Block>(DEPTH);
        let thread = std::thread::spawn(move || {
            loop {
                let mut block = Vec::with_capacity(BLOCK);
                let mut failed = false;
                for row in reader.by_ref() {
                    failed = row.is_err();
                    block.push(row);
                    if failed || block.len() == BLOCK {
                        break;
                    }
                }
                let last = failed || block.len() < BLOCK;
                // Sent fails once the replay has stopped reading (it ended early): stop too.
                if block.is_empty() || send.send(block).is_err() || last {
                    return reader;
                }
            }
        });
        ReadAhead {
            block: Vec::new().into_iter(),
            blocks,
            thread,
        }
    }

    /// Stops the reading (where the replay ended early) and gives the reader back, with its
    /// counts of skipped rows.
    pub fn finish(self) -> TardisReader {
        let ReadAhead { blocks, thread, .. } = self;
        drop(blocks);
        match thread.join() {
            Ok(reader) => reader,
            // A panic in the reader is a bug: it goes on here.
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

impl Iterator for ReadAhead {
    type Item = Result<Row, TardisError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(row) = self.block.next() {
                return Some(row);
            }
            self.block = self.blocks.recv().ok()?.into_iter();
        }
    }
}
