//! Turns runs into results people read: one summary row per window x strategy x sizing rule,
//! the printed table, `summary.csv` and the per-run equity CSVs.
//!
//! **Architecture Invariant:** writes only to the writers it is given; never prints, never
//! touches the file system, never exits. Same runs, same bytes.
//! **Architecture Invariant:** files hold fractions (0.25), never percents; the printed table
//! shows percents for people.

#![deny(missing_docs)]

pub mod html;
pub mod phases;

use std::io::{self, Write};

use chrono::NaiveDate;
use cyclebt_data::{MarketData, WindowSpan};
use cyclebt_engine::{RunResult, to_cents};
use cyclebt_metrics as metrics;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// The metric conventions of a report, stated in every output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Conventions {
    /// Annualisation factor (empyrical's `annualization`); 252 by default.
    pub periods_per_year: f64,
    /// Annual risk-free rate for Sharpe, converted to a per-period rate.
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
             Sortino = mean(r) x {ppy} / downside deviation over all returns; max drawdown a negative fraction from the running peak; \
             Calmar = CAGR/|max drawdown|; longest drawdown in trading days below a previous high; exposure = share of days holding the index at the close; \
             win rate over closed trades; benchmark = buy-and-hold through the same engine, costs and fills. \
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
}

/// The metrics of one run.
#[derive(Debug, Clone, PartialEq)]
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
    /// Fees paid, yuan.
    pub fees: Decimal,
    /// Equity at the last close, yuan.
    pub final_equity: Decimal,
}

impl Summary {
    /// The metrics, if the run applied.
    pub fn metrics(&self) -> Option<&RunMetrics> {
        match &self.outcome {
            Outcome::Ran(metrics) => Some(metrics),
            Outcome::NotApplicable(_) => None,
        }
    }
}

fn to_f64(values: &[Decimal]) -> Vec<f64> {
    values
        .iter()
        .map(|v| v.to_f64().unwrap_or(f64::NAN))
        .collect()
}

/// The row of a run that does not apply to its window: no metrics, the reason instead.
pub fn not_applicable(labels: [&str; 3], benchmark: &RunResult, reason: String) -> Summary {
    let [window, strategy, sizing] = labels;
    let bench = to_f64(&benchmark.equity);
    Summary {
        window: window.into(),
        strategy: strategy.into(),
        sizing: sizing.into(),
        start: benchmark.dates[0],
        end: benchmark.dates[benchmark.dates.len() - 1],
        days: benchmark.dates.len(),
        outcome: Outcome::NotApplicable(reason),
        note: None,
        bench_total_return: metrics::total_return(&metrics::simple_returns(&bench)),
        bench_max_drawdown: metrics::max_drawdown(&bench),
    }
}

/// Metrics of one run against its benchmark run over the same window.
pub fn summarize(
    labels: [&str; 3],
    run: &RunResult,
    benchmark: &RunResult,
    conventions: &Conventions,
) -> Summary {
    let ppy = conventions.periods_per_year;
    // A wiped-out account's curve stops at zero on the day of ruin: returns of a negative
    // equity would have the wrong sign.
    let mut equity = to_f64(&run.equity);
    if let Some(day) = run.ruined {
        let end = run
            .dates
            .iter()
            .position(|d| *d == day)
            .unwrap_or(equity.len() - 1);
        equity.truncate(end + 1);
        equity[end] = equity[end].max(0.0);
    }
    let returns = metrics::simple_returns(&equity);
    let rf = metrics::per_period_rate(conventions.risk_free_annual, ppy);
    let closed = &run.closed_trades;
    let wins = closed.iter().filter(|t| t.pnl > Decimal::ZERO).count();
    let invested = run.units.iter().filter(|u| **u > Decimal::ZERO).count();
    let metrics = RunMetrics {
        total_return: metrics::total_return(&returns),
        cagr: metrics::cagr(&returns, ppy),
        ann_vol: metrics::annual_volatility(&returns, ppy),
        sharpe: metrics::sharpe_ratio(&returns, rf, ppy),
        sortino: metrics::sortino_ratio(&returns, 0.0, ppy),
        calmar: metrics::calmar_ratio(&returns, &equity, ppy),
        max_drawdown: metrics::max_drawdown(&equity),
        max_dd_days: metrics::longest_drawdown_days(&equity),
        exposure: invested as f64 / run.dates.len() as f64,
        trades: run.trades_opened,
        win_rate: if closed.is_empty() {
            f64::NAN
        } else {
            wins as f64 / closed.len() as f64
        },
        fees: run.fees(),
        final_equity: to_cents(run.equity[run.equity.len() - 1]),
    };
    Summary {
        outcome: Outcome::Ran(metrics),
        note: run.ruined.map(|day| {
            format!("ruined on {day}: debt exceeded assets; metrics stop there, at -100%")
        }),
        ..not_applicable(labels, benchmark, String::new())
    }
}

/// A fraction or ratio in a file: six decimals, empty for NaN (pandas reads it back as NaN).
pub fn number(value: f64) -> String {
    if value.is_nan() {
        String::new()
    } else {
        format!("{value:.6}")
    }
}

/// Header of `summary.csv`.
pub const SUMMARY_HEADER: &str = "window,strategy,sizing,start,end,days,total_return,cagr,ann_vol,sharpe,sortino,calmar,max_drawdown,max_dd_days,exposure,trades,win_rate,fees,final_equity,bench_total_return,bench_max_drawdown";

/// Writes `summary.csv`.
pub fn write_summary_csv(out: &mut dyn Write, rows: &[Summary]) -> io::Result<()> {
    writeln!(out, "{SUMMARY_HEADER}")?;
    for r in rows {
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
                format!("{:.2}", m.final_equity),
            ],
            None => vec![String::new(); 13],
        };
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{}",
            r.window,
            r.strategy,
            r.sizing,
            r.start,
            r.end,
            r.days,
            metrics.join(","),
            number(r.bench_total_return),
            number(r.bench_max_drawdown),
        )?;
    }
    Ok(())
}

/// File name of a run's equity curve: `<window>__<strategy>__<sizing>.csv`.
pub fn equity_file_name(summary: &Summary) -> String {
    format!(
        "{}__{}__{}.csv",
        summary.window, summary.strategy, summary.sizing
    )
}

/// Writes one run's daily curve: `date,equity,exposure,drawdown,benchmark`, money to the cent.
pub fn write_equity_csv(
    out: &mut dyn Write,
    market: &MarketData,
    span: WindowSpan,
    run: &RunResult,
    benchmark: &RunResult,
) -> io::Result<()> {
    writeln!(out, "date,equity,exposure,drawdown,benchmark")?;
    let exposure = run.exposure(market, span);
    let drawdown = metrics::drawdowns(&to_f64(&run.equity));
    for i in 0..run.dates.len() {
        writeln!(
            out,
            "{},{:.2},{},{},{:.2}",
            run.dates[i],
            to_cents(run.equity[i]),
            number(exposure[i]),
            number(drawdown[i]),
            to_cents(benchmark.equity[i]),
        )?;
    }
    Ok(())
}

fn percent(value: f64) -> String {
    if value.is_nan() {
        "n/a".into()
    } else {
        format!("{:.1}%", value * 100.0)
    }
}

fn ratio(value: f64) -> String {
    if value.is_nan() {
        "n/a".into()
    } else {
        format!("{value:.2}")
    }
}

/// Writes the comparison as an aligned text table with a conventions footer.
pub fn write_table(
    out: &mut dyn Write,
    rows: &[Summary],
    conventions: &Conventions,
) -> io::Result<()> {
    let header = [
        "window",
        "strategy",
        "sizing",
        "start",
        "end",
        "days",
        "return",
        "CAGR",
        "vol",
        "Sharpe",
        "Sortino",
        "Calmar",
        "maxDD",
        "DDdays",
        "exposure",
        "trades",
        "win",
        "fees",
        "final equity",
        "bench ret",
        "bench DD",
    ];
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut row = vec![
                r.window.clone(),
                r.strategy.clone(),
                r.sizing.clone(),
                r.start.to_string(),
                r.end.to_string(),
                r.days.to_string(),
            ];
            match r.metrics() {
                Some(m) => row.extend([
                    percent(m.total_return),
                    percent(m.cagr),
                    percent(m.ann_vol),
                    ratio(m.sharpe),
                    ratio(m.sortino),
                    ratio(m.calmar),
                    percent(m.max_drawdown),
                    m.max_dd_days.to_string(),
                    percent(m.exposure),
                    m.trades.to_string(),
                    percent(m.win_rate),
                    format!("{:.2}", m.fees),
                    format!("{:.2}", m.final_equity),
                ]),
                None => row.extend(std::iter::repeat_n("n/a".to_string(), 13)),
            }
            row.extend([percent(r.bench_total_return), percent(r.bench_max_drawdown)]);
            row
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            cells
                .iter()
                .map(|row| row[c].len())
                .chain([header[c].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |out: &mut dyn Write, row: &[&str]| -> io::Result<()> {
        let padded: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (text, w))| {
                if c < 3 {
                    format!("{text:<w$}")
                } else {
                    format!("{text:>w$}")
                }
            })
            .collect();
        writeln!(out, "{}", padded.join("  ").trim_end())
    };
    line(out, &header)?;
    for row in &cells {
        line(out, &row.iter().map(String::as_str).collect::<Vec<_>>())?;
    }
    let notes: Vec<String> = rows
        .iter()
        .filter_map(|r| match &r.outcome {
            Outcome::NotApplicable(reason) => Some(format!(
                "  {} {} {}: n/a: {reason}",
                r.window, r.strategy, r.sizing
            )),
            Outcome::Ran(_) => None,
        })
        .collect();
    if !notes.is_empty() {
        writeln!(out)?;
        writeln!(out, "Not applicable:")?;
        for note in notes {
            writeln!(out, "{note}")?;
        }
    }
    let caveats: Vec<String> = rows
        .iter()
        .filter_map(|r| {
            r.note
                .as_ref()
                .map(|n| format!("  {} {} {}: {n}", r.window, r.strategy, r.sizing))
        })
        .collect();
    if !caveats.is_empty() {
        writeln!(out)?;
        writeln!(out, "Notes:")?;
        for caveat in caveats {
            writeln!(out, "{caveat}")?;
        }
    }
    writeln!(out)?;
    writeln!(out, "{}", conventions.describe())
}
