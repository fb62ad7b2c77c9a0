//! The integration tests of cyclebt, one binary: metrics against hand-worked values, the
//! accounting, the audit files, entry and exit conditions, look-ahead (prefix) checks, the real-data quirks, malformed
//! input through the CLI, the CLI's outputs, the events study, the test windows and their groups, the plugin
//! ABI's layout and real plugin libraries.

mod abi_layout;
mod accounting;
mod audit;
mod causality;
mod cli;
mod conditions;
mod events;
mod executor;
mod faults;
mod fuzz;
mod hardening;
mod leverage;
mod lookahead;
mod malformed;
mod margin_states;
mod metrics;
mod money;
mod plugins;
mod quirks;
mod real_data;
mod seeds;
mod series;
mod snapshot;
mod sweep;
mod util;
mod windows;
