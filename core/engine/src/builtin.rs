//! Signals compiled into the engine. Strategies name them with `builtin = "<kind>"`.

use cyclebt_data::{Field, History};
use serde::Deserialize;

use crate::signal::{Signal, SignalError};

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
        Ok(if fast > slow {
            1.0
        } else if fast < slow {
            -1.0
        } else {
            0.0
        })
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
