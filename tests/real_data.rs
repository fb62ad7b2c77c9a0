//! The shipped datasets on real figures: every quirk of the exports listed in their README
//! pinned, and the headline bull3 result. Each check runs on the bundled snapshot, and again on
//! the full exports in ../shared/datasets where that folder exists; `quirks.rs` checks the same
//! vendor quirks on small files it writes itself.

use std::path::Path;

use cyclebt_data::{Dataset, Field, Manifest, MarketData, Origin};
use cyclebt_engine::*;

use crate::util::{
    date, exports, origins, project_datasets, shipped_cycles, shipped_manifest, shipped_stamp_duty,
};

fn load(origin: &Origin, manifest: &Manifest) -> Dataset {
    cyclebt_data::load_from(manifest, origin)
        .unwrap_or_else(|e| panic!("{} on {origin:?}: {e}", manifest.name))
}

fn builtin(name: &str) -> Manifest {
    Manifest::read(&project_datasets().join(format!("{name}.toml"))).unwrap()
}

fn row(market: &MarketData, day: &str) -> usize {
    market
        .dates
        .binary_search(&date(day))
        .unwrap_or_else(|_| panic!("{day} is a trading day"))
}

fn messages(dataset: &Dataset) -> Vec<String> {
    dataset.findings.iter().map(|f| f.to_string()).collect()
}

fn has_finding(dataset: &Dataset, needles: &[&str]) -> bool {
    messages(dataset)
        .iter()
        .any(|m| needles.iter().all(|n| m.contains(n)))
}

#[test]
fn bull3_buy_and_hold_returns_about_158_percent() {
    for origin in origins() {
        let market = load(&origin, &shipped_manifest()).market;
        let cycles = shipped_cycles();
        let window = cycles.window("bull3").unwrap();
        let span = window.span(&market).unwrap();
        assert_eq!(market.dates[span.first], date("2014-04-28"));
        assert_eq!(market.dates[span.last], date("2015-06-12"));
        // Close to close: 5166.350 / 2003.487 - 1 = 1.5787.
        let close = market.column(Field::Close);
        let close_to_close = close[span.last] / close[span.first] - 1.0;
        assert!(
            (close_to_close - 1.5787).abs() < 1e-4,
            "close to close {close_to_close}"
        );
        let setup = Setup {
            capital: DEFAULT_CAPITAL,
            costs: CostsConfig::default().model(&shipped_stamp_duty()),
            execution: Execution::default(),
            margin: MarginTerms::none(),
        };
        let strategy = Strategy::buy_and_hold(setup);
        let result = run(
            &market,
            span,
            &mut [],
            &strategy.plan,
            &Sizing::full(),
            &strategy.setup,
        )
        .unwrap();
        let total =
            result.equity[result.equity.len() - 1] / result.equity[0] - rust_decimal::Decimal::ONE;
        let total: f64 = total.try_into().unwrap();
        // Bought at the 2014-04-29 open (2001.896, just below the 04-28 close) less 2.5 bps
        // commission: within a tenth of a percent of close to close.
        assert!(
            (total - close_to_close).abs() < 0.002,
            "buy-and-hold {total}"
        );
    }
}

#[test]
fn baostock_columns_are_read_by_name_not_position() {
    for origin in origins() {
        let market = load(&origin, &shipped_manifest()).market;
        // date,open,close,high,low: 2007-10-16 closed at 6092.057 with the all-time high 6124.044.
        let t = row(&market, "2007-10-16");
        assert_eq!(market.column(Field::Open)[t], 6056.946);
        assert_eq!(market.column(Field::Close)[t], 6092.057);
        assert_eq!(market.column(Field::High)[t], 6124.044);
        assert_eq!(market.column(Field::Low)[t], 6040.713);
        assert_eq!(market.close_exact[t].to_string(), "6092.0570");
        // 2024-10-08, the record turnover day: 1.5105e12 yuan.
        let amount = market.column(Field::Amount)[row(&market, "2024-10-08")];
        assert!((amount / 1.5105e12 - 1.0).abs() < 1e-3, "amount {amount}");
    }
}

#[test]
fn baostock_turn_is_a_fraction_before_2018_12_26_and_a_percent_after() {
    for origin in origins() {
        let dataset = load(&origin, &shipped_manifest());
        let market = &dataset.market;
        let turn = market.column(Field::Turnover);
        let before = turn[row(market, "2018-12-25")];
        let after = turn[row(market, "2018-12-26")];
        // Both about half a percent once normalised; raw they differ a hundredfold.
        assert!(
            before > 0.002 && before < 0.01,
            "2018-12-25 turnover {before}"
        );
        assert!(after > 0.002 && after < 0.01, "2018-12-26 turnover {after}");
        // Zero on 11 days from 2020 on: missing, not zero.
        for day in ["2020-01-07", "2022-07-25", "2025-03-10"] {
            assert!(turn[row(market, day)].is_nan(), "turnover on {day}");
        }
        assert!(has_finding(
            &dataset,
            &["sh000001.csv", "turn is 0 on 155 rows"]
        ));
    }
}

#[test]
fn the_turn_unit_break_is_in_every_baostock_index_file() {
    for origin in origins() {
        for file in ["sh000300", "sz399001"] {
            let dataset = load(&origin, &builtin(file));
            let market = &dataset.market;
            let turn = market.column(Field::Turnover);
            let (before, after) = (
                turn[row(market, "2018-12-25")],
                turn[row(market, "2018-12-26")],
            );
            // Raw 0.002935 then 0.207541 (CSI 300), 0.023153 then 1.899107 (SZSE Component).
            assert!(
                after / before > 0.5 && after / before < 1.5,
                "{file}: {before} then {after}"
            );
        }
    }
}

#[test]
fn inconsistent_early_bars_are_repaired_on_the_listed_dates_only() {
    for origin in origins() {
        let dataset = load(&origin, &shipped_manifest());
        let repaired = messages(&dataset)
            .iter()
            .filter(|m| m.contains("inconsistent bar") && m.contains("repaired to high"))
            .count();
        assert_eq!(repaired, 18);
        assert_eq!(dataset.market.len(), 8694);
        // 1991-05-09: low 109.31 above the close 109.29, so the low becomes 109.29.
        let t = row(&dataset.market, "1991-05-09");
        assert_eq!(dataset.market.column(Field::Low)[t], 109.29);
        assert_eq!(dataset.market.column(Field::High)[t], 110.12);
    }
    let Some(root) = exports() else { return };
    let strict = Manifest::parse(
        Path::new("strict.toml"),
        "name = \"strict\"\n[index]\nfile = \"raw/baostock/sh000001.csv\"\nformat = \"baostock\"\n",
    )
    .unwrap();
    let error = cyclebt_data::load(&strict, &root).unwrap_err().to_string();
    assert!(
        error.contains("sh000001.csv:99: inconsistent bar: low 109.3100"),
        "{error}"
    );
    let mut dropping = shipped_manifest();
    dropping.index.bad_bars = Some(cyclebt_data::BadBars::Drop);
    let dataset = cyclebt_data::load(&dropping, &root).unwrap();
    assert_eq!(dataset.market.len(), 8694 - 18);
    // With one date left off the list, that bar is an error naming file and line.
    dropping
        .index
        .bad_bar_dates
        .retain(|d| *d != date("1996-02-12"));
    let error = cyclebt_data::load(&dropping, &root)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("sh000001.csv:1310: inconsistent bar")
            && error.contains("1996-02-12 is not among the manifest's bad_bar_dates"),
        "{error}"
    );
}

/// The shipped manifest repairs the 18 inconsistent bars of 1991-1996 instead of dropping them,
/// as long as that changes no result from 1997 on: every shipped strategy, every sizing rule,
/// every window of the cycle list starting after 1996, the same equity on both markets.
#[test]
fn repairing_the_early_bad_bars_changes_no_result_from_1997_on() {
    let repaired = crate::util::shipped_market();
    let dropped = crate::util::without_days(&repaired, &shipped_manifest().index.bad_bar_dates);
    let margin_rules = std::fs::read_to_string(project_datasets().join("margin_rules.toml"));
    let regulation = Regulation {
        stamp_duty: shipped_stamp_duty(),
        margin: MarginSchedule::parse(&margin_rules.unwrap()).unwrap(),
    };
    let factory = crate::plugins::factory();
    let cycles = shipped_cycles();
    let windows: Vec<_> = cycles
        .windows
        .iter()
        .filter(|w| w.start.is_some_and(|d| d >= date("1997-01-01")))
        .collect();
    assert!(windows.len() >= 10, "the bulls, cycles and bears at least");
    let folder = project_datasets().join("../strategies");
    let mut files: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut compared = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let strategy = Strategy::parse(&file, &text, &regulation, &factory).unwrap();
        for window in &windows {
            let run_all = |market: &MarketData| -> Vec<Vec<rust_decimal::Decimal>> {
                let span = window.span(market).unwrap();
                let mut signals = strategy.signals(&factory).unwrap();
                if missing_inputs(market, span, &signals).is_some() {
                    return Vec::new();
                }
                let values = evaluate_signals(market, span, &mut signals).unwrap();
                strategy
                    .sizings
                    .iter()
                    .map(|sizing| {
                        run_on(
                            market,
                            span,
                            &values,
                            &strategy.plan,
                            sizing,
                            &strategy.setup,
                        )
                        .unwrap()
                        .equity
                    })
                    .collect()
            };
            let (on_repaired, on_dropped) = (run_all(&repaired), run_all(&dropped));
            assert_eq!(
                on_repaired, on_dropped,
                "{} in {}",
                strategy.name, window.id
            );
            compared += on_repaired.len();
        }
    }
    assert!(compared > 100, "{compared} runs compared");
}

/// The date of a raw row as `YYYY-MM-DD`: its first field, or for the monthly statistics
/// (`2025年04月份`) the month's last day.
fn row_date(line: &str) -> Option<String> {
    let first = line.split(',').next()?;
    if let Some((year, month)) = first.strip_suffix("月份").and_then(|t| t.split_once('年')) {
        let (year, month): (i32, u32) = (year.parse().ok()?, month.parse().ok()?);
        let next = if month == 12 {
            (year + 1, 1)
        } else {
            (year, month + 1)
        };
        let end = chrono::NaiveDate::from_ymd_opt(next.0, next.1, 1)?.pred_opt()?;
        return Some(end.to_string());
    }
    first.get(..10).map(str::to_string)
}

/// Copies of the shipped dataset's files cut after `last` (lines before the first dated row
/// kept), as if the vendors had been asked on that day; the origin of the copies.
fn cut_copies(origin: &Origin, last: &str, into: &Path) -> Origin {
    let (base, cut) = match origin {
        Origin::Exports(root) => (root.clone(), Origin::Exports(into.to_path_buf())),
        Origin::Snapshot(dir) => (dir.clone(), Origin::Snapshot(into.to_path_buf())),
    };
    for path in origin.files(&shipped_manifest()) {
        let file = path.strip_prefix(&base).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let dated = |l: &&str| l.starts_with(|c: char| c.is_ascii_digit());
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| !dated(l) || row_date(l).is_some_and(|d| d.as_str() <= last))
            .collect();
        std::fs::create_dir_all(into.join(file).parent().unwrap()).unwrap();
        std::fs::write(into.join(file), kept.join("\n") + "\n").unwrap();
    }
    cut
}

#[test]
fn results_up_to_a_day_do_not_change_when_the_raw_files_go_on() {
    for origin in origins() {
        let full = load(&origin, &shipped_manifest()).market;
        let setup = Setup {
            capital: DEFAULT_CAPITAL,
            costs: CostsConfig::default().model(&shipped_stamp_duty()),
            execution: Execution::default(),
            margin: MarginTerms::none(),
        };
        for last in ["2012-10-31", "2015-03-31"] {
            let dir = tempfile::tempdir().unwrap();
            let cut = load(&cut_copies(&origin, last, dir.path()), &shipped_manifest()).market;
            let t = cut.len() - 1;
            assert_eq!(
                cut.dates[t],
                full.last_on_or_before(date(last))
                    .map(|i| full.dates[i])
                    .unwrap()
            );
            for field in Field::ALL {
                let (a, b) = (cut.column(field), &full.column(field)[..=t]);
                let same = a
                    .iter()
                    .zip(b)
                    .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()));
                assert!(same, "{} differs up to {last}", field.name());
            }
            let span = cyclebt_data::WindowSpan {
                first: row(&full, "2010-01-04"),
                last: t,
            };
            let plan: Plan = Rules::follow_sign(0).into();
            let sma = || -> Vec<Box<dyn Signal>> {
                vec![Box::new(SmaCross::new(SmaCrossParams::default()).unwrap())]
            };
            let on_cut = run(&cut, span, &mut sma(), &plan, &Sizing::full(), &setup).unwrap();
            let full_span = cyclebt_data::WindowSpan {
                first: span.first,
                last: full.len() - 1,
            };
            let on_full =
                run(&full, full_span, &mut sma(), &plan, &Sizing::full(), &setup).unwrap();
            assert_eq!(
                on_cut.equity,
                on_full.equity[..on_cut.equity.len()],
                "equity up to {last}"
            );
        }
    }
}

#[test]
fn margin_series_is_spliced_lagged_and_in_yuan() {
    for origin in origins() {
        let dataset = load(&origin, &shipped_manifest());
        let market = &dataset.market;
        let balance = market.column(Field::FinancingBalance);
        // No margin trading before 2010-03-31, and its first figure is visible a day later.
        assert!(balance[row(market, "2010-03-31")].is_nan());
        // SH 5,824,813 + SZ 670,796 yuan on 2010-03-31, published for 2010-04-01.
        assert_eq!(balance[row(market, "2010-04-01")], 5_824_813.0 + 670_796.0);
        // Eastmoney 22664.3 亿元 on 2015-06-18 (the peak), visible on 2015-06-19.
        let peak = balance[row(market, "2015-06-19")];
        assert!((peak / 2.26643e12 - 1.0).abs() < 1e-5, "balance {peak}");
        assert!(has_finding(
            &dataset,
            &["margin_total.csv", "spliced from 2012-09-27"]
        ));
        assert!(has_finding(
            &dataset,
            &[
                "margin_total.csv",
                "14 outside the index's span",
                "2026-08-03"
            ]
        ));
    }
}

#[test]
fn exchange_margin_files_keep_their_gaps_and_peak() {
    for origin in origins() {
        // The shipped dataset without the splice into the Eastmoney total, and unlagged.
        let mut exchanges = shipped_manifest();
        let margin = exchanges.margin.as_mut().unwrap();
        (margin.splice, margin.lag_days) = (None, Some(0));
        (exchanges.pe, exchanges.market_cap) = (None, None);
        exchanges.series.clear();
        let dataset = load(&origin, &exchanges);
        // UTF-8 BOM and Chinese headers read; Shenzhen written as floats; its share counts are
        // empty from 2020-08-20 and not needed.
        assert!(has_finding(
            &dataset,
            &["margin_sh.csv", "4 index trading days", "2010-11-22"]
        ));
        assert!(has_finding(
            &dataset,
            &["margin_sz.csv", "41 index trading days", "2010-04-01"]
        ));
        let market = &dataset.market;
        let total = market.column(Field::MarginTotal);
        // SH+SZ 融资融券余额 peaked at 2.2730 trillion on 2015-06-18.
        let (peak_day, peak) =
            total
                .iter()
                .enumerate()
                .filter(|(_, v)| !v.is_nan())
                .fold(
                    (0, 0.0),
                    |best, (t, v)| if *v > best.1 { (t, *v) } else { best },
                );
        assert_eq!(market.dates[peak_day], date("2015-06-18"));
        assert!((peak / 2.2730e12 - 1.0).abs() < 1e-4, "peak {peak}");
        // A day missing in Shenzhen is missing in the sum, not half of it.
        assert!(total[row(market, "2010-04-01")].is_nan());
        let t = row(market, "2020-08-20");
        assert!(!total[t].is_nan());
    }
}

#[test]
fn monthly_pe_is_joined_as_of_and_expires() {
    for origin in origins() {
        let market = load(&origin, &shipped_manifest()).market;
        let pe = market.column(Field::Pe);
        // 2005-04 is 22.28 and 2005-05 is 15.66: mid-May still shows April's month-end figure.
        assert_eq!(pe[row(&market, "2005-05-16")], 22.28);
        // 2024-05 appears twice (05-30 13.21 and 05-31 13.18): each holds from its own date.
        assert_eq!(pe[row(&market, "2024-05-30")], 13.21);
        assert_eq!(pe[row(&market, "2024-05-31")], 13.18);
        // The file ends 2026-02-13; 45 days later the value is too old to use.
        assert!(!pe[row(&market, "2026-03-27")].is_nan());
        assert!(pe[row(&market, "2026-04-01")].is_nan());
    }
}

#[test]
fn legulegu_stale_tail_is_dropped() {
    for origin in origins() {
        let dataset = load(&origin, &builtin("sh000300"));
        assert!(has_finding(
            &dataset,
            &[
                "hs300_pe.csv",
                "the last 4 rows",
                "2026-07-01 to 2026-07-24",
                "stale tail"
            ]
        ));
        let market = &dataset.market;
        let pe = market.column(Field::Pe);
        // 2007-10-16 TTM 50.77; 2015-06-08 TTM 18.49.
        assert_eq!(pe[row(market, "2007-10-16")], 50.77);
        assert_eq!(pe[row(market, "2015-06-08")], 18.49);
        assert!(pe[row(market, "2026-07-23")].is_nan());
        assert!(!pe[row(market, "2026-05-28")].is_nan());
    }
}

#[test]
fn csindex_fake_first_row_and_holiday_row_are_dropped() {
    for origin in origins() {
        let dataset = load(&origin, &builtin("csi000985"));
        assert!(has_finding(
            &dataset,
            &["000985.csv:2", "2015-01-01", "fake duplicate"]
        ));
        assert!(has_finding(&dataset, &["000985.csv", "holiday row"]));
        let market = &dataset.market;
        assert_eq!(market.dates[0], date("2015-01-05"));
        assert!(market.dates.binary_search(&date("2018-06-18")).is_err());
        assert_eq!(market.len(), 2830 - 2);
        // amount_yi 8198.35 亿元 on 2015-01-05.
        assert_eq!(market.column(Field::Amount)[0], 8198.35 * 1e8);
        assert_eq!(market.column(Field::Pe)[0], 18.21);
    }
}
