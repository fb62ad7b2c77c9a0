//! Inputs that once went wrong silently or hung: a stray quote in a margin file, a path that
//! is a device or a FIFO, quoted headers (accepted), and error lines in a newest-first file.
//! Each is an error naming the file (and line and column where there is one), or read right.

use std::path::Path;

use cyclebt_data::{Field, Manifest, load};

const INDEX: &str = "date,open,close,high,low,volume,amount,turn,pctChg
2020-01-02,10,11,12,9,100,1000,0.01,0
2020-01-03,11,12,13,10,100,1000,0.01,0
2020-01-06,12,13,14,11,100,1000,0.01,0
";

/// Writes `raw/index.csv` and `files` under `dir` and loads a manifest with `rest` after its
/// `[index]`; the error's text, or "ok".
fn load_with(dir: &Path, files: &[(&str, &[u8])], rest: &str) -> String {
    std::fs::create_dir_all(dir.join("raw")).unwrap();
    std::fs::write(dir.join("raw/index.csv"), INDEX).unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.join("raw").join(name), bytes).unwrap();
    }
    let text = format!(
        "name = \"fixture\"\n[index]\nfile = \"raw/index.csv\"\nformat = \"baostock\"\n{rest}"
    );
    let manifest = Manifest::parse(Path::new("fixture.toml"), &text).unwrap();
    match load(&manifest, dir) {
        Ok(_) => "ok".into(),
        Err(error) => error.to_string(),
    }
}

const MARGIN: &str =
    "[margin]\nsources = [{ file = \"raw/margin.csv\", format = \"akshare_margin\" }]\n";

#[test]
fn a_stray_quote_in_a_margin_file_is_an_error_at_its_field() {
    // Before, the quote opened a field that ran to the end of the file: the margin series
    // ended on its first day and the load succeeded.
    let margin = "日期,融资买入额,融资余额,融券卖出量,融券余量,融券余额,融资融券余额
2020-01-02,1,2,3,4,5,7
2020-01-03,\"1,2,3,4,5,7
2020-01-06,1,2,3,4,5,7
";
    let dir = tempfile::tempdir().unwrap();
    let error = load_with(dir.path(), &[("margin.csv", margin.as_bytes())], MARGIN);
    assert!(
        error.contains("margin.csv:3: column 2 (融资买入额): a double quote inside the field"),
        "{error}"
    );
}

#[test]
fn headers_and_fields_wholly_in_quotes_are_read() {
    let flows = "\"date\",\"flow\"\n\"2020-01-02\",\"1.5\"\n2020-01-03,2\n";
    let series = "[[series]]\nname = \"flow\"\nfile = \"raw/flows.csv\"\ncolumn = \"flow\"\nunit = \"number\"\n";
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        load_with(dir.path(), &[("flows.csv", flows.as_bytes())], series),
        "ok"
    );
    // A quote inside a quoted field is still an error.
    let broken = "\"date\",\"flow\"\n\"2020-01-02\",\"1\"5\"\n";
    let dir = tempfile::tempdir().unwrap();
    let error = load_with(dir.path(), &[("flows.csv", broken.as_bytes())], series);
    assert!(
        error.contains("flows.csv:2: column 2 (flow): a double quote"),
        "{error}"
    );
}

#[test]
fn a_device_a_fifo_or_a_folder_is_refused_before_reading() {
    let refused = "not a regular file (a device, FIFO, socket or folder)";
    // /dev/zero would grow memory until the process is killed.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("raw")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("raw/margin.csv")).unwrap();
    let error = load_with(dir.path(), &[], MARGIN);
    assert!(
        error.contains("margin.csv") && error.contains(refused),
        "{error}"
    );
    // A FIFO would block forever on open.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("raw")).unwrap();
    let fifo = dir.path().join("raw/margin.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let error = load_with(dir.path(), &[], MARGIN);
    assert!(error.contains(refused), "{error}");
    // A folder.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("raw/margin.csv")).unwrap();
    let error = load_with(dir.path(), &[], MARGIN);
    assert!(error.contains(refused), "{error}");
}

#[test]
fn an_error_in_a_newest_first_file_names_its_own_line() {
    // Months newest first; line 3 (2019年11月份) has text in a number. The reader puts the
    // rows in date order and must still name line 3.
    let cap = "数据日期,市价总值-上海,市价总值-深圳
2019年12月份,1,2
2019年11月份,x,2
2019年10月份,1,2
";
    let rest = "[market_cap]\njoin = \"asof\"\nsources = [{ file = \"raw/cap.csv\", format = \"akshare_market_cap\" }]\n";
    let dir = tempfile::tempdir().unwrap();
    let error = load_with(dir.path(), &[("cap.csv", cap.as_bytes())], rest);
    assert!(
        error.contains("cap.csv:3: column 2 (市价总值-上海)"),
        "{error}"
    );
}

/// Loads the fixture index with the margin file `margin`; the margin total column and the
/// findings' text.
fn margin_findings(margin: &str) -> (Vec<f64>, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("raw")).unwrap();
    std::fs::write(dir.path().join("raw/index.csv"), INDEX).unwrap();
    std::fs::write(dir.path().join("raw/margin.csv"), margin).unwrap();
    let text = format!(
        "name = \"fixture\"\n[index]\nfile = \"raw/index.csv\"\nformat = \"baostock\"\n{MARGIN}lag_days = 0\n"
    );
    let manifest = Manifest::parse(Path::new("fixture.toml"), &text).unwrap();
    let dataset = load(&manifest, dir.path()).unwrap();
    let findings: Vec<String> = dataset.findings.iter().map(|f| f.to_string()).collect();
    (
        dataset.market.column(Field::MarginTotal).to_vec(),
        findings.join("\n"),
    )
}

const MARGIN_HEADER: &str = "日期,融资买入额,融资余额,融券卖出量,融券余量,融券余额,融资融券余额\n";

#[test]
fn a_day_of_margin_figures_set_to_zero_is_read_as_missing_with_a_finding() {
    let (total, findings) = margin_findings(&format!(
        "{MARGIN_HEADER}2020-01-02,1,100,3,4,5,105\n2020-01-03,0,0,0,0,0,0\n2020-01-06,1,110,3,4,5,115\n"
    ));
    assert_eq!(total[0], 105.0);
    assert!(total[1].is_nan(), "{total:?}");
    assert_eq!(total[2], 115.0);
    assert!(
        findings.contains(
            "margin.csv:3: a balance or market value of 0 on 1 rows (first 2020-01-03, lines 3)"
        ),
        "{findings}"
    );
}

#[test]
fn a_financing_balance_times_100_is_doubted_in_a_finding() {
    let (total, findings) = margin_findings(&format!(
        "{MARGIN_HEADER}2020-01-02,1,100,3,4,5,105\n2020-01-03,1,10000,3,4,5,10005\n2020-01-06,1,110,3,4,5,115\n"
    ));
    assert_eq!(total[1], 10005.0, "kept as read");
    assert!(
        findings.contains("margin.csv:3: financing_balance moves by more than 3x from one row to the next on 2 rows (first 2020-01-03, lines 3, 4); kept, but doubted"),
        "{findings}"
    );
}

#[test]
fn compare_says_how_many_findings_there_were_and_in_which_files() {
    let output = crate::util::cyclebt(&[
        "compare",
        &crate::util::shipped_strategy("sma-trend"),
        "--window",
        "bull3",
    ]);
    let message = crate::util::stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{message}");
    let note = message
        .lines()
        .find(|l| l.starts_with("note: the importer reported"))
        .unwrap_or_else(|| panic!("{message}"));
    // The doubted turnover of 1991 and the zero day of Shenzhen margin among them.
    assert!(
        note.contains(
            "findings (rows dropped or read as missing, units assumed, values doubted) in "
        ),
        "{note}"
    );
    assert!(note.contains("baostock_sh000001.csv"), "{note}");
    assert!(
        note.contains("akshare_macro_china_market_margin_sz.csv"),
        "{note}"
    );
}
