//! The audit files of `compare --out`: every shipped run replayed from its fills alone reaches
//! its ledger to the cent on every day; a failing plugin fails its own strategy only; a rerun
//! leaves no stale files; the terminal table fits 120 columns.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use cyclebt_engine::to_cents;
use rust_decimal::Decimal;

use crate::plugins::plugin_dir;
use crate::util::{cyclebt, shipped_strategy, stderr, stdout};

/// A CSV file as header -> column index and rows of fields (the files hold no quoted fields).
struct Csv {
    columns: HashMap<String, usize>,
    rows: Vec<Vec<String>>,
}

impl Csv {
    fn read(path: &Path) -> Csv {
        let text = std::fs::read_to_string(path).unwrap();
        let mut lines = text.lines();
        let columns = lines
            .next()
            .unwrap()
            .split(',')
            .enumerate()
            .map(|(i, c)| (c.to_string(), i))
            .collect();
        let rows = lines
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect();
        Csv { columns, rows }
    }

    fn text<'a>(&self, row: &'a [String], column: &str) -> &'a str {
        &row[self.columns[column]]
    }

    fn decimal(&self, row: &[String], column: &str) -> Decimal {
        let text = self.text(row, column);
        text.parse()
            .unwrap_or_else(|_| panic!("{column}: {text} is not a decimal"))
    }
}

/// Every `runs/<window>/<strategy>/<sizing>` folder under `out`.
fn run_folders(out: &Path) -> Vec<PathBuf> {
    let mut folders = Vec::new();
    let level = |dir: &Path| -> Vec<PathBuf> {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        entries
    };
    for window in level(&out.join("runs")) {
        for strategy in level(&window) {
            folders.extend(level(&strategy));
        }
    }
    folders
}

/// The broker's terms a strategy file sets: starting capital and annual interest rate (none
/// without a [leverage] section). Read from the TOML directly, not through cyclebt.
fn terms(strategy_file: Option<&Path>) -> (Decimal, Decimal) {
    let Some(path) = strategy_file else {
        return (Decimal::from(1_000_000), Decimal::ZERO);
    };
    let table: toml::Table = std::fs::read_to_string(path).unwrap().parse().unwrap();
    let capital = table.get("capital").map_or(Decimal::from(1_000_000), |v| {
        v.as_str()
            .map_or(v.to_string(), str::to_string)
            .parse()
            .unwrap()
    });
    let rate = match table.get("leverage") {
        None => Decimal::ZERO,
        Some(leverage) => leverage
            .get("interest_rate")
            .map_or("0.06".parse().unwrap(), |v| v.to_string().parse().unwrap()),
    };
    (capital, rate)
}

/// Replays `fills.csv` from the starting capital: cash pays first and credit the rest of a
/// buy, a sale's proceeds repay the debt first, interest accrues on the debt each calendar
/// day at `rate` / 360, to the cent. Checks every ledger row against it; returns the days
/// on which the ledger showed debt and interest.
fn replay(folder: &Path, capital: Decimal, rate: Decimal) -> (usize, usize) {
    let ledger = Csv::read(&folder.join("ledger.csv"));
    let fills = Csv::read(&folder.join("fills.csv"));
    let trades = Csv::read(&folder.join("trades.csv"));
    let at = |what: &str, date: &str| format!("{} {what} on {date}", folder.display());
    let (mut cash, mut units, mut debt, mut fees) =
        (capital, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let mut fill_rows = fills.rows.iter().peekable();
    let mut previous: Option<NaiveDate> = None;
    let (mut debt_days, mut interest_days) = (0, 0);
    for row in &ledger.rows {
        let date_text = ledger.text(row, "date");
        let date: NaiveDate = date_text.parse().unwrap();
        let mut interest = Decimal::ZERO;
        if let Some(before) = previous
            && debt > Decimal::ZERO
        {
            let days = Decimal::from((date - before).num_days());
            interest = to_cents(debt * rate * days / Decimal::from(360));
            debt += interest;
        }
        previous = Some(date);
        while let Some(fill) = fill_rows.next_if(|f| fills.text(f, "date") == date_text) {
            let quantity = fills.decimal(fill, "units");
            let value = to_cents(quantity * fills.decimal(fill, "price"));
            assert_eq!(
                value,
                fills.decimal(fill, "value"),
                "{}",
                at("fill value", date_text)
            );
            let fee = fills.decimal(fill, "commission") + fills.decimal(fill, "stamp_duty");
            fees += fee;
            let debt_change = match fills.text(fill, "side") {
                "buy" => {
                    let borrowed = (value + fee - cash).max(Decimal::ZERO);
                    cash -= value + fee - borrowed;
                    debt += borrowed;
                    units += quantity;
                    borrowed
                }
                "sell" => {
                    let net = value - fee;
                    let repaid = net.min(debt).max(Decimal::ZERO);
                    debt -= repaid;
                    cash += net - repaid;
                    units -= quantity;
                    -repaid
                }
                side => panic!("side {side}"),
            };
            assert_eq!(
                debt_change,
                fills.decimal(fill, "debt_change"),
                "{}",
                at("debt change", date_text)
            );
        }
        let close = ledger.decimal(row, "close");
        for (column, replayed) in [
            ("cash", cash),
            ("units", units),
            ("debt", debt),
            ("interest", interest),
            ("fees_to_date", fees),
        ] {
            assert_eq!(
                replayed,
                ledger.decimal(row, column),
                "{}",
                at(column, date_text)
            );
        }
        assert_eq!(
            to_cents(cash + units * close - debt),
            to_cents(ledger.decimal(row, "equity")),
            "{}",
            at("equity", date_text)
        );
        debt_days += usize::from(debt > Decimal::ZERO);
        interest_days += usize::from(interest > Decimal::ZERO);
    }
    assert!(
        fill_rows.next().is_none(),
        "{}: fills after the last day",
        folder.display()
    );
    // The trades account for every fill's fees and every unit bought.
    let trade_fees: Decimal = trades.rows.iter().map(|r| trades.decimal(r, "fees")).sum();
    assert_eq!(trade_fees, fees, "{}: trade fees", folder.display());
    let bought: Decimal = fills
        .rows
        .iter()
        .filter(|r| fills.text(r, "side") == "buy")
        .map(|r| fills.decimal(r, "units"))
        .sum();
    let traded: Decimal = trades.rows.iter().map(|r| trades.decimal(r, "units")).sum();
    assert_eq!(
        traded,
        bought,
        "{}: units over the trades",
        folder.display()
    );
    (debt_days, interest_days)
}

#[test]
fn every_shipped_run_replays_from_its_fills_to_the_ledger_to_the_cent() {
    let shipped: Vec<PathBuf> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../strategies"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
    let out = tempfile::tempdir().unwrap();
    let mut args = vec!["compare".to_string()];
    args.extend(shipped.iter().map(|p| p.display().to_string()));
    for flag in [
        "--plugin-dir",
        plugin_dir().to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
    ] {
        args.push(flag.to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = cyclebt(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let summary = Csv::read(&out.path().join("summary.csv"));
    let ran = summary
        .rows
        .iter()
        .filter(|r| summary.text(r, "status") == "ran")
        .count();
    let folders = run_folders(out.path());
    assert_eq!(folders.len(), ran, "one folder per run that ran");
    assert!(ran > 100, "{ran} runs");
    let mut leveraged = 0;
    for folder in &folders {
        let strategy = folder
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap();
        let file = shipped.iter().find(|p| p.file_stem().unwrap() == strategy);
        let (capital, rate) = terms(file.map(PathBuf::as_path));
        let (debt_days, interest_days) = replay(folder, capital, rate);
        if debt_days > 100 && interest_days > 100 {
            leveraged += 1;
        }
    }
    assert!(
        leveraged > 0,
        "some leveraged run carries debt and pays interest day by day"
    );
}

/// A strategy whose signal is the misbehaving fixture plugin in `mode`.
fn misbehaving_strategy(dir: &Path, name: &str, mode: &str) -> PathBuf {
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "name = \"{name}\"\n[[signal]]\nid = \"x\"\nplugin = \"fixture-misbehaving\"\nparams = {{ mode = \"{mode}\" }}\n[[entry]]\nsignal = \"x\"\nabove = 0\n"
        ),
    )
    .unwrap();
    path
}

#[test]
fn a_panicking_plugin_fails_its_strategy_and_the_others_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let broken = misbehaving_strategy(dir.path(), "broken", "panic");
    let fine = misbehaving_strategy(dir.path(), "fine", "fine");
    let out = dir.path().join("out");
    let output = cyclebt(&[
        "compare",
        broken.to_str().unwrap(),
        fine.to_str().unwrap(),
        "--plugin-dir",
        plugin_dir().to_str().unwrap(),
        "--window",
        "bull3",
        "--out",
        out.to_str().unwrap(),
    ]);
    let (table, errors) = (stdout(&output), stderr(&output));
    assert_eq!(output.status.code(), Some(2), "{errors}");
    assert!(
        errors.contains(
            "error: strategy broken failed in window bull3: signal fixture-misbehaving ("
        ) && errors.contains("panicked: boom on day"),
        "{errors}"
    );
    assert!(errors.contains("failed: broken"), "{errors}");
    assert!(table.contains("bull3   broken"), "{table}");
    assert!(table.contains("failed"), "{table}");
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(
        summary
            .lines()
            .any(|l| l.starts_with("bull3,broken,full,") && l.contains(",failed,")),
        "{summary}"
    );
    assert!(
        summary
            .lines()
            .any(|l| l.starts_with("bull3,fine,full,") && l.contains(",ran,")),
        "{summary}"
    );
    assert!(out.join("runs/bull3/fine/full/ledger.csv").exists());
    assert!(!out.join("runs/bull3/broken").exists());
}

#[test]
fn a_plugin_that_cannot_load_fails_its_strategy_and_the_others_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.toml");
    std::fs::write(
        &missing,
        "name = \"missing\"\n[[signal]]\nid = \"x\"\nplugin = \"no-such-plugin\"\n[[entry]]\nsignal = \"x\"\nabove = 0\n",
    )
    .unwrap();
    let fine = misbehaving_strategy(dir.path(), "fine", "fine");
    let out = dir.path().join("out");
    let output = cyclebt(&[
        "compare",
        missing.to_str().unwrap(),
        fine.to_str().unwrap(),
        "--plugin-dir",
        plugin_dir().to_str().unwrap(),
        "--window",
        "bulls",
        "--out",
        out.to_str().unwrap(),
    ]);
    let errors = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{errors}");
    // Said once, with the file, line and plugin, though it fails all five windows.
    assert_eq!(
        errors.matches("error: strategy missing failed").count(),
        1,
        "{errors}"
    );
    assert!(
        errors.contains("missing.toml:2:1: signal \"x\": plugin \"no-such-plugin\" not found"),
        "{errors}"
    );
    let summary = Csv::read(&out.join("summary.csv"));
    let status = |strategy: &str| -> Vec<&str> {
        summary
            .rows
            .iter()
            .filter(|r| summary.text(r, "strategy") == strategy)
            .map(|r| summary.text(r, "status"))
            .collect()
    };
    assert_eq!(status("missing"), ["failed"; 5]);
    assert_eq!(status("fine"), ["ran"; 5]);
    assert_eq!(
        run_folders(&out).len(),
        10,
        "fine and buy-and-hold in five windows"
    );
    let record = std::fs::read_to_string(out.join("run.json")).unwrap();
    assert!(record.contains("\"version\": \"not loaded: "), "{record}");
}

#[test]
fn a_rerun_into_the_same_folder_leaves_no_stale_runs() {
    let out = tempfile::tempdir().unwrap();
    let compare = |folder: &Path, windows: &[&str]| {
        let mut args = vec!["compare", "--out", folder.to_str().unwrap()];
        for w in windows {
            args.extend(["--window", w]);
        }
        let output = cyclebt(&args);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    };
    compare(out.path(), &["bull1", "bull2", "bull3"]);
    std::fs::write(out.path().join("mine.txt"), "a user's file").unwrap();
    // Files a rerun writes again are written over in place: make two of them longer than
    // what comes, so the rerun must cut them to length.
    let ledger = out.path().join("runs/bull3/buy_and_hold/full/ledger.csv");
    for file in [&ledger, &out.path().join("summary.csv")] {
        let mut bytes = std::fs::read(file).unwrap();
        bytes.extend_from_slice(b"an earlier, longer tail\n");
        std::fs::write(file, bytes).unwrap();
    }
    // A backup hard-linked to a run file keeps its bytes; a link planted in runs/ is removed,
    // not followed.
    let elsewhere = tempfile::tempdir().unwrap();
    let backup = elsewhere.path().join("fills.csv");
    let fills = out.path().join("runs/bull3/buy_and_hold/full/fills.csv");
    std::fs::hard_link(&fills, &backup).unwrap();
    std::fs::write(&fills, "an earlier run's fills\n").unwrap();
    std::fs::write(elsewhere.path().join("notes.txt"), "a user's notes").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(elsewhere.path(), out.path().join("runs/bull1/linked")).unwrap();
    compare(out.path(), &["bull3"]);
    assert_eq!(run_folders(out.path()).len(), 1);
    assert_eq!(
        std::fs::read_to_string(&backup).unwrap(),
        "an earlier run's fills\n"
    );
    assert!(elsewhere.path().join("notes.txt").exists());
    // The rerun's files hold the bytes a fresh folder gets.
    let fresh = tempfile::tempdir().unwrap();
    compare(fresh.path(), &["bull3"]);
    for file in [
        "summary.csv",
        "report.html",
        "runs/bull3/buy_and_hold/full/ledger.csv",
        "runs/bull3/buy_and_hold/full/fills.csv",
    ] {
        assert_eq!(
            std::fs::read(out.path().join(file)).unwrap(),
            std::fs::read(fresh.path().join(file)).unwrap(),
            "{file}"
        );
    }
    assert!(
        out.path().join("mine.txt").exists(),
        "other files are left alone"
    );
    // Everything compare writes is on its list of outputs (compare.rs OUTPUT_FILES), which a
    // rerun replaces: a new output file must join it, or a rerun would leave a stale one.
    let mut entries: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    assert_eq!(
        entries,
        [
            "conventions.txt",
            "deflated.csv",
            "mine.txt",
            "report.html",
            "run.json",
            "runs",
            "sharpe_ci.csv",
            "summary.csv"
        ]
    );
    // A rerun that stops on bad input leaves the earlier results as they were.
    let typo = out.path().join("typo.toml");
    std::fs::write(&typo, "name = \"s\"\nwindos = [\"bull3\"]\n").unwrap();
    let output = cyclebt(&[
        "compare",
        typo.to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(run_folders(out.path()).len(), 1);
    std::fs::remove_file(&typo).unwrap();
    // A folder with outputs of unknown origin (no run.json) is refused, not mixed into.
    std::fs::remove_file(out.path().join("run.json")).unwrap();
    let output = cyclebt(&[
        "compare",
        "--out",
        out.path().to_str().unwrap(),
        "--window",
        "bull4",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("but no run.json"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn the_table_of_the_shipped_strategies_fits_120_columns() {
    let strategies: Vec<String> = [
        "sma-trend",
        "fomo-breakeven",
        "margin-timing",
        "trend-exposure",
    ]
    .iter()
    .map(|s| shipped_strategy(s))
    .collect();
    let mut args: Vec<&str> = vec!["compare"];
    args.extend(strategies.iter().map(String::as_str));
    args.extend(["--plugin-dir", plugin_dir().to_str().unwrap()]);
    let output = cyclebt(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let table = stdout(&output);
    for line in table.lines() {
        assert!(
            line.chars().count() <= 120,
            "{} columns: {line}",
            line.chars().count()
        );
    }
    // One line per window group (bulls, cycles) or ungrouped window (margin-era, full) and
    // strategy: 4 x (buy-and-hold + 4 strategies).
    let rows = table
        .lines()
        .take_while(|l| !l.starts_with("Each strategy's"))
        .count()
        - 1;
    assert_eq!(rows, 20, "{table}");
    assert!(
        table.contains("\nbulls       margin-timing   full +4   3/5"),
        "{table}"
    );
    // The margin strategy's n/a note once, covering both windows without margin data.
    assert_eq!(
        table.matches("no margin (financing_balance) data").count(),
        1,
        "{table}"
    );
    let unwrapped = table.replace("\n    ", " ");
    assert!(
        unwrapped.contains("margin-timing (full, half, vol15, kelly, pyramid) in bull1, bull2"),
        "{table}"
    );
    assert!(table.lines().any(|l| l.starts_with("run id: ")), "{table}");
}

#[test]
fn the_benchmark_can_be_another_dataset_with_the_strategy_s_costs() {
    let dir = tempfile::tempdir().unwrap();
    // Buy-and-hold of the CSI All Share as a strategy of its own, with sma-trend's costs.
    let sma = std::fs::read_to_string(shipped_strategy("sma-trend")).unwrap();
    let costs = &sma[sma.find("[costs]").unwrap()..];
    let hold = dir.path().join("hold.toml");
    std::fs::write(
        &hold,
        format!("name = \"hold\"\ndataset = \"csi000985\"\n{costs}"),
    )
    .unwrap();
    let out = dir.path().join("out");
    let output = cyclebt(&[
        "compare",
        hold.to_str().unwrap(),
        &shipped_strategy("sma-trend"),
        "--window",
        "bull5",
        "--benchmark",
        "csi000985",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let summary = Csv::read(&out.join("summary.csv"));
    let row = |strategy: &str| {
        summary
            .rows
            .iter()
            .find(|r| {
                summary.text(r, "strategy") == strategy && summary.text(r, "sizing") == "full"
            })
            .unwrap()
    };
    let (hold_row, sma_row) = (row("hold"), row("sma-trend"));
    assert_eq!(
        summary.text(sma_row, "bench_total_return"),
        summary.text(hold_row, "total_return")
    );
    assert_eq!(
        summary.text(sma_row, "bench_max_drawdown"),
        summary.text(hold_row, "max_drawdown")
    );
    let ledger = Csv::read(&out.join("runs/bull5/sma-trend/full/ledger.csv"));
    let last = ledger.rows.last().unwrap();
    assert_eq!(
        to_cents(ledger.decimal(last, "benchmark")).to_string(),
        summary.text(hold_row, "final_equity")
    );
    let record = std::fs::read_to_string(out.join("run.json")).unwrap();
    assert!(record.contains("\"benchmark\": \""), "{record}");
    assert!(record.contains("\"benchmark\": \"csi000985\""), "{record}");
    assert!(record.contains("csindex_000985.csv"), "{record}");
}

#[test]
fn format_json_prints_one_object_per_row_with_the_run_id_and_sortino_uses_the_risk_free_rate() {
    let out = tempfile::tempdir().unwrap();
    let strategy = shipped_strategy("sma-trend");
    let args = |format: &str| {
        let output = cyclebt(&[
            "compare",
            &strategy,
            "--window",
            "bull3",
            "--risk-free",
            "0.03",
            "--format",
            format,
            "--out",
            out.path().to_str().unwrap(),
        ]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        stdout(&output)
    };
    let table = args("table");
    let lines = args("json");
    let rows: Vec<serde_json::Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3, "{lines}");
    let run_id = rows[0]["run_id"].as_str().unwrap();
    assert!(table.contains(&format!("run id: {run_id}")), "{table}");
    let sma = &rows[1];
    assert_eq!(
        (sma["strategy"].as_str(), sma["status"].as_str()),
        (Some("sma-trend"), Some("ran"))
    );
    // Money as exact strings, ratios as numbers, NaN as null.
    assert!(sma["final_equity"].is_string() && sma["sharpe"].is_number());
    assert!(
        rows[0]["win_rate"].is_null(),
        "buy-and-hold closes no trade"
    );
    // Sortino's required return is the per-day risk-free rate, from the ledger's equity.
    let ledger = Csv::read(&out.path().join("runs/bull3/sma-trend/full/ledger.csv"));
    let equity: Vec<f64> = ledger
        .rows
        .iter()
        .map(|r| ledger.text(r, "equity").parse().unwrap())
        .collect();
    let returns = cyclebt_metrics::simple_returns(&equity);
    let required = (1.0f64 + 0.03).powf(1.0 / 252.0) - 1.0;
    let expected = cyclebt_metrics::sortino_ratio(&returns, required, 252.0);
    let at_zero = cyclebt_metrics::sortino_ratio(&returns, 0.0, 252.0);
    let got = sma["sortino"].as_f64().unwrap();
    assert!((got - expected).abs() < 1e-9, "{got} vs {expected}");
    assert!(
        (got - at_zero).abs() > 0.01,
        "the rate changes it: {got} vs {at_zero}"
    );
}

#[test]
fn a_strategy_named_like_a_benchmark_row_is_refused_rather_than_sharing_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.toml");
    let b = dir.path().join("b.toml");
    std::fs::write(&a, "name = \"buy_and_hold-sh000300\"\n").unwrap();
    std::fs::write(&b, "name = \"b\"\ndataset = \"sh000300\"\n").unwrap();
    // Two datasets: the buy-and-hold rows are labelled buy_and_hold-sh000001 and
    // buy_and_hold-sh000300, the second the name of strategy a.
    let output = cyclebt(&["compare", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("two strategies are named \"buy_and_hold-sh000300\""),
        "{}",
        stderr(&output)
    );
}

#[test]
fn the_ledger_s_signal_values_replay_every_decision_of_a_rules_strategy() {
    // sma-trend: in when its signal is above 0, out when below; `full` holds 1.
    let out = tempfile::tempdir().unwrap();
    let output = cyclebt(&[
        "compare",
        &shipped_strategy("sma-trend"),
        "--window",
        "full",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let ledger = Csv::read(&out.path().join("runs/full/sma-trend/full/ledger.csv"));
    let last = ledger.rows.len() - 1;
    let mut orders = 0;
    for (i, row) in ledger.rows.iter().enumerate() {
        let order = ledger.text(row, "order");
        if i == last {
            assert_eq!((order, ledger.text(row, "signal:trend")), ("", ""));
            continue;
        }
        let value: f64 = ledger.text(row, "signal:trend").parse().unwrap();
        let holding = ledger.decimal(row, "units") > Decimal::ZERO;
        let expected = if !holding && value > 0.0 {
            "1.000000"
        } else if holding && value < 0.0 {
            "0.000000"
        } else {
            ""
        };
        assert_eq!(order, expected, "on {}", ledger.text(row, "date"));
        orders += usize::from(!order.is_empty());
    }
    assert!(orders > 100, "{orders} orders");
}
