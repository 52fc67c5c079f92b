//! Which sides of which series a requote quotes, each declared to the limiter before any is
//! sized; the series it cannot quote are pulled, saying why.

use super::{age, side, RollMaker};
use crate::config::RollMakerConfig;
use engine::state::{SeriesState, State};
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

/// What deciding a series' jobs reads, taken once a requote.
pub(super) struct Picking<'a> {
    config: &'a RollMakerConfig,
    now: Timestamp,
    book_stale_nanos: i64,
}

impl Picking<'_> {
    pub fn new(config: &RollMakerConfig, now: Timestamp) -> Picking<'_> {
        let book_stale_nanos = (config.stale.book_seconds * Timestamp::NANOS_PER_SEC as f64) as i64;
        Picking {
            config,
            now,
            book_stale_nanos,
        }
    }

    /// Series `i`'s `sides`, then its `layoff` side (reduce-only), into `jobs`; or, when its
    /// book is stale or quiet or it has no vol (`has_vol` false), the series pulled, saying why.
    pub fn series(
        &self,
        (i, s): (usize, &SeriesState),
        sides: &[Side],
        layoff: Option<Side>,
        has_vol: bool,
        jobs: &mut Vec<Job>,
        out: &mut Wanted,
    ) {
        let pulled = if !s.top.live {
            Some(PullReason::BookStale)
        } else if self.now.0 - s.top.updated.0 > self.book_stale_nanos {
            Some(PullReason::BookQuiet {
                age_seconds: age(self.now, s.top.updated),
            })
        } else if !has_vol {
            Some(PullReason::NoVol)
        } else {
            None
        };
        if let Some(reason) = pulled {
            return out.pulled.push(Pulled {
                series: Some(s.id),
                reason,
            });
        }
        let quoted = sides.iter().map(|&side| (side, false));
        for (side, reduce_only) in quoted.chain(layoff.map(|side| (side, true))) {
            jobs.push(Job {
                series: i,
                side,
                sizing: side::Sizing::of(self.config, s, side, reduce_only),
            });
        }
    }
}

impl RollMaker {
    /// Every job declared to the limiter with the ladder's lots, in order, once the series are
    /// priced and the positions held.
    pub(super) fn declare_jobs(&mut self, state: &State) {
        let ladder = self.config.size.levels.iter().map(|l| l.lots).sum::<i64>() as f64;
        for job in &self.jobs {
            let (s, p) = (&state.series[job.series], &self.priced[job.series]);
            let e = side::per_contract(p, job.side);
            self.limiter
                .may_admit(s.expiry, e, ladder * s.lot, job.sizing.adds_gross);
        }
    }
}
