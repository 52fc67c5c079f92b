//! The Guéant-Lehalle-Fernandez-Tapia closed-form edges (Guéant, "Optimal market making", 2017,
//! the asymptotic approximation): for inventory q (in units), risk aversion γ, fill intensity
//! A·e^{-κδ} and volatility σ of the fair value,
//! `δ_bid(q) = c + (2q + 1)/2 · ω`, `δ_ask(q) = c - (2q - 1)/2 · ω`,
//! `c = ln(1 + γ/κ)/γ`, `ω = √(σ²γ/(2κA) · (1 + γ/κ)^{1 + κ/γ})`.
//! The edge on the side that adds to the inventory grows with it.

use crate::config::Edge;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Glft {
    c: f64,
    omega: f64,
}

impl Glft {
    pub fn new(e: &Edge) -> Glft {
        let ratio = 1.0 + e.gamma / e.kappa;
        Glft {
            c: ratio.ln() / e.gamma,
            omega: (e.vol_of_vol * e.vol_of_vol * e.gamma / (2.0 * e.kappa * e.arrival_per_day)
                * ratio.powf(1.0 + e.kappa / e.gamma))
            .sqrt(),
        }
    }

    /// Edge below fair for a bid at inventory `q` (long positive).
    pub fn bid(&self, q: f64) -> f64 {
        self.c + (2.0 * q + 1.0) / 2.0 * self.omega
    }

    /// Edge above fair for an ask at inventory `q`.
    pub fn ask(&self, q: f64) -> f64 {
        self.c - (2.0 * q - 1.0) / 2.0 * self.omega
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_widen_with_inventory_on_the_adding_side() {
        let e = Edge {
            gamma: 0.1,
            kappa: 1.5,
            arrival_per_day: 5.0,
            vol_of_vol: 2.0,
            vega_unit: 1.0,
            min_edge_vol: 0.0,
            carry_bps_per_year: 0.0,
        };
        let g = Glft::new(&e);
        assert!(g.bid(5.0) > g.bid(0.0) && g.bid(0.0) > g.bid(-5.0));
        assert!(g.ask(-5.0) > g.ask(0.0) && g.ask(0.0) > g.ask(5.0));
        // Flat: the two edges are equal, c + ω/2.
        assert!((g.bid(0.0) - g.ask(0.0)).abs() < 1e-15);
        let c = (1.0f64 + 0.1 / 1.5).ln() / 0.1;
        assert!((g.bid(0.0) - c - g.omega / 2.0).abs() < 1e-15);
    }
}
