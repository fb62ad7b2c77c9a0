//! Honest selection: how much of the best configuration's edge survives out of sample.
//!
//! Pure functions over scores and daily returns of candidates (a candidate is one parameter
//! combination with one sizing rule); `cyclebt validate` feeds them the executor's runs.

use chrono::{Months, NaiveDate};

/// The per-period Sharpe ratio `mean / sd` (sample standard deviation, n - 1) from a count,
/// a sum and a sum of squares; NaN for fewer than two values or no dispersion.
fn sharpe_of(n: f64, sum: f64, squares: f64) -> f64 {
    if n < 2.0 {
        return f64::NAN;
    }
    let mean = sum / n;
    let variance = (squares - n * mean * mean) / (n - 1.0);
    if variance <= 0.0 {
        return f64::NAN;
    }
    mean / variance.sqrt()
}

/// The per-period Sharpe ratio of `returns` (`mean / sd`, no risk-free rate, not annualised).
pub fn sharpe(returns: &[f64]) -> f64 {
    let (sum, squares) = returns
        .iter()
        .fold((0.0, 0.0), |(s, q), r| (s + r, q + r * r));
    sharpe_of(returns.len() as f64, sum, squares)
}

/// Index of the largest finite value; the first on ties; None when none is finite.
pub fn best(values: impl IntoIterator<Item = f64>) -> Option<usize> {
    let mut chosen: Option<(usize, f64)> = None;
    for (i, v) in values.into_iter().enumerate() {
        if v.is_finite() && chosen.is_none_or(|(_, b)| v > b) {
            chosen = Some((i, v));
        }
    }
    chosen.map(|(i, _)| i)
}

/// The probability of backtest overfitting by combinatorially symmetric cross-validation.
#[derive(Debug, Clone, PartialEq)]
pub struct Pbo {
    /// Share of the splits whose in-sample best ranks at or below the out-of-sample median
    /// (logit <= 0).
    pub pbo: f64,
    /// The logit of the in-sample best's relative out-of-sample rank, one per split.
    pub logits: Vec<f64>,
    /// Blocks the returns were cut into.
    pub blocks: usize,
}

/// PBO by CSCV (Bailey, Borwein, Lopez de Prado and Zhu, "The Probability of Backtest
/// Overfitting", Journal of Computational Finance 20(4), 2017; SSRN 2326253, 2015), section
/// 2: the T x N matrix of daily returns of N candidates (`returns[n]`, all of length T) is cut
/// into S consecutive blocks (sizes differing by one at most). For each of the C(S, S/2)
/// ways to pick half the blocks as the in-sample set J (the rest, J', out of sample):
/// n* = argmax over n of the Sharpe ratio on J; w = rank of n*'s Sharpe on J' among the N
/// (1 worst .. N best, ties at their mean rank) / (N + 1); logit = ln(w / (1 - w)).
/// PBO = share of splits with logit <= 0: how often the in-sample winner is no better than
/// the out-of-sample median. About 0.5 when no candidate is truly better (pure noise), near 0
/// when the in-sample ranking carries out of sample.
///
/// None for fewer than two candidates, an odd or out-of-range S (2..=24), or fewer than two
/// returns per block.
pub fn pbo_cscv(returns: &[Vec<f64>], blocks: usize) -> Option<Pbo> {
    let n = returns.len();
    let t = returns.first()?.len();
    if n < 2 || !(2..=24).contains(&blocks) || !blocks.is_multiple_of(2) || t < 2 * blocks {
        return None;
    }
    if returns.iter().any(|r| r.len() != t) {
        return None;
    }
    // Per candidate and block: count, sum and sum of squares.
    let bounds: Vec<usize> = (0..=blocks).map(|b| b * t / blocks).collect();
    let stats: Vec<Vec<(f64, f64, f64)>> = returns
        .iter()
        .map(|r| {
            (0..blocks)
                .map(|b| {
                    let part = &r[bounds[b]..bounds[b + 1]];
                    let (s, q) = part.iter().fold((0.0, 0.0), |(s, q), x| (s + x, q + x * x));
                    (part.len() as f64, s, q)
                })
                .collect()
        })
        .collect();
    let mut logits = Vec::new();
    let mut in_sample = vec![0.0; n];
    let mut out_of_sample = vec![0.0; n];
    for mask in 0u32..(1 << blocks) {
        if mask.count_ones() as usize != blocks / 2 {
            continue;
        }
        for (c, per_block) in stats.iter().enumerate() {
            let (mut a, mut b) = ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0));
            for (k, (cnt, s, q)) in per_block.iter().enumerate() {
                let side = if mask & (1 << k) != 0 { &mut a } else { &mut b };
                side.0 += cnt;
                side.1 += s;
                side.2 += q;
            }
            in_sample[c] = sharpe_of(a.0, a.1, a.2);
            out_of_sample[c] = sharpe_of(b.0, b.1, b.2);
        }
        let Some(chosen) = best(in_sample.iter().copied()) else {
            continue;
        };
        let score = out_of_sample[chosen];
        if !score.is_finite() {
            continue;
        }
        let below = out_of_sample.iter().filter(|v| **v < score).count() as f64;
        let equal = out_of_sample.iter().filter(|v| **v == score).count() as f64;
        let rank = below + (equal + 1.0) / 2.0;
        let w = rank / (n as f64 + 1.0);
        logits.push((w / (1.0 - w)).ln());
    }
    if logits.is_empty() {
        return None;
    }
    let overfit = logits.iter().filter(|l| **l <= 0.0).count();
    Some(Pbo {
        pbo: overfit as f64 / logits.len() as f64,
        logits,
        blocks,
    })
}

/// The deflated Sharpe ratio of the candidate `chosen` among `returns` (every candidate's
/// daily returns over the same days): `cyclebt_metrics::deflated_sharpe_ratio` with
/// its per-period Sharpe, skewness and kurtosis, and the variance of all candidates' Sharpe
/// ratios, with N = the number of candidates tried (Bailey and Lopez de Prado 2014, eq. 2-3).
/// Above 0.95: the best is unlikely to be the luck of N tries.
pub fn deflated_sharpe(returns: &[Vec<f64>], chosen: usize) -> f64 {
    let sharpes: Vec<f64> = returns
        .iter()
        .map(|r| sharpe(r))
        .filter(|s| s.is_finite())
        .collect();
    if sharpes.len() < 2 {
        return f64::NAN;
    }
    let mean = sharpes.iter().sum::<f64>() / sharpes.len() as f64;
    let variance =
        sharpes.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (sharpes.len() - 1) as f64;
    let (skewness, kurtosis) = cyclebt_metrics::skewness_kurtosis(&returns[chosen]);
    cyclebt_metrics::deflated_sharpe_ratio(
        sharpe(&returns[chosen]),
        returns[chosen].len(),
        skewness,
        kurtosis,
        variance,
        returns.len(),
    )
}

/// One fold of leave-one-out selection.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldOut {
    /// The window left out.
    pub window: usize,
    /// The candidate with the best mean score on the other windows.
    pub chosen: usize,
    /// Its mean score on the other windows.
    pub in_sample: f64,
    /// Its score on the window left out.
    pub out_of_sample: f64,
    /// Its rank there among the candidates with a score (1 best).
    pub rank: usize,
    /// Candidates with a score there.
    pub ranked: usize,
}

/// Leave-one-out selection over windows (the bull cycles, or the whole cycles): for each
/// window k, the candidate with the best mean `scores[w][c]` over the windows w != k (only
/// candidates with a finite score on every one of them) is chosen and scored on k. The gap
/// between the in-sample mean and the out-of-sample score, and the out-of-sample rank, say
/// how much of the choice was fitted to the windows it was chosen on.
pub fn leave_one_out(scores: &[Vec<f64>]) -> Vec<HeldOut> {
    let candidates = scores.first().map_or(0, Vec::len);
    (0..scores.len())
        .filter_map(|k| {
            let means = (0..candidates).map(|c| {
                let others: Vec<f64> = (0..scores.len())
                    .filter(|w| *w != k)
                    .map(|w| scores[w][c])
                    .collect();
                if others.iter().all(|v| v.is_finite()) && !others.is_empty() {
                    others.iter().sum::<f64>() / others.len() as f64
                } else {
                    f64::NAN
                }
            });
            let means: Vec<f64> = means.collect();
            let chosen = best(means.iter().copied())?;
            let out = scores[k][chosen];
            let ranked = scores[k].iter().filter(|v| v.is_finite()).count();
            let rank = 1 + scores[k]
                .iter()
                .filter(|v| v.is_finite() && **v > out)
                .count();
            Some(HeldOut {
                window: k,
                chosen,
                in_sample: means[chosen],
                out_of_sample: out,
                rank,
                ranked,
            })
        })
        .collect()
}

/// One step of a walk-forward.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// First day of training.
    pub train_start: NaiveDate,
    /// First day of the test (the day after training ends).
    pub test_start: NaiveDate,
    /// Last day of the test.
    pub test_end: NaiveDate,
    /// The candidate with the best Sharpe ratio on the training days.
    pub chosen: usize,
    /// Its per-period Sharpe ratio in training.
    pub in_sample: f64,
    /// Its per-period Sharpe ratio in the test.
    pub out_of_sample: f64,
}

/// A walk-forward: the steps and the test segments' returns, stitched.
#[derive(Debug, Clone, PartialEq)]
pub struct WalkForward {
    /// Each train/test step.
    pub steps: Vec<Step>,
    /// The day of each stitched out-of-sample return.
    pub dates: Vec<NaiveDate>,
    /// The chosen candidate's return on each test day.
    pub returns: Vec<f64>,
}

/// Walk-forward selection: train on `train_years`, test on the next `test_years`, then move on
/// by `test_years`; anchored training always starts at the first day, rolling training keeps
/// its length. `dates[i]` is the day of `returns[c][i]` (the return from the close before to
/// that close). At each step the candidate with the best Sharpe on the training days is
/// chosen, on returns that all lie before the test's first day, and its returns on the test
/// days are appended: the stitched curve is what following the procedure would have earned
/// from each candidate's own run (switching candidates costs nothing extra here: a caveat).
pub fn walk_forward(
    dates: &[NaiveDate],
    returns: &[Vec<f64>],
    train_years: u32,
    test_years: u32,
    anchored: bool,
) -> WalkForward {
    let mut result = WalkForward {
        steps: Vec::new(),
        dates: Vec::new(),
        returns: Vec::new(),
    };
    let (Some(&first), Some(&last)) = (dates.first(), dates.last()) else {
        return result;
    };
    let add = |d: NaiveDate, years: u32| d.checked_add_months(Months::new(12 * years));
    let index = |d: NaiveDate| dates.partition_point(|x| *x < d);
    let mut test_start = match add(first, train_years) {
        Some(d) => d,
        None => return result,
    };
    while test_start <= last && test_years > 0 {
        let Some(test_end) = add(test_start, test_years) else {
            break;
        };
        let train_from = if anchored {
            first
        } else {
            test_start
                .checked_sub_months(Months::new(12 * train_years))
                .unwrap_or(first)
        };
        let (a, b, c) = (index(train_from), index(test_start), index(test_end));
        if c <= b {
            break;
        }
        let trained: Vec<f64> = returns.iter().map(|r| sharpe(&r[a..b])).collect();
        if let Some(chosen) = best(trained.iter().copied()) {
            result.steps.push(Step {
                train_start: dates[a],
                test_start: dates[b],
                test_end: dates[c - 1],
                chosen,
                in_sample: trained[chosen],
                out_of_sample: sharpe(&returns[chosen][b..c]),
            });
            result.dates.extend_from_slice(&dates[b..c]);
            result.returns.extend_from_slice(&returns[chosen][b..c]);
        }
        test_start = test_end;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha8Rng;
    use rand_core::{Rng, SeedableRng};

    /// Standard normal draws by Box-Muller from a seeded generator.
    fn normals(rng: &mut ChaCha8Rng, n: usize) -> Vec<f64> {
        (0..n)
            .map(|_| {
                let u1 = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                let u2 = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                (-2.0 * (u1.max(1e-300)).ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
            })
            .collect()
    }

    #[test]
    fn a_grid_of_pure_noise_overfits_half_the_time_and_its_best_is_not_significant() {
        // Grids of 20 candidates of i.i.d. N(0, 1%) returns over 1,000 days: no candidate is
        // better, so the in-sample winner lands above or below the out-of-sample median by
        // chance. One grid's PBO scatters widely (its splits share the same days), so the
        // claim is about the mean over 20 independent grids.
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut pbos = Vec::new();
        for _ in 0..20 {
            let returns: Vec<Vec<f64>> = (0..20)
                .map(|_| normals(&mut rng, 1000).iter().map(|z| 0.01 * z).collect())
                .collect();
            let pbo = pbo_cscv(&returns, 16).unwrap();
            assert_eq!(pbo.logits.len(), 12_870); // C(16, 8)
            pbos.push(pbo.pbo);
            let chosen = best(returns.iter().map(|r| sharpe(r))).unwrap();
            let dsr = deflated_sharpe(&returns, chosen);
            assert!(dsr < 0.95, "DSR {dsr} should not be significant");
        }
        let mean = pbos.iter().sum::<f64>() / pbos.len() as f64;
        assert!((mean - 0.5).abs() < 0.1, "mean PBO {mean}, each {pbos:?}");
    }

    #[test]
    fn a_grid_where_one_parameter_matters_has_a_low_pbo() {
        // Candidate k earns a true mean of k x 0.01% a day on top of the same kind of noise:
        // the in-sample ranking mostly carries out of sample.
        let mut rng = ChaCha8Rng::seed_from_u64(10);
        let returns: Vec<Vec<f64>> = (0..20)
            .map(|k| {
                normals(&mut rng, 2000)
                    .iter()
                    .map(|z| 0.0001 * k as f64 + 0.01 * z)
                    .collect()
            })
            .collect();
        let pbo = pbo_cscv(&returns, 16).unwrap();
        assert!(pbo.pbo < 0.1, "PBO {}", pbo.pbo);
        let dsr = deflated_sharpe(&returns, 19);
        assert!(dsr > 0.95, "DSR {dsr}");
    }

    #[test]
    fn pbo_of_two_candidates_is_worked_by_hand() {
        // Two blocks each way: S = 2 gives the splits {J = block 0} and {J = block 1}.
        // Candidate 0 wins block 0, candidate 1 wins block 1: each split's in-sample winner is
        // the out-of-sample loser (rank 1 of 2, w = 1/3, logit = ln(1/2)): PBO = 1.
        let a = vec![0.02, 0.01, -0.01, -0.02];
        let b = vec![-0.01, -0.005, 0.01, 0.03];
        let pbo = pbo_cscv(&[a, b], 2).unwrap();
        assert_eq!(pbo.logits.len(), 2);
        assert_eq!(pbo.pbo, 1.0);
        assert!((pbo.logits[0] - 0.5f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn leave_one_out_chooses_on_the_other_windows() {
        // Three windows, three candidates; worked by hand: leaving out window 0, the means on
        // windows 1-2 are 1.5, 2.5, 1.0: candidate 1, which scores 0.0 on window 0 (rank 3).
        let scores = vec![
            vec![3.0, 0.0, 1.0],
            vec![1.0, 2.0, 1.0],
            vec![2.0, 3.0, 1.0],
        ];
        let folds = leave_one_out(&scores);
        assert_eq!(folds[0].chosen, 1);
        assert_eq!(folds[0].in_sample, 2.5);
        assert_eq!((folds[0].out_of_sample, folds[0].rank), (0.0, 3));
        // Leaving out window 1: means 2.5, 1.5, 1.0: candidate 0, 1.0 there, rank 2 (tied
        // candidates count once each above: only 2.0 is strictly above).
        assert_eq!(folds[1].chosen, 0);
        assert_eq!(folds[1].rank, 2);
    }

    #[test]
    fn walk_forward_chooses_on_past_days_only_and_stitches_the_tests() {
        let start = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
        let dates: Vec<NaiveDate> = (0..365 * 4).map(|i| start + chrono::Days::new(i)).collect();
        // Candidate 0 rises steadily with noise in year 1 then loses; candidate 1 the reverse.
        let wave = |i: usize| if i.is_multiple_of(2) { 0.001 } else { -0.0005 };
        let a: Vec<f64> = (0..dates.len())
            .map(|i| {
                if i < 365 {
                    wave(i) + 0.001
                } else {
                    wave(i) - 0.001
                }
            })
            .collect();
        let b: Vec<f64> = (0..dates.len())
            .map(|i| {
                if i < 365 {
                    wave(i) - 0.001
                } else {
                    wave(i) + 0.001
                }
            })
            .collect();
        let wf = walk_forward(&dates, &[a.clone(), b.clone()], 1, 1, false);
        // Step 1 trains on year 1 (candidate 0 wins) and tests on year 2, where it loses.
        assert_eq!(wf.steps[0].chosen, 0);
        assert!(wf.steps[0].out_of_sample < 0.0);
        assert_eq!(wf.steps[1].chosen, 1);
        // 2000 is a leap year: the first test day, 2001-01-01, is day 366.
        assert_eq!(wf.dates[0], NaiveDate::from_ymd_opt(2001, 1, 1).unwrap());
        assert_eq!(wf.returns[..10], a[366..376]);
        assert_eq!(
            wf.steps[1].test_start,
            NaiveDate::from_ymd_opt(2002, 1, 1).unwrap()
        );
    }
}
