//! The roll as one package (ROLLS.md, "Where holders and the maker meet"): a holder's whole roll,
//! out of the old series and into the new, at one net price the maker quotes. In call terms a P
//! holder buys back the old call and sells the new one; the package's fair value is what those
//! legs are worth at fair, the maker adds the carry of the lots it takes on (to their expiry; none
//! for lots it takes back) and its edge (bps of the P value rolled, more where the roll adds to
//! what it already holds, less, down to none, where it takes it back: a later roller out of a
//! series the maker is long nets its inventory) and rounds the net once, to the P token's tick,
//! in its own favour: no leg is rounded on its own, and no leg is left undone.
//!
//! Pure: the caller gives the fair values (Deribit's marks on chain data, the model's fair on the
//! synthetic market) and the maker's holdings.

use engine::{InstrumentId, Side};
use serde::Deserialize;

/// `[package]` of the roll maker's config.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PackageConfig {
    /// The maker's edge over the package's fair value, bps of the P value rolled.
    pub edge_bps: f64,
    /// Added edge, bps, per 100 lots the maker already holds the way the package adds to; taken
    /// off, down to no edge, per 100 lots of what the package takes back.
    pub skew_bps_per_100_lots: f64,
    /// No package that would take the maker beyond this many lots in a series.
    pub max_series_lots: i64,
    /// Carry, bps of 1 ETH a year, on each contract a package adds to the maker's book, to its
    /// expiry.
    pub carry_bps_per_year: f64,
}

/// The package maker: its pricing (`[package]`) and the roll maker's risk limits (`[limits]`),
/// which a package must keep to as the leg quotes do (delta apart: the package maker hedges it).
#[derive(Clone, Debug, PartialEq)]
pub struct PackageMaker {
    pub pricing: PackageConfig,
    pub limits: crate::config::Limits,
}

impl PackageMaker {
    pub fn of(config: &crate::RollMakerConfig) -> PackageMaker {
        PackageMaker {
            pricing: config.package.clone(),
            limits: config.limits.clone(),
        }
    }
}

/// One leg of a holder's roll, in call terms.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PackageLeg {
    pub id: InstrumentId,
    /// The holder's side (a P holder buys the old call back and sells the new one).
    pub holder_side: Side,
    pub lots: i64,
    /// Fair value, ETH per contract.
    pub fair: f64,
    /// Lots the maker holds now (signed).
    pub held: i64,
    /// Carry, ETH, per contract the maker adds to its position and holds to expiry
    /// (`carry_bps_per_year` times the years to it).
    pub carry: f64,
}

/// The maker's price for a package.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PackageQuote {
    /// What the holder pays the maker for the whole package (negative: is paid), in units of
    /// the P token's tick, rounded once in the maker's favour.
    pub net_units: i64,
    /// The legs at fair, ETH (what the holder would pay at fair).
    pub fair_net: f64,
}

/// Why the maker gives no price for a package.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoQuote {
    /// A leg without a usable fair value or size, or no P value.
    Unpriced,
    /// It would take the maker beyond `max_series_lots` in a series.
    SeriesFull,
}

/// The P token's tick, ETH: the package's one rounding.
pub const PACKAGE_TICK: f64 = 1e-4;

/// The package of `legs`, whose P value rolled is `p_value_eth`, or why there is none.
pub fn quote(
    config: &PackageConfig,
    legs: &[PackageLeg],
    p_value_eth: f64,
) -> Result<PackageQuote, NoQuote> {
    let mut fair_net = 0.0;
    let mut carry = 0.0;
    let (mut aligned, mut reducing) = (0, 0);
    for l in legs {
        if !(l.fair.is_finite() && l.fair >= 0.0 && l.lots > 0) {
            return Err(NoQuote::Unpriced);
        }
        let holder = l.holder_side.sign();
        let after = l.held - holder * l.lots;
        if after.abs() > config.max_series_lots {
            return Err(NoQuote::SeriesFull);
        }
        fair_net += (holder * l.lots) as f64 * l.fair;
        // Carry on what the maker adds to its position; lots it takes back carry none.
        carry += (after.abs() - l.held.abs()).max(0) as f64 * l.carry;
        // The maker takes the other side: lots it already holds that way make it dearer.
        if l.held.signum() == -holder {
            aligned += l.held.abs();
        } else if l.held.signum() == holder {
            reducing += l.held.abs().min(l.lots);
        }
    }
    if !(p_value_eth.is_finite() && p_value_eth > 0.0) {
        return Err(NoQuote::Unpriced);
    }
    let skew = config.skew_bps_per_100_lots * (aligned - reducing) as f64 / 100.0;
    let edge_bps = (config.edge_bps + skew).max(0.0);
    let net = fair_net + edge_bps * 1e-4 * p_value_eth + carry;
    Ok(PackageQuote {
        // Up to the tick, but not for float noise: a net on the tick stays there.
        net_units: (net / PACKAGE_TICK - 1e-6).ceil() as i64,
        fair_net,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> PackageConfig {
        PackageConfig {
            edge_bps: 2.0,
            skew_bps_per_100_lots: 1.0,
            max_series_lots: 500,
            carry_bps_per_year: 0.0,
        }
    }

    fn legs(held: [i64; 2]) -> [PackageLeg; 2] {
        [
            PackageLeg {
                id: InstrumentId(0),
                holder_side: Side::Buy,
                lots: 10,
                fair: 0.42,
                held: held[0],
                carry: 0.0,
            },
            PackageLeg {
                id: InstrumentId(1),
                holder_side: Side::Sell,
                lots: 12,
                fair: 0.30,
                held: held[1],
                carry: 0.0,
            },
        ]
    }

    #[test]
    fn the_net_is_fair_plus_the_edge_rounded_once_for_the_maker() {
        // Fair: 10 x 0.42 - 12 x 0.30 = 0.6 ETH; edge 2 bps of a P value of 5.8 ETH: 0.00116.
        let q = quote(&config(), &legs([0, 0]), 5.8).unwrap();
        assert!((q.fair_net - 0.6).abs() < 1e-12);
        assert_eq!(q.net_units, 6012, "0.60116 rounds up to 0.6012");
    }

    #[test]
    fn inventory_the_same_way_widens_the_other_way_narrows_and_limits_refuse() {
        // The maker is already short 100 of the call it would sell again (the holder buys).
        let q = quote(&config(), &legs([-100, 0]), 5.8).unwrap();
        // 3 bps: 0.00174, so 0.60174 -> 0.6018.
        assert_eq!(q.net_units, 6018);
        // Long the same call instead: the package takes 10 of it back, 0.1 bps off (1.9 bps:
        // 0.601102 -> 0.6012).
        let mut wide = config();
        wide.max_series_lots = 100_000;
        let units = |held| quote(&wide, &legs(held), 5.8).unwrap().net_units;
        assert_eq!(units([100, 0]), 6012);
        // Long 500 of the new call, which the holder sells to the maker: 5 bps more (7 bps:
        // 0.60406 -> 0.6041); short 500 of it: 12 lots back, 1.88 bps (0.6010904 -> 0.6011).
        assert_eq!(units([0, 500]), 6041);
        assert_eq!(units([0, -500]), 6011);
        // Never below no edge: at 50 bps per 100 lots, 12 lots back would take 6 bps off 2.
        wide.skew_bps_per_100_lots = 50.0;
        assert_eq!(quote(&wide, &legs([0, -500]), 5.8).unwrap().net_units, 6000);
        assert_eq!(
            quote(&config(), &legs([-495, 0]), 5.8),
            Err(NoQuote::SeriesFull)
        );
        let mut bad = legs([0, 0]);
        bad[1].fair = f64::NAN;
        assert_eq!(quote(&config(), &bad, 5.8), Err(NoQuote::Unpriced));
    }

    #[test]
    fn carry_is_charged_on_the_lots_added_and_not_on_those_taken_back() {
        let mut wide = config();
        wide.max_series_lots = 100_000;
        wide.skew_bps_per_100_lots = 0.0;
        let with_carry = |held: [i64; 2]| {
            let mut l = legs(held);
            // 0.0005 ETH a contract on the old call, 0.002 on the new one.
            l[0].carry = 0.0005;
            l[1].carry = 0.002;
            quote(&wide, &l, 5.8).unwrap().net_units
        };
        // Flat: the maker adds 10 short of the old call and 12 long of the new one: 0.029 ETH
        // more than 0.60116, so 0.63016 -> 0.6302.
        assert_eq!(with_carry([0, 0]), 6302);
        // Long 10 of the old call: the holder's 10 take it back, no carry there; 0.024 on the
        // new: 0.62516 -> 0.6252.
        assert_eq!(with_carry([10, 0]), 6252);
        // Short 5 of the new one: the 12 bought close those 5 and leave 7 long, so the contracts
        // held grow by 2: 0.0005 x 10 + 0.002 x 2 = 0.009 more: 0.61016 -> 0.6102.
        assert_eq!(with_carry([0, -5]), 6102);
    }
}
