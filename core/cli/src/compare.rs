//! `cyclebt compare`: every strategy x sizing rule over every window, each against buy-and-hold
//! with the same capital, costs and fills.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use cyclebt_data::{Window, WindowSpan};
use cyclebt_engine::{CostsConfig, DEFAULT_CAPITAL, Execution, RunResult, Setup, Strategy, run};
use cyclebt_host::PluginFactory;
use cyclebt_report::{
    Conventions, Summary, equity_file_name, summarize, write_equity_csv, write_summary_csv,
    write_table,
};

use crate::input_error;
use crate::inputs::{self, DEFAULT_DATASET, Datasets};

/// What `compare` was asked to do.
pub struct CompareArgs {
    /// Strategy files; none means buy-and-hold alone.
    pub strategies: Vec<PathBuf>,
    /// Data root.
    pub data: PathBuf,
    /// Output folder for CSV files.
    pub out: Option<PathBuf>,
    /// Alternative cycle list.
    pub cycles: Option<PathBuf>,
    /// Only these windows.
    pub windows: Vec<String>,
    /// Metric conventions.
    pub conventions: Conventions,
    /// Builds the signals strategies name (built-ins and plugins).
    pub factory: PluginFactory,
}

/// One finished run, kept for the files.
struct Finished {
    summary: Summary,
    dataset: String,
    span: WindowSpan,
    run: RunResult,
    benchmark: RunResult,
}

/// Runs the comparison, prints the table to `out` and notes to `err`.
pub fn compare(args: &CompareArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<()> {
    let stamp_duty = inputs::stamp_duty()?;
    let mut strategies = args
        .strategies
        .iter()
        .map(|path| inputs::strategy(path, &stamp_duty, &args.factory))
        .collect::<Result<Vec<_>>>()?;
    let default_setup = Setup {
        capital: DEFAULT_CAPITAL,
        costs: CostsConfig::default().model(&stamp_duty),
        execution: Execution::default(),
    };
    strategies.insert(0, Strategy::buy_and_hold(default_setup));

    let all_windows = inputs::windows(args.cycles.as_deref())?;
    for id in &args.windows {
        if !all_windows.iter().any(|w| &w.id == id) {
            return Err(input_error(format!(
                "unknown window \"{id}\"; known: {}",
                ids(&all_windows)
            )));
        }
    }
    for strategy in &strategies {
        for id in strategy.windows.iter().flatten() {
            if !all_windows.iter().any(|w| &w.id == id) {
                return Err(input_error(format!(
                    "strategy {}: unknown window \"{id}\"; known: {}",
                    strategy.name,
                    ids(&all_windows)
                )));
            }
        }
    }
    let windows: Vec<&Window> = all_windows
        .iter()
        .filter(|w| args.windows.is_empty() || args.windows.contains(&w.id))
        .collect();

    let mut datasets = Datasets::new(args.data.clone());
    let mut finished = Vec::new();
    for window in &windows {
        for strategy in &mut strategies {
            if strategy
                .windows
                .as_ref()
                .is_some_and(|w| !w.contains(&window.id))
            {
                continue;
            }
            let dataset_name = strategy
                .dataset
                .clone()
                .unwrap_or_else(|| DEFAULT_DATASET.into());
            let market = &datasets.get(&dataset_name)?.market;
            let span = window.span(market).map_err(input_error)?;
            let benchmark = run_one(
                market,
                span,
                &mut Strategy::buy_and_hold(strategy.setup.clone()),
                0,
            )?;
            for s in 0..strategy.sizings.len() {
                let result = run_one(market, span, strategy, s)?;
                let labels = [
                    window.id.as_str(),
                    strategy.name.as_str(),
                    strategy.sizings[s].name.as_str(),
                ];
                let summary = summarize(labels, &result, &benchmark, &args.conventions);
                finished.push(Finished {
                    summary,
                    dataset: dataset_name.clone(),
                    span,
                    run: result,
                    benchmark: benchmark.clone(),
                });
            }
        }
    }

    let findings: usize = datasets_findings(&mut datasets, &finished)?;
    if findings > 0 {
        writeln!(
            err,
            "note: the importer reported {findings} findings (rows dropped, units assumed); `cyclebt data check --data {}` lists them",
            datasets.root().display()
        )?;
    }
    let rows: Vec<Summary> = finished.iter().map(|f| f.summary.clone()).collect();
    write_table(out, &rows, &args.conventions)?;
    if let Some(dir) = &args.out {
        write_files(dir, &mut datasets, &finished, &args.conventions)?;
        writeln!(
            err,
            "wrote {} and {} equity curves",
            dir.join("summary.csv").display(),
            finished.len()
        )?;
    }
    Ok(())
}

fn ids(windows: &[Window]) -> String {
    windows
        .iter()
        .map(|w| w.id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn run_one(
    market: &cyclebt_data::MarketData,
    span: WindowSpan,
    strategy: &mut Strategy,
    sizing: usize,
) -> Result<RunResult> {
    run(
        market,
        span,
        &mut strategy.signals,
        &strategy.plan,
        &strategy.sizings[sizing],
        &strategy.setup,
    )
    .map_err(|e| input_error(format!("strategy {}: {e}", strategy.name)))
}

fn datasets_findings(datasets: &mut Datasets, finished: &[Finished]) -> Result<usize> {
    let mut names: Vec<&str> = finished.iter().map(|f| f.dataset.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut total = 0;
    for name in names {
        total += datasets.get(name)?.findings.len();
    }
    Ok(total)
}

fn write_files(
    dir: &Path,
    datasets: &mut Datasets,
    finished: &[Finished],
    conventions: &Conventions,
) -> Result<()> {
    let equity_dir = dir.join("equity");
    fs::create_dir_all(&equity_dir)
        .with_context(|| format!("cannot create {}", equity_dir.display()))?;
    let rows: Vec<Summary> = finished.iter().map(|f| f.summary.clone()).collect();
    let mut summary = Vec::new();
    write_summary_csv(&mut summary, &rows)?;
    write_file(&dir.join("summary.csv"), &summary)?;
    write_file(
        &dir.join("conventions.txt"),
        format!("{}\n", conventions.describe()).as_bytes(),
    )?;
    for f in finished {
        let market = &datasets.get(&f.dataset)?.market;
        let mut curve = Vec::new();
        write_equity_csv(&mut curve, market, f.span, &f.run, &f.benchmark)?;
        write_file(&equity_dir.join(equity_file_name(&f.summary)), &curve)?;
    }
    Ok(())
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}
