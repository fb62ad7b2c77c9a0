//! `cyclebt validate`: the sweep's grid judged out of sample. Leave-one-cycle-out over a group
//! of windows, a walk-forward over one window with its stitched out-of-sample curve, the
//! probability of backtest overfitting (CSCV) and the deflated Sharpe ratio of the best
//! candidate given how many were tried. A candidate is one combination with one sizing rule.

use std::fs;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use cyclebt_exec::select::{self, best, deflated_sharpe, leave_one_out, pbo_cscv, walk_forward};
use cyclebt_report::quoted;
use cyclebt_report::validation_page::{
    LeftOut, Overfitting, ValidationPage, WalkStep, write_validation_page,
};

use crate::input_error;
use crate::inputs::{self, Datasets};
use crate::sweep::{GridArgs, RankBy, prepare, run_grid, within_declared};

/// What `cyclebt validate` was asked to do.
pub struct ValidateArgs {
    /// The grid and where to run it.
    pub grid: GridArgs,
    /// The group (or windows) left out one at a time: `bulls` or `cycles`.
    pub over: String,
    /// The window the walk-forward, PBO and deflated Sharpe run over.
    pub walk_window: String,
    /// Years of training in each walk-forward step.
    pub train_years: u32,
    /// Years of testing in each step (and the step between them).
    pub test_years: u32,
    /// Training always from the window's first day (else a rolling `train_years`).
    pub anchored: bool,
    /// CSCV blocks.
    pub blocks: usize,
    /// The metric leave-one-out chooses and scores by.
    pub rank: RankBy,
    /// Folder for the CSV files.
    pub out: Option<PathBuf>,
}

/// A candidate's daily returns over the walk-forward window, and buy-and-hold's.
struct Daily {
    returns: Vec<f64>,
    benchmark: Vec<f64>,
}

/// A run's daily returns, equity below zero (or without an `f64`) counted as zero: a loss of
/// everything is -100%, never more. Reads the run's cached `f64` curve, so a benchmark shared
/// by every candidate is converted once.
fn daily_returns(run: &cyclebt_engine::RunResult) -> Vec<f64> {
    let values: Vec<f64> = run.equity_f64().iter().map(|e| e.max(0.0)).collect();
    cyclebt_metrics::simple_returns(&values)
        .into_iter()
        .map(|r| if r.is_finite() { r } else { -1.0 })
        .collect()
}

/// Runs the validation and prints its tables.
pub fn validate(args: &ValidateArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<()> {
    if !(args.blocks >= 2 && args.blocks <= 24 && args.blocks.is_multiple_of(2)) {
        return Err(input_error(format!(
            "--blocks {}: expected an even number from 2 to 24",
            args.blocks
        )));
    }
    if args.train_years == 0 || args.test_years == 0 {
        return Err(input_error(
            "--train-years and --test-years must be at least 1",
        ));
    }
    let mut datasets = Datasets::new(args.grid.data.clone());
    let (expanded, cycles) = prepare(&args.grid, &mut datasets)?;
    let declared = |windows| within_declared(&expanded.strategies[0], windows);
    let folds = declared(
        cycles
            .select(std::slice::from_ref(&args.over))
            .map_err(input_error)?,
    );
    if folds.len() < 2 {
        return Err(input_error(format!(
            "--over {}: leave-one-out needs two windows at least, it names {} (of those the strategy's windows list allows)",
            args.over,
            folds.len()
        )));
    }
    let walk = declared(
        cycles
            .select(std::slice::from_ref(&args.walk_window))
            .map_err(input_error)?,
    );
    let [walk] = walk.as_slice() else {
        return Err(input_error(format!(
            "--walk-window {}: expected one window the strategy's windows list allows, it names {}",
            args.walk_window,
            walk.len()
        )));
    };
    let mut windows = folds.clone();
    windows.push(*walk);
    let walk_index = windows.len() - 1;

    let rows = run_grid(
        &expanded,
        &windows,
        &mut datasets,
        &args.grid,
        |_| true,
        |window, done| {
            (window == walk_index).then(|| Daily {
                returns: daily_returns(done.outcome.as_ref().expect("ran")),
                benchmark: daily_returns(done.benchmark),
            })
        },
    )?;

    // Candidates: (combination, sizing rule), in the rows' order.
    let mut candidates: Vec<(usize, String)> = Vec::new();
    for (row, _) in &rows {
        let key = (row.combo, row.summary.sizing.clone());
        if !candidates.contains(&key) {
            candidates.push(key);
        }
    }
    let candidate_of = |combo: usize, sizing: &str| {
        candidates
            .iter()
            .position(|(c, s)| *c == combo && s == sizing)
            .expect("every row's candidate is listed")
    };
    let name = |c: usize| {
        let (combo, sizing) = &candidates[c];
        format!("{} {sizing}", expanded.describe(expanded.combos[*combo]))
    };
    let mut scores = vec![vec![f64::NAN; candidates.len()]; folds.len()];
    let mut returns: Vec<Option<Vec<f64>>> = vec![None; candidates.len()];
    let mut benchmark: Option<Vec<f64>> = None;
    let mut dates = Vec::new();
    for (row, daily) in rows {
        let c = candidate_of(row.combo, &row.summary.sizing);
        if row.window < folds.len() {
            scores[row.window][c] = args.rank.of(&row.summary);
        } else if let Some(Some(daily)) = daily {
            returns[c] = Some(daily.returns);
            benchmark.get_or_insert(daily.benchmark);
            if dates.is_empty() {
                let market = &datasets
                    .get(
                        &expanded.strategies[0]
                            .dataset
                            .clone()
                            .unwrap_or_else(|| inputs::DEFAULT_DATASET.into()),
                    )?
                    .market;
                let span = walk.span(market).map_err(input_error)?;
                dates = market.dates[span.first + 1..=span.last].to_vec();
            }
        }
    }

    let compared = format!(
        "{}: {} combinations ({} invalid, skipped) x sizing rules = {} candidates, chosen by {}",
        expanded.strategies[0].name,
        expanded.grid.len(),
        expanded.invalid.len(),
        candidates.len(),
        args.rank.name()
    );
    writeln!(out, "{compared}")?;

    // Leave one window out, over the windows where some candidate ran (a margin signal has
    // nothing to say in the bulls before margin trading).
    let (kept, dropped): (Vec<usize>, Vec<usize>) =
        (0..folds.len()).partition(|&w| scores[w].iter().any(|v| v.is_finite()));
    if !dropped.is_empty() {
        writeln!(
            out,
            "\n{}: no candidate ran there (n/a), left out of the leave-one-out",
            dropped
                .iter()
                .map(|&w| folds[w].id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )?;
    }
    let kept_scores: Vec<Vec<f64>> = kept.iter().map(|&w| scores[w].clone()).collect();
    let held: Vec<select::HeldOut> = if kept.len() >= 2 {
        leave_one_out(&kept_scores)
            .into_iter()
            .map(|fold| select::HeldOut {
                window: kept[fold.window],
                ..fold
            })
            .collect()
    } else {
        Vec::new()
    };
    writeln!(
        out,
        "\nLeave one out over {}: the best mean {} on the other {} windows, scored on the one left out",
        args.over,
        args.rank.name(),
        kept.len().saturating_sub(1)
    )?;
    writeln!(
        out,
        "{:<10} {:>10} {:>10} {:>9} {:>10}  chosen",
        "left out", "in-sample", "out", "oos rank", "best oos"
    )?;
    let mut loco_csv = String::from(
        "left_out,chosen,in_sample,out_of_sample,oos_rank,ranked,best_out_of_sample\n",
    );
    let mut left_out = Vec::new();
    for fold in &held {
        let best_oos = scores[fold.window]
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .fold(f64::NAN, f64::max);
        left_out.push(LeftOut {
            window: folds[fold.window].id.clone(),
            chosen: name(fold.chosen),
            in_sample: fold.in_sample,
            out_of_sample: fold.out_of_sample,
            rank: fold.rank,
            ranked: fold.ranked,
            best_out_of_sample: best_oos,
        });
        writeln!(
            out,
            "{:<10} {:>10.3} {:>10.3} {:>9} {:>10.3}  {}",
            folds[fold.window].id,
            fold.in_sample,
            fold.out_of_sample,
            format!("{}/{}", fold.rank, fold.ranked),
            best_oos,
            name(fold.chosen)
        )?;
        loco_csv.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            folds[fold.window].id,
            quoted(&name(fold.chosen)),
            cyclebt_report::number(fold.in_sample),
            cyclebt_report::number(fold.out_of_sample),
            fold.rank,
            fold.ranked,
            cyclebt_report::number(best_oos)
        ));
    }
    if held.is_empty() {
        writeln!(
            out,
            "(not computable: fewer than two windows where a candidate ran)"
        )?;
    }

    // The walk-forward window: candidates that ran there.
    let ran: Vec<usize> = (0..candidates.len())
        .filter(|c| returns[*c].is_some())
        .collect();
    let matrix: Vec<Vec<f64>> = ran
        .iter()
        .map(|c| returns[*c].clone().expect("filtered"))
        .collect();
    let conventions = &args.grid.conventions;
    let ppy = conventions.periods_per_year;
    let rf = cyclebt_metrics::per_period_rate(conventions.risk_free_annual, ppy);
    let wf = walk_forward(
        &dates,
        &matrix,
        args.train_years,
        args.test_years,
        args.anchored,
    );
    let walk_setup = format!(
        "Train {} years ({}), test the next {}.",
        args.train_years,
        if args.anchored { "anchored" } else { "rolling" },
        args.test_years
    );
    writeln!(
        out,
        "\nWalk-forward over {}: train {} years ({}), test the next {}; the best Sharpe in training is run in the test",
        walk.id,
        args.train_years,
        if args.anchored { "anchored" } else { "rolling" },
        args.test_years
    )?;
    writeln!(
        out,
        "{:<11} {:<11} {:<11} {:>9} {:>9}  chosen",
        "train from", "test from", "test to", "IS sharpe", "OOS sharpe"
    )?;
    let annual = ppy.sqrt();
    let mut steps_csv = String::from(
        "train_start,test_start,test_end,chosen,in_sample_sharpe,out_of_sample_sharpe\n",
    );
    let mut steps = Vec::new();
    for step in &wf.steps {
        steps.push(WalkStep {
            train_start: step.train_start,
            test_start: step.test_start,
            test_end: step.test_end,
            chosen: name(ran[step.chosen]),
            in_sample: step.in_sample * annual,
            out_of_sample: step.out_of_sample * annual,
        });
        writeln!(
            out,
            "{:<11} {:<11} {:<11} {:>9.3} {:>9.3}  {}",
            step.train_start.to_string(),
            step.test_start.to_string(),
            step.test_end.to_string(),
            step.in_sample * annual,
            step.out_of_sample * annual,
            name(ran[step.chosen])
        )?;
        steps_csv.push_str(&format!(
            "{},{},{},{},{},{}\n",
            step.train_start,
            step.test_start,
            step.test_end,
            quoted(&name(ran[step.chosen])),
            cyclebt_report::number(step.in_sample * annual),
            cyclebt_report::number(step.out_of_sample * annual)
        ));
    }
    let mut curve_csv = String::from("date,return,equity,benchmark_equity\n");
    // The stitched curve and buy-and-hold's on its days, for the page, and what they did.
    let mut curves = (Vec::new(), Vec::new());
    let curve_note;
    if let (Some(first), Some(bench)) = (wf.dates.first(), &benchmark) {
        let from = dates.partition_point(|d| d < first);
        let bench = &bench[from..from + wf.returns.len()];
        let curve = growth(&wf.returns);
        let bench_curve = growth(bench);
        let describe = |r: &[f64], curve: &[f64]| {
            format!(
                "total return {:.1}%, CAGR {:.1}%, Sharpe {:.2}, max drawdown {:.1}%",
                100.0 * cyclebt_metrics::total_return(r),
                100.0 * cyclebt_metrics::cagr(r, ppy),
                cyclebt_metrics::sharpe_ratio(r, rf, ppy),
                100.0 * cyclebt_metrics::max_drawdown(curve)
            )
        };
        curve_note = format!(
            "stitched out-of-sample {} to {}: {}\nbuy-and-hold on the same days: {}",
            first,
            wf.dates.last().expect("non-empty"),
            describe(&wf.returns, &curve),
            describe(bench, &bench_curve)
        );
        writeln!(out, "{curve_note}")?;
        for i in 0..wf.returns.len() {
            curve_csv.push_str(&format!(
                "{},{},{},{}\n",
                wf.dates[i],
                cyclebt_report::number(wf.returns[i]),
                cyclebt_report::number(curve[i + 1]),
                cyclebt_report::number(bench_curve[i + 1])
            ));
        }
        curves = (curve[1..].to_vec(), bench_curve[1..].to_vec());
    } else {
        curve_note = "(the window is shorter than one training and one test period)".to_string();
        writeln!(out, "{curve_note}")?;
    }

    // PBO and the deflated Sharpe ratio over the same window.
    writeln!(out)?;
    let mut logits_csv = String::from("split,logit\n");
    let pbo = pbo_cscv(&matrix, args.blocks);
    match &pbo {
        Some(pbo) => {
            let mut sorted = pbo.logits.clone();
            sorted.sort_by(f64::total_cmp);
            let q = |p: f64| sorted[((sorted.len() - 1) as f64 * p).round() as usize];
            writeln!(
                out,
                "Probability of backtest overfitting (CSCV, {} blocks, {} splits) over {}: {:.2}\n  logit of the in-sample best's out-of-sample rank: 10% {:.2}, 25% {:.2}, median {:.2}, 75% {:.2}, 90% {:.2} (below 0: it ranked below the median)",
                pbo.blocks,
                pbo.logits.len(),
                walk.id,
                pbo.pbo,
                q(0.1),
                q(0.25),
                q(0.5),
                q(0.75),
                q(0.9)
            )?;
            for (i, l) in pbo.logits.iter().enumerate() {
                logits_csv.push_str(&format!("{i},{}\n", cyclebt_report::number(*l)));
            }
        }
        None => writeln!(
            out,
            "PBO: not computable (fewer than two candidates or too few days)"
        )?,
    }
    let mut deflated_note = String::from("Deflated Sharpe ratio: no candidate ran.");
    if let Some(chosen) = best(matrix.iter().map(|r| select::sharpe(r))) {
        let dsr = deflated_sharpe(&matrix, chosen);
        deflated_note = format!(
            "Deflated Sharpe ratio of the best over {} ({}, Sharpe {:.2}) given {} trials: {:.3}, {}",
            walk.id,
            name(ran[chosen]),
            select::sharpe(&matrix[chosen]) * annual,
            matrix.len(),
            dsr,
            if dsr > 0.95 {
                "significant at 95%"
            } else {
                "not significant at 95%: the best is within what luck among this many trials gives"
            }
        );
        writeln!(out, "{deflated_note}")?;
    }

    if let Some(dir) = &args.out {
        fs::create_dir_all(dir)
            .map_err(|e| input_error(format!("--out {}: {e}", dir.display())))?;
        for (file, text) in [
            ("validate_loco.csv", loco_csv),
            ("walkforward_steps.csv", steps_csv),
            ("walkforward_curve.csv", curve_csv),
            ("pbo_logits.csv", logits_csv),
        ] {
            let path = dir.join(file);
            fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        }
        let overfitting = pbo.map(|p| Overfitting {
            blocks: p.blocks,
            pbo: p.pbo,
            logits: p.logits,
        });
        let not_run: Vec<String> = dropped.iter().map(|&w| folds[w].id.clone()).collect();
        let page = ValidationPage {
            strategy: &expanded.strategies[0].name,
            candidates: &compared,
            metric: args.rank.name(),
            over: &args.over,
            left_out: &left_out,
            not_run: &not_run,
            walk_window: &walk.id,
            walk_setup: &walk_setup,
            steps: &steps,
            curve_dates: if curves.0.is_empty() { &[] } else { &wf.dates },
            curve: &curves.0,
            benchmark: &curves.1,
            curve_note: &curve_note,
            overfitting: overfitting.as_ref(),
            deflated_note: &deflated_note,
        };
        let mut html = Vec::new();
        write_validation_page(&mut html, &page)?;
        let path = dir.join("report.html");
        fs::write(&path, html).with_context(|| format!("cannot write {}", path.display()))?;
        writeln!(
            err,
            "wrote validate_loco.csv, walkforward_steps.csv, walkforward_curve.csv, pbo_logits.csv and report.html in {}",
            dir.display()
        )?;
    }
    Ok(())
}

/// Growth of one yuan: 1, then the running product of (1 + r).
fn growth(returns: &[f64]) -> Vec<f64> {
    let mut curve = Vec::with_capacity(returns.len() + 1);
    curve.push(1.0);
    for r in returns {
        curve.push(curve.last().expect("pushed") * (1.0 + r));
    }
    curve
}
