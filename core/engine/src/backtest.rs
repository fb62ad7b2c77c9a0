//! The day loop.
//!
//! For each trading day `t` of the window, in order:
//! 1. interest accrues on any debt for the calendar days since the previous trading day;
//! 2. if the previous close breached the maintenance ratio, the broker's forced sale fills at
//!    the open of `t` (and replaces any order the strategy had placed for `t`); otherwise an
//!    order decided at the close of `t - 1` fills at the open of `t` (or at its close, with
//!    `fill = "next_close"`);
//! 3. the account is marked to the close of `t`: equity = cash + units x close - debt,
//!    exactly, and the maintenance ratio is checked;
//! 4. unless `t` is the window's last day, the rules and the sizing rule set the exposure to
//!    hold from the next fill on, from signal values of day `t`.
//!
//! On the window's first day the account holds the starting capital in cash, so the first point
//! of every equity curve is the capital. Orders are placed only when the wanted exposure changes
//! (entering, leaving, a new size): positions drift with the market in between, as in a
//! buy-and-hold. Nothing is liquidated at the window's end; the open position is marked to the
//! last close.
//!
//! **Architecture Invariant:** a decision at day `t` reads only `History` of day `t`, and it
//! fills at a price of day `t + 1`.
//! **Architecture Invariant:** cash, units and debt never go negative; buys are cut to what
//! cash and credit pay for, fees included.
//! **Architecture Invariant:** money beyond what the account keeps exact stops the run with
//! [`EngineError::MoneyOutOfRange`] naming the sizing rule and the day; nothing panics.

use std::sync::{Arc, OnceLock};

use chrono::NaiveDate;
use cyclebt_data::{Field, MarketData, WindowSpan};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::account::{Account, Fill, MAX_MONEY, OutOfRange, Trade};
use crate::signal::Signal;
use crate::sizing::Sizing;
use crate::strategy::{FillTiming, Plan, RuleDays, Setup};

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
    /// The account's money left the range it is kept exact in ([`MAX_MONEY`]).
    #[error(
        "sizing {sizing}: on {date} {what} left the range the account keeps exact (at most {MAX_MONEY} yuan of cash, debt or holdings, and 28 digits for any amount); the run stops there, having compounded beyond any real account (check the data's units and the capital)"
    )]
    MoneyOutOfRange {
        /// The sizing rule of the run.
        sizing: String,
        /// The day.
        date: NaiveDate,
        /// What would have left the range ("holdings", "the units to buy", ...).
        what: &'static str,
    },
}

/// What a run keeps of its account, day by day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Every column: what the audit trail, the charts and the report write.
    Ledger,
    /// Only what a summary reads (the equity curve as `f64`, the last close's exact equity,
    /// fills, trades and the counts): `cash`, `debt`, `units`, `interest_charged`, `orders` and
    /// `signal_values` stay empty, and `equity` holds the last close's value alone, the curve
    /// being in [`RunResult::equity_f64`] (the same values the ledger run's converts to). A
    /// sweep without anything to write would otherwise allocate and fill those columns for
    /// every combination and drop them unread.
    Summary,
}

/// The account, day by day, over one window. Index `i` is the window's `i`-th trading day.
/// A run made with [`Keep::Summary`] has empty ledger columns (see there).
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    /// Trading days of the window.
    pub dates: Vec<NaiveDate>,
    /// Cash at each close.
    pub cash: Vec<Decimal>,
    /// Broker debt at each close (interest included).
    pub debt: Vec<Decimal>,
    /// Units held at each close.
    pub units: Vec<Decimal>,
    /// Equity at each close: cash + units x close - debt (the last close's only, with
    /// [`Keep::Summary`]).
    pub equity: Vec<Decimal>,
    /// Interest charged on the debt on each day (for the calendar days since the day before).
    pub interest_charged: Vec<Decimal>,
    /// The exposure ordered at each close, to fill on the next day; None when no new order
    /// went out (and always on the last day).
    pub orders: Vec<Option<f64>>,
    /// The signal values each decision read: one column per signal, one value per decision
    /// day (every day of the window but the last), in the strategy's order.
    pub signal_values: Vec<Vec<f64>>,
    /// Every fill.
    pub fills: Vec<Fill>,
    /// Positions opened inside the window, in order; the last may still be open.
    pub trades: Vec<Trade>,
    /// Interest charged on the debt over the run.
    pub interest: Decimal,
    /// Closes at which the account held units.
    pub invested_days: usize,
    /// The first close at which equity was zero or less (debt above assets): the account is
    /// wiped out and trades no more.
    pub ruined: Option<NaiveDate>,
    /// Days an order to enter bought nothing because cash (and credit) could not pay for one
    /// lot and its fees (a minimum fee above the capital, say).
    pub unfilled_buys: Vec<NaiveDate>,
    /// Days a sale's fees were cut to what cash plus proceeds could pay.
    pub fees_cut: Vec<NaiveDate>,
    /// `equity` as `f64`, converted on the first call of [`RunResult::equity_f64`].
    equity_f64: EquityMirror,
}

/// A cache of the equity curve as `f64` for the metrics: converting is a large share of a
/// sweep, and a benchmark run serves every row of its window. Computed from the exact curve only
/// when asked, so the day loop never pays for it. It is no part of the result's value: two
/// results are equal whether or not either has converted its curve.
#[derive(Clone, Default)]
struct EquityMirror(OnceLock<Vec<f64>>);

impl PartialEq for EquityMirror {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for EquityMirror {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EquityMirror")
    }
}

impl RunResult {
    /// The equity curve as `f64` (NaN where a value has no `f64`), converted once per result.
    /// The engine builds `equity` whole before anything reads it (a [`Keep::Summary`] run
    /// builds this curve itself, in the loop); code that edits a result's `equity` afterwards
    /// must rebuild the result, or this keeps the old curve.
    pub fn equity_f64(&self) -> &[f64] {
        self.equity_f64.0.get_or_init(|| {
            self.equity
                .iter()
                .map(|v| cyclebt_data::decimal_to_f64(*v))
                .collect()
        })
    }

    /// Share of equity held in the index at each close. The run must have kept its ledger
    /// ([`Keep::Ledger`]).
    pub fn exposure(&self, market: &MarketData, span: WindowSpan) -> Vec<f64> {
        (0..self.dates.len())
            .map(|i| {
                let held = self.units[i] * market.close_exact[span.first + i];
                if self.equity[i] > Decimal::ZERO {
                    held.checked_div(self.equity[i])
                        .and_then(|e| e.to_f64())
                        .unwrap_or(f64::NAN)
                } else {
                    f64::NAN
                }
            })
            .collect()
    }

    /// The account as it stood at the last close on or before each of `dates` (the first
    /// close for a date before it): a run on another calendar (a benchmark index) seen on this
    /// one's days. Fills and trades are kept whole; the interest charged on a day is the
    /// interest charged since the date before. The run must have kept its ledger
    /// ([`Keep::Ledger`]).
    pub fn observed_on(&self, dates: &[NaiveDate]) -> RunResult {
        let at: Vec<usize> = dates
            .iter()
            .map(|d| self.dates.partition_point(|own| own <= d).saturating_sub(1))
            .collect();
        let pick = |values: &[Decimal]| at.iter().map(|&i| values[i]).collect::<Vec<_>>();
        // Own days already counted: interest up to own day i goes to the first date seeing it.
        let mut counted = 0;
        let interest_charged = at
            .iter()
            .map(|&i| {
                let since: Decimal = self.interest_charged[counted.min(i + 1)..=i].iter().sum();
                counted = counted.max(i + 1);
                since
            })
            .collect();
        let units = pick(&self.units);
        RunResult {
            dates: dates.to_vec(),
            cash: pick(&self.cash),
            debt: pick(&self.debt),
            invested_days: units.iter().filter(|u| **u > Decimal::ZERO).count(),
            units,
            equity: pick(&self.equity),
            interest_charged,
            orders: vec![None; dates.len()],
            signal_values: Vec::new(),
            fills: self.fills.clone(),
            trades: self.trades.clone(),
            interest: self.interest,
            ruined: self.ruined,
            unfilled_buys: self.unfilled_buys.clone(),
            fees_cut: self.fees_cut.clone(),
            equity_f64: EquityMirror::default(),
        }
    }

    /// Fees paid over the run.
    pub fn fees(&self) -> Decimal {
        self.fills.iter().map(Fill::fees).sum()
    }

    /// What slippage cost over the run, in yuan.
    pub fn slippage(&self) -> Decimal {
        self.fills.iter().map(|f| f.slippage).sum()
    }

    /// Value traded over the run (buys and sales), in yuan.
    pub fn traded_value(&self) -> Decimal {
        self.fills.iter().map(|f| f.value).sum()
    }

    /// Positions opened and closed inside the window.
    pub fn closed_trades(&self) -> impl Iterator<Item = &Trade> {
        self.trades.iter().filter(|t| t.exit.is_some())
    }

    /// The broker's forced sales.
    pub fn forced_sales(&self) -> impl Iterator<Item = &Fill> {
        self.fills.iter().filter(|f| f.forced)
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
    input_gaps(market, span, signals)
        .into_iter()
        .find(|gap| gap.present == 0)
        .map(|gap| {
            format!(
                "no {} data in the window; signal {} needs it",
                gap.what, gap.signal
            )
        })
}

/// What a run should say when a field its signals require has data on some decision days of
/// the window but not all (the margin series in a window reaching back before 2010): the
/// signals see NaN there and, by their own contract, say nothing (0). None when every
/// required field has a value on every decision day.
pub fn partial_inputs(
    market: &MarketData,
    span: WindowSpan,
    signals: &[Box<dyn Signal>],
) -> Option<String> {
    let notes: Vec<String> = input_gaps(market, span, signals)
        .into_iter()
        .filter(|gap| gap.present > 0 && gap.present < gap.days)
        .map(|gap| {
            format!(
                "{} has {} data on {} of {} decision days (first {}); it says nothing (0) on the others",
                gap.signal,
                gap.what,
                gap.present,
                gap.days,
                gap.first.map_or("-".to_string(), |d| d.to_string())
            )
        })
        .collect();
    (!notes.is_empty()).then(|| notes.join("; "))
}

/// How much of a required field a window's decision days have.
struct InputGap {
    signal: String,
    what: String,
    days: usize,
    present: usize,
    first: Option<NaiveDate>,
}

fn input_gaps(market: &MarketData, span: WindowSpan, signals: &[Box<dyn Signal>]) -> Vec<InputGap> {
    let mut gaps = Vec::new();
    for signal in signals {
        let fields = signal.requires().into_iter().map(|field| {
            let margin = field.series() == "margin";
            let mut what = if margin {
                format!("margin ({})", field.name())
            } else {
                field.name().to_string()
            };
            if let Some(why) = market.absent_reason(field.series()) {
                what = format!("{what} ({why})");
            }
            (what, Some(market.column(field)))
        });
        let series = signal
            .requires_series()
            .into_iter()
            .map(|name| match market.series(&name) {
                Some(column) => (name, Some(column)),
                None => {
                    let why = market.absent_reason(&name).map_or_else(
                        || format!("dataset {} declares no such series", market.name),
                        str::to_string,
                    );
                    (format!("{name} ({why})"), None)
                }
            });
        for (what, column) in fields.chain(series) {
            let column = column.map_or(&[][..], |c| &c[span.first..span.last]);
            gaps.push(InputGap {
                signal: signal.name().to_string(),
                what,
                days: span.last - span.first,
                present: column.iter().filter(|v| !v.is_nan()).count(),
                first: column
                    .iter()
                    .position(|v| !v.is_nan())
                    .map(|i| market.dates[span.first + i]),
            });
        }
    }
    gaps
}

/// Every signal's value on every decision day of a window (all but its last day), with the
/// signals' names for messages.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalValues {
    names: Vec<String>,
    /// Shared, not copied: an executor hands one evaluation to every strategy that uses it.
    by_signal: Vec<Arc<Vec<f64>>>,
}

impl SignalValues {
    /// Values evaluated elsewhere (one column per signal, one value per decision day of the
    /// window, each already checked by [`evaluate_signal`]), with the signals' names: how an
    /// executor shares one evaluation among every strategy that uses the same signal.
    pub fn from_columns(names: Vec<String>, by_signal: Vec<Arc<Vec<f64>>>) -> Self {
        SignalValues { names, by_signal }
    }
}

/// Evaluates `signals` over the decision days of `span`, each checked to lie in [-1, 1].
///
/// This is done once per window, before the day loop: a value depends only on its own day's
/// history, so it is what evaluating day by day would give; a plugin crosses its boundary once
/// per window; and the values serve every sizing rule of the strategy.
pub fn evaluate_signals(
    market: &MarketData,
    span: WindowSpan,
    signals: &mut [Box<dyn Signal>],
) -> Result<SignalValues, EngineError> {
    let by_signal = signals
        .iter_mut()
        .map(|signal| evaluate_signal(signal.as_mut(), market, span).map(Arc::new))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SignalValues {
        names: signals.iter().map(|s| s.describe()).collect(),
        by_signal,
    })
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
    let values = evaluate_signals(market, span, signals)?;
    run_on(market, span, &values, plan, sizing, setup)
}

/// Runs one sizing rule over one window on signal values already evaluated for it, keeping
/// the whole ledger.
pub fn run_on(
    market: &MarketData,
    span: WindowSpan,
    signal_values: &SignalValues,
    plan: &Plan,
    sizing: &Sizing,
    setup: &Setup,
) -> Result<RunResult, EngineError> {
    run_keeping(
        market,
        span,
        signal_values,
        plan,
        sizing,
        setup,
        Keep::Ledger,
    )
}

/// [`run_on`], keeping what `keep` says: the same loop and the same account either way, so
/// every kept value is the one a [`Keep::Ledger`] run has.
pub fn run_keeping(
    market: &MarketData,
    span: WindowSpan,
    signal_values: &SignalValues,
    plan: &Plan,
    sizing: &Sizing,
    setup: &Setup,
    keep: Keep,
) -> Result<RunResult, EngineError> {
    let by_signal = &signal_values.by_signal;
    assert!(
        by_signal.iter().all(|v| v.len() == span.days() - 1),
        "signal values were evaluated for another window"
    );
    let ledger = keep == Keep::Ledger;
    let days = span.days();
    let ledger_days = if ledger { days } else { 0 };
    // A summary run keeps its curve as f64 only (the mark converts each day's integers
    // directly) and the last exact value.
    let mut curve_f64 = Vec::with_capacity(if ledger { 0 } else { days });
    let mut account = Account::new(
        setup.capital,
        &setup.costs,
        &setup.margin,
        setup.execution.lot,
    );
    let mut result = RunResult {
        dates: market.dates[span.first..=span.last].to_vec(),
        cash: Vec::with_capacity(ledger_days),
        debt: Vec::with_capacity(ledger_days),
        units: Vec::with_capacity(ledger_days),
        equity: Vec::with_capacity(if ledger { days } else { 1 }),
        interest_charged: Vec::with_capacity(ledger_days),
        orders: Vec::with_capacity(ledger_days),
        signal_values: if ledger {
            by_signal.iter().map(|column| column.to_vec()).collect()
        } else {
            Vec::new()
        },
        fills: Vec::new(),
        trades: Vec::new(),
        interest: Decimal::ZERO,
        invested_days: 0,
        ruined: None,
        unfilled_buys: Vec::new(),
        fees_cut: Vec::new(),
        equity_f64: EquityMirror::default(),
    };
    let close = market.column(Field::Close);
    let rule_days = match plan {
        Plan::Rules(rules) => rules.on_days(by_signal, days - 1),
        Plan::Exposure => RuleDays::default(),
    };
    // The exposure last ordered: a new order goes out only when the wanted one differs.
    let mut ordered = 0.0;
    let mut pending: Option<f64> = None;
    let mut forced_sale_due = false;
    let money_error = |date, e: OutOfRange| EngineError::MoneyOutOfRange {
        sizing: sizing.name.clone(),
        date,
        what: e.what,
    };
    for t in span.first..=span.last {
        let date = market.dates[t];
        let out_of_range = |e| money_error(date, e);
        let interest = if t > span.first {
            account.accrue_interest(market.dates[t - 1], date)
        } else {
            Decimal::ZERO
        };
        if forced_sale_due {
            account
                .force_sale(date, market.open_exact[t])
                .map_err(out_of_range)?;
            pending = None;
            ordered = if account.in_market() { ordered } else { 0.0 };
        } else if let Some(exposure) = pending.take() {
            let price = match setup.execution.fill {
                FillTiming::NextOpen => market.open_exact[t],
                FillTiming::NextClose => market.close_exact[t],
            };
            account
                .rebalance(date, price, exposure)
                .map_err(out_of_range)?;
        }
        let price = market.close_exact[t];
        let wiped_out = if ledger {
            account.mark_to(price, &mut result.equity)
        } else {
            account.mark_f64(price).map(|(equity, wiped_out)| {
                curve_f64.push(equity);
                wiped_out
            })
        }
        .map_err(out_of_range)?;
        result.invested_days += usize::from(account.in_market());
        if ledger {
            result.cash.push(account.cash());
            result.debt.push(account.debt());
            result.units.push(account.units());
            result.interest_charged.push(interest);
            result.orders.push(None);
        }
        if result.ruined.is_none() && wiped_out {
            result.ruined = Some(date);
        }
        if t == span.last {
            break;
        }
        forced_sale_due = account.maintenance_breached(price);
        if result.ruined.is_some() {
            continue;
        }
        let day = t - span.first;
        // In the market means holding units now, not having asked to: an entry the cash could
        // not pay for is asked again on the next decision.
        let in_market = account.in_market();
        let close_so_far = &close[..=t];
        let signal_value = |signal: usize| by_signal[signal][day];
        let wanted = match plan {
            Plan::Rules(_) => {
                let (entry, exit) = (rule_days.entry[day], rule_days.exit[day]);
                sizing.wanted(close_so_far, signal_value, ordered, in_market, entry, exit)
            }
            Plan::Exposure => {
                let exposure = by_signal[0][day];
                if exposure < 0.0 {
                    let signal = signal_values.names[0].clone();
                    return Err(EngineError::SignalValue {
                        signal,
                        date,
                        value: exposure,
                        range: "[0, 1]",
                    });
                }
                exposure * sizing.size(close_so_far, signal_value)
            }
        };
        let unfilled_entry = wanted > 0.0 && !in_market;
        if wanted != ordered || unfilled_entry {
            pending = Some(wanted);
            ordered = wanted;
            if ledger {
                *result.orders.last_mut().expect("pushed above") = Some(wanted);
            }
        }
    }
    if !ledger {
        // The last mark again, exact: the account has not changed since.
        let last = account
            .equity(market.close_exact[span.last])
            .map_err(|e| money_error(market.dates[span.last], e))?;
        result.equity.push(last);
        result.equity_f64 = EquityMirror(OnceLock::from(curve_f64));
    }
    result.interest = account.interest;
    result.fills = account.fills;
    result.trades = account.trades;
    result.unfilled_buys = account.unfilled_buys;
    result.fees_cut = account.fees_cut;
    Ok(result)
}

/// The values of `signal` on the decision days of `span`, checked to lie in [-1, 1].
pub fn evaluate_signal(
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
