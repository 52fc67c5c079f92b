//! Fees, applied per fill and at settlement, in exact decimals (ETH): where the venue rounds, we
//! say so; we never round silently.
//!
//! Deribit ETH options (VENUE.md; "verify" against the live fee schedule): maker and taker pay
//! 0.03% of the underlying per contract (0.0003 ETH), capped at 12.5% of the option price; at
//! delivery 0.015% (0.00015 ETH), capped at 12.5% of the option's settlement value.

use rust_decimal::Decimal;

/// What a fill or a settlement costs.
pub trait FeeModel {
    /// Fee in ETH for `contracts` at `price` (ETH per contract); positive is paid.
    fn trade_fee(&self, price: Decimal, contracts: Decimal, maker: bool) -> Decimal;
    /// Fee in ETH for settling `contracts` worth `value` ETH each at expiry.
    fn delivery_fee(&self, value: Decimal, contracts: Decimal) -> Decimal;
}

/// Deribit's ETH option schedule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DeribitOptionFees {
    pub maker_per_contract: Decimal,
    pub taker_per_contract: Decimal,
    pub delivery_per_contract: Decimal,
    /// Cap as a fraction of the option price (or settlement value).
    pub cap: Decimal,
}

impl Default for DeribitOptionFees {
    fn default() -> Self {
        DeribitOptionFees {
            maker_per_contract: Decimal::new(3, 4),
            taker_per_contract: Decimal::new(3, 4),
            delivery_per_contract: Decimal::new(15, 5),
            cap: Decimal::new(125, 3),
        }
    }
}

impl FeeModel for DeribitOptionFees {
    fn trade_fee(&self, price: Decimal, contracts: Decimal, maker: bool) -> Decimal {
        let per = if maker {
            self.maker_per_contract
        } else {
            self.taker_per_contract
        };
        (per.min(self.cap * price)) * contracts.abs()
    }

    fn delivery_fee(&self, value: Decimal, contracts: Decimal) -> Decimal {
        (self.delivery_per_contract.min(self.cap * value)) * contracts.abs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn per_contract_with_the_cap_on_cheap_options() {
        let f = DeribitOptionFees::default();
        // 0.05 ETH option: 0.0003 per contract (12.5% of 0.05 is 0.00625).
        assert_eq!(f.trade_fee(d("0.05"), d("10"), true), d("0.003"));
        // 0.0016 ETH option: capped at 12.5% = 0.0002 per contract.
        assert_eq!(f.trade_fee(d("0.0016"), d("10"), false), d("0.002"));
        // Delivery: 0.00015 per contract, capped on a nearly worthless settlement.
        assert_eq!(f.delivery_fee(d("0.2"), d("-4")), d("0.0006"));
        assert_eq!(f.delivery_fee(d("0.0008"), d("4")), d("0.0004"));
        assert_eq!(f.delivery_fee(d("0"), d("4")), d("0"));
    }
}
