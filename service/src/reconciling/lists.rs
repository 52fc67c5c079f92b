//! The venue's lists one reconcile asks for, as they come in: the open orders, our recent trades
//! (Deribit keeps the last 24 hours as recent), the positions, the deliveries, and our trades
//! since the last fill journaled, historical ones included (`historical=true`, a thousand a
//! page, oldest first, paged on while the venue says there are more), and, with Market Maker
//! Protection on, whether it is frozen (a trigger while the connection was down is told by no
//! channel). A trade in both lists is one fill: the tracker tells each trade id once.

use crate::desk::{history_params, mmp_index, OWN_TAGS};
use connectors::deribit::session::Out;
use serde_json::{json, Value};

pub(crate) const METHODS: [&str; 6] = [
    "private/get_open_orders_by_currency",
    "private/get_user_trades_by_currency",
    "private/get_positions",
    "private/get_settlement_history_by_currency",
    "private/get_user_trades_by_currency_and_time",
    "private/get_mmp_status",
];
/// The list that pages.
const SINCE: usize = 4;
/// How far before the last journaled fill the trades since it are asked from (clocks differ).
const SLACK_MS: i64 = 60_000;

/// One reconcile's lists, as they come in.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reconciling {
    pub(crate) attempt: u64,
    /// Reconciles in a row, this one's predecessors, whose positions differed from the venue's.
    pub(crate) gap_looks: u32,
    lists: Box<[Option<Value>; 6]>,
    /// The trades since the last fill, pages so far, and the last page's request.
    since: Vec<Value>,
    since_params: Value,
}

/// The venue's lists, all in; `trades` the recent ones and those since the last fill together.
#[derive(Debug)]
pub struct Lists {
    pub open: Value,
    pub trades: Value,
    pub positions: Value,
    pub deliveries: Value,
    /// Market Maker Protection frozen: `[{index_name, frozen_until}]`, or none.
    pub mmp: Value,
}

/// What a reply means for the reconcile.
#[derive(Debug)]
pub enum Progress {
    Waiting,
    /// Ask for the next page: this request, under this tag.
    Page {
        tag: u64,
        params: Value,
    },
    Done(Box<Lists>),
    Failed(String),
}

impl Reconciling {
    pub(crate) fn tag(attempt: u64, k: u64) -> u64 {
        // Past the desk's first own tags (the cancel-all, the settlement history).
        OWN_TAGS + 16 + attempt * 8 + k
    }

    /// Attempt `attempt` for `currency`, the last fill journaled at `last_fill_ms` (none: no
    /// trades since it are asked for), at `now_ms`, with Market Maker Protection on or not; the
    /// requests to send: (tag, method, params).
    pub fn start(
        attempt: u64,
        currency: &str,
        (last_fill_ms, now_ms): (Option<i64>, i64),
        mmp: bool,
    ) -> (Reconciling, Vec<(u64, &'static str, Value)>) {
        let mut r = Reconciling {
            attempt,
            ..Reconciling::default()
        };
        let since = last_fill_ms.map(|last| {
            json!({"currency": currency, "start_timestamp": last - SLACK_MS,
                   "end_timestamp": now_ms.max(last) + 86_400_000, "count": 1000,
                   "sorting": "asc", "historical": true})
        });
        let params = [
            Some(json!({"currency": currency})),
            // The recent trades (the last 24 h), newest first.
            Some(json!({"currency": currency, "count": 1000})),
            Some(json!({"currency": currency})),
            Some(history_params(currency)),
            since.clone(),
            mmp.then(|| json!({ "index_name": mmp_index(currency) })),
        ];
        let mut asks = Vec::new();
        for (k, (method, p)) in METHODS.into_iter().zip(params).enumerate() {
            match p {
                Some(p) => asks.push((Self::tag(attempt, k as u64), method, p)),
                None => r.lists[k] = Some(json!([])),
            }
        }
        r.since_params = since.unwrap_or_default();
        (r, asks)
    }

    /// A reply to one of this reconcile's requests; None for another's.
    pub fn on_reply(&mut self, tag: u64, out: Out) -> Option<Progress> {
        let k = (0..6).find(|k| Self::tag(self.attempt, *k) == tag)? as usize;
        let result = match out {
            Out::Answer { result, .. } => result,
            Out::Refused {
                method,
                code,
                message,
                ..
            } => {
                return Some(Progress::Failed(format!(
                    "{method} refused: {code} {message}"
                )))
            }
            Out::TimedOut { method, .. } => {
                return Some(Progress::Failed(format!("{method} timed out")))
            }
            _ => return None,
        };
        if k == SINCE {
            if let Some(next) = self.page(&result) {
                self.since_params["start_timestamp"] = json!(next);
                let params = self.since_params.clone();
                return Some(Progress::Page { tag, params });
            }
            self.lists[SINCE] = Some(json!(std::mem::take(&mut self.since)));
        } else {
            self.lists[k] = Some(result);
        }
        Some(
            self.lists()
                .map_or(Progress::Waiting, |l| Progress::Done(Box::new(l))),
        )
    }

    /// One page of the trades since the last fill kept; where the next one starts, if the venue
    /// has more.
    fn page(&mut self, result: &Value) -> Option<i64> {
        let trades = (result["trades"].as_array()).map_or(&[][..], Vec::as_slice);
        self.since.extend(trades.iter().cloned());
        let last = trades.last()?["timestamp"].as_i64()?;
        if result["has_more"] != json!(true) {
            return None;
        }
        // Oldest first: the next page from the last one's time (the same millisecond's trades
        // come again, told once), on past it if the whole page was that millisecond.
        let start = self.since_params["start_timestamp"].as_i64().unwrap_or(0);
        Some(if last > start { last } else { start + 1 })
    }

    fn lists(&self) -> Option<Lists> {
        let [Some(o), Some(t), Some(p), Some(d), Some(s), Some(m)] = &*self.lists else {
            return None;
        };
        let recent = t
            .get("trades")
            .unwrap_or(t)
            .as_array()
            .cloned()
            .unwrap_or_default();
        let since = s.as_array().cloned().unwrap_or_default();
        let both = [recent, since].concat();
        Some(Lists {
            open: o.clone(),
            trades: json!({ "trades": both }),
            positions: p.clone(),
            deliveries: d.clone(),
            mmp: m.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(k: usize, result: Value) -> Out {
        Out::Answer {
            id: Reconciling::tag(2, k as u64),
            method: METHODS[k].into(),
            result,
        }
    }

    fn trade(id: &str, ts: i64) -> Value {
        json!({"trade_id": id, "timestamp": ts})
    }

    #[test]
    fn the_lists_come_once_all_are_in_the_trades_since_paged_and_a_refusal_ends_it() {
        let (mut r, asks) = Reconciling::start(2, "ETH", (Some(1_000_000), 5_000_000), true);
        assert_eq!(asks.len(), 6);
        assert_eq!(asks[5].2["index_name"], "eth_usd");
        assert_eq!(asks[4].2["start_timestamp"], json!(940_000));
        let tag = |k: usize| Reconciling::tag(2, k as u64);
        assert!(matches!(
            r.on_reply(tag(0), answer(0, json!([]))),
            Some(Progress::Waiting)
        ));
        // A reply to an older attempt is not this one's.
        assert!(r
            .on_reply(Reconciling::tag(1, 1), answer(1, json!([])))
            .is_none());
        r.on_reply(tag(2), answer(2, json!([])));
        r.on_reply(tag(3), answer(3, json!({"settlements": []})));
        r.on_reply(tag(5), answer(5, json!([])));
        r.on_reply(
            tag(1),
            answer(1, json!({"trades": [trade("T-3", 3_000_000)]})),
        );
        // Two pages of trades since the last fill, then the lists.
        let first = json!({"trades": [trade("T-1", 1_000_000), trade("T-2", 2_000_000)],
                           "has_more": true});
        let Some(Progress::Page { tag: again, params }) = r.on_reply(tag(4), answer(4, first))
        else {
            panic!("another page");
        };
        assert_eq!(
            (again, &params["start_timestamp"]),
            (tag(4), &json!(2_000_000))
        );
        let last = json!({"trades": [trade("T-2", 2_000_000), trade("T-3", 3_000_000)],
                          "has_more": false});
        let Some(Progress::Done(lists)) = r.on_reply(tag(4), answer(4, last)) else {
            panic!("all in");
        };
        let ids: Vec<&str> = (lists.trades["trades"].as_array().unwrap().iter())
            .map(|t| t["trade_id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            ["T-3", "T-1", "T-2", "T-2", "T-3"],
            "recent, then since (told once)"
        );
        let refused = Out::Refused {
            id: tag(2),
            method: METHODS[2].into(),
            code: 13009,
            message: "unauthorized".into(),
        };
        let Some(Progress::Failed(why)) = r.on_reply(tag(2), refused) else {
            panic!("failed");
        };
        assert_eq!(why, "private/get_positions refused: 13009 unauthorized");
        // No fill journaled: nothing asked since; no protection, no status.
        let (_, asks) = Reconciling::start(0, "ETH", (None, 5_000_000), false);
        assert_eq!(asks.len(), 4);
    }
}
