//! The venue's spreads as the real chain shows them, for the synthetic market's book: the median
//! half-spread of every quoted option by expiry bucket (days) and moneyness bucket (strike over
//! forward), calls and puts apart, in a unit that carries across price levels ([`spread_unit`]):
//! vol points of the option's own vega, or, in the money beyond 5%, where vega vanishes and
//! Deribit's makers quote the hedge, bps of its USD delta. Half-spreads of one tick, the smallest
//! a book can show, are kept as they are: the synthetic book rounds outward to the same ticks.
//!
//! `rollmaker calibrate --data ../shared/data/deribit_eth_chain/` prints the table in the
//! backtest config's form (`[book.spread]`).

use crate::chain::ChainRow;
use engine::pricing::{coin, Greeks, OptionType};
use serde::Deserialize;

/// Median half-spreads in [`spread_unit`]s by expiry and moneyness bucket: `calls[i][j]` for options
/// expiring within `days[i]` days (and beyond the bound before) at strike over forward within
/// `moneyness[j]` ([`bucket`]; an option beyond a last bound is priced as the last bucket, the
/// measurement takes only those within).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpreadTable {
    pub days: Vec<f64>,
    pub moneyness: Vec<f64>,
    pub calls: Vec<Vec<f64>>,
    pub puts: Vec<Vec<f64>>,
}

impl SpreadTable {
    /// The half-spread (in [`spread_unit`]s) of an option `days` from expiry at strike over
    /// forward `km`.
    pub fn half_spread_units(&self, kind: OptionType, days: f64, km: f64) -> f64 {
        let last =
            |bounds: &[f64], x: f64| bucket(bounds, x).unwrap_or(bounds.len().saturating_sub(1));
        let (i, j) = (last(&self.days, days), last(&self.moneyness, km));
        let table = match kind {
            OptionType::Call => &self.calls,
            OptionType::Put => &self.puts,
        };
        table
            .get(i)
            .and_then(|row| row.get(j))
            .copied()
            .unwrap_or(f64::NAN)
    }

    /// Every cell finite and not negative, and the rows the bounds say: else which is not.
    pub fn check(&self) -> Result<(), String> {
        for (name, t) in [("calls", &self.calls), ("puts", &self.puts)] {
            if t.len() != self.days.len() {
                return Err(format!(
                    "{name} has {} rows for {} days",
                    t.len(),
                    self.days.len()
                ));
            }
            for (i, row) in t.iter().enumerate() {
                if row.len() != self.moneyness.len() {
                    return Err(format!("{name} row {i} has {} cells", row.len()));
                }
                if let Some(v) = row.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
                    return Err(format!("{name} row {i} has {v}"));
                }
            }
        }
        Ok(())
    }
}

/// The bucket of `x` among rising upper `bounds` (the first bound at or above it); None beyond
/// the last.
fn bucket(bounds: &[f64], x: f64) -> Option<usize> {
    bounds.iter().position(|b| x <= *b)
}

/// What a half-spread of an option at strike over forward `km` is measured in, ETH per
/// contract, from its coin greeks: one vol point of vega; or, in the money beyond 5% (a call below
/// 0.95 of the forward, a put above 1.05), one bps of the USD delta (coin delta plus coin price).
pub fn spread_unit(kind: OptionType, km: f64, g: &Greeks) -> f64 {
    let deep = match kind {
        OptionType::Call => km < 0.95,
        OptionType::Put => km > 1.05,
    };
    if deep {
        1e-4 * (g.delta + g.price).abs()
    } else {
        g.vega / 100.0
    }
}

/// The buckets measured: days to expiry and strike over forward (upper bounds).
pub const DAYS: [f64; 5] = [7.0, 30.0, 90.0, 180.0, 400.0];
pub const MONEYNESS: [f64; 7] = [0.6, 0.8, 0.95, 1.05, 1.2, 1.5, 3.0];

/// Half-spreads collected per bucket; [`Calibration::table`] takes the medians.
#[derive(Debug)]
pub struct Calibration {
    cells: [Vec<Vec<f64>>; 2],
    pub rows: u64,
    pub used: u64,
}

impl Default for Calibration {
    fn default() -> Self {
        let empty = || vec![Vec::new(); DAYS.len() * MONEYNESS.len()];
        Calibration {
            cells: [empty(), empty()],
            rows: 0,
            used: 0,
        }
    }
}

impl Calibration {
    /// One chain row: counted where both sides are quoted and its vega is usable.
    pub fn add(&mut self, row: &ChainRow) {
        self.rows += 1;
        let (Some(bid), Some(ask)) = (row.bid.filter(|b| *b > 0.0), row.ask) else {
            return;
        };
        let f = row.underlying;
        if !(ask > bid && f > 0.0 && row.t > 0.0 && row.mark_iv > 0.0) {
            return;
        }
        let g = coin::greeks(row.kind, f, row.strike, row.t, row.mark_iv, 1.0);
        let unit = spread_unit(row.kind, row.strike / f, &g);
        if unit.is_nan() || unit <= 1e-9 {
            return;
        }
        let days = row.t * 365.25;
        let (Some(i), Some(j)) = (bucket(&DAYS, days), bucket(&MONEYNESS, row.strike / f)) else {
            return;
        };
        let side = matches!(row.kind, OptionType::Put) as usize;
        self.cells[side][i * MONEYNESS.len() + j].push((ask - bid) / 2.0 / unit);
        self.used += 1;
    }

    /// The medians; a bucket with no quote takes the nearest measured one in its row (then in
    /// its column), so the table has no holes.
    pub fn table(&mut self) -> SpreadTable {
        let mut sides = [Vec::new(), Vec::new()];
        for (side, cells) in self.cells.iter_mut().enumerate() {
            let medians: Vec<Option<f64>> = cells.iter_mut().map(|c| median(c)).collect();
            sides[side] = fill_holes(&medians);
        }
        let [calls, puts] = sides;
        SpreadTable {
            days: DAYS.to_vec(),
            moneyness: MONEYNESS.to_vec(),
            calls,
            puts,
        }
    }
}

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// Rows of the table from its cells (row-major); an empty cell takes the nearest filled one
/// (fewest rows plus columns away; the first such), or 0 when none is filled.
fn fill_holes(cells: &[Option<f64>]) -> Vec<Vec<f64>> {
    let (rows, cols) = (DAYS.len(), MONEYNESS.len());
    let filled: Vec<(usize, usize, f64)> = cells
        .iter()
        .enumerate()
        .filter_map(|(k, v)| v.map(|v| (k / cols, k % cols, v)))
        .collect();
    (0..rows)
        .map(|i| {
            (0..cols)
                .map(|j| {
                    filled
                        .iter()
                        .min_by_key(|(r, c, _)| r.abs_diff(i) + c.abs_diff(j))
                        .map_or(0.0, |x| x.2)
                })
                .collect()
        })
        .collect()
}

/// The table as the backtest config's `[book.spread]` section.
pub fn to_toml(t: &SpreadTable) -> String {
    let list = |v: &[f64]| {
        let cells: Vec<String> = v.iter().map(|x| format!("{x:.2}")).collect();
        format!("[{}]", cells.join(", "))
    };
    let rows = |t: &[Vec<f64>]| {
        let lines: Vec<String> = t.iter().map(|r| format!("    {},", list(r))).collect();
        format!("[\n{}\n]", lines.join("\n"))
    };
    format!(
        "[book.spread]\ndays = {}\nmoneyness = {}\ncalls = {}\nputs = {}\n",
        list(&t.days),
        list(&t.moneyness),
        rows(&t.calls),
        rows(&t.puts)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kind: OptionType, strike: f64, days: f64, bid: f64, ask: f64) -> ChainRow {
        ChainRow {
            instrument: "".into(),
            expiry: "".into(),
            kind,
            strike,
            underlying: 2000.0,
            t: days / 365.25,
            bid: Some(bid),
            ask: Some(ask),
            mark: (bid + ask) / 2.0,
            mark_iv: 0.6,
            index: 2000.0,
        }
    }

    #[test]
    fn half_spreads_in_vol_points_by_bucket_with_holes_filled() {
        let mut c = Calibration::default();
        let r = row(OptionType::Call, 2000.0, 20.0, 0.05, 0.052);
        let vega = coin::greeks(OptionType::Call, 2000.0, 2000.0, 20.0 / 365.25, 0.6, 1.0).vega;
        for _ in 0..3 {
            c.add(&r);
        }
        c.add(&row(OptionType::Call, 2000.0, 20.0, 0.05, 0.060));
        // One side missing: not counted.
        c.add(&ChainRow {
            ask: None,
            ..r.clone()
        });
        assert_eq!((c.rows, c.used), (5, 4));
        let t = c.table();
        let at_the_money = 0.001 / (vega / 100.0);
        let got = t.half_spread_units(OptionType::Call, 20.0, 1.0);
        assert!((got - at_the_money).abs() < 1e-9, "{got} vs {at_the_money}");
        // Every other bucket takes it (the only one measured), puts none: 0.
        assert_eq!(t.half_spread_units(OptionType::Call, 300.0, 2.5), got);
        assert_eq!(t.half_spread_units(OptionType::Put, 20.0, 1.0), 0.0);
        // Deep in the money, in bps of the USD delta.
        let deep = coin::greeks(OptionType::Call, 2000.0, 1000.0, 0.1, 0.6, 1.0);
        let unit = spread_unit(OptionType::Call, 0.5, &deep);
        assert!((unit - 1e-4 * (deep.delta + deep.price)).abs() < 1e-15);
        assert!(t.check().is_ok());
        let parsed: SpreadTable = toml::from_str::<toml::Table>(&to_toml(&t)).unwrap()["book"]
            ["spread"]
            .clone()
            .try_into()
            .unwrap();
        assert_eq!(parsed.days, t.days);
    }
}
