//! The cyclebt engine: strategies, signals, costs and the look-ahead-free day loop with a
//! Decimal account.
//!
//! **Architecture Invariant:** money (cash, fill values, fees, equity) is `rust_decimal::Decimal`;
//! `f64` is for market observables, signal values and exposures only. (The mark at every close
//! is computed on the `Decimal`s' integer mantissas, with the same bits; see the account.)
//! **Architecture Invariant:** never prints, never exits; errors are values.

#![deny(missing_docs)]

mod account;
mod backtest;
mod builtin;
mod causality;
mod costs;
mod exact;
mod signal;
mod sizing;
mod strategy;

pub use account::{Fill, InitialRatio, MAX_MONEY, MarginSchedule, MarginTerms, Trade};
pub use backtest::{
    EngineError, Keep, RunResult, SignalValues, evaluate_signal, evaluate_signals, missing_inputs,
    partial_inputs, run, run_keeping, run_on,
};
pub use builtin::{
    BUILTIN_KINDS, SeriesParams, SeriesSignal, SmaCross, SmaCrossParams, builtin_signal,
};
pub use causality::{AuditedSignal, CausalityAudit, FreshSignal};
pub use costs::{CostModel, Fees, Side, StampDutyRate, StampDutySchedule, to_cents};
pub use signal::{DayError, Signal, SignalError};
pub use sizing::{Sizing, SizingRule, VOLATILITY_PERIODS_PER_YEAR};
pub use strategy::{
    BUY_AND_HOLD, BuiltinSignals, Condition, CostsConfig, DEFAULT_CAPITAL, Execution, FillTiming,
    LeverageConfig, MAX_EXPOSURE, Plan, Regulation, Rules, STRATEGY_PLUGIN_ID, Setup,
    SignalFactory, SignalRole, SignalSource, SignalSpec, Strategy, StrategyError, Threshold,
};
