//! `rollmaker instrument`: parse Deribit names and print their contract terms.

use crate::out::out;
use anyhow::Result;
use engine::instrument::Instrument;

pub fn run(names: &[String]) -> Result<()> {
    for name in names {
        let inst = Instrument::deribit(name)?;
        let spec = inst.spec();
        out!("{}", inst.name());
        out!("  kind:        {:?}", inst.kind());
        if let Some(expiry) = inst.kind().expiry() {
            out!("  settles:     {}", expiry.settlement_time());
        }
        out!("  price unit:  {}", spec.price_unit);
        out!("  tick size:   {}", spec.tick_size);
        for (above, tick) in &spec.tick_size_steps {
            out!("    above {above}: {tick}");
        }
        out!("  contract:    {}", spec.contract_size);
        out!("  min amount:  {}", spec.min_amount);
        out!(
            "  settlement:  {} ({:?})",
            spec.settlement_currency,
            spec.pnl
        );
    }
    Ok(())
}
