//! The service's journal: every order intent (taken as the order is sent, handed to the writer
//! once it is written, durable within a transaction's time: [`JournalWriter::hold`]), every
//! acknowledgement, fill and end the venue reports (durable before the trader books them),
//! numbered in the order written, in redb with immediate durability (a crash, `kill -9` included, loses nothing committed). On
//! start the service replays it, then reconciles with the venue, then quotes. Entries are JSON
//! (prices and amounts as exact decimals), readable with any redb tool. [`Journal`] is the store;
//! [`JournalWriter`] writes it from a thread of its own.

use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::path::Path;
use thiserror::Error;

mod writer;
pub use writer::{JournalWriter, Notify};

const ENTRIES: TableDefinition<u64, &str> = TableDefinition::new("entries");

/// One thing the service did or was told.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Entry {
    /// An order about to be sent: `action` is place, take, amend or cancel.
    Intent {
        client_id: u64,
        action: String,
        instrument: String,
        side: Option<String>,
        price: Option<Decimal>,
        amount: Option<Decimal>,
    },
    /// The venue has the order.
    Accepted { client_id: u64, order_id: String },
    /// A fill of the order, as the venue reported it (its trade id makes it count once).
    Fill {
        client_id: u64,
        trade_id: String,
        instrument: String,
        side: String,
        price: Decimal,
        amount: Decimal,
        fee: Decimal,
        timestamp_ms: i64,
    },
    /// The order ended (cancelled, rejected, expired) without more to fill.
    Ended { client_id: u64, why: String },
    /// The position in an expired option paid out at delivery: `value` ETH a contract, less
    /// `fee`, as booked.
    Settled {
        instrument: String,
        value: Decimal,
        fee: Decimal,
        timestamp_ms: i64,
    },
}

#[derive(Debug, Error)]
pub enum JournalError {
    #[error("journal {path}: {source}")]
    Store {
        path: String,
        #[source]
        source: redb::Error,
    },
    #[error("journal {path}: entry {seq} is not an entry: {why}")]
    Entry { path: String, seq: u64, why: String },
    /// A write on the writing thread failed (or it is gone).
    #[error("journal {path}: {why}")]
    Failed { path: String, why: String },
}

pub struct Journal {
    db: Database,
    path: String,
}

impl Journal {
    /// Opens the journal at `path`, creating it if absent (a crashed one is recovered).
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        let shown = path.display().to_string();
        let store = |e: redb::Error| JournalError::Store {
            path: shown.clone(),
            source: e,
        };
        let db = Database::create(path).map_err(|e| store(e.into()))?;
        // The table exists from the first open, so a fresh journal replays as empty.
        let tx = db.begin_write().map_err(|e| store(e.into()))?;
        tx.open_table(ENTRIES).map_err(|e| store(e.into()))?;
        tx.commit().map_err(|e| store(e.into()))?;
        Ok(Journal { db, path: shown })
    }

    fn store(&self, e: impl Into<redb::Error>) -> JournalError {
        JournalError::Store {
            path: self.path.clone(),
            source: e.into(),
        }
    }

    /// Where it is, as shown in errors.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Appends `entry`, durable when this returns; its sequence number.
    pub fn append(&self, entry: &Entry) -> Result<u64, JournalError> {
        self.append_all(std::slice::from_ref(entry))
    }

    /// Appends `entries` in one transaction (one flush to disk for them all), durable
    /// when this returns; the last one's sequence number (0 and nothing written for none).
    pub fn append_all(&self, entries: &[Entry]) -> Result<u64, JournalError> {
        if entries.is_empty() {
            return Ok(0);
        }
        let mut texts = Vec::with_capacity(entries.len());
        for e in entries {
            texts.push(serde_json::to_string(e).map_err(|e| JournalError::Entry {
                path: self.path.clone(),
                seq: 0,
                why: e.to_string(),
            })?);
        }
        let mut tx = self.db.begin_write().map_err(|e| self.store(e))?;
        tx.set_durability(Durability::Immediate)
            .map_err(|e| self.store(e))?;
        let seq = {
            let mut table = tx.open_table(ENTRIES).map_err(|e| self.store(e))?;
            let last = table.last().map_err(|e| self.store(e))?;
            let mut seq = last.map_or(0, |(k, _)| k.value());
            for text in &texts {
                seq += 1;
                table
                    .insert(seq, text.as_str())
                    .map_err(|e| self.store(e))?;
            }
            seq
        };
        tx.commit().map_err(|e| self.store(e))?;
        Ok(seq)
    }

    /// Every entry, in the order written, with its sequence number.
    pub fn entries(&self) -> Result<Vec<(u64, Entry)>, JournalError> {
        let tx = self.db.begin_read().map_err(|e| self.store(e))?;
        let table = tx.open_table(ENTRIES).map_err(|e| self.store(e))?;
        let mut out = Vec::new();
        for row in table.iter().map_err(|e| self.store(e))? {
            let (k, v) = row.map_err(|e| self.store(e))?;
            let seq = k.value();
            let entry = serde_json::from_str(v.value()).map_err(|e| JournalError::Entry {
                path: self.path.clone(),
                seq,
                why: e.to_string(),
            })?;
            out.push((seq, entry));
        }
        Ok(out)
    }
}
