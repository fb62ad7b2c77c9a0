//! The integration tests of cyclebt, one binary: metrics against hand-worked values, the
//! accounting, look-ahead (prefix) checks, the real-data quirks, malformed input through the
//! CLI, and the CLI's outputs.

mod accounting;
mod cli;
mod lookahead;
mod malformed;
mod metrics;
mod real_data;
mod util;
