//! Each metric on a small series worked out by hand. The curve 100, 110, 99, 99, 118.8 has
//! returns r = 0.1, -0.1, 0, 0.2. By hand:
//! - total return 118.8/100 - 1 = 0.188
//! - mean 0.05; squared deviations 0.0025 + 0.0225 + 0.0025 + 0.0225 = 0.05; sample variance
//!   0.05/3; std 0.1290994
//! - annual volatility 0.1290994 x sqrt(252) = 2.0493902
//! - Sharpe 0.05/0.1290994 x sqrt(252) = 6.1481705
//! - downside: min(r, 0)^2 = 0, 0.01, 0, 0, mean 0.0025 over all four, root 0.05, x sqrt(252)
//!   = 0.7937254; Sortino 0.05 x 252 / 0.7937254 = 15.8745079
//! - max drawdown 99/110 - 1 = -0.1; two days below the 110 high
//! - with 4 periods a year the four returns are one year: CAGR 0.188, Calmar 0.188/0.1 = 1.88
//!
//! The same figures come out of empyrical 0.5 (`cum_returns_final`, `annual_volatility`,
//! `sharpe_ratio`, `sortino_ratio`, `max_drawdown`, `annual_return(annualization=4)`,
//! `calmar_ratio(annualization=4)`); with risk_free=0.001 per period its Sharpe is 6.0252071.

use cyclebt_metrics::*;

const CURVE: [f64; 5] = [100.0, 110.0, 99.0, 99.0, 118.8];

fn close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() < 1e-6,
        "got {actual}, expected {expected}"
    );
}

fn returns() -> Vec<f64> {
    simple_returns(&CURVE)
}

#[test]
fn total_return_compounds() {
    close(total_return(&returns()), 0.188);
}

#[test]
fn cagr_counts_years_by_number_of_returns() {
    close(cagr(&returns(), 4.0), 0.188);
    // Two years of returns at 2 periods a year: sqrt(1.188) - 1.
    close(cagr(&returns(), 2.0), 1.188f64.sqrt() - 1.0);
    assert!(cagr(&[], 252.0).is_nan());
}

#[test]
fn volatility_is_the_sample_std_annualised() {
    close(annual_volatility(&returns(), 252.0), 2.0493902);
    assert!(annual_volatility(&[0.1], 252.0).is_nan());
}

#[test]
fn sharpe_uses_the_sample_std_and_a_per_period_risk_free_rate() {
    close(sharpe_ratio(&returns(), 0.0, 252.0), 6.1481705);
    close(sharpe_ratio(&returns(), 0.001, 252.0), 6.0252071);
    // An annual 2.52% is about 0.0000988 a day at 252 periods: (1.0252)^(1/252) - 1.
    close(
        per_period_rate(0.0252, 252.0),
        1.0252f64.powf(1.0 / 252.0) - 1.0,
    );
}

#[test]
fn sortino_divides_by_the_downside_deviation_over_all_returns() {
    close(downside_risk(&returns(), 0.0, 252.0), 0.7937254);
    close(sortino_ratio(&returns(), 0.0, 252.0), 15.8745079);
    // Required return 0.001 a period (empyrical's `required_return`): excess returns 0.099,
    // -0.101, -0.001, 0.199, mean 0.049; downside sqrt((0.101^2 + 0.001^2) / 4) x sqrt(252)
    // = 0.8017019; 0.049 x 252 / 0.8017019 = 15.4022329.
    close(downside_risk(&returns(), 0.001, 252.0), 0.8017019);
    close(sortino_ratio(&returns(), 0.001, 252.0), 15.4022329);
    assert_eq!(sortino_ratio(&[0.1, 0.2], 0.0, 252.0), f64::INFINITY);
}

#[test]
fn max_drawdown_is_negative_and_counts_a_first_day_loss() {
    close(max_drawdown(&CURVE), -0.1);
    close(max_drawdown(&[100.0, 80.0, 120.0]), -0.2);
    assert_eq!(max_drawdown(&[100.0, 101.0]), 0.0);
}

#[test]
fn longest_drawdown_counts_trading_days_below_a_high() {
    assert_eq!(longest_drawdown_days(&CURVE), 2);
    // Still under water at the end: counted.
    assert_eq!(longest_drawdown_days(&[100.0, 90.0, 91.0, 92.0]), 3);
}

#[test]
fn calmar_is_cagr_over_the_drawdown() {
    close(calmar_ratio(&returns(), &CURVE, 4.0), 1.88);
    assert!(calmar_ratio(&[0.1], &[100.0, 110.0], 252.0).is_nan());
}

#[test]
fn rolling_statistics_are_the_statistic_of_each_trailing_window() {
    // Windows of 3: [0.01, -0.02, 0.03] and [-0.02, 0.03, 0.01]. The first has mean 0.00667
    // and sample std 0.02517 (deviations 0.00333, -0.02667, 0.02333; squares summed 0.0012667,
    // over 2); the second the same values reordered, so the same statistics.
    let r = [0.01, -0.02, 0.03, 0.01];
    let sharpe = rolling_sharpe(&r, 3, 0.0, 252.0);
    assert!(sharpe[0].is_nan() && sharpe[1].is_nan());
    close(sharpe[2], 0.006_666_667 / 0.025_166_115 * 252f64.sqrt());
    close(sharpe[3], sharpe[2]);
    let vol = rolling_volatility(&r, 3, 252.0);
    assert!(vol[1].is_nan());
    close(vol[2], 0.025_166_115 * 252f64.sqrt());
    // A NaN counts only while it is in the window: the window [0.02, -0.01, 0.03] after it is
    // the first two windows' values again, reordered, so their statistics.
    let r = [0.01, -0.02, 0.03, 0.01, f64::NAN, 0.02, -0.01, 0.03, 0.02];
    let vol = rolling_volatility(&r, 3, 252.0);
    assert!(vol[4..=6].iter().all(|v| v.is_nan()), "{vol:?}");
    close(vol[7], annual_volatility(&r[5..=7], 252.0));
    close(vol[8], annual_volatility(&r[6..=8], 252.0));
}

#[test]
fn rolling_statistics_equal_the_direct_formulas_over_long_and_flat_series() {
    // 3,000 seeded returns with stretches out of the market (exact zeros, longer than the
    // window) and one of a constant drift: each window's value equals sharpe_ratio and
    // annual_volatility of that window computed directly; a window of equal returns has no
    // volatility and no Sharpe ratio (NaN), where the direct formula divides by a residue.
    let mut state = 12_345_u64;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let r: Vec<f64> = (0..3000)
        .map(|t| match t {
            500..=800 => 0.0,
            1500..=1700 => 0.001,
            _ => next() * 0.04,
        })
        .collect();
    let window = 126;
    let (rf, ppy) = (0.0001, 252.0);
    let sharpe = rolling_sharpe(&r, window, rf, ppy);
    let vol = rolling_volatility(&r, window, ppy);
    for t in 0..r.len() {
        if t + 1 < window {
            assert!(sharpe[t].is_nan() && vol[t].is_nan());
            continue;
        }
        let w = &r[t + 1 - window..=t];
        if w.iter().all(|x| *x == w[0]) {
            assert!(
                sharpe[t].is_nan() && vol[t] == 0.0,
                "constant window at {t}"
            );
            continue;
        }
        let (s, v) = (sharpe_ratio(w, rf, ppy), annual_volatility(w, ppy));
        let same = |a: f64, b: f64| {
            (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-9 * b.abs().max(1.0)
        };
        assert!(
            same(sharpe[t], s),
            "sharpe at {t}: {} against {s}",
            sharpe[t]
        );
        assert!(same(vol[t], v), "volatility at {t}: {} against {v}", vol[t]);
    }
    // Inside the flat stretches: no volatility at all.
    assert_eq!(vol[700], 0.0);
    assert_eq!(vol[1690], 0.0);
}

#[test]
fn worst_drawdowns_are_peak_trough_recovery_deepest_first() {
    // 100 -> 80 (-20%) back to 100 at index 3; 110 -> 99 (-10%) not recovered; a 1% dip.
    let v = [
        100.0, 90.0, 80.0, 100.0, 110.0, 108.9, 115.0, 103.5, 99.0, 105.0,
    ];
    let worst = worst_drawdowns(&v, 2);
    assert_eq!(worst.len(), 2);
    assert_eq!(
        (worst[0].peak, worst[0].trough, worst[0].recovery),
        (0, 2, Some(3))
    );
    close(worst[0].depth, -0.2);
    // 115 at index 6 to 99 at index 8: -13.9%, still under water at the end.
    assert_eq!(
        (worst[1].peak, worst[1].trough, worst[1].recovery),
        (6, 8, None)
    );
    close(worst[1].depth, 99.0 / 115.0 - 1.0);
    // The third, 110 -> 108.9 (-1%), recovered at 115.
    let all = worst_drawdowns(&v, 5);
    assert_eq!(all.len(), 3);
    assert_eq!(
        (all[2].peak, all[2].trough, all[2].recovery),
        (4, 5, Some(6))
    );
}
