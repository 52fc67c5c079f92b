//! The roll maker config's range checks, one function per section; each failure names its key
//! and the rule.

use super::RollMakerConfig;

/// A value outside its range: (key, value, rule).
pub(super) type Bad = (&'static str, String, String);

fn bad(key: &'static str, value: String, rule: &str) -> Bad {
    (key, value, rule.to_string())
}

fn positive(key: &'static str, v: f64) -> Result<(), Bad> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(bad(key, v.to_string(), "a finite number above 0"))
    }
}

fn non_negative(key: &'static str, v: f64) -> Result<(), Bad> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(bad(key, v.to_string(), "a finite number at least 0"))
    }
}

impl RollMakerConfig {
    /// The universe keys in range.
    pub(super) fn check_universe(&self) -> Result<(), Bad> {
        let u = &self.universe;
        if u.underlying.is_empty() || !u.underlying.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(bad(
                "universe.underlying",
                format!("{:?}", u.underlying),
                "an underlying as in instrument names, e.g. \"ETH\"",
            ));
        }
        non_negative("universe.min_days", u.min_days)?;
        positive("universe.max_days", u.max_days)?;
        if u.max_days <= u.min_days {
            return Err(bad(
                "universe.max_days",
                u.max_days.to_string(),
                &format!("above universe.min_days ({})", u.min_days),
            ));
        }
        positive("universe.min_moneyness", u.min_moneyness)?;
        positive("universe.max_moneyness", u.max_moneyness)?;
        if u.max_moneyness <= u.min_moneyness {
            return Err(bad(
                "universe.max_moneyness",
                u.max_moneyness.to_string(),
                &format!("above universe.min_moneyness ({})", u.min_moneyness),
            ));
        }
        Ok(())
    }

    /// The roll keys in range.
    pub(super) fn check_roll(&self) -> Result<(), Bad> {
        let r = &self.roll;
        if !(r.roll_ratio.is_finite() && r.roll_ratio > 1.0) {
            return Err(bad(
                "roll.roll_ratio",
                r.roll_ratio.to_string(),
                "above 1 (S/K below it marks holders near their strike)",
            ));
        }
        non_negative("roll.roll_days", r.roll_days)?;
        positive("roll.target_ratio", r.target_ratio)?;
        positive("roll.target_band", r.target_band)?;
        if r.target_band >= r.target_ratio {
            return Err(bad(
                "roll.target_band",
                r.target_band.to_string(),
                &format!("below roll.target_ratio ({})", r.target_ratio),
            ));
        }
        // One side per series by construction: roll-in strikes lie below every roll-out strike,
        // and roll-in expiries lie beyond every expiry-triggered roll-out.
        if r.target_ratio >= 1.0 / r.roll_ratio {
            return Err(bad(
                "roll.target_ratio",
                r.target_ratio.to_string(),
                &format!(
                    "below 1 / roll.roll_ratio ({:.4}), so no series is both rolled out of and into",
                    1.0 / r.roll_ratio
                ),
            ));
        }
        if r.horizon_days <= r.roll_days {
            return Err(bad(
                "roll.horizon_days",
                r.horizon_days.to_string(),
                &format!("above roll.roll_days ({})", r.roll_days),
            ));
        }
        Ok(())
    }

    /// The edge and size keys in range.
    pub(super) fn check_edge_and_size(&self) -> Result<(), Bad> {
        let (e, s) = (&self.edge, &self.size);
        positive("edge.gamma", e.gamma)?;
        positive("edge.kappa", e.kappa)?;
        positive("edge.arrival_per_day", e.arrival_per_day)?;
        non_negative("edge.vol_of_vol", e.vol_of_vol)?;
        positive("edge.vega_unit", e.vega_unit)?;
        non_negative("edge.min_edge_vol", e.min_edge_vol)?;
        non_negative("edge.carry_bps_per_year", e.carry_bps_per_year)?;
        if s.levels.is_empty() || s.levels.len() > 8 {
            return Err(bad(
                "size.levels",
                format!("{} levels", s.levels.len()),
                "1 to 8 levels",
            ));
        }
        for level in &s.levels {
            if level.lots <= 0 {
                return Err(bad(
                    "size.levels.lots",
                    level.lots.to_string(),
                    "a whole number of lots above 0",
                ));
            }
            non_negative("size.levels.extra_edge_vol", level.extra_edge_vol)?;
        }
        if s.max_series_lots <= 0 {
            return Err(bad(
                "size.max_series_lots",
                s.max_series_lots.to_string(),
                "a whole number of lots above 0",
            ));
        }
        Ok(())
    }

    /// The limits, stale, quotes and hedge keys in range.
    pub(super) fn check_limits_and_rest(&self) -> Result<(), Bad> {
        for (prefix, b) in [
            ("limits.bucket", &self.limits.bucket),
            ("limits.total", &self.limits.total),
        ] {
            let keys: [(&'static str, &'static str, f64); 4] = [
                ("limits.bucket.delta", "limits.total.delta", b.delta),
                ("limits.bucket.vega", "limits.total.vega", b.vega),
                ("limits.bucket.gamma", "limits.total.gamma", b.gamma),
                (
                    "limits.bucket.notional",
                    "limits.total.notional",
                    b.notional,
                ),
            ];
            for (bucket_key, total_key, v) in keys {
                positive(
                    if prefix == "limits.bucket" {
                        bucket_key
                    } else {
                        total_key
                    },
                    v,
                )?;
            }
        }
        non_negative("package.edge_bps", self.package.edge_bps)?;
        non_negative(
            "package.carry_bps_per_year",
            self.package.carry_bps_per_year,
        )?;
        non_negative(
            "package.skew_bps_per_100_lots",
            self.package.skew_bps_per_100_lots,
        )?;
        if self.package.max_series_lots <= 0 {
            return Err(bad(
                "package.max_series_lots",
                self.package.max_series_lots.to_string(),
                "above 0",
            ));
        }
        positive("stale.index_seconds", self.stale.index_seconds)?;
        positive("stale.book_seconds", self.stale.book_seconds)?;
        positive("stale.surface_seconds", self.stale.surface_seconds)?;
        let q = &self.quotes;
        if q.price_threshold_ticks < 0 {
            return Err(bad(
                "quotes.price_threshold_ticks",
                q.price_threshold_ticks.to_string(),
                "at least 0",
            ));
        }
        if q.size_threshold_lots < 0 {
            return Err(bad(
                "quotes.size_threshold_lots",
                q.size_threshold_lots.to_string(),
                "at least 0",
            ));
        }
        if q.max_actions_per_second == 0 {
            return Err(bad(
                "quotes.max_actions_per_second",
                "0".into(),
                "at least 1",
            ));
        }
        positive("hedge.max_delta", self.hedge.max_delta)?;
        Ok(())
    }
}
