//! User-declared named series (`[[series]]` in a manifest): any column of any CSV, converted by
//! its unit, joined exactly or as of a date, shifted by its lag, readable by name, and every
//! problem an error at file, line and column. Fixtures are written by the tests themselves.

use std::path::Path;

use cyclebt_data::{Dataset, Manifest};

use crate::util::{cyclebt, date, origins, shipped_manifest, shipped_strategy, stderr, stdout};

/// Five trading days, 2020-01-02..2020-01-08 (the weekend and 2020-01-01 are not in it).
const INDEX: &str = "date,open,close,high,low,volume,amount,turn,pctChg
2020-01-02,10,11,12,9,100,1000,0.01,0
2020-01-03,11,12,13,10,100,1000,0.01,0
2020-01-06,12,13,14,11,100,1000,0.01,0
2020-01-07,13,14,15,12,100,1000,0.01,0
2020-01-08,14,15,16,13,100,1000,0.01,0
";

/// A user's file with a Chinese date header, a value in 亿元 with an empty cell, and a row on a
/// day that is not a trading day (a Sunday).
const FLOWS: &str = "\u{feff}交易日期,北向净流入,备注
2020-01-02,1.5,a
2020-01-03,,b
2020-01-05,9,c
2020-01-06,-2.25,d
2020-01-07,0.5,e
";

fn write_fixture(dir: &Path, series: &str) -> Manifest {
    std::fs::create_dir_all(dir.join("raw")).unwrap();
    std::fs::write(dir.join("raw/index.csv"), INDEX).unwrap();
    std::fs::write(dir.join("raw/flows.csv"), FLOWS).unwrap();
    let text = format!(
        "name = \"fixture\"\n[index]\nfile = \"raw/index.csv\"\nformat = \"baostock\"\n{series}"
    );
    Manifest::parse(Path::new("fixture.toml"), &text).unwrap()
}

fn load(series: &str) -> Dataset {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_fixture(dir.path(), series);
    cyclebt_data::load(&manifest, dir.path()).unwrap()
}

const NORTHBOUND: &str = r#"
[[series]]
name = "northbound_net"
description = "northbound net buying"
file = "raw/flows.csv"
date_column = "交易日期"
column = "北向净流入"
unit = "yi_yuan"
lag_days = 1
"#;

/// NaN-aware equality of a column with the expected values.
fn assert_column(actual: &[f64], expected: &[f64]) {
    assert_eq!(actual.len(), expected.len(), "{actual:?}");
    for (a, e) in actual.iter().zip(expected) {
        assert!(
            a == e || (a.is_nan() && e.is_nan()),
            "{actual:?} != {expected:?}"
        );
    }
}

#[test]
fn a_named_series_is_converted_lagged_and_read_by_name() {
    let dataset = load(NORTHBOUND);
    let market = &dataset.market;
    // By hand: 亿元 times 1e8 on the calendar 01-02, 01-03, 01-06, 01-07, 01-08 is
    // [1.5e8, empty, -2.25e8, 0.5e8, no row] (the Sunday row 01-05 ignored); then everything
    // one trading day later.
    let nan = f64::NAN;
    assert_column(
        market.series("northbound_net").unwrap(),
        &[nan, 1.5e8, nan, -2.25e8, 0.5e8],
    );
    assert!(market.series("close").is_none());
    assert!(market.series("southbound").is_none());
    let info = &market.series_info()[0];
    assert_eq!(
        (
            info.name.as_str(),
            info.unit.as_str(),
            info.description.as_str()
        ),
        ("northbound_net", "yuan", "northbound net buying")
    );
    let coverage = market
        .coverage
        .iter()
        .find(|c| c.series == "northbound_net");
    let coverage = coverage.expect("the series has a coverage line");
    assert_eq!(
        (
            coverage.span,
            coverage.rows,
            coverage.missing_days,
            coverage.lag_days
        ),
        (Some((date("2020-01-02"), date("2020-01-07"))), 3, 1, 1)
    );
    let findings: Vec<String> = dataset.findings.iter().map(|f| f.to_string()).collect();
    assert!(
        findings.iter().any(|f| f.contains("flows.csv")
            && f.contains("\"北向净流入\" is empty on 1 rows (lines 3)")),
        "{findings:?}"
    );
    assert!(
        findings
            .iter()
            .any(|f| f.contains("flows.csv:4") && f.contains("1 rows ignored")),
        "{findings:?}"
    );
    assert!(dataset.files.iter().any(|f| f.ends_with("raw/flows.csv")));
    assert!(dataset.files.iter().any(|f| f.ends_with("raw/index.csv")));
}

#[test]
fn a_named_series_is_cut_with_the_history() {
    let market = load(NORTHBOUND).market;
    let full = market.series("northbound_net").unwrap().to_vec();
    for t in 0..market.len() {
        let seen = market.history(t).series("northbound_net").unwrap();
        assert_column(seen, &full[..=t]);
        let cut = market.truncated(t);
        assert_column(cut.series("northbound_net").unwrap(), &full[..=t]);
        assert_column(
            cut.history(t).series("northbound_net").unwrap(),
            &full[..=t],
        );
    }
}

#[test]
fn an_asof_series_carries_values_forward_up_to_its_age_limit() {
    let series = r#"
[[series]]
name = "flows_pct"
file = "raw/flows.csv"
date_column = "交易日期"
column = "北向净流入"
unit = "percent"
join = "asof"
max_age_days = 1
"#;
    let market = load(series).market;
    // 01-02: 1.5%; 01-03: empty row, so missing (an empty value is not carried over it);
    // 01-06: its own row; 01-07: its own; 01-08: 01-07's value, one day old.
    let nan = f64::NAN;
    assert_column(
        market.series("flows_pct").unwrap(),
        &[0.015, nan, -0.0225, 0.005, 0.005],
    );
}

fn parse_error(series: &str) -> String {
    let text = format!("name = \"x\"\n[index]\nfile = \"i.csv\"\nformat = \"baostock\"\n{series}");
    Manifest::parse(Path::new("user.toml"), &text)
        .unwrap_err()
        .to_string()
}

#[test]
fn bad_series_declarations_are_errors() {
    let cases = [
        (
            "[[series]]\nname = \"x1\"\nfile = \"f.csv\"\ncolumn = \"v\"\nunit = \"yuan\"\ncolour = 1\n",
            "unknown field `colour`",
        ),
        (
            "[[series]]\nname = \"x1\"\nfile = \"f.csv\"\ncolumn = \"v\"\nunit = \"furlongs\"\n",
            "unknown variant `furlongs`",
        ),
        (
            "[[series]]\nname = \"Net Flow\"\nfile = \"f.csv\"\ncolumn = \"v\"\nunit = \"yuan\"\n",
            "name \"Net Flow\": expected a name starting with a lower-case ASCII letter",
        ),
        (
            "[[series]]\nname = \"close\"\nfile = \"f.csv\"\ncolumn = \"v\"\nunit = \"yuan\"\n",
            "the name of a built-in field",
        ),
        (
            "[[series]]\nname = \"a\"\nfile = \"f.csv\"\ncolumn = \"v\"\nunit = \"yuan\"\n\
             [[series]]\nname = \"a\"\nfile = \"g.csv\"\ncolumn = \"v\"\nunit = \"yuan\"\n",
            "[[series]] \"a\" is declared twice",
        ),
        (
            "[[series]]\nname = \"a\"\nfile = \"f.csv\"\ncolumn = \"v\"\nunit = \"yuan\"\nmax_age_days = 3\n",
            "max_age_days applies only to join = \"asof\"",
        ),
    ];
    for (series, expected) in cases {
        let error = parse_error(series);
        assert!(
            error.starts_with("user.toml") && error.contains(expected),
            "{error}"
        );
    }
}

#[test]
fn bad_series_files_are_errors_at_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let missing_column = NORTHBOUND.replace("北向净流入", "南向");
    let manifest = write_fixture(dir.path(), &missing_column);
    let error = cyclebt_data::load(&manifest, dir.path())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("flows.csv:1") && error.contains("missing column \"南向\""),
        "{error}"
    );

    let manifest = write_fixture(dir.path(), NORTHBOUND);
    let text = FLOWS.replace("-2.25", "lots");
    std::fs::write(dir.path().join("raw/flows.csv"), text).unwrap();
    let error = cyclebt_data::load(&manifest, dir.path())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("flows.csv:5: column 2 (北向净流入)")
            && error.contains("expected a finite number, found \"lots\""),
        "{error}"
    );
}

#[test]
fn shipped_maintenance_ratio_is_the_eastmoney_guarantee_column_a_day_later() {
    for origin in origins() {
        let market = cyclebt_data::load_from(&shipped_manifest(), &origin)
            .unwrap()
            .market;
        let ratio = market.series("maintenance_ratio").unwrap();
        let at = |day: &str| ratio[market.dates.binary_search(&date(day)).unwrap()];
        // margin_total.csv: 2012-09-27 guarantee 257.28, 2012-09-28 263.15; the next trading day
        // after 09-28 is 10-08 (National Day).
        assert!(at("2012-09-27").is_nan());
        assert!((at("2012-09-28") - 2.5728).abs() < 1e-12);
        assert!((at("2012-10-08") - 2.6315).abs() < 1e-12);
    }
}

#[test]
fn an_optional_series_without_its_file_is_left_out_and_a_required_one_is_an_error() {
    let optional = r#"
[margin]
optional = true
lag_days = 1
sources = [{ file = "raw/no_margin.csv", format = "akshare_margin" }]

[[series]]
optional = true
name = "gone"
file = "raw/gone.csv"
column = "v"
unit = "number"
"#;
    let dataset = load(&format!("{optional}{NORTHBOUND}"));
    let market = &dataset.market;
    assert!(
        market
            .column(cyclebt_data::Field::FinancingBalance)
            .iter()
            .all(|v| v.is_nan())
    );
    assert!(market.series("gone").is_none());
    assert!(market.series("northbound_net").is_some());
    let why = market.absent_reason("margin").unwrap();
    assert!(
        why.starts_with("optional series margin left out: ")
            && why.ends_with("no_margin.csv not found"),
        "{why}"
    );
    assert!(
        market
            .absent_reason("gone")
            .unwrap()
            .contains("gone.csv not found")
    );
    let margin = market
        .coverage
        .iter()
        .find(|c| c.series == "margin")
        .unwrap();
    assert_eq!((margin.rows, margin.span), (0, None));
    let findings: Vec<String> = dataset.findings.iter().map(|f| f.to_string()).collect();
    assert!(
        findings
            .iter()
            .any(|f| f.contains("optional series gone left out") && f.contains("are n/a")),
        "{findings:?}"
    );
    assert!(!dataset.files.iter().any(|f| f.ends_with("raw/gone.csv")));
    // The same without `optional`: the missing file is the loader's error.
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_fixture(dir.path(), &optional.replace("optional = true\n", ""));
    let error = match cyclebt_data::load(&manifest, dir.path()) {
        Ok(_) => panic!("loaded without a required file"),
        Err(e) => e.to_string(),
    };
    assert!(error.contains("no_margin.csv: cannot read file"), "{error}");
}

/// An index file of `n` weekdays from 2020-01-01 in baostock's layout, a slow wave.
fn baostock_index(n: usize) -> String {
    let mut text = String::from("date,open,close,high,low,volume,amount,turn,pctChg\n");
    let mut day = date("2020-01-01");
    let mut written = 0;
    while written < n {
        if chrono::Datelike::weekday(&day).number_from_monday() <= 5 {
            let level = 3000.0 + 300.0 * (written as f64 / 15.0).sin();
            let (open, close) = (level - 5.0, level);
            text.push_str(&format!(
                "{day},{open:.2},{close:.2},{:.2},{:.2},100,1000000,0.01,0\n",
                close + 10.0,
                open - 10.0
            ));
            written += 1;
        }
        day = day.succ_opt().unwrap();
    }
    text
}

#[test]
fn with_only_the_index_file_runs_that_need_margin_data_are_n_a_and_the_others_run() {
    // A data root holding the Shanghai Composite's index file and nothing else: the shipped
    // manifest's margin, PE, market value and maintenance ratio are optional.
    let data = tempfile::tempdir().unwrap();
    let index = data.path().join("raw/baostock/sh000001.csv");
    std::fs::create_dir_all(index.parent().unwrap()).unwrap();
    std::fs::write(&index, baostock_index(200)).unwrap();
    let (sma, timing) = (
        shipped_strategy("sma-trend"),
        shipped_strategy("margin-timing"),
    );
    let plugins = crate::plugins::plugin_dir().to_str().unwrap().to_string();
    let output = cyclebt(&[
        "compare",
        &sma,
        &timing,
        "--data",
        data.path().to_str().unwrap(),
        "--window",
        "full",
        "--all-rows",
        "--plugin-dir",
        &plugins,
    ]);
    let (table, notes) = (stdout(&output), stderr(&output));
    assert_eq!(output.status.code(), Some(0), "{notes}");
    let row = |strategy: &str| {
        table
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(strategy))
            .unwrap_or_else(|| panic!("no {strategy} row: {table}"))
            .to_string()
    };
    assert!(row("sma-trend").contains('%'), "{table}");
    assert!(row("margin-timing").contains(" n/a "), "{table}");
    assert!(
        table.contains("n/a: no margin (financing_balance) (optional series margin left out:")
            && table.contains("macro_china_market_margin_sh.csv not found) data in the window"),
        "{table}"
    );
}

#[test]
fn events_measure_the_dataset_named_on_the_command_line() {
    let plugins = crate::plugins::plugin_dir().to_str().unwrap().to_string();
    let output = cyclebt(&["events", "--dataset", "csi300", "--plugin-dir", &plugins]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // CSI 300 from 2005: the 1991 stamp-duty change has no base day there, the 2015 margin
    // rule has one.
    let text = stdout(&output);
    let row = |event: &str| {
        text.lines()
            .find(|l| l.starts_with(event))
            .unwrap_or_else(|| panic!("no {event}: {text}"))
            .to_string()
    };
    assert!(row("stamp-duty-1991-10-10").contains(" n/a "), "{text}");
    assert!(row("margin-2015-11-23").contains("2015-11-12"), "{text}");
    let output = cyclebt(&["events", "--dataset", "nasdaq"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("unknown dataset \"nasdaq\""));
}

/// `compare --series NAME=FILE`: a user's series joined to the dataset's calendar; its errors
/// name the file, line and column.
#[test]
fn series_flag_errors_name_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let strategy = dir.path().join("s.toml");
    std::fs::write(
        &strategy,
        "name = \"s\"\n[[signal]]\nid = \"x\"\nbuiltin = \"series\"\nparams = { name = \"x\" }\n[[entry]]\nsignal = \"x\"\nabove = 0.0\n",
    )
    .unwrap();
    let cases = [
        (
            "date,x\n2015-06-12,1\n2015-06-13,1\n",
            ":3: column 1 (date): 2015-06-13 is not a trading day of dataset sh000001",
        ),
        (
            "date,x\n2015-06-12,1\n2015-06-11,1\n",
            ":3: column 1 (date): dates must increase",
        ),
        (
            "date,x\n2015-06-12,much\n",
            ":2: column 2 (x): expected a finite number or nothing; found \"much\"",
        ),
        (
            "day,x\n2015-06-12,1\n",
            ":1: expected the header date,<values>; found day,x",
        ),
        (
            "date,x\n2015/06/12,1\n",
            ":2: column 1 (date): expected a date YYYY-MM-DD",
        ),
    ];
    for (text, expected) in cases {
        let file = dir.path().join("x.csv");
        std::fs::write(&file, text).unwrap();
        let series = format!("x={}", file.display());
        let s = strategy.to_str().unwrap();
        let output = cyclebt(&["compare", s, "--window", "bull5", "--series", &series]);
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        let message = format!("error: {}{expected}", file.display());
        assert!(stderr(&output).contains(&message), "{}", stderr(&output));
    }
    let output = cyclebt(&["compare", "--series", "X=y.csv"]);
    assert!(stderr(&output).contains("lower-case letters, digits and _"));
    let file = dir.path().join("x.csv");
    std::fs::write(&file, "date,close\n2015-06-12,1\n").unwrap();
    let series = format!("close={}", file.display());
    let output = cyclebt(&["compare", "--window", "bull5", "--series", &series]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output)
            .contains("--series close: dataset sh000001 already has a series of that name"),
        "{}",
        stderr(&output)
    );
}
