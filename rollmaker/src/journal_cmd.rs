//! `rollmaker journal FILE`: what a stopped service's journal holds, read back as a restart books
//! it (entries, fills, trade ids, deliveries, the positions), as JSON: to set beside the venue's
//! `private/get_positions` after a run. The service holds the file while it runs.

use crate::out::out;
use anyhow::{bail, Context, Result};
use clap::Args;
use service::journal::Journal;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct JournalArgs {
    /// The journal (the service config's `service.journal`).
    path: PathBuf,
}

pub fn run(args: &JournalArgs) -> Result<()> {
    // Opening creates a journal where there is none: a mistyped path must not read as empty.
    if !args.path.is_file() {
        bail!("no journal at {}", args.path.display());
    }
    let journal = Journal::open(&args.path)
        .with_context(|| "is the service still running? It holds its journal while it runs")?;
    let entries = journal.entries()?;
    let holdings = service::record::holdings(&entries)
        .with_context(|| format!("journal {}", args.path.display()))?;
    out!("{}", serde_json::to_string_pretty(&holdings)?);
    Ok(())
}
