//! Instruments: what a name means, how its prices and sizes are counted, and a dense registry.

mod expiry;
mod name;
mod registry;
mod spec;

pub use expiry::{Expiry, SETTLEMENT_HOUR_UTC};
pub use name::{InstrumentKind, InstrumentName, NameError, OptionRight};
pub use registry::{ConflictingInstrument, InstrumentId, Instruments, UnknownInstrument};
pub use spec::{ContractSpec, FloatTerms, Instrument, PnlStyle, SpecError, ValueError};
