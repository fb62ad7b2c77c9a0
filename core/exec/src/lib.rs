//! The one executor every command that runs backtests goes through (`compare`, `sweep`,
//! `validate`, and any later front end): a list of [`Job`]s (dataset x window x strategy x
//! sizing rule, a strategy being one parameter set) is run in parallel with rayon and the
//! results come back in the jobs' order.
//!
//! What it shares, and why that is safe:
//! - each distinct signal (source, parameters, role) is evaluated once per dataset and window,
//!   on a fresh instance, and its values serve every strategy and sizing rule naming it: a
//!   signal's value is a function of the history alone (the `Signal` contract), so a shared
//!   evaluation gives what each run's own would;
//! - buy-and-hold is run once per (dataset, window, setup) and lent to every job benchmarked
//!   on it;
//! - a run's [`RunResult`] is handed to the caller's reducer by value and dropped unless the
//!   reducer keeps it, so equity curves are kept only when something will write them; and
//!   with [`Keep::Summary`] the runs do not build the ledger columns at all.
//!
//! `grid` expands a strategy file's `[sweep]` table into parameter sets; `select` holds the
//! out-of-sample statistics `validate` reports.
//!
//! **Architecture Invariant:** the output order is the job order, whatever the thread count:
//! same jobs, same results, same bytes.
//! **Architecture Invariant:** never prints, never exits; errors are values.

#![deny(missing_docs)]

pub mod grid;
pub mod select;

use std::collections::HashMap;
use std::sync::Arc;

use cyclebt_data::{MarketData, WindowSpan};
use cyclebt_engine::{
    EngineError, Keep, RunResult, SignalFactory, SignalValues, Strategy, evaluate_signal,
    missing_inputs, partial_inputs, run_keeping, run_on,
};
use cyclebt_metrics::CurveFigures;
use rayon::prelude::*;

/// One run: a strategy's sizing rule over one window of one dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Job {
    /// Index into the executor's markets.
    pub dataset: usize,
    /// The window's days in that dataset.
    pub span: WindowSpan,
    /// Index into the executor's strategies.
    pub strategy: usize,
    /// Index into that strategy's sizing rules.
    pub sizing: usize,
    /// Buy-and-hold of another dataset over its own days of the window (`--benchmark`), seen
    /// on this job's days; None: buy-and-hold of the job's own dataset and window.
    pub benchmark: Option<(usize, WindowSpan)>,
}

/// Why a job has no run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skipped {
    /// An input one of its signals needs has no data in the window.
    NotApplicable(String),
    /// A signal or plugin failed (could not be built, reported an error, or gave a value out
    /// of range), or the run itself failed.
    Failed(String),
}

/// What the reducer is given for one job.
pub struct Done<'a> {
    /// The job's index in the list.
    pub index: usize,
    /// The job.
    pub job: &'a Job,
    /// Its run, or why there is none. Owned: keep it only if something will write it.
    pub outcome: Result<RunResult, Skipped>,
    /// A caveat about a run that did happen: a required input present on only part of the
    /// window.
    pub caveat: Option<&'a str>,
    /// Buy-and-hold with the strategy's setup over the job's days.
    pub benchmark: &'a RunResult,
    /// Its curve's figures, worked out once per benchmark run.
    pub benchmark_figures: CurveFigures,
    /// The labels each of the strategy's signals gave the window's decision days (all its days
    /// but the last), in the strategy's signal order, from the evaluation the run used: None
    /// for a signal that names no labels; empty when the strategy did not run.
    pub labels: &'a [Option<Vec<u32>>],
}

/// Runs jobs over markets and strategies.
pub struct Executor<'a> {
    /// The datasets jobs refer to by index.
    pub markets: &'a [&'a MarketData],
    /// The strategies (each one parameter set) jobs refer to by index.
    pub strategies: &'a [Strategy],
    /// Builds their signals (built-ins and plugins).
    pub factory: &'a (dyn SignalFactory + Sync),
    /// What the jobs' runs keep: [`Keep::Summary`] when nothing will write their ledgers.
    /// Buy-and-hold runs always keep theirs (one per window, and seen on other calendars).
    pub keep: Keep,
}

/// One signal's values over one window, or why there are none.
struct Evaluated {
    /// The signal could not be built.
    built: Result<(), String>,
    /// Its required input has no data in the window.
    missing: Option<String>,
    /// Its required input has data on part of the window only.
    partial: Option<String>,
    /// Its name and values.
    values: Result<(String, Arc<Vec<f64>>), String>,
    /// Its labels of the same days, when it names any.
    labels: Option<Vec<u32>>,
}

/// The signal values a (dataset, window, strategy) group's sizing rules all read.
struct Group {
    values: Result<SignalValues, Skipped>,
    caveat: Option<String>,
    /// Each signal's labels, in the strategy's order, when the values are there.
    labels: Vec<Option<Vec<u32>>>,
}

impl Executor<'_> {
    /// Runs `jobs` in parallel and returns `reduce` of each, in the jobs' order. Fails only
    /// when a buy-and-hold run fails (it has no signals, so only on an internal error); a
    /// job's own failure is its `Skipped::Failed` outcome.
    pub fn run<T: Send>(
        &self,
        jobs: &[Job],
        reduce: impl Fn(Done<'_>) -> T + Sync,
    ) -> Result<Vec<T>, EngineError> {
        // Distinct signals by (dataset, window, spec); each spec keyed by its full description.
        let mut signal_keys: HashMap<(usize, usize, usize, String), usize> = HashMap::new();
        let mut signal_work: Vec<(usize, WindowSpan, usize, usize)> = Vec::new();
        // Per (dataset, window, strategy): the indices of its signals' evaluations.
        let mut group_keys: HashMap<(usize, usize, usize, usize), usize> = HashMap::new();
        let mut group_work: Vec<(usize, WindowSpan, usize, Vec<usize>)> = Vec::new();
        let mut job_group = Vec::with_capacity(jobs.len());
        for job in jobs {
            let key = (job.dataset, job.span.first, job.span.last, job.strategy);
            let next = group_work.len();
            let group = *group_keys.entry(key).or_insert(next);
            if group == next {
                let strategy = &self.strategies[job.strategy];
                let signals = strategy
                    .specs
                    .iter()
                    .enumerate()
                    .map(|(i, spec)| {
                        let key = (
                            job.dataset,
                            job.span.first,
                            job.span.last,
                            format!("{spec:?}"),
                        );
                        let next = signal_work.len();
                        let index = *signal_keys.entry(key).or_insert(next);
                        if index == next {
                            signal_work.push((job.dataset, job.span, job.strategy, i));
                        }
                        index
                    })
                    .collect();
                group_work.push((job.dataset, job.span, job.strategy, signals));
            }
            job_group.push(group);
        }

        // Buy-and-hold runs beside the signals' evaluation: each is one run of a whole window,
        // which would otherwise keep one core waiting for the other.
        let (evaluated, benchmarks) = rayon::join(
            || -> Vec<Evaluated> {
                signal_work
                    .par_iter()
                    .map(|&(dataset, span, strategy, spec)| {
                        self.evaluate(dataset, span, &self.strategies[strategy].specs[spec])
                    })
                    .collect()
            },
            || self.benchmarks(jobs),
        );
        let groups: Vec<Group> = group_work
            .par_iter()
            .map(
                |(_, _, strategy, signals)| match &self.strategies[*strategy].unbuildable {
                    // A plugin the factory could not build when the file was read fails the
                    // strategy's runs only.
                    Some(error) => Group {
                        values: Err(Skipped::Failed(error.to_string())),
                        caveat: None,
                        labels: Vec::new(),
                    },
                    None => assemble(signals.iter().map(|&i| &evaluated[i])),
                },
            )
            .collect();
        drop(evaluated);

        let benchmarks = benchmarks?;
        let figures: Vec<CurveFigures> = benchmarks
            .0
            .par_iter()
            .map(|b| CurveFigures::of(b.equity_f64()))
            .collect();
        let results = jobs
            .par_iter()
            .zip(job_group.par_iter())
            .zip(benchmarks.1.par_iter())
            .enumerate()
            .map(|(index, ((job, &group), &bench))| {
                let group = &groups[group];
                let strategy = &self.strategies[job.strategy];
                let market = self.markets[job.dataset];
                let outcome = match &group.values {
                    Ok(values) => run_keeping(
                        market,
                        job.span,
                        values,
                        &strategy.plan,
                        &strategy.sizings[job.sizing],
                        &strategy.setup,
                        self.keep,
                    )
                    .map_err(|e| Skipped::Failed(e.to_string())),
                    Err(skipped) => Err(skipped.clone()),
                };
                reduce(Done {
                    index,
                    job,
                    outcome,
                    caveat: group.caveat.as_deref(),
                    benchmark: &benchmarks.0[bench],
                    benchmark_figures: figures[bench],
                    labels: &group.labels,
                })
            })
            .collect::<Vec<T>>();
        Ok(results)
    }

    /// One signal over one window, on a fresh instance.
    fn evaluate(
        &self,
        dataset: usize,
        span: WindowSpan,
        spec: &cyclebt_engine::SignalSpec,
    ) -> Evaluated {
        let market = self.markets[dataset];
        let mut signal = match self.factory.create(spec) {
            Ok(signal) => signal,
            Err(error) => {
                return Evaluated {
                    built: Err(error),
                    missing: None,
                    partial: None,
                    values: Err(String::new()),
                    labels: None,
                };
            }
        };
        let one = std::slice::from_ref(&signal);
        let missing = missing_inputs(market, span, one);
        let partial = partial_inputs(market, span, one);
        let values = if missing.is_some() {
            Err(String::new())
        } else {
            evaluate_signal(signal.as_mut(), market, span)
                .map(|values| (signal.describe(), Arc::new(values)))
                .map_err(|e| e.to_string())
        };
        Evaluated {
            built: Ok(()),
            missing,
            partial,
            values,
            labels: signal.take_labels(),
        }
    }

    /// Buy-and-hold runs, each distinct (dataset, window, setup, days seen on) once, and the
    /// index of each job's.
    #[allow(clippy::type_complexity)]
    fn benchmarks(&self, jobs: &[Job]) -> Result<(Vec<RunResult>, Vec<usize>), EngineError> {
        // Distinct setups by value.
        let mut setups: Vec<&cyclebt_engine::Setup> = Vec::new();
        let mut keys: Vec<(usize, WindowSpan, usize, usize, WindowSpan)> = Vec::new();
        let mut of_job = Vec::with_capacity(jobs.len());
        for job in jobs {
            let setup = &self.strategies[job.strategy].setup;
            let s = match setups.iter().position(|known| *known == setup) {
                Some(s) => s,
                None => {
                    setups.push(setup);
                    setups.len() - 1
                }
            };
            let (dataset, span) = job.benchmark.unwrap_or((job.dataset, job.span));
            let key = (dataset, span, s, job.dataset, job.span);
            let k = match keys.iter().position(|known| *known == key) {
                Some(k) => k,
                None => {
                    keys.push(key);
                    keys.len() - 1
                }
            };
            of_job.push(k);
        }
        // The runs themselves: each (dataset, window, setup) once, then seen on other days.
        let mut plain: Vec<(usize, WindowSpan, usize)> =
            keys.iter().map(|k| (k.0, k.1, k.2)).collect();
        plain.sort_by_key(|k| (k.0, k.1.first, k.1.last, k.2));
        plain.dedup();
        let runs: Vec<RunResult> = plain
            .par_iter()
            .map(|&(dataset, span, setup)| {
                let holding = Strategy::buy_and_hold(setups[setup].clone());
                let values = SignalValues::from_columns(Vec::new(), Vec::new());
                run_on(
                    self.markets[dataset],
                    span,
                    &values,
                    &holding.plan,
                    &holding.sizings[0],
                    &holding.setup,
                )
            })
            .collect::<Result<_, _>>()?;
        let seen = keys
            .iter()
            .map(|&(dataset, span, setup, own, own_span)| {
                let run = &runs[plain
                    .binary_search_by_key(&(dataset, span.first, span.last, setup), |k| {
                        (k.0, k.1.first, k.1.last, k.2)
                    })
                    .expect("every key's run is in `plain`")];
                if dataset == own && span == own_span {
                    run.clone()
                } else {
                    run.observed_on(&self.markets[own].dates[own_span.first..=own_span.last])
                }
            })
            .collect();
        Ok((seen, of_job))
    }
}

/// A strategy's signal values from its signals' evaluations, in its order: the first signal
/// that could not be built fails it; else the first whose input is missing makes it n/a; else
/// the first that failed fails it.
fn assemble<'e>(signals: impl Iterator<Item = &'e Evaluated> + Clone) -> Group {
    let partial: Vec<&str> = signals
        .clone()
        .filter_map(|e| e.partial.as_deref())
        .collect();
    let caveat = (!partial.is_empty()).then(|| partial.join("; "));
    if let Some(error) = signals.clone().find_map(|e| e.built.as_ref().err()) {
        return Group {
            values: Err(Skipped::Failed(error.clone())),
            caveat,
            labels: Vec::new(),
        };
    }
    if let Some(reason) = signals.clone().find_map(|e| e.missing.clone()) {
        return Group {
            values: Err(Skipped::NotApplicable(reason)),
            caveat,
            labels: Vec::new(),
        };
    }
    let mut names = Vec::new();
    let mut columns = Vec::new();
    for e in signals.clone() {
        match &e.values {
            Ok((name, values)) => {
                names.push(name.clone());
                columns.push(Arc::clone(values));
            }
            Err(error) => {
                return Group {
                    values: Err(Skipped::Failed(error.clone())),
                    caveat,
                    labels: Vec::new(),
                };
            }
        }
    }
    Group {
        values: Ok(SignalValues::from_columns(names, columns)),
        caveat,
        labels: signals.map(|e| e.labels.clone()).collect(),
    }
}
