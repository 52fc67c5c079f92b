//! The roll maker on hand-built states: which series get which side, how inventory and limits
//! shape the quotes, stale data, and the config's checks.

use chrono::{TimeZone, Utc};
use engine::pricing::{coin, Greeks, OptionType};
use engine::state::State;
use engine::{InstrumentId, Qty, Side, Timestamp};
use proptest::prelude::*;
use strategies::config::{ConfigError, RollMakerConfig, DEFAULT_TOML};
use strategies::{sample, PullReason, RollMaker, Strategy, Wanted};

const S: f64 = 2000.0;
const STRIKES: [f64; 10] = [
    800.0, 1000.0, 1100.0, 1200.0, 1300.0, 1500.0, 1700.0, 1900.0, 2000.0, 2200.0,
];

fn at(y: i32, m: u32, d: u32, h: u32) -> Timestamp {
    Timestamp::from_datetime(Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()).unwrap()
}

/// 25 March 2026, 08:00: the March monthly settles in 2 days, April in 30, May in 65; ten call
/// strikes each, empty live books, flat positions.
fn state() -> State {
    let now = at(2026, 3, 25, 8);
    let settles = [at(2026, 3, 27, 8), at(2026, 4, 24, 8), at(2026, 5, 29, 8)];
    sample::chain(now, S, &settles, &STRIKES)
}

/// The default config with limits a hundred times wider, so that only the rule under test binds.
fn generous() -> RollMakerConfig {
    let mut c = RollMakerConfig::default_config();
    for b in [&mut c.limits.bucket, &mut c.limits.total] {
        b.delta *= 100.0;
        b.vega *= 100.0;
        b.gamma *= 100.0;
        b.notional *= 100.0;
    }
    c
}

fn quotes(config: RollMakerConfig, state: &State) -> Wanted {
    let mut maker = RollMaker::new(config);
    let mut out = Wanted::default();
    maker.quotes(state, &mut out);
    out
}

/// Coin greeks of series `i` at the surface's vol, as the strategy should see them.
fn coin_greeks(state: &State, i: usize) -> Greeks {
    let s = &state.series[i];
    let t = state.now.years_until(state.expiries[s.expiry].settles);
    let vol = state
        .surface
        .as_ref()
        .unwrap()
        .surface
        .vol((s.strike / S).ln(), t)
        .unwrap();
    coin::greeks(OptionType::Call, S, s.strike, t, vol, 1.0)
}

/// The fair coin price and coin vega of a series.
fn fair(state: &State, i: usize) -> (f64, f64) {
    let g = coin_greeks(state, i);
    (g.price, g.vega)
}

#[test]
fn the_shipped_default_config_is_valid() {
    let c = RollMakerConfig::default_config();
    assert_eq!(c.size.levels.len(), 2);
    assert!(c.hedge.enabled);
    assert_eq!(c.hedge.style, strategies::config::HedgeStyle::Taker);
}

#[test]
fn sells_calls_where_holders_roll_out_and_buys_where_they_roll_in() {
    let st = state();
    let w = quotes(generous(), &st);
    assert!(w.pulled.is_empty(), "{:?}", w.pulled);
    for q in &w.quotes {
        let s = &st.series[q.key.instrument.0 as usize];
        let days = st.now.years_until(st.expiries[s.expiry].settles) * 365.0;
        let (fair, vega) = fair(&st, q.key.instrument.0 as usize);
        let price = q.price.0 as f64 * 1e-4;
        assert!(s.tick_rule.is_on_tick(q.price));
        match q.key.side {
            // Roll-out: near the strike (S/K < 1.25, K > 1600) or settling within 3 days.
            Side::Sell => {
                assert!(S / s.strike < 1.25 || days < 3.0, "{s:?}");
                // At least the minimum edge (0.5 vol points of vega) above fair.
                assert!(
                    price >= fair + 0.5 * vega / 100.0 - 1e-12,
                    "ask {price} fair {fair}"
                );
            }
            // Roll-in: K/S in (0.45, 0.6], at least 25 days out.
            Side::Buy => {
                assert!(
                    s.strike / S <= 0.6 && s.strike / S > 0.45 && days >= 25.0,
                    "{s:?}"
                );
                assert!(
                    price <= fair - 0.5 * vega / 100.0 + 1e-12,
                    "bid {price} fair {fair}"
                );
            }
        }
    }
    let sells: Vec<_> = w
        .quotes
        .iter()
        .filter(|q| q.key.side == Side::Sell && q.key.level == 0)
        .collect();
    let buys: Vec<_> = w
        .quotes
        .iter()
        .filter(|q| q.key.side == Side::Buy && q.key.level == 0)
        .collect();
    // March: every strike in the moneyness band (0.3 to 1.2 of S) rolls out by date, all ten.
    // April and May: 1700, 1900, 2000 and 2200 by strike (S/K below 1.25).
    assert_eq!(sells.len(), 10 + 4 + 4);
    // April and May: 1000 and 1100, 1200 (K/S 0.5, 0.55, 0.6).
    assert_eq!(buys.len(), 3 + 3);
    // One side per series.
    for q in &w.quotes {
        assert!(w
            .quotes
            .iter()
            .all(|o| o.key.instrument != q.key.instrument || o.key.side == q.key.side));
    }
    // The second level is further from fair than the first.
    for q in w.quotes.iter().filter(|q| q.key.level == 1) {
        let first = w
            .quotes
            .iter()
            .find(|o| o.key.instrument == q.key.instrument && o.key.level == 0)
            .unwrap();
        match q.key.side {
            Side::Sell => assert!(q.price >= first.price),
            Side::Buy => assert!(q.price <= first.price),
        }
    }
}

#[test]
fn inventory_widens_the_edge_and_its_bound_removes_the_side() {
    let st = state();
    let base = quotes(generous(), &st);
    // Short 3,000 of the April 1900 calls: April's vega inventory is short, so April asks widen.
    let mut short = st.clone();
    let i = short
        .series
        .iter()
        .position(|s| s.expiry == 1 && s.strike == 1900.0)
        .unwrap();
    short.series[i].position = Qty(-3000);
    let w = quotes(generous(), &short);
    let ask = |w: &Wanted, k: f64| {
        w.quotes
            .iter()
            .find(|q| {
                let s = &st.series[q.key.instrument.0 as usize];
                s.expiry == 1 && s.strike == k && q.key.level == 0
            })
            .map(|q| q.price)
    };
    assert!(ask(&w, 2000.0).unwrap() > ask(&base, 2000.0).unwrap());
    // A vega bound of 0.5 ETH per vol point, used up by the short position: no April asks.
    short.series[i].position = Qty(-500);
    let mut config = generous();
    config.limits.bucket.vega = 0.5;
    let w = quotes(config, &short);
    let april_sells = w
        .quotes
        .iter()
        .filter(|q| st.series[q.key.instrument.0 as usize].expiry == 1 && q.key.side == Side::Sell)
        .count();
    assert_eq!(april_sells, 0);
    // ... while the buys there, which reduce it, remain.
    assert!(w
        .quotes
        .iter()
        .any(|q| st.series[q.key.instrument.0 as usize].expiry == 1 && q.key.side == Side::Buy));
}

#[test]
fn stale_data_pulls_quotes_and_says_why() {
    // Series 17: the April 1900 call, a roll-out series.
    let mut st = state();
    let before = quotes(generous(), &st);
    assert!(before
        .quotes
        .iter()
        .any(|q| q.key.instrument == InstrumentId(17)));
    st.series[17].top.live = false;
    let w = quotes(generous(), &st);
    assert!(w
        .quotes
        .iter()
        .all(|q| q.key.instrument != InstrumentId(17)));
    assert_eq!(w.quotes.len(), before.quotes.len() - 2);
    assert_eq!(w.pulled.len(), 1);
    assert_eq!(w.pulled[0].series, Some(InstrumentId(17)));
    assert_eq!(w.pulled[0].reason, PullReason::BookStale);

    let mut st = state();
    st.index.as_mut().unwrap().at = Timestamp(st.now.0 - 30 * Timestamp::NANOS_PER_SEC);
    let w = quotes(RollMakerConfig::default_config(), &st);
    assert!(w.quotes.is_empty());
    assert_eq!(w.pulled[0].series, None);
    assert!(
        matches!(w.pulled[0].reason, PullReason::IndexStale { age_seconds } if age_seconds == 30.0)
    );
    assert_eq!(
        w.pulled[0].reason.to_string(),
        "index not updated for 30.0 s"
    );

    let mut st = state();
    st.underlying = "BTC".into();
    let w = quotes(RollMakerConfig::default_config(), &st);
    assert!(w.quotes.is_empty());
    assert_eq!(
        w.pulled[0].reason.to_string(),
        "the market is on BTC, not the configured underlying"
    );

    let mut st = state();
    st.surface = None;
    let w = quotes(RollMakerConfig::default_config(), &st);
    assert!(w.quotes.is_empty());
    assert_eq!(w.pulled[0].reason, PullReason::NoSurface);
}

#[test]
fn a_wider_minimum_edge_is_seen_in_the_quotes() {
    let st = state();
    let narrow = quotes(generous(), &st);
    let mut config = generous();
    config.edge.min_edge_vol = 5.0;
    let wide = quotes(config, &st);
    assert_eq!(narrow.quotes.len(), wide.quotes.len());
    for (n, w) in narrow.quotes.iter().zip(&wide.quotes) {
        assert_eq!(n.key, w.key);
        match n.key.side {
            Side::Sell => assert!(w.price >= n.price),
            Side::Buy => assert!(w.price <= n.price),
        }
    }
    assert!(narrow
        .quotes
        .iter()
        .zip(&wide.quotes)
        .any(|(n, w)| n.price != w.price));
}

fn with(replace: &str, by: &str) -> String {
    assert!(DEFAULT_TOML.contains(replace), "{replace}");
    DEFAULT_TOML.replacen(replace, by, 1)
}

#[test]
fn broken_configs_are_refused_naming_the_key() {
    let unknown = with("[roll]", "[roll]\nroll_speed = 3.0");
    match RollMakerConfig::from_toml(&unknown, "test.toml") {
        Err(ConfigError::Parse { message, .. }) => {
            assert!(message.contains("roll_speed"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    let negative = with("{ lots = 10,", "{ lots = -10,");
    let e = RollMakerConfig::from_toml(&negative, "test.toml").unwrap_err();
    assert!(
        e.to_string().contains("size.levels.lots") && e.to_string().contains("-10"),
        "{e}"
    );
    let inverted = with("max_moneyness = 1.2", "max_moneyness = 0.2");
    let e = RollMakerConfig::from_toml(&inverted, "test.toml").unwrap_err();
    assert!(e.to_string().contains("universe.max_moneyness"), "{e}");
    let overlapping = with("target_ratio = 0.6", "target_ratio = 0.9");
    let e = RollMakerConfig::from_toml(&overlapping, "test.toml").unwrap_err();
    assert!(e.to_string().contains("roll.target_ratio"), "{e}");
    let missing = DEFAULT_TOML.replacen("roll_days = 3.0", "", 1);
    let e = RollMakerConfig::from_toml(&missing, "test.toml").unwrap_err();
    assert!(e.to_string().contains("roll_days"), "{e}");
    let hedge = with("max_delta = 10.0", "max_delta = -5.0");
    assert!(RollMakerConfig::from_toml(&hedge, "t")
        .unwrap_err()
        .to_string()
        .contains("hedge.max_delta"));
    let style = with(r#"style = "taker""#, r#"style = "maker""#);
    let e = RollMakerConfig::from_toml(&style, "t")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(r#"style = "maker""#) && e.contains("expected `taker` or `passive`"),
        "{e}"
    );
}

/// Net coin delta, vega (per vol point) and gamma of one expiry's positions.
fn bucket_exposure(st: &State, expiry: usize) -> (f64, f64, f64, f64) {
    let (mut d, mut v, mut g, mut n) = (0.0, 0.0, 0.0, 0.0);
    for (i, s) in st.series.iter().enumerate() {
        if s.expiry != expiry || s.position.0 == 0 {
            continue;
        }
        let c = coin_greeks(st, i);
        let q = s.position.0 as f64;
        d += q * c.delta;
        v += q * c.vega / 100.0;
        g += q * c.gamma;
        n += q.abs();
    }
    (d, v, g, n)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// Whatever subset of the resting quotes fills, and in whatever order, with a requote after
    /// each fill, no expiry bucket passes a limit.
    #[test]
    fn limits_hold_under_any_fills(picks in prop::collection::vec((any::<prop::sample::Index>(), 0.0..1.0f64), 1..40)) {
        let mut config = RollMakerConfig::default_config();
        // Tight limits so that they bind within a few fills.
        config.limits.bucket.vega = 3.0;
        config.limits.bucket.delta = 40.0;
        config.limits.bucket.notional = 300.0;
        let bounds = config.limits.bucket.clone();
        let mut maker = RollMaker::new(config);
        let mut st = state();
        let mut out = Wanted::default();
        for (pick, share) in picks {
            out.clear();
            maker.quotes(&st, &mut out);
            if out.quotes.is_empty() {
                break;
            }
            let q = out.quotes[pick.index(out.quotes.len())];
            let filled = ((q.qty.0 as f64 * share).ceil() as i64).max(1);
            let s = &mut st.series[q.key.instrument.0 as usize];
            s.position = Qty(s.position.0 + filled * q.key.side.sign());
            for e in 0..st.expiries.len() {
                let (d, v, g, n) = bucket_exposure(&st, e);
                prop_assert!(d.abs() <= bounds.delta + 1e-9, "delta {d}");
                prop_assert!(v.abs() <= bounds.vega + 1e-9, "vega {v}");
                prop_assert!(g.abs() <= bounds.gamma + 1e-9, "gamma {g}");
                prop_assert!(n <= bounds.notional + 1e-9, "notional {n}");
            }
        }
    }
}

#[test]
fn the_two_sided_baseline_quotes_both_sides_skewed_by_inventory() {
    let st = state();
    let mut maker = RollMaker::two_sided(generous());
    assert_eq!(maker.name(), "two_sided");
    let mut flat = Wanted::default();
    maker.quotes(&st, &mut flat);
    // Every call in the universe (K/S 0.3 to 1.2: all ten strikes, three expiries) both ways.
    for i in 0..st.series.len() {
        for side in [Side::Buy, Side::Sell] {
            assert!(
                flat.quotes
                    .iter()
                    .any(|q| q.key.instrument == InstrumentId(i as u32) && q.key.side == side),
                "series {i} {side:?}"
            );
        }
    }
    // Long May vega: May bids step back from fair and May asks come towards it.
    let mut long = st.clone();
    long.series[27].position = Qty(2000); // May 1900
    let mut skewed = Wanted::default();
    maker.quotes(&long, &mut skewed);
    let price = |w: &Wanted, i: u32, side: Side| {
        w.quotes
            .iter()
            .find(|q| q.key.instrument == InstrumentId(i) && q.key.side == side && q.key.level == 0)
            .map(|q| q.price)
            .unwrap()
    };
    assert!(price(&skewed, 28, Side::Buy) < price(&flat, 28, Side::Buy));
    assert!(price(&skewed, 28, Side::Sell) < price(&flat, 28, Side::Sell));
}

/// The sample state with a perpetual to hedge on (bid 1999.95, ask 2000.05), long 300 May 1200
/// calls, and the USD delta that leaves (cash and calls), ETH.
fn with_perpetual(cash_eth: f64) -> (State, f64) {
    use engine::state::{HedgeState, Top};
    use engine::tick_rule::TickRule;
    use engine::Price;
    let mut st = state();
    st.hedge = Some(HedgeState {
        id: InstrumentId(999),
        top: Top {
            bid: Some((Price(39_999), Qty(10_000))),
            ask: Some((Price(40_001), Qty(10_000))),
            live: true,
            updated: st.now,
        },
        tick_rule: TickRule::uniform(1).unwrap(),
        price_unit: 0.05,
        lot_usd: 1.0,
        position: Qty(0),
    });
    st.series[23].position = Qty(300);
    st.cash_eth = cash_eth;
    let g = coin_greeks(&st, 23);
    (st, cash_eth + 300.0 * (g.delta + g.price))
}

#[test]
fn the_hedge_crosses_for_the_usd_delta_beyond_the_band() {
    use engine::Price;
    let (mut st, delta) = with_perpetual(-20.0);
    let mut config = generous();
    let band = config.hedge.max_delta;
    assert!(delta > band + 50.0, "{delta}");
    let perp = |w: &Wanted| {
        w.quotes
            .iter()
            .filter(|q| q.key.instrument == InstrumentId(999))
            .count()
    };
    let on = quotes(config.clone(), &st);
    assert_eq!(perp(&on), 0, "the taker hedge rests nothing");
    let [t] = on.takes[..] else {
        panic!("{:?}", on.takes)
    };
    assert_eq!((t.instrument, t.side), (InstrumentId(999), Side::Sell));
    assert_eq!(t.price, Price(39_999), "sells to the bid");
    // The cash counts: 20 ETH less of it, 20 x 2000 USD less to sell.
    let expected = ((delta - band) * S).floor() as i64;
    assert!((t.qty.0 - expected).abs() <= 1, "{} vs {expected}", t.qty.0);
    // Once the perpetual holds the excess, nothing more.
    st.hedge.as_mut().unwrap().position = Qty(-expected);
    assert!(quotes(config.clone(), &st).takes.is_empty());
    config.hedge.enabled = false;
    st.hedge.as_mut().unwrap().position = Qty(0);
    assert!(quotes(config, &st).takes.is_empty(), "off: no hedge");
}

#[test]
fn the_passive_hedge_rests_the_excess_at_the_passive_best() {
    use engine::Price;
    let (st, delta) = with_perpetual(0.0);
    let mut config = generous();
    config.hedge.style = strategies::config::HedgeStyle::Passive;
    let band = config.hedge.max_delta;
    let on = quotes(config, &st);
    assert!(on.takes.is_empty());
    let h: Vec<_> = on
        .quotes
        .iter()
        .filter(|q| q.key.instrument == InstrumentId(999))
        .collect();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].key.side, Side::Sell);
    assert_eq!(
        h[0].price,
        Price(40_001),
        "rests at the ask, never crossing"
    );
    let expected = ((delta - band) * S).floor() as i64;
    assert!(
        (h[0].qty.0 - expected).abs() <= 1,
        "{} vs {expected}",
        h[0].qty.0
    );
}

#[test]
fn overrides_replace_keys_and_are_checked() {
    let c = RollMakerConfig::from_toml_with(
        DEFAULT_TOML,
        "default",
        &[("edge.min_edge_vol".into(), toml::Value::Float(2.5))],
    )
    .unwrap();
    assert_eq!(c.edge.min_edge_vol, 2.5);
    let e = RollMakerConfig::from_toml_with(
        DEFAULT_TOML,
        "default",
        &[("edge.nope".into(), toml::Value::Float(1.0))],
    )
    .unwrap_err();
    assert!(e.to_string().contains("edge.nope"), "{e}");
    let e = RollMakerConfig::from_toml_with(
        DEFAULT_TOML,
        "default",
        &[("edge.kappa".into(), toml::Value::Float(-1.0))],
    )
    .unwrap_err();
    assert!(e.to_string().contains("edge.kappa"), "{e}");
}

#[test]
fn the_layoff_offers_back_what_is_held_and_no_more() {
    let lots = |w: &Wanted, i: u32, side: Side| -> i64 {
        w.quotes
            .iter()
            .filter(|q| q.key.instrument == InstrumentId(i) && q.key.side == side)
            .map(|q| q.qty.0)
            .sum()
    };
    let mut st = state();
    // April 1100 (K/S 0.55, 30 days): a roll-in series, bid; the maker holds 30 of it.
    st.series[12].position = Qty(30);
    // April 1900 (S/K 1.05): a roll-out series, offered; the maker is short 7 of it.
    st.series[17].position = Qty(-7);
    let mut on = generous();
    on.layoff.enabled = true;
    let w = quotes(on.clone(), &st);
    assert!(lots(&w, 12, Side::Buy) > 0, "the roll-in bid stays");
    assert_eq!(
        lots(&w, 12, Side::Sell),
        30,
        "offered back: 10 + 20 of the 25 level"
    );
    assert_eq!(lots(&w, 17, Side::Buy), 7, "bought back, up to the short");
    assert!(lots(&w, 17, Side::Sell) > 0, "the roll-out offer stays");
    // Nothing held, nothing laid off: the flat series keep their one side.
    assert_eq!(lots(&w, 13, Side::Sell), 0);
    // The lay-off's ask is above fair, by at least the minimum edge less the inventory skew.
    let ask = w
        .quotes
        .iter()
        .find(|q| q.key.instrument == InstrumentId(12) && q.key.side == Side::Sell)
        .map(|q| q.price.0 as f64 * 1e-4);
    assert!(ask.is_some_and(|a| a > fair(&st, 12).0), "{ask:?}");
    let mut off = on;
    off.layoff.enabled = false;
    let w = quotes(off, &st);
    assert_eq!((lots(&w, 12, Side::Sell), lots(&w, 17, Side::Buy)), (0, 0));
}
