//! Market Maker Protection at the local venue, as Deribit runs it for orders (mass quotes
//! apart): an account's configuration for `eth_usd` (`private/set_mmp_config`: a window of
//! `interval` seconds from its first fill, a `quantity_limit` in contracts, `frozen_time`
//! seconds, 0 meaning until `private/reset_mmp`); the fills of its `mmp`-tagged orders counted
//! in the window; past the limit, every open `mmp` order of the account cancelled, the account
//! frozen (new `mmp` orders refused, others not) and told on `user.mmp_trigger.eth_usd`. Limits
//! on delta, vega and the maximum quote quantity are not enforced here. Time is the wall's:
//! protection is about how fast fills come, whatever the market's calendar.

use super::{invalid, Changes, Refusal, Trading};
use engine::matching::OwnerId;
use serde_json::{json, Value};

/// The only index the local venue lists.
pub const INDEX: &str = "eth_usd";
/// The refusal of an `mmp` order while frozen (this venue's code: clients should not need it).
pub const MMP_FROZEN: i64 = 11_098;

#[derive(Clone, Debug, PartialEq)]
pub struct Protection {
    interval_ms: i64,
    /// 0: until reset.
    frozen_ms: i64,
    quantity_limit: f64,
    /// The window's start and the contracts traded in it.
    window: Option<(i64, f64)>,
    /// Frozen until then (`i64::MAX`: until reset).
    frozen_until: Option<i64>,
}

impl Protection {
    /// The freeze as Deribit tells it (`frozen_until` 0: until a reset).
    fn told(&self) -> Value {
        let until = self.frozen_until.filter(|t| *t != i64::MAX).unwrap_or(0);
        json!({"index_name": INDEX, "frozen_until": until})
    }
}

impl Trading {
    /// `private/set_mmp_config` for `owner`: the configuration back, as Deribit answers it
    /// (`interval` 0 removes it).
    pub fn set_mmp(&mut self, owner: OwnerId, p: &Value) -> Result<Value, Refusal> {
        if p["index_name"].as_str() != Some(INDEX) {
            return Err(invalid(format!(
                "index_name {} (only {INDEX})",
                p["index_name"]
            )));
        }
        let whole = |k: &str| p[k].as_i64().filter(|v| (0..=3600).contains(v));
        let interval = whole("interval").ok_or_else(|| invalid("interval 0 to 3600".into()))?;
        let frozen = whole("frozen_time").ok_or_else(|| invalid("frozen_time 0 to 3600".into()))?;
        if interval == 0 {
            self.mmp.remove(&owner.0);
            return Ok(json!([]));
        }
        let limit = (p["quantity_limit"].as_f64())
            .filter(|q| q.is_finite() && *q > 0.0)
            .ok_or_else(|| invalid("quantity_limit above 0".into()))?;
        // Set again (every sign-in), the limits change; a freeze on, and the window, stay.
        let was = self.mmp.remove(&owner.0);
        self.mmp.insert(
            owner.0,
            Protection {
                interval_ms: interval * 1000,
                frozen_ms: frozen * 1000,
                quantity_limit: limit,
                window: was.as_ref().and_then(|p| p.window),
                frozen_until: was.and_then(|p| p.frozen_until),
            },
        );
        Ok(self.mmp_config(owner))
    }

    /// `private/get_mmp_config`: the account's configuration (none: an empty list).
    pub fn mmp_config(&self, owner: OwnerId) -> Value {
        let Some(m) = self.mmp.get(&owner.0) else {
            return json!([]);
        };
        json!([{"index_name": INDEX, "interval": m.interval_ms / 1000,
                "frozen_time": m.frozen_ms / 1000, "quantity_limit": m.quantity_limit}])
    }

    /// `private/reset_mmp`: trading again, the window's count back to nothing.
    pub fn reset_mmp(&mut self, owner: OwnerId) -> Value {
        if let Some(m) = self.mmp.get_mut(&owner.0) {
            (m.window, m.frozen_until) = (None, None);
        }
        json!("ok")
    }

    /// `private/get_mmp_status`: the account's freeze, if it is frozen now (`frozen_until` 0:
    /// until a reset).
    pub fn mmp_status(&self, owner: OwnerId) -> Value {
        match self.mmp.get(&owner.0) {
            Some(m) if self.mmp_frozen(owner) => json!([m.told()]),
            _ => json!([]),
        }
    }

    /// Whether `owner`'s `mmp` orders are refused now.
    pub(super) fn mmp_frozen(&self, owner: OwnerId) -> bool {
        let now = self.now_ms;
        (self.mmp.get(&owner.0)).is_some_and(|m| m.frozen_until.is_some_and(|t| now < t))
    }

    /// A fill of `qty` contracts on an `mmp` order of `owner`: counted in its window; past the
    /// limit, the account is tripped (at the end of the request: [`Trading::trip_mmp`]).
    pub(super) fn count_mmp(&mut self, owner: OwnerId, qty: f64) {
        let now = self.now_ms;
        let Some(m) = self.mmp.get_mut(&owner.0) else {
            return;
        };
        let (start, traded) = match m.window {
            Some((start, traded)) if now - start < m.interval_ms => (start, traded),
            _ => (now, 0.0),
        };
        let traded = traded + qty.abs();
        m.window = Some((start, traded));
        if traded > m.quantity_limit && m.frozen_until.is_none_or(|t| now >= t) {
            m.frozen_until = Some(match m.frozen_ms {
                0 => i64::MAX,
                f => now + f,
            });
            self.tripped.push(owner);
        }
    }

    /// The accounts tripped: every open `mmp` order of theirs cancelled, each told.
    pub(super) fn trip_mmp(&mut self, changes: &mut Changes) {
        for owner in std::mem::take(&mut self.tripped) {
            let keys: Vec<_> = (self.orders.iter())
                .filter(|(_, o)| o.owner == owner && o.mmp && o.state == "open")
                .map(|(k, _)| *k)
                .collect();
            for key in keys {
                self.cancel(owner, key, changes);
            }
            if let Some(m) = self.mmp.get(&owner.0) {
                changes.mmp.push((owner.0, m.told()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Changes, Request, Trading};
    use super::*;
    use engine::matching::{PostOnly, TimeInForce};
    use engine::{Instrument, Instruments, Side};

    fn order(owner: u32, side: Side, price: f64, label: &str, mmp: bool) -> Request<'_> {
        Request {
            owner: OwnerId(owner),
            instrument: "ETH-27MAR26-2000-C",
            side,
            price,
            amount: 1.0,
            label,
            post_only: if mmp { PostOnly::Reject } else { PostOnly::Off },
            tif: TimeInForce::GoodTilCancelled,
            mmp,
        }
    }

    #[test]
    fn past_the_limit_mmp_orders_are_cancelled_and_refused_until_the_freeze_ends() {
        let mut instruments = Instruments::new();
        instruments
            .intern(Instrument::deribit("ETH-27MAR26-2000-C").unwrap())
            .unwrap();
        let mut t = Trading::new(instruments);
        t.now_ms = 1_000_000;
        let maker = OwnerId(1);
        let config = json!({"index_name": "eth_usd", "interval": 5, "frozen_time": 2,
                            "quantity_limit": 1.5});
        assert_eq!(t.set_mmp(maker, &config).unwrap()[0]["quantity_limit"], 1.5);
        assert!(t.set_mmp(maker, &json!({"index_name": "btc_usd"})).is_err());
        let mut c = Changes::default();
        for (label, price) in [("a", 0.05), ("b", 0.06), ("c", 0.07)] {
            t.place(order(1, Side::Sell, price, label, true), &mut c)
                .unwrap();
        }
        t.place(order(1, Side::Sell, 0.08, "plain", false), &mut c)
            .unwrap();
        // One contract taken: within the limit.
        t.place(order(2, Side::Buy, 0.05, "", false), &mut c)
            .unwrap();
        assert!(c.mmp.is_empty() && !t.mmp_frozen(maker));
        // A second: past it. The other mmp orders go; the plain one stays; the maker is told.
        let mut c = Changes::default();
        t.place(order(2, Side::Buy, 0.06, "", false), &mut c)
            .unwrap();
        assert_eq!(c.mmp.len(), 1);
        assert_eq!(c.mmp[0].1["frozen_until"], 1_002_000);
        let open: Vec<String> = (t.open_orders(maker).iter())
            .map(|o| o["label"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(open, ["plain"]);
        assert_eq!(t.mmp_status(maker)[0]["frozen_until"], 1_002_000);
        t.set_mmp(maker, &config).unwrap();
        assert!(t.mmp_frozen(maker), "set again, still frozen");
        let refused = t.place(order(1, Side::Sell, 0.09, "d", true), &mut c);
        assert_eq!(refused.unwrap_err().0, MMP_FROZEN);
        t.place(order(1, Side::Sell, 0.09, "e", false), &mut c)
            .unwrap();
        // The freeze over, mmp orders are taken again; a reset ends one early.
        t.now_ms += 2_000;
        assert_eq!(t.mmp_status(maker), json!([]));
        t.place(order(1, Side::Sell, 0.10, "f", true), &mut c)
            .unwrap();
        if let Some(m) = t.mmp.get_mut(&1) {
            m.frozen_until = Some(i64::MAX);
        }
        assert!(t.mmp_frozen(maker));
        t.reset_mmp(maker);
        assert!(!t.mmp_frozen(maker));
        assert_eq!(
            t.set_mmp(
                maker,
                &json!({"index_name": "eth_usd", "interval": 0, "frozen_time": 0})
            )
            .unwrap(),
            json!([])
        );
        assert_eq!(t.mmp_config(maker), json!([]));
    }
}
