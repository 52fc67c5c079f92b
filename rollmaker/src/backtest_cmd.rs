//! `rollmaker backtest`: the roll maker (or the two-sided baseline) on a synthetic preset or on
//! replayed data, printing a summary and, with `--out DIR`, writing the report there.

use crate::data_replay::{self, Window};
use crate::out::out;
use crate::snapshots::parse_at;
use anyhow::{bail, Context, Result};
use backtest::report;
use backtest::sim::run::{run_with_progress, FillRule, RollMode, RunConfig, Summary};
use backtest::synthetic::path::{check_crash_day, check_days, Preset, CRASH_DAY, PRESET_DAYS};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;
use strategies::{RollMakerConfig, StrategyKind};

#[derive(Args, Debug)]
pub struct BacktestArgs {
    /// The synthetic market (not with --data).
    #[arg(long, value_enum, default_value_t = Preset::Calm, conflicts_with = "data")]
    preset: Preset,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Days of the synthetic market to run (any number up to ten years; not with --data).
    #[arg(long, default_value_t = PRESET_DAYS, conflicts_with = "data")]
    days: f64,
    /// With --preset crash: the day of the fall, days after the start (default 10: past the
    /// end of a shorter run, there is none).
    #[arg(long, conflicts_with = "data")]
    crash_day: Option<f64>,
    /// The strategy config (TOML). Default: the built-in strategies/configs/roll_maker.toml.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Run the two-sided baseline instead of the roll maker.
    #[arg(long)]
    two_sided: bool,
    /// Replay data instead of the synthetic market: a .csv(.gz) file or a folder of them, either
    /// Deribit chain snapshots (../shared/data/deribit_eth_chain/) or Tardis.dev files
    /// (options_chain with incremental_book_L2 or book_snapshot_25, and trades; told apart by
    /// their headers); or Tardis files converted once by `tardis-to-binary` (FILE.bin: the same
    /// backtest, without the text to parse).
    #[arg(long)]
    data: Option<PathBuf>,
    /// With --data: the first snapshot at or after this time (RFC 3339 or a date).
    #[arg(long, requires = "data")]
    from: Option<String>,
    /// With --data: the last snapshot at or before this time (a date means the end of that day).
    #[arg(long, requires = "data")]
    to: Option<String>,
    /// With --data: skip and count bad rows instead of stopping at the first (which is named
    /// with its file and line either way).
    #[arg(long, requires = "data")]
    skip_bad_rows: bool,
    /// The backtest's own config (TOML: venue, schedule, roll demand, baselines). Default: the
    /// built-in backtest/configs/backtest.toml.
    #[arg(long)]
    backtest_config: Option<PathBuf>,
    /// What fills resting orders besides the roll demand (and the synthetic market's takers):
    /// `demand` (nothing else), or `crosses` (an order the venue's opposite best reaches at a
    /// later step fills in full at its price). Overrides the backtest config's venue.fill_rule.
    #[arg(long, value_enum)]
    fill_rule: Option<FillRule>,
    /// Where holders and the maker meet: `package` (the maker prices each whole roll at one net
    /// price, the strategy config's [package]) or `legs` (holders take the maker's resting leg
    /// quotes on the option venue; for comparison).
    #[arg(long, value_enum, default_value_t = RollMode::Package)]
    roll_mode: RollMode,
    /// Write summary.json, timeseries.csv, rolls.csv, fills.csv and report.html into this folder
    /// (created if needed).
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(args: &BacktestArgs) -> Result<()> {
    check_days("--days", args.days).map_err(anyhow::Error::msg)?;
    if let Some(day) = args.crash_day {
        if args.preset != Preset::Crash {
            bail!("--crash-day applies to --preset crash only");
        }
        check_crash_day("--crash-day", day, args.days).map_err(anyhow::Error::msg)?;
    }
    let config = match &args.config {
        Some(path) => RollMakerConfig::load(path)?,
        None => RollMakerConfig::default_config(),
    };
    let rules = config.quote_rules();
    let package = (args.roll_mode == RollMode::Package)
        .then(|| strategies::package::PackageMaker::of(&config));
    let kind = if args.two_sided {
        StrategyKind::TwoSided
    } else {
        StrategyKind::RollMaker
    };
    let mut strategy = kind.build(config);
    let mut run_config = run_config(args)?;
    run_config.package = package;
    if let Some(dir) = &args.out {
        report::check_dir(dir).with_context(|| format!("--out {}", dir.display()))?;
    }
    let started = Instant::now();
    let bar = progress_bar();
    let on_terminal = std::io::stderr().is_terminal();
    let mut progress = |done: u64, total: u64| {
        // Drawn once the run has taken a second, and only on a terminal (elsewhere never drawn,
        // so not kept: a Tardis replay calls this 170,000 times).
        if !on_terminal {
            return;
        }
        if bar.is_hidden() && started.elapsed().as_secs_f64() > 1.0 {
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        bar.set_length(total.max(done));
        bar.set_position(done);
    };
    let summary = match &args.data {
        None => run_with_progress(&run_config, &mut strategy, rules, &mut progress),
        Some(data) => {
            let window = Window {
                from: args.from.as_deref().map(parse_from).transpose()?,
                to: args
                    .to
                    .as_deref()
                    .map(|t| parse_at("--to", t))
                    .transpose()?,
                skip_bad_rows: args.skip_bad_rows,
            };
            let (config, strategy) = (&run_config, &mut strategy);
            data_replay::run(data, &window, config, strategy, rules, &mut progress)?
        }
    };
    bar.finish_and_clear();
    report_and_print(args, kind, &summary, started.elapsed().as_secs_f64())
}

/// The run's config: the preset, seed and days asked for, the backtest config file over the
/// defaults, and --fill-rule over that.
fn run_config(args: &BacktestArgs) -> Result<RunConfig> {
    let mut run_config = RunConfig::new(args.preset, args.seed);
    run_config.days = args.days;
    run_config.crash_day = args.crash_day.unwrap_or(CRASH_DAY);
    if let Some(path) = &args.backtest_config {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        run_config = backtest::config::apply(&text, &path.display().to_string(), &run_config)?;
    }
    if let Some(rule) = args.fill_rule {
        run_config.venue.fill_rule = rule;
    }
    Ok(run_config)
}

/// A progress bar, hidden until the run has taken a while.
fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::hidden();
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {percent:>3}% simulated, {eta} left")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// The report under --out (first: a reader of stdout that has gone, `| head`, must not lose
/// it), then the summary on stdout.
fn report_and_print(
    args: &BacktestArgs,
    kind: StrategyKind,
    summary: &Summary,
    wall: f64,
) -> Result<()> {
    let strategy_name = kind.name();
    let market_name = match &args.data {
        Some(d) => format!("replayed {}", d.display()),
        None => format!("synthetic {}", args.preset.name()),
    };
    let mut out = SummaryRecord::new(
        summary,
        args.data.is_none().then_some(args.preset),
        args.seed,
        strategy_name,
        wall,
    );
    out.data = args.data.as_ref().map(|d| d.display().to_string());
    if let Some(dir) = &args.out {
        let title = format!(
            "rollmaker backtest: {strategy_name}, {market_name} market, seed {}",
            args.seed
        );
        let json = serde_json::to_string_pretty(&out)? + "\n";
        report::write(dir, &title, &json, summary)
            .with_context(|| format!("report under {}", dir.display()))?;
    }
    print_summary(summary, &market_name, strategy_name, wall)?;
    if let Some(dir) = &args.out {
        out!(
            "wrote {}/summary.json, timeseries.csv, rolls.csv, fills.csv and report.html",
            dir.display()
        );
    }
    Ok(())
}

/// `summary.json`: the run's identity, its summary, and how fast it ran.
#[derive(Serialize)]
pub struct SummaryRecord<'a> {
    /// The synthetic market; none when data was replayed.
    pub preset: Option<Preset>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    pub seed: u64,
    pub strategy: &'a str,
    #[serde(flatten)]
    pub summary: &'a Summary,
    pub events_per_s: f64,
    pub wall_s: f64,
}

impl SummaryRecord<'_> {
    pub fn new<'a>(
        summary: &'a Summary,
        preset: Option<Preset>,
        seed: u64,
        strategy: &'a str,
        wall: f64,
    ) -> SummaryRecord<'a> {
        SummaryRecord {
            preset,
            data: None,
            seed,
            strategy,
            summary,
            events_per_s: summary.events as f64 / wall.max(1e-9),
            wall_s: wall,
        }
    }
}

fn print_summary(s: &Summary, market: &str, strategy: &str, wall: f64) -> Result<()> {
    out!("backtest: {strategy} on the {market} market");
    out!(
        "  index            {:.0} -> {:.0} USD",
        s.start_index,
        s.end_index
    );
    out!(
        "  events           {} ({:.0}/s, {wall:.1} s)",
        s.events,
        s.events as f64 / wall.max(1e-9)
    );
    out!(
        "  roll demand      {} rolls, {:.0} USD",
        s.roll_requests,
        s.roll_demand_usd
    );
    let r = &s.rolls;
    out!(
        "  filled by maker  {:.1}% of the rolled value ({:.0} USD of legs)",
        100.0 * s.roll_fill_ratio,
        s.roll_filled_usd
    );
    let not_done: Vec<String> = r.not_done.iter().map(|(w, n)| format!("{w} {n}")).collect();
    out!(
        "  rolls done       {:.1}% of the value within 24 h; hours to fill p50 {:.1}, p90 {:.1}, p99 {:.1}; not done: {}",
        100.0 * r.filled_within_24h,
        r.hours_to_fill.p50,
        r.hours_to_fill.p90,
        r.hours_to_fill.p99,
        if not_done.is_empty() { "none".to_string() } else { not_done.join(", ") }
    );
    out!(
        "  holders' cost    {:.1} bps of notional (crossing the book at once: {:.1} bps); {:.2}% a year over {:.0} days (crossing: {:.2}%); {:.1} bps a done roll, {:.2}% a year rolling monthly",
        s.holder_roll_cost_bps,
        s.taker_roll_cost_bps,
        s.holder_cost_pct_per_year,
        s.run_days,
        s.taker_cost_pct_per_year,
        r.cost_bps_per_roll,
        s.holder_cost_pct_per_year_monthly
    );
    out!(
        "  baselines        AMM roll {:.1} bps; as ETH-backed loans: {:.1} bps lost to liquidation ({:.0} ETH sold); never rolling: value drifted {:+.0} bps",
        s.amm_roll_cost_bps, s.liquidation_loss_bps, s.liquidation_sold_eth, s.no_roll_drift_bps
    );
    out!(
        "  maker PnL        {:.0} USD (spread {:.0}, settlement {:.0}, delta hedge {:.0}, inventory {:.0}); fees {:.0}; without the hedge: {:.0}",
        s.maker_pnl_usd, s.maker_pnl_split_usd.spread, s.maker_pnl_split_usd.settlement, s.maker_pnl_split_usd.hedge, s.maker_pnl_split_usd.inventory, s.fees_usd, s.maker_pnl_unhedged_usd
    );
    out!(
        "  maker's costs    hedge: {:.0} ETH of the perpetual traded (largest {:.0} USD; {:.0} USD held on average, its funding not modelled), crossing and fees {:.0} USD; fees and hedge {:.1} bps of the P value rolled with the maker, {:.0} bps of 1 ETH per contract-year held",
        s.hedge_traded_eth, s.hedge_largest_usd, s.hedge_mean_abs_usd, s.hedge_cost_usd, s.maker_costs_bps_of_rolled, s.maker_costs_bps_per_contract_year
    );
    out!(
        "  fills            {}; max |vega| in one expiry {:.2} ETH per vol point; missed rolls {} ({} impatient attempts given up: crossing cost more than max_slippage_bps); packages withheld at the limits {}",
        s.fills,
        s.max_inventory_vega,
        s.missed_rolls,
        s.abandoned_rolls,
        s.packages_over_limits
    );
    if !s.refused.is_empty() {
        let counts: Vec<String> = s.refused.iter().map(|(r, n)| format!("{r} {n}")).collect();
        out!("  refused          {}", counts.join(", "));
    }
    Ok(())
}

/// A --from time: RFC 3339, or a date meaning the start of that day UTC.
fn parse_from(text: &str) -> Result<engine::Timestamp> {
    if let Ok(d) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let t = d.and_hms_opt(0, 0, 0).context("start of day")?.and_utc();
        return engine::Timestamp::from_datetime(t)
            .with_context(|| format!("--from {text:?} is out of range"));
    }
    parse_at("--from", text)
}
