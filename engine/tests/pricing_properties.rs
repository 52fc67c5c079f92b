//! Invariants of the pricers on random inputs: put-call parity, no-arbitrage bounds, P + N = 1 ETH,
//! every greek equal to a finite difference of the price, and implied vol inverting the price for
//! discounted, coin-margined and spot-form inputs.

use engine::pricing::bsm::{self, SpotInputs};
use engine::pricing::tokens::{self, Token};
use engine::pricing::{black76, coin, implied_vol, Greeks, ImpliedVolError, OptionType};
use proptest::prelude::*;

/// A Black-76 point: forward, strike, t, vol, discount factor.
fn market() -> impl Strategy<Value = (f64, f64, f64, f64, f64)> {
    (
        100.0..5000.0f64,
        -1.2..1.2f64,
        0.01..3.0f64,
        0.05..2.5f64,
        0.85..1.0f64,
    )
        .prop_map(|(f, x, t, vol, df)| (f, f * (-x).exp(), t, vol, df))
}

fn kinds() -> impl Strategy<Value = OptionType> {
    prop_oneof![Just(OptionType::Call), Just(OptionType::Put)]
}

/// A finite difference and what it can be trusted to: `rel` of the analytic value plus the
/// rounding of prices of size `price` divided by the step(s).
fn agrees(analytic: f64, fd: f64, rel: f64, price: f64, step_scale: f64) -> bool {
    (analytic - fd).abs()
        <= rel * analytic.abs() + 64.0 * f64::EPSILON * price.abs().max(1e-300) / step_scale
}

/// Central differences of `price_of(underlying, vol, t)` in each input, compared with the greeks.
fn check_greeks(
    g: Greeks,
    price_of: impl Fn(f64, f64, f64) -> f64,
    under: f64,
    t: f64,
    vol: f64,
) -> Result<(), TestCaseError> {
    let p = |u: f64, v: f64, tt: f64| price_of(u, v, tt);
    // First derivatives: small steps (truncation ~ step², rounding ~ ε/step).
    let (du, dv, dt) = (under * 1e-6, vol * 1e-6, t * 1e-6);
    let delta = (p(under + du, vol, t) - p(under - du, vol, t)) / (2.0 * du);
    let vega = (p(under, vol + dv, t) - p(under, vol - dv, t)) / (2.0 * dv);
    let theta = -(p(under, vol, t + dt) - p(under, vol, t - dt)) / (2.0 * dt);
    // Second derivatives: larger steps (rounding ~ ε/step²).
    let (du2, dv2) = (under * 1e-4, vol * 1e-4);
    let gamma =
        (p(under + du2, vol, t) - 2.0 * p(under, vol, t) + p(under - du2, vol, t)) / (du2 * du2);
    let volga =
        (p(under, vol + dv2, t) - 2.0 * p(under, vol, t) + p(under, vol - dv2, t)) / (dv2 * dv2);
    let vanna = (p(under + du2, vol + dv2, t)
        - p(under + du2, vol - dv2, t)
        - p(under - du2, vol + dv2, t)
        + p(under - du2, vol - dv2, t))
        / (4.0 * du2 * dv2);
    let price = g.price.abs().max(under);
    prop_assert!(
        agrees(g.delta, delta, 1e-6, price, du),
        "delta {} vs {delta}",
        g.delta
    );
    prop_assert!(
        agrees(g.vega, vega, 1e-6, price, dv),
        "vega {} vs {vega}",
        g.vega
    );
    prop_assert!(
        agrees(g.theta, theta, 1e-6, price, dt),
        "theta {} vs {theta}",
        g.theta
    );
    prop_assert!(
        agrees(g.gamma, gamma, 1e-4, price, du2 * du2),
        "gamma {} vs {gamma}",
        g.gamma
    );
    prop_assert!(
        agrees(g.volga, volga, 1e-4, price, dv2 * dv2),
        "volga {} vs {volga}",
        g.volga
    );
    prop_assert!(
        agrees(g.vanna, vanna, 1e-4, price, du2 * dv2),
        "vanna {} vs {vanna}",
        g.vanna
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn put_call_parity_and_bounds((f, k, t, vol, df) in market()) {
        let c = black76::price(OptionType::Call, f, k, t, vol, df);
        let p = black76::price(OptionType::Put, f, k, t, vol, df);
        prop_assert!(((c - p) - df * (f - k)).abs() <= 1e-13 * (f + k), "C - P = {} vs {}", c - p, df * (f - k));
        let slack = 1e-13 * (f + k);
        prop_assert!(c >= df * (f - k).max(0.0) - slack && c <= df * f + slack);
        prop_assert!(p >= df * (k - f).max(0.0) - slack && p <= df * k + slack);
    }

    #[test]
    fn black76_greeks_are_derivatives_of_the_price(kind in kinds(), (f, k, t, vol, df) in market()) {
        let rate = -df.ln() / t;
        let g = black76::greeks(kind, f, k, t, vol, df);
        // Theta holds the rate fixed, so the discount factor moves with t.
        check_greeks(g, |u, v, tt| black76::price(kind, u, k, tt, v, (-rate * tt).exp()), f, t, vol)?;
    }

    #[test]
    fn spot_greeks_are_derivatives_of_the_price(
        kind in kinds(), spot in 100.0..5000.0f64, x in -1.0..1.0f64, rate in -0.02..0.1f64,
        yield_ in -0.02..0.1f64, t in 0.02..3.0f64, vol in 0.05..2.0f64,
    ) {
        let inputs = SpotInputs { spot, strike: spot * x.exp(), rate, yield_, t, vol };
        let g = bsm::greeks(kind, &inputs);
        check_greeks(g, |s, v, tt| bsm::price(kind, &SpotInputs { spot: s, vol: v, t: tt, ..inputs }), spot, t, vol)?;
    }

    #[test]
    fn coin_greeks_are_derivatives_of_the_coin_price(kind in kinds(), (f, k, t, vol, _df) in market()) {
        // Coin convention: delta = F ∂V_coin/∂F and gamma = ∂delta/∂F; vega and vanna in σ.
        let g = coin::greeks(kind, f, k, t, vol, 1.0);
        let coin_price = |u: f64, v: f64| coin::price(kind, u, k, t, v, 1.0);
        let coin_delta = |u: f64, v: f64| coin::greeks(kind, u, k, t, v, 1.0).delta;
        let (du, dv) = (f * 1e-6, vol * 1e-6);
        let delta = f * (coin_price(f + du, vol) - coin_price(f - du, vol)) / (2.0 * du);
        let gamma = (coin_delta(f + du, vol) - coin_delta(f - du, vol)) / (2.0 * du);
        let vega = (coin_price(f, vol + dv) - coin_price(f, vol - dv)) / (2.0 * dv);
        let vanna = (coin_delta(f, vol + dv) - coin_delta(f, vol - dv)) / (2.0 * dv);
        let size = g.price.abs().max(1.0);
        prop_assert!(agrees(g.delta, delta, 1e-6, size, du / f), "coin delta {} vs {delta}", g.delta);
        prop_assert!(agrees(g.gamma, gamma, 1e-6, size, du), "coin gamma {} vs {gamma}", g.gamma);
        prop_assert!(agrees(g.vega, vega, 1e-6, size, dv), "coin vega {} vs {vega}", g.vega);
        prop_assert!(agrees(g.vanna, vanna, 1e-6, size, dv), "coin vanna {} vs {vanna}", g.vanna);
    }

    #[test]
    fn p_plus_n_is_one_eth((f, k, t, vol, df) in market()) {
        let p = tokens::greeks(Token::P, f, k, t, vol, df);
        let n = tokens::greeks(Token::N, f, k, t, vol, df);
        prop_assert!((p.eth.price + n.eth.price - 1.0).abs() < 1e-15, "ETH: {} + {}", p.eth.price, n.eth.price);
        prop_assert!((p.usd.price + n.usd.price - f).abs() <= 4.0 * f64::EPSILON * f);
        // 1 ETH: USD delta 1 and nothing else; in coin terms no exposure at all.
        prop_assert!((p.usd.delta + n.usd.delta - 1.0).abs() < 1e-15);
        prop_assert!((p.eth.delta + n.eth.delta).abs() < 1e-15);
        for (a, b) in [(p.usd.gamma, n.usd.gamma), (p.usd.vega, n.usd.vega), (p.usd.theta, n.usd.theta),
                       (p.eth.gamma, n.eth.gamma), (p.eth.vega, n.eth.vega), (p.eth.theta, n.eth.theta)] {
            prop_assert!((a + b).abs() <= 1e-15 * b.abs().max(1e-12));
        }
        prop_assert!((tokens::value_eth(Token::P, f, k, t, vol, df) - p.eth.price).abs() < 1e-15);
        // Undiscounted (Deribit's zero-rate convention) P is worth at most K dollars, a dollar
        // claim short a put, and at least 0.
        let p0 = tokens::greeks(Token::P, f, k, t, vol, 1.0).usd.price;
        prop_assert!(p0 <= k * (1.0 + 1e-14) && p0 >= 0.0, "P = {p0} USD, K = {k}");
    }

    #[test]
    fn implied_vol_inverts_discounted_coin_and_spot_prices(kind in kinds(), (f, k, t, vol, df) in market()) {
        let g = black76::greeks(kind, f, k, t, vol, df);
        // What the price can resolve: a few ulps of it, over vega·vol. A subnormal price (below
        // f64::MIN_POSITIVE, far out of the money) has lost its precision: nothing to invert.
        let resolvable = 8.0 * f64::EPSILON * g.price / (g.vega * vol);
        let no_price = g.price < f64::MIN_POSITIVE;
        let tol = 1e-11f64.max(resolvable);
        match implied_vol(kind, g.price, f, k, t, df) {
            Ok(iv) => prop_assert!(((iv - vol) / vol).abs() < tol, "discounted: {iv} vs {vol}"),
            Err(ImpliedVolError::AtIntrinsic { .. }) => prop_assert!(no_price || resolvable > 1e-3, "refused {} with {resolvable:e}", g.price),
            Err(e) => return Err(TestCaseError::fail(e.to_string())),
        }
        let coin_price = coin::price(kind, f, k, t, vol, df);
        match implied_vol(kind, coin_price * f, f, k, t, df) {
            Ok(iv) => prop_assert!(((iv - vol) / vol).abs() < 2.0 * tol, "coin: {iv} vs {vol}"),
            Err(ImpliedVolError::AtIntrinsic { .. }) => prop_assert!(no_price || resolvable > 1e-3),
            Err(e) => return Err(TestCaseError::fail(e.to_string())),
        }
    }
}
