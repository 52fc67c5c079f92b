//! The rollmaker command line: argument parsing and wiring only.

mod book_demo;

use anyhow::Result;
use clap::{Parser, Subcommand};
use engine::instrument::Instrument;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "rollmaker",
    version,
    about = "Passive one-sided market making in option rolls"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a short scripted session on the matching engine and print the events, the book and
    /// the positions (a stand-in for the backtest until it lands).
    BookDemo,
    /// Parse Deribit instrument names and print their contract terms.
    Instrument {
        /// Names such as ETH-27MAR26-2000-C, ETH-27MAR26, ETH-PERPETUAL, P.ETH-27MAR26-2000.
        #[arg(required = true)]
        names: Vec<String>,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse().command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Every error so far is bad input (a name, a number): exit 2, as clap does for flags.
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(command: Command) -> Result<()> {
    match command {
        Command::BookDemo => book_demo::run(),
        Command::Instrument { names } => {
            for name in names {
                let inst = Instrument::deribit(&name)?;
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
    }
}
