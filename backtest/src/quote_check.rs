//! The one rule both data readers apply to an option's quote: numbers that parse but cannot be
//! a market (the real chain has none; they would turn into wrong figures downstream). Each reader
//! names the fault with its own columns.

/// What is wrong with a quote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    NegativeMark,
    /// The mark's implied vol is not in (0, 10] (1000%); 0 is taken only with a mark of 0 (a
    /// worthless option has no vol to invert).
    Vol,
    /// The best bid is above the best ask.
    Crossed,
}

/// The quote's fault, if any: mark and implied vol (a fraction), best bid and ask.
pub fn check(mark: f64, iv: f64, bid: Option<f64>, ask: Option<f64>) -> Option<Fault> {
    if mark < 0.0 {
        return Some(Fault::NegativeMark);
    }
    let worthless = mark == 0.0 && iv == 0.0;
    if !(worthless || (iv > 0.0 && iv <= 10.0)) {
        return Some(Fault::Vol);
    }
    match (bid, ask) {
        (Some(b), Some(a)) if b > a => Some(Fault::Crossed),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_vols_and_crossed_quotes() {
        assert_eq!(check(0.05, 0.6, Some(0.04), Some(0.06)), None);
        assert_eq!(check(0.0, 0.0, None, None), None);
        assert_eq!(check(-1e-17, 0.6, None, None), Some(Fault::NegativeMark));
        assert_eq!(check(0.05, 0.0, None, None), Some(Fault::Vol));
        assert_eq!(check(0.05, 1e4, None, None), Some(Fault::Vol));
        assert_eq!(
            check(0.05, 0.6, Some(0.06), Some(0.05)),
            Some(Fault::Crossed)
        );
    }
}
