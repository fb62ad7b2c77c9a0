//! Margin-balance divergence (seed 001): the growth of the financing balance against the growth
//! of the index. See README.md for the definition, parameters and the passages it implements.
//!
//! `output = "signal"` (default), on day t with the balance B (already lagged by its
//! publication delay) and the close P:
//! - capitulation, +1 (label 3): B fell at least `drop` over `drop_days`, the index is down at
//!   least `decline` over `window`, and today's amount is at least `spike` times the mean of
//!   the previous `amount_days` (forced selling clearing out). The base is short (3 days) on
//!   purpose: in the 2015 unwind turnover fell from the bubble's record levels, so against a
//!   20-day base no day of the forced selling counts as a volume expansion;
//! - leverage outrunning price, -1 (label 1): B's growth over `window` exceeds the index's by at
//!   least `outrun`, with B growing;
//! - stall near the high, -0.5 (label 2): P within `near_high` of its `high_days` high while B
//!   grew no more than `stall_growth` over `stall_days`;
//! - otherwise 0 (label 0), and 0 on days without a balance.
//!
//! A warning stays in force for `warning_days` days after the day it fires (the latest
//! warning's value and label), unless a capitulation comes in between: a timing rule can stay
//! out for a month after leverage ran ahead, instead of flipping back the next day.
//!
//! Gauges, in [0, 1] (label 4 where defined, 0 where an input is missing):
//! - `output = "buy_share"`: financing purchases over the index's turnover of the same day.
//!   The purchases column is lagged by the margin series' publication lag (1 day by default),
//!   so it is divided by the amount `lag_days` rows earlier. Compare purchases with a
//!   market-wide turnover (a broad index) for a market-wide share;
//! - `output = "balance_to_cap"`: financing balance over market capitalisation.

use cyclebt_sdk::{Field, History, Plugin, declare_plugin};
use cyclebt_seed_common::Columns;
use cyclebt_seed_common::rolling::{before, change, max, mean, window};
use serde::{Deserialize, Serialize};

/// Parameters, with their defaults.
#[derive(Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    output: String,
    window: usize,
    outrun: f64,
    high_days: usize,
    near_high: f64,
    stall_days: usize,
    stall_growth: f64,
    drop_days: usize,
    drop: f64,
    decline: f64,
    amount_days: usize,
    spike: f64,
    lag_days: usize,
    warning_days: usize,
    outrun_z: f64,
    outrun_days: usize,
    stall_value: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            output: "signal".into(),
            window: 20,
            outrun: 0.10,
            high_days: 250,
            near_high: 0.05,
            stall_days: 10,
            stall_growth: 0.0,
            drop_days: 5,
            drop: 0.05,
            decline: 0.05,
            amount_days: 3,
            spike: 1.2,
            lag_days: 1,
            warning_days: 20,
            outrun_z: 2.0,
            outrun_days: 250,
            stall_value: -0.5,
        }
    }
}

/// Labels of the signal's cases.
const OUTRUN: u32 = 1;
const STALL: u32 = 2;
const CAPITULATION: u32 = 3;
const GAUGE: u32 = 4;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Signal,
    BuyShare,
    BalanceToCap,
}

/// The plugin.
pub struct MarginDivergence {
    config: Config,
    mode: Mode,
    label: u32,
}

impl MarginDivergence {
    /// Value and label on day `t`: today's case, or a warning still in force.
    fn day(&self, c: &Columns<'_>, t: usize) -> (f64, u32) {
        let today = self.case(c, t);
        if self.mode != Mode::Signal || today.1 != 0 {
            return today;
        }
        for earlier in (t.saturating_sub(self.config.warning_days - 1)..t).rev() {
            let case = self.case(c, earlier);
            match case.1 {
                CAPITULATION => return (0.0, 0),
                OUTRUN | STALL => return case,
                _ => {}
            }
        }
        today
    }

    /// Value and label of what happens on day `t` itself.
    fn case(&self, c: &Columns<'_>, t: usize) -> (f64, u32) {
        let k = &self.config;
        match self.mode {
            Mode::BuyShare => {
                let amount = t.checked_sub(k.lag_days).map_or(f64::NAN, |d| c.amount[d]);
                return gauge(c.financing_buy[t] / amount);
            }
            Mode::BalanceToCap => return gauge(c.financing[t] / c.market_cap[t]),
            Mode::Signal => {}
        }
        if !c.financing[t].is_finite() {
            return (0.0, 0);
        }
        let balance = change(c.financing, t, k.window);
        let price = change(c.close, t, k.window);
        let spike = before(c.amount, t, k.amount_days)
            .and_then(mean)
            .is_some_and(|base| base > 0.0 && c.amount[t] >= k.spike * base);
        let falling = change(c.financing, t, k.drop_days).is_some_and(|g| g <= -k.drop);
        if falling && price.is_some_and(|p| p <= -k.decline) && spike {
            return (1.0, CAPITULATION);
        }
        if let (Some(b), Some(p)) = (balance, price)
            && b > 0.0
            && b - p >= k.outrun
            && self.unusual_divergence(c, t, b - p)
        {
            return (-1.0, OUTRUN);
        }
        let near_high = window(c.close, t, k.high_days.min(t + 1))
            .and_then(max)
            .is_some_and(|high| c.close[t] >= high * (1.0 - k.near_high));
        let stalled = change(c.financing, t, k.stall_days).is_some_and(|g| g <= k.stall_growth);
        if near_high && stalled {
            return (k.stall_value, STALL);
        }
        (0.0, 0)
    }

    /// Whether today's divergence (balance growth minus index growth) is at least `outrun_z`
    /// standard deviations above its mean over the previous `outrun_days` days: unusual for
    /// its time. While margin trading was young (2010-2014) the balance grew fast every month;
    /// a fixed gap alone would warn on half of all days.
    fn unusual_divergence(&self, c: &Columns<'_>, t: usize, today: f64) -> bool {
        let k = &self.config;
        let past: Vec<f64> = (t.saturating_sub(k.outrun_days)..t)
            .filter_map(|d| Some(change(c.financing, d, k.window)? - change(c.close, d, k.window)?))
            .collect();
        if past.len() < MIN_HISTORY {
            return false;
        }
        let n = past.len() as f64;
        let mean = past.iter().sum::<f64>() / n;
        let sd = (past.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        sd > 0.0 && (today - mean) / sd >= k.outrun_z
    }
}

/// Fewest past divergences the outrun warning needs before it can fire.
const MIN_HISTORY: usize = 60;

/// A ratio in [0, 1] with label [`GAUGE`], or 0 with label 0 when an input is missing.
fn gauge(ratio: f64) -> (f64, u32) {
    if ratio.is_finite() {
        (ratio.clamp(0.0, 1.0), GAUGE)
    } else {
        (0.0, 0)
    }
}

impl Plugin for MarginDivergence {
    type Config = Config;
    const NAME: &'static str = "margin-divergence";
    const REQUIRES: &'static [Field] = &[Field::FinancingBalance];
    const PARAMS: &'static [(&'static str, &'static str)] = &[
        (
            "output",
            "\"signal\", or a gauge: \"buy_share\" or \"balance_to_cap\"",
        ),
        (
            "window",
            "days over which balance growth and index growth are compared",
        ),
        ("outrun", "balance growth minus index growth that warns"),
        (
            "high_days",
            "look-back of the index high for the stall warning",
        ),
        (
            "near_high",
            "how close to its high the index counts as near it",
        ),
        (
            "stall_days",
            "days over which a stalled balance is measured",
        ),
        (
            "stall_growth",
            "balance growth at or under which it has stalled",
        ),
        (
            "drop_days",
            "days over which a fast fall of the balance is measured",
        ),
        ("drop", "fall of the balance that counts as fast"),
        (
            "decline",
            "fall of the index over `window` that counts as a decline",
        ),
        (
            "amount_days",
            "base of the volume spike (mean amount of the days before)",
        ),
        ("spike", "amount over its base that counts as a spike"),
        (
            "lag_days",
            "publication lag of the margin series (buy_share aligns turnover with it)",
        ),
        (
            "warning_days",
            "days a warning stays in force unless a capitulation comes first",
        ),
        (
            "outrun_z",
            "standard deviations above its recent mean the divergence must also be",
        ),
        (
            "outrun_days",
            "days of past divergences that mean and deviation are taken over",
        ),
        ("stall_value", "the value of the stall warning, in [-1, 0)"),
    ];

    fn new(config: Config) -> Result<Self, String> {
        let mode = match config.output.as_str() {
            "signal" => Mode::Signal,
            "buy_share" => Mode::BuyShare,
            "balance_to_cap" => Mode::BalanceToCap,
            other => {
                return Err(format!(
                    "output \"{other}\": expected \"signal\", \"buy_share\" or \"balance_to_cap\""
                ));
            }
        };
        let days = [
            config.window,
            config.high_days,
            config.stall_days,
            config.drop_days,
            config.amount_days,
            config.warning_days,
            config.outrun_days,
        ];
        if days.contains(&0) {
            return Err("window and every *_days parameter must be positive".into());
        }
        if !(config.outrun_z.is_finite() && (-1.0..0.0).contains(&config.stall_value)) {
            return Err("outrun_z must be finite and stall_value in [-1, 0)".into());
        }
        let levels = [
            config.outrun,
            config.near_high,
            config.drop,
            config.decline,
            config.spike,
        ];
        if levels.iter().any(|v| !v.is_finite() || *v < 0.0) || !config.stall_growth.is_finite() {
            return Err("thresholds must be finite, and all but stall_growth not negative".into());
        }
        Ok(MarginDivergence {
            config,
            mode,
            label: 0,
        })
    }

    fn evaluate(&mut self, history: &History<'_>) -> Result<f64, String> {
        let (value, label) = self.day(&Columns::of(history), history.today());
        self.label = label;
        Ok(value)
    }

    fn label(&self) -> u32 {
        self.label
    }
}

declare_plugin!(MarginDivergence);
