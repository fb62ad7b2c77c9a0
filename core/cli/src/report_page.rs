//! Gathers what `report.html` shows from the finished runs: chart series, bootstrap
//! intervals of the Sharpe ratios, the deflated Sharpe ratio of each window's best
//! configuration, forced sales, and the FOMO days to shade. Also writes the intervals and the
//! deflated ratios as CSV.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use cyclebt_data::MarketData;
use cyclebt_engine::{BUY_AND_HOLD, RunResult, SignalRole, SignalSource};
use cyclebt_metrics as metrics;
use cyclebt_report::html::{ChartRun, Deflated, ForcedSale, HtmlReport, WindowCharts, write_html};
use cyclebt_report::number;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::compare::{CompareArgs, Finished};
use crate::input_error;
use crate::inputs::{self, Datasets};

/// The fomo-phase plugin's label for a FOMO day (plugins/fomo-phase/README.md).
pub const FOMO_LABEL: u32 = 3;

fn growth(values: &[Decimal]) -> Vec<f64> {
    let start = values[0];
    values
        .iter()
        .map(|v| (*v / start).to_f64().unwrap_or(f64::NAN))
        .collect()
}

fn returns(run: &RunResult) -> Vec<f64> {
    let equity: Vec<f64> = run
        .equity
        .iter()
        .map(|v| v.to_f64().unwrap_or(f64::NAN))
        .collect();
    metrics::simple_returns(&equity)
}

/// FOMO days of the window `f` covers, by the fomo-phase plugin with the strategy's params.
fn fomo_days(
    args: &CompareArgs,
    market: &MarketData,
    f: &Finished,
    params: &toml::Table,
) -> Result<Vec<bool>> {
    let mut params = params.clone();
    params.insert("output".into(), toml::Value::String("phase".into()));
    let mut plugin = args
        .factory
        .plugin_signal(
            &SignalSource::Plugin("fomo-phase".into()),
            &params,
            SignalRole::Signal,
        )
        .map_err(input_error)?;
    let outputs = plugin
        .outputs(market.history(f.span.last), f.span.first)
        .map_err(|e| {
            input_error(format!(
                "fomo-phase failed on {}: {}",
                market.dates[e.day], e.error
            ))
        })?;
    Ok(outputs.iter().map(|o| o.label == FOMO_LABEL).collect())
}

/// Writes `report.html`, `sharpe_ci.csv` and `deflated.csv` into `dir`; returns the page's path.
pub fn write_report(
    dir: &Path,
    datasets: &mut Datasets,
    finished: &[Finished],
    window_groups: &[(String, String)],
    args: &CompareArgs,
    run_id: &str,
) -> Result<PathBuf> {
    let rf = metrics::per_period_rate(
        args.conventions.risk_free_annual,
        args.conventions.periods_per_year,
    );
    let ppy = args.conventions.periods_per_year;
    let intervals: Vec<(f64, f64)> = finished
        .iter()
        .map(|f| match &f.run {
            Some(run) => {
                metrics::sharpe_confidence_interval(&returns(run), rf, ppy, &args.bootstrap)
            }
            None => (f64::NAN, f64::NAN),
        })
        .collect();

    let mut window_ids: Vec<&str> = Vec::new();
    for f in finished {
        if !window_ids.contains(&f.summary.window.as_str()) {
            window_ids.push(&f.summary.window);
        }
    }
    let mut charts = Vec::new();
    let mut deflated = Vec::new();
    let mut forced = Vec::new();
    for id in window_ids {
        let members: Vec<&Finished> = finished.iter().filter(|f| f.summary.window == id).collect();
        let first = members[0];
        let fomo = match members
            .iter()
            .find_map(|f| f.fomo_params.as_ref().map(|p| (f, p)))
        {
            Some((f, params)) => {
                let market = &datasets.get(&f.dataset)?.market;
                Some(fomo_days(args, market, f, params)?)
            }
            None => None,
        };
        let mut runs = Vec::new();
        let mut trials: Vec<(String, Vec<f64>)> = Vec::new();
        for f in &members {
            let Some(run) = &f.run else { continue };
            // Each run on its own dataset's calendar (strategies may name different datasets).
            let market = &datasets.get(&f.dataset)?.market;
            let label = format!("{} / {}", f.summary.strategy, f.summary.sizing);
            let equity: Vec<f64> = run
                .equity
                .iter()
                .map(|v| v.to_f64().unwrap_or(f64::NAN))
                .collect();
            // Buy-and-hold is the black benchmark line already.
            let benchmark_row = f.summary.strategy.starts_with(BUY_AND_HOLD);
            if !benchmark_row {
                runs.push(ChartRun {
                    label: label.clone(),
                    growth: growth(&run.equity),
                    drawdown: metrics::drawdowns(&equity),
                    exposure: run.exposure(market, f.span),
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
            benchmark: growth(&first.benchmark.equity),
            runs,
            fomo,
        });
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
        sharpe_intervals: &intervals,
        windows: &charts,
        window_groups,
        forced: &forced,
        deflated: &deflated,
        conventions: &args.conventions,
        bootstrap_note,
        run_id,
        events: &event_rows,
        events_note,
    };
    write_html(&mut page, &report)?;
    let path = dir.join("report.html");
    fs::write(&path, page).with_context(|| format!("cannot write {}", path.display()))?;

    let mut csv = String::from("window,strategy,sizing,sharpe,sharpe_low,sharpe_high\n");
    for (row, (low, high)) in rows.iter().zip(&intervals) {
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
    fs::write(dir.join("sharpe_ci.csv"), csv).context("cannot write sharpe_ci.csv")?;
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
    fs::write(dir.join("deflated.csv"), csv).context("cannot write deflated.csv")?;
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
