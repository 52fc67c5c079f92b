//! A schedule on the data's clock: due the first time it is asked, then each time at least a
//! given number of seconds have passed since it was last due.

use engine::Timestamp;

#[derive(Clone, Copy, Debug)]
pub struct Every {
    /// The seconds as whole nanoseconds, rounded up: `elapsed >= nanos` is `elapsed as f64 >=
    /// seconds * 1e9` for every whole number of nanoseconds (each exact as an f64 below 2^53,
    /// 104 days), without converting one at every step. NaN seconds (never, as the float
    /// comparison): not within 292 years.
    nanos: i64,
    last: Option<Timestamp>,
}

impl Every {
    pub fn new(seconds: f64) -> Every {
        let t = seconds * 1e9;
        Every {
            nanos: if t.is_nan() {
                i64::MAX
            } else {
                t.ceil() as i64
            },
            last: None,
        }
    }

    /// Whether it is due at `now`; if so, `now` is when it was last due.
    #[inline]
    pub fn due(&mut self, now: Timestamp) -> bool {
        let is_due = self.last.is_none_or(|l| now.0 - l.0 >= self.nanos);
        if is_due {
            self.last = Some(now);
        }
        is_due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Due as the float comparison it replaces says, on each side of fractional thresholds.
    #[test]
    fn due_as_the_float_comparison() {
        for seconds in [0.0, 1e-9, 0.5, 0.0000000015, 1.0, 60.0, 0.1 + 0.2, 1e-10] {
            for elapsed in [
                0i64,
                1,
                2,
                3,
                299_999_999,
                300_000_000,
                300_000_001,
                60_000_000_000,
            ] {
                let mut e = Every::new(seconds);
                assert!(e.due(Timestamp(5)), "the first time");
                let want = elapsed as f64 >= seconds * 1e9;
                assert_eq!(
                    e.due(Timestamp(5 + elapsed)),
                    want,
                    "{seconds} s, {elapsed} ns"
                );
            }
        }
        let mut never = Every::new(f64::NAN);
        assert!(never.due(Timestamp(0)));
        assert!(!never.due(Timestamp(i64::MAX - 1)));
    }

    /// Due again only counting from the last time it was due, not from the last time asked.
    #[test]
    fn counts_from_the_last_time_due() {
        let mut e = Every::new(1.0);
        let s = Timestamp::NANOS_PER_SEC;
        assert!(e.due(Timestamp(0)));
        assert!(!e.due(Timestamp(s / 2)));
        assert!(!e.due(Timestamp(s - 1)));
        assert!(e.due(Timestamp(s)));
        assert!(!e.due(Timestamp(s + s / 2)));
    }
}
