//! `rollmaker sweep` (one shard of a parameter grid) and `rollmaker sweep-merge` (all shards'
//! results into one CSV table).

use crate::backtest_cmd::SummaryRecord;
use crate::data_replay::{self, Window};
use crate::out::out;
use anyhow::{Context, Result};
use backtest::report::flatten;
use backtest::sim::run::{run, RollMode, RunConfig, Summary};
use backtest::sweep::{at_line, merge, parse_shard, shard, Grid, Job};
use backtest::synthetic::path::Preset;
use clap::Args;
use serde_json::{json, Value};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;
use strategies::config::DEFAULT_TOML;
use strategies::RollMakerConfig;

#[derive(Args, Debug)]
pub struct SweepArgs {
    /// The grid (TOML: presets, seeds, days, strategies, [config] values).
    #[arg(long)]
    grid: PathBuf,
    /// Which slice of the jobs to run: I/N (0 <= I < N).
    #[arg(long, default_value = "0/1")]
    shard: String,
    /// Results go to DIR/shard-I-of-N.jsonl.
    #[arg(long)]
    out: PathBuf,
}

pub fn run_sweep(args: &SweepArgs) -> Result<()> {
    let text = std::fs::read_to_string(&args.grid)
        .with_context(|| format!("reading {}", args.grid.display()))?;
    let name = args.grid.display().to_string();
    let grid = Grid::parse(&text, &name)?;
    let (i, n) = parse_shard(&args.shard)?;
    let jobs = grid.jobs();
    // The whole grid is checked before any job runs: a bad value fails now, not hours in.
    let configs = jobs
        .iter()
        .map(|job| job_config(job, &text, &name))
        .collect::<Result<Vec<_>>>()?;
    let mine = shard(&jobs, i, n);
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let path = args.out.join(format!("shard-{i}-of-{n}.jsonl"));
    // Written under a temporary name and renamed when whole: a failed shard leaves no partial
    // results that a merge would take for finished ones.
    let tmp = args.out.join(format!(".shard-{i}-of-{n}.jsonl.tmp"));
    let mut file =
        std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    tracing::info!("shard {i}/{n}: {} of {} jobs", mine.len(), jobs.len());
    for job in &mine {
        let config = configs[job.number].clone();
        let started = Instant::now();
        let summary = run_job(&grid, job, config)?;
        let wall = started.elapsed().as_secs_f64();
        let mut overrides: serde_json::Map<String, Value> = job
            .overrides
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or(Value::Null)))
            .collect();
        overrides.insert("roll_mode".into(), json!(job.roll_mode.name()));
        let mut record =
            SummaryRecord::new(&summary, job.preset, job.seed, job.strategy.name(), wall);
        record.data = grid.data.clone();
        let line = json!({
            "job": job.number,
            "jobs": jobs.len(),
            "grid": grid.hash(),
            "overrides": overrides,
            "summary": record,
        });
        writeln!(file, "{line}").with_context(|| format!("writing {}", tmp.display()))?;
        tracing::info!("job {} done ({wall:.1} s)", job.number);
    }
    file.sync_all()
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
    out!("wrote {}", path.display());
    Ok(())
}

/// One job's backtest: its preset for the grid's days, or the grid's data replayed whole.
fn run_job(grid: &Grid, job: &Job, config: RollMakerConfig) -> Result<Summary> {
    let rules = config.quote_rules();
    let mut run_config = RunConfig::new(job.preset.unwrap_or(Preset::Calm), job.seed);
    if job.roll_mode == RollMode::Package {
        run_config.package = Some(strategies::package::PackageMaker::of(&config));
    }
    let mut strategy = job.strategy.build(config);
    match (&grid.data, grid.days) {
        (Some(data), _) => {
            let window = Window {
                from: None,
                to: None,
                skip_bad_rows: false,
            };
            let path = std::path::Path::new(data);
            data_replay::run(
                path,
                &window,
                &run_config,
                &mut strategy,
                rules,
                &mut |_, _| {},
            )
        }
        (None, days) => {
            run_config.days = days.unwrap_or(run_config.days);
            Ok(run(&run_config, &mut strategy, rules))
        }
    }
}

/// The strategy config of one job: the built-in one with the job's values; an error names the
/// grid's line of the key at fault.
fn job_config(job: &Job, text: &str, name: &str) -> Result<RollMakerConfig> {
    RollMakerConfig::from_toml_with(DEFAULT_TOML, "grid", &job.overrides).map_err(|e| {
        let message = e.to_string();
        let line = job
            .overrides
            .iter()
            .find(|(k, _)| message.contains(k.as_str()))
            .map_or(String::new(), |(k, _)| at_line(text, k));
        anyhow::anyhow!("grid {name}: {line}job {}: {message}", job.number)
    })
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Folders holding shard-*.jsonl files.
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Also write the frontier (holders' cost a year against the maker's PnL, each job a point,
    /// the holders' other ways out on the same axes) as an HTML page here.
    #[arg(long)]
    frontier: Option<PathBuf>,
}

pub fn run_merge(args: &MergeArgs) -> Result<()> {
    let mut results = Vec::new();
    for dir in &args.dirs {
        let entries =
            std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect();
        files.sort();
        for f in files {
            let text =
                std::fs::read_to_string(&f).with_context(|| format!("reading {}", f.display()))?;
            for (n, line) in text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
            {
                let v: Value = serde_json::from_str(line)
                    .with_context(|| format!("{}:{}: not a result line", f.display(), n + 1))?;
                results.push(v);
            }
        }
    }
    let results = merge(results)?;
    let mut keys: Vec<String> = results
        .iter()
        .filter_map(|r| r["overrides"].as_object())
        .flat_map(|o| o.keys().cloned())
        .collect();
    keys.sort();
    keys.dedup();
    // Every figure of the summary, in its own order, nested ones by their dotted path (lists
    // are left out); a column another result lacks is empty there.
    if let Some(path) = &args.frontier {
        write_frontier(path, &results)?;
    }
    let mut columns: Vec<String> = Vec::new();
    for r in &results {
        for (k, _) in flatten(&r["summary"]) {
            if !columns.contains(&k) {
                columns.push(k);
            }
        }
    }
    let mut w = csv::Writer::from_writer(std::io::stdout().lock());
    let header: Vec<String> = std::iter::once("job".to_string())
        .chain(keys.iter().cloned())
        .chain(columns.iter().cloned())
        .collect();
    w.write_record(&header)?;
    for r in &results {
        let cell = |v: &Value| match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        let figures: std::collections::HashMap<String, &Value> =
            flatten(&r["summary"]).into_iter().collect();
        let row: Vec<String> = std::iter::once(cell(&r["job"]))
            .chain(keys.iter().map(|k| cell(&r["overrides"][k])))
            .chain(
                columns
                    .iter()
                    .map(|c| figures.get(c).map_or(String::new(), |v| cell(v))),
            )
            .collect();
        w.write_record(&row)?;
    }
    w.flush()?;
    Ok(())
}

/// The frontier page of `results` at `path` (written whole under a temporary name, then renamed).
fn write_frontier(path: &std::path::Path, results: &[Value]) -> Result<()> {
    use backtest::report::frontier::{frontier_page, FrontierPoint};
    let num = |r: &Value, k: &str| r["summary"][k].as_f64().unwrap_or(f64::NAN);
    let points: Vec<FrontierPoint> = results
        .iter()
        .map(|r| {
            let settings: Vec<String> = r["overrides"]
                .as_object()
                .map(|o| o.iter().map(|(k, v)| format!("{k}={v}")).collect())
                .unwrap_or_default();
            FrontierPoint {
                label: format!("job {}: {}", r["job"], settings.join(", ")),
                cost_pct: num(r, "holder_cost_pct_per_year"),
                pnl_usd: num(r, "maker_pnl_usd"),
                pnl_unhedged_usd: num(r, "maker_pnl_unhedged_usd"),
            }
        })
        .collect();
    // The holders' other ways out, averaged over the jobs (the same market for each job).
    let mean = |k: &str| results.iter().map(|r| num(r, k)).sum::<f64>() / results.len() as f64;
    let baselines: Vec<(String, f64)> = [
        ("crossing: puts and future", "taker_puts_cost_pct_per_year"),
        ("crossing: calls", "taker_calls_cost_pct_per_year"),
        ("AMM", "amm_cost_pct_per_year"),
        (
            "as borrowers: liquidations",
            "liquidation_loss_pct_per_year",
        ),
    ]
    .into_iter()
    .map(|(label, key)| (label.to_string(), mean(key)))
    .collect();
    let page = frontier_page("rollmaker sweep: the frontier", &points, &baselines)?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, page).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
