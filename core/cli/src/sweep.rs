//! `cyclebt sweep`: one strategy file over a grid of its parameters (its `[sweep]` table and
//! `--param`), every combination x window x sizing rule a job of the executor; `sweep.csv`,
//! the ranked table, `--shard I/N` partial results and `sweep merge`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use cyclebt_data::{MarketData, Window, WindowSpan};
use cyclebt_engine::{Keep, Regulation, Strategy};
use cyclebt_exec::grid::{Dimension, Grid, label, parse_param};
use cyclebt_exec::{Done, Executor, Job};
use cyclebt_host::PluginFactory;
use cyclebt_report::identity::{GridParameter, GridRecord, RunRecord, WindowRecord};
use cyclebt_report::sweep_page::{HeatMap, Stability, spearman, write_sweep_page};
use cyclebt_report::{Conventions, SUMMARY_HEADER, Summary, quoted, summary_line, uncovered};
use rayon::prelude::*;

use crate::input_error;
use crate::inputs::{self, DEFAULT_DATASET, Datasets};

/// The options every command that runs a grid shares.
pub struct GridArgs {
    /// The strategy file, with or without a `[sweep]` table.
    pub strategy: PathBuf,
    /// `--param KEY=VALUES`, overriding the file's `[sweep]` entry of the same key.
    pub params: Vec<String>,
    /// Where market data comes from.
    pub data: cyclebt_data::Origin,
    /// Alternative cycle list.
    pub cycles: Option<PathBuf>,
    /// Metric conventions.
    pub conventions: Conventions,
    /// Stamp-duty schedule instead of the built-in one.
    pub stamp_duty: Option<PathBuf>,
    /// Initial-margin schedule instead of the built-in one.
    pub margin_rules: Option<PathBuf>,
    /// Builds the signals the strategy names.
    pub factory: PluginFactory,
}

/// The metric a sweep ranks by: higher is better for each (drawdowns are negative).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RankBy {
    /// Sharpe ratio.
    Sharpe,
    /// Total return.
    TotalReturn,
    /// Compound annual growth rate.
    Cagr,
    /// Sortino ratio.
    Sortino,
    /// Calmar ratio.
    Calmar,
    /// Maximum drawdown (the shallowest first).
    MaxDrawdown,
}

impl RankBy {
    /// Every metric a sweep can rank by, in the order of `sweep.part.metrics.csv`'s columns.
    pub const ALL: [RankBy; 6] = [
        RankBy::Sharpe,
        RankBy::TotalReturn,
        RankBy::Cagr,
        RankBy::Sortino,
        RankBy::Calmar,
        RankBy::MaxDrawdown,
    ];

    /// The metric of a row; NaN for a row without metrics.
    pub fn of(self, summary: &Summary) -> f64 {
        summary.metrics().map_or(f64::NAN, |m| match self {
            RankBy::Sharpe => m.sharpe,
            RankBy::TotalReturn => m.total_return,
            RankBy::Cagr => m.cagr,
            RankBy::Sortino => m.sortino,
            RankBy::Calmar => m.calmar,
            RankBy::MaxDrawdown => m.max_drawdown,
        })
    }

    /// The metric's column name.
    pub fn name(self) -> &'static str {
        match self {
            RankBy::Sharpe => "sharpe",
            RankBy::TotalReturn => "total_return",
            RankBy::Cagr => "cagr",
            RankBy::Sortino => "sortino",
            RankBy::Calmar => "calmar",
            RankBy::MaxDrawdown => "max_drawdown",
        }
    }
}

/// A grid expanded: the valid combinations' strategies, and what was skipped.
pub struct Expanded {
    /// The grid.
    pub grid: Grid,
    /// Each valid combination's index in the grid.
    pub combos: Vec<usize>,
    /// Each valid combination's strategy.
    pub strategies: Vec<Strategy>,
    /// Combinations a signal, plugin or the strategy parser rejected, with the first reason.
    pub invalid: Vec<(usize, String)>,
}

impl Expanded {
    /// The parameter values of combination `combo` (an index into `combos`), as cells.
    pub fn labels(&self, combo: usize) -> Vec<String> {
        self.grid
            .combination(self.combos[combo])
            .into_iter()
            .map(label)
            .collect()
    }

    /// The values of the grid's combination `index` as `key=value` pairs.
    pub fn describe(&self, index: usize) -> String {
        self.grid
            .dims
            .iter()
            .zip(self.grid.combination(index))
            .map(|(d, v)| format!("{}={}", d.key, label(v)))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The grid expanded under the rules `args` name, and the cycle list its windows come from.
pub fn prepare(
    args: &GridArgs,
    datasets: &mut Datasets,
) -> Result<(Expanded, cyclebt_data::CycleList)> {
    let regulation = inputs::regulation(args.stamp_duty.as_deref(), args.margin_rules.as_deref())?;
    let expanded = expand(args, &regulation, datasets)?;
    Ok((expanded, inputs::cycles(args.cycles.as_deref())?))
}

/// The windows among `windows` the strategy's own `windows = [...]` list allows (all without
/// one), as `compare` runs it.
pub fn within_declared<'w>(strategy: &Strategy, windows: Vec<&'w Window>) -> Vec<&'w Window> {
    windows
        .into_iter()
        .filter(|window| {
            strategy.windows.as_ref().is_none_or(|names| {
                names
                    .iter()
                    .any(|n| *n == window.id || window.group.as_ref() == Some(n))
            })
        })
        .collect()
}

/// Reads the strategy file and its grid, applies `--param`, and parses every combination;
/// those rejected are counted, not fatal, unless all are. Loads the file's dataset into
/// `datasets` meanwhile (a grid cannot change the dataset).
fn expand(args: &GridArgs, regulation: &Regulation, datasets: &mut Datasets) -> Result<Expanded> {
    let path = &args.strategy;
    // The file as written first: its own errors are reported with line and column.
    let dataset = inputs::strategy(path, regulation, &args.factory)?
        .dataset
        .unwrap_or_else(|| DEFAULT_DATASET.into());
    let text =
        fs::read_to_string(path).map_err(|e| input_error(format!("{}: {e}", path.display())))?;
    let bad = |e: cyclebt_exec::grid::GridError| input_error(format!("{}: {e}", path.display()));
    let (base, mut grid) = Grid::from_file(&text).map_err(bad)?;
    for param in &args.params {
        let (key, values) = parse_param(param).map_err(bad)?;
        grid.set(key, values);
    }
    grid.check(&base).map_err(bad)?;
    // Each combination is a strategy file of its own to parse (a tenth of a grid's start-up),
    // so they are parsed in parallel and then taken in grid order, while the dataset loads
    // (its errors come after the grid's, as they would one after the other).
    let (parsed, loaded) = rayon::join(
        || {
            (0..grid.len())
                .into_par_iter()
                .map(|index| {
                    let file = grid.apply(&base, index).map_err(bad)?;
                    Ok::<_, anyhow::Error>(Strategy::parse(path, &file, regulation, &args.factory))
                })
                .collect::<Vec<_>>()
        },
        || datasets.get(&dataset).map(|_| ()),
    );
    let mut combos = Vec::new();
    let mut strategies = Vec::new();
    let mut invalid = Vec::new();
    for (index, strategy) in parsed.into_iter().enumerate() {
        match strategy? {
            Ok(strategy) => {
                combos.push(index);
                strategies.push(strategy);
            }
            Err(e) => invalid.push((index, e.message)),
        }
    }
    if combos.is_empty() {
        let why = invalid
            .first()
            .map_or(String::new(), |(_, m)| format!(": {m}"));
        return Err(input_error(format!(
            "{}: every one of the {} combinations is invalid{why}",
            path.display(),
            grid.len()
        )));
    }
    loaded?;
    Ok(Expanded {
        grid,
        combos,
        strategies,
        invalid,
    })
}

/// One row of a grid run: a combination x window x sizing rule.
pub struct Row {
    /// Index into `Expanded::combos`.
    pub combo: usize,
    /// Index into the windows.
    pub window: usize,
    /// The row's summary.
    pub summary: Summary,
}

/// Runs `expanded` over `windows` of its dataset through the executor: the rows in order
/// (combination, then window, then sizing rule), those whose index `keep` accepts, each with
/// what `extra` takes from its run (given the window's index) when it ran.
pub fn run_grid<T: Send>(
    expanded: &Expanded,
    windows: &[&Window],
    datasets: &mut Datasets,
    args: &GridArgs,
    keep: impl Fn(usize) -> bool,
    extra: impl Fn(usize, &Done<'_>) -> T + Sync,
) -> Result<Vec<(Row, Option<T>)>> {
    let strategies = &expanded.strategies;
    let dataset = strategies[0]
        .dataset
        .clone()
        .unwrap_or_else(|| DEFAULT_DATASET.into());
    let market: &MarketData = &datasets.get(&dataset)?.market;
    let spans: Vec<Result<WindowSpan, String>> = windows
        .iter()
        .map(|w| {
            w.span(market)
                .map_err(|why| format!("dataset {}: {why}", market.name))
        })
        .collect();
    enum Slot {
        Uncovered(Box<Row>),
        Job,
    }
    let mut slots = Vec::new();
    let mut jobs = Vec::new();
    let mut job_rows = Vec::new();
    let mut index = 0;
    for (s, strategy) in strategies.iter().enumerate() {
        for (w, window) in windows.iter().enumerate() {
            for sizing in 0..strategy.sizings.len() {
                index += 1;
                if !keep(index - 1) {
                    continue;
                }
                match &spans[w] {
                    Ok(span) => {
                        slots.push(Slot::Job);
                        job_rows.push((s, w));
                        jobs.push(Job {
                            dataset: 0,
                            span: *span,
                            strategy: s,
                            sizing,
                            benchmark: None,
                        });
                    }
                    Err(reason) => {
                        let labels = [
                            &*window.id,
                            &*strategy.name,
                            &*strategy.sizings[sizing].name,
                        ];
                        let start = window.start.unwrap_or(market.dates[0]);
                        let end = window.end.unwrap_or(market.dates[market.len() - 1]);
                        let summary = uncovered(labels, start, end, reason.clone());
                        slots.push(Slot::Uncovered(Box::new(Row {
                            combo: s,
                            window: w,
                            summary,
                        })));
                    }
                }
            }
        }
    }
    let markets = [market];
    let executor = Executor {
        markets: &markets,
        strategies,
        factory: &args.factory,
        // Rows are summaries: no sweep or validation writes a run's ledger.
        keep: Keep::Summary,
    };
    let mut results = executor
        .run(&jobs, |done| {
            let strategy = &strategies[done.job.strategy];
            let (_, w) = job_rows[done.index];
            let labels = [
                windows[w].id.as_str(),
                strategy.name.as_str(),
                strategy.sizings[done.job.sizing].name.as_str(),
            ];
            let taken = done.outcome.is_ok().then(|| extra(w, &done));
            let summary = crate::compare::summary_of(labels, &done, &args.conventions, None);
            (summary, taken)
        })
        .map_err(|e| input_error(format!("buy-and-hold: {e}")))?
        .into_iter()
        .zip(job_rows.iter());
    Ok(slots
        .into_iter()
        .map(|slot| match slot {
            Slot::Uncovered(row) => (*row, None),
            Slot::Job => {
                let ((summary, taken), &(combo, window)) =
                    results.next().expect("one result per job");
                (
                    Row {
                        combo,
                        window,
                        summary,
                    },
                    taken,
                )
            }
        })
        .collect())
}

/// What `cyclebt sweep` was asked to do.
pub struct SweepArgs {
    /// The grid and where to run it.
    pub grid: GridArgs,
    /// Only these windows or groups; none: the cycle list's default.
    pub windows: Vec<String>,
    /// The metric the table ranks by.
    pub rank: RankBy,
    /// Rows shown per window and sizing rule.
    pub top: usize,
    /// Folder for sweep.csv (or a shard's part).
    pub out: Option<PathBuf>,
    /// `I/N`: only rows whose index is I modulo N.
    pub shard: Option<(usize, usize)>,
}

/// The file a shard writes into its `--out`.
pub const PART_FILE: &str = "sweep.part.csv";

/// Beside a shard's part: each row's index, grid combination and the metrics a sweep ranks by
/// ([`RankBy::ALL`]) in the shortest form that reads back to the same `f64`, so that `sweep
/// merge` draws the very page the unsharded sweep draws (`sweep.csv` rounds to six decimals).
pub const PART_METRICS_FILE: &str = "sweep.part.metrics.csv";

/// What the sweep's page reads of a row, the same whether it ran here or in a shard.
struct PageRow {
    /// The combination's index in the grid.
    combination: usize,
    /// Index into the sweep's windows.
    window: usize,
    /// The sizing rule.
    sizing: String,
    /// In [`RankBy::ALL`] order; NaN for a row without metrics.
    metrics: [f64; 6],
}

impl PageRow {
    fn metric(&self, rank: RankBy) -> f64 {
        let at = RankBy::ALL.iter().position(|r| *r == rank);
        self.metrics[at.expect("every RankBy is in ALL")]
    }
}

/// The grid as `run.json` records it: each parameter's values as `sweep.csv` writes them.
fn grid_record(expanded: &Expanded, windows: &[&Window], rows: usize) -> GridRecord {
    GridRecord {
        parameters: expanded
            .grid
            .dims
            .iter()
            .map(|d| GridParameter {
                key: d.key.clone(),
                values: d.values.iter().map(label).collect(),
            })
            .collect(),
        combinations: expanded.grid.len(),
        invalid: expanded.invalid.len(),
        windows: windows.iter().map(|w| w.id.clone()).collect(),
        rows,
    }
}

/// A grid with the recorded values (as text, which is all the page shows of them).
fn recorded_grid(record: &GridRecord) -> Grid {
    Grid {
        dims: record
            .parameters
            .iter()
            .map(|p| Dimension {
                key: p.key.clone(),
                values: p.values.iter().cloned().map(toml::Value::String).collect(),
            })
            .collect(),
    }
}

/// `run.json` of a sweep or one of its shards: the inputs' hashes (the strategy file, the
/// plugin libraries any combination uses, the dataset's files, the rule files), the windows
/// the dataset covers, the conventions, the grid and the shard. Every shard and the unsharded
/// sweep share the run id (the shard is left out of it).
fn sweep_record(
    args: &SweepArgs,
    expanded: &Expanded,
    windows: &[&Window],
    datasets: &mut Datasets,
    rows: usize,
) -> Result<RunRecord> {
    let grid = &args.grid;
    let strategy = &expanded.strategies[0];
    let dataset = strategy
        .dataset
        .clone()
        .unwrap_or_else(|| DEFAULT_DATASET.into());
    let market = &datasets.get(&dataset)?.market;
    let covered = windows
        .iter()
        .filter_map(|w| {
            let span = w.span(market).ok()?;
            Some(WindowRecord {
                id: w.id.clone(),
                first_day: market.dates[span.first].to_string(),
                last_day: market.dates[span.last].to_string(),
            })
        })
        .collect();
    let common = crate::record::Common {
        plugins: crate::record::plugins(&grid.factory, &expanded.strategies)?,
        strategies: crate::record::strategy_files([(
            grid.strategy.as_path(),
            strategy.name.as_str(),
        )])?,
        data: crate::record::data(datasets, &[&dataset])?,
        rules: crate::record::rules(
            grid.cycles.as_deref(),
            grid.stamp_duty.as_deref(),
            grid.margin_rules.as_deref(),
        )?,
        benchmark: crate::record::OWN_BENCHMARK.into(),
        windows: covered,
    };
    let mut record = common.record(&grid.conventions);
    record.grid = Some(grid_record(expanded, windows, rows));
    record.shard = args.shard.map(|(i, n)| format!("{i}/{n}"));
    record.seal();
    Ok(record)
}

/// Runs the sweep: prints the ranked table, writes `sweep.csv` or a shard's part.
pub fn sweep(args: &SweepArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<()> {
    if args.shard.is_some() && args.out.is_none() {
        return Err(input_error("--shard writes a partial result: give --out"));
    }
    let mut datasets = Datasets::new(args.grid.data.clone());
    let (expanded, cycles) = prepare(&args.grid, &mut datasets)?;
    let windows = within_declared(
        &expanded.strategies[0],
        cycles.select(&args.windows).map_err(input_error)?,
    );
    let (shard, shards) = args.shard.unwrap_or((0, 1));
    let rows = run_grid(
        &expanded,
        &windows,
        &mut datasets,
        &args.grid,
        |row| row % shards == shard,
        |_, _| (),
    )?;
    let total: usize = expanded
        .strategies
        .iter()
        .map(|s| s.sizings.len())
        .sum::<usize>()
        * windows.len();
    writeln!(
        out,
        "{} combinations of {} ({} invalid, skipped), {} windows: {total} rows{}",
        expanded.grid.len(),
        expanded
            .grid
            .dims
            .iter()
            .map(|d| d.key.as_str())
            .collect::<Vec<_>>()
            .join(" x "),
        expanded.invalid.len(),
        windows.len(),
        match args.shard {
            Some((i, n)) => format!(", {} of them in shard {i}/{n}", rows.len()),
            None => String::new(),
        }
    )?;
    if let Some((index, why)) = expanded.invalid.first() {
        writeln!(
            err,
            "note: skipped {} invalid combinations, the first ({}): {why}",
            expanded.invalid.len(),
            expanded.describe(*index)
        )?;
    }
    let mut csv = Vec::new();
    let header = csv_header(&expanded);
    for (i, (row, _)) in rows.iter().enumerate() {
        if args.shard.is_some() {
            // The row's index in the unsharded order, for `sweep merge`.
            write!(csv, "{},", i * shards + shard)?;
        }
        writeln!(csv, "{}", csv_line(&expanded, row))?;
    }
    if args.shard.is_none() {
        write_ranking(out, &expanded, &windows, &rows, args.rank, args.top)?;
    } else {
        writeln!(
            out,
            "a shard's rows are not ranked; `cyclebt sweep merge` joins the shards into sweep.csv"
        )?;
    }
    if let Some(dir) = &args.out {
        fs::create_dir_all(dir)
            .map_err(|e| input_error(format!("--out {}: {e}", dir.display())))?;
        let record = sweep_record(args, &expanded, &windows, &mut datasets, total)?;
        let mut json = Vec::new();
        record.write(&mut json)?;
        write_output(&dir.join("run.json"), &json)?;
        writeln!(
            err,
            "wrote {} (run id {})",
            dir.join("run.json").display(),
            record.run_id
        )?;
        let page_rows: Vec<PageRow> = rows
            .iter()
            .map(|(row, _)| PageRow {
                combination: expanded.combos[row.combo],
                window: row.window,
                sizing: row.summary.sizing.clone(),
                metrics: RankBy::ALL.map(|r| r.of(&row.summary)),
            })
            .collect();
        let (name, bytes) = match args.shard {
            None => (
                "sweep.csv",
                [format!("{header}\n").into_bytes(), csv].concat(),
            ),
            Some((i, n)) => (
                PART_FILE,
                [
                    format!("# cyclebt sweep part {i}/{n} of {total} rows\n{header}\n")
                        .into_bytes(),
                    csv,
                ]
                .concat(),
            ),
        };
        let path = dir.join(name);
        write_output(&path, &bytes)?;
        writeln!(err, "wrote {}", path.display())?;
        match args.shard {
            None => {
                let windows: Vec<String> = windows.iter().map(|w| w.id.clone()).collect();
                let title = &expanded.strategies[0].name;
                let page = sweep_page(&expanded.grid, &windows, &page_rows, title, args.rank)?;
                write_output(&dir.join("report.html"), &page)?;
                writeln!(err, "wrote {}", dir.join("report.html").display())?;
            }
            Some((shard, shards)) => {
                let mut exact = format!("row,combination,{}\n", metric_names());
                for (i, row) in page_rows.iter().enumerate() {
                    exact.push_str(&format!("{},{}", i * shards + shard, row.combination));
                    for value in row.metrics {
                        exact.push_str(&format!(",{value}"));
                    }
                    exact.push('\n');
                }
                write_output(&dir.join(PART_METRICS_FILE), exact.as_bytes())?;
            }
        }
    }
    Ok(())
}

/// The names of [`RankBy::ALL`], comma-separated.
fn metric_names() -> String {
    RankBy::ALL.map(RankBy::name).join(",")
}

fn write_output(path: &Path, bytes: &[u8]) -> Result<()> {
    fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// The sweep's `report.html`, from its rows wherever they ran.
fn sweep_page(
    grid: &Grid,
    windows: &[String],
    rows: &[PageRow],
    strategy: &str,
    rank: RankBy,
) -> Result<Vec<u8>> {
    let mut page = Vec::new();
    let title = format!("cyclebt sweep: {strategy}");
    let (maps, stability) = heat_maps(grid, windows, rows, rank);
    write_sweep_page(&mut page, &title, rank.name(), &maps, &stability)?;
    Ok(page)
}

/// The heat maps (every pair of swept parameters with two values or more, per window and
/// sizing rule, the best metric over any other parameters) and the ranking's stability
/// between every two windows.
fn heat_maps(
    grid: &Grid,
    windows: &[String],
    rows: &[PageRow],
    rank: RankBy,
) -> (Vec<HeatMap>, Vec<Stability>) {
    let dims = &grid.dims;
    let mut sizings: Vec<&str> = Vec::new();
    for row in rows {
        if !sizings.contains(&row.sizing.as_str()) {
            sizings.push(&row.sizing);
        }
    }
    let mut maps = Vec::new();
    let labels = |d: usize| dims[d].values.iter().map(label).collect::<Vec<_>>();
    for (w, window) in windows.iter().enumerate() {
        for sizing in &sizings {
            for a in 0..dims.len() {
                for b in a + 1..dims.len() {
                    if dims[a].values.len() < 2 || dims[b].values.len() < 2 {
                        continue;
                    }
                    let mut cells = vec![vec![None; dims[b].values.len()]; dims[a].values.len()];
                    for row in rows {
                        let value = row.metric(rank);
                        if row.window != w || row.sizing != *sizing || !value.is_finite() {
                            continue;
                        }
                        let digits = grid.digits(row.combination);
                        let cell: &mut Option<f64> = &mut cells[digits[a]][digits[b]];
                        *cell = Some(cell.map_or(value, |best: f64| best.max(value)));
                    }
                    maps.push(HeatMap {
                        window: window.clone(),
                        sizing: sizing.to_string(),
                        x: (dims[b].key.clone(), labels(b)),
                        y: (dims[a].key.clone(), labels(a)),
                        cells,
                    });
                }
            }
        }
    }
    let mut stability = Vec::new();
    for sizing in &sizings {
        // metric[window][combination], NaN where none ran (invalid combinations too).
        let mut metric = vec![vec![f64::NAN; grid.len()]; windows.len()];
        for row in rows.iter().filter(|r| r.sizing == *sizing) {
            metric[row.window][row.combination] = row.metric(rank);
        }
        for a in 0..windows.len() {
            for b in a + 1..windows.len() {
                let (x, y): (Vec<f64>, Vec<f64>) = metric[a]
                    .iter()
                    .zip(&metric[b])
                    .filter(|(x, y)| x.is_finite() && y.is_finite())
                    .map(|(x, y)| (*x, *y))
                    .unzip();
                stability.push(Stability {
                    sizing: sizing.to_string(),
                    windows: (windows[a].clone(), windows[b].clone()),
                    combinations: x.len(),
                    rho: spearman(&x, &y),
                });
            }
        }
    }
    (maps, stability)
}

/// `sweep.csv`'s header: the swept parameters, then `summary.csv`'s columns.
fn csv_header(expanded: &Expanded) -> String {
    let keys: Vec<String> = expanded.grid.dims.iter().map(|d| quoted(&d.key)).collect();
    [keys.join(","), SUMMARY_HEADER.to_string()]
        .iter()
        .filter(|s| !s.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join(",")
}

fn csv_line(expanded: &Expanded, row: &Row) -> String {
    let values: Vec<String> = expanded
        .labels(row.combo)
        .iter()
        .map(|v| quoted(v))
        .chain(std::iter::once(summary_line(&row.summary)))
        .collect();
    values.join(",")
}

/// Per window and sizing rule, the `top` combinations by `rank` (ties in grid order).
fn write_ranking<T>(
    out: &mut dyn Write,
    expanded: &Expanded,
    windows: &[&Window],
    rows: &[(Row, T)],
    rank: RankBy,
    top: usize,
) -> Result<()> {
    let sizings: Vec<String> = {
        let mut names: Vec<String> = Vec::new();
        for (row, _) in rows {
            if !names.contains(&row.summary.sizing) {
                names.push(row.summary.sizing.clone());
            }
        }
        names
    };
    let keys: Vec<&str> = expanded.grid.dims.iter().map(|d| d.key.as_str()).collect();
    for (w, window) in windows.iter().enumerate() {
        for sizing in &sizings {
            let mut ranked: Vec<&Row> = rows
                .iter()
                .map(|(r, _)| r)
                .filter(|r| {
                    r.window == w && r.summary.sizing == *sizing && rank.of(&r.summary).is_finite()
                })
                .collect();
            if ranked.is_empty() {
                continue;
            }
            ranked.sort_by(|a, b| rank.of(&b.summary).total_cmp(&rank.of(&a.summary)));
            writeln!(
                out,
                "\n{} / {sizing}: top {} of {} by {}",
                window.id,
                top.min(ranked.len()),
                ranked.len(),
                rank.name()
            )?;
            // Each parameter's column as wide as its key; the ranked metric first.
            let widths: Vec<usize> = keys.iter().map(|k| k.len().max(6)).collect();
            let cells = |values: &[String]| {
                values
                    .iter()
                    .zip(&widths)
                    .map(|(v, w)| format!("{v:>w$}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let metric = rank.name();
            let metric_width = metric.len().max(8);
            writeln!(
                out,
                "{:>4}  {}  {metric:>metric_width$} {:>9} {:>9} {:>7} {:>10}",
                "rank",
                cells(&keys.iter().map(|k| k.to_string()).collect::<Vec<_>>()),
                "return",
                "max_dd",
                "trades",
                "bench_ret"
            )?;
            for (i, row) in ranked.iter().take(top).enumerate() {
                let Some(m) = row.summary.metrics() else {
                    continue;
                };
                writeln!(
                    out,
                    "{:>4}  {}  {:>metric_width$.3} {:>8.1}% {:>8.1}% {:>7} {:>9.1}%",
                    i + 1,
                    cells(&expanded.labels(row.combo)),
                    rank.of(&row.summary),
                    100.0 * m.total_return,
                    100.0 * m.max_drawdown,
                    m.trades,
                    100.0 * row.summary.bench_total_return
                )?;
            }
        }
    }
    Ok(())
}

/// One shard's `run.json` and its rows' exact metrics.
struct ShardExtras {
    record: RunRecord,
    /// (row index, grid combination, metrics in [`RankBy::ALL`] order), in the part's order.
    metrics: Vec<(usize, usize, [f64; 6])>,
}

/// Reads a shard's `run.json` and `sweep.part.metrics.csv`, checking they are shard `i/n`'s.
fn read_shard_extras(dir: &Path, i: usize, n: usize) -> Result<ShardExtras> {
    let path = dir.join("run.json");
    let bad = |path: &Path, why: String| input_error(format!("{}: {why}", path.display()));
    let text = fs::read_to_string(&path).map_err(|e| {
        bad(
            &path,
            format!("{e} (a shard written by cyclebt before sweeps wrote run.json? run it again)"),
        )
    })?;
    let record: RunRecord = serde_json::from_str(&text)
        .map_err(|e| bad(&path, format!("not a sweep's run.json: {e}")))?;
    if record.grid.is_none() {
        return Err(bad(&path, "not a sweep's run.json: it has no grid".into()));
    }
    let expected = format!("{i}/{n}");
    if record.shard.as_deref() != Some(expected.as_str()) {
        return Err(bad(
            &path,
            format!(
                "says shard {}, but {PART_FILE} beside it is shard {expected}",
                record.shard.as_deref().unwrap_or("none")
            ),
        ));
    }
    let path = dir.join(PART_METRICS_FILE);
    let text = fs::read_to_string(&path).map_err(|e| bad(&path, e.to_string()))?;
    let mut lines = text.lines();
    let header = format!("row,combination,{}", metric_names());
    if lines.next() != Some(header.as_str()) {
        return Err(bad(&path, format!("line 1: expected `{header}`")));
    }
    let metrics = lines
        .enumerate()
        .map(|(l, line)| {
            let fields: Vec<&str> = line.split(',').collect();
            let parsed = (fields.len() == 8)
                .then(|| {
                    let row = fields[0].parse::<usize>().ok()?;
                    let combination = fields[1].parse::<usize>().ok()?;
                    let mut metrics = [f64::NAN; 6];
                    for (value, field) in metrics.iter_mut().zip(&fields[2..]) {
                        *value = field.parse::<f64>().ok()?;
                    }
                    Some((row, combination, metrics))
                })
                .flatten();
            parsed.ok_or_else(|| {
                bad(
                    &path,
                    format!(
                        "line {}: expected a row index, a combination and 6 numbers",
                        l + 2
                    ),
                )
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(ShardExtras { record, metrics })
}

/// Joins shards' `sweep.part.csv` into `out/sweep.csv`, exactly the bytes the unsharded sweep
/// writes, and with their `run.json` and exact metrics writes the unsharded sweep's
/// `report.html` (ranked by `rank`) and `run.json` (the shards' record without the shard; the
/// same bytes where the shards read their inputs from the same paths). Every shard of the same
/// sweep must be there, once.
pub fn merge(dirs: &[PathBuf], out_dir: &Path, rank: RankBy, err: &mut dyn Write) -> Result<()> {
    let mut plan: Option<(String, usize, String)> = None;
    let mut seen: Vec<usize> = Vec::new();
    let mut rows: Vec<(usize, String)> = Vec::new();
    let mut record: Option<RunRecord> = None;
    let mut exact: Vec<(usize, usize, [f64; 6])> = Vec::new();
    for dir in dirs {
        let path = dir.join(PART_FILE);
        let bad = |why: String| input_error(format!("{}: {why}", path.display()));
        let text = fs::read_to_string(&path).map_err(|e| bad(e.to_string()))?;
        let mut lines = text.lines();
        let first = lines.next().unwrap_or_default();
        let parsed = first
            .strip_prefix("# cyclebt sweep part ")
            .and_then(|rest| rest.strip_suffix(" rows"))
            .and_then(|rest| rest.split_once(" of "))
            .and_then(|(part, total)| {
                let (i, n) = part.split_once('/')?;
                Some((
                    i.parse::<usize>().ok()?,
                    n.parse::<usize>().ok()?,
                    total.parse::<usize>().ok()?,
                ))
            });
        let Some((i, n, total)) = parsed else {
            return Err(bad(
                "line 1: expected `# cyclebt sweep part I/N of R rows`".into()
            ));
        };
        let header = lines.next().unwrap_or_default().to_string();
        let this = (header, n, format!("{total}"));
        match &plan {
            None => plan = Some(this),
            Some(known) if *known != this => {
                return Err(bad(
                    "belongs to another sweep (its header, shard count or row count differs)"
                        .into(),
                ));
            }
            Some(_) => {}
        }
        if seen.contains(&i) {
            return Err(bad(format!("shard {i}/{n} is given twice")));
        }
        seen.push(i);
        let first_row = rows.len();
        for (l, line) in lines.enumerate() {
            let (index, rest) = line
                .split_once(',')
                .and_then(|(i, rest)| Some((i.parse::<usize>().ok()?, rest)))
                .ok_or_else(|| bad(format!("line {}: expected the row index first", l + 3)))?;
            if index % n != i {
                return Err(bad(format!(
                    "line {}: row {index} is not in shard {i}/{n}",
                    l + 3
                )));
            }
            rows.push((index, rest.to_string()));
        }
        let extras = read_shard_extras(dir, i, n)?;
        let indices = rows[first_row..].iter().map(|(index, _)| *index);
        if !indices.eq(extras.metrics.iter().map(|(index, _, _)| *index)) {
            return Err(input_error(format!(
                "{}: its rows are not those of {PART_FILE} beside it",
                dir.join(PART_METRICS_FILE).display()
            )));
        }
        match &record {
            Some(known) if known.run_id != extras.record.run_id => {
                return Err(input_error(format!(
                    "{}: run id {} is another sweep's than {} (the first shard's)",
                    dir.join("run.json").display(),
                    extras.record.run_id,
                    known.run_id
                )));
            }
            Some(_) => {}
            None => record = Some(extras.record),
        }
        exact.extend(extras.metrics);
    }
    let (Some((header, n, total)), Some(mut record)) = (plan, record) else {
        return Err(input_error("sweep merge: give the shards' folders"));
    };
    if seen.len() != n {
        let missing: Vec<String> = (0..n)
            .filter(|i| !seen.contains(i))
            .map(|i| format!("{i}/{n}"))
            .collect();
        return Err(input_error(format!(
            "sweep merge: missing shards {}",
            missing.join(", ")
        )));
    }
    rows.sort_by_key(|(i, _)| *i);
    exact.sort_by_key(|(i, _, _)| *i);
    if rows.len().to_string() != total || rows.iter().enumerate().any(|(k, (i, _))| k != *i) {
        return Err(input_error(format!(
            "sweep merge: the shards hold {} rows, not the sweep's {total} (0..{total} each once)",
            rows.len()
        )));
    }
    let mut bytes = format!("{header}\n").into_bytes();
    for (_, row) in rows {
        bytes.extend_from_slice(row.as_bytes());
        bytes.push(b'\n');
    }

    // The page's rows: each row's window and sizing rule as sweep.csv says, its combination
    // and metrics as its shard computed them.
    let grid_record = record.grid.clone().expect("checked when read");
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let columns = reader
        .headers()
        .map_err(|e| input_error(format!("sweep merge: the parts' header: {e}")))?
        .clone();
    let column = |name: &str| {
        columns
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| input_error(format!("sweep merge: the parts have no {name} column")))
    };
    let (window_column, sizing_column) = (column("window")?, column("sizing")?);
    let mut page_rows = Vec::with_capacity(exact.len());
    for (line, &(_, combination, metrics)) in reader.records().zip(&exact) {
        let line = line.map_err(|e| input_error(format!("sweep merge: the parts' rows: {e}")))?;
        let window = &line[window_column];
        let window = grid_record
            .windows
            .iter()
            .position(|w| w == window)
            .ok_or_else(|| {
                input_error(format!(
                    "sweep merge: window {window} is not in the shards' run.json"
                ))
            })?;
        if combination >= grid_record.combinations {
            return Err(input_error(format!(
                "sweep merge: combination {combination} is outside the grid of {}",
                grid_record.combinations
            )));
        }
        page_rows.push(PageRow {
            combination,
            window,
            sizing: line[sizing_column].to_string(),
            metrics,
        });
    }
    let strategy = record
        .strategies
        .first()
        .map_or(String::new(), |s| s.role.clone());
    let page = sweep_page(
        &recorded_grid(&grid_record),
        &grid_record.windows,
        &page_rows,
        &strategy,
        rank,
    )?;
    // The whole sweep's record: the shards' without the shard, its id theirs.
    let id = record.run_id.clone();
    record.shard = None;
    record.seal();
    if record.run_id != id {
        return Err(input_error(format!(
            "sweep merge: the shards' run.json does not give back its own run id {id}"
        )));
    }
    let mut json = Vec::new();
    record.write(&mut json)?;

    fs::create_dir_all(out_dir)
        .map_err(|e| input_error(format!("--out {}: {e}", out_dir.display())))?;
    for (name, content) in [
        ("sweep.csv", &bytes),
        ("report.html", &page),
        ("run.json", &json),
    ] {
        let path = out_dir.join(name);
        write_output(&path, content)?;
        writeln!(err, "wrote {}", path.display())?;
    }
    Ok(())
}
