//! Performance metrics with the conventions of empyrical (`empyrical/stats.py`), the library
//! pyfolio and quantstats build on, so that users can check every number with a tool they
//! already trust. Each function states its formula and how it maps to empyrical's.
//!
//! Inputs are daily simple returns `r_1..r_n` of an equity curve `V_0..V_n` whose first point
//! is the starting capital, or that curve itself. `periods_per_year` is the annualisation
//! factor (empyrical's `annualization`, 252 for daily data by default). Ratios are `f64`:
//! they are measurements, not money. A ratio whose denominator is zero follows IEEE division,
//! as numpy does inside empyrical: `x/0` is ±infinity and `0/0` is NaN.
//!
//! **Architecture Invariant:** pure functions of their arguments; no I/O, no state (the
//! bootstrap draws from a generator seeded by its argument).

#![deny(missing_docs)]

mod honest;

pub use honest::{
    Bootstrap, block_length, deflated_sharpe_ratio, sharpe_confidence_interval, skewness_kurtosis,
};

/// empyrical's default annualisation factor for daily returns.
pub const DEFAULT_PERIODS_PER_YEAR: f64 = 252.0;

/// Simple returns `V_i / V_{i-1} - 1` of an equity curve, one fewer than its points.
pub fn simple_returns(values: &[f64]) -> Vec<f64> {
    values.windows(2).map(|w| w[1] / w[0] - 1.0).collect()
}

/// Compounded return `prod(1 + r_i) - 1` (empyrical `cum_returns_final`). 0 for no returns.
pub fn total_return(returns: &[f64]) -> f64 {
    returns.iter().fold(1.0, |acc, r| acc * (1.0 + r)) - 1.0
}

/// [`total_return`] of the curve's [`simple_returns`] without building them: the same bits.
pub fn curve_total_return(values: &[f64]) -> f64 {
    values
        .windows(2)
        .map(|w| w[1] / w[0] - 1.0)
        .fold(1.0, |acc, r| acc * (1.0 + r))
        - 1.0
}

/// What a summary row shows of its benchmark's curve: [`curve_total_return`] and
/// [`max_drawdown`]. Worked out once per benchmark run, which serves every row of its window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurveFigures {
    /// [`curve_total_return`].
    pub total_return: f64,
    /// [`max_drawdown`].
    pub max_drawdown: f64,
}

impl CurveFigures {
    /// The figures of an equity curve.
    pub fn of(values: &[f64]) -> Self {
        CurveFigures {
            total_return: curve_total_return(values),
            max_drawdown: max_drawdown(values),
        }
    }
}

/// Compound annual growth rate `(prod(1 + r_i))^(periods_per_year / n) - 1`, with `n` the
/// number of returns (empyrical `annual_return` / `cagr`: years = n / annualisation, not
/// calendar time). NaN for no returns.
pub fn cagr(returns: &[f64], periods_per_year: f64) -> f64 {
    cagr_of_total(total_return(returns), returns.len(), periods_per_year)
}

/// [`cagr`] from the [`total_return`] of `count` returns, for a caller that has it already.
pub fn cagr_of_total(total_return: f64, count: usize, periods_per_year: f64) -> f64 {
    if count == 0 {
        return f64::NAN;
    }
    let years = count as f64 / periods_per_year;
    (1.0 + total_return).powf(1.0 / years) - 1.0
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Sample standard deviation (`ddof = 1`); NaN for fewer than two values.
fn sample_std(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return f64::NAN;
    }
    let m = mean(values);
    let squares: f64 = values.iter().map(|v| (v - m) * (v - m)).sum();
    (squares / (values.len() - 1) as f64).sqrt()
}

/// Annualised volatility `std(r, ddof=1) * sqrt(periods_per_year)` (empyrical
/// `annual_volatility`). NaN for fewer than two returns.
pub fn annual_volatility(returns: &[f64], periods_per_year: f64) -> f64 {
    sample_std(returns) * periods_per_year.sqrt()
}

/// Converts an annual rate to a per-period one, `(1 + annual)^(1 / periods_per_year) - 1`
/// (quantstats' conversion; empyrical expects the per-period value as its `risk_free`).
pub fn per_period_rate(annual: f64, periods_per_year: f64) -> f64 {
    (1.0 + annual).powf(1.0 / periods_per_year) - 1.0
}

/// Sharpe ratio `mean(r - rf) / std(r - rf, ddof=1) * sqrt(periods_per_year)` with `rf` per
/// period (empyrical `sharpe_ratio`). NaN for fewer than two returns.
pub fn sharpe_ratio(returns: &[f64], risk_free_per_period: f64, periods_per_year: f64) -> f64 {
    let excess: Vec<f64> = returns.iter().map(|r| r - risk_free_per_period).collect();
    if excess.len() < 2 {
        return f64::NAN;
    }
    mean(&excess) / sample_std(&excess) * periods_per_year.sqrt()
}

/// Annualised downside deviation `sqrt(mean(min(r - required, 0)^2)) * sqrt(periods_per_year)`,
/// the mean taken over all `n` returns, not only the negative ones (empyrical `downside_risk`).
pub fn downside_risk(returns: &[f64], required_per_period: f64, periods_per_year: f64) -> f64 {
    if returns.is_empty() {
        return f64::NAN;
    }
    let squares: Vec<f64> = returns
        .iter()
        .map(|r| (r - required_per_period).min(0.0))
        .map(|d| d * d)
        .collect();
    mean(&squares).sqrt() * periods_per_year.sqrt()
}

/// Sortino ratio `mean(r - required) * periods_per_year / downside_risk` (empyrical
/// `sortino_ratio`). NaN for fewer than two returns; +infinity when no return falls below
/// `required`, as in empyrical.
pub fn sortino_ratio(returns: &[f64], required_per_period: f64, periods_per_year: f64) -> f64 {
    if returns.len() < 2 {
        return f64::NAN;
    }
    let excess: Vec<f64> = returns.iter().map(|r| r - required_per_period).collect();
    mean(&excess) * periods_per_year / downside_risk(returns, required_per_period, periods_per_year)
}

/// Drawdown of each point, `V_i / max(V_0..=V_i) - 1`: 0 at a new high, negative below it.
pub fn drawdowns(values: &[f64]) -> Vec<f64> {
    let mut peak = f64::NEG_INFINITY;
    values
        .iter()
        .map(|&v| {
            peak = peak.max(v);
            v / peak - 1.0
        })
        .collect()
}

/// Maximum drawdown and the longest stretch below a previous high of one curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DrawdownSummary {
    /// [`max_drawdown`].
    pub max_drawdown: f64,
    /// [`longest_drawdown_days`].
    pub longest_days: usize,
}

/// [`max_drawdown`] and [`longest_drawdown_days`] in one pass over the curve, with the same
/// arithmetic as [`drawdowns`] (so the same bits).
pub fn drawdown_summary(values: &[f64]) -> DrawdownSummary {
    let mut peak = f64::NEG_INFINITY;
    let mut summary = DrawdownSummary {
        max_drawdown: 0.0,
        longest_days: 0,
    };
    let mut current = 0;
    for &v in values {
        peak = peak.max(v);
        let drawdown = v / peak - 1.0;
        summary.max_drawdown = summary.max_drawdown.min(drawdown);
        current = if drawdown < 0.0 { current + 1 } else { 0 };
        summary.longest_days = summary.longest_days.max(current);
    }
    summary
}

/// Maximum drawdown `min_i (V_i / max(V_0..=V_i) - 1)`, a negative fraction or 0 (empyrical
/// `max_drawdown`, which prepends the starting value just as our curves begin with the starting
/// capital, so a loss on the first day counts).
pub fn max_drawdown(values: &[f64]) -> f64 {
    drawdown_summary(values).max_drawdown
}

/// Longest stretch, in trading days, spent below a previous high: the most consecutive points
/// with a negative drawdown, counting a stretch still open at the end. Counted in points of the
/// curve (trading days), not calendar days as quantstats does.
pub fn longest_drawdown_days(values: &[f64]) -> usize {
    drawdown_summary(values).longest_days
}

/// Calmar ratio `cagr / |max_drawdown|` (empyrical `calmar_ratio`); NaN when there is no
/// drawdown.
pub fn calmar_ratio(returns: &[f64], values: &[f64], periods_per_year: f64) -> f64 {
    calmar_of(cagr(returns, periods_per_year), max_drawdown(values))
}

/// [`calmar_ratio`] from a curve's [`cagr`] and [`max_drawdown`], for a caller that has them.
pub fn calmar_of(cagr: f64, max_drawdown: f64) -> f64 {
    if max_drawdown < 0.0 {
        cagr / max_drawdown.abs()
    } else {
        f64::NAN
    }
}

/// The metrics a summary row shows of one curve, from [`curve_metrics`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurveMetrics {
    /// Number of returns (points of the curve less one).
    pub returns: usize,
    /// [`total_return`].
    pub total_return: f64,
    /// [`annual_volatility`].
    pub annual_volatility: f64,
    /// [`sharpe_ratio`].
    pub sharpe: f64,
    /// [`sortino_ratio`].
    pub sortino: f64,
    /// [`drawdown_summary`].
    pub drawdown: DrawdownSummary,
}

/// [`total_return`], [`annual_volatility`], [`sharpe_ratio`], [`sortino_ratio`] (both with
/// `risk_free_per_period`) of the curve's [`simple_returns`], and its [`drawdown_summary`]:
/// the returns divided out once, one pass over them for the sums the means need, one for the
/// squared deviations from them, one over the curve for the drawdowns. Each sum adds the same
/// terms in the same order as the function it stands for, from the same neutral element, so
/// every field has the very bits that function gives
/// (`curve_metrics_equal_the_separate_functions_to_the_bit`): a sweep summarises every row, and
/// the separate functions took seven passes and three allocations.
pub fn curve_metrics(
    values: &[f64],
    risk_free_per_period: f64,
    periods_per_year: f64,
) -> CurveMetrics {
    // `Sum for f64`'s neutral element, whichever zero the standard library starts from.
    let zero: f64 = std::iter::empty::<f64>().sum();
    // Kept, not computed twice: a division is the dearest step of each pass.
    let returns: Vec<f64> = values.windows(2).map(|w| w[1] / w[0] - 1.0).collect();
    let count = returns.len();
    let mut growth = 1.0;
    let (mut sum, mut excess_sum, mut downside_squares) = (zero, zero, zero);
    for &r in &returns {
        growth *= 1.0 + r;
        sum += r;
        let excess = r - risk_free_per_period;
        excess_sum += excess;
        let shortfall = excess.min(0.0);
        downside_squares += shortfall * shortfall;
    }
    let n = count as f64;
    let (mean, excess_mean) = (sum / n, excess_sum / n);
    let (mut squares, mut excess_squares) = (zero, zero);
    for &r in &returns {
        squares += (r - mean) * (r - mean);
        let excess = r - risk_free_per_period;
        excess_squares += (excess - excess_mean) * (excess - excess_mean);
    }
    let sample_std = |squares: f64| {
        if count < 2 {
            f64::NAN
        } else {
            (squares / (count - 1) as f64).sqrt()
        }
    };
    let root = periods_per_year.sqrt();
    let downside = if count == 0 {
        f64::NAN
    } else {
        (downside_squares / n).sqrt() * root
    };
    let two_or_more = |x: f64| if count < 2 { f64::NAN } else { x };
    CurveMetrics {
        returns: count,
        total_return: growth - 1.0,
        annual_volatility: sample_std(squares) * root,
        sharpe: two_or_more(excess_mean / sample_std(excess_squares) * root),
        sortino: two_or_more(excess_mean * periods_per_year / downside),
        drawdown: drawdown_summary(values),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_returns_have_one_fewer_point() {
        assert_eq!(simple_returns(&[100.0, 150.0, 75.0]), vec![0.5, -0.5]);
        assert!(simple_returns(&[100.0]).is_empty());
    }

    #[test]
    fn drawdown_is_measured_from_the_running_peak() {
        assert_eq!(
            drawdowns(&[100.0, 120.0, 90.0, 130.0]),
            vec![0.0, 0.0, -0.25, 0.0]
        );
        assert_eq!(longest_drawdown_days(&[100.0, 90.0, 95.0, 100.0, 99.0]), 2);
    }

    #[test]
    fn the_one_pass_summary_equals_the_drawdown_series_to_the_bit() {
        let curve = [
            100.0,
            97.3,
            101.1,
            88.8,
            0.0,
            90.0,
            120.0,
            119.9,
            f64::NAN,
            118.0,
        ];
        let series = drawdowns(&curve);
        let mut longest = 0;
        let mut current = 0;
        for d in &series {
            current = if *d < 0.0 { current + 1 } else { 0 };
            longest = longest.max(current);
        }
        let summary = drawdown_summary(&curve);
        let folded = series.iter().copied().fold(0.0, f64::min);
        assert_eq!(summary.max_drawdown.to_bits(), folded.to_bits());
        assert_eq!(summary.max_drawdown, -1.0);
        assert_eq!(summary.longest_days, longest);
        assert_eq!(summary.longest_days, 3);
    }

    #[test]
    fn curve_metrics_equal_the_separate_functions_to_the_bit() {
        let wavy: Vec<f64> = (0..3000)
            .map(|i| 1000.0 + 300.0 * (i as f64 / 9.0).sin() + 0.37 * i as f64)
            .collect();
        let curves: [&[f64]; 6] = [
            &wavy,
            &[100.0, 97.3, 101.1, 88.8, 90.0, 120.0, 119.9, 118.0],
            &[100.0, 110.0, 121.0],
            &[100.0, 100.0, 100.0],
            &[100.0, 90.0],
            &[100.0],
        ];
        let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
        for curve in curves {
            for rf in [0.0, 0.0001] {
                let r = simple_returns(curve);
                let m = curve_metrics(curve, rf, 252.0);
                assert_eq!(m.returns, r.len());
                assert!(same(m.total_return, total_return(&r)), "{curve:?}");
                assert!(same(curve_total_return(curve), total_return(&r)));
                assert!(same(m.annual_volatility, annual_volatility(&r, 252.0)));
                assert!(
                    same(m.sharpe, sharpe_ratio(&r, rf, 252.0)),
                    "{curve:?} {rf}"
                );
                assert!(
                    same(m.sortino, sortino_ratio(&r, rf, 252.0)),
                    "{curve:?} {rf}"
                );
                assert_eq!(m.drawdown, drawdown_summary(curve));
            }
        }
        // Worked by hand: +10% twice, no deviation and no shortfall.
        let m = curve_metrics(&[100.0, 110.0, 121.0], 0.0, 252.0);
        assert!((m.total_return - 0.21).abs() < 1e-12);
        assert!(m.sortino.is_infinite());
    }
}

/// `sharpe_ratio` of each trailing window of `window` returns, `r[t + 1 - window..=t]`, at
/// every `t` (pyfolio's `rolling_sharpe`); NaN before the first full window and where the
/// window's returns are all equal (no deviation: the ratio is undefined, where the direct
/// formula gives a rounding residue's huge value).
pub fn rolling_sharpe(
    returns: &[f64],
    window: usize,
    risk_free_per_period: f64,
    periods_per_year: f64,
) -> Vec<f64> {
    let excess: Vec<f64> = returns.iter().map(|r| r - risk_free_per_period).collect();
    rolling_moments(&excess, window)
        .into_iter()
        .map(|m| match m {
            Some((mean, std)) if std > 0.0 => mean / std * periods_per_year.sqrt(),
            _ => f64::NAN,
        })
        .collect()
}

/// `annual_volatility` of each trailing window of `window` returns (pyfolio's
/// `rolling_volatility`); NaN before the first full window.
pub fn rolling_volatility(returns: &[f64], window: usize, periods_per_year: f64) -> Vec<f64> {
    rolling_moments(returns, window)
        .into_iter()
        .map(|m| m.map_or(f64::NAN, |(_, std)| std * periods_per_year.sqrt()))
        .collect()
}

/// Mean and sample standard deviation of each trailing window of `window` values (None
/// before the first full window, or for a window under 2), in O(n): running sums of the values
/// and their squares, moved a day at a time and summed afresh every `window` days so rounding
/// cannot build up (and every day while a non-finite value has made them NaN). A window whose values are all equal gets a deviation of exactly 0, as the
/// direct formula gives, not the rounding residue of the running sums.
fn rolling_moments(values: &[f64], window: usize) -> Vec<Option<(f64, f64)>> {
    if window < 2 {
        return vec![None; values.len()];
    }
    let n = window as f64;
    let (mut sum, mut squares) = (0.0_f64, 0.0_f64);
    // Days since the value last changed, to recognise a constant window.
    let mut unchanged = 0;
    (0..values.len())
        .map(|t| {
            let v = values[t];
            unchanged = if t > 0 && v == values[t - 1] {
                unchanged + 1
            } else {
                1
            };
            // A non-finite value poisons the running sums; once it has left the window they are
            // summed afresh, so it stops counting when its window does.
            if t >= window && t % window != 0 && sum.is_finite() && squares.is_finite() {
                let old = values[t - window];
                sum += v - old;
                squares += v * v - old * old;
            } else {
                let from = (t + 1).saturating_sub(window);
                sum = values[from..=t].iter().sum();
                squares = values[from..=t].iter().map(|x| x * x).sum();
            }
            if t + 1 < window {
                return None;
            }
            let mean = sum / n;
            let std = if unchanged >= window {
                0.0
            } else {
                // A rounding residue below zero is no deviation; NaN stays NaN (`f64::max`
                // would turn it into 0).
                let variance = (squares - sum * mean) / (n - 1.0);
                if variance < 0.0 { 0.0 } else { variance.sqrt() }
            };
            Some((mean, std))
        })
        .collect()
}

/// One drawdown: from a peak to the first point back at or above it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DrawdownPeriod {
    /// Index of the peak it fell from.
    pub peak: usize,
    /// Index of its lowest point.
    pub trough: usize,
    /// Index of the first point at or above the peak again; None while it lasts.
    pub recovery: Option<usize>,
    /// `V_trough / V_peak - 1`, negative.
    pub depth: f64,
}

/// The `count` deepest drawdowns of `values`, deepest first (pyfolio's
/// `gen_drawdown_table`: peak, valley, recovery and net drawdown). Periods do not overlap: each
/// starts at a running high and ends at the first point back at or above it.
pub fn worst_drawdowns(values: &[f64], count: usize) -> Vec<DrawdownPeriod> {
    let mut periods: Vec<DrawdownPeriod> = Vec::new();
    let mut peak = 0;
    let mut open: Option<DrawdownPeriod> = None;
    for (i, &v) in values.iter().enumerate() {
        if !v.is_finite() {
            continue;
        }
        if v >= values[peak] {
            if let Some(mut period) = open.take() {
                period.recovery = Some(i);
                periods.push(period);
            }
            peak = i;
            continue;
        }
        let depth = v / values[peak] - 1.0;
        match &mut open {
            Some(period) if depth < period.depth => {
                period.trough = i;
                period.depth = depth;
            }
            Some(_) => {}
            None => {
                open = Some(DrawdownPeriod {
                    peak,
                    trough: i,
                    recovery: None,
                    depth,
                })
            }
        }
    }
    periods.extend(open);
    periods.sort_by(|a, b| a.depth.total_cmp(&b.depth).then(a.peak.cmp(&b.peak)));
    periods.truncate(count);
    periods
}
