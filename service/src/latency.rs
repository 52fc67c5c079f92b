//! Where the service's time goes, in nanoseconds (hdrhistogram, 3 significant figures). Tick to
//! quote: a book frame read off the socket to the order it caused (its series re-priced) handed
//! to the socket's write, where it leaves the process; its parts up to the trading thread
//! taking the frame (every book frame) and up to the order handed to the connection; beside
//! it, up to that write's return (the kernel's sending, which on loopback delivers the frame
//! into the venue's socket and wakes its thread inside our call); the whole-chain requote (the
//! state, the strategy, the quote manager); the journal's taking of the intents. Shared by the
//! desk and the connection's gateway; printed by `rollmaker run` at stop.

use hdrhistogram::Histogram;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Latencies {
    pub tick_to_quote: Histogram<u64>,
    pub to_desk: Histogram<u64>,
    pub to_connection: Histogram<u64>,
    pub write_returned: Histogram<u64>,
    pub requote: Histogram<u64>,
    pub journal: Histogram<u64>,
}

impl Default for Latencies {
    fn default() -> Latencies {
        // 1 ns to an hour: nothing recorded is ever out of range.
        let h = || Histogram::new_with_bounds(1, 3_600_000_000_000, 3).expect("valid bounds");
        Latencies {
            tick_to_quote: h(),
            to_desk: h(),
            to_connection: h(),
            write_returned: h(),
            requote: h(),
            journal: h(),
        }
    }
}

/// The histograms, shared between threads (each records a few a millisecond at most).
#[derive(Clone, Debug, Default)]
pub struct Shared(Arc<Mutex<Latencies>>);

impl Shared {
    /// Records `d` in the histogram `which` picks.
    pub fn record(&self, which: fn(&mut Latencies) -> &mut Histogram<u64>, d: Duration) {
        if let Ok(mut l) = self.0.lock() {
            record(which(&mut l), d);
        }
    }

    pub fn snapshot(&self) -> Latencies {
        self.0
            .lock()
            .map_or_else(|_| Latencies::default(), |l| l.clone())
    }
}

/// Records `d` in `h` (saturating at its top).
pub fn record(h: &mut Histogram<u64>, d: Duration) {
    h.saturating_record((d.as_nanos() as u64).max(1));
}

/// `n 12, p50 41.0 us, p99 88.1 us, max 90.2 us`.
fn summary(h: &Histogram<u64>) -> String {
    if h.is_empty() {
        return "none".into();
    }
    let us = |q: f64| h.value_at_quantile(q) as f64 / 1e3;
    format!(
        "n {}, p50 {:.1} us, p99 {:.1} us, max {:.1} us",
        h.len(),
        us(0.5),
        us(0.99),
        h.max() as f64 / 1e3
    )
}

impl fmt::Display for Latencies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Tick to quote ends at the write called; the write's return is the kernel's time too.
        writeln!(f, "tick to quote: {}", summary(&self.tick_to_quote))?;
        writeln!(f, "  to the desk:       {}", summary(&self.to_desk))?;
        writeln!(f, "  to the connection: {}", summary(&self.to_connection))?;
        writeln!(f, "write returned: {}", summary(&self.write_returned))?;
        writeln!(f, "requote:       {}", summary(&self.requote))?;
        write!(f, "journal:       {}", summary(&self.journal))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_shown_in_microseconds() {
        let mut l = Latencies::default();
        assert!(l.to_string().starts_with("tick to quote: none"));
        for us in [10, 20, 30, 40, 1_000] {
            record(&mut l.tick_to_quote, Duration::from_micros(us));
        }
        let shown = l.to_string();
        assert!(
            shown.starts_with("tick to quote: n 5, p50 30.0 us"),
            "{shown}"
        );
        assert!(
            shown.contains("max 1000.4 us") || shown.contains("max 1000.0 us"),
            "{shown}"
        );
    }
}
