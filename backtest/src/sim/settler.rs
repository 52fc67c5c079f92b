//! Expiry settlement: the index's 30-minute TWAP kept from the steps (at most a sample a second),
//! and, once a second of market time, the held series whose settlement time has come, paid at
//! that TWAP through the venue.

use super::attribution::Attribution;
use super::market::Market;
use super::venue::SimVenue;
use crate::settlement::{twap_30_minutes, value_per_contract};
use crate::synthetic::path::IndexPoint;
use engine::instrument::OptionRight;
use engine::Timestamp;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::Decimal;
use std::collections::VecDeque;

pub struct Settler {
    recent: VecDeque<(Timestamp, f64)>,
    last_scan: Option<Timestamp>,
    /// Before this time (ns) a step changes nothing here: no sample, none out of the window,
    /// no scan (data steps are microseconds apart; this is one comparison a step).
    quiet_until: i64,
}

impl Default for Settler {
    fn default() -> Settler {
        Settler {
            recent: VecDeque::new(),
            last_scan: None,
            quiet_until: i64::MIN,
        }
    }
}

impl Settler {
    /// Records the step's index for the TWAP; true when a settlement scan is due (once a second
    /// of market time: data steps can be microseconds apart).
    pub fn observe(&mut self, p: IndexPoint) -> bool {
        if p.at.0 < self.quiet_until {
            return false;
        }
        let second = Timestamp::NANOS_PER_SEC;
        if self
            .recent
            .back()
            .is_none_or(|(t, _)| p.at.0 - t.0 >= second)
        {
            self.recent.push_back((p.at, p.price));
        }
        while self
            .recent
            .front()
            .is_some_and(|(t, _)| p.at.0 - t.0 > 1800 * second)
        {
            self.recent.pop_front();
        }
        let due = self.last_scan.is_none_or(|l| p.at.0 - l.0 >= second);
        if due {
            self.last_scan = Some(p.at);
        }
        // The first time any of the three tests above can pass again.
        let after =
            |t: Option<Timestamp>, wait: i64| t.map_or(i64::MIN, |t| t.0.saturating_add(wait));
        let sample = after(self.recent.back().map(|r| r.0), second);
        let leaves = after(self.recent.front().map(|r| r.0), 1800 * second + 1);
        let scan = after(self.last_scan, second);
        self.quiet_until = sample.min(leaves).min(scan);
        due
    }

    /// The index's 30-minute TWAP as of `p` (`p`'s own price where no sample falls in the
    /// window).
    pub fn twap(&self, p: IndexPoint) -> f64 {
        let samples: Vec<(f64, f64)> = self
            .recent
            .iter()
            .map(|(t, x)| ((p.at.0 - t.0) as f64 / 1e9, *x))
            .collect();
        twap_30_minutes(&samples).unwrap_or(p.price)
    }

    /// Settles, through the venue, every held series of `market` whose settlement time has come
    /// by `p` (before the market drops it), against its last fair mark.
    pub fn settle<M: Market>(
        &self,
        p: IndexPoint,
        market: &M,
        venue: &mut SimVenue,
        pnl: &mut Attribution,
    ) {
        for sr in market.series() {
            if sr.settles > p.at {
                continue;
            }
            let lots = venue.held(sr.id);
            if lots == 0 {
                continue;
            }
            let twap = self.twap(p);
            let (Some(strike), Some(index)) =
                (Decimal::from_f64(sr.strike), Decimal::from_f64(twap))
            else {
                continue;
            };
            let value = value_per_contract(OptionRight::Call, strike, index).unwrap_or_default();
            venue.settle(p.at, sr.id, value);
            let last_mark = market.fair(sr.id).map_or(f64::NAN, |g| g.price);
            pnl.on_settlement(value.to_f64().unwrap_or(0.0), last_mark, lots, twap);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64, price: f64) -> IndexPoint {
        IndexPoint {
            at: Timestamp(s * Timestamp::NANOS_PER_SEC),
            price,
            vol: 0.5,
        }
    }

    #[test]
    fn samples_once_a_second_and_averages_the_last_half_hour() {
        let mut s = Settler::default();
        assert!(s.observe(at(0, 100.0)));
        // Half a second later: no new sample, no scan.
        let half = IndexPoint {
            at: Timestamp(Timestamp::NANOS_PER_SEC / 2),
            price: 1e9,
            vol: 0.5,
        };
        assert!(!s.observe(half));
        assert!(s.observe(at(900, 200.0)));
        // At 1800 s: 100 for 900 s, 200 for 900 s.
        assert!((s.twap(at(1800, 300.0)) - 150.0).abs() < 1e-9);
    }

    proptest::proptest! {
        /// Skipping the quiet steps changes nothing: the same scans and the same samples as a
        /// settler that looks at every step in full.
        #[test]
        fn quiet_steps_are_skipped_without_a_difference(
            gaps in proptest::collection::vec(proptest::sample::select(vec![
                1i64, 1_000, 300_000_000, 999_999_999, 1_000_000_000, 1_000_000_001,
                7_000_000_000, 1_800_000_000_000, 1_800_000_000_001, 3_600_000_000_000,
            ]), 1..300),
        ) {
            let (mut quick, mut full) = (Settler::default(), Settler::default());
            let mut t = 1_774_000_000_000_000_000i64;
            for (i, gap) in gaps.into_iter().enumerate() {
                t += gap;
                let p = IndexPoint { at: Timestamp(t), price: 2000.0 + i as f64, vol: 0.5 };
                full.quiet_until = i64::MIN;
                proptest::prop_assert_eq!(quick.observe(p), full.observe(p), "step {}", i);
                proptest::prop_assert_eq!(&quick.recent, &full.recent);
            }
        }
    }
}
