//! Where the binary finds its inputs: the data root, the project's built-in dataset manifests,
//! the cycle list and the stamp-duty schedule (compiled in from `datasets/`, so the binary runs
//! from any folder), and strategy files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use cyclebt_data::{CycleList, Dataset, Manifest};
use cyclebt_engine::{MarginSchedule, Regulation, SignalFactory, StampDutySchedule, Strategy};

use crate::input_error;

/// Environment variable naming the data root.
pub const DATA_ENV: &str = "CYCLEBT_DATA";
/// Data root used when neither `--data` nor `CYCLEBT_DATA` is given: where `datasets/fetch.py`
/// writes by default.
pub const DEFAULT_DATA_ROOT: &str = "data";
/// Dataset used when a strategy names none.
pub const DEFAULT_DATASET: &str = "sh000001";

const BUILTIN_DATASETS: [(&str, &str); 1] =
    [("sh000001", include_str!("../../../datasets/sh000001.toml"))];
pub(crate) const CYCLES: &str = include_str!("../../../datasets/cycles.toml");
pub(crate) const STAMP_DUTY: &str = include_str!("../../../datasets/stamp_duty.toml");
pub(crate) const MARGIN_RULES: &str = include_str!("../../../datasets/margin_rules.toml");

/// The data root: `--data`, else `CYCLEBT_DATA`, else `./data`.
pub fn data_root(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| std::env::var_os(DATA_ENV).map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_ROOT))
}

/// The message for a data root without the dataset's index file.
fn no_data_message(root: &Path, index: &Path) -> String {
    format!(
        "no market data found: {} does not exist. Get the exports with `python3 datasets/fetch.py data` \
         (needs `pip install akshare baostock`) and rerun, or point --data / {DATA_ENV} at a folder \
         holding raw/baostock/sh000001.csv and the other files listed in datasets/sh000001.toml.",
        root.join(index).display()
    )
}

/// Loads datasets once each, by manifest name or path.
pub struct Datasets {
    root: PathBuf,
    loaded: HashMap<String, Dataset>,
}

impl Datasets {
    /// An empty cache over `root`.
    pub fn new(root: PathBuf) -> Self {
        Datasets {
            root,
            loaded: HashMap::new(),
        }
    }

    /// The data root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Loads `name` (a built-in manifest name, or a path ending in `.toml`).
    pub fn get(&mut self, name: &str) -> Result<&Dataset> {
        if !self.loaded.contains_key(name) {
            let manifest = manifest(name)?;
            if !self.root.join(&manifest.index.file).exists() {
                return Err(input_error(no_data_message(
                    &self.root,
                    &manifest.index.file,
                )));
            }
            let dataset = cyclebt_data::load(&manifest, &self.root).map_err(input_error)?;
            self.loaded.insert(name.to_string(), dataset);
        }
        Ok(&self.loaded[name])
    }
}

fn manifest(name: &str) -> Result<Manifest> {
    if name.ends_with(".toml") {
        return Manifest::read(Path::new(name)).map_err(input_error);
    }
    let (_, text) = BUILTIN_DATASETS.iter().find(|(n, _)| *n == name).ok_or_else(|| {
        let known: Vec<&str> = BUILTIN_DATASETS.iter().map(|(n, _)| *n).collect();
        input_error(format!(
            "unknown dataset \"{name}\"; built in: {}, or give a path to a manifest ending in .toml",
            known.join(", ")
        ))
    })?;
    Manifest::parse(
        &PathBuf::from(format!("datasets/{name}.toml (built in)")),
        text,
    )
    .map_err(input_error)
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
    let mut strategy = Strategy::parse(path, &text, regulation, factory).map_err(input_error)?;
    if let Some(dataset) = &strategy.dataset
        && dataset.ends_with(".toml")
    {
        let folder = path.parent().unwrap_or(Path::new("."));
        strategy.dataset = Some(folder.join(dataset).to_string_lossy().into_owned());
    }
    Ok(strategy)
}
