//! Strategy files (`strategies/*.toml`): signals, entry and exit rules, sizing rules, costs and
//! execution. Unknown keys are errors; every error names the file, line and column.
//!
//! ```toml
//! name = "sma-trend"
//! capital = "1000000"            # yuan
//! isolate = false                # true: its plugins run in child processes (--isolate)
//! [[signal]]
//! id = "trend"
//! builtin = "sma_cross"
//! params = { fast = 20, slow = 60 }
//! [[entry]]                      # all entry conditions must hold to enter
//! signal = "trend"
//! above = 0.0
//! [[exit]]                       # any exit condition leaves
//! signal = "trend"
//! below = 0.0                    # or cross_below = 0.0: only on the day it falls through
//! [[sizing]]                     # each sizing rule is its own run
//! name = "full"
//! rule = "full"
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rust_decimal::Decimal;
use rust_decimal::dec;
use serde::Deserialize;
use toml::Spanned;

use cyclebt_data::check_name;

use crate::account::{MarginSchedule, MarginTerms};
use crate::builtin::builtin_signal;
use crate::costs::{CostModel, StampDutySchedule};
use crate::signal::Signal;
use crate::sizing::{Sizing, SizingRule};

/// A strategy file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}{at}: {message}", path = .path.display(), at = .line.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
pub struct StrategyError {
    /// The strategy file.
    pub path: PathBuf,
    /// 1-based line and column, where known.
    pub line: Option<(usize, usize)>,
    /// What is wrong and what was expected.
    pub message: String,
}

/// When an order decided at the close of day `t` fills.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FillTiming {
    /// At the open of day `t + 1` (default).
    #[default]
    NextOpen,
    /// At the close of day `t + 1`.
    NextClose,
}

/// Execution settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Execution {
    /// Fill timing.
    #[serde(default)]
    pub fill: FillTiming,
    /// Smallest tradable quantity of the index, in index units; quantities are rounded down to
    /// a multiple of it. Default 0.0001: effectively fractional, as in vectorbt. Set it to your
    /// instrument's lot to model whole lots.
    #[serde(default = "default_lot")]
    pub lot: Decimal,
}

fn default_lot() -> Decimal {
    dec!(0.0001)
}

impl Default for Execution {
    fn default() -> Self {
        Execution {
            fill: FillTiming::default(),
            lot: default_lot(),
        }
    }
}

/// The `[costs]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostsConfig {
    /// Commission in basis points (default 2.5, a common A-share retail rate, 万2.5).
    #[serde(default = "default_commission_bps")]
    pub commission_bps: Decimal,
    /// Minimum commission per trade in yuan (default 5).
    #[serde(default = "default_min_commission")]
    pub min_commission: Decimal,
    /// Slippage in basis points (default 0).
    #[serde(default)]
    pub slippage_bps: Decimal,
    /// Charge stamp duty from the schedule (default true).
    #[serde(default = "default_true")]
    pub stamp_duty: bool,
}

fn default_commission_bps() -> Decimal {
    dec!(2.5)
}

fn default_min_commission() -> Decimal {
    dec!(5)
}

fn default_true() -> bool {
    true
}

impl Default for CostsConfig {
    fn default() -> Self {
        CostsConfig {
            commission_bps: default_commission_bps(),
            min_commission: default_min_commission(),
            slippage_bps: Decimal::ZERO,
            stamp_duty: true,
        }
    }
}

impl CostsConfig {
    /// The cost model, with `schedule` as the stamp duty history when duty is charged.
    pub fn model(&self, schedule: &StampDutySchedule) -> CostModel {
        CostModel {
            commission_bps: self.commission_bps,
            min_commission: self.min_commission,
            slippage_bps: self.slippage_bps,
            stamp_duty: if self.stamp_duty {
                schedule.clone()
            } else {
                StampDutySchedule::default()
            },
        }
    }
}

/// Default starting capital: one million yuan.
pub const DEFAULT_CAPITAL: Decimal = dec!(1000000);

fn default_capital() -> Decimal {
    DEFAULT_CAPITAL
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignalConfig {
    id: String,
    builtin: Option<String>,
    plugin: Option<String>,
    path: Option<PathBuf>,
    params: Option<Spanned<toml::Table>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct StrategyPluginConfig {
    plugin: Option<String>,
    path: Option<PathBuf>,
    params: Option<Spanned<toml::Table>>,
}

/// What a strategy file asks a signal to be made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignalSource {
    /// A signal compiled into the engine, by kind (`sma_cross`).
    Builtin(String),
    /// A plugin found by name in the plugin directories.
    Plugin(String),
    /// A plugin library at a path (already resolved against the strategy file's folder).
    PluginPath(PathBuf),
}

/// Whether a plugin must compute a signal or a whole strategy's exposure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalRole {
    /// A value in [-1, 1] for the rules.
    Signal,
    /// The target exposure in [0, 1].
    Strategy,
}

/// A request to build one signal.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalSpec {
    /// Where it comes from.
    pub source: SignalSource,
    /// Its `params` table.
    pub params: toml::Table,
    /// What it must compute.
    pub role: SignalRole,
    /// Evaluate it in a child process even when the whole command does not (the strategy
    /// file's `isolate = true`); only plugins are isolated.
    pub isolate: bool,
}

/// Builds signals for strategy files. The engine's [`BuiltinSignals`] knows the built-ins;
/// the plugin host adds plugins.
pub trait SignalFactory {
    /// Builds the signal `spec` asks for, or says why not.
    fn create(&self, spec: &SignalSpec) -> Result<Box<dyn Signal>, String>;
}

/// The built-in signals only.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuiltinSignals;

impl SignalFactory for BuiltinSignals {
    fn create(&self, spec: &SignalSpec) -> Result<Box<dyn Signal>, String> {
        match (&spec.source, spec.role) {
            (SignalSource::Builtin(kind), SignalRole::Signal) => {
                builtin_signal(kind, spec.params.clone())
            }
            (SignalSource::Builtin(kind), SignalRole::Strategy) => Err(format!(
                "built-in signal \"{kind}\" is not a strategy plugin"
            )),
            _ => Err("plugins need the plugin host (cyclebt-host)".into()),
        }
    }
}

/// The source named by exactly one of `builtin`, `plugin` and `path`.
fn signal_source(
    builtin: Option<&String>,
    plugin: Option<&String>,
    path: Option<&PathBuf>,
    folder: &Path,
) -> Result<SignalSource, String> {
    match (builtin, plugin, path) {
        (Some(kind), None, None) => Ok(SignalSource::Builtin(kind.clone())),
        (None, Some(name), None) => Ok(SignalSource::Plugin(name.clone())),
        (None, None, Some(path)) => Ok(SignalSource::PluginPath(folder.join(path))),
        _ => Err("expected exactly one of `builtin`, `plugin` or `path`".into()),
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConditionConfig {
    signal: String,
    above: Option<f64>,
    below: Option<f64>,
    cross_above: Option<f64>,
    cross_below: Option<f64>,
}

/// A `[[sizing]]` table: `name` and `rule` plus the rule's parameters.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case", deny_unknown_fields)]
enum SizingConfig {
    // A struct variant, not a unit one: serde rejects unknown keys only in struct variants.
    Full {},
    FixedFraction {
        fraction: f64,
    },
    SignalScaled {
        signal: String,
        #[serde(default = "one")]
        max: f64,
        #[serde(default = "default_band")]
        band: f64,
    },
    VolTarget {
        target: f64,
        #[serde(default = "default_window")]
        window: usize,
        #[serde(default = "one")]
        max: f64,
        #[serde(default = "default_band")]
        band: f64,
    },
    Kelly {
        #[serde(default = "half")]
        fraction: f64,
        #[serde(default = "default_kelly_window")]
        window: usize,
        #[serde(default = "one")]
        max: f64,
        #[serde(default = "default_band")]
        band: f64,
    },
    Pyramid {
        #[serde(default = "default_steps")]
        steps: usize,
        #[serde(default = "one")]
        max: f64,
    },
}

fn one() -> f64 {
    1.0
}
fn half() -> f64 {
    0.5
}
/// Smallest change of a moving size that trades (default 0.1 of equity).
fn default_band() -> f64 {
    0.1
}
/// Returns measured for volatility targeting (default 20, a month).
fn default_window() -> usize {
    20
}
/// Returns measured for Kelly sizing (default 250, a year).
fn default_kelly_window() -> usize {
    250
}
/// Steps of a pyramid (default 3).
fn default_steps() -> usize {
    3
}

/// Largest exposure any sizing rule may ask for. The initial margin ratio limits what is
/// actually borrowed on a given day.
pub const MAX_EXPOSURE: f64 = 5.0;

/// The `[leverage]` table: the broker's terms.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeverageConfig {
    /// Annual interest on the debt (default 0.06), charged per calendar day on a 360-day year.
    #[serde(default = "default_interest")]
    pub interest_rate: Decimal,
    /// Collateral over debt under which a forced sale follows (default 1.3, 维持担保比例 130%).
    #[serde(default = "default_maintenance")]
    pub maintenance_ratio: Decimal,
    /// Collateral over debt a forced sale restores (default 1.5).
    #[serde(default = "default_restore")]
    pub restore_ratio: Decimal,
}

fn default_interest() -> Decimal {
    dec!(0.06)
}
fn default_maintenance() -> Decimal {
    dec!(1.3)
}
fn default_restore() -> Decimal {
    dec!(1.5)
}

impl Default for LeverageConfig {
    fn default() -> Self {
        LeverageConfig {
            interest_rate: default_interest(),
            maintenance_ratio: default_maintenance(),
            restore_ratio: default_restore(),
        }
    }
}

impl LeverageConfig {
    /// The broker's terms with `schedule` as the initial margin ratio's history.
    pub fn terms(&self, schedule: &MarginSchedule) -> MarginTerms {
        MarginTerms {
            schedule: schedule.clone(),
            interest_rate: self.interest_rate,
            maintenance_ratio: self.maintenance_ratio,
            restore_ratio: self.restore_ratio,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct StrategyFile {
    name: String,
    #[serde(default)]
    description: String,
    dataset: Option<String>,
    windows: Option<Vec<String>>,
    #[serde(default = "default_capital")]
    capital: Decimal,
    /// Evaluate this file's plugins in child processes (as `--isolate` does for all).
    #[serde(default)]
    isolate: bool,
    #[serde(default)]
    signal: Vec<Spanned<SignalConfig>>,
    strategy_plugin: Option<Spanned<StrategyPluginConfig>>,
    #[serde(default)]
    entry: Vec<Spanned<ConditionConfig>>,
    #[serde(default)]
    exit: Vec<Spanned<ConditionConfig>>,
    #[serde(default)]
    sizing: Vec<Spanned<toml::Table>>,
    costs: Option<Spanned<CostsConfig>>,
    leverage: Option<Spanned<LeverageConfig>>,
    #[serde(default)]
    execution: Execution,
    /// The parameter grid `cyclebt sweep` and `cyclebt validate` expand (read by
    /// `cyclebt_exec::Grid`); a single run of the file uses the parameters as written.
    #[serde(rename = "sweep")]
    _sweep: Option<toml::Table>,
}

/// A comparison of a signal value with a threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Threshold {
    /// Holds when the value is strictly above.
    Above(f64),
    /// Holds when the value is strictly below.
    Below(f64),
    /// Holds on the day the value crosses: strictly above today, strictly below the decision
    /// day before (backtesting.py's `crossover`). Never on a window's first decision day, which
    /// has no day before in the run.
    CrossAbove(f64),
    /// Holds on the day the value falls through: strictly below today, strictly above the day
    /// before.
    CrossBelow(f64),
}

/// A rule on one signal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Condition {
    /// Index into the strategy's signals.
    pub signal: usize,
    /// The test.
    pub threshold: Threshold,
}

impl Condition {
    /// Combines into `days` (one per decision day of a window) whether the condition holds
    /// there, given its signal's values: `day = combine(day, holds)`. The window's first
    /// decision day has no day before it: no cross there. A loop per kind of test, each
    /// simple enough for the compiler to vectorise.
    fn combine_into(
        &self,
        column: &[f64],
        days: &mut [bool],
        combine: impl Fn(bool, bool) -> bool + Copy,
    ) {
        match self.threshold {
            Threshold::Above(t) => combine_each(column, days, combine, |v| v > t),
            Threshold::Below(t) => combine_each(column, days, combine, |v| v < t),
            Threshold::CrossAbove(t) => {
                combine_crossings(column, days, combine, |before, v| v > t && before < t)
            }
            Threshold::CrossBelow(t) => {
                combine_crossings(column, days, combine, |before, v| v < t && before > t)
            }
        }
    }
}

/// `day = combine(day, holds(value))` for each day and its value.
fn combine_each(
    column: &[f64],
    days: &mut [bool],
    combine: impl Fn(bool, bool) -> bool + Copy,
    holds: impl Fn(f64) -> bool,
) {
    for (day, value) in days.iter_mut().zip(column) {
        *day = combine(*day, holds(*value));
    }
}

/// `day = combine(day, holds(value before, value))` for each day after the first, and
/// `combine(day, false)` on the first, which has no day before it.
fn combine_crossings(
    column: &[f64],
    days: &mut [bool],
    combine: impl Fn(bool, bool) -> bool + Copy,
    holds: impl Fn(f64, f64) -> bool,
) {
    if let Some(first) = days.first_mut() {
        *first = combine(*first, false);
    }
    for (day, pair) in days.iter_mut().skip(1).zip(column.windows(2)) {
        *day = combine(*day, holds(pair[0], pair[1]));
    }
}

/// What [`Rules`] say on each decision day of a window.
#[derive(Default)]
pub(crate) struct RuleDays {
    /// Every entry condition holds.
    pub entry: Vec<bool>,
    /// Some exit condition holds.
    pub exit: Vec<bool>,
}

/// Entry and exit rules. Out of the market, the strategy enters when every entry condition
/// holds; in the market, it leaves when any exit condition holds. With no entry conditions it
/// is always in: buy-and-hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rules {
    /// All must hold to enter.
    pub entry: Vec<Condition>,
    /// Any one leaves.
    pub exit: Vec<Condition>,
}

impl Rules {
    /// Whether the entry rules (all of them) and the exit rules (any one) hold, for each of
    /// the `days` decision days of a window whose signals took the values `by_signal` (none for
    /// buy-and-hold). A run asks these once, before its day loop: they depend on the signals
    /// only, not on the account.
    pub(crate) fn on_days(&self, by_signal: &[Arc<Vec<f64>>], days: usize) -> RuleDays {
        let mut on_days = RuleDays {
            entry: vec![true; days],
            exit: vec![false; days],
        };
        for condition in &self.entry {
            condition.combine_into(&by_signal[condition.signal], &mut on_days.entry, |a, b| {
                a & b
            });
        }
        for condition in &self.exit {
            condition.combine_into(&by_signal[condition.signal], &mut on_days.exit, |a, b| {
                a | b
            });
        }
        on_days
    }

    /// The plain trend rule on one signal: enter while it is above 0, leave when it falls
    /// below 0.
    pub fn follow_sign(signal: usize) -> Self {
        Rules {
            entry: vec![Condition {
                signal,
                threshold: Threshold::Above(0.0),
            }],
            exit: vec![Condition {
                signal,
                threshold: Threshold::Below(0.0),
            }],
        }
    }
}

/// How a strategy turns signal values into an exposure.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Entry and exit rules over the signals; in the market, hold the sizing rule's exposure.
    Rules(Rules),
    /// The only signal is a strategy plugin whose value is the target exposure in [0, 1],
    /// scaled by the sizing rule's exposure.
    Exposure,
}

impl From<Rules> for Plan {
    fn from(rules: Rules) -> Self {
        Plan::Rules(rules)
    }
}

/// Rules that change by date and live in data: the stamp duty and the initial margin ratio.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Regulation {
    /// Stamp duty history (`datasets/stamp_duty.toml`).
    pub stamp_duty: StampDutySchedule,
    /// Initial margin ratio history (`datasets/margin_rules.toml`).
    pub margin: MarginSchedule,
}

impl Regulation {
    /// The setup of a strategy file without `[costs]`, `[execution]` or `[leverage]`: no
    /// borrowing at all.
    pub fn default_setup(&self) -> Setup {
        Setup {
            capital: DEFAULT_CAPITAL,
            costs: CostsConfig::default().model(&self.stamp_duty),
            execution: Execution::default(),
            margin: MarginTerms::none(),
        }
    }
}

/// Everything a run needs besides data, signals and rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Setup {
    /// Starting capital in yuan.
    pub capital: Decimal,
    /// Costs.
    pub costs: CostModel,
    /// Execution.
    pub execution: Execution,
    /// The broker's terms for borrowing.
    pub margin: MarginTerms,
}

/// A strategy ready to run: signals built, rules resolved.
pub struct Strategy {
    /// Name in reports.
    pub name: String,
    /// What it does.
    pub description: String,
    /// Dataset it asks for: a manifest name or a path to one. None: the default dataset.
    pub dataset: Option<String>,
    /// Window ids or groups (`bulls`, `cycles`) it runs in. None: every selected window.
    pub windows: Option<Vec<String>>,
    /// The signals it names; [`Strategy::signals`] builds fresh instances from them for each
    /// run, so that no state a signal keeps can carry from one run into another.
    pub specs: Vec<SignalSpec>,
    /// The signals' ids, in the order of `specs` (a strategy plugin's is
    /// [`STRATEGY_PLUGIN_ID`]).
    pub signal_ids: Vec<String>,
    /// How signal values become an exposure.
    pub plan: Plan,
    /// Sizing rules, one run each.
    pub sizings: Vec<Sizing>,
    /// Capital, costs, execution.
    pub setup: Setup,
    /// The first plugin the factory could not build, when parsed with
    /// [`Strategy::parse_keeping_plugin_failures`]: the strategy cannot run.
    pub unbuildable: Option<StrategyError>,
}

impl Strategy {
    /// Fresh instances of the strategy's signals, in order, for one run.
    pub fn signals(&self, factory: &dyn SignalFactory) -> Result<Vec<Box<dyn Signal>>, String> {
        self.specs.iter().map(|spec| factory.create(spec)).collect()
    }

    /// Buy-and-hold: in the market from the first decision, all in.
    pub fn buy_and_hold(setup: Setup) -> Self {
        Strategy {
            name: BUY_AND_HOLD.into(),
            description: "always invested".into(),
            dataset: None,
            windows: None,
            specs: Vec::new(),
            signal_ids: Vec::new(),
            plan: Plan::Rules(Rules::default()),
            sizings: vec![Sizing::full()],
            setup,
            unbuildable: None,
        }
    }

    /// Parses a strategy file. `path` is used for messages and to resolve plugin paths,
    /// `stamp_duty` is the schedule charged when the file keeps stamp duty on, and `factory`
    /// builds the signals it names; a signal it cannot build is an error.
    pub fn parse(
        path: &Path,
        text: &str,
        regulation: &Regulation,
        factory: &dyn SignalFactory,
    ) -> Result<Self, StrategyError> {
        let strategy = Self::parse_keeping_plugin_failures(path, text, regulation, factory)?;
        match strategy.unbuildable {
            Some(error) => Err(error),
            None => Ok(strategy),
        }
    }

    /// [`Strategy::parse`], except that a plugin the factory cannot build (missing, rejected by
    /// the host, refusing its params) does not fail the parse: the strategy comes back with
    /// the error in [`Strategy::unbuildable`], so that a comparison can report it as failed
    /// and run the other strategies. Every other error in the file still fails the parse.
    pub fn parse_keeping_plugin_failures(
        path: &Path,
        text: &str,
        regulation: &Regulation,
        factory: &dyn SignalFactory,
    ) -> Result<Self, StrategyError> {
        let error = |span: Option<std::ops::Range<usize>>, message: String| StrategyError {
            path: path.to_path_buf(),
            line: span.map(|s| line_column(text, s.start)),
            message,
        };
        let file: StrategyFile =
            toml::from_str(text).map_err(|e| error(e.span(), e.message().to_string()))?;

        // A strategy file named without a folder ("s.toml") lies in the current one: "./" keeps
        // a plugin `path` beside it from being looked up in the system's library path instead.
        let folder = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let isolate = file.isolate;
        let build = |source: Result<SignalSource, String>,
                     params: &Option<Spanned<toml::Table>>,
                     role: SignalRole,
                     span: std::ops::Range<usize>,
                     what: &str| {
            let (params, span) = match params {
                Some(p) => (p.get_ref().clone(), p.span()),
                None => (toml::Table::new(), span),
            };
            let fail = |m: String| error(Some(span.clone()), format!("{what}: {m}"));
            let spec = SignalSpec {
                source: source.map_err(fail)?,
                params,
                role,
                isolate,
            };
            // Built once here so that a bad plugin or parameter is reported against this line.
            let failure = match factory.create(&spec) {
                Ok(_) => None,
                Err(m) if !matches!(spec.source, SignalSource::Builtin(_)) => Some(fail(m)),
                Err(m) => return Err(fail(m)),
            };
            Ok::<_, StrategyError>((spec, failure))
        };
        let mut unbuildable: Option<StrategyError> = None;

        let mut specs: Vec<SignalSpec> = Vec::new();
        let mut ids: Vec<&str> = Vec::new();
        for signal in &file.signal {
            let config = signal.get_ref();
            if ids.contains(&config.id.as_str()) {
                return Err(error(
                    Some(signal.span()),
                    format!("signal id \"{}\" is used twice", config.id),
                ));
            }
            let source = signal_source(
                config.builtin.as_ref(),
                config.plugin.as_ref(),
                config.path.as_ref(),
                folder,
            );
            let what = format!("signal \"{}\"", config.id);
            let (spec, failure) = build(
                source,
                &config.params,
                SignalRole::Signal,
                signal.span(),
                &what,
            )?;
            specs.push(spec);
            unbuildable = unbuildable.or(failure);
            ids.push(&config.id);
        }
        if let Some(plugin) = &file.strategy_plugin {
            if !(file.signal.is_empty() && file.entry.is_empty() && file.exit.is_empty()) {
                return Err(error(
                    Some(plugin.span()),
                    "[strategy_plugin] decides entry, exit and size itself; remove [[signal]], [[entry]] and [[exit]]".into(),
                ));
            }
            let config = plugin.get_ref();
            let source = signal_source(None, config.plugin.as_ref(), config.path.as_ref(), folder);
            let role = SignalRole::Strategy;
            ids.push(STRATEGY_PLUGIN_ID);
            let (spec, failure) = build(
                source,
                &config.params,
                role,
                plugin.span(),
                "[strategy_plugin]",
            )?;
            specs.push(spec);
            unbuildable = unbuildable.or(failure);
        }

        let resolve =
            |conditions: &[Spanned<ConditionConfig>]| -> Result<Vec<Condition>, StrategyError> {
                conditions
                    .iter()
                    .map(|c| {
                        let config = c.get_ref();
                        let signal =
                            ids.iter()
                                .position(|id| *id == config.signal)
                                .ok_or_else(|| {
                                    error(
                                        Some(c.span()),
                                        format!(
                                            "no signal with id \"{}\"; defined: {}",
                                            config.signal,
                                            ids.join(", ")
                                        ),
                                    )
                                })?;
                        let threshold = threshold(config).map_err(|m| error(Some(c.span()), m))?;
                        Ok(Condition { signal, threshold })
                    })
                    .collect()
            };
        let plan = if file.strategy_plugin.is_some() {
            Plan::Exposure
        } else {
            Plan::Rules(Rules {
                entry: resolve(&file.entry)?,
                exit: resolve(&file.exit)?,
            })
        };

        let mut sizings: Vec<Sizing> = Vec::new();
        for sizing in &file.sizing {
            let fail = |m: String| error(Some(sizing.span()), m);
            let mut table = sizing.get_ref().clone();
            let name = match table.remove("name") {
                Some(toml::Value::String(name)) => name,
                _ => return Err(fail("expected `name = \"...\"` in every [[sizing]]".into())),
            };
            check_name("sizing name", &name).map_err(fail)?;
            if sizings.iter().any(|s| s.name == name) {
                return Err(fail(format!("sizing name \"{name}\" is used twice")));
            }
            let config: SizingConfig =
                toml::Value::Table(table)
                    .try_into()
                    .map_err(|e: toml::de::Error| {
                        fail(format!("sizing \"{name}\": {}", e.message()))
                    })?;
            let rule = sizing_rule(config, &ids, file.strategy_plugin.is_some())
                .map_err(|m| fail(format!("sizing \"{name}\": {m}")))?;
            sizings.push(Sizing { name, rule });
        }
        if sizings.is_empty() {
            sizings.push(Sizing::full());
        }

        let whole_file = |message: String| error(None, message);
        check_name("name", &file.name).map_err(whole_file)?;
        if file.name == BUY_AND_HOLD {
            return Err(whole_file(format!(
                "the name \"{BUY_AND_HOLD}\" is the built-in benchmark's"
            )));
        }
        if file.entry.is_empty() && !file.exit.is_empty() {
            return Err(whole_file(
                "[[exit]] without [[entry]]: with no entry rules a strategy is always in the market and would re-enter the day after every exit; add [[entry]] rules or remove [[exit]]".into(),
            ));
        }
        check_range("capital", file.capital, Decimal::ONE, MAX_CAPITAL).map_err(whole_file)?;
        check_range("[execution] lot", file.execution.lot, MIN_LOT, MAX_LOT).map_err(whole_file)?;
        let costs = match &file.costs {
            Some(costs) => {
                let c = costs.get_ref();
                let fail = |m: String| error(Some(costs.span()), m);
                check_range(
                    "commission_bps",
                    c.commission_bps,
                    Decimal::ZERO,
                    MAX_COST_BPS,
                )
                .map_err(fail)?;
                check_range("slippage_bps", c.slippage_bps, Decimal::ZERO, MAX_COST_BPS)
                    .map_err(fail)?;
                check_range(
                    "min_commission",
                    c.min_commission,
                    Decimal::ZERO,
                    MAX_MIN_COMMISSION,
                )
                .map_err(fail)?;
                c.model(&regulation.stamp_duty)
            }
            None => CostsConfig::default().model(&regulation.stamp_duty),
        };
        let margin = match &file.leverage {
            Some(leverage) => {
                let l = leverage.get_ref();
                let fail = |m: String| error(Some(leverage.span()), m);
                check_range(
                    "interest_rate",
                    l.interest_rate,
                    Decimal::ZERO,
                    Decimal::ONE,
                )
                .map_err(fail)?;
                check_range(
                    "maintenance_ratio",
                    l.maintenance_ratio,
                    Decimal::ONE,
                    Decimal::TEN,
                )
                .map_err(fail)?;
                check_range(
                    "restore_ratio",
                    l.restore_ratio,
                    l.maintenance_ratio,
                    Decimal::TEN,
                )
                .map_err(fail)?;
                l.terms(&regulation.margin)
            }
            // Without a [leverage] section nothing is borrowed, not even a buy's fees: a buy
            // is cut to what the cash pays for.
            None => {
                if let Some(sizing) = sizings.iter().find(|s| s.max_exposure() > 1.0) {
                    return Err(whole_file(format!(
                        "sizing \"{}\" asks for an exposure up to {}, which needs borrowing; add a [leverage] section with the broker's terms",
                        sizing.name,
                        sizing.max_exposure()
                    )));
                }
                MarginTerms::none()
            }
        };
        Ok(Strategy {
            name: file.name,
            description: file.description,
            dataset: file.dataset,
            windows: file.windows,
            specs,
            signal_ids: ids.iter().map(|id| id.to_string()).collect(),
            plan,
            sizings,
            setup: Setup {
                capital: file.capital,
                costs,
                execution: file.execution,
                margin,
            },
            unbuildable,
        })
    }
}

/// The id under which a strategy plugin's value (its target exposure) is reported.
pub const STRATEGY_PLUGIN_ID: &str = "strategy_plugin";

/// The one threshold of a condition, checked to be reachable by a signal in [-1, 1]: `above`
/// needs t < 1, `below` t > -1, and a cross both.
fn threshold(config: &ConditionConfig) -> Result<Threshold, String> {
    let given = [
        config.above.map(Threshold::Above),
        config.below.map(Threshold::Below),
        config.cross_above.map(Threshold::CrossAbove),
        config.cross_below.map(Threshold::CrossBelow),
    ];
    let mut given = given.into_iter().flatten();
    let (Some(threshold), None) = (given.next(), given.next()) else {
        return Err(
            "expected exactly one of `above`, `below`, `cross_above` or `cross_below`".into(),
        );
    };
    let (key, t, reachable) = match threshold {
        Threshold::Above(t) => ("above", t, t < 1.0),
        Threshold::Below(t) => ("below", t, t > -1.0),
        Threshold::CrossAbove(t) => ("cross_above", t, t > -1.0 && t < 1.0),
        Threshold::CrossBelow(t) => ("cross_below", t, t > -1.0 && t < 1.0),
    };
    if !t.is_finite() || !reachable {
        return Err(format!(
            "{key} = {t} can never hold: signal values lie in [-1, 1] (`above` needs a threshold under 1, `below` one over -1, a cross one strictly between)"
        ));
    }
    Ok(threshold)
}

/// Name of the built-in buy-and-hold strategy, which no strategy file may take.
pub const BUY_AND_HOLD: &str = "buy_and_hold";

/// Largest starting capital accepted: 10^15 yuan. The bounds on capital, lot, costs and prices
/// keep every product and quotient of the account well inside `Decimal`'s 28 digits.
pub const MAX_CAPITAL: Decimal = dec!(1000000000000000);
/// Smallest lot accepted, in index units.
pub const MIN_LOT: Decimal = dec!(0.00000001);
/// Largest lot accepted, in index units.
pub const MAX_LOT: Decimal = dec!(1000000);
/// Largest commission or slippage accepted: 1,000 bps (10%), far above any real market's.
pub const MAX_COST_BPS: Decimal = dec!(1000);
/// Largest minimum commission accepted, in yuan.
pub const MAX_MIN_COMMISSION: Decimal = dec!(1000000);

fn check_range(what: &str, value: Decimal, min: Decimal, max: Decimal) -> Result<(), String> {
    if value < min || value > max {
        return Err(format!(
            "{what} = {value} is outside the accepted range [{min}, {max}]"
        ));
    }
    Ok(())
}

/// A checked sizing rule. `signals` are the strategy's signal ids.
fn sizing_rule(
    config: SizingConfig,
    signals: &[&str],
    strategy_plugin: bool,
) -> Result<SizingRule, String> {
    let exposure = |what: &str, v: f64| {
        if v > 0.0 && v <= MAX_EXPOSURE {
            Ok(v)
        } else {
            Err(format!("{what} = {v} must be in (0, {MAX_EXPOSURE}]"))
        }
    };
    let band = |v: f64| {
        if (0.0..=1.0).contains(&v) {
            Ok(v)
        } else {
            Err(format!("band = {v} must be in [0, 1]"))
        }
    };
    let window = |v: usize| {
        if v >= 2 {
            Ok(v)
        } else {
            Err("window must be at least 2 returns".to_string())
        }
    };
    Ok(match config {
        SizingConfig::Full {} => SizingRule::Full,
        SizingConfig::FixedFraction { fraction } => SizingRule::FixedFraction {
            fraction: exposure("fraction", fraction)?,
        },
        SizingConfig::SignalScaled {
            signal,
            max,
            band: b,
        } => {
            if strategy_plugin {
                return Err(
                    "signal_scaled needs [[signal]]s; a strategy plugin sizes itself".into(),
                );
            }
            let index = signals
                .iter()
                .position(|id| *id == signal)
                .ok_or_else(|| format!("no signal with id \"{signal}\""))?;
            SizingRule::SignalScaled {
                signal: index,
                max: exposure("max", max)?,
                band: band(b)?,
            }
        }
        SizingConfig::VolTarget {
            target,
            window: w,
            max,
            band: b,
        } => SizingRule::VolTarget {
            target: exposure("target", target)?,
            window: window(w)?,
            max: exposure("max", max)?,
            band: band(b)?,
        },
        SizingConfig::Kelly {
            fraction,
            window: w,
            max,
            band: b,
        } => SizingRule::Kelly {
            fraction: exposure("fraction", fraction)?,
            window: window(w)?,
            max: exposure("max", max)?,
            band: band(b)?,
        },
        SizingConfig::Pyramid { steps, max } => {
            if strategy_plugin {
                return Err("pyramid scales on entry rules; a strategy plugin has none".into());
            }
            if steps == 0 {
                return Err("steps must be positive".into());
            }
            SizingRule::Pyramid {
                steps,
                max: exposure("max", max)?,
            }
        }
    })
}

/// 1-based line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}
