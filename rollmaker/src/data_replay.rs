//! `rollmaker backtest --data PATH`: the data under PATH as a backtest market. Tardis.dev files
//! (recognised by their header: options_chain, incremental_book_L2, book_snapshot_25, trades)
//! are merged by time and replayed through the Tardis market; otherwise the files are Deribit
//! chain snapshots (../shared/data/deribit_eth_chain/). Both are streamed: memory does not grow
//! with the data, and a reader error stops the run and is reported.

use crate::snapshots::files;
use anyhow::{bail, Result};
use backtest::chain::{ChainReader, Snapshot};
use backtest::sim::run::{run_chain, run_market, RunConfig, Summary};
use backtest::sim::tardis_market::{Batches, TardisMarket};
use backtest::tardis::resolve::Accept;
use backtest::tardis::{
    detect, merge, BinaryRows, BinarySteps, ReadAhead, Resolver, Steps, TardisReader,
};
use engine::quotes::QuoteRules;
use engine::Timestamp;
use std::path::{Path, PathBuf};
use strategies::Strategy;

/// The time window asked for, and whether bad rows are skipped (and counted) instead of
/// stopping the run.
pub struct Window {
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub skip_bad_rows: bool,
}

impl Window {
    fn days(&self, otherwise: f64) -> f64 {
        match (self.from, self.to) {
            (Some(f), Some(t)) => ((t.0 - f.0) as f64 / 86_400e9).max(1.0),
            _ => otherwise,
        }
    }
}

pub fn run(
    data: &Path,
    window: &Window,
    config: &RunConfig,
    strategy: &mut dyn Strategy,
    rules: QuoteRules,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Summary> {
    // Both list the perpetual first, so their ids agree (the hedge trades it).
    let resolver = Resolver::new(Accept::Options).with_perpetual();
    if backtest::binary::is_binary(data) {
        // Resolved as the CSV rows are; records before --from are passed over unresolved.
        let rows = BinaryRows::open(data, resolver)?.from(window.from);
        let run = Run::new(data, window, config, strategy, rules);
        return run.replay(BinarySteps::new(rows, window.to), progress);
    }
    let (readers, other) = tardis_readers(files(data)?, window.skip_bad_rows)?;
    if readers.is_empty() {
        return chain(data, other, window, config, strategy, rules, progress);
    }
    for f in &other {
        tracing::warn!("not a Tardis file, left out: {}", f.display());
    }
    let from = window.from;
    // Each file read on a thread of its own. Rows before --from are passed over (a Tardis day
    // starts with book snapshots). The merge borrows the readers, which keep their counts of
    // skipped rows for after the run.
    let mut readers: Vec<ReadAhead> = readers.into_iter().map(ReadAhead::spawn).collect();
    let rows = merge(readers.iter_mut().collect()).filter(move |r| match r {
        Ok(row) => from.is_none_or(|f| row.at >= f),
        Err(_) => true,
    });
    let steps = Batches::new(resolver.rows(rows)).until(window.to);
    let run = Run::new(data, window, config, strategy, rules);
    let summary = run.replay(steps, progress)?;
    let bad_rows: u64 = readers.into_iter().map(|r| r.finish().skipped).sum();
    if bad_rows > 0 {
        tracing::warn!("skipped {bad_rows} bad rows (--skip-bad-rows)");
    }
    Ok(summary)
}

/// One backtest of Tardis rows, resolved (from the CSV files or the binary format).
struct Run<'a> {
    data: &'a Path,
    window: &'a Window,
    config: &'a RunConfig,
    strategy: &'a mut dyn Strategy,
    rules: QuoteRules,
}

impl<'a> Run<'a> {
    fn new(
        data: &'a Path,
        window: &'a Window,
        config: &'a RunConfig,
        strategy: &'a mut dyn Strategy,
        rules: QuoteRules,
    ) -> Run<'a> {
        Run {
            data,
            window,
            config,
            strategy,
            rules,
        }
    }

    /// The steps through the Tardis market; a reader's error ends the run and is returned.
    fn replay(self, mut steps: impl Steps, progress: &mut dyn FnMut(u64, u64)) -> Result<Summary> {
        let mut market = TardisMarket::new().with_perpetual();
        let expected = (1440.0 * self.window.days(1.0)) as u64;
        let summary = run_market(
            &mut market,
            &mut steps,
            expected,
            self.config,
            self.strategy,
            self.rules,
            progress,
        );
        if let Some(e) = steps.take_error() {
            return Err(e.into());
        }
        if steps.rows_read() == 0 {
            bail!(
                "no Tardis rows in {} between --from and --to",
                self.data.display()
            );
        }
        if market.skipped_rows > 0 {
            tracing::warn!(
                "skipped {} rows the engine cannot use; the first: {}",
                market.skipped_rows,
                market.skipped.join("; ")
            );
        }
        for s in market.skipped_snapshots() {
            tracing::warn!("skipped chain {s}");
        }
        Ok(summary)
    }
}

/// The Tardis files among `files` opened (`lenient`: bad rows skipped and counted), and the
/// files that are not Tardis's.
pub fn tardis_readers(
    files: Vec<PathBuf>,
    lenient: bool,
) -> Result<(Vec<TardisReader>, Vec<PathBuf>)> {
    let mut readers = Vec::new();
    let mut other = Vec::new();
    for f in files {
        match detect(&f)? {
            Some(dataset) => readers.push(TardisReader::open(&f, dataset, lenient)?),
            None => other.push(f),
        }
    }
    Ok((readers, other))
}

fn chain(
    data: &Path,
    files: Vec<PathBuf>,
    window: &Window,
    config: &RunConfig,
    strategy: &mut dyn Strategy,
    rules: QuoteRules,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Summary> {
    let mut snapshots = ChainFiles::new(files, window);
    // About four snapshots a day in the shared data: the progress bar's estimate.
    let expected = (4.0 * window.days(240.0)) as u64;
    let (summary, skipped) = run_chain(
        snapshots.by_ref(),
        expected,
        config,
        strategy,
        rules,
        progress,
    );
    if let Some(e) = snapshots.error {
        return Err(e);
    }
    if snapshots.count == 0 {
        bail!("no snapshots in {} between --from and --to", data.display());
    }
    for s in &skipped {
        tracing::warn!("skipped snapshot {s}");
    }
    if snapshots.bad_rows > 0 {
        let n = snapshots.bad_rows;
        tracing::warn!("skipped {n} bad rows (--skip-bad-rows)");
    }
    Ok(summary)
}

/// The snapshots of chain files in turn, within the window; stops at the first error (kept).
/// Time only moves forward across files (a file given twice, or files out of order, would
/// replay the market backwards; within a file the reader checks it).
struct ChainFiles<'w> {
    files: std::vec::IntoIter<PathBuf>,
    window: &'w Window,
    current: Option<(PathBuf, ChainReader)>,
    /// The last snapshot read, whether the current file gave one, and the end of the file
    /// before (for the next file's first snapshot).
    last_at: Option<Timestamp>,
    yielded: bool,
    file_before: Option<(Timestamp, PathBuf)>,
    error: Option<anyhow::Error>,
    count: u64,
    bad_rows: u64,
}

impl<'w> ChainFiles<'w> {
    fn new(files: Vec<PathBuf>, window: &'w Window) -> ChainFiles<'w> {
        ChainFiles {
            files: files.into_iter(),
            window,
            current: None,
            last_at: None,
            yielded: false,
            file_before: None,
            error: None,
            count: 0,
            bad_rows: 0,
        }
    }

    /// The next snapshot of the files, in or out of the window.
    fn next_snapshot(&mut self) -> Result<Option<Snapshot>> {
        loop {
            if self.current.is_none() {
                let Some(file) = self.files.next() else {
                    return Ok(None);
                };
                let reader = ChainReader::open(&file)?;
                let lenient = self.window.skip_bad_rows;
                self.current = Some((file, if lenient { reader.lenient() } else { reader }));
                self.yielded = false;
            }
            let Some((_, reader)) = self.current.as_mut() else {
                continue;
            };
            if let Some(s) = reader.next() {
                let s = s?;
                self.check_order(&s)?;
                (self.last_at, self.yielded) = (Some(s.timestamp), true);
                return Ok(Some(s));
            }
            if let Some((done, r)) = self.current.take() {
                self.bad_rows += r.skipped;
                // A file with no snapshots leaves the end of the one before it.
                if self.yielded {
                    self.file_before = self.last_at.map(|at| (at, done));
                }
            }
        }
    }

    /// A file's first snapshot must come after the last of the file before.
    fn check_order(&mut self, s: &Snapshot) -> Result<()> {
        let Some((at, before)) = self.file_before.take() else {
            return Ok(());
        };
        if s.timestamp <= at {
            let file = self.current.as_ref().map(|(f, _)| f.display().to_string());
            bail!(
                "{}: its snapshot at {} is not after the last of {} (at {}): the same data twice, or files out of order",
                file.unwrap_or_default(),
                s.timestamp,
                before.display(),
                at
            );
        }
        Ok(())
    }
}

impl Iterator for ChainFiles<'_> {
    type Item = Snapshot;

    fn next(&mut self) -> Option<Snapshot> {
        while self.error.is_none() {
            match self.next_snapshot() {
                Ok(Some(s)) if self.window.from.is_some_and(|f| s.timestamp < f) => continue,
                Ok(Some(s)) if self.window.to.is_some_and(|t| s.timestamp > t) => return None,
                Ok(Some(s)) => {
                    self.count += 1;
                    return Some(s);
                }
                Ok(None) => return None,
                Err(e) => self.error = Some(e),
            }
        }
        None
    }
}
