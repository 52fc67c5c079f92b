//! Instruments interned once and addressed by a dense index, so books, positions and surfaces can be
//! vectors indexed by [`InstrumentId`] instead of maps keyed by strings.

use super::spec::Instrument;
use rustc_hash::FxHashMap;
use thiserror::Error;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstrumentId(pub u32);

impl InstrumentId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
#[error("unknown instrument '{0}'")]
pub struct UnknownInstrument(pub String);

#[derive(Debug, Error, PartialEq, Eq)]
#[error("instrument '{0}' is already registered with other contract terms")]
pub struct ConflictingInstrument(pub String);

#[derive(Debug, Default, Clone)]
pub struct Instruments {
    list: Vec<Instrument>,
    /// Fx, not SipHash: names are looked up per row or ticker, and come from the venue and our
    /// own files, not from anyone who could pick colliding names.
    by_name: FxHashMap<String, InstrumentId>,
}

impl Instruments {
    pub fn new() -> Instruments {
        Instruments::default()
    }

    /// Adds `instrument`, or returns the id it already has. A second instrument of the same name
    /// with other contract terms is refused: the first one stays.
    pub fn intern(
        &mut self,
        instrument: Instrument,
    ) -> Result<InstrumentId, ConflictingInstrument> {
        if let Some(&id) = self.by_name.get(instrument.name()) {
            return if self.list[id.index()] == instrument {
                Ok(id)
            } else {
                Err(ConflictingInstrument(instrument.name().to_string()))
            };
        }
        let id = InstrumentId(self.list.len() as u32);
        self.by_name.insert(instrument.name().to_string(), id);
        self.list.push(instrument);
        Ok(id)
    }

    pub fn id(&self, name: &str) -> Result<InstrumentId, UnknownInstrument> {
        self.by_name
            .get(name)
            .copied()
            .ok_or_else(|| UnknownInstrument(name.to_string()))
    }

    /// Panics on an id this registry did not hand out: ids are never made from outside data.
    pub fn get(&self, id: InstrumentId) -> &Instrument {
        &self.list[id.index()]
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = (InstrumentId, &Instrument)> {
        self.list
            .iter()
            .enumerate()
            .map(|(i, x)| (InstrumentId(i as u32), x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_once_and_finds_by_name() {
        let mut reg = Instruments::new();
        let a = reg
            .intern(Instrument::deribit("ETH-27MAR26-2000-C").unwrap())
            .unwrap();
        let b = reg
            .intern(Instrument::deribit("ETH-PERPETUAL").unwrap())
            .unwrap();
        assert_eq!(
            reg.intern(Instrument::deribit("ETH-27MAR26-2000-C").unwrap()),
            Ok(a)
        );
        assert_ne!(a, b);
        assert_eq!(reg.len(), 2);
        assert_eq!(reg.id("ETH-PERPETUAL"), Ok(b));
        assert_eq!(reg.get(b).name(), "ETH-PERPETUAL");
        assert_eq!(
            reg.id("ETH-1JAN26-1-C").unwrap_err().to_string(),
            "unknown instrument 'ETH-1JAN26-1-C'"
        );
    }

    #[test]
    fn a_conflicting_spec_does_not_replace_the_first() {
        let mut reg = Instruments::new();
        let first = Instrument::deribit("ETH-27MAR26-2000-C").unwrap();
        let id = reg.intern(first.clone()).unwrap();
        let mut spec = first.spec().clone();
        spec.min_amount = rust_decimal::Decimal::new(1, 1);
        let other = Instrument::new(first.parsed().clone(), spec).unwrap();
        assert_eq!(
            reg.intern(other).unwrap_err().to_string(),
            "instrument 'ETH-27MAR26-2000-C' is already registered with other contract terms"
        );
        assert_eq!(reg.get(id), &first);
    }
}
