//! The account to the cent, on series small enough to work by hand, and the invariant
//! cash + units x close = equity on every day of a long run.

use cyclebt_data::WindowSpan;
use cyclebt_engine::*;
use rust_decimal::Decimal;
use rust_decimal::dec;

use crate::util::{Scripted, date, synthetic_market, wavy_market};

fn setup(slippage_bps: Decimal, fill: FillTiming) -> Setup {
    let schedule = StampDutySchedule::parse(
        r#"
        [[rate]]
        from = "2000-01-01"
        buy = "0"
        sell = "0.001"
        "#,
    )
    .unwrap();
    Setup {
        capital: dec!(10000),
        costs: CostModel {
            commission_bps: dec!(10),
            min_commission: dec!(5),
            slippage_bps,
            stamp_duty: schedule,
        },
        execution: Execution { fill, lot: dec!(1) },
        margin: MarginTerms::none(),
    }
}

/// Four days; the signal says in on day 0 and out on day 2.
fn four_day_run(setup: &Setup) -> RunResult {
    let market = synthetic_market(
        &["99", "100", "112", "105"],
        &["100", "110", "108", "104"],
        &[],
    );
    let mut signals: Vec<Box<dyn Signal>> = vec![Box::new(Scripted(vec![1.0, 1.0, -1.0, 0.0]))];
    run(
        &market,
        WindowSpan { first: 0, last: 3 },
        &mut signals,
        &Rules::follow_sign(0).into(),
        &Sizing::full(),
        setup,
    )
    .unwrap()
}

#[test]
fn entry_and_exit_fill_at_the_next_open_to_the_cent() {
    let result = four_day_run(&setup(dec!(0), FillTiming::NextOpen));
    // Day 1 open 100: 100 units cost 10,000 + 10.00 commission > 10,000 cash, so 99 units:
    // 9,900.00 + 9.90 commission, leaving 90.10.
    // Day 3 open 105: 99 x 105 = 10,395.00; commission 10.395 -> 10.40, stamp duty 0.1% 10.40.
    assert_eq!(result.units, vec![dec!(0), dec!(99), dec!(99), dec!(0)]);
    assert_eq!(
        result.cash,
        vec![dec!(10000), dec!(90.10), dec!(90.10), dec!(10464.30)]
    );
    // Equity: 10,000; 90.10 + 99 x 110; 90.10 + 99 x 108; cash.
    assert_eq!(
        result.equity,
        vec![dec!(10000), dec!(10980.10), dec!(10782.10), dec!(10464.30)]
    );
    assert_eq!(result.fills.len(), 2);
    assert_eq!(result.fills[0].fees(), dec!(9.90));
    assert_eq!(
        (result.fills[1].commission, result.fills[1].stamp_duty),
        (dec!(10.40), dec!(10.40))
    );
    assert_eq!(result.fees(), dec!(30.70));
    // Net of fees: 10,395.00 - 20.80 - (9,900.00 + 9.90); gross 10,395.00 - 9,900.00.
    assert_eq!(result.trades.len(), 1);
    let trade = &result.trades[0];
    assert_eq!(trade.gross_pnl(dec!(0)), dec!(495.00));
    assert_eq!(trade.net_pnl(dec!(0)), dec!(464.30));
    assert_eq!(trade.entry, date("2020-01-02"));
    assert_eq!(trade.exit, Some(date("2020-01-06")));
    assert_eq!(
        (trade.entry_price(), trade.exit_price()),
        (dec!(100), dec!(105))
    );
    assert!(!trade.forced_exit);
}

#[test]
fn next_close_fills_at_the_following_close() {
    let result = four_day_run(&setup(dec!(0), FillTiming::NextClose));
    // Day 1 close 110: floor(10,000 / 110) = 90 units, 9,900.00 + 9.90 commission.
    assert_eq!(result.units[1], dec!(90));
    assert_eq!(result.cash[1], dec!(90.10));
    assert_eq!(result.equity[1], dec!(9990.10));
    // Day 3 close 104: 90 x 104 = 9,360.00; commission 9.36, stamp duty 9.36.
    assert_eq!(result.cash[3], dec!(90.10) + dec!(9360) - dec!(18.72));
}

#[test]
fn slippage_moves_the_fill_price_against_the_trader() {
    let result = four_day_run(&setup(dec!(10), FillTiming::NextOpen));
    // Buy at 100 x 1.001 = 100.1: 99 units for 9,909.90 + 9.91 commission.
    assert_eq!(result.fills[0].price, dec!(100.1));
    assert_eq!(result.cash[1], dec!(10000) - dec!(9909.90) - dec!(9.91));
    // Sell at 105 x 0.999 = 104.895: 99 units for 10,384.605 -> 10,384.61.
    assert_eq!(result.fills[1].price, dec!(104.895));
    assert_eq!(result.fills[1].value, dec!(10384.61));
    // What slippage cost: 9,909.90 - 99 x 100 on the buy, 99 x 105 - 10,384.61 on the sale.
    assert_eq!(result.fills[0].slippage, dec!(9.90));
    assert_eq!(result.fills[1].slippage, dec!(10.39));
    assert_eq!(result.slippage(), dec!(20.29));
}

#[test]
fn cash_never_goes_negative_when_fees_exceed_it() {
    let mut setup = setup(dec!(0), FillTiming::NextOpen);
    setup.capital = dec!(100);
    setup.costs.min_commission = dec!(200);
    let result = four_day_run(&setup);
    assert!(result.fills.is_empty());
    assert!(result.cash.iter().all(|c| *c == dec!(100)));
}

#[test]
fn cash_plus_holdings_is_equity_every_day() {
    let market = wavy_market(2000);
    let setup = setup(dec!(7), FillTiming::NextOpen);
    let signal = SmaCross::new(SmaCrossParams { fast: 5, slow: 20 }).unwrap();
    let mut signals: Vec<Box<dyn Signal>> = vec![Box::new(signal)];
    let sizing = Sizing::fixed("most", 0.8);
    let span = WindowSpan {
        first: 100,
        last: 1999,
    };
    let result = run(
        &market,
        span,
        &mut signals,
        &Rules::follow_sign(0).into(),
        &sizing,
        &setup,
    )
    .unwrap();
    assert!(
        result.fills.len() > 50,
        "the run trades: {} fills",
        result.fills.len()
    );
    let mut cash = setup.capital;
    let mut units = Decimal::ZERO;
    let mut fills = result.fills.iter().peekable();
    for (i, day) in result.dates.iter().enumerate() {
        // Replay the fills independently of the engine's account.
        while let Some(fill) = fills.next_if(|f| f.date == *day) {
            match fill.side {
                Side::Buy => {
                    cash -= fill.value + fill.fees();
                    units += fill.units;
                }
                Side::Sell => {
                    cash += fill.value - fill.fees();
                    units -= fill.units;
                }
            }
            assert_eq!(fill.value, to_cents(fill.units * fill.price));
        }
        let close = market.close_exact[span.first + i];
        assert_eq!(result.cash[i], cash, "cash on {day}");
        assert_eq!(result.units[i], units, "units on {day}");
        assert_eq!(result.equity[i], cash + units * close, "equity on {day}");
        assert!(cash >= Decimal::ZERO && units >= Decimal::ZERO);
    }
    assert_eq!(result.equity[0], setup.capital);
}

#[test]
fn a_summary_run_keeps_what_a_ledger_run_has_and_builds_no_ledger() {
    let market = wavy_market(2000);
    let setup = setup(dec!(7), FillTiming::NextOpen);
    let plan = Rules::follow_sign(0).into();
    let sizing = Sizing::fixed("most", 0.8);
    // 1,900 days, and windows of 128 and 65 days.
    for last in [1999, 227, 164] {
        let span = WindowSpan { first: 100, last };
        let mut signals: Vec<Box<dyn Signal>> = vec![Box::new(
            SmaCross::new(SmaCrossParams { fast: 5, slow: 20 }).unwrap(),
        )];
        let values = evaluate_signals(&market, span, &mut signals).unwrap();
        let kept =
            |keep| run_keeping(&market, span, &values, &plan, &sizing, &setup, keep).unwrap();
        let (ledger, summary) = (kept(Keep::Ledger), kept(Keep::Summary));
        assert!(!ledger.fills.is_empty() && ledger.invested_days > 0);
        // The days in the market, counted from the ledger's units independently of the loop.
        let held = ledger.units.iter().filter(|u| **u > Decimal::ZERO).count();
        assert_eq!(ledger.invested_days, held);
        assert_eq!(summary.invested_days, held);
        assert_eq!(summary.dates, ledger.dates);
        assert_eq!(summary.equity, ledger.equity[ledger.equity.len() - 1..]);
        assert_eq!(summary.equity_f64().len(), span.days());
        // The same bits: a summary run converts the mark's integers, a ledger run its decimals.
        let bits = |curve: &[f64]| curve.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(summary.equity_f64()), bits(ledger.equity_f64()));
        assert_eq!(summary.fills, ledger.fills);
        assert_eq!(summary.trades, ledger.trades);
        assert_eq!(summary.interest, ledger.interest);
        assert_eq!(summary.ruined, ledger.ruined);
        assert!(summary.cash.is_empty() && summary.units.is_empty() && summary.debt.is_empty());
        assert!(summary.interest_charged.is_empty() && summary.orders.is_empty());
        assert!(summary.signal_values.is_empty());
        assert_eq!(ledger.cash.len(), ledger.dates.len());
    }
}

#[test]
fn an_exit_goes_through_even_when_fees_exceed_the_proceeds() {
    let mut setup = setup(dec!(0), FillTiming::NextOpen);
    setup.capital = dec!(1000);
    setup.costs.min_commission = dec!(400);
    let result = four_day_run(&setup);
    // Buy at 100: 6 units (600.00 + 400 commission = 1,000.00). Sell at 105: 630.00 of
    // proceeds against 400 commission + 0.63 stamp duty: paid in full, exit done.
    assert_eq!(result.units, vec![dec!(0), dec!(6), dec!(6), dec!(0)]);
    assert_eq!(result.cash[3], dec!(630) - dec!(400.63));
    // With a 700 minimum only 3 units are affordable (300 + 700): the sale's 700.32 of fees
    // exceed cash plus proceeds (0 + 315.00), so all of it goes to fees and the position
    // is still closed.
    setup.costs.min_commission = dec!(700);
    let result = four_day_run(&setup);
    assert_eq!(result.units, vec![dec!(0), dec!(3), dec!(3), dec!(0)]);
    assert_eq!(result.cash[3], dec!(0));
    assert_eq!(result.closed_trades().count(), 1);
}

#[test]
fn an_entry_the_cash_cannot_pay_for_is_asked_again_not_forgotten() {
    let market = synthetic_market(
        &["100", "100", "100", "100", "100"],
        &["100", "100", "100", "100", "100"],
        &[],
    );
    let mut setup = setup(dec!(0), FillTiming::NextOpen);
    setup.capital = dec!(100);
    setup.costs.min_commission = dec!(5);
    setup.execution.lot = dec!(1);
    // One unit costs 100 + 5: never affordable. The strategy must keep asking, and never
    // believe it is in the market.
    let mut signals: Vec<Box<dyn Signal>> = vec![Box::new(Scripted(vec![1.0; 5]))];
    let span = WindowSpan { first: 0, last: 4 };
    let plan = Rules::follow_sign(0).into();
    let result = run(&market, span, &mut signals, &plan, &Sizing::full(), &setup).unwrap();
    assert!(result.fills.is_empty());
    assert!(result.trades.is_empty());
    // With 105 of capital the retried entry fills on day 1.
    setup.capital = dec!(105);
    let mut signals: Vec<Box<dyn Signal>> = vec![Box::new(Scripted(vec![1.0; 5]))];
    let result = run(&market, span, &mut signals, &plan, &Sizing::full(), &setup).unwrap();
    assert_eq!(result.units[1], dec!(1));
    assert_eq!(result.cash[1], dec!(0));
}

#[test]
fn a_run_observed_on_another_calendar_reads_each_date_as_of_its_last_close() {
    // Weekdays from Wednesday 2020-01-01; bought at the open of day 1 (100 units at 100).
    let market = synthetic_market(
        &["100", "100", "110", "120", "130"],
        &["100", "105", "115", "125", "135"],
        &[],
    );
    let mut signals: Vec<Box<dyn Signal>> = vec![Box::new(Scripted(vec![1.0; 5]))];
    let span = WindowSpan { first: 0, last: 4 };
    let mut setup = setup(dec!(0), FillTiming::NextOpen);
    setup.costs = CostModel::free();
    let own = run(
        &market,
        span,
        &mut signals,
        &Rules::follow_sign(0).into(),
        &Sizing::full(),
        &setup,
    )
    .unwrap();
    // Closes: Wed 1st 10,000 cash; Thu 2nd 100 x 105; Fri 3rd 11,500; Mon 6th 12,500; Tue 7th.
    // Another calendar: a day before the first (the first close), Saturday the 4th (Friday's),
    // Monday, and a day after the last (Tuesday's).
    let dates = ["2019-12-31", "2020-01-04", "2020-01-06", "2020-01-09"].map(date);
    let seen = own.observed_on(&dates);
    assert_eq!(seen.dates, dates);
    assert_eq!(
        seen.equity,
        vec![dec!(10000), dec!(11500), dec!(12500), dec!(13500)]
    );
    assert_eq!(seen.units, vec![dec!(0), dec!(100), dec!(100), dec!(100)]);
}
