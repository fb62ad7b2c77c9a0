//! Signals compiled into the engine. Strategies name them with `builtin = "<kind>"`.

use cyclebt_data::{Field, History};
use serde::Deserialize;

use crate::signal::{DayError, Signal, SignalError};

/// Names of the built-in signal kinds.
pub const BUILTIN_KINDS: [&str; 2] = ["sma_cross", "series"];

/// Creates a built-in signal from its kind and its `params` table. Unknown kinds and unknown or
/// mistyped parameters are errors whose text names the problem.
pub fn builtin_signal(kind: &str, params: toml::Table) -> Result<Box<dyn Signal>, String> {
    match kind {
        "sma_cross" => {
            let params: SmaCrossParams = toml::Value::Table(params)
                .try_into()
                .map_err(|e: toml::de::Error| e.message().to_string())?;
            Ok(Box::new(SmaCross::new(params)?))
        }
        "series" => {
            let params: SeriesParams = toml::Value::Table(params)
                .try_into()
                .map_err(|e: toml::de::Error| e.message().to_string())?;
            Ok(Box::new(SeriesSignal { params }))
        }
        _ => Err(format!(
            "unknown built-in signal \"{kind}\"; expected one of: {}",
            BUILTIN_KINDS.join(", ")
        )),
    }
}

/// Parameters of [`SmaCross`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmaCrossParams {
    /// Days in the fast average (default 20, about a trading month).
    #[serde(default = "default_fast")]
    pub fast: usize,
    /// Days in the slow average (default 60, about a trading quarter).
    #[serde(default = "default_slow")]
    pub slow: usize,
}

fn default_fast() -> usize {
    20
}

fn default_slow() -> usize {
    60
}

impl Default for SmaCrossParams {
    fn default() -> Self {
        SmaCrossParams {
            fast: default_fast(),
            slow: default_slow(),
        }
    }
}

/// Moving-average crossover on the close: +1 while the `fast`-day simple average is above the
/// `slow`-day one, -1 while below, 0 when equal or with fewer than `slow` days of history.
#[derive(Debug, Clone)]
pub struct SmaCross {
    params: SmaCrossParams,
}

impl SmaCross {
    /// Checks `0 < fast < slow`.
    pub fn new(params: SmaCrossParams) -> Result<Self, String> {
        if params.fast == 0 || params.fast >= params.slow {
            return Err(format!(
                "sma_cross needs 0 < fast < slow; got fast = {}, slow = {}",
                params.fast, params.slow
            ));
        }
        Ok(SmaCross { params })
    }
}

fn mean_of_last(values: &[f64], days: usize) -> f64 {
    values[values.len() - days..].iter().sum::<f64>() / days as f64
}

/// Half the distance between 1.0 and the next `f64`: the relative error of one rounding.
const UNIT_ROUNDOFF: f64 = f64::EPSILON / 2.0;

/// The sum of the last `days` values of a series, moved one day at a time (one subtraction and
/// one addition), with a bound on its distance from the exact sum.
///
/// The day-by-day `evaluate` re-sums each window from its first value; a moved sum differs in
/// the last bits, which could flip a crossing of two nearly equal averages. So the moved sums
/// only decide a day when the averages are further apart than both error bounds allow (then the
/// re-summed averages compare the same way); closer than that, the day is re-summed. The values
/// are those `evaluate` gives, bit for bit, which keeps the signal a function of the rows it sees.
///
/// A day costs no division: the mean and its bound multiply by `1 / days` and by factors
/// computed once. A sweep evaluates this for every combination on every day.
struct MovedSum {
    days: usize,
    sum: f64,
    /// `|sum - exact sum|` is at most this.
    error: f64,
    /// `1 / days`, rounded.
    per_day: f64,
    /// [`summation_error`]'s factor for `days` values.
    summation: f64,
}

impl MovedSum {
    /// The sum of `values[end + 1 - days..=end]`, added in order.
    fn at(values: &[f64], days: usize, end: usize) -> Self {
        let sum: f64 = values[end + 1 - days..=end].iter().sum();
        let summation = summation_error(days);
        MovedSum {
            days,
            sum,
            error: summation * sum.abs(),
            per_day: 1.0 / days as f64,
            summation,
        }
    }

    /// Moves the window to end one day later, at `end`.
    #[inline(always)]
    fn step(&mut self, values: &[f64], end: usize) {
        let change = values[end] - values[end - self.days];
        self.sum += change;
        // One rounding each for the difference and the sum (values are positive: |change| is
        // below the larger of the two values, itself below the sums bounded).
        self.error += 2.0 * UNIT_ROUNDOFF * (change.abs() + self.sum.abs());
    }

    /// The mean: `sum / days` up to two roundings (of `1 / days` and of the product).
    #[inline(always)]
    fn mean(&self) -> f64 {
        self.sum * self.per_day
    }

    /// A bound on `|mean() - exact mean|` plus one on the distance of `evaluate`'s re-summed
    /// mean from the exact mean: the two sums' errors over `days`, and six roundings of the
    /// mean (two of `mean()`'s, one of the division `evaluate` makes, and three to spare).
    /// Computed in `f64`, from positive terms only, it errs by a few roundings of itself; the
    /// caller's factor of two covers that.
    #[inline(always)]
    fn mean_error(&self) -> f64 {
        let sum = self.sum.abs();
        let exact_sum_at_most = sum + self.error;
        (self.error + self.summation * exact_sum_at_most + 6.0 * UNIT_ROUNDOFF * sum) * self.per_day
    }
}

/// The factor that bounds the error of adding `count` positive values in order, times their
/// exact sum: `(count - 1) u / (1 - (count - 1) u)` (Higham, Accuracy and Stability of
/// Numerical Algorithms, 2nd ed., eq. 4.4), taken twice over for safety.
fn summation_error(count: usize) -> f64 {
    let n_u = count as f64 * UNIT_ROUNDOFF;
    2.0 * n_u / (1.0 - n_u)
}

fn crossing(fast: f64, slow: f64) -> f64 {
    if fast > slow {
        1.0
    } else if fast < slow {
        -1.0
    } else {
        0.0
    }
}

impl Signal for SmaCross {
    fn name(&self) -> &str {
        "sma_cross"
    }

    fn evaluate(&mut self, history: History<'_>) -> Result<f64, SignalError> {
        let close = history.column(Field::Close);
        if close.len() < self.params.slow {
            return Ok(0.0);
        }
        let fast = mean_of_last(close, self.params.fast);
        let slow = mean_of_last(close, self.params.slow);
        Ok(crossing(fast, slow))
    }

    /// The values `evaluate` gives, from sums moved day by day where they decide the day (see
    /// `MovedSum` in this file): about 2 additions a day per average instead of `fast + slow`.
    fn evaluate_days(
        &mut self,
        history: History<'_>,
        first: usize,
        out: &mut Vec<f64>,
    ) -> Result<(), DayError> {
        let close = history.column(Field::Close);
        let SmaCrossParams { fast, slow } = self.params;
        // The error bounds assume positive, finite prices; with any other, every day is re-summed.
        let movable = close.iter().all(|c| c.is_finite() && *c > 0.0);
        let resummed = |day: usize| {
            let seen = &close[..=day];
            crossing(mean_of_last(seen, fast), mean_of_last(seen, slow))
        };
        let mut sums: Option<(MovedSum, MovedSum)> = None;
        for day in first..close.len() {
            if day + 1 < slow {
                out.push(0.0);
                continue;
            }
            if !movable {
                out.push(resummed(day));
                continue;
            }
            let (fast_sum, slow_sum) = match &mut sums {
                Some((f, s)) => {
                    f.step(close, day);
                    s.step(close, day);
                    (&*f, &*s)
                }
                None => {
                    let (f, s) = sums.insert((
                        MovedSum::at(close, fast, day),
                        MovedSum::at(close, slow, day),
                    ));
                    (&*f, &*s)
                }
            };
            let (fast_mean, slow_mean) = (fast_sum.mean(), slow_sum.mean());
            let apart = (fast_mean - slow_mean).abs();
            out.push(
                if apart > 2.0 * (fast_sum.mean_error() + slow_sum.mean_error()) {
                    crossing(fast_mean, slow_mean)
                } else {
                    resummed(day)
                },
            );
        }
        Ok(())
    }
}

/// Parameters of [`SeriesSignal`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesParams {
    /// The dataset's named series to read.
    pub name: String,
}

/// A named series of the dataset used as the signal itself: the decision at day t's close
/// reads the series' value on day t (what the series' lag makes usable by then), NaN where it
/// is missing. For signals computed outside cyclebt: `compare --series`, the Python package.
#[derive(Debug, Clone)]
pub struct SeriesSignal {
    params: SeriesParams,
}

impl Signal for SeriesSignal {
    fn name(&self) -> &str {
        "series"
    }

    fn requires_series(&self) -> Vec<String> {
        vec![self.params.name.clone()]
    }

    fn evaluate(&mut self, history: History<'_>) -> Result<f64, SignalError> {
        let values = history
            .series(&self.params.name)
            .ok_or_else(|| SignalError {
                message: format!("the dataset has no series \"{}\"", self.params.name),
            })?;
        Ok(values.last().copied().unwrap_or(f64::NAN))
    }
}
