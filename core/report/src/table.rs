//! The printed comparison: a compact table for the terminal (one line per window group and
//! strategy, fitting [`TERMINAL_WIDTH`] columns) or the full one (every window, sizing rule
//! and metric), then the notes with identical ones collapsed, and the conventions.

use std::io::{self, Write};

use crate::percent;
use crate::{Conventions, Outcome, RunMetrics, Summary, mean_median_worst};

/// Columns the compact table and the notes fit in.
pub const TERMINAL_WIDTH: usize = 120;

/// Which table to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableLayout {
    /// One line per window group (or ungrouped window) and strategy, its first sizing rule:
    /// the headline metrics over the group's windows.
    Compact,
    /// Every row and every metric.
    Full,
}

fn ratio(value: f64) -> String {
    if value.is_nan() {
        "n/a".into()
    } else {
        format!("{value:.2}")
    }
}

/// Cuts `text` to `width` characters, marking the cut with `~`.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let kept: String = text.chars().take(width.saturating_sub(1)).collect();
        format!("{kept}~")
    }
}

/// Wraps `text` at spaces so that no line is longer than `width`, indenting continuation
/// lines by `indent` spaces.
fn wrap(text: &str, width: usize, indent: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
            line = " ".repeat(indent);
        }
        if !line.trim().is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.trim().is_empty() {
        lines.push(line);
    }
    lines
}

/// Writes the comparison as an aligned text table, the collapsed notes and the conventions.
/// `window_groups` maps window ids to their group (bulls, cycles, ...); the compact table
/// aggregates each group's windows into one line.
pub fn write_table(
    out: &mut dyn Write,
    rows: &[Summary],
    window_groups: &[(String, String)],
    conventions: &Conventions,
    layout: TableLayout,
) -> io::Result<()> {
    let notes = Notes::collect(rows);
    let (header, cells, left) = match layout {
        TableLayout::Compact => compact_cells(rows, window_groups, &notes),
        TableLayout::Full => full_cells(rows, &notes),
    };
    let mut widths: Vec<usize> = (0..header.len())
        .map(|c| {
            cells
                .iter()
                .map(|row| row[c].chars().count())
                .chain([header[c].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    if layout == TableLayout::Compact {
        // Long window or strategy names are cut, longest first, until the line fits.
        let total = |w: &[usize]| w.iter().sum::<usize>() + 2 * (w.len() - 1);
        while total(&widths) > TERMINAL_WIDTH {
            let widest = (0..left).max_by_key(|&c| widths[c]).expect("label columns");
            if widths[widest] <= 6 {
                break;
            }
            widths[widest] -= 1;
        }
    }
    let line = |out: &mut dyn Write, row: &[String]| -> io::Result<()> {
        let padded: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (text, &w))| {
                let text = fit(text, w);
                if c < left {
                    format!("{text:<w$}")
                } else {
                    format!("{text:>w$}")
                }
            })
            .collect();
        writeln!(out, "{}", padded.join("  ").trim_end())
    };
    line(
        out,
        &header.iter().map(|h| h.to_string()).collect::<Vec<_>>(),
    )?;
    for row in &cells {
        line(out, row)?;
    }
    if layout == TableLayout::Compact && cells.len() < rows.len() {
        let legend = format!(
            "Each strategy's first sizing rule (+N: more rules); over a group's windows: runs that ran of all, mean \
             return, worst return, mean Sharpe, worst drawdown, trades and forced sales summed, mean benchmark \
             return. --all-rows prints all {} rows, as summary.csv has them.",
            rows.len()
        );
        for line in wrap(&legend, TERMINAL_WIDTH, 0) {
            writeln!(out, "{line}")?;
        }
    }
    let tally = Tally::of(rows);
    if let Some(tally) = tally.describe() {
        writeln!(out)?;
        writeln!(out, "{tally}")?;
    }
    notes.write(out)?;
    writeln!(out)?;
    for line in wrap(&conventions.describe(), TERMINAL_WIDTH, 0) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

type Cells = (Vec<&'static str>, Vec<Vec<String>>, usize);

fn compact_cells(rows: &[Summary], window_groups: &[(String, String)], notes: &Notes) -> Cells {
    let header = vec![
        "window",
        "strategy",
        "sizing",
        "runs",
        "return",
        "worst",
        "Sharpe",
        "maxDD",
        "trades",
        "forced",
        "bench ret",
        "notes",
    ];
    // A window's line is its group's when the rows hold more than one window of the group.
    let group_of = |window: &str| {
        window_groups
            .iter()
            .find(|(id, _)| id == window)
            .map(|(_, group)| group.as_str())
    };
    let mut windows: Vec<&str> = rows.iter().map(|r| r.window.as_str()).collect();
    windows.dedup();
    let unit_of = |window: &str| -> String {
        match group_of(window) {
            Some(group)
                if windows
                    .iter()
                    .filter(|w| group_of(w) == Some(group))
                    .count()
                    > 1 =>
            {
                group.to_string()
            }
            _ => window.to_string(),
        }
    };
    // (group or window, strategy), in order of first appearance.
    let mut keys: Vec<(String, &str)> = Vec::new();
    for r in rows {
        let key = (unit_of(&r.window), r.strategy.as_str());
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let mut cells = Vec::new();
    for (unit, strategy) in keys {
        let members: Vec<&Summary> = rows
            .iter()
            .filter(|r| r.strategy == strategy && unit_of(&r.window) == unit)
            .collect();
        let sizing = &members[0].sizing;
        let mut sizings: Vec<&str> = members.iter().map(|r| r.sizing.as_str()).collect();
        sizings.dedup();
        sizings.sort_unstable();
        sizings.dedup();
        let first: Vec<&Summary> = members
            .iter()
            .copied()
            .filter(|r| &r.sizing == sizing)
            .collect();
        let ran: Vec<_> = first.iter().filter_map(|r| r.metrics()).collect();
        let label = if sizings.len() > 1 {
            format!("{sizing} +{}", sizings.len() - 1)
        } else {
            sizing.clone()
        };
        let mut row = vec![
            unit,
            strategy.to_string(),
            label,
            format!("{}/{}", ran.len(), first.len()),
        ];
        if ran.is_empty() {
            let failed = first
                .iter()
                .any(|r| matches!(r.outcome, Outcome::Failed(_)));
            let what = if failed { "failed" } else { "n/a" };
            row.extend(std::iter::repeat_n(what.to_string(), 6));
        } else {
            let (mean_return, _, worst_return) =
                mean_median_worst(ran.iter().map(|m| m.total_return).collect());
            let (mean_sharpe, _, _) = mean_median_worst(ran.iter().map(|m| m.sharpe).collect());
            let (_, _, worst_drawdown) =
                mean_median_worst(ran.iter().map(|m| m.max_drawdown).collect());
            row.extend([
                percent(mean_return),
                percent(worst_return),
                ratio(mean_sharpe),
                percent(worst_drawdown),
                ran.iter().map(|m| m.trades).sum::<usize>().to_string(),
                ran.iter()
                    .map(|m| m.forced_sales)
                    .sum::<usize>()
                    .to_string(),
            ]);
        }
        let (bench, _, _) = mean_median_worst(first.iter().map(|r| r.bench_total_return).collect());
        row.extend([percent(bench), notes.marks(&members)]);
        cells.push(row);
    }
    (header, cells, 3)
}

fn full_cells(rows: &[Summary], notes: &Notes) -> Cells {
    let header = vec![
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
        "forced",
        "turnover",
        "fees",
        "slippage",
        "interest",
        "final equity",
        "bench ret",
        "bench DD",
        "notes",
    ];
    let cells = rows
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
                    m.forced_sales.to_string(),
                    ratio(m.turnover),
                    format!("{:.2}", m.fees),
                    format!("{:.2}", m.slippage),
                    format!("{:.2}", m.interest),
                    format!("{:.2}", m.final_equity),
                ]),
                None => {
                    let what = match r.outcome {
                        Outcome::Failed(_) => "failed",
                        _ => "n/a",
                    };
                    row.extend(std::iter::repeat_n(what.to_string(), 17))
                }
            }
            row.extend([
                percent(r.bench_total_return),
                percent(r.bench_max_drawdown),
                notes.marks(&[r]),
            ]);
            row
        })
        .collect();
    (header, cells, 3)
}

/// Counts people look for first: forced sales, ruined and failed runs.
struct Tally {
    forced_sales: usize,
    forced_runs: usize,
    ruined: usize,
    failed: usize,
}

impl Tally {
    fn of(rows: &[Summary]) -> Self {
        let ran: Vec<_> = rows.iter().filter_map(Summary::metrics).collect();
        Tally {
            forced_sales: ran.iter().map(|m| m.forced_sales).sum(),
            forced_runs: ran.iter().filter(|m| m.forced_sales > 0).count(),
            ruined: ran.iter().filter(|m| m.ruined).count(),
            failed: rows
                .iter()
                .filter(|r| matches!(r.outcome, Outcome::Failed(_)))
                .count(),
        }
    }

    fn describe(&self) -> Option<String> {
        let runs = |n: usize| {
            if n == 1 {
                "1 run".into()
            } else {
                format!("{n} runs")
            }
        };
        let mut parts = Vec::new();
        if self.forced_sales > 0 {
            parts.push(format!(
                "{} forced sales (margin calls) in {}",
                self.forced_sales,
                runs(self.forced_runs)
            ));
        }
        if self.ruined > 0 {
            parts.push(format!("{} ruined", runs(self.ruined)));
        }
        if self.failed > 0 {
            parts.push(format!("{} failed", runs(self.failed)));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// The rows' notes, each distinct text once, numbered in order of first appearance, with the
/// runs it covers.
struct Notes {
    /// (text, runs as (window, strategy, sizing)).
    list: Vec<(String, Vec<[String; 3]>)>,
}

impl Notes {
    fn collect(rows: &[Summary]) -> Self {
        let mut list: Vec<(String, Vec<[String; 3]>)> = Vec::new();
        for r in rows {
            for text in r.no_metrics_note().into_iter().chain(r.note.clone()) {
                let labels = r.labels().map(str::to_string);
                match list.iter_mut().find(|(t, _)| *t == text) {
                    Some((_, runs)) => runs.push(labels),
                    None => list.push((text, vec![labels])),
                }
            }
        }
        Notes { list }
    }

    /// The numbers of the notes covering any of `rows`, "1,3".
    fn marks(&self, rows: &[&Summary]) -> String {
        self.list
            .iter()
            .enumerate()
            .filter(|(_, (_, runs))| {
                runs.iter().any(|run| {
                    rows.iter()
                        .any(|r| r.labels() == run.each_ref().map(String::as_str))
                })
            })
            .map(|(i, _)| (i + 1).to_string())
            .collect::<Vec<_>>()
            .join(",")
    }

    fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.list.is_empty() {
            return Ok(());
        }
        writeln!(out)?;
        writeln!(out, "Notes:")?;
        for (i, (text, runs)) in self.list.iter().enumerate() {
            let line = format!("[{}] {text} ({})", i + 1, covered(runs));
            for wrapped in wrap(&line, TERMINAL_WIDTH, 4) {
                writeln!(out, "{wrapped}")?;
            }
        }
        Ok(())
    }
}

/// Sizing rules and windows of a block of runs.
type Block<'a> = (Vec<&'a str>, Vec<&'a str>);

/// The runs a note covers: strategies with the same sizing rules in the same windows
/// together, "leverage-fomo, margin-timing (full, half) in bull1, bull2"; runs that do not
/// fill such a block are listed one by one.
fn covered(runs: &[[String; 3]]) -> String {
    let mut by_strategy: Vec<(&str, Vec<&[String; 3]>)> = Vec::new();
    for run in runs {
        match by_strategy.iter_mut().find(|(s, _)| *s == run[1]) {
            Some((_, list)) => list.push(run),
            None => by_strategy.push((&run[1], vec![run])),
        }
    }
    // (sizings, windows) -> strategies covering exactly that block.
    let mut blocks: Vec<(Block, Vec<&str>)> = Vec::new();
    let mut loose: Vec<String> = Vec::new();
    for (strategy, runs) in by_strategy {
        let mut windows: Vec<&str> = Vec::new();
        let mut sizings: Vec<&str> = Vec::new();
        for run in &runs {
            if !windows.contains(&run[0].as_str()) {
                windows.push(&run[0]);
            }
            if !sizings.contains(&run[2].as_str()) {
                sizings.push(&run[2]);
            }
        }
        if windows.len() * sizings.len() != runs.len() {
            loose.extend(runs.iter().map(|r| r.join(" ")));
            continue;
        }
        let key = (sizings, windows);
        match blocks.iter_mut().find(|(k, _)| *k == key) {
            Some((_, strategies)) => strategies.push(strategy),
            None => blocks.push((key, vec![strategy])),
        }
    }
    blocks
        .into_iter()
        .map(|((sizings, windows), strategies)| {
            format!(
                "{} ({}) in {}",
                strategies.join(", "),
                sizings.join(", "),
                windows.join(", ")
            )
        })
        .chain(loose)
        .collect::<Vec<_>>()
        .join("; ")
}

/// One summary row as a JSON object (`--format json`).
#[derive(serde::Serialize)]
struct JsonRow<'a> {
    run_id: &'a str,
    window: &'a str,
    strategy: &'a str,
    sizing: &'a str,
    start: String,
    end: String,
    days: usize,
    /// `ran`, `n/a` or `failed`.
    status: &'static str,
    #[serde(flatten)]
    metrics: Option<&'a RunMetrics>,
    bench_total_return: f64,
    bench_max_drawdown: f64,
    /// Why there are no metrics, and caveats, joined by "; ".
    note: Option<String>,
}

/// Writes the summary as JSON lines, one object per row, for scripts: the fields of
/// `summary.csv` by name, fractions as numbers (null for NaN), money as exact decimal strings,
/// and the run id on every line.
pub fn write_json_lines(out: &mut dyn Write, rows: &[Summary], run_id: &str) -> io::Result<()> {
    for r in rows {
        let notes: Vec<String> = r
            .no_metrics_note()
            .into_iter()
            .chain(r.note.clone())
            .collect();
        let row = JsonRow {
            run_id,
            window: &r.window,
            strategy: &r.strategy,
            sizing: &r.sizing,
            start: r.start.to_string(),
            end: r.end.to_string(),
            days: r.days,
            status: r.status(),
            metrics: r.metrics(),
            bench_total_return: r.bench_total_return,
            bench_max_drawdown: r.bench_max_drawdown,
            note: (!notes.is_empty()).then(|| notes.join("; ")),
        };
        serde_json::to_writer(&mut *out, &row).map_err(io::Error::other)?;
        writeln!(out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RunMetrics;
    use rust_decimal::Decimal;

    fn row(window: &str, strategy: &str, sizing: &str, outcome: Outcome) -> Summary {
        Summary {
            window: window.into(),
            strategy: strategy.into(),
            sizing: sizing.into(),
            start: "2015-01-05".parse().unwrap(),
            end: "2015-06-12".parse().unwrap(),
            days: 110,
            outcome,
            note: None,
            bench_total_return: 0.5,
            bench_max_drawdown: -0.1,
        }
    }

    fn metrics(forced_sales: usize, ruined: bool) -> Outcome {
        Outcome::Ran(RunMetrics {
            total_return: -1.0,
            cagr: -1.0,
            ann_vol: 0.9,
            sharpe: -2.0,
            sortino: -2.5,
            calmar: -1.0,
            max_drawdown: -1.0,
            max_dd_days: 40,
            exposure: 1.0,
            trades: 1,
            win_rate: 0.0,
            fees: Decimal::ONE,
            slippage: Decimal::ZERO,
            interest: Decimal::TEN,
            turnover: 3.0,
            forced_sales,
            ruined,
            final_equity: Decimal::ZERO,
        })
    }

    #[test]
    fn the_compact_table_counts_forced_sales_ruin_and_failures_and_collapses_notes() {
        // A 64-character strategy name: the longest allowed.
        let long = "a-strategy-with-a-name-as-long-as-the-checked-names-may-be-xxxxx";
        assert_eq!(long.len(), 64);
        let no_margin = || Outcome::NotApplicable("no margin data in the window".into());
        let mut ruined = row("bull3", long, "full", metrics(2, true));
        ruined.note = Some("ruined on 2015-06-10".into());
        let rows = vec![
            ruined,
            row(
                "bull3",
                "broken",
                "full",
                Outcome::Failed("plugin x panicked".into()),
            ),
            row("bull1", "margin", "full", no_margin()),
            row("bull2", "margin", "full", no_margin()),
        ];
        let mut out = Vec::new();
        write_table(
            &mut out,
            &rows,
            &[],
            &Conventions::default(),
            TableLayout::Compact,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        for line in text.lines() {
            assert!(line.chars().count() <= TERMINAL_WIDTH, "{line}");
        }
        assert!(text.contains("a-strategy-with-a-name"), "{text}");
        assert!(text.contains("~  full"), "the long name is cut: {text}");
        assert!(
            text.contains("2 forced sales (margin calls) in 1 run; 1 run ruined; 1 run failed"),
            "{text}"
        );
        assert!(
            text.contains("failed: plugin x panicked (broken (full) in bull3)"),
            "{text}"
        );
        assert_eq!(
            text.matches("no margin data in the window").count(),
            1,
            "{text}"
        );
        assert!(text.contains("(margin (full) in bull1, bull2)"), "{text}");
    }
}
