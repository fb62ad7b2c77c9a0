//! Breakeven-zone exit (seed 002, 盈亏平衡资金 and 右侧止盈资金): -1 when the close is inside the
//! previous bear market's cost zone with stalled momentum and heavy amount (label 1), or on a
//! right-side profit-taking day of the phase classifier (label 2); 0 otherwise. See README.md.

use cyclebt_sdk::{History, Output, Plugin, declare_plugin};
use cyclebt_seed_common::Columns;
use cyclebt_seed_common::phase::{Phase, PhaseParams, classify, describe_param};
use serde::{Deserialize, Serialize};

/// Parameters: what counts as heavy amount, and the classifier's thresholds (its `zone`
/// table locates the cost zone).
#[derive(Deserialize, Serialize)]
#[serde(default)]
pub struct Config {
    /// Marginal amount from which the amount is heavy (default 1.2).
    heavy_amount: f64,
    #[serde(flatten)]
    phase: PhaseParams,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            heavy_amount: 1.2,
            phase: PhaseParams::default(),
        }
    }
}

/// Label of an exit in the cost zone.
const ZONE_EXIT: u32 = 1;
/// Label of an exit on right-side profit taking.
const PROFIT_TAKING_EXIT: u32 = 2;

/// The plugin.
pub struct BreakevenZone {
    config: Config,
    label: u32,
}

impl BreakevenZone {
    fn outputs(&self, history: &History<'_>, first: usize) -> Vec<Output> {
        classify(&Columns::of(history), first, &self.config.phase)
            .iter()
            .map(|day| {
                let label = if day.in_zone
                    && day.stalled
                    && day.marginal_amount >= self.config.heavy_amount
                {
                    ZONE_EXIT
                } else if day.phase == Phase::ProfitTaking {
                    PROFIT_TAKING_EXIT
                } else {
                    0
                };
                Output {
                    value: if label == 0 { 0.0 } else { -1.0 },
                    label,
                }
            })
            .collect()
    }
}

impl Plugin for BreakevenZone {
    type Config = Config;
    const NAME: &'static str = "breakeven-zone";
    const LABELS: &'static [&'static str] = &["stalled in the cost zone", "profit taking"];
    const PARAMS: &'static [(&'static str, &'static str)] = &[(
        "heavy_amount",
        "marginal amount (today over the mean of the previous amount_days) that counts as heavy",
    )];

    fn param_description(name: &str) -> &'static str {
        describe_param(Self::PARAMS, name)
    }

    fn new(config: Config) -> Result<Self, String> {
        config.phase.check()?;
        if !(config.heavy_amount.is_finite() && config.heavy_amount > 0.0) {
            return Err(format!(
                "heavy_amount {} must be positive",
                config.heavy_amount
            ));
        }
        Ok(BreakevenZone { config, label: 0 })
    }

    cyclebt_seed_common::whole_series_evaluation!();
}

declare_plugin!(BreakevenZone);
