//! The command line end to end: the no-data message, the files `compare --out` writes, and
//! byte-for-byte reproducibility.

use crate::util::{cyclebt, stderr, stdout};

#[test]
fn without_data_compare_says_how_to_get_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("none");
    let output = cyclebt(&["compare", "--data", root.to_str().unwrap()]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(2));
    assert!(message.contains("no market data found"), "{message}");
    // The exact command to run next, for the folder given.
    let next = format!("python3 datasets/fetch.py {}`", root.display());
    assert!(message.contains(&next), "{message}");
    assert_eq!(message.lines().count(), 1, "one message: {message}");
}

#[test]
fn compare_writes_summary_and_equity_curves_reproducibly() {
    let strategy = crate::util::shipped_strategy("sma-trend");
    let strategy = strategy.as_str();
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let out = tempfile::tempdir().unwrap();
            let output = cyclebt(&[
                "compare",
                strategy,
                "--out",
                out.path().to_str().unwrap(),
                "--all-rows",
            ]);
            assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
            (out, stdout(&output))
        })
        .collect();
    let (out, table) = &runs[0];
    let has_row = |window: &str, strategy: &str| {
        table
            .lines()
            .any(|l| l.split_whitespace().take(2).eq([window, strategy]))
    };
    assert!(has_row("bull3", "buy_and_hold"), "{table}");
    assert!(has_row("cycle3", "sma-trend"), "{table}");
    assert!(
        !has_row("bear3", "sma-trend"),
        "bears run only when asked: {table}"
    );
    assert!(table.contains("Conventions (empyrical)"));
    let summary = std::fs::read_to_string(out.path().join("summary.csv")).unwrap();
    let mut lines = summary.lines();
    assert_eq!(lines.next(), Some(cyclebt_report::SUMMARY_HEADER));
    // 12 windows (5 bulls, 5 whole cycles, margin-era, full) x (buy-and-hold + sma-trend full
    // + sma-trend half).
    assert_eq!(lines.count(), 36);
    let ledger =
        std::fs::read_to_string(out.path().join("runs/bull3/sma-trend/half/ledger.csv")).unwrap();
    let mut ledger_lines = ledger.lines();
    assert_eq!(
        ledger_lines.next(),
        Some(format!("{},signal:trend", cyclebt_report::audit::LEDGER_HEADER).as_str())
    );
    assert_eq!(
        ledger_lines.next(),
        Some(
            "2014-04-28,2003.4870,1000000,0,0,0,0,1000000,0.000000,0.000000,1000000,0.500000,1.000000"
        )
    );
    assert_eq!(ledger_lines.count(), 276);
    // The page: self-contained, the summary table, the charts' data per window and tearsheet.
    let page = std::fs::read_to_string(out.path().join("report.html")).unwrap();
    assert!(page.contains("<table class=\"sortable\" id=\"summary\">"));
    // The run id: in run.json, at the end of the table and at the top of the page.
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("run.json")).unwrap())
            .unwrap();
    let run_id = record["run_id"].as_str().unwrap();
    assert!(table.contains(&format!("run id: {run_id}")), "{table}");
    assert!(page.contains(&format!("Run id <code>{run_id}</code> (run.json)")));
    // The event study of the rule changes, as `cyclebt events` prints it: the 2026 rule from
    // the close of 2026-01-13, with the maintenance ratio read.
    assert!(page.contains("<table class=\"sortable\" id=\"events\">"));
    assert!(
        page.contains("<tr><td>margin-2026-01-19</td><td>2026-01-14</td><td>2026-01-19</td><td>2026-01-13</td><td>+5</td>"),
        "event row"
    );
    // A section per window, each with its chart data, drawn in the browser.
    assert_eq!(page.matches("<section class=\"window\"").count(), 12);
    assert_eq!(
        page.matches("<script type=\"application/json\" class=\"data\">")
            .count(),
        12 + 2
    );
    // The across-cycles table aggregates bulls and whole cycles apart, five windows each.
    assert!(
        page.contains("<tr><td>bulls</td><td>sma-trend</td><td>full</td><td>5 of 5</td>"),
        "bulls aggregated"
    );
    assert!(
        page.contains("<tr><td>cycles</td><td>sma-trend</td><td>full</td><td>5 of 5</td>"),
        "cycles aggregated"
    );
    for outside in [
        "src=\"http",
        "href=\"http",
        "<link",
        "<script src",
        "@import",
    ] {
        assert!(
            !page.contains(outside),
            "the page loads nothing from outside: {outside}"
        );
    }
    // Same inputs, same bytes.
    for name in [
        "report.html",
        "sharpe_ci.csv",
        "deflated.csv",
        "summary.csv",
        "run.json",
        "runs/full/sma-trend/full/ledger.csv",
        "runs/full/sma-trend/full/fills.csv",
        "runs/full/sma-trend/full/trades.csv",
        "runs/bull1/buy_and_hold/full/ledger.csv",
    ] {
        let a = std::fs::read(runs[0].0.path().join(name)).unwrap();
        let b = std::fs::read(runs[1].0.path().join(name)).unwrap();
        assert_eq!(a, b, "{name} differs between two runs");
    }
    assert_eq!(runs[0].1, runs[1].1);
}

#[test]
fn a_strategy_on_its_own_dataset_is_n_a_in_windows_outside_it_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("csi.toml"),
        "name = \"csi_all_share\"\n[index]\nfile = \"raw/csindex/000985.csv\"\nformat = \"csindex\"\n",
    )
    .unwrap();
    let strategy = dir.path().join("s.toml");
    std::fs::write(&strategy, "name = \"hold\"\ndataset = \"csi.toml\"\n").unwrap();
    let out = tempfile::tempdir().unwrap();
    let args = [
        "compare",
        strategy.to_str().unwrap(),
        "--all-rows",
        "--out",
        out.path().to_str().unwrap(),
    ];
    let output = cyclebt(&args);
    let (table, notes) = (stdout(&output), stderr(&output));
    assert_eq!(output.status.code(), Some(0), "{notes}");
    // CSI All Share starts in 2015: bull1 to bull3 are n/a with the reason; bull4, bull5 and
    // the full history run, with a buy-and-hold row on the strategy's own dataset.
    let reason = "n/a: dataset csi_all_share: window bull1 is not covered by the data";
    assert!(table.contains(reason), "{table}");
    let row = |window: &str, strategy: &str| {
        table
            .lines()
            .find(|l| l.starts_with(window) && l.split_whitespace().nth(1) == Some(strategy))
            .unwrap_or_else(|| panic!("no {window} {strategy} row: {table}"))
            .to_string()
    };
    assert!(row("bull1", "hold").contains(" n/a "));
    assert!(row("bull5", "buy_and_hold").contains('%'));
    assert!(row("bull5", "hold").contains('%'));
    let summary = std::fs::read_to_string(out.path().join("summary.csv")).unwrap();
    let row = summary
        .lines()
        .find(|l| l.starts_with("bull3,hold,full,"))
        .unwrap();
    assert!(
        row.contains(",n/a,\"n/a: dataset csi_all_share: window bull3"),
        "{row}"
    );
    assert!(!out.path().join("runs/bull3").exists());
}

#[test]
fn compare_runs_every_strategy_on_each_dataset_with_its_own_buy_and_hold() {
    let strategy = crate::util::shipped_strategy("sma-trend");
    let args = [
        "compare",
        &strategy,
        "--dataset",
        "csi300",
        "--dataset",
        "sh000001",
        "--window",
        "bull3",
        "--all-rows",
    ];
    let output = cyclebt(&args);
    let table = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let line = |label: &str| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("bull3   {label} ")))
            .unwrap_or_else(|| panic!("no {label} row: {table}"))
            .to_string()
    };
    // Close to close, CSI 300 5335.115 / 2134.969 - 1 = 149.9% (bought at the next open,
    // 2134.413); the Shanghai Composite 158.0%; both a little less after sma-trend's costs (its
    // 5 bps slippage among them), which the stand-alone rows pay as every strategy on their
    // dataset shares them. Each strategy row's benchmark column (the 24th) is its own
    // dataset's buy-and-hold under its own costs.
    let column = |row: &str, i: usize| row.split_whitespace().nth(i).unwrap().to_string();
    assert_eq!(column(&line("buy_and_hold-sh000300"), 6), "149.8%");
    assert_eq!(column(&line("buy_and_hold-sh000001"), 6), "157.9%");
    assert_eq!(column(&line("sma-trend-sh000300"), 23), "149.8%");
    assert_eq!(column(&line("sma-trend-sh000001"), 23), "157.9%");
}
