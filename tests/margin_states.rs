//! Seed 001's signal system in `margin-divergence`, state by state, on small hand-made series
//! whose every switch day is worked out below; the warning's hold (timeout against the state
//! machine); and the prefix (no look-ahead) check of every new output.

use cyclebt_data::{Field, MarketData};

use crate::seeds::{boxed, market, outputs, plugin, quiet};
use crate::util::{date, shipped_market};

const NONE: (f64, u32) = (0.0, 0);
const OUTRUN: (f64, u32) = (-1.0, 1);
const STALL: (f64, u32) = (-0.5, 2);
const CAPITULATION: (f64, u32) = (1.0, 3);
const HEALTHY: (f64, u32) = (0.5, 5);
const WEAK_RALLY: (f64, u32) = (-0.5, 6);
const DEEPER_CORRECTION: (f64, u32) = (-1.0, 7);
const SQUEEZE: (f64, u32) = (0.5, 8);

/// Short horizons so that every case can be worked by hand.
const SHORT: &str = "window = 5\nstall_days = 2\ndrop_days = 2\nlending_days = 2";

/// `n` days, each in the state of the first span (inclusive day ranges) that holds it.
fn expected(n: usize, spans: &[(usize, usize, (f64, u32))]) -> Vec<(f64, u32)> {
    (0..n)
        .map(|t| {
            spans
                .iter()
                .find(|(a, b, _)| (*a..=*b).contains(&t))
                .map_or(NONE, |s| s.2)
        })
        .collect()
}

/// A market from closes and amounts with the financing and lending balances.
fn margin_market(
    closes: &[f64],
    amounts: &[f64],
    balance: Vec<f64>,
    lending: Vec<f64>,
) -> MarketData {
    market(
        closes,
        amounts,
        vec![
            (Field::FinancingBalance, balance),
            (Field::LendingBalance, lending),
        ],
    )
}

fn run(params: &str, market: &MarketData) -> Vec<(f64, u32)> {
    outputs(&mut plugin("margin-divergence", params), market)
}

/// 60 days. Close +0.5% a day to day 29, flat after. Balance B +1% a day to day 29, flat on
/// days 30-44, +1% a day again from day 45. Lending balance L flat to day 31, +1% a day on
/// days 32-34, flat after. Amount constant.
///
/// With window 5, stall_days 2, lending_days 2:
/// - days 5-30 healthy: B up 5.1% over 5 days (4.1% on day 30) and up over 2, L flat, the
///   index up 2.5% (2.0% on day 30), within [0, 8%];
/// - day 31: B flat over 2 days (B31 = B29) near the high, but L flat: no warning, and no
///   longer a steady rise: none;
/// - days 32-35 stall: B flat over 2 days at the high and L up over 2 days (L32 > L30, ...,
///   L35 = L34 > L33);
/// - days 36-44 none: L flat over 2 days again (L36 = L34);
/// - days 45-59 healthy: B up 1% over 2 days and over 5, L up 0 over 5 (3% over 5 on days
///   32-39 is under `lending_flat`), the index flat: 0% is moderate.
fn stall_then_recovery() -> MarketData {
    let n = 60;
    let closes: Vec<f64> = (0..n).map(|i| 100.0 * 1.005f64.powi(i.min(29))).collect();
    let balance: Vec<f64> = (0..n)
        .map(|i| {
            let rising_days = i.min(29) + (i - i.min(44));
            1e12 * 1.01f64.powi(rising_days)
        })
        .collect();
    let lending: Vec<f64> = (0..n)
        .map(|i| 1e10 * 1.01f64.powi(i.clamp(31, 34) - 31))
        .collect();
    margin_market(&closes, &vec![100.0; n as usize], balance, lending)
}

#[test]
fn healthy_then_a_stall_confirmed_by_lending_then_healthy_again() {
    let market = stall_then_recovery();
    // warning_days = 1: a warning holds on its own day only, so the output is each day's case.
    assert_eq!(
        run(&format!("{SHORT}\nwarning_days = 1"), &market),
        expected(60, &[(5, 30, HEALTHY), (32, 35, STALL), (45, 59, HEALTHY)])
    );
    // Without the lending condition the stall is the balance's alone: days 31-44.
    assert_eq!(
        run(
            &format!("{SHORT}\nwarning_days = 1\nrequire_lending_up = false"),
            &market
        ),
        expected(60, &[(5, 30, HEALTHY), (31, 44, STALL), (45, 59, HEALTHY)])
    );
}

#[test]
fn a_warning_times_out_or_holds_until_a_healthy_day() {
    let market = stall_then_recovery();
    // Timeout of 5 days: the last stall day, 35, holds through day 39.
    assert_eq!(
        run(&format!("{SHORT}\nwarning_days = 5"), &market),
        expected(60, &[(5, 30, HEALTHY), (32, 39, STALL), (45, 59, HEALTHY)])
    );
    // Timeout of 20 days: day 35 holds through day 54, over the healthy days 45-54.
    assert_eq!(
        run(&format!("{SHORT}\nwarning_days = 20"), &market),
        expected(60, &[(5, 30, HEALTHY), (32, 54, STALL), (55, 59, HEALTHY)])
    );
    // The state machine: the stall holds from day 32 until the first healthy day, 45.
    assert_eq!(
        run(&format!("{SHORT}\nhold = \"until_clear\""), &market),
        expected(60, &[(5, 30, HEALTHY), (32, 44, STALL), (45, 59, HEALTHY)])
    );
}

/// As [`stall_then_recovery`] to day 44, then a forced unwind: the close falls 2% a day and B
/// 3% a day from day 45, and the amount doubles on day 48.
///
/// - days 45-47: not a stall (L flat over 2 days), not yet a capitulation: B down 5.9% over 2
///   days from day 46 on, but the index is down 5% over 5 days only from day 47 (0.98^3), and
///   the amount is at its base;
/// - day 48 capitulation: B down 5.9% over 2 days, the index down 7.8% over 5, the amount 200
///   against a 3-day mean of 100 (at least 1.2 times);
/// - day 49 on none: the amount, 100, is under 1.2 times its base (133).
#[test]
fn a_capitulation_releases_the_state_machine() {
    let n = 60usize;
    let base = stall_then_recovery();
    let close = base.column(Field::Close);
    let closes: Vec<f64> = (0..n)
        .map(|i| close[i.min(44)] * 0.98f64.powi(i as i32 - i.min(44) as i32))
        .collect();
    let b44 = base.column(Field::FinancingBalance)[44];
    let balance: Vec<f64> = (0..n)
        .map(|i| match i {
            0..45 => base.column(Field::FinancingBalance)[i],
            _ => b44 * 0.97f64.powi(i as i32 - 44),
        })
        .collect();
    let mut amounts = vec![100.0; n];
    amounts[48] = 200.0;
    let lending = base.column(Field::LendingBalance).to_vec();
    let market = margin_market(&closes, &amounts, balance, lending);
    assert_eq!(
        run(&format!("{SHORT}\nhold = \"until_clear\""), &market),
        expected(
            n,
            &[(5, 30, HEALTHY), (32, 47, STALL), (48, 48, CAPITULATION)]
        )
    );
    // The timeout (20 days) gives way to the capitulation too, and does not come back.
    assert_eq!(
        run(&format!("{SHORT}\nwarning_days = 20"), &market),
        expected(
            n,
            &[(5, 30, HEALTHY), (32, 47, STALL), (48, 48, CAPITULATION)]
        )
    );
}

/// 40 days. Close +1.5% a day (7.7% over 5 days), B +0.5% a day, L flat; the amount 100 to day
/// 19 and 80 from day 20. The mean of the last 5 amounts against the 5 before (shrinking means
/// more than 10% lower): day 21 92 against 100, no; day 22 88 against 100, yes; day 26 80
/// against 92 (under 82.8), yes; day 27 80 against 88 (not under 79.2), no.
/// - days 5-21 and 27-39 healthy: the index's 7.7% is within 8%, B up 2.5%, L flat;
/// - days 22-26 weak rally (缩量上涨): up 7.7% with B rising on shrinking turnover.
#[test]
fn a_rally_on_shrinking_turnover_warns_of_a_weak_rally() {
    let n = 40;
    let closes: Vec<f64> = (0..n).map(|i| 100.0 * 1.015f64.powi(i)).collect();
    let balance: Vec<f64> = (0..n).map(|i| 1e12 * 1.005f64.powi(i)).collect();
    let amounts: Vec<f64> = (0..n).map(|i| if i < 20 { 100.0 } else { 80.0 }).collect();
    let market = margin_market(&closes, &amounts, balance, vec![1e10; n as usize]);
    assert_eq!(
        run(&format!("{SHORT}\nwarning_days = 1"), &market),
        expected(
            40,
            &[(5, 21, HEALTHY), (22, 26, WEAK_RALLY), (27, 39, HEALTHY)]
        )
    );
    // Held for 20 days from its last day, 26, over the healthy days 27-39 (to 45).
    assert_eq!(
        run(&format!("{SHORT}\nwarning_days = 20"), &market),
        expected(40, &[(5, 21, HEALTHY), (22, 39, WEAK_RALLY)])
    );
}

/// 300 days: the index flat at 100 to day 290 and 3% lower each day after (day 291: 97, day
/// 292: 94.09, 5.9% under day 287); B wobbling by 0.2% around 1e12, then 4% higher each day
/// from day 291. Default horizons but window 5 and drop_days 2, and a warning holds one day.
/// - day 291 none: B surged, but the index is down only 3% over 5 days;
/// - days 292-295 deeper correction: the index down at least 5% over 5 days, still within 15%
///   of its high (day 295: 85.9; day 296: 83.3 is not), B up at least 3% over 2 days, and its
///   growth less the index's (about 14% and more) far above its wobble;
/// - day 296 on none (no lending series: the outrun warning cannot be confirmed).
#[test]
fn a_balance_surging_early_in_a_decline_warns_of_a_deeper_correction() {
    let n = 300;
    let closes: Vec<f64> = (0..n)
        .map(|i| 100.0 * 0.97f64.powi(i - i.min(290)))
        .collect();
    let balance: Vec<f64> = (0..n)
        .map(|i| 1e12 * (1.0 + 0.002 * (i as f64 / 3.0).sin()) * 1.04f64.powi(i - i.min(290)))
        .collect();
    let market = market(
        &closes,
        &vec![100.0; n as usize],
        vec![(Field::FinancingBalance, balance)],
    );
    let signal = run("window = 5\ndrop_days = 2\nwarning_days = 1", &market);
    assert!(signal[..=291].iter().all(|s| *s == NONE));
    assert!(signal[292..=295].iter().all(|s| *s == DEEPER_CORRECTION));
    assert!(signal[296..].iter().all(|s| *s == NONE));
}

/// 100 days: the index flat to day 79, then +1.5% a day (up 6.1% over 5 days on day 83, 4.6%
/// on day 82); B flat to day 69, then +0.2% a day; L flat to day 79, then +1% a day.
/// L's share of the two balances falls a little on days 70-79 and rises from day 80; on day
/// 83 it is above every earlier day's (1.01^4 / 1.002^14 > 1), the top of its percentile.
/// - days 70-82 healthy: B rising steadily, L up at most 3.03% (1.01^3) over 5 days, the
///   index up at most 4.6% over 5 days;
/// - days 83-99 squeeze setup: a rally of 5% or more while the lending share is at its top
///   and L is not falling (no stall: B keeps rising).
#[test]
fn a_high_lending_balance_in_a_rally_is_a_squeeze_setup() {
    let n = 100;
    let closes: Vec<f64> = (0..n)
        .map(|i| 100.0 * 1.015f64.powi(i - i.min(79)))
        .collect();
    let balance: Vec<f64> = (0..n)
        .map(|i| 1e12 * 1.002f64.powi(i - i.min(69)))
        .collect();
    let lending: Vec<f64> = (0..n).map(|i| 1e10 * 1.01f64.powi(i - i.min(79))).collect();
    let market = margin_market(&closes, &vec![100.0; n as usize], balance, lending);
    assert_eq!(
        run(&format!("{SHORT}\nhigh_days = 100"), &market),
        expected(100, &[(70, 82, HEALTHY), (83, 99, SQUEEZE)])
    );
}

/// The outrun warning needs the lending balance turning up: a balance surge alone (the index
/// flat) does not warn until L rises, from day 276 on (L up over 5 days: L276 > L271).
#[test]
fn a_balance_outrunning_the_index_warns_once_lending_turns_up() {
    let n = 300;
    let balance: Vec<f64> = (0..n)
        .map(|i| 1e12 * 1.01f64.powi(i.max(250) - 250))
        .collect();
    let lending: Vec<f64> = (0..n)
        .map(|i| 1e10 * 1.01f64.powi(i.max(275) - 275))
        .collect();
    let market = margin_market(
        &quiet(n as usize),
        &vec![100.0; n as usize],
        balance.clone(),
        lending,
    );
    let signal = run("", &market);
    // Day 265: B up 1.01^15 - 1 = 16.1% over 20 days against a flat index, yet no warning.
    assert!((balance[265] / balance[245] - 1.0 - 0.161).abs() < 1e-3);
    assert!(signal[250..=275].iter().all(|s| s.1 != OUTRUN.1));
    assert!(signal[276..].iter().all(|s| *s == OUTRUN));
    let alone = run("require_lending_up = false", &market);
    assert_eq!(alone[265], OUTRUN);
}

#[test]
fn every_new_output_is_prefix_stable_on_constructed_series() {
    for params in ["", "hold = \"until_clear\"", "require_lending_up = false"] {
        let params: &'static str = Box::leak(format!("{SHORT}\n{params}").into_boxed_str());
        crate::lookahead::assert_prefix_stable(
            &boxed("margin-divergence", params),
            &stall_then_recovery(),
            1,
        );
    }
    // A long wobbling series with every input, so that all cases occur.
    let n = 400;
    let closes: Vec<f64> = (0..n)
        .map(|i| 100.0 * (1.0 + 0.15 * (i as f64 / 23.0).sin()))
        .collect();
    let wave = |period: f64, depth: f64| -> Vec<f64> {
        (0..n)
            .map(|i| 1e12 * (1.0 + depth * (i as f64 / period).sin()))
            .collect()
    };
    let amounts: Vec<f64> = (0..n)
        .map(|i| 100.0 * (1.0 + 0.4 * (i as f64 / 7.0).cos()))
        .collect();
    let market = margin_market(&closes, &amounts, wave(19.0, 0.2), wave(31.0, 0.3));
    let labels: Vec<u32> = run("hold = \"until_clear\"", &market)
        .iter()
        .map(|s| s.1)
        .collect();
    assert!(
        labels.contains(&STALL.1) || labels.contains(&OUTRUN.1),
        "{labels:?}"
    );
    for params in ["", "hold = \"until_clear\"", "require_lending_up = false"] {
        crate::lookahead::assert_prefix_stable(&boxed("margin-divergence", params), &market, 7);
    }
}

/// The state machine runs from the first row, so a prefix check on the real margin era compares
/// the whole range's values with those of the history cut at a dozen days.
#[test]
fn the_state_machine_is_prefix_stable_on_real_data() {
    let full = shipped_market();
    let first = full.first_on_or_after(date("2014-01-02")).unwrap();
    let last = full.last_on_or_before(date("2016-06-30")).unwrap();
    let market = full.truncated(last);
    let mut signal = plugin("margin-divergence", "hold = \"until_clear\"");
    let whole = signal.outputs(market.history(last), first).unwrap();
    for t in (first..=last).step_by((last - first) / 12) {
        let cut = market.truncated(t);
        let mut fresh = plugin("margin-divergence", "hold = \"until_clear\"");
        let today = fresh.outputs(cut.history(t), t).unwrap();
        assert_eq!(
            (today[0].value, today[0].label),
            (whole[t - first].value, whole[t - first].label),
            "{}",
            market.dates[t]
        );
    }
}
