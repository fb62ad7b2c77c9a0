//! Margin-balance divergence (seed 001): the financing balance read against the index, the
//! securities-lending balance and turnover, as the seed's "signal system". See README.md for
//! the definition, every parameter and the seed passage it comes from.
//!
//! `output = "signal"` (default). On day t, with the financing balance B and the lending
//! balance L (both already lagged by their publication delay), the close P and the amount A,
//! the first case that holds is the day's case:
//! - capitulation, release, +1 (label 3): B fell at least `drop` over `drop_days`, P is down at
//!   least `decline` over `window`, and A is at least `spike` times the mean of the previous
//!   `amount_days` (forced selling clearing out). The base is short (3 days) on purpose: in the
//!   2015 unwind turnover fell from the bubble's record levels, so against a 20-day base no day
//!   of the forced selling counts as a volume expansion;
//! - deeper correction, -1 (label 7): P is down at least `decline` over `window` but no more
//!   than `early_drawdown` below its `high_days` high (early in the decline), B grew at least
//!   `surge` over `drop_days` (buyers still borrowing into the fall), and B's growth less P's
//!   over `window` is unusual by the outrun warning's test (while margin trading was young the
//!   balance grew that fast in most weeks);
//! - leverage outrunning price, -1 (label 1): B's growth over `window` exceeds the index's by
//!   at least `outrun`, with B growing, that gap at least `outrun_z` standard deviations above
//!   its mean over the previous `outrun_days` days, and (with `require_lending_up`) L turned up;
//! - stall near the high, `stall_value` (label 2): P within `near_high` of its `high_days`
//!   high while B grew no more than `stall_growth` over `stall_days`, and (with
//!   `require_lending_up`) L turned up;
//! - weak rally (缩量上涨), `weak_rally_value` (label 6): P up at least `rally` and B up over
//!   `window`, while the mean amount of the last `window` days is more than `shrink` below that
//!   of the `window` days before;
//! - squeeze setup (轧空), `squeeze_value` (label 8): P up at least `rally` over `window` while
//!   L's share of the margin balances, L / (B + L), is at or above the `squeeze_rank`
//!   percentile of its last `high_days` days and L is not falling over `lending_days`;
//! - healthy, `healthy_value` (label 5): B up over `window` by no more than `steady_growth` and
//!   up over `stall_days` too (rising steadily), L up no more than `lending_flat` over `window`
//!   (flat or falling), and P's change over `window` in [0, `moderate_gain`];
//! - otherwise 0 (label 0), and 0 on days without a balance.
//!
//! L "turned up" means L grew more than `lending_up` over `lending_days`; a day without L
//! cannot confirm a warning that requires it.
//!
//! How long a warning (labels 1, 2, 6, 7) holds, `hold`:
//! - `"days"`: for `warning_days` days after it fires (the latest warning's value and label),
//!   unless a capitulation comes in between; a fresh warning or a capitulation shows itself;
//! - `"until_clear"`: a state machine, the warning holds until a release (capitulation) or a
//!   healthy day, however long that takes; a later warning replaces it. Squeeze days do not
//!   end a warning: they say shorts may be forced to cover, not that leverage has cleared.
//!
//! Gauges, in [0, 1] (label 4 where defined, 0 where an input is missing):
//! - `output = "buy_share"`: financing purchases over the index's turnover of the same day.
//!   The purchases column is lagged by the margin series' publication lag (1 day by default),
//!   so it is divided by the amount `lag_days` rows earlier. Compare purchases with a
//!   market-wide turnover (a broad index) for a market-wide share;
//! - `output = "balance_to_cap"`: financing balance over market capitalisation.
//!
//! Every case of day t reads rows up to t only; the state machine runs forward from the first
//! row, so a day's value is the same whatever follows it.

use cyclebt_sdk::{Field, History, Output, Plugin, declare_plugin};
use cyclebt_seed_common::Columns;
use cyclebt_seed_common::rolling::{before, change, mean, percentile_rank, window};
use cyclebt_seed_common::sliding::{Extreme, SlidingExtreme};
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
    hold: String,
    require_lending_up: bool,
    lending_days: usize,
    lending_up: f64,
    lending_flat: f64,
    steady_growth: f64,
    moderate_gain: f64,
    healthy_value: f64,
    rally: f64,
    shrink: f64,
    weak_rally_value: f64,
    early_drawdown: f64,
    surge: f64,
    squeeze_rank: f64,
    squeeze_value: f64,
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
            hold: "days".into(),
            require_lending_up: true,
            lending_days: 5,
            lending_up: 0.0,
            lending_flat: 0.05,
            steady_growth: 0.10,
            moderate_gain: 0.08,
            healthy_value: 0.5,
            rally: 0.05,
            shrink: 0.10,
            weak_rally_value: -0.5,
            early_drawdown: 0.15,
            surge: 0.03,
            squeeze_rank: 0.9,
            squeeze_value: 0.5,
        }
    }
}

/// Labels of the signal's cases.
const NONE: u32 = 0;
const OUTRUN: u32 = 1;
const STALL: u32 = 2;
const CAPITULATION: u32 = 3;
const GAUGE: u32 = 4;
const HEALTHY: u32 = 5;
const WEAK_RALLY: u32 = 6;
const DEEPER_CORRECTION: u32 = 7;
const SQUEEZE: u32 = 8;

/// Whether a label is a warning (negative) case.
fn is_warning(label: u32) -> bool {
    matches!(label, OUTRUN | STALL | WEAK_RALLY | DEEPER_CORRECTION)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Signal,
    BuyShare,
    BalanceToCap,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Hold {
    /// A warning holds `warning_days` days.
    Days,
    /// A warning holds until a capitulation or a healthy day.
    UntilClear,
}

/// The plugin.
pub struct MarginDivergence {
    config: Config,
    mode: Mode,
    hold: Hold,
    label: u32,
}

impl MarginDivergence {
    /// Outputs of days `first..history.len()`.
    fn outputs(&self, history: &History<'_>, first: usize) -> Vec<Output> {
        let c = Columns::of(history);
        let today = history.today();
        let output = |(value, label): (f64, u32)| Output { value, label };
        // The `high_days` high, slid along the days instead of rescanned for each.
        let mut highs = SlidingExtreme::unless_nan(c.close, Extreme::Highest);
        if self.mode != Mode::Signal {
            return (first..=today)
                .map(|t| output(self.case(&c, &mut highs, t)))
                .collect();
        }
        // The cases the held warnings depend on: from the first row for the state machine,
        // from `warning_days` before the window for the timeout.
        let start = match self.hold {
            Hold::UntilClear => 0,
            Hold::Days => first.saturating_sub(self.config.warning_days),
        };
        let cases: Vec<(f64, u32)> = (start..=today)
            .map(|t| self.case(&c, &mut highs, t))
            .collect();
        let held = match self.hold {
            Hold::UntilClear => until_clear(&cases),
            Hold::Days => timeout(&cases, self.config.warning_days),
        };
        held.into_iter().skip(first - start).map(output).collect()
    }

    /// Value and label of what happens on day `t` itself; `highs` slides over the closes.
    fn case(&self, c: &Columns<'_>, highs: &mut SlidingExtreme<'_>, t: usize) -> (f64, u32) {
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
            return (0.0, NONE);
        }
        let balance = change(c.financing, t, k.window);
        let price = change(c.close, t, k.window);
        let declining = price.is_some_and(|p| p <= -k.decline);
        let spike = before(c.amount, t, k.amount_days)
            .and_then(mean)
            .is_some_and(|base| base > 0.0 && c.amount[t] >= k.spike * base);
        let falling = change(c.financing, t, k.drop_days).is_some_and(|g| g <= -k.drop);
        if falling && declining && spike {
            return (1.0, CAPITULATION);
        }
        let high = highs.value((t + 1).saturating_sub(k.high_days)..t + 1);
        let surging = change(c.financing, t, k.drop_days).is_some_and(|g| g >= k.surge);
        let early = high.is_some_and(|h| c.close[t] >= h * (1.0 - k.early_drawdown));
        if declining
            && early
            && surging
            && let (Some(b), Some(p)) = (balance, price)
            && self.unusual_divergence(c, t, b - p)
        {
            return (-1.0, DEEPER_CORRECTION);
        }
        let lending_confirms = !k.require_lending_up
            || change(c.lending, t, k.lending_days).is_some_and(|g| g > k.lending_up);
        if let (Some(b), Some(p)) = (balance, price)
            && b > 0.0
            && b - p >= k.outrun
            && lending_confirms
            && self.unusual_divergence(c, t, b - p)
        {
            return (-1.0, OUTRUN);
        }
        let near_high = high.is_some_and(|h| c.close[t] >= h * (1.0 - k.near_high));
        let stalled = change(c.financing, t, k.stall_days).is_some_and(|g| g <= k.stall_growth);
        if near_high && stalled && lending_confirms {
            return (k.stall_value, STALL);
        }
        let rallying = price.is_some_and(|p| p >= k.rally);
        if rallying && balance.is_some_and(|b| b > 0.0) && self.amount_shrinking(c, t) {
            return (k.weak_rally_value, WEAK_RALLY);
        }
        if rallying && self.lending_high(c, t) {
            return (k.squeeze_value, SQUEEZE);
        }
        let steady = balance.is_some_and(|b| b > 0.0 && b <= k.steady_growth)
            && change(c.financing, t, k.stall_days).is_some_and(|g| g > 0.0);
        let lending_flat = change(c.lending, t, k.window).is_some_and(|g| g <= k.lending_flat);
        let moderate = price.is_some_and(|p| (0.0..=k.moderate_gain).contains(&p));
        if steady && lending_flat && moderate {
            return (k.healthy_value, HEALTHY);
        }
        (0.0, NONE)
    }

    /// Whether the mean amount of the last `window` days is more than `shrink` below that of
    /// the `window` days before them.
    fn amount_shrinking(&self, c: &Columns<'_>, t: usize) -> bool {
        let k = &self.config;
        let recent = window(c.amount, t, k.window).and_then(mean);
        let earlier = t
            .checked_sub(k.window)
            .and_then(|end| window(c.amount, end, k.window))
            .and_then(mean);
        matches!((recent, earlier), (Some(r), Some(e)) if e > 0.0 && r < e * (1.0 - k.shrink))
    }

    /// Whether the lending balance's share of the margin balances is at or above the
    /// `squeeze_rank` percentile of its last `high_days` days, and L is not falling.
    fn lending_high(&self, c: &Columns<'_>, t: usize) -> bool {
        let k = &self.config;
        let from = (t + 1).saturating_sub(k.high_days);
        let share: Vec<f64> = (from..=t)
            .map(|d| c.lending[d] / (c.financing[d] + c.lending[d]))
            .collect();
        let rank = percentile_rank(&share, share.len() - 1, k.high_days, MIN_HISTORY);
        let not_falling = change(c.lending, t, k.lending_days).is_some_and(|g| g >= 0.0);
        rank.is_some_and(|r| r >= k.squeeze_rank) && not_falling
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

/// The timeout: a warning shows for `days` days (its own and `days - 1` after), unless a
/// capitulation or a later warning comes first; other days show their own case.
fn timeout(cases: &[(f64, u32)], days: usize) -> Vec<(f64, u32)> {
    let mut held: Option<((f64, u32), usize)> = None;
    cases
        .iter()
        .enumerate()
        .map(|(t, &case)| {
            if is_warning(case.1) {
                held = Some((case, t));
            } else if case.1 == CAPITULATION {
                held = None;
            }
            match held {
                Some((warning, fired)) if t - fired < days && !matches!(case.1, CAPITULATION) => {
                    warning
                }
                _ => case,
            }
        })
        .collect()
}

/// The state machine: a warning holds until a capitulation or a healthy day; a later warning
/// replaces it; days in between (none, squeeze) show the warning.
fn until_clear(cases: &[(f64, u32)]) -> Vec<(f64, u32)> {
    let mut held: Option<(f64, u32)> = None;
    cases
        .iter()
        .map(|&case| {
            if is_warning(case.1) {
                held = Some(case);
            } else if matches!(case.1, CAPITULATION | HEALTHY) {
                held = None;
            }
            held.unwrap_or(case)
        })
        .collect()
}

/// Fewest past values the outrun warning and the squeeze's percentile need.
const MIN_HISTORY: usize = 60;

/// A ratio in [0, 1] with label [`GAUGE`], or 0 with label 0 when an input is missing.
fn gauge(ratio: f64) -> (f64, u32) {
    if ratio.is_finite() {
        (ratio.clamp(0.0, 1.0), GAUGE)
    } else {
        (0.0, NONE)
    }
}

impl Plugin for MarginDivergence {
    type Config = Config;
    const NAME: &'static str = "margin-divergence";
    const REQUIRES: &'static [Field] = &[Field::FinancingBalance];
    // By the label constants above; the gauges' label (4) marks every day with a value and is
    // left unnamed, so it is not shaded.
    const LABELS: &'static [&'static str] = &[
        "leverage outrunning price",
        "stall near the high",
        "capitulation",
        "",
        "healthy",
        "weak rally",
        "deeper correction",
        "squeeze setup",
    ];
    const PARAMS: &'static [(&'static str, &'static str)] = &[
        (
            "output",
            "\"signal\", or a gauge: \"buy_share\" or \"balance_to_cap\"",
        ),
        (
            "window",
            "days over which balance, lending, index and amount changes are measured",
        ),
        ("outrun", "balance growth minus index growth that warns"),
        (
            "high_days",
            "look-back of the index high and of the lending share's percentile",
        ),
        (
            "near_high",
            "how close to its high the index counts as near it",
        ),
        (
            "stall_days",
            "days over which a stalled (or still rising) balance is measured",
        ),
        (
            "stall_growth",
            "balance growth at or under which it has stalled",
        ),
        (
            "drop_days",
            "days over which a fast fall or a surge of the balance is measured",
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
            "with hold = \"days\": days a warning stays in force unless a capitulation comes first",
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
        (
            "hold",
            "\"days\": a warning holds warning_days; \"until_clear\": until a capitulation or a healthy day",
        ),
        (
            "require_lending_up",
            "the outrun and stall warnings need the lending balance turning up (the seed's reading)",
        ),
        (
            "lending_days",
            "days over which the lending balance turning up (or not falling) is measured",
        ),
        (
            "lending_up",
            "lending growth over lending_days above which it has turned up",
        ),
        (
            "lending_flat",
            "lending growth over window at or under which it is flat or falling (healthy)",
        ),
        (
            "steady_growth",
            "balance growth over window at or under which a rise is steady, not steep (healthy)",
        ),
        (
            "moderate_gain",
            "index gain over window at or under which it is moderate (healthy)",
        ),
        ("healthy_value", "the value of a healthy day, in (0, 1]"),
        (
            "rally",
            "index gain over window that counts as a rally (weak rally, squeeze)",
        ),
        (
            "shrink",
            "fall of the mean amount against the window before that counts as shrinking",
        ),
        (
            "weak_rally_value",
            "the value of the weak-rally warning, in [-1, 0)",
        ),
        (
            "early_drawdown",
            "fall from the high within which a decline is early (deeper correction)",
        ),
        (
            "surge",
            "balance growth over drop_days that counts as surging (deeper correction)",
        ),
        (
            "squeeze_rank",
            "percentile of the lending share at or above which it is high (squeeze)",
        ),
        ("squeeze_value", "the value of a squeeze setup, in (0, 1]"),
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
        let hold = match config.hold.as_str() {
            "days" => Hold::Days,
            "until_clear" => Hold::UntilClear,
            other => {
                return Err(format!(
                    "hold \"{other}\": expected \"days\" or \"until_clear\""
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
            config.lending_days,
        ];
        if days.contains(&0) {
            return Err("window and every *_days parameter must be positive".into());
        }
        let negative = [config.stall_value, config.weak_rally_value];
        let positive = [config.healthy_value, config.squeeze_value];
        if !(config.outrun_z.is_finite()
            && negative.iter().all(|v| (-1.0..0.0).contains(v))
            && positive.iter().all(|v| *v > 0.0 && *v <= 1.0))
        {
            return Err(
                "outrun_z must be finite, stall_value and weak_rally_value in [-1, 0), healthy_value and squeeze_value in (0, 1]"
                    .into(),
            );
        }
        let levels = [
            config.outrun,
            config.near_high,
            config.drop,
            config.decline,
            config.spike,
            config.steady_growth,
            config.moderate_gain,
            config.rally,
            config.shrink,
            config.early_drawdown,
            config.surge,
        ];
        let free = [config.stall_growth, config.lending_up, config.lending_flat];
        if levels.iter().any(|v| !v.is_finite() || *v < 0.0) || free.iter().any(|v| !v.is_finite())
        {
            return Err(
                "thresholds must be finite, and all but stall_growth, lending_up and lending_flat not negative"
                    .into(),
            );
        }
        if !(0.0..=1.0).contains(&config.squeeze_rank) || config.shrink >= 1.0 {
            return Err("squeeze_rank must be in [0, 1] and shrink below 1".into());
        }
        Ok(MarginDivergence {
            config,
            mode,
            hold,
            label: 0,
        })
    }

    cyclebt_seed_common::whole_series_evaluation!();
}

declare_plugin!(MarginDivergence);
