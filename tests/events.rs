//! `cyclebt events` on the real data: the rule changes measured from the last close before
//! their announcement, with the maintenance ratio read as a named series; the warnings-before-
//! drawdowns study; and its bad input.

use crate::plugins::plugin_dir;
use crate::util::{cyclebt, stderr, stdout};

fn csv_row<'a>(csv: &'a str, event: &str, horizon: &str) -> Vec<&'a str> {
    csv.lines()
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|f| f[0] == event && f[4] == horizon)
        .unwrap_or_else(|| panic!("no row {event} {horizon}"))
}

#[test]
fn events_measures_rule_changes_and_warnings_before_drawdowns() {
    let out = tempfile::tempdir().unwrap();
    let output = cyclebt(&[
        "events",
        "--out",
        out.path().to_str().unwrap(),
        "--plugin-dir",
        plugin_dir().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let csv = std::fs::read_to_string(out.path().join("events.csv")).unwrap();
    // The 2026 rule: announced Wednesday 2026-01-14 at midday, in force Monday 2026-01-19;
    // measured from the close of 2026-01-13.
    let row = csv_row(&csv, "margin-2026-01-19", "5");
    assert_eq!(&row[1..4], ["2026-01-14", "2026-01-19", "2026-01-13"]);
    // The 2023 cut was announced on a Sunday: the base is Friday 2023-08-25's close.
    assert_eq!(csv_row(&csv, "margin-2023-09-11", "-20")[3], "2023-08-25");
    // 2015: the index fell 23.9% in the 60 trading days after the announcement of 2015-11-13 (base
    // 2015-11-12, close 3632.90; 60 trading days later, 2016-02-05, 2763.49), among the worst 1%
    // of 60-day moves since 2010, and the maintenance ratio (a named series of the dataset)
    // has a value.
    let row = csv_row(&csv, "margin-2015-11-23", "60");
    assert_eq!(row[3], "2015-11-12");
    let index: f64 = row[5].parse().unwrap();
    assert!((index - (2763.49 / 3632.90 - 1.0)).abs() < 1e-5, "{index}");
    assert!(row[6].parse::<f64>().unwrap() < 0.02);
    assert!(!row[9].is_empty(), "maintenance ratio change present");
    // Before the Eastmoney series starts (2012-09-27), the maintenance column is empty, never 0.
    assert!(csv_row(&csv, "margin-2010-03-31", "5")[9].is_empty());

    // Warnings before drawdowns: the 2015 crash is one of the falls, measured from its peak.
    assert!(
        text.contains("Warnings before drawdowns, 2010-04-01"),
        "{text}"
    );
    let warnings = std::fs::read_to_string(out.path().join("warnings.csv")).unwrap();
    let crash = warnings
        .lines()
        .find(|l| l.split(',').nth(1) == Some("2015-06-12"))
        .expect("the 2015 peak is a drawdown");
    assert_eq!(crash.split(',').nth(2), Some("2015-07-08"));
    // The base rate and the warning days' rate are both printed, whichever is larger.
    let rates = text
        .lines()
        .find(|l| l.starts_with("followed by a 10.0% fall within 60 trading days"))
        .expect("fall rates");
    assert!(
        rates.contains("warning days (") && rates.contains("the base rate"),
        "{rates}"
    );
}

#[test]
fn events_rejects_bad_horizons_and_bad_event_lists() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let output = cyclebt(&["events", "--data", data, "--horizons", "-5,0,5"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--horizons"),
        "{}",
        stderr(&output)
    );
    let list = dir.path().join("events.toml");
    std::fs::write(
        &list,
        "[[event]]\nid = \"x\"\nannounced = \"2020-01-02\"\nwhen = \"2020-01-03\"\n",
    )
    .unwrap();
    let output = cyclebt(&["events", "--data", data, "--events", list.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("events.toml") && message.contains("unknown field `when`"),
        "{message}"
    );
    std::fs::write(
        &list,
        "[[event]]\nid = \"x\"\nannounced = \"2020-01-09\"\neffective = \"2020-01-03\"\n",
    )
    .unwrap();
    let output = cyclebt(&["events", "--data", data, "--events", list.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("effective 2020-01-03 is before announced 2020-01-09"),
        "{}",
        stderr(&output)
    );
}
