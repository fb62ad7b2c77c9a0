//! The `cyclebt` command line: parses arguments, calls the libraries, prints.
//!
//! Exit codes: 0 success; 2 bad input or configuration (data files, manifests, strategies,
//! arguments); 1 internal error.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

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
        /// Data root holding the raw exports [default: $CYCLEBT_DATA, else the bundled
        /// snapshot].
        #[arg(long)]
        data: Option<PathBuf>,
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
        /// Cycle list to use instead of the built-in datasets/cycles.toml.
        #[arg(long)]
        cycles: Option<PathBuf>,
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
        /// Bootstrap resamples for each Sharpe ratio's confidence interval in report.html.
        #[arg(long, default_value_t = cyclebt_metrics::Bootstrap::default().resamples)]
        bootstrap: usize,
        /// Seed of the bootstrap's generator: same seed, same intervals.
        #[arg(long, default_value_t = cyclebt_metrics::Bootstrap::default().seed)]
        seed: u64,
        /// Directory searched first for plugins named by strategies (repeatable); then
        /// $CYCLEBT_PLUGIN_PATH, then the folder of this binary.
        #[arg(long = "plugin-dir")]
        plugin_dirs: Vec<PathBuf>,
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

/// What `compare` prints on stdout.
#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    /// The table, notes and conventions.
    Table,
    /// One JSON object per summary row.
    Json,
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
#[derive(Debug)]
struct InputError(String);

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

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

fn execute(cli: Cli) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut err = std::io::stderr();
    match cli.command {
        Command::Compare {
            strategies,
            data,
            out: out_dir,
            all_rows,
            format,
            benchmark,
            cycles,
            windows,
            datasets,
            periods_per_year,
            risk_free,
            stamp_duty,
            margin_rules,
            bootstrap,
            seed,
            plugin_dirs,
        } => {
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
            let args = compare::CompareArgs {
                strategies,
                data: inputs::origin(data, &mut err)?,
                out: out_dir,
                cycles,
                windows,
                conventions: Conventions {
                    periods_per_year,
                    risk_free_annual: risk_free,
                },
                stamp_duty,
                margin_rules,
                factory: PluginFactory::new(search_path(&plugin_dirs)?),
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
            compare::compare(&args, &mut out, &mut err)
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
                data: inputs::origin(data, &mut err)?,
                out: out_dir,
                cycles,
                params,
                stretch_gap,
                marginal_days,
                dataset,
                factory: PluginFactory::new(search_path(&plugin_dirs)?),
            };
            phases::phases(&args, &mut out, &mut err)
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
            plugin_dirs,
        } => {
            let params = plugin_params(&params)?;
            let args = events::EventsArgs {
                data: inputs::origin(data, &mut err)?,
                out: out_dir,
                events,
                horizons,
                params,
                min_drawdown,
                fall,
                fall_days,
                factory: PluginFactory::new(search_path(&plugin_dirs)?),
            };
            events::events(&args, &mut out, &mut err)
        }
        Command::Plugins {
            command: PluginsCommand::List { plugin_dirs },
        } => plugins::list(&search_path(&plugin_dirs)?, &mut out),
        Command::Data {
            command: DataCommand::Check { data, dataset },
        } => {
            let mut datasets = inputs::Datasets::new(inputs::origin(data, &mut err)?);
            check::check(&mut datasets, &dataset, &mut out)
        }
        Command::Data {
            command: DataCommand::Snapshot { data, out: dir },
        } => check::build_snapshot(&data, &dir.unwrap_or_else(inputs::snapshot_dir), &mut out),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match std::panic::catch_unwind(|| execute(cli)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(error)) => {
            let input = error.downcast_ref::<InputError>().is_some();
            let _ = writeln!(std::io::stderr(), "error: {error:#}");
            ExitCode::from(if input { 2 } else { 1 })
        }
        Err(_) => {
            let _ = writeln!(
                std::io::stderr(),
                "error: internal error (a panic, reported above); please file a bug"
            );
            ExitCode::from(1)
        }
    }
}
