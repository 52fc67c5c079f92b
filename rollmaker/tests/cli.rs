//! The commands the README shows keep working.

use std::process::Command;

fn rollmaker(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rollmaker"))
        .args(args)
        .output()
        .expect("the rollmaker binary runs")
}

/// Runs a command that must succeed; its stdout.
fn succeeds(args: &[&str]) -> String {
    let out = rollmaker(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 on stdout")
}

#[test]
fn book_demo_trades_and_prints_positions() {
    let text = succeeds(&["book-demo"]);
    assert!(text.contains("fill 5 @ 0.0125"), "{text}");
    assert!(
        text.contains("rests: buy 6 @ 0.0120"),
        "post-only slide: {text}"
    );
    assert!(text.contains("owner 3: 7 contracts"), "{text}");
}

#[test]
fn instrument_prints_terms_and_refuses_bad_names_with_exit_2() {
    assert!(succeeds(&["instrument", "ETH-5JAN26-1500-P"]).contains("2026-01-05T08:00:00Z"));
    let out = rollmaker(&["instrument", "ETH-5JAN26-1500-X"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("'ETH-5JAN26-1500-X': option right must be C or P"),
        "{err}"
    );
}

/// A chain file of the shared data, or None (saying so) when the data is absent.
fn chain_file(name: &str) -> Option<std::path::PathBuf> {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/deribit_eth_chain")
        .join(name);
    if data.exists() {
        Some(data)
    } else {
        eprintln!("SKIPPED: {} is absent", data.display());
        None
    }
}

fn json(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

#[test]
fn price_prints_greeks_as_json_and_parity_holds_through_the_cli() {
    let common = [
        "--forward",
        "3000",
        "--strike",
        "3200",
        "--t",
        "0.25",
        "--vol",
        "0.6",
        "--df",
        "0.99",
    ];
    let call = json(&rollmaker(
        &[&["price", "--type", "call"], &common[..]].concat(),
    ));
    let put = json(&rollmaker(
        &[&["price", "--type", "put"], &common[..]].concat(),
    ));
    for key in ["price", "delta", "gamma", "vega", "theta"] {
        assert!(call[key].is_f64(), "{key} missing: {call}");
    }
    let parity = call["price"].as_f64().unwrap() - put["price"].as_f64().unwrap();
    assert!((parity - 0.99 * (3000.0 - 3200.0)).abs() < 1e-9, "{parity}");
    // Tokens in ETH: P + N = 1.
    let tok = [
        "--forward",
        "3000",
        "--strike",
        "2500",
        "--t",
        "0.5",
        "--vol",
        "0.7",
        "--coin",
    ];
    let p = json(&rollmaker(&[&["price", "--type", "p"], &tok[..]].concat()));
    let n = json(&rollmaker(&[&["price", "--type", "n"], &tok[..]].concat()));
    let sum = p["price"].as_f64().unwrap() + n["price"].as_f64().unwrap();
    assert!((sum - 1.0).abs() < 1e-15, "{sum}");
    // Spot form: Haug's put (spot 100, K 95, q 5%, r 10%, t 0.5, vol 20%) = 2.4648.
    let spot = json(&rollmaker(&[
        "price", "--type", "put", "--spot", "100", "--rate", "0.1", "--yield", "0.05", "--strike",
        "95", "--t", "0.5", "--vol", "0.2",
    ]));
    assert!(
        (spot["price"].as_f64().unwrap() - 2.4648).abs() < 1e-4,
        "{spot}"
    );
}

#[test]
fn iv_inverts_price_and_refuses_impossible_prices_with_exit_2() {
    let out = json(&rollmaker(&[
        "iv",
        "--type",
        "call",
        "--forward",
        "3000",
        "--strike",
        "3200",
        "--t",
        "0.25",
        "--price",
        "0.0925",
        "--coin",
    ]));
    let iv = out["iv"].as_f64().unwrap();
    let back = json(&rollmaker(&[
        "price",
        "--type",
        "call",
        "--forward",
        "3000",
        "--strike",
        "3200",
        "--t",
        "0.25",
        "--vol",
        &iv.to_string(),
        "--coin",
    ]));
    assert!((back["price"].as_f64().unwrap() - 0.0925).abs() < 1e-15);
    let out = rollmaker(&[
        "iv",
        "--type",
        "call",
        "--forward",
        "3000",
        "--strike",
        "3200",
        "--t",
        "0.25",
        "--price",
        "3100",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-arbitrage maximum"));
}

#[test]
fn bad_numbers_and_unknown_flags_exit_2_with_a_message() {
    for args in [
        &[
            "price",
            "--type",
            "call",
            "--forward",
            "nan",
            "--strike",
            "1",
            "--t",
            "1",
            "--vol",
            "0.5",
        ][..],
        &[
            "price",
            "--type",
            "call",
            "--forward",
            "-3",
            "--strike",
            "1",
            "--t",
            "1",
            "--vol",
            "0.5",
        ],
        &[
            "price",
            "--type",
            "call",
            "--forward",
            "3",
            "--strike",
            "1",
            "--t",
            "1",
            "--vol",
            "x",
        ],
        &[
            "price",
            "--type",
            "call",
            "--forward",
            "3",
            "--strike",
            "1",
            "--t",
            "1",
            "--vol",
            "0.5",
            "--nope",
        ],
        &[
            "price", "--type", "p", "--spot", "3", "--rate", "0", "--yield", "0", "--strike", "1",
            "--t", "1", "--vol", "0.5",
        ],
        &[
            "iv",
            "--type",
            "call",
            "--forward",
            "3",
            "--strike",
            "1",
            "--t",
            "1",
        ],
        &[
            "iv",
            "--type",
            "straddle",
            "--forward",
            "3",
            "--strike",
            "1",
            "--t",
            "1",
            "--price",
            "1",
        ],
    ] {
        let out = rollmaker(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("error"),
            "{args:?}"
        );
    }
}

#[test]
fn iv_csv_adds_iv_and_error_columns() {
    let dir = std::env::temp_dir().join(format!("rollmaker-iv-csv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("prices.csv");
    std::fs::write(
        &file,
        "# a comment\nforward,strike,t,type,price\n3000,3200,0.25,call,277.58\n3000,3200,0.25,put,150\n3000,3200,0,call,1\n3000,abc,1,call,1\n",
    )
    .unwrap();
    let text = succeeds(&["iv", "--csv", file.to_str().unwrap()]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "forward,strike,t,type,price,iv,error");
    assert_eq!(lines.len(), 5, "{text}");
    let iv: f64 = lines[1].split(',').nth(5).unwrap().parse().unwrap();
    assert!((iv - 0.5991580583622628).abs() < 1e-12, "{iv}");
    assert!(
        lines[2].contains("below the intrinsic value"),
        "{}",
        lines[2]
    );
    assert!(lines[3].contains("t = 0"), "{}", lines[3]);
    assert!(
        lines[4].contains("strike = \"\"abc\"\" is not a number"),
        "{}",
        lines[4]
    );
    // A file without the columns is refused.
    std::fs::write(&file, "a,b\n1,2\n").unwrap();
    let out = rollmaker(&["iv", "--csv", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no `forward` column"));
}

#[test]
fn surface_fits_a_real_snapshot_and_reports_fit_error() {
    let Some(data) = chain_file("deribit_eth_options_chain_202603.csv.gz") else {
        return;
    };
    let out = json(&rollmaker(&[
        "surface",
        "--data",
        data.to_str().unwrap(),
        "--at",
        "2026-03-10",
    ]));
    let snapshots = out["snapshots"].as_array().unwrap();
    assert_eq!(snapshots.len(), 1);
    assert!(snapshots[0]["timestamp"]
        .as_str()
        .unwrap()
        .starts_with("2026-03-10"));
    let slices = snapshots[0]["slices"].as_array().unwrap();
    assert!(slices.len() >= 6, "{} slices", slices.len());
    for s in slices.iter().filter(|s| s["error"].is_null()) {
        for p in ["a", "b", "rho", "m", "sigma"] {
            assert!(s["svi"][p].is_f64(), "{s}");
        }
        let b = s["svi"]["b"].as_f64().unwrap();
        let rho = s["svi"]["rho"].as_f64().unwrap();
        assert!(
            b >= 0.0 && rho.abs() <= 1.0 && b * (1.0 + rho.abs()) <= 2.0 + 1e-9,
            "{s}"
        );
        assert!(s["rmse_vs_mark_points"].as_f64().unwrap() < 10.0, "{s}");
        assert!(s["arbitrage_free"].is_boolean());
    }
    assert!(
        out["summary"]["median_rmse_vs_mark_points"]
            .as_f64()
            .unwrap()
            < 2.0,
        "{}",
        out["summary"]
    );
    // No snapshot that early: exit 2 with the reason.
    let early = rollmaker(&[
        "surface",
        "--data",
        data.to_str().unwrap(),
        "--at",
        "2020-01-01",
    ]);
    assert_eq!(early.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&early.stderr).contains("no snapshot at or before"));
}

/// `quote` on a real snapshot: the roll maker's quotes sit away from fair on the maker's side, a
/// wider minimum edge in a config file moves them further, and a broken config exits 2 naming
/// the key.
#[test]
fn quote_shows_the_roll_makers_quotes_and_a_config_change() {
    let Some(data) = chain_file("deribit_eth_options_chain_202602.csv.gz") else {
        return;
    };
    let data = data.to_str().unwrap();
    let at = "2026-02-05T12:00:00Z";
    let base = json(&rollmaker(&["quote", "--data", data, "--at", at]));
    assert_eq!(base["strategy"], "roll_maker");
    let quotes = base["quotes"].as_array().unwrap();
    assert!(base["sell_series"].as_u64().unwrap() > 5, "{base}");
    assert!(base["buy_series"].as_u64().unwrap() > 0, "{base}");
    for q in quotes {
        // At least the default 0.5 vol points from fair, on the maker's side.
        let d = q["distance_vol_points"].as_f64().unwrap();
        assert!(d >= 0.5 - 1e-9, "{q}");
    }
    let distance = |out: &serde_json::Value, name: &str| {
        out["quotes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["instrument"] == name && q["level"] == 0)
            .and_then(|q| q["distance_vol_points"].as_f64())
    };
    let first = quotes[0]["instrument"].as_str().unwrap().to_string();

    let dir = std::env::temp_dir().join(format!("rollmaker-quote-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let default = include_str!("../../strategies/configs/roll_maker.toml");
    let wide = dir.join("wide.toml");
    std::fs::write(
        &wide,
        default.replace("min_edge_vol = 0.5", "min_edge_vol = 4.0"),
    )
    .unwrap();
    let wider = json(&rollmaker(&[
        "quote",
        "--data",
        data,
        "--at",
        at,
        "--config",
        wide.to_str().unwrap(),
    ]));
    let (d0, d1) = (
        distance(&base, &first).unwrap(),
        distance(&wider, &first).unwrap(),
    );
    assert!(d1 >= 4.0 && d1 > d0, "{first}: {d0} then {d1}");

    let broken = dir.join("broken.toml");
    std::fs::write(&broken, default.replace("{ lots = 10,", "{ lots = -10,")).unwrap();
    let out = rollmaker(&[
        "quote",
        "--data",
        data,
        "--at",
        at,
        "--config",
        broken.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("size.levels.lots") && err.contains("broken.toml"),
        "{err}"
    );

    let two = json(&rollmaker(&[
        "quote",
        "--data",
        data,
        "--at",
        at,
        "--two-sided",
    ]));
    assert_eq!(two["strategy"], "two_sided");
    assert!(two["buy_series"].as_u64().unwrap() > base["buy_series"].as_u64().unwrap());
    std::fs::remove_dir_all(&dir).ok();
}

/// The README's main command, shortened to one day: a summary on stdout, summary.json under
/// --out; a bad preset exits 2.
#[test]
fn backtest_prints_a_summary_and_writes_summary_json() {
    let dir = std::env::temp_dir().join(format!("rollmaker-backtest-{}", std::process::id()));
    let text = succeeds(&["backtest", "--days", "1", "--out", dir.to_str().unwrap()]);
    assert!(
        text.contains("roll_maker on the synthetic calm market"),
        "{text}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    for key in [
        "events",
        "fills",
        "roll_demand_usd",
        "roll_filled_usd",
        "roll_fill_ratio",
        "holder_roll_cost_bps",
        "taker_roll_cost_bps",
        "maker_pnl_usd",
        "max_inventory_vega",
        "events_per_s",
        "wall_s",
    ] {
        assert!(summary[key].is_number(), "{key}: {summary}");
    }
    assert_eq!(summary["events"], 1441);
    // The report: inline SVG plots, no network; the hourly series as CSV (25 hours, header).
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.matches("<svg").count() >= 5, "five plots");
    assert!(!html.contains("src=\"http") && !html.contains("<link") && !html.contains("<script"));
    let csv = std::fs::read_to_string(dir.join("timeseries.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 25, "{csv}");
    // A row a roll, as many as the summary counts.
    let rolls = std::fs::read_to_string(dir.join("rolls.csv")).unwrap();
    let rows = rolls.lines().count().saturating_sub(1) as u64;
    assert_eq!(Some(rows), summary["rolls"]["requests"].as_u64(), "{rolls}");
    for key in ["filled_within_24h", "maker_fill_ratio", "cost_bps_per_roll"] {
        assert!(summary["rolls"][key].is_number(), "{key}: {summary}");
    }
    for key in [
        "amm_roll_cost_bps",
        "liquidation_loss_bps",
        "no_roll_drift_bps",
    ] {
        assert!(summary[key].is_number(), "{key}: {summary}");
    }
    // The maker's costs a unit of what it rolled: the options' fees and the hedge's crossing
    // and fees (the perpetual's fees counted once: they are in both `fees_usd` and the hedge's
    // cost), over the P value rolled with it.
    let num = |v: &serde_json::Value| v.as_f64().unwrap_or(f64::NAN);
    let rolled = num(&summary["rolls"]["maker_fill_ratio"]) * num(&summary["rolls"]["demand_usd"]);
    let hedge_fees = num(&summary["hedge_traded_eth"]) * 0.0005 * num(&summary["end_index"]);
    let costs = num(&summary["fees_usd"]) - hedge_fees + num(&summary["hedge_cost_usd"]);
    let bps = num(&summary["maker_costs_bps_of_rolled"]);
    if rolled > 0.0 {
        // The fee is 0.05% of the USD traded, in ETH at each fill's price: traded ETH x 0.0005.
        assert!(
            (bps - 1e4 * costs / rolled).abs() <= 1e-6 * bps.abs().max(1.0),
            "{summary}"
        );
        assert!(num(&summary["hedge_traded_eth"]) > 0.0, "{summary}");
        let split = &summary["maker_pnl_split_usd"];
        let hedge = num(&split["hedge"]);
        let unhedged = num(&summary["maker_pnl_unhedged_usd"]);
        assert!((num(&summary["maker_pnl_usd"]) - hedge - unhedged).abs() < 1e-6);
    } else {
        assert_eq!(bps, 0.0);
    }
    assert!(csv
        .lines()
        .next()
        .unwrap_or("")
        .ends_with(",delta_eth,hedge_usd"));
    std::fs::remove_dir_all(&dir).ok();
    let bad = rollmaker(&["backtest", "--preset", "boom"]);
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("'boom'") && stderr.contains("calm, trend-down, crash"),
        "{stderr}"
    );
    // The backtest's own config: a bad value exits 2 naming the key.
    let config = std::env::temp_dir().join(format!("rollmaker-bt-{}.toml", std::process::id()));
    let text = include_str!("../../backtest/configs/backtest.toml")
        .replace("bonus = 0.05", "bonus = -1.0");
    std::fs::write(&config, text).unwrap();
    let bad = rollmaker(&[
        "backtest",
        "--days",
        "1",
        "--backtest-config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("lending.bonus"));
    std::fs::remove_file(&config).ok();
}

/// A folder holding a half-day grid over two seeds and the given `edge.min_edge_vol` values (the
/// fifth line).
fn grid_file(name: &str, edges: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("rollmaker-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let grid = dir.join("grid.toml");
    let text = format!(
        "presets = [\"calm\"]\nseeds = [1, 2]\ndays = 0.5\n[config]\n\"edge.min_edge_vol\" = [{edges}]\n"
    );
    std::fs::write(&grid, text).unwrap();
    (dir, grid)
}

/// A grid in two shards, merged: every job once, one row each; a shard run twice is refused.
#[test]
fn sweep_in_shards_and_merge() {
    let (dir, grid) = grid_file("sweep", "0.5, 3.0");
    let out = dir.join("results");
    for shard in ["0/2", "1/2"] {
        succeeds(&[
            "sweep",
            "--grid",
            grid.to_str().unwrap(),
            "--shard",
            shard,
            "--out",
            out.to_str().unwrap(),
        ]);
    }
    let frontier = dir.join("frontier.html");
    let table = succeeds(&[
        "sweep-merge",
        out.to_str().unwrap(),
        "--frontier",
        frontier.to_str().unwrap(),
    ]);
    let page = std::fs::read_to_string(&frontier).unwrap();
    assert!(
        page.contains("<svg") && page.contains("crossing: puts and future"),
        "{page}"
    );
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 5, "{table}");
    assert!(
        lines[0].starts_with("job,edge.min_edge_vol,roll_mode,preset,seed,strategy"),
        "{table}"
    );
    assert!(
        lines[1].starts_with("0,0.5,package,calm,1,roll_maker"),
        "{table}"
    );
    // Nested figures by their dotted path.
    for column in ["rolls.filled_within_24h", "rolls.hours_to_fill.p90"] {
        assert!(
            lines[0].split(',').any(|c| c == column),
            "{column}: {table}"
        );
    }
    // The same shard again, into the same folder under another name: job numbers repeat.
    std::fs::copy(out.join("shard-0-of-2.jsonl"), out.join("again.jsonl")).unwrap();
    let twice = rollmaker(&["sweep-merge", out.to_str().unwrap()]);
    assert_eq!(twice.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&twice.stderr).contains("twice"));
    std::fs::remove_dir_all(&dir).ok();
}

/// A stream written in the binary format and replayed; a truncated file is a clear error.
#[test]
fn l2_stream_and_replay() {
    let dir = std::env::temp_dir().join(format!("rollmaker-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("s.bin");
    succeeds(&[
        "l2-stream",
        "--records",
        "20000",
        "--out",
        file.to_str().unwrap(),
    ]);
    let text = succeeds(&[
        "replay",
        "--file",
        file.to_str().unwrap(),
        "--strategy",
        "requote",
    ]);
    assert!(
        text.starts_with("20000 events") && text.contains("0 refused deltas"),
        "{text}"
    );
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() - 5]).unwrap();
    let cut = rollmaker(&["replay", "--file", file.to_str().unwrap()]);
    assert_eq!(cut.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&cut.stderr).contains("truncated"));
    std::fs::remove_dir_all(&dir).ok();
}

/// The synthetic market exported as Tardis CSV and backtested from the files: every row is an
/// event; a corrupt row stops the run naming the file and line.
#[test]
fn export_tardis_and_backtest_the_files() {
    // The backtest reads every file in the folder: none left from an earlier run (a process
    // id comes round again) may be in it.
    let dir = std::env::temp_dir().join(format!("rollmaker-cli-export-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    let d = dir.to_str().unwrap();
    let text = succeeds(&[
        "export-tardis",
        "--days",
        "0.1",
        // Expiries out to 100 days: the maker quotes some, and fills (the binary run below
        // must match fills, not only an idle run).
        "--max-expiry-days",
        "100",
        "--out",
        d,
    ]);
    let numbers: Vec<u64> = text
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    let rows: u64 = numbers.iter().take(3).sum();
    assert!(rows > 10_000, "{text}");
    let report = dir.join("report");
    succeeds(&["backtest", "--data", d, "--out", report.to_str().unwrap()]);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["events"], rows, "{summary}");
    assert!(summary["start_index"].as_f64().unwrap() > 0.0);
    // Converted once to the binary format, one instrument replayed from it.
    let bin = dir.join("events.bin");
    succeeds(&[
        "tardis-to-binary",
        "--data",
        d,
        "--out",
        bin.to_str().unwrap(),
    ]);
    let text = succeeds(&[
        "replay",
        "--file",
        bin.to_str().unwrap(),
        "--instrument",
        "0",
    ]);
    assert!(
        text.contains("0 refused deltas") && text.contains("other instruments"),
        "{text}"
    );
    // The whole backtest from the binary file: the same summary and fills as from the CSV.
    let from_bin = dir.join("report-bin");
    let bin_arg = bin.to_str().unwrap();
    succeeds(&[
        "backtest",
        "--data",
        bin_arg,
        "--out",
        from_bin.to_str().unwrap(),
    ]);
    let summary_bin: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(from_bin.join("summary.json")).unwrap())
            .unwrap();
    let mut fields = 0;
    for (key, value) in summary.as_object().unwrap() {
        if !["data", "wall_s", "events_per_s"].contains(&key.as_str()) {
            assert_eq!(&summary_bin[key], value, "{key}");
            fields += 1;
        }
    }
    assert!(
        fields > 30 && summary["fills"].as_u64() > Some(0),
        "{summary}"
    );
    let fills = |d: &std::path::Path| std::fs::read_to_string(d.join("fills.csv")).unwrap();
    assert_eq!(fills(&from_bin), fills(&report));
    // From an hour in: the binary file's earlier records passed over as the CSV's rows are.
    let from_hour = |data: &str, name: &str| {
        let out = dir.join(name);
        let args = ["backtest", "--data", data, "--from", "2026-03-01T01:00:00Z"];
        succeeds(&[&args[..], &["--out", out.to_str().unwrap()]].concat());
        let text = std::fs::read_to_string(out.join("summary.json")).unwrap();
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        for key in ["data", "wall_s", "events_per_s"] {
            v[key] = serde_json::Value::Null;
        }
        v
    };
    let (csv_later, bin_later) = (from_hour(d, "later-csv"), from_hour(bin_arg, "later-bin"));
    assert_eq!(csv_later, bin_later);
    assert!(
        csv_later["events"].as_u64() < summary["events"].as_u64(),
        "{csv_later}"
    );
    let symbols = dir.join("events.bin.symbols");
    let (old_bin, old_symbols) = (
        std::fs::read(&bin).unwrap(),
        std::fs::read(&symbols).unwrap(),
    );
    // A corrupt trade row: the run stops, naming the file and line.
    let trades = dir.join("deribit_trades_synthetic.csv.gz");
    std::fs::remove_file(&trades).unwrap();
    std::fs::write(
        dir.join("deribit_trades_synthetic.csv"),
        "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n\
         deribit,ETH-6MAR26-2000-C,1772323260000000,1772323260000000,1,buy,0.01,1\n\
         deribit,ETH-6MAR26-2000-C,1772323270000000,1772323270000000,2,buy,NaN,1\n",
    )
    .unwrap();
    let out = rollmaker(&["backtest", "--data", d]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("deribit_trades_synthetic.csv:3") && err.contains("price"),
        "{err}"
    );
    // A conversion that fails on it leaves the previous pair whole and no partial file.
    refused(&["tardis-to-binary", "--data", d, "--out", bin_arg]);
    assert_eq!(std::fs::read(&bin).unwrap(), old_bin);
    assert_eq!(std::fs::read(&symbols).unwrap(), old_symbols);
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains(".tmp-")), "{names:?}");
    std::fs::remove_file(&bin).ok();
    std::fs::remove_file(&symbols).ok();
    // Writing over an input is refused before anything is read or written.
    let input = dir.join("deribit_trades_synthetic.csv");
    let before = std::fs::read(&input).unwrap();
    let e = refused(&[
        "tardis-to-binary",
        "--data",
        d,
        "--out",
        input.to_str().unwrap(),
    ]);
    assert!(e.contains("that is an input"), "{e}");
    assert_eq!(std::fs::read(&input).unwrap(), before);
    // Or, asked to, skips and counts it.
    let out = rollmaker(&["backtest", "--data", d, "--skip-bad-rows"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("skipped 1 bad rows"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// The same data, config and seed give byte-identical reports, the wall-clock fields of
/// summary.json (which report.html shows too) aside.
#[test]
fn the_same_seed_writes_byte_identical_reports() {
    let base = std::env::temp_dir().join(format!("rollmaker-same-{}", std::process::id()));
    let run = |name: &str| {
        let dir = base.join(name);
        succeeds(&[
            "backtest",
            "--preset",
            "crash",
            "--days",
            "0.5",
            "--seed",
            "9",
            "--out",
            dir.to_str().unwrap(),
        ]);
        dir
    };
    let (a, b) = (run("a"), run("b"));
    let timeless = |d: &std::path::Path, file: &str| -> Vec<u8> {
        let bytes = std::fs::read(d.join(file)).unwrap();
        bytes
            .split(|&b| b == b'\n')
            .filter(|line| {
                let line = String::from_utf8_lossy(line);
                !line.contains("wall_s") && !line.contains("events_per_s")
            })
            .flat_map(|line| line.iter().copied().chain([b'\n']))
            .collect()
    };
    assert_eq!(
        std::fs::read(a.join("timeseries.csv")).unwrap(),
        std::fs::read(b.join("timeseries.csv")).unwrap()
    );
    assert!(timeless(&a, "report.html") == timeless(&b, "report.html"));
    assert!(timeless(&a, "report.html").len() > 10_000);
    let summary = |d: &std::path::Path| {
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.join("summary.json")).unwrap())
                .unwrap();
        let o = v.as_object_mut().unwrap();
        o.remove("wall_s");
        o.remove("events_per_s");
        serde_json::to_string(&v).unwrap()
    };
    assert_eq!(summary(&a), summary(&b));
    std::fs::remove_dir_all(&base).ok();
}

/// Runs a command whose reader has already gone (`| head` that closed at once): no panic, a
/// normal exit, and the report written all the same.
fn with_closed_stdout(args: &[&str]) -> std::process::ExitStatus {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rollmaker"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the rollmaker binary runs");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("it ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    out.status
}

#[test]
fn a_closed_pipe_is_a_normal_end_and_loses_no_report() {
    for args in [
        &["book-demo"][..],
        &["instrument", "ETH-27MAR26-2000-C", "ETH-PERPETUAL"],
        &[
            "price",
            "--type",
            "call",
            "--forward",
            "2000",
            "--strike",
            "2000",
            "--vol",
            "0.5",
            "--t",
            "0.1",
        ],
    ] {
        assert_eq!(with_closed_stdout(args).code(), Some(0), "{args:?}");
    }
    let dir = std::env::temp_dir().join(format!("rollmaker-pipe-{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    let status = with_closed_stdout(&["backtest", "--days", "0.2", "--out", dir.to_str().unwrap()]);
    assert_eq!(status.code(), Some(0));
    for f in ["summary.json", "timeseries.csv", "report.html"] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// An --out that cannot be written is refused before the run, as an I/O failure (exit 1).
#[test]
fn an_unwritable_out_is_refused_before_the_run() {
    let file = std::env::temp_dir().join(format!("rollmaker-notadir-{}", std::process::id()));
    std::fs::write(&file, "a file, not a folder").unwrap();
    let out = file.join("report");
    let r = rollmaker(&["backtest", "--days", "30", "--out", out.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(stderr.contains("--out"), "{stderr}");
    assert!(
        r.stdout.is_empty(),
        "ran before refusing: {}",
        String::from_utf8_lossy(&r.stdout)
    );
    std::fs::remove_file(&file).ok();
}

/// Runs a command that must fail as bad input (exit 2) without printing anything on stdout;
/// its stderr.
fn refused(args: &[&str]) -> String {
    let out = rollmaker(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "{args:?} printed {:?}", out.stdout);
    stderr
}

/// Flags mean one thing everywhere, flags that do not apply are refused, and no command prints
/// a null for a number.
#[test]
fn the_command_line_is_consistent() {
    // `p` is the P token in `price`; `iv` does not take it for a put.
    let e = refused(&[
        "iv",
        "--type",
        "p",
        "--forward",
        "1",
        "--strike",
        "1",
        "--t",
        "1",
        "--price",
        "0.1",
    ]);
    assert!(e.contains("possible values: call, put"), "{e}");
    let e = refused(&[
        "price",
        "--type",
        "call",
        "--forward",
        "3000",
        "--strike",
        "3000",
        "--t",
        "1e300",
        "--vol",
        "1e300",
    ]);
    assert!(e.contains("overflow"), "{e}");
    let e = refused(&["backtest", "--data", "nowhere", "--preset", "crash"]);
    assert!(e.contains("--preset"), "{e}");
    let e = refused(&["backtest", "--data", "nowhere", "--days", "3"]);
    assert!(e.contains("--days"), "{e}");
    let e = refused(&["backtest", "--from", "2026-01-01"]);
    assert!(e.contains("--data"), "{e}");
    let e = refused(&["backtest", "--data", "nowhere", "--from", "soon"]);
    assert!(e.contains("--from \"soon\""), "{e}");
    // Ten years at most, one message wherever days are asked for.
    let e = refused(&["backtest", "--days", "3651"]);
    assert!(e.contains("at most 3650"), "{e}");
    let e = refused(&[
        "export-tardis",
        "--days",
        "4000",
        "--out",
        "/nonexistent/never-written",
    ]);
    assert!(
        e.contains("--days 4000 must be above 0 and at most 3650"),
        "{e}"
    );
    // The crash within the run.
    let e = refused(&[
        "backtest",
        "--preset",
        "crash",
        "--days",
        "5",
        "--crash-day",
        "5",
    ]);
    assert!(
        e.contains("--crash-day 5 must be at least 0 and before the run's end (day 5)"),
        "{e}"
    );
    let e = refused(&["backtest", "--crash-day", "2"]);
    assert!(
        e.contains("--crash-day applies to --preset crash only"),
        "{e}"
    );
    let help = succeeds(&["book-demo", "--help"]);
    assert!(!help.contains("stand-in"), "{help}");
}

/// A sweep checks every job of the grid before running one: a bad config value fails at once,
/// naming the grid's line, and writes no results.
#[test]
fn a_bad_grid_fails_before_any_job() {
    let (dir, grid) = grid_file("badgrid", "0.5, -3.0");
    let out = dir.join("results");
    let e = refused(&[
        "sweep",
        "--grid",
        grid.to_str().unwrap(),
        "--shard",
        "0/2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(e.contains("line 5: "), "{e}");
    assert!(!out.exists(), "results written before the grid was checked");
    std::fs::remove_dir_all(&dir).ok();
}

/// The same chain file twice in one folder would replay the market backwards: refused, naming
/// both files.
#[test]
fn the_same_data_twice_is_refused() {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/deribit_eth_chain/deribit_eth_options_chain_202601.csv.gz");
    if !data.exists() {
        eprintln!("SKIPPED: ../shared/data is absent");
        return;
    }
    let dir = std::env::temp_dir().join(format!("rollmaker-twice-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(&data, dir.join("a.csv.gz")).unwrap();
    std::fs::copy(&data, dir.join("b.csv.gz")).unwrap();
    let e = refused(&["backtest", "--data", dir.to_str().unwrap()]);
    assert!(
        e.contains("b.csv.gz") && e.contains("a.csv.gz") && e.contains("twice"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A data file that is not there is an I/O failure (exit 1) naming it; a bad row in one that is
/// is bad input (exit 2, tested with the chain and Tardis readers).
#[test]
fn a_missing_data_file_is_an_io_failure() {
    let r = rollmaker(&["backtest", "--data", "/nonexistent/chain.csv.gz"]);
    assert_eq!(r.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(
        stderr.contains("opening /nonexistent/chain.csv.gz"),
        "{stderr}"
    );
}
