//! Shared parts of the plugins that implement the seed studies (`shared/seeds/`): rolling
//! statistics over a history, the previous bear market's cost zone, and the phase classifier
//! of the three-kinds-of-capital study (seed 002).
//!
//! Everything here reads a day's own row and the rows before it, never a later one: the value
//! for day `t` is a function of `history.prefix(t)`. The plugins' prefix tests check it.

#![deny(missing_docs)]

pub mod phase;
pub mod rolling;
pub mod sliding;
pub mod zone;

use cyclebt_sdk::{Field, History};

/// Implements `evaluate`, `label` and `evaluate_series` inside `impl Plugin for T` for a
/// plugin that computes a range of days in one causal pass, with a method
/// `fn outputs(&self, history: &History<'_>, first: usize) -> Vec<Output>` and a field
/// `label: u32` holding the label of the day last evaluated. `evaluate` is the range of one day.
#[macro_export]
macro_rules! whole_series_evaluation {
    () => {
        fn evaluate(&mut self, history: &::cyclebt_sdk::History<'_>) -> Result<f64, String> {
            let today = self.outputs(history, history.today())[0];
            self.label = today.label;
            Ok(today.value)
        }

        fn label(&self) -> u32 {
            self.label
        }

        fn evaluate_series(
            &mut self,
            history: &::cyclebt_sdk::History<'_>,
            first: usize,
            out: &mut Vec<::cyclebt_sdk::Output>,
        ) -> Result<(), (usize, String)> {
            out.extend(self.outputs(history, first));
            Ok(())
        }
    };
}

/// The columns the seed plugins read, borrowed from a history.
#[derive(Clone, Copy)]
pub struct Columns<'a> {
    /// Closing level.
    pub close: &'a [f64],
    /// Turnover in yuan.
    pub amount: &'a [f64],
    /// Turnover rate (NaN where missing).
    pub turnover: &'a [f64],
    /// Price-earnings ratio (NaN where missing).
    pub pe: &'a [f64],
    /// Financing balance, publication lag applied (NaN before margin trading existed).
    pub financing: &'a [f64],
    /// Financing purchases, publication lag applied.
    pub financing_buy: &'a [f64],
    /// Securities-lending balance (融券余额), publication lag applied.
    pub lending: &'a [f64],
    /// Market capitalisation (NaN where missing).
    pub market_cap: &'a [f64],
}

impl<'a> Columns<'a> {
    /// The columns of `history`.
    pub fn of(history: &History<'a>) -> Self {
        Columns {
            close: history.column(Field::Close),
            amount: history.column(Field::Amount),
            turnover: history.column(Field::Turnover),
            pe: history.column(Field::Pe),
            financing: history.column(Field::FinancingBalance),
            financing_buy: history.column(Field::FinancingBuy),
            lending: history.column(Field::LendingBalance),
            market_cap: history.column(Field::MarketCap),
        }
    }
}
