//! Gathers what `report.html` shows from the finished runs: chart series, one tearsheet per
//! strategy x sizing rule, bootstrap intervals of the Sharpe ratios, the deflated Sharpe ratio
//! of each window's best configuration, forced sales, and the days each strategy's plugins
//! label (any plugin declaring label names, as the executor's evaluation gave them). Also
//! writes the intervals and the deflated ratios as CSV.

use std::path::{Path, PathBuf};

use anyhow::Result;
use chrono::NaiveDate;
use cyclebt_data::{Field, MarketData, WindowSpan};
use cyclebt_engine::{BUY_AND_HOLD, RunResult};
use cyclebt_metrics as metrics;
use cyclebt_report::html::{
    ChartRun, Deflated, ForcedSale, HtmlReport, LabelTrack, Tearsheet, TradeRow, WindowCharts,
    write_html,
};
use cyclebt_report::number;
use rayon::prelude::*;

use crate::compare::{CompareArgs, Finished, write_file};
use crate::inputs::{self, Datasets};

/// Equity over its first value, from the run's f64 mirror (converted once per run and shared
/// with the summary's metrics): a chart needs no decimal division.
fn growth(run: &RunResult) -> Vec<f64> {
    let equity = run.equity_f64();
    let start = equity[0];
    equity.iter().map(|v| v / start).collect()
}

fn returns(run: &RunResult) -> Vec<f64> {
    metrics::simple_returns(run.equity_f64())
}

/// The share of equity held in the index at each close, for charts: units times the close
/// over equity in f64 (the engine's `RunResult::exposure` divides decimals, exact but ten
/// times slower, and no chart shows the difference).
fn chart_exposure(run: &RunResult, market: &MarketData, span: WindowSpan) -> Vec<f64> {
    let close = &market.column(Field::Close)[span.first..=span.last];
    run.units
        .iter()
        .zip(run.equity_f64())
        .zip(close)
        .map(|((units, equity), close)| {
            if *equity > 0.0 {
                cyclebt_data::decimal_to_f64(*units) * close / equity
            } else {
                f64::NAN
            }
        })
        .collect()
}

/// Values on `own` days seen on `dates`: each takes the value of the last of `own` on or before
/// it (`before` ahead of the first), as a run or label track on another dataset's calendar is
/// seen on a window's.
fn as_of<T: Copy>(values: &[T], own: &[NaiveDate], dates: &[NaiveDate], before: T) -> Vec<T> {
    if own == dates {
        return values.to_vec();
    }
    dates
        .iter()
        .map(|d| match own.partition_point(|o| o <= d) {
            0 => before,
            i => values[i - 1],
        })
        .collect()
}

/// The label tracks of `f`'s strategy over `f`'s window: each plugin signal that names labels,
/// with the labels of the very evaluation its runs used (the window's last day, on which
/// nothing is decided, unlabelled), in process or isolated alike. A signal that names labels but
/// brought none (which no signal of this project does) is said once in `notes`.
fn label_tracks(args: &CompareArgs, f: &Finished, notes: &mut Vec<String>) -> Vec<LabelTrack> {
    let mut tracks = Vec::new();
    for (spec, labels) in &f.plugin_signals {
        let Ok(library) = args.factory.library(&spec.source) else {
            continue;
        };
        let info = &library.info;
        if info.label_names.iter().all(String::is_empty) {
            continue;
        }
        match labels {
            Some(days) => tracks.push(LabelTrack {
                strategy: f.summary.strategy.clone(),
                plugin: info.name.clone(),
                names: info.label_names.clone(),
                labels: days.iter().copied().chain([0]).collect(),
            }),
            None => {
                let note = format!(
                    "{} ({}) names labels but gave none: not shaded",
                    info.name,
                    info.path.display()
                );
                if !notes.contains(&note) {
                    notes.push(note);
                }
            }
        }
    }
    tracks
}

/// A tearsheet of `f`'s run.
fn tearsheet(
    f: &Finished,
    run: &RunResult,
    market: &MarketData,
    labels: Vec<LabelTrack>,
) -> Tearsheet {
    let to_f64 = cyclebt_data::decimal_to_f64;
    let last_close = market.close_exact[f.span.last];
    Tearsheet {
        run: format!("{} / {}", f.summary.strategy, f.summary.sizing),
        window: f.summary.window.clone(),
        dates: run.dates.clone(),
        growth: growth(run),
        benchmark: as_of(
            &growth(&f.benchmark),
            &f.benchmark.dates,
            &run.dates,
            f64::NAN,
        ),
        exposure: chart_exposure(run, market, f.span),
        debt: run
            .debt
            .iter()
            .zip(run.equity_f64())
            .map(|(d, e)| if *e > 0.0 { to_f64(*d) / e } else { f64::NAN })
            .collect(),
        close: market.column(Field::Close)[f.span.first..=f.span.last].to_vec(),
        trades: run
            .trades
            .iter()
            .map(|t| TradeRow {
                entry: t.entry,
                entry_price: to_f64(t.entry_price()),
                exit: t.exit,
                exit_price: if t.exit.is_some() {
                    to_f64(t.exit_price())
                } else {
                    f64::NAN
                },
                net_return: to_f64(t.net_return(last_close)),
                fees: t.fees,
                interest: t.interest,
                forced: t.forced_exit,
            })
            .collect(),
        forced: run.forced_sales().map(|fill| fill.date).collect(),
        labels,
    }
}

/// The risk-free rate per period and the periods per year of the run's conventions.
fn per_period(args: &CompareArgs) -> (f64, f64) {
    let ppy = args.conventions.periods_per_year;
    (
        metrics::per_period_rate(args.conventions.risk_free_annual, ppy),
        ppy,
    )
}

/// Each run's Sharpe ratio confidence interval by block bootstrap, on rayon's threads: the
/// page's one parallel part, computed before the audit files take those threads, so that the
/// page's serial drawing runs beside them instead of waiting behind them.
pub fn sharpe_intervals(finished: &[Finished], args: &CompareArgs) -> Vec<(f64, f64)> {
    let (rf, ppy) = per_period(args);
    finished
        .par_iter()
        .map(|f| match &f.run {
            Some(run) => {
                metrics::sharpe_confidence_interval(&returns(run), rf, ppy, &args.bootstrap)
            }
            None => (f64::NAN, f64::NAN),
        })
        .collect()
}

/// Writes `report.html`, `sharpe_ci.csv` and `deflated.csv` into `dir` with the runs'
/// [`sharpe_intervals`]; returns the page's path.
pub fn write_report(
    dir: &Path,
    datasets: &mut Datasets,
    finished: &[Finished],
    intervals: &[(f64, f64)],
    window_groups: &[(String, String)],
    args: &CompareArgs,
    run_id: &str,
) -> Result<PathBuf> {
    let (rf, ppy) = per_period(args);
    let mut label_notes = Vec::new();
    let mut window_ids: Vec<&str> = Vec::new();
    for f in finished {
        if !window_ids.contains(&f.summary.window.as_str()) {
            window_ids.push(&f.summary.window);
        }
    }
    let mut charts = Vec::new();
    // Label tracks on each strategy's own days, as (strategy, window, tracks), and the run of
    // each tearsheet, as (run name, finished run).
    let mut tracks: Vec<(String, String, Vec<LabelTrack>)> = Vec::new();
    let mut sheets: Vec<(String, &Finished)> = Vec::new();
    let mut deflated = Vec::new();
    let mut forced = Vec::new();
    for id in window_ids {
        let members: Vec<&Finished> = finished.iter().filter(|f| f.summary.window == id).collect();
        let first = members[0];
        let window_dates = &first.benchmark.dates;
        let mut labels: Vec<LabelTrack> = Vec::new();
        let mut runs = Vec::new();
        let mut trials: Vec<(String, Vec<f64>)> = Vec::new();
        for f in &members {
            let Some(run) = &f.run else { continue };
            // Each run on its own dataset's calendar (strategies may name different datasets).
            let market = &datasets.get(&f.dataset)?.market;
            let label = format!("{} / {}", f.summary.strategy, f.summary.sizing);
            // Buy-and-hold is the black benchmark line already.
            let benchmark_row = f.summary.strategy.starts_with(BUY_AND_HOLD);
            if !benchmark_row {
                // The strategy's labels, once per window (its sizing rules share its signals).
                let strategy = &f.summary.strategy;
                if !labels.iter().any(|t| t.strategy == *strategy) {
                    let own = label_tracks(args, f, &mut label_notes);
                    labels.extend(own.iter().map(|t| LabelTrack {
                        labels: as_of(&t.labels, &run.dates, window_dates, 0),
                        ..t.clone()
                    }));
                    tracks.push((strategy.clone(), id.to_string(), own));
                }
                // A tearsheet per strategy x sizing rule, over its longest window.
                let key = label.clone();
                let longer = match sheets.iter().position(|(k, _)| *k == key) {
                    Some(i) => sheets[i].1.summary.days < f.summary.days,
                    None => true,
                };
                if longer {
                    sheets.retain(|(k, _)| *k != key);
                    sheets.push((key, f));
                }
                // On the window's calendar (the benchmark's), which a run on another dataset
                // does not share.
                let own = |values: Vec<f64>| as_of(&values, &run.dates, window_dates, f64::NAN);
                runs.push(ChartRun {
                    label: label.clone(),
                    growth: own(growth(run)),
                    drawdown: own(metrics::drawdowns(run.equity_f64())),
                    exposure: own(chart_exposure(run, market, f.span)),
                });
            }
            // Trials are the strategies' configurations: not the benchmark, and not a run whose
            // returns repeat another's to the last digit (a built-in and its plugin twin).
            let series = returns(run);
            if !benchmark_row && !trials.iter().any(|(_, other)| *other == series) {
                trials.push((label.clone(), series));
            }
            forced.extend(run.forced_sales().map(|fill| ForcedSale {
                window: id.to_string(),
                run: label.clone(),
                date: fill.date,
                units: fill.units,
                value: fill.value,
                repaid: -fill.debt_change,
            }));
        }
        deflated.push(deflate(id, &trials, rf, ppy));
        charts.push(WindowCharts {
            window: id.to_string(),
            dates: first.benchmark.dates.clone(),
            benchmark: growth(&first.benchmark),
            runs,
            labels,
        });
    }
    let mut tearsheets = Vec::new();
    for (_, f) in &sheets {
        let Some(run) = &f.run else { continue };
        let market = &datasets.get(&f.dataset)?.market;
        let labels = tracks
            .iter()
            .find(|(s, w, _)| *s == f.summary.strategy && *w == f.summary.window)
            .map(|(_, _, t)| t.clone())
            .unwrap_or_default();
        tearsheets.push(tearsheet(f, run, market, labels));
    }
    let rows: Vec<_> = finished.iter().map(|f| f.summary.clone()).collect();
    let spec = &args.bootstrap;
    let bootstrap_note = format!(
        "Sharpe 95% CI: circular block bootstrap, {} resamples, blocks of round(n^(1/3)) returns (at least 5), seed {}.",
        spec.resamples, spec.seed
    );
    // The rule changes on the dataset of the first run, with the comparison's own schedules.
    let regulation = inputs::regulation(args.stamp_duty.as_deref(), args.margin_rules.as_deref())?;
    let (events, _) = crate::events::builtin_events(&regulation);
    let study = match finished.first() {
        Some(f) => crate::events::rule_changes(
            &datasets.get(&f.dataset)?.market,
            &events,
            &crate::events::DEFAULT_HORIZONS,
        ),
        None => None,
    };
    let (event_rows, events_note) = study.map_or((Vec::new(), String::new()), |s| (s.rows, s.note));
    let mut page = Vec::new();
    let report = HtmlReport {
        rows: &rows,
        sharpe_intervals: intervals,
        windows: &charts,
        tearsheets: &tearsheets,
        window_groups,
        forced: &forced,
        deflated: &deflated,
        conventions: &args.conventions,
        bootstrap_note,
        run_id,
        events: &event_rows,
        events_note,
        label_notes: &label_notes,
    };
    write_html(&mut page, &report)?;
    let path = dir.join("report.html");
    write_file(&path, &page)?;

    let mut csv = String::from("window,strategy,sizing,sharpe,sharpe_low,sharpe_high\n");
    for (row, (low, high)) in rows.iter().zip(intervals) {
        let sharpe = row.metrics().map_or(f64::NAN, |m| m.sharpe);
        csv.push_str(&format!(
            "{},{},{},{},{},{}\n",
            row.window,
            row.strategy,
            row.sizing,
            number(sharpe),
            number(*low),
            number(*high)
        ));
    }
    write_file(&dir.join("sharpe_ci.csv"), csv.as_bytes())?;
    let mut csv = String::from("window,trials,best,sharpe,deflated_sharpe_ratio\n");
    for d in &deflated {
        csv.push_str(&format!(
            "{},{},{},{},{}\n",
            d.window,
            d.trials,
            d.best.replace(" / ", "__"),
            number(d.sharpe),
            number(d.dsr)
        ));
    }
    write_file(&dir.join("deflated.csv"), csv.as_bytes())?;
    Ok(path)
}

/// The deflated Sharpe ratio of the best of `trials` (label, returns) in a window.
fn deflate(window: &str, trials: &[(String, Vec<f64>)], rf: f64, ppy: f64) -> Deflated {
    let per_period: Vec<f64> = trials
        .iter()
        .map(|(_, r)| metrics::sharpe_ratio(r, rf, 1.0))
        .collect();
    let best = per_period
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_finite())
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i);
    let Some(best) = best else {
        return Deflated {
            window: window.into(),
            trials: trials.len(),
            best: "n/a".into(),
            sharpe: f64::NAN,
            dsr: f64::NAN,
        };
    };
    let finite: Vec<f64> = per_period
        .iter()
        .copied()
        .filter(|s| s.is_finite())
        .collect();
    let mean = finite.iter().sum::<f64>() / finite.len() as f64;
    let variance =
        finite.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (finite.len().max(2) - 1) as f64;
    let returns = &trials[best].1;
    let (skew, kurt) = metrics::skewness_kurtosis(returns);
    Deflated {
        window: window.into(),
        trials: trials.len(),
        best: trials[best].0.clone(),
        sharpe: per_period[best] * ppy.sqrt(),
        dsr: metrics::deflated_sharpe_ratio(
            per_period[best],
            returns.len(),
            skew,
            kurt,
            variance,
            finite.len(),
        ),
    }
}
