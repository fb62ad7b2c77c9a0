//! FOMO phase (seed 002, 踏空追涨): +1 on the days the phase classifier of
//! `cyclebt-seed-common` puts in the FOMO phase, 0 on the others; with `output = "entry"`, +1
//! only on the entry event, the first FOMO day after the gain from the trailing low crosses
//! `gain_threshold`. The label is the day's phase (1 bottom building, 2 breakeven, 3 FOMO,
//! 4 right-side profit taking, 0 none). See README.md for the definition and parameters.

use cyclebt_sdk::{History, Output, Plugin, declare_plugin};
use cyclebt_seed_common::Columns;
use cyclebt_seed_common::phase::{Day, Phase, PhaseParams, classify, describe_param, entries};
use serde::{Deserialize, Serialize};

/// Parameters: the output and the classifier's thresholds.
#[derive(Deserialize, Serialize)]
#[serde(default)]
pub struct Config {
    /// "phase" (+1 on every FOMO day) or "entry" (+1 on entry events only).
    output: String,
    #[serde(flatten)]
    phase: PhaseParams,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            output: "phase".into(),
            phase: PhaseParams::default(),
        }
    }
}

/// The plugin.
pub struct FomoPhase {
    entry_only: bool,
    params: PhaseParams,
    label: u32,
}

impl FomoPhase {
    /// Outputs of days `first..history.len()`. Classification starts `arm_days` earlier so that
    /// entry events see the whole window they depend on.
    fn outputs(&self, history: &History<'_>, first: usize) -> Vec<Output> {
        let start = first.saturating_sub(self.params.arm_days);
        let days: Vec<Day> = classify(&Columns::of(history), start, &self.params);
        let events = entries(&days, first - start, &self.params);
        days.iter()
            .zip(&events)
            .skip(first - start)
            .map(|(day, event)| {
                let on = if self.entry_only {
                    *event
                } else {
                    day.phase == Phase::Fomo
                };
                Output {
                    value: if on { 1.0 } else { 0.0 },
                    label: day.phase as u32,
                }
            })
            .collect()
    }
}

impl Plugin for FomoPhase {
    type Config = Config;
    const NAME: &'static str = "fomo-phase";
    // The phases of seed-common's classifier, by their numbers (`Phase`).
    const LABELS: &'static [&'static str] =
        &["bottom building", "breakeven", "FOMO", "profit taking"];
    const PARAMS: &'static [(&'static str, &'static str)] = &[(
        "output",
        "\"phase\": +1 on FOMO days; \"entry\": +1 on the first FOMO day after the gain threshold",
    )];

    fn param_description(name: &str) -> &'static str {
        describe_param(Self::PARAMS, name)
    }

    fn new(config: Config) -> Result<Self, String> {
        config.phase.check()?;
        let entry_only = match config.output.as_str() {
            "phase" => false,
            "entry" => true,
            other => {
                return Err(format!(
                    "output \"{other}\": expected \"phase\" or \"entry\""
                ));
            }
        };
        Ok(FomoPhase {
            entry_only,
            params: config.phase,
            label: 0,
        })
    }

    cyclebt_seed_common::whole_series_evaluation!();
}

declare_plugin!(FomoPhase);
