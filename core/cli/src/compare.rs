//! `cyclebt compare`: every strategy x sizing rule over every window, each against buy-and-hold
//! with the same capital, costs and fills.

use std::collections::HashSet;
use std::fs;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use cyclebt_data::{MarketData, Origin, WindowSpan};
use cyclebt_engine::{
    BUY_AND_HOLD, Keep, MarginTerms, RunResult, Setup, SignalSource, SignalSpec, Strategy,
};
use cyclebt_exec::{Done, Executor, Job, Skipped};
use cyclebt_host::PluginFactory;
use cyclebt_report::audit::{run_dir, write_fills_csv, write_ledger_csv, write_trades_csv};
use cyclebt_report::{
    Conventions, Summary, TableLayout, failed, not_applicable, summarize, uncovered,
    write_json_lines, write_summary_csv, write_table,
};
use rayon::prelude::*;

use crate::input_error;
use crate::inputs::{self, DEFAULT_DATASET, Datasets};

/// What `compare` was asked to do.
pub struct CompareArgs {
    /// Strategy files; none means buy-and-hold alone.
    pub strategies: Vec<PathBuf>,
    /// Where market data comes from.
    pub data: Origin,
    /// The user's own series (`--series`), added to every dataset.
    pub series: Vec<inputs::UserSeries>,
    /// Output folder for CSV files.
    pub out: Option<PathBuf>,
    /// Alternative cycle list.
    pub cycles: Option<PathBuf>,
    /// Only these windows or groups of windows; none: the cycle list's default.
    pub windows: Vec<String>,
    /// Metric conventions.
    pub conventions: Conventions,
    /// Stamp-duty schedule to use instead of the built-in datasets/stamp_duty.toml.
    pub stamp_duty: Option<PathBuf>,
    /// Initial-margin schedule to use instead of the built-in datasets/margin_rules.toml.
    pub margin_rules: Option<PathBuf>,
    /// Builds the signals strategies name (built-ins and plugins).
    pub factory: PluginFactory,
    /// How the Sharpe ratios' confidence intervals are drawn.
    pub bootstrap: cyclebt_metrics::Bootstrap,
    /// What stdout gets.
    pub output: Output,
    /// Dataset whose buy-and-hold is every strategy's benchmark; None: each strategy's own.
    pub benchmark: Option<String>,
    /// Run every strategy on each of these datasets instead of its own (`--dataset`).
    pub datasets: Vec<String>,
}

/// One finished run, kept for the files.
pub(crate) struct Finished {
    pub summary: Summary,
    pub dataset: String,
    pub span: WindowSpan,
    /// None when the strategy does not apply to the window or failed.
    pub run: Option<RunResult>,
    /// Buy-and-hold over the window, one copy shared by every row that has it.
    pub benchmark: Arc<RunResult>,
    /// The strategy's signal ids, naming the ledger's signal columns.
    pub signal_ids: Vec<String>,
    /// The strategy's plugin signals, each with the labels it gave the window's decision days
    /// in the evaluation the runs used (None when it names none, runs isolated, or the run is
    /// not kept), for the report's shading.
    pub plugin_signals: Vec<(SignalSpec, Option<Vec<u32>>)>,
}

/// Runs the comparison, prints the table to `out` and notes to `err`.
pub fn compare(args: &CompareArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<()> {
    let earlier = match &args.out {
        Some(dir) => prepare_out(dir)?,
        None => Vec::new(),
    };
    let regulation = inputs::regulation(args.stamp_duty.as_deref(), args.margin_rules.as_deref())?;
    let parse = || {
        args.strategies
            .iter()
            .map(|path| inputs::strategy(path, &regulation, &args.factory))
            .collect::<Result<Vec<_>>>()
    };
    // With --dataset, every strategy on each dataset named (the files parsed once per dataset,
    // in the same order), labelled by the dataset's name when there are several.
    let mut strategies = if args.datasets.is_empty() {
        parse()?
    } else {
        let mut named: Vec<(String, String)> = Vec::new();
        for dataset in &args.datasets {
            let name = inputs::manifest(dataset)?.name;
            if !named.iter().any(|(_, n)| *n == name) {
                named.push((dataset.clone(), name));
            }
        }
        let mut all = Vec::new();
        for (dataset, name) in &named {
            for mut strategy in parse()? {
                if named.len() > 1 {
                    strategy.name = format!("{}-{name}", strategy.name);
                }
                strategy.dataset = Some(dataset.clone());
                all.push(strategy);
            }
        }
        all
    };
    // A standalone buy-and-hold row per dataset the strategies use, labelled by the dataset's
    // name when there are several: with the costs, capital and execution of that dataset's
    // strategies when they all share them, else the defaults; its rows say which.
    let mut dataset_names: Vec<String> = Vec::new();
    let mut labels: Vec<String> = Vec::new();
    for key in args
        .datasets
        .iter()
        .cloned()
        .chain(strategies.iter().map(dataset_of))
    {
        let label = inputs::manifest(&key)?.name;
        if !labels.contains(&label) {
            labels.push(label);
            dataset_names.push(key);
        }
    }
    if dataset_names.is_empty() {
        dataset_names.push(DEFAULT_DATASET.into());
    }
    let several = labels.len() > 1;
    let benchmarks: Vec<Strategy> = dataset_names
        .iter()
        .zip(labels.iter().map(Some).chain(std::iter::repeat(None)))
        .map(|(name, label)| {
            let on_dataset: Vec<&Strategy> = strategies
                .iter()
                .filter(|s| dataset_of(s) == *name)
                .collect();
            let shared = on_dataset.first().map(|s| &s.setup).filter(|first| {
                on_dataset.iter().all(|s| {
                    s.setup.costs == first.costs
                        && s.setup.capital == first.capital
                        && s.setup.execution == first.execution
                })
            });
            let (setup, whose) = match shared {
                Some(setup) => (
                    Setup {
                        margin: MarginTerms::none(),
                        ..setup.clone()
                    },
                    "the same as its strategies'",
                ),
                None => (
                    regulation.default_setup(),
                    "the defaults; each strategy's bench columns pay that strategy's own",
                ),
            };
            let mut benchmark = Strategy::buy_and_hold(setup);
            benchmark.description =
                format!("costs: {} ({whose})", benchmark.setup.costs.describe());
            if let Some(label) = label.filter(|_| several) {
                benchmark.name = format!("{BUY_AND_HOLD}-{label}");
            }
            benchmark.dataset = Some(name.clone());
            benchmark
        })
        .collect();
    let benchmark_count = benchmarks.len();
    strategies.splice(0..0, benchmarks);
    // Every name, with the dataset labels added, names one folder of runs/: checked and unique.
    for (i, strategy) in strategies.iter().enumerate() {
        cyclebt_data::check_name("strategy name", &strategy.name).map_err(input_error)?;
        if strategies[..i].iter().any(|s| s.name == strategy.name) {
            return Err(input_error(format!(
                "two strategies are named \"{}\"; names must differ (they name the output files)",
                strategy.name
            )));
        }
    }

    let cycles = inputs::cycles(args.cycles.as_deref())?;
    for strategy in &strategies {
        for id in strategy.windows.iter().flatten() {
            if !cycles.names().contains(&id.as_str()) {
                return Err(input_error(format!(
                    "strategy {}: unknown window or group \"{id}\"; known: {}",
                    strategy.name,
                    cycles.names().join(", ")
                )));
            }
        }
    }
    let windows = cycles.select(&args.windows).map_err(input_error)?;

    let mut datasets = Datasets::new(args.data.clone()).with_series(args.series.clone());
    // The plan: every row in order, each either a window a dataset does not cover (n/a with
    // the reason, no run) or a job for the executor.
    enum Slot {
        Uncovered(Box<Summary>),
        Job,
    }
    let mut slots: Vec<Slot> = Vec::new();
    let mut jobs: Vec<Job> = Vec::new();
    let mut job_window: Vec<usize> = Vec::new();
    let mut dataset_names: Vec<String> = Vec::new();
    let mut dataset_index = |name: &str, datasets: &mut Datasets| -> Result<usize> {
        datasets.get(name)?;
        Ok(match dataset_names.iter().position(|n| n == name) {
            Some(i) => i,
            None => {
                dataset_names.push(name.to_string());
                dataset_names.len() - 1
            }
        })
    };
    let runs: usize = strategies.iter().map(|s| s.sizings.len()).sum::<usize>() * windows.len();
    let progress = Progress::new(runs as u64);
    for (w, window) in windows.iter().enumerate() {
        for (s, strategy) in strategies.iter().enumerate() {
            if strategy.windows.as_ref().is_some_and(|names| {
                !names
                    .iter()
                    .any(|n| *n == window.id || window.group.as_ref() == Some(n))
            }) {
                continue;
            }
            let dataset_name = dataset_of(strategy);
            // Buy-and-hold of `--benchmark` over the window, with the strategy's costs.
            let chosen = match &args.benchmark {
                Some(name) => {
                    let index = dataset_index(name, &mut datasets)?;
                    let market = &datasets.get(name)?.market;
                    match window.span(market) {
                        Ok(span) => Ok(Some((index, span))),
                        Err(why) => Err(format!("benchmark {}: {why}", market.name)),
                    }
                }
                None => Ok(None),
            };
            let index = dataset_index(&dataset_name, &mut datasets)?;
            let market = &datasets.get(&dataset_name)?.market;
            let found = window
                .span(market)
                .map_err(|why| format!("dataset {}: {why}", market.name))
                .and_then(|span| chosen.map(|bench| (span, bench)));
            match found {
                Ok((span, benchmark)) => {
                    for sizing in 0..strategy.sizings.len() {
                        slots.push(Slot::Job);
                        job_window.push(w);
                        jobs.push(Job {
                            dataset: index,
                            span,
                            strategy: s,
                            sizing,
                            benchmark,
                        });
                    }
                }
                Err(reason) => {
                    // n/a with the reason, in the table and summary.csv; no run, no files.
                    let (start, end) = (
                        window.start.unwrap_or(market.dates[0]),
                        window.end.unwrap_or(market.dates[market.len() - 1]),
                    );
                    for sizing in &strategy.sizings {
                        let labels = [&*window.id, &*strategy.name, &*sizing.name];
                        let row = uncovered(labels, start, end, reason.clone());
                        slots.push(Slot::Uncovered(Box::new(row)));
                        progress.inc(1);
                    }
                }
            }
        }
    }

    let markets: Vec<&cyclebt_data::MarketData> = dataset_names
        .iter()
        .map(|name| &datasets.loaded(name).expect("loaded while planning").market)
        .collect();
    // Runs are kept only when --out will write them.
    let keep = args.out.is_some();
    let executor = Executor {
        markets: &markets,
        strategies: &strategies,
        factory: &args.factory,
        keep: if keep { Keep::Ledger } else { Keep::Summary },
    };
    // One copy of each benchmark run for all the rows that share it, found by its address in
    // the executor's list, which stays put while the executor runs.
    let benchmarks: Mutex<Vec<(usize, Arc<RunResult>)>> = Mutex::new(Vec::new());
    let share = |benchmark: &RunResult| {
        let address = benchmark as *const RunResult as usize;
        let mut known = benchmarks.lock().unwrap_or_else(|e| e.into_inner());
        match known.iter().find(|(a, _)| *a == address) {
            Some((_, shared)) => Arc::clone(shared),
            None => {
                let shared = Arc::new(benchmark.clone());
                known.push((address, Arc::clone(&shared)));
                shared
            }
        }
    };
    // The plugin libraries are hashed for run.json while the runs go: megabytes each.
    let (results, plugins) = rayon::join(
        || {
            executor.run(&jobs, |done| {
                let strategy = &strategies[done.job.strategy];
                let window = &windows[job_window[done.index]];
                let labels = [
                    window.id.as_str(),
                    strategy.name.as_str(),
                    strategy.sizings[done.job.sizing].name.as_str(),
                ];
                let benchmark = done.benchmark;
                let holding = strategy.name.starts_with(BUY_AND_HOLD);
                let summary = summary_of(
                    labels,
                    &done,
                    &args.conventions,
                    holding.then_some(&*strategy.description),
                );
                // The error and its message; said once per strategy and error, as a plugin that
                // cannot load fails every window the same way.
                let error = match &done.outcome {
                    Err(Skipped::Failed(error)) => Some((
                        error.clone(),
                        format!(
                            "strategy {} failed in window {}: {error}",
                            strategy.name, window.id
                        ),
                    )),
                    _ => None,
                };
                let signal_labels = done.labels;
                let run = done.outcome.ok().filter(|_| keep);
                progress.inc(1);
                let finished = Finished {
                    summary,
                    dataset: dataset_names[done.job.dataset].clone(),
                    span: done.job.span,
                    run,
                    benchmark: share(benchmark),
                    signal_ids: strategy.signal_ids.clone(),
                    plugin_signals: plugin_signals(strategy, signal_labels, keep),
                };
                (finished, error)
            })
        },
        || crate::record::plugins(&args.factory, &strategies[benchmark_count..]),
    );
    let mut results = results
        .map_err(|e| input_error(format!("buy-and-hold: {e}")))?
        .into_iter();
    let mut finished = Vec::new();
    // Every row in order: the finished runs' and those of windows a dataset does not cover.
    let mut rows: Vec<Summary> = Vec::new();
    // Names of the strategies that failed somewhere, and the messages already printed.
    let mut failures: Vec<String> = Vec::new();
    let mut messages: Vec<(String, String)> = Vec::new();
    for slot in slots {
        let (done, error) = match slot {
            Slot::Uncovered(summary) => {
                rows.push(*summary);
                continue;
            }
            Slot::Job => results.next().expect("one result per job"),
        };
        if let Some((error, message)) = error {
            let key = (done.summary.strategy.clone(), error);
            if !messages.contains(&key) {
                writeln!(err, "error: {message}")?;
                messages.push(key);
            }
            if !failures.contains(&done.summary.strategy) {
                failures.push(done.summary.strategy.clone());
            }
        }
        rows.push(done.summary.clone());
        finished.push(done);
    }
    progress.finish();
    let (findings, files) = datasets_findings(&mut datasets, &finished)?;
    if findings > 0 {
        let data = match datasets.origin() {
            Origin::Exports(root) => format!(" --data {}", root.display()),
            Origin::Snapshot(_) => String::new(),
        };
        writeln!(
            err,
            "note: the importer reported {findings} findings (rows dropped or read as missing, units assumed, values doubted) in {}; `cyclebt data check{data}` lists them",
            files.join(", ")
        )?;
    }
    let record = crate::record::gather(
        args,
        plugins?,
        &strategies[benchmark_count..],
        &mut datasets,
        &finished,
    )?;
    let window_groups: Vec<(String, String)> = cycles
        .windows
        .iter()
        .filter_map(|w| Some((w.id.clone(), w.group.clone()?)))
        .collect();
    match args.output {
        Output::Table(layout) => {
            write_table(out, &rows, &window_groups, &args.conventions, layout)?;
            writeln!(out, "run id: {}", record.run_id)?;
        }
        Output::JsonLines => write_json_lines(out, &rows, &record.run_id)?,
    }
    if let Some(dir) = &args.out {
        remove_stale_outputs(&earlier, &run_files(dir, &finished))?;
        let mut json = Vec::new();
        record.write(&mut json)?;
        write_file(&dir.join("run.json"), &json)?;
        // The audit files on rayon's threads while this one draws the report: the page's
        // work is mostly serial, its parallel part done first. The writers get their own copy
        // of the few markets involved (a megabyte or two each), as the report may still load
        // through `datasets`.
        let intervals = crate::report_page::sharpe_intervals(&finished, args);
        let markets: Vec<(String, MarketData)> = dataset_names
            .iter()
            .filter_map(|name| Some((name.clone(), datasets.loaded(name)?.market.clone())))
            .collect();
        let (files, page) = std::thread::scope(|scope| {
            let files =
                scope.spawn(|| write_files(dir, &markets, &finished, &rows, &args.conventions));
            let page = crate::report_page::write_report(
                dir,
                &mut datasets,
                &finished,
                &intervals,
                &window_groups,
                args,
                &record.run_id,
            );
            (files.join(), page)
        });
        let written = files
            .map_err(|_| anyhow::anyhow!("writing the audit files panicked"))
            .flatten()
            .and(page);
        let page = match written {
            Ok(page) => page,
            Err(error) => {
                // Run files not yet written over would be the earlier comparison's beside
                // this one's run.json: none is left rather than some.
                let _ = fs::remove_dir_all(dir.join("runs"));
                return Err(error);
            }
        };
        writeln!(
            err,
            "wrote {}, the ledger, fills and trades of {} runs under {} and {}",
            dir.join("summary.csv").display(),
            finished.iter().filter(|f| f.run.is_some()).count(),
            dir.join("runs").display(),
            page.display()
        )?;
    }
    if !failures.is_empty() {
        return Err(crate::strategies_failed(format!(
            "failed: {} (see above); the other strategies' results were computed{}",
            failures.join(", "),
            if args.out.is_some() {
                " and written"
            } else {
                ""
            }
        )));
    }
    Ok(())
}

/// What `compare` prints on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// The table (compact or full), the notes, the conventions and the run id.
    Table(TableLayout),
    /// The summary rows as JSON lines.
    JsonLines,
}

/// A job's summary row: its metrics against its benchmark with the caveat in its note (after
/// the account's own notes), or why it has none. `note`, when given, goes first (buy-and-hold
/// rows say which costs they pay).
pub(crate) fn summary_of(
    labels: [&str; 3],
    done: &Done<'_>,
    conventions: &Conventions,
    note: Option<&str>,
) -> Summary {
    match &done.outcome {
        Err(Skipped::NotApplicable(reason)) => not_applicable(
            labels,
            done.benchmark,
            done.benchmark_figures,
            reason.clone(),
        ),
        Err(Skipped::Failed(error)) => failed(
            labels,
            done.benchmark,
            done.benchmark_figures,
            error.clone(),
        ),
        Ok(result) => {
            let mut summary = summarize(
                labels,
                result,
                done.benchmark,
                done.benchmark_figures,
                conventions,
            );
            if let Some(note) = note {
                let account = summary.note.take();
                summary.note = Some(note.to_string());
                add_note(&mut summary.note, account);
            }
            add_note(&mut summary.note, done.caveat.map(str::to_string));
            summary
        }
    }
}

/// The strategy's signals that come from plugins (any plugin may label days), with their
/// labels (`labels` in the strategy's signal order) when `keep`.
fn plugin_signals(
    strategy: &Strategy,
    labels: &[Option<Vec<u32>>],
    keep: bool,
) -> Vec<(SignalSpec, Option<Vec<u32>>)> {
    strategy
        .specs
        .iter()
        .enumerate()
        .filter(|(_, spec)| !matches!(spec.source, SignalSource::Builtin(_)))
        .map(|(i, spec)| {
            let days = labels.get(i).cloned().flatten().filter(|_| keep);
            (spec.clone(), days)
        })
        .collect()
}

/// A progress bar on stderr for comparisons that take more than a second; nothing when stderr
/// is not a terminal.
struct Progress {
    bar: indicatif::ProgressBar,
    started: std::time::Instant,
}

impl Progress {
    fn new(runs: u64) -> Self {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(runs),
            indicatif::ProgressDrawTarget::hidden(),
        );
        Progress {
            bar,
            started: std::time::Instant::now(),
        }
    }

    fn inc(&self, runs: u64) {
        if self.bar.is_hidden()
            && self.started.elapsed() > std::time::Duration::from_secs(1)
            && std::io::stderr().is_terminal()
        {
            self.bar
                .set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
        self.bar.inc(runs);
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

fn dataset_of(strategy: &Strategy) -> String {
    strategy
        .dataset
        .clone()
        .unwrap_or_else(|| DEFAULT_DATASET.into())
}

/// What `compare` writes at the top of `--out`, besides the `runs/` folder; every comparison
/// writes each of them. `run.json` also marks a folder as holding a comparison's outputs, so
/// that a rerun may replace them.
const OUTPUT_FILES: [&str; 6] = [
    "run.json",
    "summary.csv",
    "conventions.txt",
    "report.html",
    "sharpe_ci.csv",
    "deflated.csv",
];
/// Folders of run files: `runs/` now, `equity/` from versions before the audit files.
const OUTPUT_FOLDERS: [&str; 2] = ["runs", "equity"];

/// Checks `--out` before any work, so a bad folder fails fast as bad input: it must be a
/// folder or not exist yet (it is created), and files of a comparison's names in it must come
/// with `run.json`, or they may be someone else's and the folder is refused rather than mixed.
/// Returns the earlier comparison's outputs found there, for [`remove_stale_outputs`].
fn prepare_out(dir: &Path) -> Result<Vec<PathBuf>> {
    let refuse = |why: String| input_error(format!("--out {}: {why}", dir.display()));
    if dir.exists() && !dir.is_dir() {
        return Err(refuse("exists and is not a folder".into()));
    }
    let ours: Vec<PathBuf> = OUTPUT_FILES
        .iter()
        .chain(&OUTPUT_FOLDERS)
        .map(|name| dir.join(name))
        // An empty folder (a run stopped before writing anything) holds nothing stale.
        .filter(|path| path.exists() && fs::remove_dir(path).is_err())
        .collect();
    if !ours.is_empty() && !dir.join("run.json").is_file() {
        return Err(refuse(format!(
            "holds {} but no run.json, so they may not be a comparison's outputs; remove them or choose another folder",
            ours.iter()
                .map(|p| p.file_name().unwrap_or_default().to_string_lossy())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    fs::create_dir_all(dir).map_err(|e| refuse(format!("cannot create the folder: {e}")))?;
    Ok(ours)
}

/// Readies `--out` for this comparison's files, once it has run and is about to write them (a
/// comparison that stops on bad input leaves the earlier results alone): removes what an
/// earlier comparison (its outputs `earlier`, from [`prepare_out`]) left that this one will not
/// write again, so no stale run sits beside the new ones: the files under `runs/` not among
/// `expected` (this comparison's run files, [`run_files`]) and the folders left empty, and
/// `equity/` from versions before the audit files. Other files in the folder are left alone;
/// symbolic links are removed, never followed.
///
/// The files this comparison writes again are left for [`write_file`] to write over: creating a
/// file on ext4 right after thousands were removed cost this VM's kernel up to 0.8 ms each (the
/// inode allocator steps over the recently freed inodes), against 0.07 ms to write over one,
/// and a rerun into the same folder writes a thousand. Names are compared as they are spelled,
/// so on a file system that ignores case a run folder whose name changed case is removed and
/// written anew.
fn remove_stale_outputs(earlier: &[PathBuf], expected: &HashSet<PathBuf>) -> Result<()> {
    fn prune(folder: &Path, expected: &HashSet<PathBuf>) -> std::io::Result<()> {
        for entry in fs::read_dir(folder)? {
            let entry = entry?;
            let (path, kind) = (entry.path(), entry.file_type()?);
            if kind.is_dir() {
                prune(&path, expected)?;
            } else if kind.is_symlink() || !expected.contains(&path) {
                fs::remove_file(&path)?;
            }
        }
        if fs::read_dir(folder)?.next().is_none() {
            fs::remove_dir(folder)?;
        }
        Ok(())
    }
    for path in earlier {
        let kind = fs::symlink_metadata(path)?.file_type();
        let output_file = OUTPUT_FILES.iter().any(|name| path.ends_with(name));
        let removed = if kind.is_dir() && path.ends_with("runs") {
            prune(path, expected)
        } else if kind.is_dir() {
            // `equity/`, or a folder where an output file goes.
            fs::remove_dir_all(path)
        } else if kind.is_file() && output_file {
            // Written over.
            Ok(())
        } else {
            fs::remove_file(path)
        };
        removed.map_err(|e| {
            input_error(format!("cannot remove the earlier {}: {e}", path.display()))
        })?;
    }
    Ok(())
}

/// The files [`write_files`] writes under `runs/` for `finished`.
fn run_files(dir: &Path, finished: &[Finished]) -> HashSet<PathBuf> {
    finished
        .iter()
        .filter(|f| f.run.is_some())
        .flat_map(|f| {
            let folder = dir.join(run_dir(&f.summary));
            RUN_FILES.map(|name| folder.join(name))
        })
        .collect()
}

/// The audit files of one run, in its folder under `runs/`.
const RUN_FILES: [&str; 3] = ["ledger.csv", "fills.csv", "trades.csv"];

/// Appends `more` to a row's note, `; `-separated.
fn add_note(note: &mut Option<String>, more: Option<String>) {
    *note = match (note.take(), more) {
        (Some(note), Some(more)) => Some(format!("{note}; {more}")),
        (note, more) => note.or(more),
    };
}

/// How many findings the datasets of the finished runs have, and the files they are in.
fn datasets_findings(
    datasets: &mut Datasets,
    finished: &[Finished],
) -> Result<(usize, Vec<String>)> {
    let mut names: Vec<&str> = finished.iter().map(|f| f.dataset.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut total = 0;
    let mut files = Vec::new();
    for name in names {
        let findings = &datasets.get(name)?.findings;
        total += findings.len();
        files.extend(
            findings
                .iter()
                .map(|f| f.location.path.display().to_string()),
        );
    }
    files.sort_unstable();
    files.dedup();
    Ok((total, files))
}

/// Writes `summary.csv`, `conventions.txt` and every kept run's audit files, the runs in
/// parallel (the files are tens of megabytes; each run's bytes do not depend on the order).
fn write_files(
    dir: &Path,
    markets: &[(String, MarketData)],
    finished: &[Finished],
    rows: &[Summary],
    conventions: &Conventions,
) -> Result<()> {
    let mut summary = Vec::new();
    write_summary_csv(&mut summary, rows)?;
    write_file(&dir.join("summary.csv"), &summary)?;
    write_file(
        &dir.join("conventions.txt"),
        format!("{}\n", conventions.describe()).as_bytes(),
    )?;
    finished
        .par_iter()
        .try_for_each(|f| write_run_files(dir, markets, f))
}

/// Writes a finished run's [`RUN_FILES`] in its folder (nothing for a job without a kept run).
fn write_run_files(dir: &Path, markets: &[(String, MarketData)], f: &Finished) -> Result<()> {
    let Some(run) = &f.run else {
        return Ok(());
    };
    let (_, market) = markets
        .iter()
        .find(|(name, _)| *name == f.dataset)
        .context("a finished run's dataset is loaded")?;
    let folder = dir.join(run_dir(&f.summary));
    fs::create_dir_all(&folder).with_context(|| format!("cannot create {}", folder.display()))?;
    let mut bytes = Vec::new();
    let paths = RUN_FILES.map(|name| folder.join(name));
    write_ledger_csv(&mut bytes, market, f.span, run, &f.benchmark, &f.signal_ids)?;
    write_file(&paths[0], &bytes)?;
    bytes.clear();
    write_fills_csv(&mut bytes, run)?;
    write_file(&paths[1], &bytes)?;
    bytes.clear();
    write_trades_csv(&mut bytes, market, f.span, run)?;
    write_file(&paths[2], &bytes)
}

/// Writes `bytes` as the whole of the file at `path`. An earlier plain file there, writable and
/// of one name, is written over in place ([`remove_stale_outputs`] says why): from the start and
/// cut to length afterwards rather than truncated first, since ext4 flushes a file truncated to
/// nothing when it is closed (its `auto_da_alloc` safeguard for files replaced that way), which
/// cost a rerun a fifth of its time; a write that fails leaves it empty, never new bytes over
/// old. Any other earlier file (read-only, or hard-linked elsewhere, as a backup made with
/// `cp -al` is) is replaced by a new one and left as it was under its other names.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let over = |file: &mut fs::File| -> std::io::Result<()> {
        let written = file
            .write_all(bytes)
            .and_then(|()| file.set_len(bytes.len() as u64));
        if written.is_err() {
            let _ = file.set_len(0);
        }
        written
    };
    let written = match fs::symlink_metadata(path) {
        Ok(m) if m.is_file() && !m.permissions().readonly() && one_name(&m) => {
            fs::OpenOptions::new()
                .write(true)
                .open(path)
                .and_then(|mut file| over(&mut file))
        }
        Ok(_) => fs::remove_file(path).and_then(|()| fs::write(path, bytes)),
        Err(_) => fs::write(path, bytes),
    };
    written.with_context(|| format!("cannot write {}", path.display()))
}

/// Whether a file has no other name (hard link); where that cannot be known, no.
fn one_name(metadata: &fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        std::os::unix::fs::MetadataExt::nlink(metadata) == 1
    }
    #[cfg(not(unix))]
    {
        let _ = metadata;
        false
    }
}
