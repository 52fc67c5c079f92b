//! What an expiring coin-margined option pays: a call (S - K)+/S ETH per contract, a put
//! (K - S)+/S, at the delivery price S (Deribit: the 30-minute TWAP of the index before 08:00 UTC
//! on expiry day). Computed in exact decimals; the payout is rounded down to the satoshi-like
//! 1e-10 ETH only where the division does not end (said here, and nowhere else). The backtest's
//! settlement, the local venue's delivery and the live service's booking of it all use this.

use crate::instrument::OptionRight;
use rust_decimal::{Decimal, RoundingStrategy};

/// Settlement value in ETH of one contract at index `s`; None for a price that is not positive.
pub fn value_per_contract(right: OptionRight, strike: Decimal, s: Decimal) -> Option<Decimal> {
    if s <= Decimal::ZERO {
        return None;
    }
    let intrinsic = match right {
        OptionRight::Call => (s - strike).max(Decimal::ZERO),
        OptionRight::Put => (strike - s).max(Decimal::ZERO),
    };
    Some((intrinsic / s).round_dp_with_strategy(10, RoundingStrategy::ToZero))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn calls_and_puts_settle_in_eth() {
        assert_eq!(
            value_per_contract(OptionRight::Call, d("2000"), d("2500")),
            Some(d("0.2"))
        );
        assert_eq!(
            value_per_contract(OptionRight::Call, d("2000"), d("1500")),
            Some(d("0"))
        );
        assert_eq!(
            value_per_contract(OptionRight::Put, d("2000"), d("1600")),
            Some(d("0.25"))
        );
        // 1/3 does not end: rounded down at 1e-10 ETH.
        assert_eq!(
            value_per_contract(OptionRight::Call, d("2000"), d("3000")),
            Some(d("0.3333333333"))
        );
        assert_eq!(
            value_per_contract(OptionRight::Call, d("2000"), d("0")),
            None
        );
    }
}
