//! Sizing rules: how much of its equity a strategy holds once its rules say "in".
//!
//! Every rule is computed at the close of the decision day from rows up to that day. An
//! exposure above 1 is bought on credit (see [`crate::account`]).
//!
//! | rule | exposure while in the market |
//! |---|---|
//! | `full` | 1 |
//! | `fixed_fraction` | `fraction` (above 1: leverage) |
//! | `signal_scaled` | `max` x the named signal's value, clipped to [0, 1] |
//! | `vol_target` | `target` / realised volatility, capped at `max` |
//! | `kelly` | `fraction` x mean / variance of daily returns, in [0, `max`] |
//! | `pyramid` | `max` / `steps` more on each day the entry rules hold, that much less on each day an exit rule holds |
//!
//! Realised volatility is the sample standard deviation of the last `window` daily simple
//! returns of the close, times sqrt(252). The Kelly fraction is the continuous-time one,
//! mean / variance of the last `window` daily returns (Thorp, "The Kelly criterion in
//! blackjack, sports betting and the stock market", 2006, eq. 7.3), with no risk-free rate
//! and no borrowing cost taken off the mean: the cap `max` and `fraction` (half Kelly is
//! usual) are what keep it from over-levering. With fewer than `window` returns both use 1, capped at `max`.
//! The rules whose size moves every day (`signal_scaled`, `vol_target`, `kelly`) trade only
//! when it moves by more than `band` from the size last ordered.

/// Trading days a year for annualising realised volatility.
pub const VOLATILITY_PERIODS_PER_YEAR: f64 = 252.0;

/// A sizing rule and its parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum SizingRule {
    /// All in.
    Full,
    /// A fixed share of equity.
    FixedFraction {
        /// Exposure.
        fraction: f64,
    },
    /// Scaled by a signal's strength.
    SignalScaled {
        /// Index of the signal in the strategy.
        signal: usize,
        /// Exposure at a signal of 1.
        max: f64,
        /// Smallest change that trades.
        band: f64,
    },
    /// Volatility targeting.
    VolTarget {
        /// Annual volatility aimed at.
        target: f64,
        /// Returns measured.
        window: usize,
        /// Cap.
        max: f64,
        /// Smallest change that trades.
        band: f64,
    },
    /// Fractional Kelly.
    Kelly {
        /// Share of the Kelly fraction.
        fraction: f64,
        /// Returns measured.
        window: usize,
        /// Cap.
        max: f64,
        /// Smallest change that trades.
        band: f64,
    },
    /// Scale in and out a step at a time.
    Pyramid {
        /// Steps to the full size.
        steps: usize,
        /// Full size.
        max: f64,
    },
}

/// A named sizing rule: one run of its strategy.
#[derive(Debug, Clone, PartialEq)]
pub struct Sizing {
    /// Name in reports.
    pub name: String,
    /// The rule.
    pub rule: SizingRule,
}

impl Sizing {
    /// All in.
    pub fn full() -> Self {
        Sizing {
            name: "full".into(),
            rule: SizingRule::Full,
        }
    }

    /// A fixed share of equity.
    pub fn fixed(name: &str, fraction: f64) -> Self {
        Sizing {
            name: name.into(),
            rule: SizingRule::FixedFraction { fraction },
        }
    }

    /// The largest exposure the rule can ask for.
    pub fn max_exposure(&self) -> f64 {
        match self.rule {
            SizingRule::Full => 1.0,
            SizingRule::FixedFraction { fraction } => fraction,
            SizingRule::SignalScaled { max, .. }
            | SizingRule::VolTarget { max, .. }
            | SizingRule::Kelly { max, .. }
            | SizingRule::Pyramid { max, .. } => max,
        }
    }

    /// The size the rule asks for on a day: `close` is the history up to the decision day,
    /// `signal_value` gives a signal's value that day (by its index in the strategy). Inlined:
    /// the day loop asks it on most decision days, and most rules answer with a constant; the
    /// two that read a window of returns are calls.
    #[inline(always)]
    pub(crate) fn size(&self, close: &[f64], signal_value: impl Fn(usize) -> f64) -> f64 {
        match self.rule {
            SizingRule::Full => 1.0,
            SizingRule::FixedFraction { fraction } => fraction,
            SizingRule::SignalScaled { signal, max, .. } => {
                max * signal_value(signal).clamp(0.0, 1.0)
            }
            SizingRule::VolTarget {
                target,
                window,
                max,
                ..
            } => vol_target_size(close, target, window, max),
            SizingRule::Kelly {
                fraction,
                window,
                max,
                ..
            } => kelly_size(close, fraction, window, max),
            SizingRule::Pyramid { steps, max } => max / steps as f64,
        }
    }

    /// The exposure wanted after a decision day, from the size ordered last and whether the
    /// entry and exit rules hold; `close` and `signal_value` are [`Sizing::size`]'s. The size
    /// is asked only where the answer depends on it (a volatility target's size costs a pass
    /// over its window), at most once. Inlined into the day loop: called every decision day of
    /// every run.
    #[inline(always)]
    pub(crate) fn wanted(
        &self,
        close: &[f64],
        signal_value: impl Fn(usize) -> f64,
        ordered: f64,
        in_market: bool,
        entry: bool,
        exit: bool,
    ) -> f64 {
        let size = || self.size(close, &signal_value);
        if let SizingRule::Pyramid { max, .. } = self.rule {
            return if in_market && exit {
                (ordered - size()).max(0.0)
            } else if entry {
                let base = if in_market { ordered } else { 0.0 };
                (base + size()).min(max)
            } else if in_market {
                ordered
            } else {
                0.0
            };
        }
        let band = match self.rule {
            SizingRule::SignalScaled { band, .. }
            | SizingRule::VolTarget { band, .. }
            | SizingRule::Kelly { band, .. } => band,
            _ => 0.0,
        };
        if !in_market {
            if entry { size() } else { 0.0 }
        } else if exit {
            0.0
        } else {
            let size = size();
            if (size - ordered).abs() > band {
                size
            } else {
                ordered
            }
        }
    }
}

/// [`SizingRule::VolTarget`]'s size: the target over the window's annualised volatility.
#[inline(never)]
fn vol_target_size(close: &[f64], target: f64, window: usize, max: f64) -> f64 {
    match returns(close, window) {
        Some(r) => {
            let vol = sample_variance(&r).sqrt() * VOLATILITY_PERIODS_PER_YEAR.sqrt();
            if vol > 0.0 {
                (target / vol).min(max)
            } else {
                max
            }
        }
        None => max.min(1.0),
    }
}

/// [`SizingRule::Kelly`]'s size: the fraction of the window's mean over variance.
#[inline(never)]
fn kelly_size(close: &[f64], fraction: f64, window: usize, max: f64) -> f64 {
    match returns(close, window) {
        Some(r) => {
            let variance = sample_variance(&r);
            let kelly = if variance > 0.0 {
                mean(&r) / variance
            } else {
                0.0
            };
            (fraction * kelly).clamp(0.0, max)
        }
        None => max.min(1.0),
    }
}

/// The last `window` daily simple returns of `close`, or None with fewer.
fn returns(close: &[f64], window: usize) -> Option<Vec<f64>> {
    if close.len() <= window {
        return None;
    }
    let tail = &close[close.len() - window - 1..];
    let r: Vec<f64> = tail.windows(2).map(|w| w[1] / w[0] - 1.0).collect();
    r.iter().all(|v| v.is_finite()).then_some(r)
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

fn sample_variance(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return 0.0;
    }
    let m = mean(values);
    values.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (values.len() - 1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vol_target_divides_the_target_by_realised_volatility() {
        // Returns alternate +1% and -1%: mean 0, sample std sqrt(20 x 0.0001 / 19).
        let mut close = vec![100.0];
        for i in 0..20 {
            let last = close[close.len() - 1];
            close.push(if i % 2 == 0 { last * 1.01 } else { last * 0.99 });
        }
        let rule = Sizing {
            name: "v".into(),
            rule: SizingRule::VolTarget {
                target: 0.10,
                window: 20,
                max: 5.0,
                band: 0.0,
            },
        };
        let vol = (20.0f64 * 0.0001 / 19.0).sqrt() * 252f64.sqrt();
        assert!((rule.size(&close, |_| f64::NAN) - 0.10 / vol).abs() < 1e-3);
    }

    #[test]
    fn pyramid_adds_a_step_per_entry_day_and_removes_one_per_exit_day() {
        let rule = Sizing {
            name: "p".into(),
            rule: SizingRule::Pyramid { steps: 3, max: 1.5 },
        };
        let step = rule.size(&[], |_| f64::NAN);
        assert_eq!(step, 0.5);
        assert_eq!(rule.wanted(&[], |_| f64::NAN, 0.0, false, true, false), 0.5);
        assert_eq!(rule.wanted(&[], |_| f64::NAN, 0.5, true, true, false), 1.0);
        assert_eq!(rule.wanted(&[], |_| f64::NAN, 1.5, true, true, false), 1.5);
        assert_eq!(rule.wanted(&[], |_| f64::NAN, 1.5, true, false, true), 1.0);
        assert_eq!(rule.wanted(&[], |_| f64::NAN, 1.0, true, false, false), 1.0);
    }
}
