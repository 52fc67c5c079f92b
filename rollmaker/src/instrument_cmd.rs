//! `rollmaker instrument`: parse Deribit names and print their contract terms.

use anyhow::Result;
use engine::instrument::Instrument;

pub fn run(names: &[String]) -> Result<()> {
    for name in names {
        let inst = Instrument::deribit(name)?;
        let spec = inst.spec();
        println!("{}", inst.name());
        println!("  kind:        {:?}", inst.kind());
        if let Some(expiry) = inst.kind().expiry() {
            println!("  settles:     {}", expiry.settlement_time());
        }
        println!("  price unit:  {}", spec.price_unit);
        println!("  tick size:   {}", spec.tick_size);
        for (above, tick) in &spec.tick_size_steps {
            println!("    above {above}: {tick}");
        }
        println!("  contract:    {}", spec.contract_size);
        println!("  min amount:  {}", spec.min_amount);
        println!(
            "  settlement:  {} ({:?})",
            spec.settlement_currency, spec.pnl
        );
    }
    Ok(())
}
