//! A Deribit-like listing at a moment: which expiries exist and which strikes each has.
//!
//! Expiries: the next three dailies, the next three Friday weeklies, the last Fridays of the next
//! three months, and of the next four quarter-end months (March, June, September, December),
//! all settling at 08:00 UTC, duplicates merged. Strikes: a grid of "nice" steps (1, 2, 2.5 or 5
//! times a power of ten) that widens with the expiry, covering ±4 standard deviations at 80% vol
//! (at least ±10%, and K/S within 0.2 to 3).

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use engine::instrument::Expiry;
use engine::Timestamp;

/// One listed expiry and its strikes (USD, ascending).
#[derive(Clone, Debug, PartialEq)]
pub struct ListedExpiry {
    pub expiry: Expiry,
    pub strikes: Vec<f64>,
}

/// The vol the strike range is sized for.
const RANGE_VOL: f64 = 0.8;

pub fn listing(now: Timestamp, index: f64) -> Vec<ListedExpiry> {
    let mut dates: Vec<NaiveDate> = Vec::new();
    let today = now.to_datetime().date_naive();
    let live = |d: NaiveDate| Expiry::new(d).settlement_time() > now;
    // Dailies.
    let mut d = today;
    while dates.len() < 3 {
        if live(d) {
            dates.push(d);
        }
        d += Duration::days(1);
    }
    // Weeklies.
    let mut d = today;
    let mut weeklies = 0;
    while weeklies < 3 {
        if d.weekday() == Weekday::Fri && live(d) {
            dates.push(d);
            weeklies += 1;
        }
        d += Duration::days(1);
    }
    // Monthlies and quarterlies: last Fridays.
    let (mut monthlies, mut quarterlies) = (0, 0);
    let (mut year, mut month) = (today.year(), today.month());
    while monthlies < 3 || quarterlies < 4 {
        let last = last_friday(year, month);
        if live(last) {
            if monthlies < 3 {
                dates.push(last);
                monthlies += 1;
            }
            if month % 3 == 0 && quarterlies < 4 {
                dates.push(last);
                quarterlies += 1;
            }
        }
        (year, month) = if month == 12 {
            (year + 1, 1)
        } else {
            (year, month + 1)
        };
    }
    dates.sort();
    dates.dedup();
    dates
        .into_iter()
        .map(|date| {
            let expiry = Expiry::new(date);
            let t = now.years_until(expiry.settlement_time());
            ListedExpiry {
                expiry,
                strikes: strikes(index, t),
            }
        })
        .collect()
}

fn last_friday(year: i32, month: u32) -> NaiveDate {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    let mut d = NaiveDate::from_ymd_opt(ny, nm, 1).expect("the first of a month exists")
        - Duration::days(1);
    while d.weekday() != Weekday::Fri {
        d -= Duration::days(1);
    }
    d
}

/// The strike grid of an expiry `t` years out.
fn strikes(index: f64, t: f64) -> Vec<f64> {
    let half = (4.0 * RANGE_VOL * t.sqrt()).max(0.1);
    let (lo, hi) = (index * (-half).exp().max(0.2), index * half.exp().min(3.0));
    // About 40 strikes across the range, on a nice step.
    let step = nice((hi - lo) / 40.0);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last)
        .map(|i| i as f64 * step)
        .filter(|k| *k > 0.0)
        .collect()
}

/// The smallest of 1, 2, 2.5, 5 x 10^n at or above `x`.
fn nice(x: f64) -> f64 {
    let p = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|s| *s >= x)
        .unwrap_or(10.0 * p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sunday_in_march_2026() {
        // 2026-03-01T00:00:00Z, index 2000.
        let l = listing(Timestamp::from_millis(1_772_323_200_000), 2000.0);
        let dates: Vec<String> = l.iter().map(|e| e.expiry.to_string()).collect();
        for d in [
            "1MAR26", "2MAR26", "3MAR26", "6MAR26", "13MAR26", "20MAR26", "27MAR26", "24APR26",
            "29MAY26", "26JUN26", "25SEP26", "25DEC26",
        ] {
            assert!(dates.contains(&d.to_string()), "{d} missing from {dates:?}");
        }
        assert_eq!(dates.len(), 12, "{dates:?}");
        for e in &l {
            assert!(e.strikes.windows(2).all(|w| w[1] > w[0]));
            assert!(e.strikes.len() >= 20, "{}: {}", e.expiry, e.strikes.len());
            // The money is inside every grid.
            assert!(e.strikes[0] < 2000.0 && *e.strikes.last().unwrap() > 2000.0);
        }
        // Longer expiries, wider ranges and coarser steps.
        let step = |e: &ListedExpiry| e.strikes[1] - e.strikes[0];
        assert!(step(&l[11]) > step(&l[0]));
        assert!(l[11].strikes[0] < l[0].strikes[0]);
    }

    #[test]
    fn nice_steps() {
        assert_eq!(nice(23.0), 25.0);
        assert_eq!(nice(40.0), 50.0);
        assert_eq!(nice(101.0), 200.0);
        assert_eq!(nice(10.0), 10.0);
    }
}
