//! The audit files of one run, enough to check it to the cent by hand or by script:
//! `ledger.csv` (the account at every close and the signal values each decision read),
//! `fills.csv` (every trade with its costs) and `trades.csv` (positions from entry to exit).
//!
//! Money is written as exact decimal strings: cash, debt, fees and interest are whole cents;
//! equity is cash + units x close - debt, unrounded. Ratios are `f64` with six decimals.
//!
//! **Invariant:** replaying `fills.csv` (cash pays first, credit covers the rest of a buy, a
//! sale's proceeds repay the debt first, interest on the debt each calendar day at the
//! strategy's rate / 360 rounded to the cent) reaches every row of `ledger.csv` to the cent.

use std::io::{self, Write};
use std::path::PathBuf;

use cyclebt_data::{Field, MarketData, WindowSpan};
use cyclebt_engine::{RunResult, Side};
use cyclebt_metrics as metrics;
use rust_decimal::Decimal;

use crate::{Summary, cells};

/// Where a run's files go under the output folder: `runs/<window>/<strategy>/<sizing>`. Window
/// ids, strategy and sizing names are checked names (letters, digits, `_`, `-`, `.`, not
/// starting with a dot, bounded in length), so one folder level each cannot collide, whatever
/// the names.
pub fn run_dir(summary: &Summary) -> PathBuf {
    ["runs", &summary.window, &summary.strategy, &summary.sizing]
        .iter()
        .collect()
}

/// Header of `ledger.csv` before the signal columns (`signal:<id>`, one per signal).
pub const LEDGER_HEADER: &str =
    "date,close,cash,units,debt,interest,fees_to_date,equity,exposure,drawdown,benchmark,order";

/// Writes the daily ledger: the account at each close, the benchmark's equity, the exposure
/// ordered at that close (empty when no new order went out) and the value of each signal the
/// decision read (empty on the last day, when nothing is decided).
pub fn write_ledger_csv(
    out: &mut dyn Write,
    market: &MarketData,
    span: WindowSpan,
    run: &RunResult,
    benchmark: &RunResult,
    signal_ids: &[String],
) -> io::Result<()> {
    write!(out, "{LEDGER_HEADER}")?;
    for id in signal_ids {
        write!(out, ",signal:{id}")?;
    }
    writeln!(out)?;
    let exposure = run.exposure(market, span);
    let drawdown = metrics::drawdowns(run.equity_f64());
    let mut fees = Decimal::ZERO;
    let mut fills = run.fills.iter().peekable();
    // One row at a time into one buffer: a full-history ledger is over a megabyte of cells.
    let mut line = Vec::with_capacity(256);
    for (i, date) in run.dates.iter().enumerate() {
        while let Some(fill) = fills.next_if(|f| f.date == *date) {
            fees += fill.fees();
        }
        line.clear();
        cells::date(&mut line, *date);
        for money in [
            market.close_exact[span.first + i],
            run.cash[i],
            run.units[i],
            run.debt[i],
            run.interest_charged[i],
            fees,
            run.equity[i],
        ] {
            line.push(b',');
            cells::decimal(&mut line, money);
        }
        for ratio in [exposure[i], drawdown[i]] {
            line.push(b',');
            cells::fixed6(&mut line, ratio);
        }
        line.push(b',');
        cells::decimal(&mut line, benchmark.equity[i]);
        line.push(b',');
        if let Some(order) = run.orders[i] {
            cells::fixed6(&mut line, order);
        }
        for column in &run.signal_values {
            line.push(b',');
            if let Some(value) = column.get(i) {
                cells::fixed6(&mut line, *value);
            }
        }
        line.push(b'\n');
        out.write_all(&line)?;
    }
    Ok(())
}

/// Header of `fills.csv`.
pub const FILLS_HEADER: &str =
    "date,side,units,price,value,commission,stamp_duty,slippage,debt_change,forced";

/// Writes every fill: `price` is the price obtained (slippage included), `value` units x price
/// to the cent, `slippage` what it cost against the quoted price, `debt_change` borrowed (+)
/// or repaid (-).
pub fn write_fills_csv(out: &mut dyn Write, run: &RunResult) -> io::Result<()> {
    writeln!(out, "{FILLS_HEADER}")?;
    let mut line = Vec::with_capacity(160);
    for f in &run.fills {
        line.clear();
        cells::date(&mut line, f.date);
        line.push(b',');
        line.extend_from_slice(side(f.side).as_bytes());
        for money in [
            f.units,
            f.price,
            f.value,
            f.commission,
            f.stamp_duty,
            f.slippage,
            f.debt_change,
        ] {
            line.push(b',');
            cells::decimal(&mut line, money);
        }
        line.extend_from_slice(if f.forced { b",true\n" } else { b",false\n" });
        out.write_all(&line)?;
    }
    Ok(())
}

fn side(side: Side) -> &'static str {
    match side {
        Side::Buy => "buy",
        Side::Sell => "sell",
    }
}

/// Header of `trades.csv`.
pub const TRADES_HEADER: &str = "entry_date,exit_date,entry_price,exit_price,units,gross_pnl,fees,slippage,interest,net_pnl,return,days_held,exit";

/// Writes every position from its first fill to the fill that emptied it. Prices are the
/// average fill prices; `units` is what was bought over the trade; `gross_pnl` = sales - buys,
/// `net_pnl` = gross - fees - interest, `return` = net / buys, `days_held` in calendar days.
/// `exit` is `rules` (the strategy left), `forced` (the broker's forced sale) or `open`: still
/// held at the window's end, valued at the last close (which is then its exit price).
pub fn write_trades_csv(
    out: &mut dyn Write,
    market: &MarketData,
    span: WindowSpan,
    run: &RunResult,
) -> io::Result<()> {
    writeln!(out, "{TRADES_HEADER}")?;
    let last_close = market.close_exact[span.last];
    let last_day = market.dates[span.last];
    for t in &run.trades {
        let (exit_date, exit_price, kind) = match t.exit {
            Some(day) => (
                day,
                t.exit_price(),
                if t.forced_exit { "forced" } else { "rules" },
            ),
            None => (last_day, last_close, "open"),
        };
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{kind}",
            t.entry,
            t.exit.map_or(String::new(), |d| d.to_string()),
            t.entry_price().round_dp(6),
            exit_price.round_dp(6),
            t.units_bought,
            t.gross_pnl(last_close),
            t.fees,
            t.slippage,
            t.interest,
            t.net_pnl(last_close),
            t.net_return(last_close).round_dp(6),
            (exit_date - t.entry).num_days(),
        )?;
    }
    Ok(())
}

/// Writes a dataset's joined daily panel as the signals see it: `date`, every field in
/// [`Field::ALL`] order, then the named series, one row per trading day. Each value is the one
/// usable at that day's close (margin and valuation series already lagged by their publication
/// delay); missing values are empty; numbers are written in the shortest form that reads back
/// to the same `f64`.
pub fn write_market_csv(out: &mut dyn Write, market: &MarketData) -> io::Result<()> {
    write!(out, "date")?;
    for field in Field::ALL {
        write!(out, ",{}", field.name())?;
    }
    for info in market.series_info() {
        write!(out, ",{}", info.name)?;
    }
    writeln!(out)?;
    let named: Vec<&[f64]> = market
        .series_info()
        .iter()
        .filter_map(|info| market.series(&info.name))
        .collect();
    for (t, date) in market.dates.iter().enumerate() {
        write!(out, "{date}")?;
        let fields = Field::ALL.iter().map(|&f| market.column(f)[t]);
        for value in fields.chain(named.iter().map(|column| column[t])) {
            if value.is_nan() {
                write!(out, ",")?;
            } else {
                write!(out, ",{value}")?;
            }
        }
        writeln!(out)?;
    }
    Ok(())
}
