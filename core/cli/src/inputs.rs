//! Where the binary finds its inputs: the data root, the project's built-in dataset manifests,
//! the cycle list and the stamp-duty schedule (compiled in from `datasets/`, so the binary runs
//! from any folder), and strategy files.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use chrono::NaiveDate;
use cyclebt_data::{
    CycleList, Dataset, Field, Location, Manifest, MarketData, Origin, SeriesInfo, SnapshotSources,
};
use cyclebt_engine::{MarginSchedule, Regulation, SignalFactory, StampDutySchedule, Strategy};

use crate::input_error;

/// Environment variable naming the data root.
pub const DATA_ENV: &str = "CYCLEBT_DATA";
/// Dataset used when a strategy names none.
pub const DEFAULT_DATASET: &str = "sh000001";

const BUILTIN_DATASETS: [(&str, &str); 4] = [
    ("sh000001", include_str!("../../../datasets/sh000001.toml")),
    ("sh000300", include_str!("../../../datasets/sh000300.toml")),
    ("sz399001", include_str!("../../../datasets/sz399001.toml")),
    (
        "csi000985",
        include_str!("../../../datasets/csi000985.toml"),
    ),
];
const SNAPSHOT_SOURCES: &str = include_str!("../../../datasets/snapshot/sources.toml");
pub(crate) const CYCLES: &str = include_str!("../../../datasets/cycles.toml");
pub(crate) const STAMP_DUTY: &str = include_str!("../../../datasets/stamp_duty.toml");
pub(crate) const MARGIN_RULES: &str = include_str!("../../../datasets/margin_rules.toml");

/// The bundled snapshot's folder (`datasets/snapshot` of the project this binary was built
/// from).
pub fn snapshot_dir() -> PathBuf {
    let cli = Path::new(env!("CARGO_MANIFEST_DIR"));
    let project = cli.parent().and_then(Path::parent).unwrap_or(cli);
    project.join("datasets").join("snapshot")
}

/// Where market data comes from: the exports under `--data`, else under `CYCLEBT_DATA`, else
/// the bundled snapshot, which is said on `err` in one line.
pub fn origin(flag: Option<PathBuf>, err: &mut dyn Write) -> Result<Origin> {
    if let Some(root) = flag.or_else(|| std::env::var_os(DATA_ENV).map(PathBuf::from)) {
        return Ok(Origin::Exports(root));
    }
    let sources = snapshot_sources()?;
    let first = sources.export.iter().map(|e| e.taken).min();
    let last = sources.export.iter().map(|e| e.taken).max();
    let taken = first
        .zip(last)
        .map(|(a, b)| format!("exports taken {a} to {b}"))
        .unwrap_or_default();
    writeln!(
        err,
        "note: no --data or {DATA_ENV}: using the bundled snapshot {} ({taken}; datasets/snapshot/README.md)",
        snapshot_dir().display()
    )?;
    Ok(Origin::Snapshot(snapshot_dir()))
}

/// The snapshot's provenance file, compiled in.
pub fn snapshot_sources() -> Result<SnapshotSources> {
    SnapshotSources::parse(
        Path::new("datasets/snapshot/sources.toml (built in)"),
        SNAPSHOT_SOURCES,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))
}

/// The message for an origin that lacks a file the manifest reads.
fn no_data_message(origin: &Origin, manifest: &Manifest, missing: &Path) -> String {
    match origin {
        Origin::Exports(root) => format!(
            "no market data found: {} does not exist. Run `pip install akshare baostock && \
             python3 datasets/fetch.py {root}` to download the exports there, then this command \
             again; or leave out --data and {DATA_ENV} to run on the bundled snapshot.",
            missing.display(),
            root = root.display()
        ),
        Origin::Snapshot(_) => format!(
            "the bundled snapshot has no {}: it holds the files of the built-in datasets ({}), and \
             dataset {} reads others. Give --data DIR with the exports it names.",
            missing.display(),
            BUILTIN_DATASETS.map(|(n, _)| n).join(", "),
            manifest.name
        ),
    }
}

/// Loads datasets once each, by manifest name, alias or path.
pub struct Datasets {
    origin: Origin,
    loaded: HashMap<String, Dataset>,
    /// Added to every dataset as it loads.
    series: Vec<UserSeries>,
}

/// A series of the user's own (`compare --series NAME=FILE`), as read from its file; joined
/// to a dataset's calendar when the dataset loads.
#[derive(Debug, Clone)]
pub struct UserSeries {
    name: String,
    path: PathBuf,
    /// Each row's date, value (NaN when empty) and line.
    rows: Vec<(NaiveDate, f64, u64)>,
}

impl UserSeries {
    /// Reads `NAME=FILE`: a header of two columns, `date` then any name, and one row per day.
    pub fn read(spec: &str) -> Result<Self> {
        let (name, path) = spec
            .split_once('=')
            .ok_or_else(|| input_error(format!("--series {spec}: expected NAME=FILE")))?;
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(input_error(format!(
                "--series {spec}: a series name is lower-case letters, digits and _"
            )));
        }
        let path = PathBuf::from(path);
        let bad = |location: Location, what: String| input_error(format!("{location}: {what}"));
        let mut reader = csv::ReaderBuilder::new()
            .from_path(&path)
            .map_err(|e| input_error(format!("{}: cannot read file: {e}", path.display())))?;
        let csv_error = |e: csv::Error| {
            let line = e.position().map_or(0, |p| p.line());
            bad(Location::line(&path, line), e.to_string())
        };
        let header = reader.headers().map_err(csv_error)?.clone();
        if header.len() != 2 || &header[0] != "date" {
            return Err(bad(
                Location::line(&path, 1),
                format!(
                    "expected the header date,<values>; found {}",
                    header.iter().collect::<Vec<_>>().join(",")
                ),
            ));
        }
        let mut rows: Vec<(NaiveDate, f64, u64)> = Vec::new();
        for record in reader.records() {
            let record = record.map_err(csv_error)?;
            let line = record.position().map_or(0, |p| p.line());
            let date = NaiveDate::parse_from_str(&record[0], "%Y-%m-%d").map_err(|_| {
                bad(
                    Location::field(&path, line, 0, "date"),
                    format!("expected a date YYYY-MM-DD; found \"{}\"", &record[0]),
                )
            })?;
            if let Some((last, _, _)) = rows.last().filter(|(last, _, _)| *last >= date) {
                return Err(bad(
                    Location::field(&path, line, 0, "date"),
                    format!("dates must increase; {date} follows {last}"),
                ));
            }
            let text = record[1].trim();
            let value = if text.is_empty() {
                f64::NAN
            } else {
                text.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| {
                        bad(
                            Location::field(&path, line, 1, &header[1]),
                            format!("expected a finite number or nothing; found \"{text}\""),
                        )
                    })?
            };
            rows.push((date, value, line));
        }
        Ok(UserSeries {
            name: name.to_string(),
            path,
            rows,
        })
    }

    /// `market` with the series added: every date must be a trading day of it.
    fn join(&self, market: MarketData) -> Result<MarketData> {
        if market.series_index(&self.name).is_some()
            || Field::ALL.iter().any(|f| f.name() == self.name)
        {
            return Err(input_error(format!(
                "--series {}: dataset {} already has a series of that name",
                self.name, market.name
            )));
        }
        let mut values = vec![f64::NAN; market.len()];
        for &(date, value, line) in &self.rows {
            let day = market.dates.binary_search(&date).map_err(|_| {
                input_error(format!(
                    "{}: {date} is not a trading day of dataset {}",
                    Location::field(&self.path, line, 0, "date"),
                    market.name
                ))
            })?;
            values[day] = value;
        }
        let info = SeriesInfo {
            name: self.name.clone(),
            unit: "number".into(),
            description: format!("--series {}", self.path.display()),
        };
        Ok(market.with_series(info, values))
    }
}

impl Datasets {
    /// An empty cache over `origin`.
    pub fn new(origin: Origin) -> Self {
        Datasets {
            origin,
            loaded: HashMap::new(),
            series: Vec::new(),
        }
    }

    /// Adds `series` to every dataset loaded from now on.
    pub fn with_series(mut self, series: Vec<UserSeries>) -> Self {
        self.series = series;
        self
    }

    /// Where the data comes from.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// Loads `name` (a built-in manifest name or alias, or a path ending in `.toml`).
    pub fn get(&mut self, name: &str) -> Result<&Dataset> {
        if !self.loaded.contains_key(name) {
            let manifest = manifest(name)?;
            // A data root without the index file holds no data at all; any other missing
            // export is the loader's error, naming it. The snapshot holds only the built-in
            // datasets' files.
            let needed = match &self.origin {
                Origin::Exports(root) => vec![root.join(&manifest.index.file)],
                Origin::Snapshot(_) => self.origin.files(&manifest),
            };
            if let Some(missing) = needed.iter().find(|f| !f.exists()) {
                return Err(input_error(no_data_message(
                    &self.origin,
                    &manifest,
                    missing,
                )));
            }
            let mut dataset =
                cyclebt_data::load_from(&manifest, &self.origin).map_err(input_error)?;
            for series in &self.series {
                dataset = Dataset {
                    market: series.join(dataset.market)?,
                    ..dataset
                };
                // Hashed into run.json with the dataset's own files.
                dataset.files.push(series.path.clone());
            }
            self.loaded.insert(name.to_string(), dataset);
        }
        Ok(&self.loaded[name])
    }

    /// A dataset [`Datasets::get`] already loaded.
    pub fn loaded(&self, name: &str) -> Option<&Dataset> {
        self.loaded.get(name)
    }
}

/// The built-in manifests, parsed.
pub fn builtin_manifests() -> Result<Vec<Manifest>> {
    BUILTIN_DATASETS
        .iter()
        .map(|(name, text)| parse_builtin(name, text))
        .collect()
}

fn parse_builtin(name: &str, text: &str) -> Result<Manifest> {
    Manifest::parse(
        &PathBuf::from(format!("datasets/{name}.toml (built in)")),
        text,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))
}

/// A manifest by path, or a built-in one by name or alias.
pub fn manifest(name: &str) -> Result<Manifest> {
    if name.ends_with(".toml") {
        return Manifest::read(Path::new(name)).map_err(input_error);
    }
    let builtin = builtin_manifests()?;
    let known: Vec<String> = builtin
        .iter()
        .map(|m| match m.aliases.is_empty() {
            true => m.name.clone(),
            false => format!("{} ({})", m.name, m.aliases.join(", ")),
        })
        .collect();
    builtin
        .into_iter()
        .find(|m| m.name == name || m.aliases.iter().any(|a| a == name))
        .ok_or_else(|| {
            input_error(format!(
                "unknown dataset \"{name}\"; built in: {}, or give a path to a manifest ending in .toml",
                known.join(", ")
            ))
        })
}

/// The cycle list of `--cycles FILE`, or the built-in one (bulls, whole cycles, bears, the
/// margin era and the full history).
pub fn cycles(file: Option<&Path>) -> Result<CycleList> {
    let (path, text) = match file {
        Some(path) => (
            path.to_path_buf(),
            std::fs::read_to_string(path)
                .map_err(|e| input_error(format!("{}: cannot read file: {e}", path.display())))?,
        ),
        None => (
            PathBuf::from("datasets/cycles.toml (built in)"),
            CYCLES.to_string(),
        ),
    };
    cyclebt_data::parse_cycles(&path, &text).map_err(input_error)
}

/// A date-keyed rule file: `file` if given (bad content is input), else the built-in text.
fn rule_file<T>(
    file: Option<&Path>,
    built_in: (&str, &str),
    parse: fn(&str) -> Result<T, String>,
) -> Result<T> {
    let Some(path) = file else {
        return parse(built_in.1).map_err(|e| anyhow::anyhow!("{} (built in): {e}", built_in.0));
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| input_error(format!("{}: cannot read file: {e}", path.display())))?;
    parse(&text).map_err(|e| input_error(format!("{}: {e}", path.display())))
}

/// The dated rules: `--stamp-duty FILE` and `--margin-rules FILE`, or the built-in ones.
pub fn regulation(stamp_duty: Option<&Path>, margin_rules: Option<&Path>) -> Result<Regulation> {
    Ok(Regulation {
        stamp_duty: rule_file(
            stamp_duty,
            ("datasets/stamp_duty.toml", STAMP_DUTY),
            StampDutySchedule::parse,
        )?,
        margin: rule_file(
            margin_rules,
            ("datasets/margin_rules.toml", MARGIN_RULES),
            MarginSchedule::parse,
        )?,
    })
}

/// Reads and builds a strategy file. A `dataset` ending in `.toml` is resolved against the
/// strategy file's folder.
pub fn strategy(
    path: &Path,
    regulation: &Regulation,
    factory: &dyn SignalFactory,
) -> Result<Strategy> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| input_error(format!("{}: cannot read file: {e}", path.display())))?;
    // A plugin that cannot be built fails this strategy's runs, not the whole command.
    let mut strategy = Strategy::parse_keeping_plugin_failures(path, &text, regulation, factory)
        .map_err(input_error)?;
    if let Some(dataset) = &strategy.dataset
        && dataset.ends_with(".toml")
    {
        let folder = path.parent().unwrap_or(Path::new("."));
        strategy.dataset = Some(folder.join(dataset).to_string_lossy().into_owned());
    }
    Ok(strategy)
}
