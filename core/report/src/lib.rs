//! Turns runs into results people read: one summary row per window x strategy x sizing rule,
//! the printed table, `summary.csv` and the per-run equity CSVs.
//!
//! **Architecture Invariant:** writes only to the writers it is given; never prints, never
//! touches the file system, never exits. Same runs, same bytes.
//! **Architecture Invariant:** files hold fractions (0.25), never percents; the printed table
//! shows percents for people.

#![deny(missing_docs)]

pub mod audit;
pub mod cells;
pub mod events;
pub mod html;
pub mod identity;
pub mod phases;
pub mod sweep_page;
mod table;
pub mod validation_page;

pub use table::{TableLayout, write_json_lines, write_table};

use std::io::{self, Write};

use chrono::NaiveDate;
use cyclebt_engine::{RunResult, to_cents};
use cyclebt_metrics as metrics;
use cyclebt_metrics::CurveFigures;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// The metric conventions of a report, stated in every output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Conventions {
    /// Annualisation factor (empyrical's `annualization`); 252 by default.
    pub periods_per_year: f64,
    /// Annual risk-free rate, converted to a per-period rate: Sharpe's risk-free rate and
    /// Sortino's required return.
    pub risk_free_annual: f64,
}

impl Default for Conventions {
    fn default() -> Self {
        Conventions {
            periods_per_year: metrics::DEFAULT_PERIODS_PER_YEAR,
            risk_free_annual: 0.0,
        }
    }
}

impl Conventions {
    /// A paragraph naming every convention used.
    pub fn describe(&self) -> String {
        format!(
            "Conventions (empyrical): daily simple returns of the close-to-close equity curve, whose first point is the starting capital on the window's first trading day; \
             {ppy} periods a year; CAGR = (final/start)^({ppy}/n) - 1 with n = number of returns; \
             volatility = sample std (ddof=1) x sqrt({ppy}); Sharpe = mean(r - rf)/std(r - rf) x sqrt({ppy}) with rf = (1 + {rf})^(1/{ppy}) - 1 per day; \
             Sortino = mean(r - rf) x {ppy} / downside deviation of r - rf over all returns, the same per-day rf as empyrical's required_return; max drawdown a negative fraction from the running peak; \
             Calmar = CAGR/|max drawdown|; longest drawdown in trading days below a previous high; exposure = share of days holding the index at the close; \
             win rate over closed trades; turnover = value bought and sold / mean equity at the closes; slippage cost = value at the fill price against the quoted price; \
             fees (commission, stamp duty) are paid in cash and borrowed only under a [leverage] section; benchmark = buy-and-hold through the same engine, costs and fills. \
             Decisions at the close of day t, fills at day t+1; margin data lagged by its publication delay.",
            ppy = self.periods_per_year,
            rf = self.risk_free_annual,
        )
    }
}

/// One row of the comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Window id.
    pub window: String,
    /// Strategy name.
    pub strategy: String,
    /// Sizing rule name.
    pub sizing: String,
    /// First trading day.
    pub start: NaiveDate,
    /// Last trading day.
    pub end: NaiveDate,
    /// Trading days in the window (points of the equity curve).
    pub days: usize,
    /// The run's metrics, or why it does not apply to this window.
    pub outcome: Outcome,
    /// A caveat about a run that did apply (an input present on only part of the window).
    pub note: Option<String>,
    /// Benchmark total return.
    pub bench_total_return: f64,
    /// Benchmark maximum drawdown.
    pub bench_max_drawdown: f64,
}

/// Whether a strategy ran in a window.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// It ran; its metrics.
    Ran(RunMetrics),
    /// It does not apply: an input it needs has no data in the window. Reported as "n/a",
    /// never as zeros.
    NotApplicable(String),
    /// It could not run: a signal or plugin failed; the message says which and why.
    Failed(String),
}

/// The metrics of one run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunMetrics {
    /// Final over starting equity, minus one.
    pub total_return: f64,
    /// Compound annual growth rate.
    pub cagr: f64,
    /// Annualised volatility.
    pub ann_vol: f64,
    /// Sharpe ratio.
    pub sharpe: f64,
    /// Sortino ratio.
    pub sortino: f64,
    /// Calmar ratio.
    pub calmar: f64,
    /// Maximum drawdown, negative.
    pub max_drawdown: f64,
    /// Longest drawdown in trading days.
    pub max_dd_days: usize,
    /// Share of days invested at the close.
    pub exposure: f64,
    /// Positions opened.
    pub trades: usize,
    /// Share of closed positions with a gain; NaN with none closed.
    pub win_rate: f64,
    /// Fees paid (commission and stamp duty), yuan.
    pub fees: Decimal,
    /// What slippage cost, yuan (inside the fill prices, not in `fees`).
    pub slippage: Decimal,
    /// Interest paid on the broker's loan, yuan.
    pub interest: Decimal,
    /// Value bought and sold over mean equity at the closes.
    pub turnover: f64,
    /// The broker's forced sales.
    pub forced_sales: usize,
    /// The account was wiped out.
    pub ruined: bool,
    /// Equity at the last close, yuan.
    pub final_equity: Decimal,
}

impl Summary {
    /// The metrics, if the run applied.
    pub fn metrics(&self) -> Option<&RunMetrics> {
        match &self.outcome {
            Outcome::Ran(metrics) => Some(metrics),
            Outcome::NotApplicable(_) | Outcome::Failed(_) => None,
        }
    }

    /// Why there are no metrics, as the table's notes say it ("n/a: ..." or "failed: ...").
    pub fn no_metrics_note(&self) -> Option<String> {
        match &self.outcome {
            Outcome::Ran(_) => None,
            Outcome::NotApplicable(reason) => Some(format!("n/a: {reason}")),
            Outcome::Failed(error) => Some(format!("failed: {error}")),
        }
    }

    /// `ran`, `n/a` or `failed`, as `summary.csv` says it.
    pub fn status(&self) -> &'static str {
        match self.outcome {
            Outcome::Ran(_) => "ran",
            Outcome::NotApplicable(_) => "n/a",
            Outcome::Failed(_) => "failed",
        }
    }

    /// `(window, strategy, sizing)`.
    pub fn labels(&self) -> [&str; 3] {
        [&self.window, &self.strategy, &self.sizing]
    }
}

/// The row of a run that does not apply to its window: no metrics, the reason instead.
pub fn not_applicable(
    labels: [&str; 3],
    benchmark: &RunResult,
    bench: CurveFigures,
    reason: String,
) -> Summary {
    without_metrics(labels, benchmark, bench, Outcome::NotApplicable(reason))
}

/// The row of a run whose strategy failed (a plugin's error or panic): no metrics, the error
/// instead.
pub fn failed(
    labels: [&str; 3],
    benchmark: &RunResult,
    bench: CurveFigures,
    error: String,
) -> Summary {
    without_metrics(labels, benchmark, bench, Outcome::Failed(error))
}

/// The row of a run in a window its dataset does not cover: no metrics and no benchmark (the
/// benchmark cannot run there either), the reason instead. `start` and `end` are the window's
/// calendar bounds.
pub fn uncovered(labels: [&str; 3], start: NaiveDate, end: NaiveDate, reason: String) -> Summary {
    let [window, strategy, sizing] = labels;
    Summary {
        window: window.into(),
        strategy: strategy.into(),
        sizing: sizing.into(),
        start,
        end,
        days: 0,
        outcome: Outcome::NotApplicable(reason),
        note: None,
        bench_total_return: f64::NAN,
        bench_max_drawdown: f64::NAN,
    }
}

fn without_metrics(
    labels: [&str; 3],
    benchmark: &RunResult,
    bench: CurveFigures,
    outcome: Outcome,
) -> Summary {
    let [window, strategy, sizing] = labels;
    Summary {
        window: window.into(),
        strategy: strategy.into(),
        sizing: sizing.into(),
        start: benchmark.dates[0],
        end: benchmark.dates[benchmark.dates.len() - 1],
        days: benchmark.dates.len(),
        outcome,
        note: None,
        bench_total_return: bench.total_return,
        bench_max_drawdown: bench.max_drawdown,
    }
}

/// Metrics of one run against its benchmark run over the same window (`bench`: the
/// benchmark curve's [`CurveFigures`], worked out once for all the rows it serves).
pub fn summarize(
    labels: [&str; 3],
    run: &RunResult,
    benchmark: &RunResult,
    bench: CurveFigures,
    conventions: &Conventions,
) -> Summary {
    let ppy = conventions.periods_per_year;
    // A wiped-out account's curve stops at zero on the day of ruin: returns of a negative
    // equity would have the wrong sign.
    let mut ruined_curve = Vec::new();
    let equity = match run.ruined {
        None => run.equity_f64(),
        Some(day) => {
            let whole = run.equity_f64();
            let end = run
                .dates
                .iter()
                .position(|d| *d == day)
                .unwrap_or(whole.len() - 1);
            ruined_curve.extend_from_slice(&whole[..=end]);
            ruined_curve[end] = ruined_curve[end].max(0.0);
            &ruined_curve
        }
    };
    let rf = metrics::per_period_rate(conventions.risk_free_annual, ppy);
    let curve = metrics::curve_metrics(equity, rf, ppy);
    let closed: Vec<_> = run.closed_trades().collect();
    let wins = closed
        .iter()
        .filter(|t| t.net_pnl(Decimal::ZERO) > Decimal::ZERO)
        .count();
    let mean_equity = equity.iter().sum::<f64>() / equity.len() as f64;
    let total_return = curve.total_return;
    let cagr = metrics::cagr_of_total(total_return, curve.returns, ppy);
    let drawdown = curve.drawdown;
    let metrics = RunMetrics {
        total_return,
        cagr,
        ann_vol: curve.annual_volatility,
        sharpe: curve.sharpe,
        sortino: curve.sortino,
        calmar: metrics::calmar_of(cagr, drawdown.max_drawdown),
        max_drawdown: drawdown.max_drawdown,
        max_dd_days: drawdown.longest_days,
        exposure: run.invested_days as f64 / run.dates.len() as f64,
        trades: run.trades.len(),
        win_rate: if closed.is_empty() {
            f64::NAN
        } else {
            wins as f64 / closed.len() as f64
        },
        fees: run.fees(),
        slippage: run.slippage(),
        interest: run.interest,
        turnover: run.traded_value().to_f64().unwrap_or(f64::NAN) / mean_equity,
        forced_sales: run.forced_sales().count(),
        ruined: run.ruined.is_some(),
        final_equity: to_cents(run.equity[run.equity.len() - 1]),
    };
    Summary {
        outcome: Outcome::Ran(metrics),
        note: account_notes(run),
        ..not_applicable(labels, benchmark, bench, String::new())
    }
}

/// What the account says of a run beside its metrics: ruin, entries the cash could not pay
/// for, fees cut to what a sale could pay.
fn account_notes(run: &RunResult) -> Option<String> {
    let mut notes = Vec::new();
    if let Some(day) = run.ruined {
        notes.push(format!(
            "ruined on {day}: debt exceeded assets; metrics stop there, at -100%"
        ));
    }
    if let Some(first) = run.unfilled_buys.first() {
        notes.push(format!(
            "{} entry orders bought nothing (first on {first}): the cash could not pay one lot and its fees",
            run.unfilled_buys.len()
        ));
    }
    if let Some(first) = run.fees_cut.first() {
        notes.push(format!(
            "{} sales could not pay their full fees (first on {first}); the fees were cut to the proceeds and cash",
            run.fees_cut.len()
        ));
    }
    (!notes.is_empty()).then(|| notes.join("; "))
}

/// Mean, median and lowest of the finite `values` (NaN each with none), for aggregates over
/// a group of windows.
pub(crate) fn mean_median_worst(mut values: Vec<f64>) -> (f64, f64, f64) {
    values.retain(|v| v.is_finite());
    if values.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let median = if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    };
    (values.iter().sum::<f64>() / n as f64, median, values[0])
}

/// A fraction or ratio in a file: six decimals, empty for NaN (pandas reads it back as NaN).
pub fn number(value: f64) -> String {
    if value.is_nan() {
        String::new()
    } else {
        format!("{value:.6}")
    }
}

/// A CSV field: quoted when it holds a comma, a quote or a line break (RFC 4180).
pub fn quoted(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Metric columns of `summary.csv`, empty for a run without metrics.
const SUMMARY_METRICS: usize = 18;

/// A fraction as a percent with one decimal for people (0.253 is "25.3%"), "n/a" when not a
/// finite number.
pub(crate) fn percent(value: f64) -> String {
    if value.is_finite() {
        format!("{:.1}%", value * 100.0)
    } else {
        "n/a".into()
    }
}

/// Header of `summary.csv`.
pub const SUMMARY_HEADER: &str = "window,strategy,sizing,start,end,days,total_return,cagr,ann_vol,sharpe,sortino,calmar,max_drawdown,max_dd_days,exposure,trades,win_rate,fees,slippage,interest,turnover,forced_sales,ruined,final_equity,bench_total_return,bench_max_drawdown,status,note";

/// Writes `summary.csv`.
pub fn write_summary_csv(out: &mut dyn Write, rows: &[Summary]) -> io::Result<()> {
    writeln!(out, "{SUMMARY_HEADER}")?;
    for r in rows {
        writeln!(out, "{}", summary_line(r))?;
    }
    Ok(())
}

/// One row of `summary.csv` (the columns of [`SUMMARY_HEADER`]), without the line break:
/// also the tail of each `sweep.csv` row.
pub fn summary_line(r: &Summary) -> String {
    let metrics: Vec<String> = match r.metrics() {
        Some(m) => vec![
            number(m.total_return),
            number(m.cagr),
            number(m.ann_vol),
            number(m.sharpe),
            number(m.sortino),
            number(m.calmar),
            number(m.max_drawdown),
            m.max_dd_days.to_string(),
            number(m.exposure),
            m.trades.to_string(),
            number(m.win_rate),
            format!("{:.2}", m.fees),
            format!("{:.2}", m.slippage),
            format!("{:.2}", m.interest),
            number(m.turnover),
            m.forced_sales.to_string(),
            m.ruined.to_string(),
            format!("{:.2}", m.final_equity),
        ],
        None => vec![String::new(); SUMMARY_METRICS],
    };
    let status = r.status();
    let note: Vec<String> = r
        .no_metrics_note()
        .into_iter()
        .chain(r.note.clone())
        .collect();
    format!(
        "{},{},{},{},{},{},{},{},{},{status},{}",
        r.window,
        r.strategy,
        r.sizing,
        r.start,
        r.end,
        r.days,
        metrics.join(","),
        number(r.bench_total_return),
        number(r.bench_max_drawdown),
        quoted(&note.join("; ")),
    )
}
