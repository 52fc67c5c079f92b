//! The P and N tokens of a series (strike K, expiry T), ROLLS.md: 1 ETH splits into one P, paying
//! `min(1, K/S_T)` ETH, and one N, paying `max(0, 1 - K/S_T)` ETH. N is exactly a coin-margined
//! call, so `N = C/F` ETH and `P = 1 - C/F` ETH (the 1 ETH is not discounted: coin rate 0), and
//! in USD `N = C`, `P = F - C`. Their greeks are opposite, except that P carries the 1 ETH's USD
//! delta.

use super::black76;
use super::coin;
use super::greeks::{Greeks, OptionType};

/// Which token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token {
    P,
    N,
}

/// A token's value and greeks in both currencies: `usd` has greeks with respect to `F` in USD,
/// `eth` uses the coin convention of [`coin`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TokenGreeks {
    pub usd: Greeks,
    pub eth: Greeks,
}

/// Value and greeks of a token, with `df` the USD discount factor applied to the call.
pub fn greeks(token: Token, f: f64, k: f64, t: f64, vol: f64, df: f64) -> TokenGreeks {
    let call = black76::greeks(OptionType::Call, f, k, t, vol, df);
    let n = TokenGreeks {
        usd: call,
        eth: coin::from_usd(call, f),
    };
    match token {
        Token::N => n,
        Token::P => {
            let mut usd = call.scaled(-1.0);
            usd.price += f;
            usd.delta += 1.0;
            let mut eth = n.eth.scaled(-1.0);
            eth.price += 1.0;
            TokenGreeks { usd, eth }
        }
    }
}

/// The ETH value of a token.
pub fn value_eth(token: Token, f: f64, k: f64, t: f64, vol: f64, df: f64) -> f64 {
    let n = black76::price(OptionType::Call, f, k, t, vol, df) / f;
    match token {
        Token::N => n,
        Token::P => 1.0 - n,
    }
}
