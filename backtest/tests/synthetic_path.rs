//! The synthetic index path: reproducible from its seed, and each preset doing what its name says.

use backtest::synthetic::path::{IndexPath, IndexPoint, Preset};

fn path(preset: Preset, seed: u64) -> Vec<IndexPoint> {
    IndexPath::new(preset.config(), seed).collect()
}

/// The worst one-hour return (minute steps: 60 apart).
fn worst_hour(p: &[IndexPoint]) -> f64 {
    p.windows(61)
        .map(|w| w[60].price / w[0].price - 1.0)
        .fold(f64::INFINITY, f64::min)
}

/// Annualised realised vol of the minute log returns.
fn realised_vol(p: &[IndexPoint]) -> f64 {
    let r: Vec<f64> = p
        .windows(2)
        .map(|w| (w[1].price / w[0].price).ln())
        .collect();
    let mean = r.iter().sum::<f64>() / r.len() as f64;
    let var = r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (r.len() - 1) as f64;
    (var * 365.0 * 1440.0).sqrt()
}

#[test]
fn the_same_seed_gives_the_same_path_and_another_seed_another() {
    let a = path(Preset::Calm, 7);
    assert_eq!(a, path(Preset::Calm, 7));
    assert_ne!(a, path(Preset::Calm, 8));
    // 30 days of minutes, both ends included; timestamps one minute apart.
    assert_eq!(a.len(), 30 * 1440 + 1);
    assert_eq!(a[1].at.0 - a[0].at.0, 60_000_000_000);
    assert!(a
        .iter()
        .all(|p| p.price.is_finite() && p.price > 0.0 && p.vol.is_finite()));
}

#[test]
fn calm_is_calm() {
    for seed in 0..5 {
        let p = path(Preset::Calm, seed);
        let vol = realised_vol(&p);
        assert!(
            (0.35..0.70).contains(&vol),
            "seed {seed}: realised vol {vol}"
        );
        assert!(worst_hour(&p) > -0.15, "seed {seed}: {}", worst_hour(&p));
    }
}

#[test]
fn crash_falls_at_least_thirty_percent_within_an_hour() {
    for seed in 0..5 {
        let p = path(Preset::Crash, seed);
        let worst = worst_hour(&p);
        assert!(worst <= -0.30, "seed {seed}: worst hour {worst}");
        // And it is the scheduled one, starting ten days in (minute 14,400), give or take the hour.
        let first = p
            .windows(61)
            .position(|w| w[60].price / w[0].price - 1.0 <= -0.30)
            .unwrap();
        assert!(
            (14_400 - 60..=14_400 + 60).contains(&first),
            "seed {seed}: minute {first}"
        );
        // Vol after the crash is well above before it.
        let before = realised_vol(&p[8 * 1440..9 * 1440]);
        let after = realised_vol(&p[10 * 1440 + 120..11 * 1440]);
        assert!(after > 1.5 * before, "seed {seed}: {before} then {after}");
    }
}

#[test]
fn trend_down_goes_down() {
    let ends: Vec<f64> = (0..20)
        .map(|seed| {
            let p = path(Preset::TrendDown, seed);
            p.last().unwrap().price / p[0].price
        })
        .collect();
    let mean_log = ends.iter().map(|r| r.ln()).sum::<f64>() / ends.len() as f64;
    assert!(mean_log < -0.05, "mean log return {mean_log}");
    assert!(ends.iter().filter(|r| **r < 1.0).count() >= 14, "{ends:?}");
}

#[test]
fn presets_parse_by_name() {
    for p in [Preset::Calm, Preset::TrendDown, Preset::Crash] {
        // The name printed is the one the command line takes.
        assert_eq!(
            <Preset as clap::ValueEnum>::from_str(p.name(), false),
            Ok(p)
        );
    }
    assert!(<Preset as clap::ValueEnum>::from_str("boom", false).is_err());
}

#[test]
fn a_long_path_starts_with_the_short_one_and_the_crash_comes_on_the_day_asked() {
    let short = path(Preset::Calm, 4);
    let year: Vec<IndexPoint> = IndexPath::new(Preset::Calm.config_for(365.0, 10.0), 4).collect();
    assert_eq!(year.len(), 365 * 1440 + 1);
    assert_eq!(year[..short.len()], short[..]);
    assert!(year.iter().all(|p| p.price.is_finite() && p.price > 0.0));
    // The crash moved to day 200 of a year: the fall is there, not on day 10.
    let crash: Vec<IndexPoint> =
        IndexPath::new(Preset::Crash.config_for(365.0, 200.0), 4).collect();
    let first = crash
        .windows(61)
        .position(|w| w[60].price / w[0].price - 1.0 <= -0.30)
        .unwrap();
    let day_200 = 200 * 1440;
    assert!(
        (day_200 - 60..=day_200 + 60).contains(&first),
        "minute {first}"
    );
    assert_eq!(crash[..day_200 - 1], year[..day_200 - 1]);
}
