//! A whole strategy as a plugin: it returns the target exposure itself. Out of the market
//! below the `days`-day simple average of the close; above it, exposure rises linearly with the
//! distance, reaching 1 at `band` above the average: exposure = clamp((close / sma - 1) /
//! band, 0, 1). Entry, exit and scaling are all decided here.

use cyclebt_sdk::{Field, History, Kind, Plugin, declare_plugin};
use serde::{Deserialize, Serialize};

/// Parameters, with their defaults.
#[derive(Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    days: usize,
    band: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            days: 60,
            band: 0.05,
        }
    }
}

/// The strategy.
pub struct TrendExposure {
    config: Config,
}

impl Plugin for TrendExposure {
    type Config = Config;
    const NAME: &'static str = "trend-exposure";
    const KIND: Kind = Kind::Strategy;
    const PARAMS: &'static [(&'static str, &'static str)] = &[
        ("days", "days in the moving average"),
        (
            "band",
            "distance above the average at which exposure reaches 1 (0.05 = 5%)",
        ),
    ];

    fn new(config: Config) -> Result<Self, String> {
        if config.days == 0 || config.band.is_nan() || config.band <= 0.0 {
            return Err(format!(
                "needs days > 0 and band > 0; got days = {}, band = {}",
                config.days, config.band
            ));
        }
        Ok(TrendExposure { config })
    }

    fn evaluate(&mut self, history: &History<'_>) -> Result<f64, String> {
        let close = history.column(Field::Close);
        if close.len() < self.config.days {
            return Ok(0.0);
        }
        let recent = &close[close.len() - self.config.days..];
        let average = recent.iter().sum::<f64>() / self.config.days as f64;
        let distance = close[close.len() - 1] / average - 1.0;
        Ok((distance / self.config.band).clamp(0.0, 1.0))
    }
}

declare_plugin!(TrendExposure);
