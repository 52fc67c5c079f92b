//! Checking numbers that come from outside (command line, files, the wire) before they reach a
//! pricer: the hot-path functions assume valid inputs and only `debug_assert` them.

use thiserror::Error;

/// A pricing input that is not a usable number, named.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{name} = {value} is invalid: it must be {rule}")]
pub struct InputError {
    pub name: &'static str,
    pub value: f64,
    pub rule: &'static str,
}

/// `value` must be finite and > 0.
pub fn positive(name: &'static str, value: f64) -> Result<f64, InputError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(InputError {
            name,
            value,
            rule: "finite and greater than 0",
        })
    }
}

/// `value` must be finite and >= 0.
pub fn non_negative(name: &'static str, value: f64) -> Result<f64, InputError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(InputError {
            name,
            value,
            rule: "finite and at least 0",
        })
    }
}

/// `value` must be finite (rates and yields may be negative).
pub fn finite(name: &'static str, value: f64) -> Result<f64, InputError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(InputError {
            name,
            value,
            rule: "finite",
        })
    }
}

/// The inputs every Black-76 function takes: forward, strike, time, vol, discount factor.
#[inline]
pub fn check_black(f: f64, k: f64, t: f64, vol: f64, df: f64) -> Result<(), InputError> {
    // One test for the usual case; the named checks only when something is off.
    let finite_non_negative = |v: f64| (0.0..f64::INFINITY).contains(&v);
    if f > 0.0
        && f.is_finite()
        && k > 0.0
        && k.is_finite()
        && finite_non_negative(t)
        && finite_non_negative(vol)
        && df > 0.0
        && df.is_finite()
    {
        return Ok(());
    }
    positive("forward", f)?;
    positive("strike", k)?;
    non_negative("t", t)?;
    non_negative("vol", vol)?;
    positive("discount factor", df)?;
    Ok(())
}
