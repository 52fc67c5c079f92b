//! Roll demand: a seeded population of P holders that roll when their triggers fire (ROLLS.md,
//! "The roll-flow model").
//!
//! - The population starts in a steady state, as if it had been rolling before the window: strike
//!   ratios K/S drawn from `[strike_ratio_min, strike_ratio_max]`, expiries spread over the listed
//!   monthlies and quarterlies, so that a window of any length sees some holders reach a trigger.
//! - A holder rolls when S/K falls below its `roll_ratio` or its expiry is within `roll_days` (both
//!   jittered per holder).
//! - It rolls into K2 = the listed strike at or below S·`target_ratio`, at T2 = the first listed
//!   expiry at least `horizon_days` out, keeping its position's USD value:
//!   q2 = q1·value(P1)/value(P2).
//! - Patient holders rest their roll for `patience_hours`; impatient ones cross with a limit
//!   `max_slippage_bps` through fair value. A roll not done by its deadline is retried after
//!   `retry_minutes`, and counted.
//! - Optionally (`n_holders`), N holders too: leveraged longs that roll up in strike when the
//!   index has risen far above theirs, and on expiry.

use engine::instrument::Expiry;
pub use engine::pricing::tokens::Token;
use engine::{InstrumentId, Timestamp};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollFlowConfig {
    pub holders: usize,
    /// Total USD value of the P positions at the start.
    pub notional_usd: f64,
    pub strike_ratio_min: f64,
    pub strike_ratio_max: f64,
    pub roll_ratio: f64,
    pub roll_days: f64,
    pub target_ratio: f64,
    pub horizon_days: f64,
    /// Relative spread of each holder's triggers around the configured ones.
    pub jitter: f64,
    /// Share of holders that rest their rolls.
    pub patient_share: f64,
    pub patience_hours: f64,
    pub max_slippage_bps: f64,
    pub retry_minutes: f64,
    /// N holders (leveraged longs: N is a call), rolling the other way: up in strike when the
    /// index has risen to `n_roll_ratio` times their strike (their leverage fell), into the
    /// listed strike at or below S·`n_target_ratio`; and on expiry like P holders. 0 by default.
    pub n_holders: usize,
    pub n_notional_usd: f64,
    pub n_strike_ratio_min: f64,
    pub n_strike_ratio_max: f64,
    pub n_roll_ratio: f64,
    pub n_target_ratio: f64,
}

impl Default for RollFlowConfig {
    fn default() -> Self {
        RollFlowConfig {
            holders: 200,
            notional_usd: 10_000_000.0,
            strike_ratio_min: 0.5,
            strike_ratio_max: 0.8,
            roll_ratio: 1.25,
            roll_days: 3.0,
            target_ratio: 0.6,
            horizon_days: 25.0,
            jitter: 0.05,
            patient_share: 0.7,
            patience_hours: 24.0,
            max_slippage_bps: 50.0,
            retry_minutes: 60.0,
            n_holders: 0,
            n_notional_usd: 2_000_000.0,
            n_strike_ratio_min: 0.5,
            n_strike_ratio_max: 0.8,
            n_roll_ratio: 1.6,
            n_target_ratio: 0.7,
        }
    }
}

/// A P position: `qty` tokens of P(strike, expiry), traded and priced through `call`, the
/// market's call of that series (P = S - C).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Position {
    pub strike: f64,
    pub expiry: Expiry,
    pub call: InstrumentId,
    pub qty: f64,
}

/// One listed call: the series a holder may hold or roll into.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ListedCall {
    pub strike: f64,
    pub id: InstrumentId,
}

/// An expiry the market lists now and its calls, by ascending strike: what the flow picks its
/// holders' series from (by instrument, so a roll names the series it trades).
#[derive(Clone, Debug, PartialEq)]
pub struct ListedCalls {
    pub expiry: Expiry,
    pub calls: Vec<ListedCall>,
}

/// The calls of `listing` grouped by expiry (ascending) and strike (ascending, one per strike).
pub fn group_by_expiry(
    listing: impl IntoIterator<Item = (Expiry, ListedCall)>,
) -> Vec<ListedCalls> {
    let mut by: std::collections::BTreeMap<Expiry, Vec<ListedCall>> = Default::default();
    for (expiry, call) in listing {
        by.entry(expiry).or_default().push(call);
    }
    by.into_iter()
        .map(|(expiry, mut calls)| {
            calls.sort_by(|a, b| a.strike.total_cmp(&b.strike));
            calls.dedup_by(|a, b| a.strike == b.strike);
            ListedCalls { expiry, calls }
        })
        .collect()
}

/// The listed call at or below `level` (the highest such strike).
fn call_at_or_below(calls: &[ListedCall], level: f64) -> Option<ListedCall> {
    calls.iter().rev().find(|c| c.strike <= level).copied()
}

/// One holder and its own (jittered) triggers.
#[derive(Clone, Debug, PartialEq)]
pub struct Holder {
    pub id: usize,
    /// P (a dollar claim) or N (a call).
    pub token: Token,
    pub position: Position,
    pub roll_ratio: f64,
    pub roll_days: f64,
    pub patient: bool,
    /// A roll in progress: no new request until it is done or its deadline passes.
    pub rolling_until: Option<Timestamp>,
    /// After a missed deadline: not before this time.
    pub retry_at: Option<Timestamp>,
}

/// Why a holder rolls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// P: the index fell near the strike.
    NearStrike,
    NearExpiry,
    /// N: the index rose far above the strike.
    LeverageFell,
}

impl Holder {
    /// Why the holder rolls at `now`, index at `index`, if it does.
    fn trigger(&self, now: Timestamp, index: f64) -> Option<Trigger> {
        let (strike, ratio) = (self.position.strike, self.roll_ratio);
        let days_left = now.years_until(self.position.expiry.settlement_time()) * 365.0;
        if self.token == Token::P && index < ratio * strike {
            Some(Trigger::NearStrike)
        } else if self.token == Token::N && index > ratio * strike {
            Some(Trigger::LeverageFell)
        } else if days_left < self.roll_days {
            Some(Trigger::NearExpiry)
        } else {
            None
        }
    }
}

impl Trigger {
    /// Whether rolling from strike `held` into `target` answers the trigger: a strike trigger
    /// wants a strike further away (down for P, up for N); where the listing has none yet, the
    /// holder waits rather than rolling in place.
    fn wants(self, target: f64, held: f64) -> bool {
        match self {
            Trigger::NearStrike => target < held,
            Trigger::LeverageFell => target > held,
            Trigger::NearExpiry => true,
        }
    }
}

/// A roll a holder wants done: sell `from`, buy `to`.
#[derive(Clone, Debug, PartialEq)]
pub struct RollRequest {
    pub holder: usize,
    pub token: Token,
    pub at: Timestamp,
    pub trigger: Trigger,
    pub from: Position,
    pub to: Position,
    pub patient: bool,
    /// Patient: rest until then. Impatient: the limit is `max_slippage_bps` through fair.
    pub deadline: Timestamp,
    pub max_slippage_bps: f64,
    /// The same roll again after a missed deadline (its demand was counted the first time).
    pub retry: bool,
}

pub struct RollFlow {
    config: RollFlowConfig,
    holders: Vec<Holder>,
    /// Requests whose deadline passed unfilled.
    pub missed: u64,
}

/// Expiries of a listing a holder may hold: the monthlies and quarterlies (last Fridays).
fn long_dated(listing: &[ListedCalls]) -> Vec<&ListedCalls> {
    use chrono::{Datelike, Duration, Weekday};
    listing
        .iter()
        .filter(|e| {
            let d = e.expiry.date();
            d.weekday() == Weekday::Fri && (d + Duration::days(7)).month() != d.month()
        })
        .collect()
}

/// A token's USD value from the P value: N = S - P (P + N = 1 ETH).
fn token_value(token: Token, index: f64, value_p: f64) -> f64 {
    match token {
        Token::P => value_p,
        Token::N => index - value_p,
    }
}

impl RollFlow {
    /// The steady-state population at `now`, index at `index`, on `listing` (P holders, then N
    /// holders); `value_p(call)` is the USD value of the P token of call `call`'s series (N's is
    /// S minus it).
    pub fn new(
        config: RollFlowConfig,
        index: f64,
        listing: &[ListedCalls],
        value_p: impl Fn(InstrumentId) -> f64,
        seed: u64,
    ) -> RollFlow {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let expiries = long_dated(listing);
        let mut holders = Vec::new();
        let groups = [
            (
                Token::P,
                config.holders,
                config.notional_usd,
                config.strike_ratio_min,
                config.strike_ratio_max,
                config.roll_ratio,
            ),
            (
                Token::N,
                config.n_holders,
                config.n_notional_usd,
                config.n_strike_ratio_min,
                config.n_strike_ratio_max,
                config.n_roll_ratio,
            ),
        ];
        for (token, count, notional, lo, hi, roll_ratio) in groups {
            let per_holder = notional / count.max(1) as f64;
            for _ in 0..count {
                let id = holders.len();
                let Some(e) = expiries.get(rng.random_range(0..expiries.len().max(1))) else {
                    continue;
                };
                let ratio = rng.random_range(lo..=hi);
                // The listed strike nearest below the drawn ratio.
                let Some(call) = call_at_or_below(&e.calls, ratio * index) else {
                    continue;
                };
                let value = token_value(token, index, value_p(call.id));
                let jitter =
                    |rng: &mut ChaCha8Rng| 1.0 + config.jitter * rng.random_range(-1.0..=1.0);
                holders.push(Holder {
                    id,
                    token,
                    position: Position {
                        strike: call.strike,
                        expiry: e.expiry,
                        call: call.id,
                        qty: per_holder / value,
                    },
                    roll_ratio: roll_ratio * jitter(&mut rng),
                    roll_days: config.roll_days * jitter(&mut rng),
                    patient: rng.random::<f64>() < config.patient_share,
                    rolling_until: None,
                    retry_at: None,
                });
            }
        }
        RollFlow {
            config,
            holders,
            missed: 0,
        }
    }

    pub fn holders(&self) -> &[Holder] {
        &self.holders
    }

    /// The holders' notional at the start (P and N), USD.
    pub fn notional_usd(&self) -> f64 {
        let c = &self.config;
        let n = if c.n_holders > 0 {
            c.n_notional_usd
        } else {
            0.0
        };
        let p = if c.holders > 0 { c.notional_usd } else { 0.0 };
        p + n
    }

    /// The rolls whose triggers fire at `now`, appended to `out`.
    pub fn step(
        &mut self,
        now: Timestamp,
        index: f64,
        listing: &[ListedCalls],
        value_p: impl Fn(InstrumentId) -> f64,
        out: &mut Vec<RollRequest>,
    ) {
        let c = &self.config;
        let horizon = now.0 + (c.horizon_days * 86_400e9) as i64;
        let target_expiry = listing
            .iter()
            .find(|e| e.expiry.settlement_time().0 >= horizon);
        for h in &mut self.holders {
            if let Some(until) = h.rolling_until {
                if now < until {
                    continue;
                }
                // The deadline passed without the roll being done: retry later.
                h.rolling_until = None;
                h.retry_at = Some(Timestamp(now.0 + (c.retry_minutes * 60e9) as i64));
                self.missed += 1;
            }
            if h.retry_at.is_some_and(|r| now < r) {
                continue;
            }
            let Some(trigger) = h.trigger(now, index) else {
                continue;
            };
            let Some(target) = target_expiry else {
                continue;
            };
            let target_ratio = match h.token {
                Token::P => c.target_ratio,
                Token::N => c.n_target_ratio,
            };
            let Some(ListedCall { strike, id: call }) =
                call_at_or_below(&target.calls, target_ratio * index)
            else {
                continue;
            };
            if !trigger.wants(strike, h.position.strike) {
                continue;
            }
            let to_value = token_value(h.token, index, value_p(call));
            let from_value = token_value(h.token, index, value_p(h.position.call));
            if !(to_value > 0.0 && from_value.is_finite()) {
                continue;
            }
            let deadline = if h.patient {
                Timestamp(now.0 + (c.patience_hours * 3600e9) as i64)
            } else {
                Timestamp(now.0 + 60_000_000_000)
            };
            h.rolling_until = Some(deadline);
            let retry = h.retry_at.take().is_some();
            out.push(RollRequest {
                holder: h.id,
                token: h.token,
                at: now,
                trigger,
                from: h.position,
                to: Position {
                    strike,
                    expiry: target.expiry,
                    call,
                    qty: h.position.qty * from_value / to_value,
                },
                patient: h.patient,
                deadline,
                max_slippage_bps: c.max_slippage_bps,
                retry,
            });
        }
    }

    /// The roll of `holder` was done: it now holds `to`.
    pub fn completed(&mut self, holder: usize, to: Position) {
        if let Some(h) = self.holders.iter_mut().find(|h| h.id == holder) {
            h.position = to;
            h.rolling_until = None;
            h.retry_at = None;
        }
    }
}
