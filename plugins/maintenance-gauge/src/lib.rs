//! The average maintenance collateral ratio (维持担保比例) as a deleveraging gauge, read by name
//! from the dataset's `maintenance_ratio` series (declared in `datasets/*.toml` with
//! `[[series]]`; a ratio, 2.7 = 270%).
//!
//! Seed 000 describes what a falling ratio sets off: when the market drops, margin accounts
//! near the broker's forced-sale line (130% by default) get margin calls and sell their most
//! liquid winners first, and the selling spreads (多杀多). The market-wide average falls towards
//! that line ahead of such waves (2.27 in the August 2015 crash, 2.09 in June 2013, 2.20 in
//! October 2018, against a median of 2.67 since 2012). On decision day t:
//!
//! - -1 (deleveraging) when the ratio is at or below `floor`, or has fallen by `fall` or more
//!   over the last `lookback` trading days;
//! - +1 when it is above `floor` and higher than `lookback` days ago (collateral rebuilding);
//! - 0 otherwise, and whenever today's or the earlier value is missing (the Eastmoney series
//!   starts on 2012-09-27 and is empty on 70 days, most of them in the 2015 crash).

use cyclebt_sdk::{History, Plugin, declare_plugin};
use serde::{Deserialize, Serialize};

/// The series this plugin reads.
const SERIES: &str = "maintenance_ratio";

/// Parameters, with their defaults.
#[derive(Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    lookback: usize,
    fall: f64,
    floor: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            lookback: 20,
            fall: 0.25,
            floor: 2.3,
        }
    }
}

/// The gauge.
pub struct MaintenanceGauge {
    config: Config,
}

impl Plugin for MaintenanceGauge {
    type Config = Config;
    const NAME: &'static str = "maintenance-gauge";
    const PARAMS: &'static [(&'static str, &'static str)] = &[
        (
            "lookback",
            "trading days over which the change of the ratio is measured",
        ),
        (
            "fall",
            "a fall of the ratio by this much over lookback (0.25 = 25 percentage points) is deleveraging",
        ),
        (
            "floor",
            "a ratio at or below this (2.3 = 230%) is deleveraging whatever its change",
        ),
    ];
    const SERIES: &'static [&'static str] = &[SERIES];

    fn new(config: Config) -> Result<Self, String> {
        // Written as "is valid" so that NaN fails it too.
        let valid = config.lookback > 0 && config.fall > 0.0 && config.floor > 1.0;
        if !valid {
            return Err(format!(
                "needs lookback > 0, fall > 0 and floor > 1 (a ratio, 1.3 = 130%); got lookback = {}, fall = {}, floor = {}",
                config.lookback, config.fall, config.floor
            ));
        }
        Ok(MaintenanceGauge { config })
    }

    fn evaluate(&mut self, history: &History<'_>) -> Result<f64, String> {
        let ratio = history
            .series(SERIES)
            .ok_or_else(|| format!("the dataset has no `{SERIES}` series"))?;
        let today = history.today();
        let now = ratio[today];
        if now.is_nan() {
            return Ok(0.0);
        }
        if now <= self.config.floor {
            return Ok(-1.0);
        }
        let Some(before) = today.checked_sub(self.config.lookback).map(|t| ratio[t]) else {
            return Ok(0.0);
        };
        Ok(if before.is_nan() {
            0.0
        } else if before - now >= self.config.fall {
            -1.0
        } else if now > before {
            1.0
        } else {
            0.0
        })
    }
}

declare_plugin!(MaintenanceGauge);

#[cfg(test)]
mod tests {
    use cyclebt_sdk::testing::{TestData, assert_prefix_stable};

    use super::*;

    fn gauge(lookback: usize) -> MaintenanceGauge {
        MaintenanceGauge::new(Config {
            lookback,
            ..Config::default()
        })
        .unwrap()
    }

    #[test]
    fn worked_example() {
        // lookback 2, fall 0.25, floor 2.3. Day by day:
        // 0: 2.80, no value 2 days back        -> 0
        // 1: 2.70                              -> 0
        // 2: 2.90 vs 2.80 (day 0), higher      -> +1
        // 3: 2.50 vs 2.70: fell 0.20 < 0.25    -> 0
        // 4: 2.60 vs 2.90: fell 0.30 >= 0.25   -> -1
        // 5: 2.29 at or below the floor        -> -1
        // 6: missing                           -> 0
        // 7: 2.70 vs 2.29, higher              -> +1
        // 8: 2.80 vs missing (day 6)           -> 0
        let ratio = vec![2.8, 2.7, 2.9, 2.5, 2.6, 2.29, f64::NAN, 2.7, 2.8];
        let data = TestData::new(ratio.len()).with_series(SERIES, ratio);
        let history = data.history();
        let mut plugin = gauge(2);
        let values: Vec<f64> = (0..history.len())
            .map(|t| plugin.evaluate(&history.prefix(t)).unwrap())
            .collect();
        assert_eq!(values, [0.0, 0.0, 1.0, 0.0, -1.0, -1.0, 0.0, 1.0, 0.0]);
    }

    #[test]
    fn no_look_ahead() {
        let ratio: Vec<f64> = (0..300)
            .map(|i| 2.6 + 0.4 * (i as f64 / 17.0).sin())
            .map(|v| {
                if (v * 1000.0) as i64 % 11 == 0 {
                    f64::NAN
                } else {
                    v
                }
            })
            .collect();
        let data = TestData::new(ratio.len()).with_series(SERIES, ratio);
        assert_prefix_stable(|| gauge(20), &data);
    }

    #[test]
    fn without_the_series_it_says_so() {
        let data = TestData::new(5);
        let error = gauge(2).evaluate(&data.history()).unwrap_err();
        assert_eq!(error, "the dataset has no `maintenance_ratio` series");
    }
}
