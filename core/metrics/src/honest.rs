//! Honest comparison: how uncertain a Sharpe ratio is, and how much of the best one out of many
//! trials is luck.

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use rayon::prelude::*;
use statrs::distribution::{ContinuousCDF, Normal};

/// Resamples one parallel task of [`sharpe_confidence_interval`] draws.
const RESAMPLES_PER_TASK: usize = 50;

/// How to resample for [`sharpe_confidence_interval`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bootstrap {
    /// Resampled series.
    pub resamples: usize,
    /// Block length in returns; 0 picks `max(5, round(n^(1/3)))`, the order Politis and White
    /// (2004) find optimal for block bootstraps of dependent series.
    pub block: usize,
    /// Seed of the ChaCha8 generator: same seed, same interval.
    pub seed: u64,
    /// Confidence level (0.95).
    pub level: f64,
}

impl Default for Bootstrap {
    fn default() -> Self {
        Bootstrap {
            resamples: 400,
            block: 0,
            seed: 20_260_121,
            level: 0.95,
        }
    }
}

/// The block length [`Bootstrap::block`] resolves to for `n` returns.
pub fn block_length(spec: &Bootstrap, n: usize) -> usize {
    if spec.block > 0 {
        spec.block.min(n.max(1))
    } else {
        ((n as f64).cbrt().round() as usize).max(5).min(n.max(1))
    }
}

/// Percentile confidence interval of the annualised Sharpe ratio by a circular block
/// bootstrap (Politis and Romano, 1992): each resample joins blocks of `block` consecutive
/// returns starting at random points, wrapping around the end, until it has `n` returns; the
/// interval runs between the (1 - level)/2 and (1 + level)/2 quantiles of the resamples'
/// Sharpe ratios. Blocks keep the returns' serial dependence, which plain resampling of days
/// would destroy. NaN bounds for fewer than two returns.
pub fn sharpe_confidence_interval(
    returns: &[f64],
    risk_free_per_period: f64,
    periods_per_year: f64,
    spec: &Bootstrap,
) -> (f64, f64) {
    let n = returns.len();
    if n < 2 || spec.resamples == 0 {
        return (f64::NAN, f64::NAN);
    }
    let block = block_length(spec, n);
    // Prefix sums of the excess returns and their squares over the series taken twice, so a
    // block that wraps around the end is one difference: a resample's Sharpe ratio costs one
    // subtraction per block instead of a pass over n returns (same draws, same blocks; the
    // sums differ from a pass only in rounding).
    let mut sums = Vec::with_capacity(2 * n + 1);
    let mut squares = Vec::with_capacity(2 * n + 1);
    let (mut s, mut q) = (0.0, 0.0);
    sums.push(s);
    squares.push(q);
    for k in 0..2 * n {
        let x = returns[k % n] - risk_free_per_period;
        s += x;
        q += x * x;
        sums.push(s);
        squares.push(q);
    }
    let count = n as f64;
    let annual = periods_per_year.sqrt();
    let starts = Remainder::new(n as u64);
    // Every resample draws the same number of block starts, one `u64` (two of the generator's
    // words) each, so resample r's draws begin at word 2 r draws: chunks of resamples run in
    // parallel from their own positions in the one stream and draw exactly what a single pass
    // would.
    let draws = n.div_ceil(block);
    let chunks = spec.resamples.div_ceil(RESAMPLES_PER_TASK);
    let (sums, squares) = (&sums, &squares);
    let mut ratios: Vec<f64> = (0..chunks)
        .into_par_iter()
        .flat_map_iter(|chunk| {
            let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
            let first = chunk * RESAMPLES_PER_TASK;
            rng.set_word_pos(2 * (first * draws) as u128);
            let last = (first + RESAMPLES_PER_TASK).min(spec.resamples);
            (first..last).map(move |_| {
                let (mut total, mut total_squares, mut taken) = (0.0, 0.0, 0);
                while taken < n {
                    let start = starts.of(rng.next_u64()) as usize;
                    let len = block.min(n - taken);
                    total += sums[start + len] - sums[start];
                    total_squares += squares[start + len] - squares[start];
                    taken += len;
                }
                let mean = total / count;
                let variance = (total_squares - count * mean * mean) / (count - 1.0);
                mean / variance.sqrt() * annual
            })
        })
        .filter(|s| s.is_finite())
        .collect();
    if ratios.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    ratios.sort_by(f64::total_cmp);
    let quantile =
        |q: f64| ratios[((q * (ratios.len() - 1) as f64).round() as usize).min(ratios.len() - 1)];
    let tail = (1.0 - spec.level) / 2.0;
    (quantile(tail), quantile(1.0 - tail))
}

/// `x % d` for a fixed `d` by a multiplication instead of a division (Lemire, Kaser and Kurz,
/// "Faster Remainder by Direct Computation", Software: Practice and Experience 49(6), 2019,
/// Theorem 1 with F = 128 and N = 64): with `M = ceil(2^128 / d)`, the remainder is the top
/// 128 bits of `(M x mod 2^128) d`, exact for every 64-bit `x` and `d >= 1`. The bootstrap
/// draws a block start this way hundreds of thousands of times per interval.
#[derive(Debug, Clone, Copy)]
struct Remainder {
    divisor: u64,
    /// `ceil(2^128 / divisor)`; 0 for a divisor of 1 (every remainder is 0).
    multiplier: u128,
}

impl Remainder {
    fn new(divisor: u64) -> Self {
        assert!(divisor > 0, "a remainder by zero");
        Remainder {
            divisor,
            multiplier: if divisor == 1 {
                0
            } else {
                u128::MAX / divisor as u128 + 1
            },
        }
    }

    fn of(self, x: u64) -> u64 {
        let fraction = self.multiplier.wrapping_mul(x as u128);
        let d = self.divisor as u128;
        // The top half of the 192-bit product fraction x d, from its two 64-bit halves.
        let low = (fraction as u64 as u128 * d) >> 64;
        (((fraction >> 64) * d + low) >> 64) as u64
    }
}

/// Sample skewness and (non-excess) kurtosis, as moments about the mean over n.
pub fn skewness_kurtosis(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let moment = |k: i32| values.iter().map(|v| (v - mean).powi(k)).sum::<f64>() / n;
    let variance = moment(2);
    (
        moment(3) / variance.powf(1.5),
        moment(4) / (variance * variance),
    )
}

/// Euler-Mascheroni constant.
const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;

/// The deflated Sharpe ratio of Bailey and Lopez de Prado ("The Deflated Sharpe Ratio:
/// Correcting for Selection Bias, Backtest Overfitting and Non-Normality", Journal of
/// Portfolio Management, 2014, eq. 2 with the expected maximum of eq. 3): the probability
/// that the best of `trials` strategies has a true Sharpe ratio above zero, once the
/// expected maximum of `trials` unskilled Sharpe ratios is taken off.
///
/// - `best`: the best trial's per-period (not annualised) Sharpe ratio;
/// - `observations`: its number of returns T;
/// - `skewness`, `kurtosis`: of its returns (kurtosis not in excess: 3 for normal returns);
/// - `trial_variance`: variance of the per-period Sharpe ratios across the trials;
/// - SR0 = sqrt(trial_variance) x ((1 - g) Z^-1(1 - 1/N) + g Z^-1(1 - 1/(N e))), g the
///   Euler-Mascheroni constant;
/// - DSR = Z((best - SR0) sqrt(T - 1) / sqrt(1 - skewness x best + (kurtosis - 1)/4 x best^2)).
///
/// NaN for fewer than two trials or two observations.
pub fn deflated_sharpe_ratio(
    best: f64,
    observations: usize,
    skewness: f64,
    kurtosis: f64,
    trial_variance: f64,
    trials: usize,
) -> f64 {
    if trials < 2 || observations < 2 {
        return f64::NAN;
    }
    let normal = Normal::standard();
    let n = trials as f64;
    let expected_max = trial_variance.sqrt()
        * ((1.0 - EULER_GAMMA) * normal.inverse_cdf(1.0 - 1.0 / n)
            + EULER_GAMMA * normal.inverse_cdf(1.0 - 1.0 / (n * std::f64::consts::E)));
    let spread = 1.0 - skewness * best + (kurtosis - 1.0) / 4.0 * best * best;
    if spread <= 0.0 {
        return f64::NAN;
    }
    normal.cdf((best - expected_max) * ((observations - 1) as f64).sqrt() / spread.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sharpe_ratio;

    #[test]
    fn the_direct_remainder_is_the_remainder() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut divisors = vec![1, 2, 3, 7, 10, 8694, 1 << 32, u64::MAX - 1, u64::MAX];
        divisors.extend(
            (0..200)
                .map(|_| rng.next_u64() >> (rng.next_u32() % 64))
                .filter(|d| *d > 0),
        );
        for d in divisors {
            let r = Remainder::new(d);
            for x in [0, 1, d - 1, d, d.wrapping_add(1), u64::MAX, u64::MAX - 1] {
                assert_eq!(r.of(x), x % d, "{x} % {d}");
            }
            for _ in 0..2_000 {
                let x = rng.next_u64();
                assert_eq!(r.of(x), x % d, "{x} % {d}");
            }
        }
    }

    #[test]
    fn prefix_sums_give_the_interval_a_pass_over_each_resample_gives() {
        // The reference: each resample built return by return, its Sharpe ratio by
        // `sharpe_ratio`, with the same generator and the same draws.
        let returns: Vec<f64> = (0..1000)
            .map(|i| 0.0005 + 0.012 * ((i * 7919 % 211) as f64 / 105.0 - 1.0))
            .collect();
        let spec = Bootstrap {
            resamples: 200,
            ..Bootstrap::default()
        };
        let rf = 0.0001;
        let block = block_length(&spec, returns.len());
        let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
        let mut ratios: Vec<f64> = (0..spec.resamples)
            .map(|_| {
                let mut sample = Vec::new();
                while sample.len() < returns.len() {
                    let start = (rng.next_u64() % returns.len() as u64) as usize;
                    for k in 0..block.min(returns.len() - sample.len()) {
                        sample.push(returns[(start + k) % returns.len()]);
                    }
                }
                sharpe_ratio(&sample, rf, 252.0)
            })
            .collect();
        ratios.sort_by(f64::total_cmp);
        let at = |q: f64| ratios[(q * (ratios.len() - 1) as f64).round() as usize];
        let (low, high) = sharpe_confidence_interval(&returns, rf, 252.0, &spec);
        assert!((low - at(0.025)).abs() < 1e-9, "{low} {}", at(0.025));
        assert!((high - at(0.975)).abs() < 1e-9, "{high} {}", at(0.975));
    }

    #[test]
    fn the_bootstrap_interval_brackets_the_sharpe_ratio_and_is_reproducible() {
        let returns: Vec<f64> = (0..500)
            .map(|i| 0.001 + 0.01 * ((i * 7919 % 101) as f64 / 50.0 - 1.0))
            .collect();
        let spec = Bootstrap::default();
        let sharpe = sharpe_ratio(&returns, 0.0, 252.0);
        let (low, high) = sharpe_confidence_interval(&returns, 0.0, 252.0, &spec);
        assert!(low < sharpe && sharpe < high, "{low} < {sharpe} < {high}");
        assert_eq!(
            (low, high),
            sharpe_confidence_interval(&returns, 0.0, 252.0, &spec)
        );
        let other = Bootstrap { seed: 7, ..spec };
        assert_ne!(
            (low, high),
            sharpe_confidence_interval(&returns, 0.0, 252.0, &other)
        );
    }

    #[test]
    fn deflated_sharpe_matches_the_papers_worked_example() {
        // Bailey and Lopez de Prado (2014), section 5: an annualised SR of 2.5 over 1,250
        // daily observations, 100 trials whose annualised SRs have variance 0.5, skewness
        // -3, kurtosis 10; 250 observations a year. The paper's expected maximum is an
        // annualised SR of 1.7502 and DSR = 0.9004.
        let per_year = 250.0f64;
        let best = 2.5 / per_year.sqrt();
        let variance = 0.5 / per_year;
        let dsr = deflated_sharpe_ratio(best, 1250, -3.0, 10.0, variance, 100);
        assert!((dsr - 0.9004).abs() < 0.002, "DSR {dsr}");
    }
}
