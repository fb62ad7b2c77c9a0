//! The phase classifier of seed 002 (three kinds of capital in A-share bull markets), as
//! restated in `shared/DOMAIN.md`. Every threshold is a field of [`PhaseParams`].
//!
//! Daily features on day `t`, each from rows `..=t`:
//! - gain: close over the lowest close of the last `low_days` days, minus 1;
//! - breakout: close at or above (1 - `breakout_tolerance`) x the highest close of the
//!   `high_days` days before `t`;
//! - momentum: close over the close `momentum_days` earlier, minus 1; rising when > 0,
//!   stalled when its size is under `stall`;
//! - marginal amount: amount over the mean amount of the `amount_days` days before `t`;
//! - net buying: the financing balance's change over `flow_days` days (financing net buying;
//!   the balance is already lagged by its publication delay). Where there is no margin data
//!   (before 2010-03-31) the fallback is the signed amount: the sum over `flow_days` days of
//!   the day's amount with the sign of its close-to-close move. "Growing" compares it with
//!   the same measure `flow_days` earlier;
//! - PE and turnover percentiles: rank of today's value among the last `pe_days` /
//!   `turnover_days` days. Where a series is missing the condition on it is skipped.
//!
//! Phases, first match wins:
//! 1. FOMO chasing (踏空追涨): breakout, rising, marginal amount >= `amount_expansion`, net
//!    buying positive and growing, PE percentile >= `pe_mid`, turnover percentile >=
//!    `turnover_high`.
//! 2. Right-side profit taking (右侧止盈): a FOMO day in the last `fomo_memory` days, gain >=
//!    `gain_threshold`, price `pullback` below its `pullback_days` high or stalled, marginal
//!    amount >= `active_amount`, net buying not positive-and-growing, PE percentile >= `pe_high`.
//! 3. Breakeven (盈亏平衡): close inside the previous bear market's cost zone
//!    ([`crate::zone`]), stalled, net buying negative, marginal amount >= `active_amount`, PE
//!    percentile in [`pe_low`, `pe_high`].
//! 4. Bottom building (底部建仓): gain < `bottom_gain` or PE percentile <= `pe_low`, rising
//!    gently (momentum in (0, `gentle_rise`]), net buying positive, turnover percentile <=
//!    `turnover_low`.
//!
//! A percentile needs `min_rank_values` finite values; with fewer its condition is skipped.
//! 5. None.

use serde::{Deserialize, Serialize};

use crate::Columns;
use crate::rolling::{before, change, mean};
use crate::sliding::{Extreme, SlidingExtreme, SlidingRank};
use crate::zone::{ZoneCache, ZoneParams};

/// A phase; the number is the label the plugins return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Phase {
    /// No phase's conditions hold.
    None = 0,
    /// 底部建仓.
    BottomBuilding = 1,
    /// 盈亏平衡.
    Breakeven = 2,
    /// 踏空追涨.
    Fomo = 3,
    /// 右侧止盈.
    ProfitTaking = 4,
}

impl Phase {
    /// Short name, for tables.
    pub fn name(self) -> &'static str {
        match self {
            Phase::None => "none",
            Phase::BottomBuilding => "bottom_building",
            Phase::Breakeven => "breakeven",
            Phase::Fomo => "fomo",
            Phase::ProfitTaking => "profit_taking",
        }
    }

    /// The phase of a label.
    pub fn from_label(label: u32) -> Option<Phase> {
        [
            Phase::None,
            Phase::BottomBuilding,
            Phase::Breakeven,
            Phase::Fomo,
            Phase::ProfitTaking,
        ]
        .into_iter()
        .find(|p| *p as u32 == label)
    }
}

/// Thresholds of the classifier; the defaults are this project's reading of seed 002, whose
/// text gives the conditions but not the numbers.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct PhaseParams {
    /// Look-back of the trailing low for the gain (default 250, a trading year).
    pub low_days: usize,
    /// Look-back of the previous high a breakout clears (default 60).
    pub high_days: usize,
    /// How close under the previous high still counts as a breakout (default 0.02).
    pub breakout_tolerance: f64,
    /// Momentum horizon (default 10).
    pub momentum_days: usize,
    /// Momentum under this size is a stall (default 0.02).
    pub stall: f64,
    /// Base of the marginal amount (default 20 days).
    pub amount_days: usize,
    /// Marginal amount that counts as expanding (default 1.1).
    pub amount_expansion: f64,
    /// Horizon of net buying (default 5 days).
    pub flow_days: usize,
    /// Look-back of the PE percentile (default 1250, about five years).
    pub pe_days: usize,
    /// Low / mid / high PE percentile (defaults 0.3 / 0.4 / 0.7).
    pub pe_low: f64,
    /// See `pe_low`.
    pub pe_mid: f64,
    /// See `pe_low`.
    pub pe_high: f64,
    /// Look-back of the turnover percentile (default 250).
    pub turnover_days: usize,
    /// Low / high turnover percentile (defaults 0.3 / 0.5).
    pub turnover_low: f64,
    /// See `turnover_low`.
    pub turnover_high: f64,
    /// Gain from the trailing low after which FOMO entries count (default 0.20: the study
    /// finds FOMO days almost only after the index is up 20% from its low). It is a raw gain,
    /// `close / trailing low - 1`, not a share of the cycle's rise as in the study's gain
    /// buckets: the share of a rise is known only once the peak is, after the fact, and a
    /// decision on day t may not know it.
    pub gain_threshold: f64,
    /// Gain under which the index is near its low (default 0.10).
    pub bottom_gain: f64,
    /// Fall from the recent high that marks profit taking (default 0.05).
    pub pullback: f64,
    /// How recent a FOMO day must be for profit taking (default 20 days).
    pub fomo_memory: usize,
    /// How far back the gain must have been under `gain_threshold` for a FOMO day to be an
    /// entry (default 250 days).
    pub arm_days: usize,
    /// Fewest finite values a PE or turnover percentile needs (default 20); fewer and the
    /// condition on it is skipped.
    pub min_rank_values: usize,
    /// Marginal amount from which turnover counts as active for profit taking and breakeven
    /// (default 1.0: at least the recent average).
    pub active_amount: f64,
    /// Largest momentum that still counts as rising gently, for bottom building (default 0.04).
    pub gentle_rise: f64,
    /// Days of the recent high that profit taking's pullback is measured from (default 20).
    pub pullback_days: usize,
    /// The cost zone.
    pub zone: ZoneParams,
}

impl Default for PhaseParams {
    fn default() -> Self {
        PhaseParams {
            low_days: 250,
            high_days: 60,
            breakout_tolerance: 0.02,
            momentum_days: 10,
            stall: 0.02,
            amount_days: 20,
            amount_expansion: 1.1,
            flow_days: 5,
            pe_days: 1250,
            pe_low: 0.3,
            pe_mid: 0.4,
            pe_high: 0.7,
            turnover_days: 250,
            turnover_low: 0.3,
            turnover_high: 0.5,
            gain_threshold: 0.20,
            bottom_gain: 0.10,
            pullback: 0.05,
            fomo_memory: 20,
            arm_days: 250,
            min_rank_values: 20,
            active_amount: 1.0,
            gentle_rise: 0.04,
            pullback_days: 20,
            zone: ZoneParams::default(),
        }
    }
}

/// What each [`PhaseParams`] key means, for plugins' parameter listings.
pub const PHASE_PARAM_DOCS: &[(&str, &str)] = &[
    ("low_days", "look-back of the trailing low for the gain"),
    (
        "high_days",
        "look-back of the previous high a breakout clears",
    ),
    (
        "breakout_tolerance",
        "how close under the previous high still counts as a breakout",
    ),
    ("momentum_days", "momentum horizon"),
    ("stall", "momentum under this size is a stall"),
    ("amount_days", "base of the marginal amount"),
    (
        "amount_expansion",
        "marginal amount that counts as expanding",
    ),
    ("flow_days", "horizon of net buying"),
    ("pe_days", "look-back of the PE percentile"),
    ("pe_low", "low PE percentile"),
    ("pe_mid", "PE percentile from which FOMO is possible"),
    ("pe_high", "high PE percentile"),
    ("turnover_days", "look-back of the turnover percentile"),
    ("turnover_low", "low turnover percentile"),
    ("turnover_high", "high turnover percentile"),
    (
        "gain_threshold",
        "raw gain from the trailing low (not a share of the cycle's rise, known only afterwards) after which FOMO days are entries",
    ),
    ("bottom_gain", "gain under which the index is near its low"),
    (
        "pullback",
        "fall from the recent high that marks profit taking",
    ),
    (
        "fomo_memory",
        "how recent a FOMO day must be for profit taking",
    ),
    (
        "arm_days",
        "how far back the gain must have been under the threshold for an entry",
    ),
    (
        "min_rank_values",
        "fewest values a PE or turnover percentile needs",
    ),
    (
        "active_amount",
        "marginal amount from which turnover counts as active (profit taking, breakeven)",
    ),
    (
        "gentle_rise",
        "largest momentum that still counts as rising gently (bottom building)",
    ),
    (
        "pullback_days",
        "days of the recent high that profit taking's pullback is measured from",
    ),
    (
        "zone",
        "the previous bear market's cost zone: trough_days, peak_days, min_drawdown, bins, zone_mass",
    ),
];

/// The description of parameter `name`: from a plugin's own `own` list, else from
/// [`PHASE_PARAM_DOCS`], else "".
pub fn describe_param(own: &'static [(&'static str, &'static str)], name: &str) -> &'static str {
    own.iter()
        .chain(PHASE_PARAM_DOCS)
        .find(|(n, _)| *n == name)
        .map_or("", |(_, d)| d)
}

impl PhaseParams {
    /// Checks the parameters make sense.
    pub fn check(&self) -> Result<(), String> {
        let days = [
            self.low_days,
            self.high_days,
            self.momentum_days,
            self.amount_days,
            self.flow_days,
            self.pe_days,
            self.turnover_days,
            self.fomo_memory,
            self.arm_days,
            self.min_rank_values,
            self.pullback_days,
        ];
        if days.contains(&0) {
            return Err("every *_days parameter and fomo_memory must be positive".into());
        }
        let fractions = [
            self.pe_low,
            self.pe_mid,
            self.pe_high,
            self.turnover_low,
            self.turnover_high,
        ];
        if fractions.iter().any(|f| !(0.0..=1.0).contains(f)) {
            return Err("percentile thresholds must be in [0, 1]".into());
        }
        if [
            self.breakout_tolerance,
            self.stall,
            self.gain_threshold,
            self.bottom_gain,
            self.pullback,
            self.amount_expansion,
            self.active_amount,
            self.gentle_rise,
        ]
        .iter()
        .any(|v| !v.is_finite() || *v < 0.0)
        {
            return Err(
                "tolerances, gains and the amount expansion must be finite and not negative".into(),
            );
        }
        self.zone.check()
    }
}

/// What the classifier saw on one day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Day {
    /// The phase.
    pub phase: Phase,
    /// Gain from the trailing low (NaN while undefined).
    pub gain: f64,
    /// Whether the close is inside the previous bear market's cost zone.
    pub in_zone: bool,
    /// Whether momentum stalled.
    pub stalled: bool,
    /// Marginal amount (NaN while undefined).
    pub marginal_amount: f64,
}

/// Net buying over `flow_days` days ending at `t`: the financing balance's change, or where
/// that is missing the signed amount.
fn net_buying(c: &Columns<'_>, t: usize, days: usize) -> Option<f64> {
    if let Some(then) = t.checked_sub(days) {
        let (now, before) = (c.financing[t], c.financing[then]);
        if now.is_finite() && before.is_finite() {
            return Some(now - before);
        }
    }
    let start = t.checked_sub(days)?;
    let mut sum = 0.0;
    for i in start + 1..=t {
        let traded = c.amount[i];
        if !traded.is_finite() {
            return None;
        }
        match c.close[i].partial_cmp(&c.close[i - 1]) {
            Some(std::cmp::Ordering::Greater) => sum += traded,
            Some(std::cmp::Ordering::Less) => sum -= traded,
            _ => {}
        }
    }
    Some(sum)
}

fn holds_or_unknown(rank: Option<f64>, test: impl Fn(f64) -> bool) -> bool {
    rank.is_none_or(test)
}

/// Classifies the days `from..c.close.len()`, each from the rows up to it.
pub fn classify(c: &Columns<'_>, from: usize, p: &PhaseParams) -> Vec<Day> {
    let n = c.close.len();
    // FOMO flags are needed `fomo_memory` days before `from` (for profit taking).
    let start = from.saturating_sub(p.fomo_memory);
    // The trailing windows slide one day at a time (see `crate::sliding`): each answer is what
    // the `rolling` function of the module docs gives for that window.
    let mut lows = SlidingExtreme::unless_nan(c.close, Extreme::Lowest);
    let mut previous_highs = SlidingExtreme::unless_nan(c.close, Extreme::Highest);
    let mut recent_highs = SlidingExtreme::unless_nan(c.close, Extreme::Highest);
    let mut pe_ranks = SlidingRank::new(c.pe, start, p.pe_days);
    let mut turnover_ranks = SlidingRank::new(c.turnover, start, p.turnover_days);
    let mut zones = ZoneCache::new(c.close, c.amount, &p.zone);
    // The latest FOMO day before `t` (FOMO days from `start` on count, for profit taking).
    let mut last_fomo: Option<usize> = None;
    let mut days = Vec::with_capacity(n - from);
    for t in start..n {
        let close = c.close[t];
        let gain = lows
            .value((t + 1).saturating_sub(p.low_days)..t + 1)
            .map_or(f64::NAN, |low| close / low - 1.0);
        // The `high_days` rows before `t`, only once there are that many.
        let breakout = (t >= p.high_days)
            .then(|| previous_highs.value(t - p.high_days..t))
            .flatten()
            .is_some_and(|high| close >= high * (1.0 - p.breakout_tolerance));
        let momentum = change(c.close, t, p.momentum_days);
        let rising = momentum.is_some_and(|m| m > 0.0);
        let stalled = momentum.is_some_and(|m| m.abs() < p.stall);
        let marginal = before(c.amount, t, p.amount_days)
            .and_then(mean)
            .filter(|base| *base > 0.0)
            .map_or(f64::NAN, |base| c.amount[t] / base);
        let flow = net_buying(c, t, p.flow_days);
        let flow_before = t
            .checked_sub(p.flow_days)
            .and_then(|s| net_buying(c, s, p.flow_days));
        let buying = flow.is_some_and(|f| f > 0.0);
        let growing = matches!((flow, flow_before), (Some(now), Some(then)) if now > then);
        let pe_rank = pe_ranks.rank(t, p.pe_days, p.min_rank_values);
        let turnover_rank = turnover_ranks.rank(t, p.turnover_days, p.min_rank_values);

        let is_fomo = breakout
            && rising
            && marginal >= p.amount_expansion
            && buying
            && growing
            && holds_or_unknown(pe_rank, |r| r >= p.pe_mid)
            && holds_or_unknown(turnover_rank, |r| r >= p.turnover_high);
        let recent_fomo = last_fomo.is_some_and(|f| f >= t.saturating_sub(p.fomo_memory));
        if is_fomo {
            last_fomo = Some(t);
        }
        if t < from {
            continue;
        }
        let recent_high = recent_highs
            .value((t + 1).saturating_sub(p.pullback_days)..t + 1)
            .unwrap_or(close);
        let in_zone = zones.on(t).is_some_and(|z| z.contains(close));
        let phase = if is_fomo {
            Phase::Fomo
        } else if recent_fomo
            && gain >= p.gain_threshold
            && (close <= recent_high * (1.0 - p.pullback) || stalled)
            && marginal >= p.active_amount
            && !(buying && growing)
            && holds_or_unknown(pe_rank, |r| r >= p.pe_high)
        {
            Phase::ProfitTaking
        } else if in_zone
            && stalled
            && flow.is_some_and(|f| f < 0.0)
            && marginal >= p.active_amount
            && holds_or_unknown(pe_rank, |r| r >= p.pe_low && r <= p.pe_high)
        {
            Phase::Breakeven
        } else if (gain < p.bottom_gain || pe_rank.is_some_and(|r| r <= p.pe_low))
            && momentum.is_some_and(|m| m > 0.0 && m <= p.gentle_rise)
            && buying
            && holds_or_unknown(turnover_rank, |r| r <= p.turnover_low)
        {
            Phase::BottomBuilding
        } else {
            Phase::None
        };
        days.push(Day {
            phase,
            gain,
            in_zone,
            stalled,
            marginal_amount: marginal,
        });
    }
    days
}

/// FOMO entry events among `days` (the classification of days `from..`, as [`classify`]
/// returns it when called with `from - arm_days` or earlier): a FOMO day with gain >=
/// `gain_threshold`, where the gain was under the threshold on some day of the last
/// `arm_days` days and no FOMO day came since that day.
pub fn entries(days: &[Day], offset: usize, p: &PhaseParams) -> Vec<bool> {
    let mut out = vec![false; days.len()];
    // Index (into `days`) of the latest day with gain under the threshold, and whether a FOMO
    // day has come since.
    let mut last_below: Option<usize> = None;
    let mut fomo_since = false;
    for (i, day) in days.iter().enumerate() {
        if day.gain.is_nan() || day.gain < p.gain_threshold {
            last_below = Some(i);
            fomo_since = false;
            continue;
        }
        let armed = last_below.is_some_and(|b| i - b <= p.arm_days) && !fomo_since;
        if day.phase == Phase::Fomo {
            out[i] = armed && i >= offset;
            fomo_since = true;
        }
    }
    out
}
