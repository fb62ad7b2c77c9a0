//! The vendor quirks of the real exports, each on a small file the test writes itself, so that
//! they are checked on a fresh clone too (`real_data.rs` checks the same on the shipped figures):
//! baostock's column order and turnover unit break, a UTF-8 BOM with Chinese headers (akshare,
//! legulegu), 亿元 (Eastmoney, CSIndex), CSIndex's fake first row and holiday row, legulegu's
//! stale tail, and the bad-bar policies.

use std::path::Path;

use cyclebt_data::{Dataset, Field, Manifest};

use crate::util::date;

const BAOSTOCK: &str = "date,open,close,high,low,volume,amount,turn,pctChg
2018-12-24,2500.0,2510.0,2520.0,2490.0,100,2000000000.0,0.0030,0.4
2018-12-25,2510.0,2505.0,2515.0,2500.0,100,2100000000.0,0.0029,-0.2
2018-12-26,2505.0,2490.0,2508.0,2485.0,100,2200000000.0,0.21,-0.6
2018-12-27,2490.0,2480.0,2495.0,2470.0,100,2300000000.0,0.0,-0.4
2018-12-28,2480.0,2500.0,2499.0,2475.0,100,2400000000.0,0.25,0.8
";

fn load(files: &[(&str, &str)], manifest: &str) -> Result<Dataset, String> {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let manifest =
        Manifest::parse(Path::new("quirks.toml"), manifest).map_err(|e| e.to_string())?;
    cyclebt_data::load(&manifest, dir.path()).map_err(|e| e.to_string())
}

fn findings(dataset: &Dataset) -> String {
    let lines: Vec<String> = dataset.findings.iter().map(|f| f.to_string()).collect();
    lines.join("\n")
}

fn index(policy: &str) -> String {
    format!("name = \"q\"\n[index]\nfile = \"raw/index.csv\"\nformat = \"baostock\"\n{policy}")
}

#[test]
fn baostock_columns_by_name_and_the_turnover_unit_break() {
    // The last bar (high 2499 below its close 2500) is repaired on its listed date.
    let policy = "bad_bars = \"repair\"\nbad_bar_dates = [\"2018-12-28\"]\n";
    let dataset = load(&[("raw/index.csv", BAOSTOCK)], &index(policy)).unwrap();
    let market = &dataset.market;
    // open, close, high, low in baostock's order.
    assert_eq!(market.column(Field::Open)[0], 2500.0);
    assert_eq!(market.column(Field::Close)[0], 2510.0);
    assert_eq!(market.column(Field::High)[0], 2520.0);
    assert_eq!(market.column(Field::Low)[0], 2490.0);
    assert_eq!(market.column(Field::Amount)[0], 2e9);
    // A fraction up to 2018-12-25, a percent from 2018-12-26: 0.21% is 0.0021; 0 is missing.
    let turn = market.column(Field::Turnover);
    assert_eq!(&turn[..3], &[0.0030, 0.0029, 0.0021]);
    assert!(turn[3].is_nan());
    assert_eq!(turn[4], 0.0025);
    let notes = findings(&dataset);
    assert!(notes.contains("turn is 0 on 1 rows (lines 5)"), "{notes}");
    assert!(
        notes.contains(
            "index.csv:6: inconsistent bar: high 2499.0 is below max(open 2480.0, close 2500.0)"
        ) && notes.contains("repaired to high 2500.0, low 2475.0"),
        "{notes}"
    );
    assert_eq!(market.column(Field::High)[4], 2500.0);
    assert_eq!(market.len(), 5);
}

#[test]
fn bad_bars_drop_or_repair_only_on_the_listed_dates() {
    let files = [("raw/index.csv", BAOSTOCK)];
    let error = load(&files, &index("")).unwrap_err();
    assert!(error.contains("index.csv:6: inconsistent bar"), "{error}");
    let dropped = load(
        &files,
        &index("bad_bars = \"drop\"\nbad_bar_dates = [\"2018-12-28\"]\n"),
    )
    .unwrap();
    assert_eq!(dropped.market.len(), 4);
    assert!(findings(&dropped).contains("row dropped (bad_bars = \"drop\")"));
    // A policy for other dates does not cover this bar.
    let error = load(
        &files,
        &index("bad_bars = \"repair\"\nbad_bar_dates = [\"1995-02-13\"]\n"),
    )
    .unwrap_err();
    assert!(
        error.contains("index.csv:6: inconsistent bar")
            && error.contains("2018-12-28 is not among the manifest's bad_bar_dates"),
        "{error}"
    );
    // A policy without dates, or dates without a policy, is a manifest error.
    let error = load(&files, &index("bad_bars = \"repair\"\n")).unwrap_err();
    assert!(error.contains("needs bad_bar_dates"), "{error}");
    let error = load(&files, &index("bad_bar_dates = [\"2018-12-28\"]\n")).unwrap_err();
    assert!(error.contains("bad_bar_dates needs bad_bars"), "{error}");
}

const REPAIRED: &str = "bad_bars = \"repair\"\nbad_bar_dates = [\"2018-12-28\"]\n";

#[test]
fn exchange_margin_with_a_bom_chinese_headers_floats_and_a_gap() {
    let sh = "\u{feff}日期,融资买入额,融资余额,融券卖出量,融券余量,融券余额,融资融券余额
2018-12-24,100.0,1000.0,1,1,10.0,1010.0
2018-12-25,110.0,1010.0,1,1,11.0,1021.0
2018-12-27,120.0,1020.0,1,1,12.0,1032.0
";
    let manifest = format!(
        "{}[margin]\nlag_days = 0\nsources = [{{ file = \"raw/sh.csv\", format = \"akshare_margin\" }}]\n",
        index(REPAIRED)
    );
    let dataset = load(
        &[("raw/index.csv", BAOSTOCK), ("raw/sh.csv", sh)],
        &manifest,
    )
    .unwrap();
    let balance = dataset.market.column(Field::FinancingBalance);
    assert_eq!(balance[0], 1000.0);
    assert!(balance[2].is_nan());
    assert_eq!(dataset.market.column(Field::MarginTotal)[3], 1032.0);
    let notes = findings(&dataset);
    assert!(
        notes.contains("1 index trading days between 2018-12-24 and 2018-12-27 have no row (left missing): 2018-12-26"),
        "{notes}"
    );
}

#[test]
fn eastmoney_yi_yuan_becomes_yuan() {
    let eastmoney = "date,fin_balance,loan_balance,fin_buy,guarantee
2018-12-24,7045.3,15.31,340.9,257.28
";
    let manifest = format!(
        "{}[margin]\nlag_days = 0\nsources = [{{ file = \"raw/em.csv\", format = \"eastmoney_margin\" }}]\n",
        index(REPAIRED)
    );
    let dataset = load(
        &[("raw/index.csv", BAOSTOCK), ("raw/em.csv", eastmoney)],
        &manifest,
    )
    .unwrap();
    let market = &dataset.market;
    assert_eq!(market.column(Field::FinancingBalance)[0], 7045.3 * 1e8);
    assert_eq!(market.column(Field::FinancingBuy)[0], 340.9 * 1e8);
    assert_eq!(
        market.column(Field::MarginTotal)[0],
        7045.3 * 1e8 + 15.31 * 1e8
    );
}

#[test]
fn csindex_fake_first_row_holiday_row_and_yi_yuan() {
    let csindex = "date,open,high,low,close,amount_yi,pe
2015-01-01,4243.09,4330.56,4218.6,4310.69,8198.35,18.21
2015-01-05,4243.09,4330.56,4218.6,4310.69,8198.35,18.21
2015-01-06,4310.0,4350.0,4300.0,4320.0,8000.0,18.3
2015-01-07,,,,4320.0,0,
2015-01-08,4320.0,4330.0,4280.0,4290.0,7000.0,18.1
";
    let manifest = "name = \"c\"\n[index]\nfile = \"raw/c.csv\"\nformat = \"csindex\"\n";
    let dataset = load(&[("raw/c.csv", csindex)], manifest).unwrap();
    let market = &dataset.market;
    assert_eq!(
        market.dates,
        vec![date("2015-01-05"), date("2015-01-06"), date("2015-01-08")]
    );
    assert_eq!(market.column(Field::Amount)[0], 8198.35 * 1e8);
    assert_eq!(market.column(Field::Pe)[0], 18.21);
    let notes = findings(&dataset);
    assert!(
        notes.contains("c.csv:2: first row (2015-01-01) repeats every value of the next (2015-01-05): a fake duplicate, dropped"),
        "{notes}"
    );
    assert!(
        notes.contains("c.csv:5: row has no open/high/low and no turnover: a holiday row, dropped"),
        "{notes}"
    );
}

#[test]
fn legulegu_bom_chinese_headers_and_stale_tail() {
    let pe = "\u{feff}日期,指数,滚动市盈率
2018-12-24,2510.0,11.5
2018-12-25,2505.0,11.4
2018-12-26,2490.0,11.3
2018-12-27,2490.0,11.3
2018-12-28,2490.0,11.3
";
    let manifest = format!(
        "{}[pe]\nsources = [{{ file = \"raw/pe.csv\", format = \"legulegu_pe\", column = \"滚动市盈率\" }}]\n",
        index(REPAIRED)
    );
    let dataset = load(
        &[("raw/index.csv", BAOSTOCK), ("raw/pe.csv", pe)],
        &manifest,
    )
    .unwrap();
    let values = dataset.market.column(Field::Pe);
    assert_eq!(&values[..3], &[11.5, 11.4, 11.3]);
    // The exact join leaves the stale copies' days missing.
    assert!(values[3].is_nan() && values[4].is_nan());
    let notes = findings(&dataset);
    assert!(
        notes.contains("pe.csv:5: the last 2 rows (2018-12-27 to 2018-12-28, lines 5, 6) repeat every field of 2018-12-26 (line 4): a stale tail, dropped"),
        "{notes}"
    );
}
