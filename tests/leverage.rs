//! Sizing rules and the margin account on series small enough to work by hand: exposures per
//! rule, a leveraged position force-sold after a crash (debt, interest and proceeds to the
//! cent), and the initial margin ratio raised mid-run.

use cyclebt_data::{MarketData, WindowSpan};
use cyclebt_engine::*;
use rust_decimal::Decimal;
use rust_decimal::dec;

use crate::util::{Scripted, run_whole, synthetic_market, synthetic_market_from};

/// No costs, lot 1, the given capital, margin ratio `ratio` from 2000 on, 3.6% interest.
fn setup(capital: Decimal, schedule: &str) -> Setup {
    Setup {
        capital,
        costs: CostModel::free(),
        execution: Execution {
            fill: FillTiming::NextOpen,
            lot: dec!(1),
        },
        margin: MarginTerms {
            schedule: MarginSchedule::parse(schedule).unwrap(),
            interest_rate: dec!(0.036),
            maintenance_ratio: dec!(1.3),
            restore_ratio: dec!(1.5),
        },
    }
}

const RATIO_ONE: &str = "[[initial_ratio]]\nfrom = \"2000-01-01\"\nratio = \"1.0\"\n";

fn always_in(n: usize) -> Vec<Box<dyn Signal>> {
    vec![Box::new(Scripted(vec![1.0; n]))]
}

fn run_with(
    market: &MarketData,
    sizing: &Sizing,
    setup: &Setup,
    signals: Vec<Box<dyn Signal>>,
) -> RunResult {
    run_whole(market, signals, sizing, setup).unwrap()
}

#[test]
fn a_leveraged_position_is_force_sold_after_a_crash_to_the_cent() {
    // Wed 2020-01-01 .. Tue 2020-01-07.
    let market = synthetic_market(
        &["100", "100", "90", "65", "58"],
        &["100", "100", "70", "60", "58"],
        &[],
    );
    let result = run_with(
        &market,
        &Sizing::fixed("2x", 2.0),
        &setup(dec!(10000), RATIO_ONE),
        always_in(5),
    );
    // Thu open 100: 2 x 10,000 of equity = 200 units for 20,000.00, 10,000.00 of it borrowed
    // (at 100% initial margin a yuan of equity borrows a yuan).
    assert_eq!(result.units[1], dec!(200));
    assert_eq!(result.debt[1], dec!(10000));
    assert_eq!(result.cash[1], dec!(0));
    // Fri: one day at 3.6% / 360 = 1.00. Close 70: collateral 14,000 / 10,001 = 1.3999, fine.
    assert_eq!(result.debt[2], dec!(10001.00));
    // Mon: three calendar days, 10,001 x 0.0001 x 3 = 3.0003 -> 3.00. Close 60: 12,000 /
    // 10,004 = 1.1995 < 1.3: forced sale due at the next open.
    assert_eq!(result.debt[3], dec!(10004.00));
    // Tue: 1.00 more interest (10,005.00), then the sale at the open, 58. Restoring 1.5:
    // q >= (1.5 x 10,005 - 200 x 58) / (1.5 x 58 - 58) = 3,407.5 / 29 = 117.5 -> 117, plus
    // one lot for fees: 118 units, 6,844.00 of proceeds, all to the debt.
    let forced: Vec<&Fill> = result.forced_sales().collect();
    assert_eq!(forced.len(), 1);
    assert_eq!(
        (forced[0].units, forced[0].value, forced[0].debt_change),
        (dec!(118), dec!(6844.00), dec!(-6844.00))
    );
    assert_eq!(result.debt[4], dec!(3161.00));
    assert_eq!(result.units[4], dec!(82));
    // Collateral 82 x 58 = 4,756 over 3,161 = 1.5046: restored. Equity 4,756 - 3,161.
    assert_eq!(result.equity[4], dec!(1595.00));
    assert_eq!(result.interest, dec!(5.00));
    // The books balance every day.
    for i in 0..5 {
        assert_eq!(
            result.equity[i],
            result.cash[i] + result.units[i] * market.close_exact[i] - result.debt[i]
        );
    }
}

#[test]
fn raising_the_initial_margin_ratio_cuts_new_borrowing() {
    // 50% until Sunday 2015-11-22, 100% from Monday 2015-11-23 (the regulatory change).
    let schedule = "[[initial_ratio]]\nfrom = \"2010-03-31\"\nratio = \"0.5\"\n[[initial_ratio]]\nfrom = \"2015-11-23\"\nratio = \"1.0\"\n";
    let prices = ["100"; 4];
    let sizing = Sizing::fixed("3x", 3.0);
    // Decided Wed 11-18, filled Thu 11-19 at 50%: 10,000 of equity borrows 20,000: 300 units.
    let before = synthetic_market_from("2015-11-18", &prices, &prices, &[]);
    let early = run_with(
        &before,
        &sizing,
        &setup(dec!(10000), schedule),
        always_in(4),
    );
    assert_eq!(early.fills[0].date, crate::util::date("2015-11-19"));
    assert_eq!((early.units[1], early.debt[1]), (dec!(300), dec!(20000)));
    // Decided Fri 11-20, filled Mon 11-23 at 100%: it borrows 10,000: 200 units.
    let after = synthetic_market_from("2015-11-20", &prices, &prices, &[]);
    let late = run_with(&after, &sizing, &setup(dec!(10000), schedule), always_in(4));
    assert_eq!(late.fills[0].date, crate::util::date("2015-11-23"));
    assert_eq!((late.units[1], late.debt[1]), (dec!(200), dec!(10000)));
    // Before margin trading existed nothing may be borrowed: 100 units, no debt.
    let old = synthetic_market_from("2009-01-05", &prices, &prices, &[]);
    let unlevered = run_with(&old, &sizing, &setup(dec!(10000), schedule), always_in(4));
    assert_eq!(
        (unlevered.units[1], unlevered.debt[1]),
        (dec!(100), dec!(0))
    );
}

/// The exposure held just after the fill of day `i` (units x open over equity at the open).
fn held(result: &RunResult, market: &MarketData, i: usize) -> f64 {
    let price = market.open_exact[i];
    let exposure =
        result.units[i] * price / (result.cash[i] + result.units[i] * price - result.debt[i]);
    exposure.try_into().unwrap()
}

#[test]
fn signal_scaled_sizing_follows_the_signal() {
    let prices = ["100"; 6];
    let market = synthetic_market(&prices, &prices, &[]);
    let sizing = Sizing {
        name: "s".into(),
        rule: SizingRule::SignalScaled {
            signal: 0,
            max: 1.0,
            band: 0.1,
        },
    };
    // Signal 0.6, then 0.65 (a move under the band: no trade), then 0.3 (trade down).
    let signals: Vec<Box<dyn Signal>> =
        vec![Box::new(Scripted(vec![0.6, 0.65, 0.3, 0.3, 0.3, 0.3]))];
    let result = run_with(&market, &sizing, &setup(dec!(10000), RATIO_ONE), signals);
    // 0.6 x 10,000 / 100 = 60 units; then 30.
    assert_eq!(result.units[1], dec!(60));
    assert_eq!(result.units[2], dec!(60));
    assert_eq!(result.units[3], dec!(30));
    assert!((held(&result, &market, 3) - 0.3).abs() < 1e-9);
}

#[test]
fn vol_target_and_kelly_size_from_trailing_returns() {
    // Closes alternate +1.1% and -1%: mean 0.05% a day, standard deviation about 1.05%; the
    // sizes are worked out below from the definitions on the same returns.
    let mut closes = vec![100.0];
    for i in 0..40 {
        let last: f64 = closes[closes.len() - 1];
        closes.push(if i % 2 == 0 {
            last * 1.011
        } else {
            last * 0.99
        });
    }
    let text: Vec<String> = closes.iter().map(|c| format!("{c:.6}")).collect();
    let prices: Vec<&str> = text.iter().map(String::as_str).collect();
    let market = synthetic_market(&prices, &prices, &[]);
    let returns: Vec<f64> = (21..=40).map(|i| closes[i] / closes[i - 1] - 1.0).collect();
    let mean = returns.iter().sum::<f64>() / 20.0;
    let variance = returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / 19.0;
    let vol = variance.sqrt() * 252f64.sqrt();
    let vol_rule = Sizing {
        name: "v".into(),
        rule: SizingRule::VolTarget {
            target: 0.10,
            window: 20,
            max: 2.0,
            band: 0.0,
        },
    };
    let kelly_rule = Sizing {
        name: "k".into(),
        rule: SizingRule::Kelly {
            fraction: 0.2,
            window: 20,
            max: 3.0,
            band: 0.0,
        },
    };
    // Sizes on the last decision day, 39 (returns 20..=39 are those of closes 19..=39): check
    // the rule against the formulas on the same returns.
    let last: Vec<f64> = (20..=39).map(|i| closes[i] / closes[i - 1] - 1.0).collect();
    let m = last.iter().sum::<f64>() / 20.0;
    let v = last.iter().map(|r| (r - m).powi(2)).sum::<f64>() / 19.0;
    assert!(
        (vol - v.sqrt() * 252f64.sqrt()).abs() < 1e-3,
        "the alternation is stationary"
    );
    let expected_vol_size = (0.10 / (v.sqrt() * 252f64.sqrt())).min(2.0);
    let expected_kelly = (0.2 * m / v).clamp(0.0, 3.0);
    assert!(
        expected_vol_size < 1.0 && expected_kelly < 1.0,
        "no borrowing needed: {expected_vol_size}, {expected_kelly}"
    );
    for (rule, expected) in [(vol_rule, expected_vol_size), (kelly_rule, expected_kelly)] {
        let result = run_with(
            &market,
            &rule,
            &setup(dec!(1000000), RATIO_ONE),
            always_in(41),
        );
        // The size decided on day 39 is held after the fill on day 40, before the close moves.
        let exposure = held(&result, &market, 40);
        assert!(
            (exposure - expected).abs() < 1e-3,
            "{}: held {exposure}, expected {expected}",
            rule.name
        );
    }
}

#[test]
fn pyramid_scales_in_a_step_per_entry_day_and_out_on_exits() {
    let prices = ["100"; 8];
    let market = synthetic_market(&prices, &prices, &[]);
    let sizing = Sizing {
        name: "p".into(),
        rule: SizingRule::Pyramid { steps: 3, max: 0.9 },
    };
    // In, in, in, in (capped), out, out, neutral.
    let signals: Vec<Box<dyn Signal>> = vec![Box::new(Scripted(vec![
        1.0, 1.0, 1.0, 1.0, -1.0, -1.0, 0.0, 0.0,
    ]))];
    let result = run_with(&market, &sizing, &setup(dec!(10000), RATIO_ONE), signals);
    // Steps of 0.3 x 10,000 / 100 = 30 units.
    let units: Vec<Decimal> = result.units.clone();
    assert_eq!(
        units,
        vec![
            dec!(0),
            dec!(30),
            dec!(60),
            dec!(90),
            dec!(90),
            dec!(60),
            dec!(30),
            dec!(30)
        ]
    );
}

#[test]
fn a_higher_initial_ratio_mid_position_cuts_only_the_new_borrowing() {
    // A position at 1.5x taken on 2015-11-19 (ratio 50%) asks for 3x on Monday 2015-11-23,
    // the day the ratio becomes 100%. No interest, so the sums stay round.
    let schedule = "[[initial_ratio]]\nfrom = \"2010-03-31\"\nratio = \"0.5\"\n[[initial_ratio]]\nfrom = \"2015-11-23\"\nratio = \"1.0\"\n";
    let prices = ["100"; 5];
    let market = synthetic_market_from("2015-11-18", &prices, &prices, &[]);
    let sizing = Sizing {
        name: "s".into(),
        rule: SizingRule::SignalScaled {
            signal: 0,
            max: 3.0,
            band: 0.1,
        },
    };
    let run_under = |schedule: &str| {
        let mut setup = setup(dec!(10000), schedule);
        setup.margin.interest_rate = dec!(0);
        let signals: Vec<Box<dyn Signal>> = vec![Box::new(Scripted(vec![0.5, 0.5, 1.0, 1.0, 1.0]))];
        run_with(&market, &sizing, &setup, signals)
    };
    let result = run_under(schedule);
    // Thu 11-19: 1.5 x 10,000 = 150 units, 5,000 borrowed (within 10,000 / 0.5).
    assert_eq!((result.units[1], result.debt[1]), (dec!(150), dec!(5000)));
    // Mon 11-23 at 100%: total debt may reach 10,000 / 1.0, so 5,000 more: 50 units, not the
    // 150 that 3x asks for.
    assert_eq!(result.dates[3], crate::util::date("2015-11-23"));
    assert_eq!((result.units[3], result.debt[3]), (dec!(200), dec!(10000)));
    // Had the ratio stayed at 50%, the same request would have borrowed 15,000 more.
    let unchanged = run_under("[[initial_ratio]]\nfrom = \"2010-03-31\"\nratio = \"0.5\"\n");
    assert_eq!(
        (unchanged.units[3], unchanged.debt[3]),
        (dec!(300), dec!(20000))
    );
}

#[test]
fn a_wiped_out_account_is_reported_as_ruined_at_minus_100_percent() {
    // 3x at a 50% ratio (10,000 own, 20,000 borrowed), then a close 40% lower: assets 18,000
    // against 20,000 of debt.
    let schedule = "[[initial_ratio]]\nfrom = \"2010-03-31\"\nratio = \"0.5\"\n";
    let market = synthetic_market_from(
        "2016-03-01",
        &["100", "100", "60", "58", "58"],
        &["100", "100", "60", "58", "58"],
        &[],
    );
    let mut setup = setup(dec!(10000), schedule);
    setup.margin.interest_rate = dec!(0);
    let result = run_with(&market, &Sizing::fixed("3x", 3.0), &setup, always_in(5));
    assert_eq!((result.units[1], result.debt[1]), (dec!(300), dec!(20000)));
    assert_eq!(result.equity[2], dec!(-2000));
    assert_eq!(result.ruined, Some(crate::util::date("2016-03-03")));
    // The broker sells everything at the next open; the debt left is not repaid by the run.
    assert_eq!(result.units[3], dec!(0));
    assert_eq!(result.debt[3], dec!(20000) - dec!(300) * dec!(58));
    let summary = cyclebt_report::summarize(
        ["w", "s", "3x"],
        &result,
        &result,
        cyclebt_metrics::CurveFigures::of(result.equity_f64()),
        &cyclebt_report::Conventions::default(),
    );
    let metrics = summary.metrics().unwrap();
    assert_eq!((metrics.total_return, metrics.max_drawdown), (-1.0, -1.0));
    assert!(
        summary
            .note
            .as_deref()
            .unwrap()
            .starts_with("ruined on 2016-03-03"),
        "{:?}",
        summary.note
    );
}

#[test]
fn fees_are_borrowed_only_under_a_leverage_section() {
    // Margin trading allowed from 2000 on; 10,000 yuan all in at 100, commission 10 bps.
    let regulation = Regulation {
        stamp_duty: StampDutySchedule::default(),
        margin: MarginSchedule::parse(RATIO_ONE).unwrap(),
    };
    let market = synthetic_market(&["100"; 4], &["100"; 4], &[]);
    let text = "name = \"s\"\ncapital = \"10000\"\n[costs]\ncommission_bps = 10\nmin_commission = 5\nstamp_duty = false\n";
    let first_day = |text: &str| {
        let strategy = Strategy::parse(
            std::path::Path::new("s.toml"),
            text,
            &regulation,
            &BuiltinSignals,
        )
        .unwrap();
        let span = WindowSpan { first: 0, last: 3 };
        let sizing = &strategy.sizings[0];
        let result = run(
            &market,
            span,
            &mut [],
            &strategy.plan,
            sizing,
            &strategy.setup,
        )
        .unwrap();
        (result.units[1], result.cash[1], result.debt[1])
    };
    // Without [leverage]: 100 units would cost 10,000.00 + 10.00; the buy is cut to what the
    // cash pays, (10,000 - 10) / 100 = 99.9 units: 9,990.00 + 9.99 commission, 0.01 left.
    assert_eq!(first_day(text), (dec!(99.9), dec!(0.01), dec!(0)));
    // With it, the broker lends the 10.00 of fees and the whole 100 units are bought.
    assert_eq!(
        first_day(&format!("{text}[leverage]\n")),
        (dec!(100), dec!(0), dec!(10.00))
    );
}
