//! Moving-average crossover: +1 while the `fast`-day simple average of the close is above the
//! `slow`-day one, -1 while below, 0 when equal or with fewer than `slow` days of history.
//! The same rule as the engine's built-in `sma_cross`, which the tests check it against.

use cyclebt_sdk::{Field, History, Plugin, declare_plugin};
use serde::{Deserialize, Serialize};

/// Parameters, with their defaults.
#[derive(Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    fast: usize,
    slow: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config { fast: 20, slow: 60 }
    }
}

/// The signal.
pub struct SmaCross {
    config: Config,
}

fn mean_of_last(values: &[f64], days: usize) -> f64 {
    values[values.len() - days..].iter().sum::<f64>() / days as f64
}

impl Plugin for SmaCross {
    type Config = Config;
    const NAME: &'static str = "sma-cross";
    const PARAMS: &'static [(&'static str, &'static str)] = &[
        ("fast", "days in the fast average"),
        ("slow", "days in the slow average"),
    ];

    fn new(config: Config) -> Result<Self, String> {
        if config.fast == 0 || config.fast >= config.slow {
            return Err(format!(
                "needs 0 < fast < slow; got fast = {}, slow = {}",
                config.fast, config.slow
            ));
        }
        Ok(SmaCross { config })
    }

    fn evaluate(&mut self, history: &History<'_>) -> Result<f64, String> {
        let close = history.column(Field::Close);
        if close.len() < self.config.slow {
            return Ok(0.0);
        }
        let fast = mean_of_last(close, self.config.fast);
        let slow = mean_of_last(close, self.config.slow);
        Ok(if fast > slow {
            1.0
        } else if fast < slow {
            -1.0
        } else {
            0.0
        })
    }
}

declare_plugin!(SmaCross);

#[cfg(test)]
mod tests {
    use cyclebt_sdk::testing::{TestData, assert_prefix_stable};

    use super::*;

    #[test]
    fn no_look_ahead() {
        let closes: Vec<f64> = (0..300)
            .map(|i| 100.0 + 10.0 * (i as f64 / 13.0).sin())
            .collect();
        let data = TestData::new(closes.len()).with(Field::Close, closes);
        assert_prefix_stable(
            || SmaCross::new(Config { fast: 5, slow: 20 }).unwrap(),
            &data,
        );
    }
}
