//! Where the binary finds its inputs: the data root, the project's built-in dataset manifests,
//! the cycle list and the stamp-duty schedule (compiled in from `datasets/`, so the binary runs
//! from any folder), and strategy files.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use cyclebt_data::{CycleList, Dataset, Manifest, Origin, SnapshotSources};
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
}

impl Datasets {
    /// An empty cache over `origin`.
    pub fn new(origin: Origin) -> Self {
        Datasets {
            origin,
            loaded: HashMap::new(),
        }
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
            let dataset = cyclebt_data::load_from(&manifest, &self.origin).map_err(input_error)?;
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
