//! `rollmaker price`: one option or token priced, greeks as JSON.

use crate::out::out;
use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use engine::pricing::bsm::{self, SpotInputs};
use engine::pricing::tokens::{self, Token};
use engine::pricing::{black76, coin, input, Greeks, OptionType};
use serde_json::json;

/// What to price.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Kind {
    Call,
    Put,
    /// The P token: min(1, K/S_T) ETH.
    P,
    /// The N token: max(0, 1 - K/S_T) ETH (a coin-margined call).
    N,
}

#[derive(Args, Debug)]
#[command(allow_negative_numbers = true)]
pub struct PriceArgs {
    /// call, put, or the tokens p and n.
    #[arg(long = "type", value_enum)]
    kind: Kind,
    /// Forward of the expiry (Black-76 form).
    #[arg(long, required_unless_present = "spot", conflicts_with = "spot")]
    forward: Option<f64>,
    /// Spot (generalised Black-Scholes-Merton form, with --rate and --yield).
    #[arg(long, requires_all = ["rate", "yield_"])]
    spot: Option<f64>,
    /// Continuously compounded rate (spot form).
    #[arg(long, requires = "spot")]
    rate: Option<f64>,
    /// Continuous carry yield: dividend or foreign rate (spot form).
    #[arg(long = "yield", requires = "spot")]
    yield_: Option<f64>,
    #[arg(long)]
    strike: f64,
    /// Time to expiry in years.
    #[arg(long)]
    t: f64,
    /// Volatility as a fraction (0.65 = 65%).
    #[arg(long)]
    vol: f64,
    /// Discount factor (forward form); 1 by default, as Deribit prices.
    #[arg(long, conflicts_with = "spot")]
    df: Option<f64>,
    /// Coin-margined: price in the coin (USD price / forward) and Deribit's coin greeks.
    #[arg(long, conflicts_with = "spot")]
    coin: bool,
}

pub fn run(args: &PriceArgs) -> Result<()> {
    let (greeks, unit) = match (args.forward, args.spot) {
        (Some(forward), _) => forward_form(args, forward)?,
        (None, Some(spot)) => spot_form(args, spot)?,
        (None, None) => bail!("give --forward, or --spot with --rate and --yield"),
    };
    // JSON has no NaN or infinity: an input that overflows is refused, never printed as null.
    let fields = [
        ("price", greeks.price),
        ("delta", greeks.delta),
        ("gamma", greeks.gamma),
        ("vega", greeks.vega),
        ("theta", greeks.theta),
        ("vanna", greeks.vanna),
        ("volga", greeks.volga),
    ];
    if let Some((name, v)) = fields.iter().find(|(_, v)| !v.is_finite()) {
        bail!("the inputs overflow: {name} comes out as {v}; check --forward/--spot, --strike, --t and --vol");
    }
    let out = json!({
        "price": greeks.price,
        "delta": greeks.delta,
        "gamma": greeks.gamma,
        "vega": greeks.vega,
        "theta": greeks.theta,
        "vanna": greeks.vanna,
        "volga": greeks.volga,
        "unit": unit,
    });
    out!("{out}");
    Ok(())
}

fn forward_form(args: &PriceArgs, forward: f64) -> Result<(Greeks, &'static str)> {
    let df = args.df.unwrap_or(1.0);
    input::check_black(forward, args.strike, args.t, args.vol, df)?;
    let (f, k, t, vol) = (forward, args.strike, args.t, args.vol);
    let option = |kind| {
        if args.coin {
            (coin::greeks(kind, f, k, t, vol, df), "ETH")
        } else {
            (black76::greeks(kind, f, k, t, vol, df), "USD")
        }
    };
    let token = |token| {
        let g = tokens::greeks(token, f, k, t, vol, df);
        if args.coin {
            (g.eth, "ETH")
        } else {
            (g.usd, "USD")
        }
    };
    Ok(match args.kind {
        Kind::Call => option(OptionType::Call),
        Kind::Put => option(OptionType::Put),
        Kind::P => token(Token::P),
        Kind::N => token(Token::N),
    })
}

fn spot_form(args: &PriceArgs, spot: f64) -> Result<(Greeks, &'static str)> {
    let kind = match args.kind {
        Kind::Call => OptionType::Call,
        Kind::Put => OptionType::Put,
        Kind::P | Kind::N => bail!("--type p and n are priced on a forward: use --forward"),
    };
    let inputs = SpotInputs {
        spot,
        strike: args.strike,
        rate: args.rate.unwrap_or(0.0),
        yield_: args.yield_.unwrap_or(0.0),
        t: args.t,
        vol: args.vol,
    };
    inputs.check()?;
    Ok((bsm::greeks(kind, &inputs), "USD"))
}
