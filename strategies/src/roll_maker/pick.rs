//! Which sides of which series a requote quotes, each declared to the limiter before any is
//! sized; the series it cannot quote are pulled, saying why.

use super::{age, side, RollMaker};
use engine::state::State;
use engine::strategy::{PullReason, Pulled, Wanted};
use engine::units::Side;
use engine::Timestamp;

/// One side of one series to quote this requote.
#[derive(Clone, Copy, Debug)]
pub(super) struct Job {
    pub series: usize,
    pub side: Side,
    pub sizing: side::Sizing,
}

impl RollMaker {
    /// The sides quoted this requote, in series order, into `self.jobs`, each declared to the
    /// limiter with the ladder's lots; a series whose book is stale or quiet, or that has no
    /// vol, is pulled instead, saying why.
    pub(super) fn pick_sides(&mut self, state: &State, out: &mut Wanted) {
        let config = &self.config;
        let ladder = config.size.levels.iter().map(|l| l.lots).sum::<i64>() as f64;
        let book_stale_nanos = (config.stale.book_seconds * Timestamp::NANOS_PER_SEC as f64) as i64;
        self.jobs.clear();
        let series = state.series.iter().zip(&self.priced).enumerate();
        for ((i, (s, p)), (sides, layoff)) in series.zip(self.sides.iter().zip(&self.layoff)) {
            if sides.is_empty() && layoff.is_none() {
                continue;
            }
            let pulled = if !s.top.live {
                Some(PullReason::BookStale)
            } else if state.now.0 - s.top.updated.0 > book_stale_nanos {
                Some(PullReason::BookQuiet {
                    age_seconds: age(state.now, s.top.updated),
                })
            } else if !p.ok {
                Some(PullReason::NoVol)
            } else {
                None
            };
            if let Some(reason) = pulled {
                out.pulled.push(Pulled {
                    series: Some(s.id),
                    reason,
                });
                continue;
            }
            let quoted = sides.iter().map(|&side| (side, false));
            for (side, reduce_only) in quoted.chain(layoff.map(|side| (side, true))) {
                let sizing = side::Sizing::of(config, s, side, reduce_only);
                let e = side::per_contract(p, side);
                self.limiter
                    .may_admit(s.expiry, e, ladder * s.lot, sizing.adds_gross);
                self.jobs.push(Job {
                    series: i,
                    side,
                    sizing,
                });
            }
        }
    }
}
