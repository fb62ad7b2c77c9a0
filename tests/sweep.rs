//! `cyclebt sweep`: the grid from the file and --param, invalid combinations counted, shards
//! merged byte for byte into the unsharded sweep.csv, report.html and run.json, and a sweep row
//! equal to the `compare` run of the same parameters to the cent.

use std::fs;

use crate::util::{cyclebt, section_data, shipped_strategy, stderr, stdout};

const GRID: [&str; 4] = [
    "--param",
    "trend.fast=5:50:5",
    "--param",
    "trend.slow=20:200:20",
];

fn sweep(extra: &[&str]) -> std::process::Output {
    let strategy = shipped_strategy("sma-trend");
    let mut args = vec!["sweep", strategy.as_str()];
    args.extend(GRID);
    args.extend(["--window", "full"]);
    args.extend(extra);
    cyclebt(&args)
}

/// `sweep merge DIRS... --out OUT`.
fn args_of<'a>(dirs: &'a [String], out: &'a std::path::Path) -> Vec<&'a str> {
    let mut args = vec!["sweep", "merge"];
    args.extend(dirs.iter().map(String::as_str));
    args.extend(["--out", out.to_str().unwrap()]);
    args
}

#[test]
fn sweep_counts_invalid_combinations_and_shards_merge_to_the_same_bytes() {
    let whole = tempfile::tempdir().unwrap();
    let output = sweep(&["--out", whole.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let table = stdout(&output);
    // fast 5..50 x slow 20..200: 100 combinations; fast >= slow for 10 of them (slow 20 with
    // fast 20..50, slow 40 with fast 40 and 50), which sma_cross rejects.
    assert!(
        table.contains("100 combinations of trend.fast x trend.slow (10 invalid, skipped)"),
        "{table}"
    );
    assert!(stderr(&output).contains("fast = 20, slow = 20"));
    let csv = fs::read(whole.path().join("sweep.csv")).unwrap();
    let text = String::from_utf8(csv.clone()).unwrap();
    // 90 combinations x 2 sizing rules, one window.
    assert_eq!(text.lines().count(), 1 + 180);
    assert!(text.starts_with("trend.fast,trend.slow,window,strategy,sizing,"));
    // report.html: one heat map per sizing rule (one window, one pair of parameters), a cell
    // per (fast, slow) coloured by its Sharpe ratio, the 10 invalid ones n/a.
    let page = fs::read_to_string(whole.path().join("report.html")).unwrap();
    let page = &page[..page.find("<script>").unwrap()];
    assert_eq!(page.matches("<td class=\"").count(), 2 * 100);
    assert_eq!(page.matches("<td class=\"na\">n/a</td>").count(), 2 * 10);
    assert!(
        page.contains("<h3>full / full: sharpe by trend.slow (columns) and trend.fast (rows)</h3>"),
        "{page}"
    );
    assert_eq!(page.matches("<tr><th>35</th>").count(), 2);

    let parts: Vec<_> = (0..4)
        .map(|i| {
            let dir = tempfile::tempdir().unwrap();
            let shard = format!("{i}/4");
            let output = sweep(&["--shard", &shard, "--out", dir.path().to_str().unwrap()]);
            assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
            dir
        })
        .collect();
    let merged = tempfile::tempdir().unwrap();
    // The folders in any order.
    let dirs: Vec<String> = parts
        .iter()
        .rev()
        .map(|d| d.path().to_str().unwrap().to_string())
        .collect();
    let output = cyclebt(&args_of(&dirs, merged.path()));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(fs::read(merged.path().join("sweep.csv")).unwrap(), csv);
    // The merge draws the unsharded sweep's page from the shards' exact metrics, and writes
    // its run.json (the shards read the same files here, so even the paths agree).
    for name in ["report.html", "run.json"] {
        assert!(
            fs::read(merged.path().join(name)).unwrap()
                == fs::read(whole.path().join(name)).unwrap(),
            "merged {name} differs from the unsharded sweep's"
        );
    }
    // run.json: the strategy file's and the data's hashes, the grid, and one run id for the
    // sweep and each shard, which says which part it is.
    let record = |dir: &std::path::Path| -> serde_json::Value {
        serde_json::from_slice(&fs::read(dir.join("run.json")).unwrap()).unwrap()
    };
    let whole_record = record(whole.path());
    let strategy_bytes = fs::read(shipped_strategy("sma-trend")).unwrap();
    assert_eq!(
        whole_record["strategies"][0]["sha256"],
        cyclebt_report::identity::sha256_hex(&strategy_bytes)
    );
    assert_eq!(whole_record["data"][0]["role"], "sh000001");
    let grid = &whole_record["grid"];
    assert_eq!(grid["parameters"][0]["key"], "trend.fast");
    assert_eq!(
        grid["parameters"][1]["values"].as_array().unwrap().len(),
        10
    );
    assert_eq!(
        (
            grid["combinations"].as_u64(),
            grid["invalid"].as_u64(),
            grid["rows"].as_u64()
        ),
        (Some(100), Some(10), Some(180))
    );
    assert!(whole_record.get("shard").is_none());
    for (i, part) in parts.iter().enumerate() {
        let shard = record(part.path());
        assert_eq!(shard["run_id"], whole_record["run_id"]);
        assert_eq!(shard["shard"], format!("{i}/4"));
    }
    // Another grid is another sweep: another run id.
    let other = tempfile::tempdir().unwrap();
    let mut args = vec!["sweep", "--param", "trend.slow=20:180:20"];
    let strategy = shipped_strategy("sma-trend");
    args.extend([
        strategy.as_str(),
        "--param",
        "trend.fast=5:50:5",
        "--window",
        "full",
    ]);
    args.extend(["--out", other.path().to_str().unwrap()]);
    let output = cyclebt(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_ne!(record(other.path())["run_id"], whole_record["run_id"]);

    // A shard whose run.json is another shard's, or whose exact metrics are missing, is
    // refused, naming the file.
    let run_json = parts[1].path().join("run.json");
    let kept = fs::read(&run_json).unwrap();
    fs::copy(parts[2].path().join("run.json"), &run_json).unwrap();
    let output = cyclebt(&args_of(&dirs, merged.path()));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("says shard 2/4, but sweep.part.csv beside it is shard 1/4"),
        "{}",
        stderr(&output)
    );
    fs::write(&run_json, kept).unwrap();
    fs::remove_file(parts[0].path().join("sweep.part.metrics.csv")).unwrap();
    let output = cyclebt(&args_of(&dirs, merged.path()));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("sweep.part.metrics.csv"),
        "{}",
        stderr(&output)
    );

    // A missing shard is refused, naming it.
    let output = cyclebt(&args_of(&dirs[..3], merged.path()));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("missing shards 0/4"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_sweep_row_equals_the_compare_run_of_its_parameters_to_the_cent() {
    let dir = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(shipped_strategy("sma-trend"))
        .unwrap()
        .replace("fast = 20, slow = 60", "fast = 15, slow = 40");
    let file = dir.path().join("sma-15-40.toml");
    fs::write(&file, text).unwrap();
    let compared = dir.path().join("compare");
    let output = cyclebt(&[
        "compare",
        file.to_str().unwrap(),
        "--window",
        "full",
        "--window",
        "bull5",
        "--out",
        compared.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let swept = dir.path().join("sweep");
    let strategy = shipped_strategy("sma-trend");
    let output = cyclebt(&[
        "sweep",
        &strategy,
        "--param",
        "trend.fast=10,15",
        "--param",
        "trend.slow=40",
        "--window",
        "full",
        "--window",
        "bull5",
        "--out",
        swept.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let sweep_csv = fs::read_to_string(swept.join("sweep.csv")).unwrap();
    let summary = fs::read_to_string(compared.join("summary.csv")).unwrap();
    let mut matched = 0;
    for row in sweep_csv
        .lines()
        .skip(1)
        .filter(|l| l.starts_with("15,40,"))
    {
        // The same summary.csv columns, every metric, fees and the final equity to the cent.
        let tail = row.strip_prefix("15,40,").unwrap();
        assert!(
            summary.lines().any(|l| l == tail),
            "{tail}\nnot in\n{summary}"
        );
        matched += 1;
        // And that final equity is the exact one the compare run's ledger ends on.
        let cells: Vec<&str> = tail.split(',').collect();
        let (window, sizing, final_equity) = (cells[0], cells[2], cells[23]);
        let ledger = fs::read_to_string(
            compared
                .join("runs")
                .join(window)
                .join("sma-trend")
                .join(sizing)
                .join("ledger.csv"),
        )
        .unwrap();
        let header: Vec<&str> = ledger.lines().next().unwrap().split(',').collect();
        let column = header.iter().position(|h| *h == "equity").unwrap();
        let last = ledger
            .lines()
            .last()
            .unwrap()
            .split(',')
            .nth(column)
            .unwrap();
        let exact: rust_decimal::Decimal = last.parse().unwrap();
        assert_eq!(
            exact.round_dp(2).to_string(),
            final_equity,
            "{window} {sizing}"
        );
    }
    assert_eq!(matched, 4, "full and bull5 x full and half");
}

#[test]
fn a_bad_sweep_key_is_an_input_error_naming_it() {
    let strategy = shipped_strategy("sma-trend");
    let output = cyclebt(&["sweep", &strategy, "--param", "trnd.fast=5,10"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("no [[signal]] with id \"trnd\""),
        "{message}"
    );
    let output = cyclebt(&["sweep", &strategy, "--shard", "4/4", "--out", "x"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn validate_scores_the_chosen_candidate_with_the_sweeps_own_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let strategy = shipped_strategy("sma-trend");
    let grid = [
        "--param",
        "trend.fast=5,10,20",
        "--param",
        "trend.slow=40,60",
    ];
    let mut args = vec!["validate", strategy.as_str()];
    args.extend(grid);
    let validated = dir.path().join("validate");
    args.extend(["--out", validated.to_str().unwrap()]);
    let output = cyclebt(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("6 combinations (0 invalid, skipped) x sizing rules = 12 candidates"),
        "{text}"
    );
    assert!(
        text.contains("Probability of backtest overfitting (CSCV, 16 blocks, 12870 splits)"),
        "{text}"
    );
    assert!(
        text.contains("Deflated Sharpe ratio of the best over full"),
        "{text}"
    );
    let swept = dir.path().join("sweep");
    let mut args = vec!["sweep", strategy.as_str()];
    args.extend(grid);
    args.extend(["--window", "bulls", "--out", swept.to_str().unwrap()]);
    let output = cyclebt(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let sweep_csv = fs::read_to_string(swept.join("sweep.csv")).unwrap();
    let loco = fs::read_to_string(validated.join("validate_loco.csv")).unwrap();
    assert_eq!(loco.lines().count(), 1 + 5, "{loco}");
    for line in loco.lines().skip(1) {
        // left_out,chosen ("trend.fast=F trend.slow=S sizing"),in_sample,out_of_sample,...
        let cells: Vec<&str> = line.split(',').collect();
        let chosen: Vec<&str> = cells[1].split(' ').collect();
        let fast = chosen[0].strip_prefix("trend.fast=").unwrap();
        let slow = chosen[1].strip_prefix("trend.slow=").unwrap();
        let prefix = format!("{fast},{slow},{},sma-trend,{},", cells[0], chosen[2]);
        let row = sweep_csv.lines().find(|l| l.starts_with(&prefix)).unwrap();
        // sharpe is the 10th summary column, after the two swept values.
        assert_eq!(
            row.split(',').nth(2 + 9).unwrap(),
            cells[3],
            "{line}\n{row}"
        );
    }
    let curve = fs::read_to_string(validated.join("walkforward_curve.csv")).unwrap();
    assert!(
        curve.lines().count() > 2000,
        "the stitched curve covers years"
    );
    let logits = fs::read_to_string(validated.join("pbo_logits.csv")).unwrap();
    assert_eq!(logits.lines().count(), 1 + 12_870);
    // report.html: the leave-one-out table as in the CSV, the stitched curve and buy-and-hold
    // on its days, and a histogram whose bars count every split, split at zero.
    let page = fs::read_to_string(validated.join("report.html")).unwrap();
    let first = loco.lines().nth(1).unwrap().split(',').collect::<Vec<_>>();
    assert!(
        page.contains(&format!("<tr><td>{}</td><td>{}</td>", first[0], first[1])),
        "{first:?}"
    );
    assert_eq!(page.matches("<tr><td>bull").count(), 5);
    let curve_plot = section_data(&page, "walk-curve");
    assert_eq!(curve_plot["series"].as_array().unwrap().len(), 2);
    let histogram = section_data(&page, "pbo-logits");
    let pool = histogram["pool"].as_array().unwrap();
    let bars = |k: usize| -> Vec<f64> {
        let at = histogram["series"][k]["data"].as_u64().unwrap() as usize;
        pool[at]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap_or(0.0))
            .collect()
    };
    let centres: Vec<f64> = pool[histogram["x"].as_u64().unwrap() as usize]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let (below, above) = (bars(0), bars(1));
    let finite = logits
        .lines()
        .skip(1)
        .filter(|l| {
            l.split(',')
                .nth(1)
                .unwrap()
                .parse::<f64>()
                .unwrap()
                .is_finite()
        })
        .count();
    assert_eq!(
        (below.iter().sum::<f64>() + above.iter().sum::<f64>()) as usize,
        finite
    );
    for ((c, b), a) in centres.iter().zip(&below).zip(&above) {
        assert!(if *c < 0.0 { *a == 0.0 } else { *b == 0.0 }, "bar at {c}");
    }
}

#[test]
fn costs_and_sizing_parameters_sweep_too_and_a_rule_needing_leverage_is_skipped() {
    let strategy = shipped_strategy("sma-trend");
    let output = cyclebt(&[
        "sweep",
        &strategy,
        "--param",
        "costs.slippage_bps=0,10",
        "--param",
        "sizing.half.fraction=0.25,1.5",
        "--window",
        "full",
        "--rank",
        "calmar",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let table = stdout(&output);
    assert!(
        table.contains(
            "4 combinations of costs.slippage_bps x sizing.half.fraction (2 invalid, skipped)"
        ),
        "{table}"
    );
    assert!(
        table.contains("full / half: top 2 of 2 by calmar"),
        "{table}"
    );
    assert!(
        stderr(&output).contains("needs borrowing"),
        "{}",
        stderr(&output)
    );
    // Slippage costs return: the 0 bps row ranks above the 10 bps one for each sizing rule.
    let first = table
        .lines()
        .find(|l| l.trim_start().starts_with("1 "))
        .unwrap();
    assert_eq!(first.split_whitespace().nth(1), Some("0"), "{table}");
}

#[test]
fn a_sweep_runs_only_the_windows_its_strategy_declares() {
    let dir = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(shipped_strategy("sma-trend"))
        .unwrap()
        .replace(
            "capital = \"1000000\"",
            "capital = \"1000000\"\nwindows = [\"bull1\", \"bull3\"]",
        );
    let file = dir.path().join("two-bulls.toml");
    fs::write(&file, text).unwrap();
    let out = dir.path().join("out");
    let output = cyclebt(&[
        "sweep",
        file.to_str().unwrap(),
        "--param",
        "trend.fast=10,20",
        "--window",
        "bulls",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let csv = fs::read_to_string(out.join("sweep.csv")).unwrap();
    let windows: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    // 2 combinations x 2 windows x 2 sizing rules, only bull1 and bull3.
    assert_eq!(windows.len(), 8, "{csv}");
    assert!(
        windows.iter().all(|w| *w == "bull1" || *w == "bull3"),
        "{csv}"
    );
}
