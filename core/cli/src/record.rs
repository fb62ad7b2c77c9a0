//! Gathers `run.json`: hashes of every file a command read (strategies, plugin libraries,
//! market data, rule files), the windows and the conventions; for a comparison the bootstrap's
//! seed, for a sweep its grid and shard.
//!
//! Files are hashed streamed and in parallel, each library once however many strategies use
//! it: the shipped plugins are megabytes each, and `compare` prints the run id even without
//! `--out`.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use cyclebt_data::Origin;
use cyclebt_engine::{SignalSource, Strategy};
use cyclebt_host::PluginFactory;
use cyclebt_report::Conventions;
use cyclebt_report::identity::{
    InputFile, PluginRecord, RunRecord, WindowRecord, sha256_hex, sha256_hex_of,
};
use rayon::prelude::*;

use crate::compare::{CompareArgs, Finished};
use crate::inputs::{self, Datasets};

/// The SHA-256 of each file, in order, hashed in parallel.
fn hash_files(paths: &[PathBuf]) -> Result<Vec<String>> {
    paths
        .par_iter()
        .map(|path| {
            File::open(path)
                .and_then(|mut file| sha256_hex_of(&mut file))
                .with_context(|| format!("cannot read {}", path.display()))
        })
        .collect()
}

/// A rule file as used: the one given on the command line, else the built-in text.
fn rule_file(role: &str, given: Option<&Path>, built_in: (&str, &str)) -> Result<InputFile> {
    Ok(match given {
        Some(path) => InputFile {
            role: role.into(),
            file: path.display().to_string(),
            sha256: hash_files(&[path.to_path_buf()])?.remove(0),
        },
        None => InputFile {
            role: role.into(),
            file: format!("{} (built in)", built_in.0),
            sha256: sha256_hex(built_in.1.as_bytes()),
        },
    })
}

/// The rule files a command read: cycles, stamp duty, initial margin ratios.
pub(crate) fn rules(
    cycles: Option<&Path>,
    stamp_duty: Option<&Path>,
    margin_rules: Option<&Path>,
) -> Result<Vec<InputFile>> {
    Ok(vec![
        rule_file("cycles", cycles, ("datasets/cycles.toml", inputs::CYCLES))?,
        rule_file(
            "stamp_duty",
            stamp_duty,
            ("datasets/stamp_duty.toml", inputs::STAMP_DUTY),
        )?,
        rule_file(
            "margin_rules",
            margin_rules,
            ("datasets/margin_rules.toml", inputs::MARGIN_RULES),
        )?,
    ])
}

/// The plugin libraries `strategies` use, in order of first use, each once.
pub(crate) fn plugins(
    factory: &PluginFactory,
    strategies: &[Strategy],
) -> Result<Vec<PluginRecord>> {
    let mut plugins: Vec<PluginRecord> = Vec::new();
    // The library of each record to hash; None for one that did not load.
    let mut libraries: Vec<Option<PathBuf>> = Vec::new();
    for spec in strategies.iter().flat_map(|s| &s.specs) {
        if matches!(spec.source, SignalSource::Builtin(_)) {
            continue;
        }
        let (record, library) = match factory.library(&spec.source) {
            Ok(library) => (
                PluginRecord {
                    name: library.info.name.clone(),
                    version: library.info.version.clone(),
                    sha256: String::new(),
                    file: library.info.path.display().to_string(),
                },
                Some(library.info.path.clone()),
            ),
            // Its strategy failed and says why; the record says it was not loaded.
            Err(error) => (
                PluginRecord {
                    name: match &spec.source {
                        SignalSource::Plugin(name) => name.clone(),
                        _ => String::new(),
                    },
                    version: format!("not loaded: {error}"),
                    sha256: String::new(),
                    file: match &spec.source {
                        SignalSource::PluginPath(path) => path.display().to_string(),
                        _ => String::new(),
                    },
                },
                None,
            ),
        };
        if plugins
            .iter()
            .any(|p| p.name == record.name && p.file == record.file)
        {
            continue;
        }
        plugins.push(record);
        libraries.push(library);
    }
    let loaded: Vec<PathBuf> = libraries.iter().flatten().cloned().collect();
    let mut hashes = hash_files(&loaded)?.into_iter();
    for (record, library) in plugins.iter_mut().zip(&libraries) {
        if library.is_some() {
            record.sha256 = hashes.next().expect("one hash per loaded library");
        }
    }
    Ok(plugins)
}

/// Every file the datasets `names` were read from (each dataset once, in order of first
/// mention), relative to the data root, or the snapshot's to the project
/// (`datasets/snapshot/...`), so the record does not depend on where the clone is.
pub(crate) fn data(datasets: &mut Datasets, names: &[&str]) -> Result<Vec<InputFile>> {
    let root = match datasets.origin() {
        Origin::Exports(root) => root.clone(),
        Origin::Snapshot(dir) => dir.parent().and_then(Path::parent).unwrap_or(dir).into(),
    };
    let mut data = Vec::new();
    let mut paths = Vec::new();
    for (i, name) in names.iter().enumerate() {
        if names[..i].contains(name) {
            continue;
        }
        for file in datasets.get(name)?.files.clone() {
            data.push(InputFile {
                role: name.to_string(),
                file: file
                    .strip_prefix(&root)
                    .unwrap_or(&file)
                    .display()
                    .to_string(),
                sha256: String::new(),
            });
            paths.push(file);
        }
    }
    for (record, hash) in data.iter_mut().zip(hash_files(&paths)?) {
        record.sha256 = hash;
    }
    Ok(data)
}

/// The strategy files, each under its strategy's name.
pub(crate) fn strategy_files<'s>(
    files: impl IntoIterator<Item = (&'s Path, &'s str)>,
) -> Result<Vec<InputFile>> {
    let (paths, roles): (Vec<PathBuf>, Vec<&str>) = files
        .into_iter()
        .map(|(path, role)| (path.to_path_buf(), role))
        .unzip();
    Ok(paths
        .iter()
        .zip(roles)
        .zip(hash_files(&paths)?)
        .map(|((path, role), sha256)| InputFile {
            role: role.to_string(),
            file: path.display().to_string(),
            sha256,
        })
        .collect())
}

/// A record of what every command shares, not sealed: `grid`, `shard`, the bootstrap's
/// fields are None.
pub(crate) struct Common {
    pub plugins: Vec<PluginRecord>,
    pub strategies: Vec<InputFile>,
    pub data: Vec<InputFile>,
    pub rules: Vec<InputFile>,
    pub benchmark: String,
    pub windows: Vec<WindowRecord>,
}

impl Common {
    /// The record with `conventions`, ready for its command's own fields and `seal`.
    pub(crate) fn record(self, conventions: &Conventions) -> RunRecord {
        RunRecord {
            run_id: String::new(),
            cyclebt_version: env!("CARGO_PKG_VERSION").into(),
            abi_version: cyclebt_host::ABI_VERSION,
            plugins: self.plugins,
            strategies: self.strategies,
            data: self.data,
            rules: self.rules,
            benchmark: self.benchmark,
            windows: self.windows,
            periods_per_year: conventions.periods_per_year,
            risk_free_annual: conventions.risk_free_annual,
            conventions: conventions.describe(),
            bootstrap_resamples: None,
            seed: None,
            grid: None,
            shard: None,
        }
    }
}

/// What `benchmark` says when each strategy is measured against its own dataset.
pub(crate) const OWN_BENCHMARK: &str = "each strategy's own dataset";

/// The record of a finished comparison; `strategies` are the files' strategies in argument
/// order, `plugins` their libraries' records ([`plugins`]).
pub fn gather(
    args: &CompareArgs,
    plugins: Vec<PluginRecord>,
    strategies: &[Strategy],
    datasets: &mut Datasets,
    finished: &[Finished],
) -> Result<RunRecord> {
    let mut dataset_names: Vec<&str> = finished.iter().map(|f| f.dataset.as_str()).collect();
    dataset_names.extend(args.benchmark.as_deref());
    let mut windows: Vec<WindowRecord> = Vec::new();
    for f in finished {
        if windows.iter().any(|w| w.id == f.summary.window) {
            continue;
        }
        windows.push(WindowRecord {
            id: f.summary.window.clone(),
            first_day: f.summary.start.to_string(),
            last_day: f.summary.end.to_string(),
        });
    }
    let common = Common {
        plugins,
        strategies: strategy_files(
            args.strategies
                .iter()
                .map(PathBuf::as_path)
                .zip(strategies.iter().map(|s| s.name.as_str())),
        )?,
        data: data(datasets, &dataset_names)?,
        rules: rules(
            args.cycles.as_deref(),
            args.stamp_duty.as_deref(),
            args.margin_rules.as_deref(),
        )?,
        benchmark: args
            .benchmark
            .clone()
            .unwrap_or_else(|| OWN_BENCHMARK.into()),
        windows,
    };
    let mut record = common.record(&args.conventions);
    record.bootstrap_resamples = Some(args.bootstrap.resamples);
    record.seed = Some(args.bootstrap.seed);
    record.seal();
    Ok(record)
}
