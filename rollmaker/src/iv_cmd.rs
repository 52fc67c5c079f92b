//! `rollmaker iv`: the implied volatility of one price, or of every row of a CSV file.

use crate::out::out;
use anyhow::{bail, Context, Result};
use clap::Args;
use engine::pricing::{implied_vol, ImpliedVolError, OptionType};
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;

/// The option whose implied vol is asked for.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Right {
    Call,
    Put,
}

#[derive(Args, Debug)]
#[command(allow_negative_numbers = true)]
pub struct IvArgs {
    /// A CSV with a header holding forward,strike,t,type and price (or black_price); `#` lines
    /// are skipped. Writes the rows to stdout with `iv` and `error` columns added.
    #[arg(long, conflicts_with_all = ["kind", "forward", "strike", "t", "price"])]
    csv: Option<PathBuf>,
    /// call or put (the letters p and n are not taken here: in `rollmaker price` they are the
    /// P and N tokens).
    #[arg(long = "type", value_enum, required_unless_present = "csv")]
    kind: Option<Right>,
    #[arg(long, required_unless_present = "csv")]
    forward: Option<f64>,
    #[arg(long, required_unless_present = "csv")]
    strike: Option<f64>,
    /// Time to expiry in years.
    #[arg(long, required_unless_present = "csv")]
    t: Option<f64>,
    /// The option price: USD, or ETH with --coin.
    #[arg(long, required_unless_present = "csv")]
    price: Option<f64>,
    /// Discount factor; 1 by default.
    #[arg(long)]
    df: Option<f64>,
    /// The price is in the coin (USD price / forward), as on Deribit.
    #[arg(long)]
    coin: bool,
}

pub fn run(args: &IvArgs) -> Result<()> {
    let df = args.df.unwrap_or(1.0);
    if let Some(path) = &args.csv {
        return csv_file(path, df, args.coin);
    }
    let (Some(kind), Some(f), Some(k), Some(t), Some(price)) =
        (args.kind, args.forward, args.strike, args.t, args.price)
    else {
        bail!("give --type, --forward, --strike, --t and --price, or --csv FILE");
    };
    let kind = match kind {
        Right::Call => OptionType::Call,
        Right::Put => OptionType::Put,
    };
    let iv = solve(kind, price, f, k, t, df, args.coin)?;
    out!("{}", json!({ "iv": iv }));
    Ok(())
}

/// Copies the file's rows to stdout with `iv` and `error` appended. A row without an implied vol
/// (bad number, no time value, out of bounds) gets the reason in `error` and the run goes on;
/// a file without the needed columns is refused.
fn csv_file(path: &PathBuf, df: f64, coin: bool) -> Result<()> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let body: String = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(|l| [l, "\n"])
        .collect();
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(body.as_bytes());
    let header = reader
        .headers()
        .with_context(|| format!("{}: no header", path.display()))?
        .clone();
    let col = |name: &str| header.iter().position(|h| h == name);
    let need = |name: &str| {
        col(name).with_context(|| format!("{}: the header has no `{name}` column", path.display()))
    };
    let (fc, kc, tc, typec) = (need("forward")?, need("strike")?, need("t")?, need("type")?);
    let pc = col("price")
        .or_else(|| col("black_price"))
        .with_context(|| {
            format!(
                "{}: the header has no `price` or `black_price` column",
                path.display()
            )
        })?;
    // Rows are assembled in memory and written at once, so a closed stdout is a plain io error.
    let mut out = csv::Writer::from_writer(Vec::new());
    let mut head: Vec<&str> = header.iter().collect();
    head.extend(["iv", "error"]);
    out.write_record(&head)?;
    for record in reader.records() {
        let record = record.with_context(|| format!("{}: unreadable row", path.display()))?;
        let result = row_iv(&record, [fc, kc, tc, pc], typec, df, coin);
        let mut row: Vec<String> = record.iter().map(str::to_string).collect();
        match result {
            Ok(iv) => row.extend([iv.to_string(), String::new()]),
            Err(e) => row.extend([String::new(), e]),
        }
        out.write_record(&row)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| anyhow::anyhow!("{}", e.error()))?;
    std::io::stdout().lock().write_all(&bytes)?;
    Ok(())
}

fn row_iv(
    record: &csv::StringRecord,
    cols: [usize; 4],
    type_col: usize,
    df: f64,
    coin: bool,
) -> Result<f64, String> {
    let line = record.position().map(|p| p.line()).unwrap_or(0);
    let names = ["forward", "strike", "t", "price"];
    let mut v = [0.0; 4];
    for (i, (&c, name)) in cols.iter().zip(names).enumerate() {
        let text = record.get(c).unwrap_or("");
        v[i] = text
            .parse()
            .map_err(|_| format!("row {line}: {name} = {text:?} is not a number"))?;
    }
    let kind: OptionType = record
        .get(type_col)
        .unwrap_or("")
        .parse()
        .map_err(|e| format!("row {line}: {e}"))?;
    let [f, k, t, price] = v;
    solve(kind, price, f, k, t, df, coin).map_err(|e| e.to_string())
}

/// The implied vol of `price`, in USD or, with `coin`, in the coin (USD price / forward).
fn solve(
    kind: OptionType,
    price: f64,
    f: f64,
    k: f64,
    t: f64,
    df: f64,
    coin: bool,
) -> Result<f64, ImpliedVolError> {
    let usd = if coin { price * f } else { price };
    implied_vol(kind, usd, f, k, t, df)
}
