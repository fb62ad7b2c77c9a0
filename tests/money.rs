//! Money at any scale: compounding past what the account keeps exact is an error naming the
//! sizing rule and the day (never a panic), an account too small for the minimum fee does not
//! trade and says so, and an unleveraged account never borrows, not even its fees, so its
//! equity never goes negative.

use cyclebt_data::MarketData;
use cyclebt_engine::*;
use rust_decimal::Decimal;
use rust_decimal::dec;

use crate::util::{Scripted, run_whole, synthetic_market, wavy_market};

fn setup(capital: Decimal, min_commission: Decimal, lot: Decimal) -> Setup {
    Setup {
        capital,
        costs: CostModel {
            commission_bps: dec!(2.5),
            min_commission,
            slippage_bps: dec!(0),
            stamp_duty: StampDutySchedule::default(),
        },
        execution: Execution {
            fill: FillTiming::NextOpen,
            lot,
        },
        margin: MarginTerms::none(),
    }
}

fn run_script(
    market: &MarketData,
    script: Vec<f64>,
    setup: &Setup,
) -> Result<RunResult, EngineError> {
    run_whole(
        market,
        vec![Box::new(Scripted(script))],
        &Sizing::full(),
        setup,
    )
}

/// Opens and closes alternate 100, 200, 100, ...: in on the even days' decisions and out on
/// the odd ones, every round trip doubles the money.
fn doubling_market(days: usize) -> (MarketData, Vec<f64>) {
    let prices: Vec<&str> = (0..days)
        .map(|i| if i % 2 == 1 { "100" } else { "200" })
        .collect();
    let script = (0..days)
        .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
        .collect();
    (synthetic_market(&prices, &prices, &[]), script)
}

#[test]
fn compounding_past_the_exact_range_is_an_error_naming_the_day() {
    // Capital 10^12, free trades: after k round trips the equity is 2^k x 10^12, which passes
    // 10^20 at k = 27 (1.34 x 10^20). The 27th sale fills at the open of day 54; checking the
    // holdings before it (1.34 x 10^10 units x 200) stops the run there. Before this check,
    // Decimal overflowed near 7.9 x 10^28 and panicked ("Division overflowed").
    let (market, script) = doubling_market(200);
    let free = Setup {
        costs: CostModel::free(),
        ..setup(dec!(1000000000000), dec!(0), dec!(1))
    };
    let error = run_script(&market, script, &free).unwrap_err();
    assert_eq!(
        error,
        EngineError::MoneyOutOfRange {
            sizing: "full".into(),
            date: market.dates[54],
            what: "holdings",
        }
    );
    let message = error.to_string();
    assert!(
        message.contains("sizing full: on 2020-03-17 holdings left the range the account keeps exact (at most 100000000000000000000 yuan"),
        "{message}"
    );
    // 26 round trips stay inside: the run to day 53 ends at 2^26 x 10^12 exactly.
    let (short, script) = doubling_market(54);
    let result = run_script(&short, script, &free).unwrap();
    assert_eq!(
        result.equity.last().copied(),
        Some(dec!(1000000000000) * Decimal::from(1u64 << 26))
    );
}

#[test]
fn a_tiny_lot_at_a_tiny_price_runs_out_of_digits_with_an_error() {
    // The smallest lot (10^-8) and price (10^-4) the inputs accept, from the largest capital
    // (10^15): the k-th buy asks for 2^(k-1) x 10^15 / 10^-4 / 10^-8 = 2^(k-1) x 10^27 lots,
    // more than Decimal's 7.9 x 10^28 once 2^(k-1) > 79, at k = 8, on day 15. The holdings are
    // still far under 10^20 yuan: this is the checked quotient, not the money bound.
    let prices: Vec<&str> = (0..40)
        .map(|i| if i % 2 == 1 { "0.0001" } else { "0.0002" })
        .collect();
    let market = synthetic_market(&prices, &prices, &[]);
    let script = (0..40)
        .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
        .collect();
    let tiny = Setup {
        costs: CostModel::free(),
        ..setup(dec!(1000000000000000), dec!(0), dec!(0.00000001))
    };
    let error = run_script(&market, script, &tiny).unwrap_err();
    assert_eq!(
        error,
        EngineError::MoneyOutOfRange {
            sizing: "full".into(),
            date: market.dates[15],
            what: "the units to trade",
        }
    );
}

#[test]
fn an_account_too_small_for_the_minimum_fee_does_not_trade_and_says_so() {
    // Capital 4 yuan, price 1, lot 1, minimum fee 5: 4 units cost 4 + 5 > 4, 3 units 3 + 5,
    // ... none can be paid for. Without [leverage] the fee is not financed: no fill, equity
    // stays 4 every day, and each decision's entry order is recorded as unfilled.
    let market = synthetic_market(&["1"; 5], &["1"; 5], &[]);
    let result = run_script(&market, vec![1.0; 5], &setup(dec!(4), dec!(5), dec!(1))).unwrap();
    assert!(result.fills.is_empty());
    assert_eq!(result.equity, vec![dec!(4); 5]);
    assert_eq!(result.debt, vec![dec!(0); 5]);
    assert_eq!(result.unfilled_buys, market.dates[1..].to_vec());
    let summary = cyclebt_report::summarize(
        ["w", "s", "full"],
        &result,
        &result,
        cyclebt_metrics::CurveFigures::of(result.equity_f64()),
        &cyclebt_report::Conventions::default(),
    );
    let note = summary.note.unwrap();
    assert!(
        note.contains("4 entry orders bought nothing (first on 2020-01-02): the cash could not pay one lot and its fees"),
        "{note}"
    );
}

#[test]
fn a_sale_worth_less_than_its_fees_empties_the_account_without_debt() {
    // Capital 10, price 1, minimum fee 5: 5 units for 5 + 5 fee leave cash 0. The price then
    // falls to 0.5: selling 5 units brings 2.50, less than the 5-yuan fee, which is cut to
    // 2.50; cash and equity end at 0, never below, nothing is borrowed, and the cut is noted.
    let market = synthetic_market(&["1", "1", "0.5", "0.5"], &["1", "1", "0.5", "0.5"], &[]);
    let result = run_script(
        &market,
        vec![1.0, -1.0, -1.0, -1.0],
        &setup(dec!(10), dec!(5), dec!(1)),
    )
    .unwrap();
    assert_eq!(result.units, vec![dec!(0), dec!(5), dec!(0), dec!(0)]);
    assert_eq!(result.cash, vec![dec!(10), dec!(0), dec!(0), dec!(0)]);
    assert_eq!(result.fills[1].commission, dec!(2.50));
    assert_eq!(result.fees_cut, vec![market.dates[2]]);
    assert!(result.debt.iter().all(|d| d.is_zero()));
    assert!(result.equity.iter().all(|e| *e >= Decimal::ZERO));
}

#[test]
fn without_leverage_equity_cash_and_debt_never_go_negative_at_any_scale() {
    // Every capital from the smallest accepted to the largest, with and without a minimum
    // fee and slippage, on a long zig-zag traded in and out: no borrowing ever, cash and
    // equity never below zero, and no run fails.
    let market = wavy_market(600);
    let script: Vec<f64> = (0..600)
        .map(|i| if (i / 7) % 2 == 0 { 1.0 } else { -1.0 })
        .collect();
    for capital in [
        dec!(1),
        dec!(4),
        dec!(5.1),
        dec!(999),
        dec!(1000000),
        dec!(1000000000000),
        dec!(1000000000000000),
    ] {
        for (min_commission, slippage_bps) in [(dec!(0), dec!(0)), (dec!(5), dec!(50))] {
            for lot in [dec!(0.0001), dec!(1), dec!(100)] {
                let mut costs = setup(capital, min_commission, lot);
                costs.costs.slippage_bps = slippage_bps;
                let result = run_script(&market, script.clone(), &costs).unwrap();
                let case = format!("capital {capital}, min fee {min_commission}, lot {lot}");
                assert!(result.debt.iter().all(|d| d.is_zero()), "{case}");
                assert!(result.cash.iter().all(|c| *c >= Decimal::ZERO), "{case}");
                assert!(result.equity.iter().all(|e| *e >= Decimal::ZERO), "{case}");
                assert!(
                    result.fills.iter().all(|f| f.debt_change.is_zero()),
                    "{case}"
                );
            }
        }
    }
}

/// The shipped sma-trend strategy with `name` and `capital` replaced, written to a folder.
fn sma_trend_with(dir: &std::path::Path, name: &str, capital: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(crate::util::shipped_strategy("sma-trend"))
        .unwrap()
        .replace("name = \"sma-trend\"", &format!("name = \"{name}\""))
        .replace("capital = \"1000000\"", &format!("capital = \"{capital}\""));
    let path = dir.join("strategy.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn compare_with_four_yuan_trades_nothing_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let strategy = sma_trend_with(dir.path(), "tiny", "4");
    let output = crate::util::cyclebt(&[
        "compare",
        strategy.to_str().unwrap(),
        "--window",
        "bull3",
        "--format",
        "json",
    ]);
    let text = crate::util::stdout(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        crate::util::stderr(&output)
    );
    let row = text
        .lines()
        .find(|l| l.contains("\"strategy\":\"tiny\"") && l.contains("\"sizing\":\"full\""))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        row.contains("\"final_equity\":\"4\"") || row.contains("\"final_equity\":4"),
        "{row}"
    );
    assert!(
        row.contains("entry orders bought nothing")
            && row.contains("could not pay one lot and its fees"),
        "{row}"
    );
}

#[test]
fn a_strategy_name_of_65536_characters_is_refused_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let strategy = sma_trend_with(dir.path(), &"x".repeat(65_536), "1000000");
    let output =
        crate::util::cyclebt(&["compare", strategy.to_str().unwrap(), "--window", "bull3"]);
    let message = crate::util::stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert!(message.contains("at most 64 of them"), "{message}");
    assert!(message.contains("...\" (65536 characters)"), "{message}");
    assert!(
        message.len() < 1000,
        "the name is not echoed whole: {message}"
    );
    assert!(!message.contains("panicked"), "{message}");
}
