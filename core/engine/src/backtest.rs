//! The day loop and the account.
//!
//! For each trading day `t` of the window, in order:
//! 1. an order decided at the close of `t - 1` fills at the open of `t` (or at its close, with
//!    `fill = "next_close"`);
//! 2. the account is marked to the close of `t`: equity = cash + units x close, exactly;
//! 3. unless `t` is the window's last day, the signals are evaluated on rows `0..=t` and the
//!    rules set the exposure to hold from the next fill on.
//!
//! On the window's first day the account holds the starting capital in cash, so the first point
//! of every equity curve is the capital. Orders are placed only when the wanted exposure changes
//! (entering, leaving, or a new size): positions drift with the market in between, as in a
//! buy-and-hold. Nothing is liquidated at the window's end; the open position is marked to the
//! last close.
//!
//! **Architecture Invariant:** a decision at day `t` reads only `History` of day `t`, and it
//! fills at a price of day `t + 1`.
//! **Architecture Invariant:** cash never goes negative and units never go below zero: buys are
//! cut to what the cash pays for, fees included.

use chrono::NaiveDate;
use cyclebt_data::{Field, MarketData, WindowSpan};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::costs::{CostModel, Side, to_cents};
use crate::signal::Signal;
use crate::strategy::{FillTiming, Plan, Setup, Sizing};

/// A run could not finish.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    /// A signal reported an error.
    #[error("signal {signal} failed on {date}: {message}")]
    Signal {
        /// Signal name.
        signal: String,
        /// Decision day.
        date: NaiveDate,
        /// The signal's message.
        message: String,
    },
    /// A signal returned NaN or a value outside its range.
    #[error("signal {signal} returned {value} on {date}; expected a number in {range}")]
    SignalValue {
        /// Signal name.
        signal: String,
        /// Decision day.
        date: NaiveDate,
        /// What it returned.
        value: f64,
        /// The range it must be in.
        range: &'static str,
    },
}

/// One executed trade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fill {
    /// Day of the fill.
    pub date: NaiveDate,
    /// Buy or sell.
    pub side: Side,
    /// Index units traded.
    pub units: Decimal,
    /// Price obtained, slippage included.
    pub price: Decimal,
    /// Traded value in yuan, to the cent.
    pub value: Decimal,
    /// Commission plus stamp duty, in yuan.
    pub fees: Decimal,
}

/// A position from entry (units 0 -> positive) to exit (back to 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedTrade {
    /// First fill.
    pub entry: NaiveDate,
    /// Last fill.
    pub exit: NaiveDate,
    /// Net cash gained over the trade, fees included.
    pub pnl: Decimal,
}

/// The account, day by day, over one window. Index `i` is the window's `i`-th trading day.
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    /// Trading days of the window.
    pub dates: Vec<NaiveDate>,
    /// Cash at each close.
    pub cash: Vec<Decimal>,
    /// Units held at each close.
    pub units: Vec<Decimal>,
    /// Equity at each close: cash + units x close.
    pub equity: Vec<Decimal>,
    /// Every fill.
    pub fills: Vec<Fill>,
    /// Positions opened and closed inside the window.
    pub closed_trades: Vec<ClosedTrade>,
    /// Positions opened inside the window, closed or not.
    pub trades_opened: usize,
}

impl RunResult {
    /// Share of equity held in the index at each close.
    pub fn exposure(&self, market: &MarketData, span: WindowSpan) -> Vec<f64> {
        (0..self.dates.len())
            .map(|i| {
                let held = self.units[i] * market.close_exact[span.first + i];
                (held / self.equity[i]).to_f64().unwrap_or(f64::NAN)
            })
            .collect()
    }

    /// Fees paid over the run.
    pub fn fees(&self) -> Decimal {
        self.fills.iter().map(|f| f.fees).sum()
    }
}

struct Account<'a> {
    cash: Decimal,
    units: Decimal,
    costs: &'a CostModel,
    lot: Decimal,
    fills: Vec<Fill>,
    closed: Vec<ClosedTrade>,
    opened: usize,
    /// Entry date and net cash flow of the open position.
    open_trade: Option<(NaiveDate, Decimal)>,
}

impl Account<'_> {
    fn round_to_lot(&self, units: Decimal) -> Decimal {
        ((units / self.lot).round_dp_with_strategy(0, RoundingStrategy::ToZero) * self.lot)
            .normalize()
    }

    /// Trades at `price` on `date` towards holding `exposure` of equity.
    fn rebalance(&mut self, date: NaiveDate, price: Decimal, exposure: f64) {
        let equity = self.cash + self.units * price;
        let target = Decimal::from_f64_retain(exposure).unwrap_or(Decimal::ZERO) * equity;
        let held = self.units * price;
        if exposure == 0.0 {
            if self.units > Decimal::ZERO {
                self.sell(date, price, self.units);
            }
        } else if target > held {
            let buy_price = self.costs.fill_price(price, Side::Buy);
            self.buy(date, price, self.round_to_lot((target - held) / buy_price));
        } else if target < held {
            let sell_price = self.costs.fill_price(price, Side::Sell);
            self.sell(
                date,
                price,
                self.round_to_lot((held - target) / sell_price)
                    .min(self.units),
            );
        }
    }

    /// Buys up to `units` at `price` plus slippage, fewer if the cash does not cover value and
    /// fees.
    fn buy(&mut self, date: NaiveDate, price: Decimal, mut units: Decimal) {
        let price = self.costs.fill_price(price, Side::Buy);
        loop {
            if units <= Decimal::ZERO {
                return;
            }
            let value = to_cents(units * price);
            let fees = self.costs.fees(value, Side::Buy, date).total();
            if value + fees <= self.cash {
                self.cash -= value + fees;
                self.units += units;
                self.record(
                    Fill {
                        date,
                        side: Side::Buy,
                        units,
                        price,
                        value,
                        fees,
                    },
                    -(value + fees),
                );
                return;
            }
            // Shrink to what the cash pays for after these fees; fees only fall with the value,
            // so this ends within a few rounds. The lot step guarantees progress.
            let affordable = self.round_to_lot((self.cash - fees).max(Decimal::ZERO) / price);
            units = if affordable < units {
                affordable
            } else {
                units - self.lot
            };
        }
    }

    /// Sells `units` at `price` less slippage. A sale always goes through: when its fees
    /// would exceed cash plus proceeds (a tiny position under a large minimum commission), the
    /// fees charged are cut to what there is, so that an exit is never skipped and cash never
    /// goes negative.
    fn sell(&mut self, date: NaiveDate, price: Decimal, units: Decimal) {
        if units <= Decimal::ZERO {
            return;
        }
        let price = self.costs.fill_price(price, Side::Sell);
        let value = to_cents(units * price);
        let fees = self
            .costs
            .fees(value, Side::Sell, date)
            .total()
            .min(self.cash + value);
        self.cash += value - fees;
        self.units -= units;
        self.record(
            Fill {
                date,
                side: Side::Sell,
                units,
                price,
                value,
                fees,
            },
            value - fees,
        );
    }

    fn record(&mut self, fill: Fill, cash_flow: Decimal) {
        let date = fill.date;
        self.fills.push(fill);
        let (entry, flow) = self.open_trade.get_or_insert_with(|| {
            self.opened += 1;
            (date, Decimal::ZERO)
        });
        *flow += cash_flow;
        if self.units.is_zero() {
            self.closed.push(ClosedTrade {
                entry: *entry,
                exit: date,
                pnl: *flow,
            });
            self.open_trade = None;
        }
    }
}

/// Why `signals` have nothing to say in `span`: a field one of them requires has no value on
/// any decision day of the window (the margin series before margin trading began, say). The
/// caller reports such a run as not applicable instead of running it on missing data.
pub fn missing_inputs(
    market: &MarketData,
    span: WindowSpan,
    signals: &[Box<dyn Signal>],
) -> Option<String> {
    for signal in signals {
        for field in signal.requires() {
            let column = &market.column(field)[span.first..span.last];
            if column.iter().all(|v| v.is_nan()) {
                let margin = matches!(
                    field,
                    Field::FinancingBalance
                        | Field::FinancingBuy
                        | Field::LendingBalance
                        | Field::MarginTotal
                );
                return Some(format!(
                    "no {}{} data from {} to {}; signal {} needs it",
                    if margin { "margin (" } else { "" },
                    if margin {
                        format!("{})", field.name())
                    } else {
                        field.name().to_string()
                    },
                    market.dates[span.first],
                    market.dates[span.last],
                    signal.name()
                ));
            }
        }
    }
    None
}

/// Runs one strategy with one sizing rule over one window.
pub fn run(
    market: &MarketData,
    span: WindowSpan,
    signals: &mut [Box<dyn Signal>],
    plan: &Plan,
    sizing: &Sizing,
    setup: &Setup,
) -> Result<RunResult, EngineError> {
    let days = span.days();
    let mut account = Account {
        cash: setup.capital,
        units: Decimal::ZERO,
        costs: &setup.costs,
        lot: setup.execution.lot,
        fills: Vec::new(),
        closed: Vec::new(),
        opened: 0,
        open_trade: None,
    };
    let mut result = RunResult {
        dates: market.dates[span.first..=span.last].to_vec(),
        cash: Vec::with_capacity(days),
        units: Vec::with_capacity(days),
        equity: Vec::with_capacity(days),
        fills: Vec::new(),
        closed_trades: Vec::new(),
        trades_opened: 0,
    };
    // Every signal's value on every decision day (all but the window's last), computed before
    // the loop: a value depends only on its own day's history, so this is what evaluating day
    // by day would give, and a plugin crosses its boundary once per window instead of daily.
    let by_signal = signals
        .iter_mut()
        .map(|signal| signal_values(signal.as_mut(), market, span))
        .collect::<Result<Vec<_>, _>>()?;
    let mut values = vec![0.0; signals.len()];
    // The exposure last ordered: a new order goes out only when the wanted one differs.
    let mut ordered = 0.0;
    let mut pending: Option<f64> = None;
    for t in span.first..=span.last {
        if let Some(exposure) = pending.take() {
            let price = match setup.execution.fill {
                FillTiming::NextOpen => market.open_exact[t],
                FillTiming::NextClose => market.close_exact[t],
            };
            account.rebalance(market.dates[t], price, exposure);
        }
        result.cash.push(account.cash);
        result.units.push(account.units);
        result
            .equity
            .push(account.cash + account.units * market.close_exact[t]);
        if t == span.last {
            break;
        }
        let date = market.dates[t];
        for (value, column) in values.iter_mut().zip(&by_signal) {
            *value = column[t - span.first];
        }
        // In the market means holding units now, not having asked to: an entry the cash could
        // not pay for is asked again on the next decision.
        let in_market = account.units > Decimal::ZERO;
        let wanted = match plan {
            Plan::Rules(rules) => {
                if !in_market && rules.entry.iter().all(|c| c.holds(&values)) {
                    sizing.exposure
                } else if in_market && rules.exit.iter().any(|c| c.holds(&values)) {
                    0.0
                } else if in_market {
                    ordered
                } else {
                    0.0
                }
            }
            Plan::Exposure => {
                let exposure = values[0];
                if exposure < 0.0 {
                    let signal = signals[0].describe();
                    return Err(EngineError::SignalValue {
                        signal,
                        date,
                        value: exposure,
                        range: "[0, 1]",
                    });
                }
                exposure * sizing.exposure
            }
        };
        let unfilled_entry = wanted > 0.0 && !in_market;
        if wanted != ordered || unfilled_entry {
            pending = Some(wanted);
            ordered = wanted;
        }
    }
    result.fills = account.fills;
    result.closed_trades = account.closed;
    result.trades_opened = account.opened;
    Ok(result)
}

/// The values of `signal` on the decision days of `span`, checked to lie in [-1, 1].
fn signal_values(
    signal: &mut dyn Signal,
    market: &MarketData,
    span: WindowSpan,
) -> Result<Vec<f64>, EngineError> {
    let mut values = Vec::with_capacity(span.days() - 1);
    signal
        .evaluate_days(market.history(span.last - 1), span.first, &mut values)
        .map_err(|e| EngineError::Signal {
            signal: signal.describe(),
            date: market.dates[e.day],
            message: e.error.message,
        })?;
    if values.len() != span.days() - 1 {
        return Err(EngineError::Signal {
            signal: signal.describe(),
            date: market.dates[span.first],
            message: format!("gave {} values for {} days", values.len(), span.days() - 1),
        });
    }
    if let Some(i) = values.iter().position(|v| !(-1.0..=1.0).contains(v)) {
        return Err(EngineError::SignalValue {
            signal: signal.describe(),
            date: market.dates[span.first + i],
            value: values[i],
            range: "[-1, 1]",
        });
    }
    Ok(values)
}
