//! Each holder's roll from request to fill: when it was asked for, when its last leg was done,
//! what it cost against fair (when each leg traded, and against fair at the request), how much of
//! it the maker filled, and, for a roll not done, why. A roll and its retries (after a missed
//! deadline, the flow asks again) are one roll, timed from the first request. `rolls.csv` is
//! these records; the summary's fill and timing figures come from them.

use super::summary::as_text;
use crate::roll_flow::{RollRequest, Token};
use engine::Timestamp;
use serde::Serialize;
use std::collections::HashMap;

/// Why a roll is not done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotDone {
    /// Still being worked when the run ended.
    Working,
    /// An impatient holder gave up (crossing cost more than `max_slippage_bps`) and had not
    /// rolled by the run's end.
    GaveUp,
    /// A series of the roll was no longer listed (the holder's own had settled, in a gap of the
    /// data or while the roll waited).
    SeriesGone,
    /// A leg rounded to no whole contract.
    TooSmall,
}

impl NotDone {
    pub fn as_str(self) -> &'static str {
        match self {
            NotDone::Working => "working",
            NotDone::GaveUp => "gave_up",
            NotDone::SeriesGone => "series_gone",
            NotDone::TooSmall => "too_small",
        }
    }
}

/// One holder's roll (`rolls.csv`, a row each).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RollRecord {
    pub holder: usize,
    pub token: &'static str,
    /// The calls of the series rolled from and into (the last attempt's target).
    pub from: String,
    pub to: String,
    #[serde(serialize_with = "as_text")]
    pub requested: Timestamp,
    /// When the last leg was done; none if it was not.
    #[serde(serialize_with = "opt_text")]
    pub filled: Option<Timestamp>,
    pub attempts: u32,
    /// The rolled tokens' value at the first request.
    pub value_usd: f64,
    /// The holder's cost against fair when each leg traded (maker and venue).
    pub cost_usd: f64,
    /// The same trades against fair at the request: adds what the market did while it waited.
    pub cost_vs_request_usd: f64,
    /// Of `value_usd`, what the maker's quotes filled (each leg half the roll).
    pub maker_usd: f64,
    /// Why the roll is not done (empty when it is).
    #[serde(serialize_with = "not_done_text")]
    pub not_done: Option<NotDone>,
}

impl RollRecord {
    /// Hours from request to fill.
    pub fn hours_to_fill(&self) -> Option<f64> {
        self.filled
            .map(|f| (f.0 - self.requested.0) as f64 / (3600.0 * 1e9))
    }
}

/// The attempt of a roll in progress: its record and its legs' sizes.
#[derive(Clone, Copy, Debug)]
struct Attempt {
    record: usize,
    lots: [i64; 2],
}

#[derive(Debug, Default)]
pub struct RollLog {
    pub records: Vec<RollRecord>,
    /// Each holder's roll not yet done, by holder.
    open: HashMap<usize, usize>,
    /// The attempts being worked, by the desk's roll id.
    attempts: HashMap<u64, Attempt>,
}

impl RollLog {
    /// The flow asked for `r` (the desk's roll `roll`, its from and to call names, the rolled
    /// tokens' value now, 0 when it cannot be valued): a new roll, or the next attempt at the
    /// holder's open one. Returns whether its value is new (a roll's demand is counted once).
    pub fn requested(&mut self, roll: u64, r: &RollRequest, names: [&str; 2], value: f64) -> bool {
        let open = self.open.get(&r.holder).copied();
        let (record, new) = match open {
            // A roll first asked for when its series had settled is valued at its first
            // workable attempt.
            Some(i) if self.records[i].value_usd == 0.0 && value > 0.0 => {
                self.records[i].value_usd = value;
                (i, true)
            }
            Some(i) => (i, false),
            None => {
                self.records.push(RollRecord {
                    holder: r.holder,
                    token: match r.token {
                        Token::P => "P",
                        Token::N => "N",
                    },
                    from: names[0].to_string(),
                    to: String::new(),
                    requested: r.at,
                    filled: None,
                    attempts: 0,
                    value_usd: value,
                    cost_usd: 0.0,
                    cost_vs_request_usd: 0.0,
                    maker_usd: 0.0,
                    not_done: None,
                });
                self.open.insert(r.holder, self.records.len() - 1);
                (self.records.len() - 1, true)
            }
        };
        let rec = &mut self.records[record];
        rec.attempts += 1;
        rec.to = names[1].to_string();
        rec.not_done = Some(NotDone::Working);
        let lots = [r.from.qty.round() as i64, r.to.qty.round() as i64];
        self.attempts.insert(roll, Attempt { record, lots });
        new
    }

    /// An attempt that cannot be worked (`why`): the roll stays open for the flow's retry.
    pub fn not_workable(&mut self, roll: u64, why: NotDone) {
        if let Some(a) = self.attempts.remove(&roll) {
            self.records[a.record].not_done = Some(why);
        }
    }

    /// Leg `leg` (0: out of the old series, 1: into the new) of `roll` traded `lots`, the maker's
    /// quotes or not, at `cost` and `cost_vs_request` USD.
    pub fn traded(&mut self, roll: u64, leg: usize, lots: i64, maker: bool, cost: [f64; 2]) {
        let Some(a) = self.attempts.get(&roll) else {
            return;
        };
        let rec = &mut self.records[a.record];
        rec.cost_usd += cost[0];
        rec.cost_vs_request_usd += cost[1];
        if maker && a.lots[leg] > 0 {
            rec.maker_usd += rec.value_usd * 0.5 * lots as f64 / a.lots[leg] as f64;
        }
    }

    /// The last leg of `roll` was done at `at`.
    pub fn completed(&mut self, roll: u64, at: Timestamp) {
        let Some(a) = self.attempts.remove(&roll) else {
            return;
        };
        let rec = &mut self.records[a.record];
        rec.filled = Some(at);
        rec.not_done = None;
        self.open.remove(&rec.holder);
    }

    /// An impatient holder gave up on `roll` (the flow retries it later).
    pub fn gave_up(&mut self, roll: u64) {
        self.not_workable(roll, NotDone::GaveUp);
    }
}

fn opt_text<S: serde::Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.collect_str(t),
        None => s.serialize_str(""),
    }
}

fn not_done_text<S: serde::Serializer>(n: &Option<NotDone>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(n.map_or("", NotDone::as_str))
}

/// What the rolls came to: the summary's roll figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RollStats {
    /// Rolls asked for (a roll and its retries once).
    pub requests: u64,
    /// Their value at request, and the part done (every leg traded, by any route).
    pub demand_usd: f64,
    pub done_usd: f64,
    /// Share of the demand's value the maker's quotes filled (1: the maker filled every leg).
    pub maker_fill_ratio: f64,
    /// Share of the demand's value done within 24 hours of the request.
    pub filled_within_24h: f64,
    /// Hours from request to the last leg, over the rolls done (value-weighted percentiles).
    pub hours_to_fill: Percentiles,
    /// The done rolls' cost against fair over their value, bps (a roll's average).
    pub cost_bps_per_roll: f64,
    /// Rolls not done at the end, by why.
    pub not_done: std::collections::BTreeMap<String, u64>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
}

impl RollLog {
    pub fn stats(&self) -> RollStats {
        let mut s = RollStats {
            requests: self.records.len() as u64,
            ..RollStats::default()
        };
        let mut done: Vec<(f64, f64)> = Vec::new();
        let (mut cost, mut maker) = (0.0, 0.0);
        for r in &self.records {
            s.demand_usd += r.value_usd;
            maker += r.maker_usd;
            match (r.hours_to_fill(), r.not_done) {
                (Some(h), _) => {
                    s.done_usd += r.value_usd;
                    cost += r.cost_usd;
                    done.push((h, r.value_usd));
                    if h <= 24.0 {
                        s.filled_within_24h += r.value_usd;
                    }
                }
                (None, why) => {
                    let why = why.unwrap_or(NotDone::Working).as_str().to_string();
                    *s.not_done.entry(why).or_default() += 1;
                }
            }
        }
        if s.demand_usd > 0.0 {
            s.maker_fill_ratio = maker / s.demand_usd;
            s.filled_within_24h /= s.demand_usd;
        }
        if s.done_usd > 0.0 {
            s.cost_bps_per_roll = 1e4 * cost / s.done_usd;
        }
        s.hours_to_fill = weighted_percentiles(&mut done);
        s
    }
}

/// The 50th, 90th and 99th percentiles of `(value, weight)` pairs, by weight (zeros if empty):
/// the least value at or below which that share of the weight lies.
fn weighted_percentiles(v: &mut [(f64, f64)]) -> Percentiles {
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = v.iter().map(|x| x.1).sum();
    let at = |q: f64| {
        let mut seen = 0.0;
        for &(x, w) in v.iter() {
            seen += w;
            if seen >= q * total {
                return x;
            }
        }
        v.last().map_or(0.0, |x| x.0)
    };
    Percentiles {
        p50: at(0.5),
        p90: at(0.9),
        p99: at(0.99),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roll_flow::{Position, Trigger};
    use engine::instrument::Expiry;
    use engine::InstrumentId;

    const HOUR: i64 = 3600 * 1_000_000_000;

    fn request(holder: usize, at_hours: i64, retry: bool) -> RollRequest {
        let position = |qty| Position {
            strike: 2000.0,
            expiry: Expiry::parse("27MAR26").unwrap(),
            call: InstrumentId(0),
            qty,
        };
        RollRequest {
            holder,
            token: Token::P,
            at: Timestamp(at_hours * HOUR),
            trigger: Trigger::NearExpiry,
            from: position(4.0),
            to: position(5.0),
            patient: true,
            deadline: Timestamp(i64::MAX),
            max_slippage_bps: 5.0,
            retry,
        }
    }

    #[test]
    fn a_roll_and_its_retry_are_one_roll_timed_from_the_first_request() {
        let mut log = RollLog::default();
        let names = ["ETH-27MAR26-2000-C", "ETH-24APR26-1800-C"];
        assert!(log.requested(0, &request(7, 0, false), names, 8000.0));
        log.gave_up(0);
        // Asked again 30 hours on: the same roll, its demand not counted again.
        assert!(!log.requested(1, &request(7, 30, true), names, 8100.0));
        // The maker fills the whole of the first leg (4 lots), the venue the second.
        log.traded(1, 0, 4, true, [10.0, 12.0]);
        log.traded(1, 1, 5, false, [20.0, 15.0]);
        log.completed(1, Timestamp(31 * HOUR));
        let r = &log.records[0];
        assert_eq!((r.attempts, r.hours_to_fill()), (2, Some(31.0)));
        assert_eq!((r.cost_usd, r.cost_vs_request_usd), (30.0, 27.0));
        assert_eq!(r.maker_usd, 4000.0, "half the roll's value");
        let s = log.stats();
        assert_eq!(s.requests, 1);
        assert_eq!(s.maker_fill_ratio, 0.5);
        assert_eq!(s.filled_within_24h, 0.0);
        assert_eq!(s.cost_bps_per_roll, 1e4 * 30.0 / 8000.0);
        assert!(s.not_done.is_empty());
    }

    #[test]
    fn rolls_not_done_say_why_and_weigh_in_the_shares_by_value() {
        let mut log = RollLog::default();
        let names = ["ETH-27MAR26-2000-C", "ETH-24APR26-1800-C"];
        for (holder, hours) in [(1, 2), (2, 20), (3, 40)] {
            let roll = holder as u64;
            log.requested(
                roll,
                &request(holder, 0, false),
                names,
                1000.0 * holder as f64,
            );
            log.traded(roll, 0, 4, true, [0.0, 0.0]);
            log.traded(roll, 1, 5, true, [0.0, 0.0]);
            log.completed(roll, Timestamp(hours * HOUR));
        }
        log.requested(4, &request(4, 0, false), names, 4000.0);
        log.not_workable(4, NotDone::SeriesGone);
        log.requested(5, &request(5, 0, false), names, 0.0);
        let s = log.stats();
        // 1000 and 2000 of 10,000 within a day; the maker filled 6000 of it.
        assert_eq!(s.filled_within_24h, 0.3);
        assert_eq!(s.maker_fill_ratio, 0.6);
        let hours = (s.hours_to_fill.p50, s.hours_to_fill.p90);
        assert_eq!(
            hours,
            (20.0, 40.0),
            "half the done value was done by 20 hours"
        );
        let why: Vec<(&str, u64)> = s.not_done.iter().map(|(w, n)| (w.as_str(), *n)).collect();
        assert_eq!(why, [("series_gone", 1), ("working", 1)]);
    }

    #[test]
    fn a_roll_first_asked_for_unpriced_is_valued_when_it_can_be() {
        let mut log = RollLog::default();
        let names = ["ETH-27MAR26-2000-C", "ETH-24APR26-1800-C"];
        assert!(log.requested(0, &request(1, 0, false), names, 0.0));
        log.not_workable(0, NotDone::SeriesGone);
        assert!(log.requested(1, &request(1, 1, true), names, 500.0));
        assert_eq!(log.records[0].value_usd, 500.0);
        assert!(!log.requested(2, &request(1, 2, true), names, 600.0));
    }
}
