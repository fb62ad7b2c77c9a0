//! Shared parts of the plugins that implement the seed studies (`shared/seeds/`): rolling
//! statistics over a history, the previous bear market's cost zone, and the phase classifier
//! of the three-kinds-of-capital study (seed 002).
//!
//! Everything here reads a day's own row and the rows before it, never a later one: the value
//! for day `t` is a function of `history.prefix(t)`. The plugins' prefix tests check it.

#![deny(missing_docs)]

pub mod phase;
pub mod rolling;
pub mod zone;

use cyclebt_sdk::{Field, History};

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
            market_cap: history.column(Field::MarketCap),
        }
    }
}
