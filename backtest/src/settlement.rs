//! Expiry settlement of coin-margined options at the oracle price (Deribit: the 30-minute TWAP of
//! the index before 08:00 UTC on expiry day); what one contract pays is
//! [`engine::settlement::value_per_contract`], shared with the venues.

pub use engine::settlement::value_per_contract;

/// The time-weighted average of the index over the last 30 minutes before settlement, from
/// `(seconds before settlement, price)` samples: each sample holds until the next, and the last
/// one before the window holds from its start. None when no sample falls in the window.
pub fn twap_30_minutes(samples: &[(f64, f64)]) -> Option<f64> {
    let mut in_window: Vec<(f64, f64)> = samples
        .iter()
        .copied()
        .filter(|(before, _)| (0.0..=1800.0).contains(before))
        .collect();
    if in_window.is_empty() {
        return None;
    }
    // The price prevailing when the window opens: the latest sample before it, held from 1800 s.
    let opening = samples
        .iter()
        .filter(|(before, _)| *before > 1800.0)
        .min_by(|a, b| a.0.total_cmp(&b.0));
    if let Some(&(_, price)) = opening {
        if !in_window.iter().any(|(before, _)| *before == 1800.0) {
            in_window.push((1800.0, price));
        }
    }
    // Oldest first.
    in_window.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut weighted = 0.0;
    let mut span = 0.0;
    for (i, (before, price)) in in_window.iter().enumerate() {
        let until = in_window.get(i + 1).map_or(0.0, |next| next.0);
        let dt = before - until;
        weighted += price * dt;
        span += dt;
    }
    Some(if span > 0.0 {
        weighted / span
    } else {
        in_window[0].1
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twap_weights_by_time_held() {
        // 2000 for the first 20 minutes of the window, 2300 for the last 10.
        let s = [(1800.0, 2000.0), (600.0, 2300.0), (3600.0, 9999.0)];
        assert!((twap_30_minutes(&s).unwrap() - 2100.0).abs() < 1e-9);
        assert_eq!(twap_30_minutes(&[(4000.0, 1.0)]), None);
        // 2000 set an hour before holds until 2300 arrives 10 minutes before: 20 min + 10 min.
        let s = [(3600.0, 2000.0), (600.0, 2300.0)];
        assert!((twap_30_minutes(&s).unwrap() - 2100.0).abs() < 1e-9);
    }
}
