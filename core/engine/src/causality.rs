//! The causality audit: a signal checked at run time, on every window it answers, for the two
//! breaches of the [`Signal`] contract that the engine cannot see from the values alone.
//!
//! - **Reading ahead.** A signal's value on day `d` must be the same whether the history ends
//!   at the window's end or at any day `t >= d`. After the window is evaluated whole, fresh
//!   instances evaluate it again on the history cut at a few cut points (seeded, so the same
//!   run audits the same days); the first day whose value differs fails the signal's runs. A
//!   plugin that overrides its range evaluation and reads later rows is caught this way.
//! - **State shared across instances.** A second fresh instance evaluates the whole window
//!   again; two instances with the same inputs must agree, so a difference means state kept
//!   outside the instance (a global), which would make identical strategies differ.
//!
//! It costs one more whole evaluation and `cuts` partial ones (on average half a window each)
//! per signal and window: see BENCHMARKS.md.

use cyclebt_data::History;

use crate::signal::{DayError, Signal, SignalError};

/// How a signal is audited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CausalityAudit {
    /// Cut points per window.
    pub cuts: usize,
    /// Seed of the cut points: the same seed audits the same days.
    pub seed: u64,
}

impl Default for CausalityAudit {
    fn default() -> Self {
        CausalityAudit {
            cuts: 3,
            seed: 0x5eed_0c4a_05a1,
        }
    }
}

impl CausalityAudit {
    /// The cut points for decision days `first..=last`: up to `cuts` distinct days in
    /// `first..last` (the whole range is evaluated anyway), in increasing order, drawn with
    /// SplitMix64 from the seed and the range.
    pub fn cut_points(&self, first: usize, last: usize) -> Vec<usize> {
        let span = last.saturating_sub(first);
        let mut state = self.seed ^ ((first as u64) << 32) ^ last as u64;
        let mut points: Vec<usize> = Vec::new();
        for _ in 0..self.cuts.min(span) * 4 {
            if points.len() == self.cuts.min(span) {
                break;
            }
            let day = first + (splitmix64(&mut state) % span as u64) as usize;
            if !points.contains(&day) {
                points.push(day);
            }
        }
        points.sort_unstable();
        points
    }
}

/// One step of SplitMix64 (Steele, Lea and Flood 2014), the generator Java's
/// `SplittableRandom` uses.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Makes fresh instances of the audited signal.
pub type FreshSignal = Box<dyn Fn() -> Result<Box<dyn Signal>, String>>;

/// A signal whose range evaluations are audited as the module says.
pub struct AuditedSignal {
    inner: Box<dyn Signal>,
    fresh: FreshSignal,
    audit: CausalityAudit,
}

impl AuditedSignal {
    /// Audits `inner`, making the instances the audit needs with `fresh`.
    pub fn new(inner: Box<dyn Signal>, fresh: FreshSignal, audit: CausalityAudit) -> Self {
        AuditedSignal {
            inner,
            fresh,
            audit,
        }
    }

    /// A fresh instance's values for `first..=history.today()`.
    fn again(&self, history: History<'_>, first: usize) -> Result<Vec<f64>, DayError> {
        let mut signal = (self.fresh)().map_err(|message| DayError {
            day: first,
            error: SignalError {
                message: format!("the causality audit could not make a fresh instance: {message}"),
            },
        })?;
        let mut values = Vec::new();
        signal.evaluate_days(history, first, &mut values)?;
        Ok(values)
    }
}

/// The first index where `a` and `b` differ (NaN equals NaN), comparing the shorter length.
fn first_difference(a: &[f64], b: &[f64]) -> Option<usize> {
    a.iter()
        .zip(b)
        .position(|(x, y)| x.to_bits() != y.to_bits() && x != y)
}

impl Signal for AuditedSignal {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn requires(&self) -> Vec<cyclebt_data::Field> {
        self.inner.requires()
    }

    fn requires_series(&self) -> Vec<String> {
        self.inner.requires_series()
    }

    fn evaluate(&mut self, history: History<'_>) -> Result<f64, SignalError> {
        self.inner.evaluate(history)
    }

    fn take_labels(&mut self) -> Option<Vec<u32>> {
        self.inner.take_labels()
    }

    fn evaluate_days(
        &mut self,
        history: History<'_>,
        first: usize,
        out: &mut Vec<f64>,
    ) -> Result<(), DayError> {
        let start = out.len();
        self.inner.evaluate_days(history, first, out)?;
        let whole = &out[start..];
        let date = |day: usize| history.dates()[day];
        let twin = self.again(history, first)?;
        if let Some(i) = first_difference(whole, &twin) {
            return Err(DayError {
                day: first + i,
                error: SignalError {
                    message: format!(
                        "state shared across instances: a second instance with the same inputs gives {} on {} where the first gave {} (the causality audit; a plugin must keep its state in its instance)",
                        twin[i],
                        date(first + i),
                        whole[i]
                    ),
                },
            });
        }
        for cut in self.audit.cut_points(first, history.today()) {
            let cut_values = self.again(history.prefix(cut), first)?;
            if let Some(i) = first_difference(whole, &cut_values) {
                return Err(DayError {
                    day: first + i,
                    error: SignalError {
                        message: format!(
                            "reads ahead: with the history cut at {} its value on {} is {}, with the history to {} it is {} (the causality audit)",
                            date(cut),
                            date(first + i),
                            cut_values[i],
                            date(history.today()),
                            whole[i]
                        ),
                    },
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_points_are_seeded_distinct_and_inside_the_range() {
        let audit = CausalityAudit::default();
        let points = audit.cut_points(100, 400);
        assert_eq!(points, audit.cut_points(100, 400), "same seed, same days");
        assert_eq!(points.len(), 3);
        assert!(points.windows(2).all(|w| w[0] < w[1]));
        assert!(points.iter().all(|p| (100..400).contains(p)));
        let other = CausalityAudit { seed: 1, ..audit };
        assert_ne!(points, other.cut_points(100, 400));
        // A one-day range has no day to cut at before its last.
        assert!(audit.cut_points(5, 5).is_empty());
        assert_eq!(audit.cut_points(5, 6), vec![5]);
    }

    #[test]
    fn splitmix64_matches_the_reference_sequence() {
        // The first outputs for seed 0 from the reference implementation
        // (prng.di.unimi.it/splitmix64.c).
        let mut state = 0;
        assert_eq!(splitmix64(&mut state), 0xe220_a839_7b1d_cdaf);
        assert_eq!(splitmix64(&mut state), 0x6e78_9e6a_a1b9_65f4);
    }
}
