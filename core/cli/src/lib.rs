//! The `cyclebt` command line: parses arguments, calls the libraries, prints. The binary
//! (`main.rs`) and the Python package (`core/python`) both go through [`run`], so a call from
//! Python runs exactly the code, and writes exactly the files, of the same command line.
//!
//! Exit codes: 0 success; 2 bad input or configuration (data files, manifests, strategies,
//! arguments); 1 internal error.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use cyclebt_host::{PluginDirs, PluginFactory};
use cyclebt_report::{Conventions, TableLayout};

mod check;
mod compare;
mod events;
mod inputs;
mod phases;
mod plugins;
mod record;
mod report_page;
mod sweep;
mod validate;

/// Backtests leverage- and crowd-driven signals over the five A-share bull cycles.
#[derive(Parser)]
#[command(name = "cyclebt", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs strategies over each bull cycle and the full history against buy-and-hold.
    Compare {
        /// Strategy files (strategies/*.toml). With none, buy-and-hold alone.
        strategies: Vec<PathBuf>,
        /// Folder for summary.csv, run.json, report.html and each run's ledger, fills and
        /// trades under runs/<window>/<strategy>/<sizing>/. An earlier comparison's outputs in
        /// it are removed first.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print every row (each sizing rule) and every metric, not one line per window and
        /// strategy.
        #[arg(long)]
        all_rows: bool,
        /// What stdout gets: the table, or the summary as JSON lines (one object per row, the
        /// run id on each) for scripts.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Dataset whose buy-and-hold, with each strategy's costs, is the benchmark (a built-in
        /// name or a manifest path, e.g. a total-return index) [default: each strategy's own].
        #[arg(long)]
        benchmark: Option<String>,
        /// Only this window or group of windows (repeatable): a group (bulls, cycles, bears)
        /// or a window id (bull1..bull5, cycle1..cycle5, bear1..bear5, margin-era, full).
        /// Default: the cycle list's `default` (bulls, cycles, margin-era, full).
        #[arg(long = "window")]
        windows: Vec<String>,
        /// Run every strategy on this dataset instead of its own (repeatable: each strategy on
        /// each, labelled by the dataset's name, each dataset with its own buy-and-hold): a
        /// built-in name or alias (sh000001, csi300, szse_component, csi_all_share) or a
        /// manifest path.
        #[arg(long = "dataset")]
        datasets: Vec<String>,
        /// A series of your own added to every dataset (repeatable): a CSV file with a header
        /// of two columns, `date` and the values; YYYY-MM-DD dates on the dataset's trading
        /// calendar, increasing; empty cells and days left out are missing. Strategies read it
        /// as a signal with `builtin = "series", params = { name = "NAME" }`, unlagged: the
        /// value dated day t is what the decision at day t's close sees; a signal's values lie
        /// in [-1, 1], and a decision day without one fails the run, naming the day.
        #[arg(long = "series", value_name = "NAME=FILE")]
        series: Vec<String>,
        /// Bootstrap resamples for each Sharpe ratio's confidence interval in report.html.
        #[arg(long, default_value_t = cyclebt_metrics::Bootstrap::default().resamples)]
        bootstrap: usize,
        /// Seed of the bootstrap's generator: same seed, same intervals.
        #[arg(long, default_value_t = cyclebt_metrics::Bootstrap::default().seed)]
        seed: u64,
        #[command(flatten)]
        inputs: RunInputs,
    },
    /// Runs one strategy file over a grid of its parameters ([sweep] table, --param): every
    /// combination x window x sizing rule, ranked; sweep.csv with --out; `sweep merge` joins
    /// shards.
    #[command(args_conflicts_with_subcommands = true)]
    Sweep {
        #[command(subcommand)]
        command: Option<SweepCommand>,
        /// The strategy file (strategies/*.toml), with or without a [sweep] table.
        strategy: Option<PathBuf>,
        /// A swept parameter, overriding the file's [sweep] entry (repeatable):
        /// KEY=FROM:TO:STEP (inclusive), KEY=A,B,C or KEY=A. Keys: <signal id>.<param>,
        /// sizing.<name>.<field>, costs.<field>, execution.<field>, leverage.<field>,
        /// strategy_plugin.<param>, capital.
        #[arg(long = "param")]
        params: Vec<String>,
        /// Only this window or group of windows (repeatable), as in compare.
        #[arg(long = "window")]
        windows: Vec<String>,
        /// The metric the table ranks by.
        #[arg(long, value_enum, default_value_t = sweep::RankBy::Sharpe)]
        rank: sweep::RankBy,
        /// Combinations shown per window and sizing rule.
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// Folder for sweep.csv (with --shard: sweep.part.csv).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Run only shard I of N (rows whose index is I modulo N), e.g. a job array's index:
        /// --shard $SLURM_ARRAY_TASK_ID/64.
        #[arg(long, value_parser = parse_shard)]
        shard: Option<(usize, usize)>,
        #[command(flatten)]
        inputs: RunInputs,
    },
    /// Judges a grid out of sample: leave-one-cycle-out over the bulls (or whole cycles), a
    /// walk-forward with its stitched out-of-sample curve, the probability of backtest
    /// overfitting (CSCV) and the deflated Sharpe ratio of the best given the trials.
    Validate {
        /// The strategy file, with or without a [sweep] table.
        strategy: PathBuf,
        /// A swept parameter, as in sweep (repeatable).
        #[arg(long = "param")]
        params: Vec<String>,
        /// The windows left out one at a time: a group (bulls, cycles) or window ids.
        #[arg(long, default_value = "bulls")]
        over: String,
        /// The window of the walk-forward, PBO and deflated Sharpe ratio.
        #[arg(long, default_value = "full")]
        walk_window: String,
        /// Years of training in each walk-forward step.
        #[arg(long, default_value_t = 8)]
        train_years: u32,
        /// Years tested after each training period (and the step between them).
        #[arg(long, default_value_t = 3)]
        test_years: u32,
        /// Train from the window's first day every time, instead of a rolling --train-years.
        #[arg(long)]
        anchored: bool,
        /// Blocks the walk window's days are cut into for the PBO (even, 2..=24).
        #[arg(long, default_value_t = 16)]
        blocks: usize,
        /// The metric leave-one-out chooses and scores by.
        #[arg(long, value_enum, default_value_t = sweep::RankBy::Sharpe)]
        rank: sweep::RankBy,
        /// Folder for validate_loco.csv, walkforward_steps.csv, walkforward_curve.csv and
        /// pbo_logits.csv.
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        inputs: RunInputs,
    },
    /// The phase tables of the bull-cycle study: FOMO days by gain and time bucket of each
    /// cycle, average amount and PE per bucket, FOMO stretches.
    Phases {
        /// Data root holding the raw exports [default: $CYCLEBT_DATA, else the bundled
        /// snapshot].
        #[arg(long)]
        data: Option<PathBuf>,
        /// Folder for phases_gain.csv, phases_time.csv and fomo_stretches.csv.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Cycle list to use instead of the built-in datasets/cycles.toml.
        #[arg(long)]
        cycles: Option<PathBuf>,
        /// Parameters for the fomo-phase plugin, as TOML (`"gain_threshold = 0.3"`).
        #[arg(long, default_value = "")]
        params: String,
        /// FOMO days at most this many trading days apart belong to one stretch.
        #[arg(long, default_value_t = 10)]
        stretch_gap: usize,
        /// The marginal amount compares a day's amount with the mean of this many days before.
        #[arg(long, default_value_t = 20)]
        marginal_days: usize,
        /// Built-in dataset name or path to a manifest (its index's cycles are classified).
        #[arg(long, default_value = inputs::DEFAULT_DATASET)]
        dataset: String,
        /// Directory searched first for the fomo-phase plugin (repeatable).
        #[arg(long = "plugin-dir")]
        plugin_dirs: Vec<PathBuf>,
    },
    /// An event study of dated changes to leverage and costs (the index, the financing balance
    /// and the average maintenance ratio around each), and whether the margin warnings came
    /// before the drawdowns of the margin era.
    Events {
        /// Data root holding the raw exports [default: $CYCLEBT_DATA, else the bundled
        /// snapshot].
        #[arg(long)]
        data: Option<PathBuf>,
        /// Folder for events.csv and warnings.csv.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Event list ([[event]] with id, announced, effective, note; repeatable) instead of
        /// the built-in datasets/margin_rules.toml and datasets/stamp_duty.toml changes.
        #[arg(long = "events")]
        events: Vec<PathBuf>,
        /// Horizons in trading days from the last close before each announcement.
        #[arg(
            long,
            value_delimiter = ',',
            allow_hyphen_values = true,
            default_value = "-20,-5,5,20,60"
        )]
        horizons: Vec<i64>,
        /// Parameters for the margin-divergence plugin whose warnings are studied, as TOML.
        #[arg(long, default_value = "")]
        params: String,
        /// Falls of the index from a peak at least this deep are the drawdowns studied.
        #[arg(long, default_value_t = 0.15)]
        min_drawdown: f64,
        /// The fall a warning day may be followed by...
        #[arg(long, default_value_t = 0.10)]
        fall: f64,
        /// ...within this many trading days.
        #[arg(long, default_value_t = 60)]
        fall_days: usize,
        /// Built-in dataset name or alias (sh000001, csi300, ...) or path to a manifest.
        #[arg(long, default_value = inputs::DEFAULT_DATASET)]
        dataset: String,
        /// Directory searched first for the margin-divergence plugin (repeatable).
        #[arg(long = "plugin-dir")]
        plugin_dirs: Vec<PathBuf>,
    },
    /// Inspects signal and strategy plugins.
    Plugins {
        #[command(subcommand)]
        command: PluginsCommand,
    },
    /// Inspects market data.
    Data {
        #[command(subcommand)]
        command: DataCommand,
    },
}

/// What every command that runs backtests reads: data, calendar, conventions, rules, plugins.
#[derive(clap::Args)]
struct RunInputs {
    /// Data root holding the raw exports [default: $CYCLEBT_DATA, else the bundled
    /// snapshot].
    #[arg(long)]
    data: Option<PathBuf>,
    /// Cycle list to use instead of the built-in datasets/cycles.toml.
    #[arg(long)]
    cycles: Option<PathBuf>,
    /// Annualisation factor (empyrical's default 252; A-share years average about 243 days).
    #[arg(long, default_value_t = cyclebt_metrics::DEFAULT_PERIODS_PER_YEAR)]
    periods_per_year: f64,
    /// Annual risk-free rate, as a fraction (0.02 = 2%): Sharpe's risk-free rate and, per
    /// day, Sortino's required return (empyrical's `required_return`).
    #[arg(long, default_value_t = 0.0)]
    risk_free: f64,
    /// Stamp-duty schedule to charge instead of the built-in datasets/stamp_duty.toml.
    #[arg(long)]
    stamp_duty: Option<PathBuf>,
    /// Initial-margin schedule instead of the built-in datasets/margin_rules.toml.
    #[arg(long)]
    margin_rules: Option<PathBuf>,
    /// Directory searched first for plugins named by strategies (repeatable); then
    /// $CYCLEBT_PLUGIN_PATH, then the folder of this binary.
    #[arg(long = "plugin-dir")]
    plugin_dirs: Vec<PathBuf>,
    /// Audit every plugin signal on every window: fresh instances re-evaluate it on the
    /// history cut at three seeded days and once more whole; a plugin that reads ahead or
    /// keeps state across instances fails its runs with the first day that differs.
    #[arg(long)]
    audit_causality: bool,
    /// Evaluate every plugin in a child process (one per window), so that an abort, exit,
    /// stack overflow, crash, hang or allocation storm fails its strategy's runs, named,
    /// instead of the command. Needs the cyclebt binary (not the Python module).
    #[arg(long)]
    isolate: bool,
    /// Seconds an isolated plugin may take for one window before it is killed.
    #[arg(long, default_value_t = 60.0)]
    isolate_timeout: f64,
    /// Memory (address space) an isolated plugin's process may use, in MiB.
    #[arg(long, default_value_t = 4096)]
    isolate_memory_mb: u64,
}

impl RunInputs {
    /// The plugin factory for these inputs.
    fn factory(&self) -> anyhow::Result<PluginFactory> {
        let audit = self
            .audit_causality
            .then(cyclebt_engine::CausalityAudit::default);
        let isolation = if self.isolate {
            if !(self.isolate_timeout > 0.0 && self.isolate_timeout <= 86_400.0) {
                return Err(input_error(format!(
                    "--isolate-timeout {}: expected seconds above 0 and at most 86400",
                    self.isolate_timeout
                )));
            }
            Some(cyclebt_host::Isolation {
                worker: std::env::current_exe().map_err(|e| {
                    anyhow::anyhow!("cannot find the cyclebt binary for --isolate: {e}")
                })?,
                time_limit: std::time::Duration::from_secs_f64(self.isolate_timeout),
                memory_limit: self.isolate_memory_mb.saturating_mul(1 << 20),
            })
        } else {
            None
        };
        Ok(PluginFactory::new(search_path(&self.plugin_dirs)?)
            .with_audit(audit)
            .with_isolation(isolation))
    }

    /// The metric conventions, checked.
    fn conventions(&self) -> anyhow::Result<Conventions> {
        let (periods_per_year, risk_free) = (self.periods_per_year, self.risk_free);
        if !(1.0..=10_000.0).contains(&periods_per_year) {
            return Err(input_error(format!(
                "--periods-per-year {periods_per_year}: expected a number of periods between 1 and 10000"
            )));
        }
        if !(risk_free > -1.0 && risk_free < 10.0) {
            return Err(input_error(format!(
                "--risk-free {risk_free}: expected an annual rate as a fraction above -1 and below 10 (0.02 = 2%)"
            )));
        }
        Ok(Conventions {
            periods_per_year,
            risk_free_annual: risk_free,
        })
    }

    /// A grid run's inputs: the strategy file and its `--param`s with these.
    fn grid(
        self,
        strategy: PathBuf,
        params: Vec<String>,
        err: &mut dyn Write,
    ) -> anyhow::Result<sweep::GridArgs> {
        let factory = self.factory()?;
        Ok(sweep::GridArgs {
            strategy,
            params,
            conventions: self.conventions()?,
            data: inputs::origin(self.data, err)?,
            cycles: self.cycles,
            stamp_duty: self.stamp_duty,
            margin_rules: self.margin_rules,
            factory,
        })
    }
}

/// `I/N`: shard I of N (0 <= I < N).
fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let parsed = text
        .split_once('/')
        .and_then(|(i, n)| Some((i.trim().parse().ok()?, n.trim().parse().ok()?)));
    match parsed {
        Some((i, n)) if i < n => Ok((i, n)),
        _ => Err(format!(
            "expected I/N with 0 <= I < N (0/4 .. 3/4), got {text}"
        )),
    }
}

/// What `compare` prints on stdout.
#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    /// The table, notes and conventions.
    Table,
    /// One JSON object per summary row.
    Json,
}

#[derive(Subcommand)]
enum SweepCommand {
    /// Joins shards' sweep.part.csv into one sweep.csv, byte for byte what the unsharded sweep
    /// writes.
    Merge {
        /// The shards' --out folders.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Folder for sweep.csv, report.html and run.json.
        #[arg(long)]
        out: PathBuf,
        /// The metric report.html's heat maps show, as in sweep.
        #[arg(long, value_enum, default_value_t = sweep::RankBy::Sharpe)]
        rank: sweep::RankBy,
    },
}

#[derive(Subcommand)]
enum PluginsCommand {
    /// Lists every plugin library in the plugin directories: name, version, ABI version, path,
    /// parameters and defaults, or why it was rejected.
    List {
        /// Directory searched first (repeatable); then $CYCLEBT_PLUGIN_PATH, then the folder
        /// of this binary.
        #[arg(long = "plugin-dir")]
        plugin_dirs: Vec<PathBuf>,
    },
}

#[derive(Subcommand)]
enum DataCommand {
    /// Prints each series' coverage and every finding of the importer.
    Check {
        /// Data root holding the raw exports [default: $CYCLEBT_DATA, else the bundled
        /// snapshot].
        #[arg(long)]
        data: Option<PathBuf>,
        /// Built-in dataset name or alias (sh000001, csi300, ...) or path to a manifest.
        #[arg(long, default_value = inputs::DEFAULT_DATASET)]
        dataset: String,
    },
    /// Prints the joined daily panel strategies see, as CSV: every field and named series, each
    /// day's value the one published by that day's close (margin data lagged).
    Panel {
        /// Data root holding the raw exports [default: $CYCLEBT_DATA, else the bundled
        /// snapshot].
        #[arg(long)]
        data: Option<PathBuf>,
        /// Built-in dataset name or alias (sh000001, csi300, ...) or path to a manifest.
        #[arg(long, default_value = inputs::DEFAULT_DATASET)]
        dataset: String,
    },
    /// Builds the bundled snapshot (datasets/snapshot) from the exports every built-in dataset
    /// reads, with datasets/snapshot/sources.toml's provenance in each file.
    Snapshot {
        /// Data root holding the raw exports.
        #[arg(long)]
        data: PathBuf,
        /// Folder to write [default: the project's datasets/snapshot].
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// An error caused by the user's input or configuration: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct InputError(String);

/// Some strategies failed (a plugin that cannot load or errs); the others' results were
/// computed and, with `--out`, written: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct StrategiesFailed(String);

/// Wraps the message that some strategies failed (exit code 2).
fn strategies_failed(message: String) -> anyhow::Error {
    anyhow::Error::new(StrategiesFailed(message))
}

/// Wraps a message about bad input so that `main` exits with code 2.
fn input_error(message: impl std::fmt::Display) -> anyhow::Error {
    anyhow::Error::new(InputError(message.to_string()))
}

/// The plugin search path, after checking that every `--plugin-dir` is a folder.
fn search_path(flags: &[PathBuf]) -> anyhow::Result<PluginDirs> {
    for dir in flags {
        if !dir.is_dir() {
            return Err(input_error(format!(
                "--plugin-dir {}: not a folder",
                dir.display()
            )));
        }
    }
    Ok(PluginDirs::new(flags))
}

/// A plugin's `--params`, a TOML table.
fn plugin_params(text: &str) -> anyhow::Result<toml::Table> {
    text.parse()
        .map_err(|e| input_error(format!("--params: {e}")))
}

fn execute(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<()> {
    match cli.command {
        Command::Compare {
            strategies,
            out: out_dir,
            all_rows,
            format,
            benchmark,
            windows,
            datasets,
            series,
            bootstrap,
            seed,
            inputs: run,
        } => {
            let factory = run.factory()?;
            let args = compare::CompareArgs {
                strategies,
                conventions: run.conventions()?,
                data: inputs::origin(run.data, err)?,
                series: series
                    .iter()
                    .map(|spec| inputs::UserSeries::read(spec))
                    .collect::<anyhow::Result<_>>()?,
                out: out_dir,
                cycles: run.cycles,
                windows,
                stamp_duty: run.stamp_duty,
                margin_rules: run.margin_rules,
                factory,
                bootstrap: cyclebt_metrics::Bootstrap {
                    resamples: bootstrap,
                    seed,
                    ..Default::default()
                },
                benchmark,
                output: match (format, all_rows) {
                    (Format::Json, _) => compare::Output::JsonLines,
                    (Format::Table, true) => compare::Output::Table(TableLayout::Full),
                    (Format::Table, false) => compare::Output::Table(TableLayout::Compact),
                },
                datasets,
            };
            compare::compare(&args, out, err)
        }
        Command::Sweep {
            command:
                Some(SweepCommand::Merge {
                    dirs,
                    out: out_dir,
                    rank,
                }),
            ..
        } => sweep::merge(&dirs, &out_dir, rank, err),
        Command::Sweep {
            command: None,
            strategy,
            params,
            windows,
            rank,
            top,
            out: out_dir,
            shard,
            inputs: run,
        } => {
            let strategy = strategy
                .ok_or_else(|| input_error("sweep: give a strategy file (or `sweep merge`)"))?;
            let args = sweep::SweepArgs {
                grid: run.grid(strategy, params, err)?,
                windows,
                rank,
                top,
                out: out_dir,
                shard,
            };
            sweep::sweep(&args, out, err)
        }
        Command::Validate {
            strategy,
            params,
            over,
            walk_window,
            train_years,
            test_years,
            anchored,
            blocks,
            rank,
            out: out_dir,
            inputs: run,
        } => {
            let args = validate::ValidateArgs {
                grid: run.grid(strategy, params, err)?,
                over,
                walk_window,
                train_years,
                test_years,
                anchored,
                blocks,
                rank,
                out: out_dir,
            };
            validate::validate(&args, out, err)
        }
        Command::Phases {
            data,
            out: out_dir,
            cycles,
            params,
            stretch_gap,
            marginal_days,
            dataset,
            plugin_dirs,
        } => {
            let params = plugin_params(&params)?;
            let args = phases::PhasesArgs {
                data: inputs::origin(data, err)?,
                out: out_dir,
                cycles,
                params,
                stretch_gap,
                marginal_days,
                dataset,
                factory: PluginFactory::new(search_path(&plugin_dirs)?),
            };
            phases::phases(&args, out, err)
        }
        Command::Events {
            data,
            out: out_dir,
            events,
            horizons,
            params,
            min_drawdown,
            fall,
            fall_days,
            dataset,
            plugin_dirs,
        } => {
            let params = plugin_params(&params)?;
            let args = events::EventsArgs {
                data: inputs::origin(data, err)?,
                dataset,
                out: out_dir,
                events,
                horizons,
                params,
                min_drawdown,
                fall,
                fall_days,
                factory: PluginFactory::new(search_path(&plugin_dirs)?),
            };
            events::events(&args, out, err)
        }
        Command::Plugins {
            command: PluginsCommand::List { plugin_dirs },
        } => plugins::list(&search_path(&plugin_dirs)?, out),
        Command::Data {
            command: DataCommand::Check { data, dataset },
        } => {
            let mut datasets = inputs::Datasets::new(inputs::origin(data, err)?);
            check::check(&mut datasets, &dataset, out)
        }
        Command::Data {
            command: DataCommand::Panel { data, dataset },
        } => {
            let mut datasets = inputs::Datasets::new(inputs::origin(data, err)?);
            let market = &datasets.get(&dataset)?.market;
            Ok(cyclebt_report::audit::write_market_csv(out, market)?)
        }
        Command::Data {
            command: DataCommand::Snapshot { data, out: dir },
        } => check::build_snapshot(&data, &dir.unwrap_or_else(inputs::snapshot_dir), out),
    }
}

/// Why a command line did not succeed, with the message the binary prints after `error: `.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The arguments do not parse (clap's message, usage included); exit code 2.
    #[error("{0}")]
    Usage(String),
    /// Bad input or configuration: data files, manifests, strategies, arguments; exit code 2.
    #[error("{0}")]
    Input(String),
    /// Some strategies failed and the others' results came out (written with `--out`); exit
    /// code 2.
    #[error("{0}")]
    StrategiesFailed(String),
    /// Anything else (a file that cannot be written, a bug); exit code 1.
    #[error("{0}")]
    Internal(String),
}

impl RunError {
    /// The process exit code the binary gives this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            RunError::Usage(_) | RunError::Input(_) | RunError::StrategiesFailed(_) => 2,
            RunError::Internal(_) => 1,
        }
    }
}

/// Runs one command line (`args[0]` is the program name, as in `std::env::args_os`), writing
/// what the binary prints on stdout to `out` and on stderr to `err`. `--help` and `--version`
/// are written to `out` and succeed.
pub fn run<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), RunError>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            return write!(out, "{}", e.render())
                .map_err(|io| RunError::Internal(format!("cannot write the help: {io}")));
        }
        Err(e) => return Err(RunError::Usage(e.render().to_string())),
    };
    execute(cli, out, err).map_err(|error| {
        let message = format!("{error:#}");
        if error.downcast_ref::<StrategiesFailed>().is_some() {
            RunError::StrategiesFailed(message)
        } else if error.downcast_ref::<InputError>().is_some() {
            RunError::Input(message)
        } else {
            RunError::Internal(message)
        }
    })
}
