//! The chain quote record: an option's `options_chain` quote (its mark, mark IV, best bid and
//! ask with their sizes, its expiry's underlying price) in three 32-byte slots. The floats are
//! the quote's own, bit for bit: the replay prices from them as it does from the CSV.
//!
//! Layout: time (i64 ns), instrument (u32), kind (u8 = 3), sides (u8: bit 0 a bid, bit 1 an
//! ask), 2 reserved bytes; strike (f64), expiration (i64 ns); bid price, bid amount, ask price,
//! ask amount, mark, mark IV (a fraction), underlying price (f64 each); 8 reserved bytes.

use engine::{InstrumentId, Timestamp};

pub const QUOTE_SIZE: usize = 96;
pub(super) const QUOTE_KIND: u8 = 3;

/// One option's quote.
#[derive(Clone, Debug, PartialEq)]
pub struct QuoteRecord {
    pub at: Timestamp,
    pub instrument: InstrumentId,
    pub strike: f64,
    pub expiration: Timestamp,
    /// (price, amount) where quoted.
    pub bid: Option<(f64, f64)>,
    pub ask: Option<(f64, f64)>,
    pub mark: f64,
    pub mark_iv: f64,
    pub underlying_price: f64,
}

impl QuoteRecord {
    pub(super) fn encode(&self, out: &mut [u8; QUOTE_SIZE]) {
        out.fill(0);
        out[0..8].copy_from_slice(&self.at.0.to_le_bytes());
        out[8..12].copy_from_slice(&self.instrument.0.to_le_bytes());
        out[12] = QUOTE_KIND;
        out[13] = u8::from(self.bid.is_some()) | (u8::from(self.ask.is_some()) << 1);
        let (bid, ask) = (self.bid.unwrap_or_default(), self.ask.unwrap_or_default());
        let slots = [
            self.strike.to_bits(),
            self.expiration.0 as u64,
            bid.0.to_bits(),
            bid.1.to_bits(),
            ask.0.to_bits(),
            ask.1.to_bits(),
            self.mark.to_bits(),
            self.mark_iv.to_bits(),
            self.underlying_price.to_bits(),
        ];
        for (i, v) in slots.iter().enumerate() {
            out[16 + 8 * i..24 + 8 * i].copy_from_slice(&v.to_le_bytes());
        }
    }

    pub(crate) fn decode(b: &[u8]) -> Result<QuoteRecord, String> {
        let u64_at = |i: usize| super::u64_at(b, i);
        let f = |slot: usize| f64::from_bits(u64_at(16 + 8 * slot));
        let mut id = [0u8; 4];
        id.copy_from_slice(&b[8..12]);
        let sides = b[13];
        if sides > 3 {
            return Err(format!("quote sides byte {sides} is not 0 to 3"));
        }
        let q = QuoteRecord {
            at: Timestamp(u64_at(0) as i64),
            instrument: InstrumentId(u32::from_le_bytes(id)),
            strike: f(0),
            expiration: Timestamp(u64_at(24) as i64),
            bid: (sides & 1 != 0).then(|| (f(2), f(3))),
            ask: (sides & 2 != 0).then(|| (f(4), f(5))),
            mark: f(6),
            mark_iv: f(7),
            underlying_price: f(8),
        };
        q.check()?;
        Ok(q)
    }

    /// What a quote may hold: every number finite, the strike and underlying positive, a quoted
    /// side's price and amount positive, the mark and IV not negative.
    fn check(&self) -> Result<(), String> {
        // Each comparison is false for NaN, and `is_finite` rules out the infinities.
        let positive = |x: f64| x > 0.0 && x.is_finite();
        let not_negative = |x: f64| x >= 0.0 && x.is_finite();
        let side = |s: Option<(f64, f64)>| s.is_none_or(|(p, a)| positive(p) && positive(a));
        let ok = positive(self.strike)
            && positive(self.underlying_price)
            && not_negative(self.mark)
            && not_negative(self.mark_iv)
            && side(self.bid)
            && side(self.ask);
        if ok {
            Ok(())
        } else {
            Err(format!("a quote that cannot be a market: {self:?}"))
        }
    }
}
