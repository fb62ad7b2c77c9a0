//! `cyclebt sweep`: one strategy file over a grid of its parameters (its `[sweep]` table and
//! `--param`), every combination x window x sizing rule a job of the executor; `sweep.csv`,
//! the ranked table, `--shard I/N` partial results and `sweep merge`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use cyclebt_data::{MarketData, Window, WindowSpan};
use cyclebt_engine::{Regulation, Strategy};
use cyclebt_exec::grid::{Grid, label, parse_param};
use cyclebt_exec::{Done, Executor, Job};
use cyclebt_host::PluginFactory;
use cyclebt_report::sweep_page::{HeatMap, Stability, spearman, write_sweep_page};
use cyclebt_report::{Conventions, SUMMARY_HEADER, Summary, quoted, summary_line, uncovered};

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
pub fn prepare(args: &GridArgs) -> Result<(Expanded, cyclebt_data::CycleList)> {
    let regulation = inputs::regulation(args.stamp_duty.as_deref(), args.margin_rules.as_deref())?;
    let expanded = expand(args, &regulation)?;
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
/// those rejected are counted, not fatal, unless all are.
fn expand(args: &GridArgs, regulation: &Regulation) -> Result<Expanded> {
    let path = &args.strategy;
    // The file as written first: its own errors are reported with line and column.
    inputs::strategy(path, regulation, &args.factory)?;
    let text =
        fs::read_to_string(path).map_err(|e| input_error(format!("{}: {e}", path.display())))?;
    let bad = |e: cyclebt_exec::grid::GridError| input_error(format!("{}: {e}", path.display()));
    let (base, mut grid) = Grid::from_file(&text).map_err(bad)?;
    for param in &args.params {
        let (key, values) = parse_param(param).map_err(bad)?;
        grid.set(key, values);
    }
    grid.check(&base).map_err(bad)?;
    let mut combos = Vec::new();
    let mut strategies = Vec::new();
    let mut invalid = Vec::new();
    for index in 0..grid.len() {
        let file = grid.apply(&base, index).map_err(bad)?;
        match Strategy::parse(path, &file, regulation, &args.factory) {
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

/// Runs the sweep: prints the ranked table, writes `sweep.csv` or a shard's part.
pub fn sweep(args: &SweepArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<()> {
    if args.shard.is_some() && args.out.is_none() {
        return Err(input_error("--shard writes a partial result: give --out"));
    }
    let (expanded, cycles) = prepare(&args.grid)?;
    let windows = within_declared(
        &expanded.strategies[0],
        cycles.select(&args.windows).map_err(input_error)?,
    );
    let mut datasets = Datasets::new(args.grid.data.clone());
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
        fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
        writeln!(err, "wrote {}", path.display())?;
        if args.shard.is_none() {
            let mut page = Vec::new();
            let title = format!("cyclebt sweep: {}", expanded.strategies[0].name);
            let (maps, stability) = heat_maps(&expanded, &windows, &rows, args.rank);
            write_sweep_page(&mut page, &title, args.rank.name(), &maps, &stability)?;
            let path = dir.join("report.html");
            fs::write(&path, page).with_context(|| format!("cannot write {}", path.display()))?;
            writeln!(err, "wrote {}", path.display())?;
        }
    }
    Ok(())
}

/// The heat maps (every pair of swept parameters with two values or more, per window and
/// sizing rule, the best metric over any other parameters) and the ranking's stability
/// between every two windows.
fn heat_maps<T>(
    expanded: &Expanded,
    windows: &[&Window],
    rows: &[(Row, T)],
    rank: RankBy,
) -> (Vec<HeatMap>, Vec<Stability>) {
    let dims = &expanded.grid.dims;
    let mut sizings: Vec<&str> = Vec::new();
    for (row, _) in rows {
        if !sizings.contains(&row.summary.sizing.as_str()) {
            sizings.push(&row.summary.sizing);
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
                    for (row, _) in rows {
                        let value = rank.of(&row.summary);
                        if row.window != w || row.summary.sizing != *sizing || !value.is_finite() {
                            continue;
                        }
                        let digits = expanded.grid.digits(expanded.combos[row.combo]);
                        let cell: &mut Option<f64> = &mut cells[digits[a]][digits[b]];
                        *cell = Some(cell.map_or(value, |best: f64| best.max(value)));
                    }
                    maps.push(HeatMap {
                        window: window.id.clone(),
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
        // metric[window][combo]
        let mut metric = vec![vec![f64::NAN; expanded.combos.len()]; windows.len()];
        for (row, _) in rows.iter().filter(|(r, _)| r.summary.sizing == *sizing) {
            metric[row.window][row.combo] = rank.of(&row.summary);
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
                    windows: (windows[a].id.clone(), windows[b].id.clone()),
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

/// Joins shards' `sweep.part.csv` into `out/sweep.csv`: exactly the bytes the unsharded sweep
/// writes. Every shard of the same sweep must be there, once.
pub fn merge(dirs: &[PathBuf], out_dir: &Path, err: &mut dyn Write) -> Result<()> {
    let mut plan: Option<(String, usize, String)> = None;
    let mut seen: Vec<usize> = Vec::new();
    let mut rows: Vec<(usize, String)> = Vec::new();
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
    }
    let Some((header, n, total)) = plan else {
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
    fs::create_dir_all(out_dir)
        .map_err(|e| input_error(format!("--out {}: {e}", out_dir.display())))?;
    let path = out_dir.join("sweep.csv");
    fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    writeln!(err, "wrote {}", path.display())?;
    Ok(())
}
