//! Finding chain snapshots on disk: the files of a folder, and a time given on the command line.

use anyhow::{bail, Context, Result};
use backtest::chain::{ChainReader, Snapshot};
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use engine::Timestamp;
use std::path::{Path, PathBuf};

/// `path` itself (checked to open), or the .csv and .csv.gz files of the folder it names, in name
/// order.
pub fn files(path: &Path) -> Result<Vec<PathBuf>> {
    if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("reading folder {}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let name = p.to_string_lossy();
                name.ends_with(".csv") || name.ends_with(".csv.gz")
            })
            .collect();
        files.sort();
        if files.is_empty() {
            bail!("no .csv or .csv.gz files in {}", path.display());
        }
        Ok(files)
    } else {
        // Opened here first, so a missing or unreadable file is an I/O failure (exit 1) naming
        // the path, not a reader's complaint about its rows.
        std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        Ok(vec![path.to_path_buf()])
    }
}

/// RFC 3339 (2026-02-05T12:00:00Z), a naive time taken as UTC, or a date meaning the end of that
/// day UTC.
/// A time given on the command line as `flag` (named in the error): RFC 3339, a time without a
/// zone (UTC), or a date meaning the end of that day.
pub fn parse_at(flag: &str, text: &str) -> Result<Timestamp> {
    let time = if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        t.to_utc()
    } else if let Ok(t) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S") {
        t.and_utc()
    } else if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        d.and_hms_milli_opt(23, 59, 59, 999)
            .context("end of day")?
            .and_utc()
    } else {
        bail!("{flag} {text:?} is not a time: give 2026-02-05T12:00:00Z or 2026-02-05");
    };
    Timestamp::from_datetime(time).with_context(|| format!("{flag} {text:?} is out of range"))
}

/// The last snapshot at or before `at` in the files under `data`.
pub fn snapshot_at(data: &Path, at: Timestamp, at_text: &str) -> Result<Snapshot> {
    let mut found = None;
    for file in files(data)? {
        for snapshot in ChainReader::open(&file)? {
            let snapshot = snapshot?;
            if snapshot.timestamp > at {
                break;
            }
            found = Some(snapshot);
        }
    }
    found.with_context(|| format!("no snapshot at or before {at_text} in {}", data.display()))
}
