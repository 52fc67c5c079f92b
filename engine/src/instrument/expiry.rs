//! Expiry dates as Deribit writes them (`27MAR26`, `5JAN26`) and the moment they settle.

use crate::time::Timestamp;
use chrono::{Datelike, NaiveDate};
use std::fmt;

/// An expiry day. Deribit expiries settle at 08:00 UTC on that day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Expiry(NaiveDate);

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

/// Deribit's settlement hour, UTC.
pub const SETTLEMENT_HOUR_UTC: u32 = 8;

impl Expiry {
    pub fn new(date: NaiveDate) -> Expiry {
        Expiry(date)
    }
    pub fn date(self) -> NaiveDate {
        self.0
    }
    /// 08:00 UTC on the expiry day. By day count, not through a date-time: a replay asks for
    /// it for every series at every rebuild of the chain.
    pub fn settlement_time(self) -> Timestamp {
        // Days from 0001-01-01 (day 1) to 1970-01-01.
        const UNIX_EPOCH_DAY_FROM_CE: i64 = 719_163;
        let days = i64::from(self.0.num_days_from_ce()) - UNIX_EPOCH_DAY_FROM_CE;
        let seconds = days * 86_400 + i64::from(SETTLEMENT_HOUR_UTC) * 3_600;
        let nanos = seconds.checked_mul(Timestamp::NANOS_PER_SEC);
        Timestamp(nanos.expect("expiry dates are within i64 nanoseconds"))
    }

    /// Parses `DMMMYY` / `DDMMMYY` in Deribit's canonical form: no leading zero on the day,
    /// upper-case month, two-digit year in the 2000s. Anything else is `Err` with the reason.
    pub fn parse(text: &str) -> Result<Expiry, &'static str> {
        if !text.is_ascii() {
            return Err("expiry must be ASCII");
        }
        let b = text.as_bytes();
        let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 || digits > 2 {
            return Err("expiry must start with a 1- or 2-digit day");
        }
        if b[0] == b'0' {
            return Err("expiry day has a leading zero");
        }
        if b.len() != digits + 5 {
            return Err("expiry must look like 27MAR26");
        }
        let day: u32 = text[..digits].parse().map_err(|_| "bad expiry day")?;
        let month_txt = &text[digits..digits + 3];
        let month = MONTHS
            .iter()
            .position(|m| *m == month_txt)
            .ok_or("expiry month must be JAN..DEC in capitals")? as u32
            + 1;
        let yy = &text[digits + 3..];
        if !yy.bytes().all(|c| c.is_ascii_digit()) {
            return Err("expiry year must be two digits");
        }
        let year = 2000 + yy.parse::<i32>().map_err(|_| "bad expiry year")?;
        NaiveDate::from_ymd_opt(year, month, day)
            .map(Expiry)
            .ok_or("no such calendar date")
    }
}

impl fmt::Display for Expiry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        write!(
            f,
            "{}{}{:02}",
            d.day(),
            MONTHS[d.month0() as usize],
            d.year() % 100
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The day count gives chrono's 08:00 UTC for every day from 1970 to 2200 (leap years,
    /// century years).
    #[test]
    fn settlement_time_is_chronos_eight_oclock() {
        let mut date = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        while date.year() < 2200 {
            let at = date
                .and_hms_opt(SETTLEMENT_HOUR_UTC, 0, 0)
                .unwrap()
                .and_utc();
            let chrono = at.timestamp_nanos_opt().unwrap();
            assert_eq!(Expiry::new(date).settlement_time().0, chrono, "{date}");
            date = date.succ_opt().unwrap();
        }
    }

    #[test]
    fn parses_and_prints_one_and_two_digit_days() {
        for s in ["27MAR26", "5JAN26", "1AUG26", "31DEC27"] {
            assert_eq!(Expiry::parse(s).unwrap().to_string(), s);
        }
        let e = Expiry::parse("5JAN26").unwrap();
        assert_eq!(e.date(), NaiveDate::from_ymd_opt(2026, 1, 5).unwrap());
        assert_eq!(e.settlement_time().to_string(), "2026-01-05T08:00:00Z");
    }

    #[test]
    fn refuses_malformed_expiries() {
        for s in [
            "05JAN26",
            "31FEB26",
            "27Mar26",
            "27MAR2026",
            "MAR26",
            "123JAN26",
            "27XYZ26",
            "27MAR2X",
            "",
        ] {
            assert!(Expiry::parse(s).is_err(), "{s} should not parse");
        }
    }
}
