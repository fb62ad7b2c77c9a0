//! Gathers `run.json` for a comparison: hashes of every file it read (strategies, plugin
//! libraries, market data, rule files), the windows, the conventions and the seed.

use std::path::Path;

use cyclebt_data::Origin;

use anyhow::{Context, Result};
use cyclebt_engine::{SignalSource, Strategy};
use cyclebt_report::identity::{InputFile, PluginRecord, RunRecord, WindowRecord, sha256_hex};

use crate::compare::{CompareArgs, Finished};
use crate::inputs::{self, Datasets};

fn hash_file(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(sha256_hex(&bytes))
}

/// A rule file as used: the one given on the command line, else the built-in text.
fn rule_file(role: &str, given: Option<&Path>, built_in: (&str, &str)) -> Result<InputFile> {
    Ok(match given {
        Some(path) => InputFile {
            role: role.into(),
            file: path.display().to_string(),
            sha256: hash_file(path)?,
        },
        None => InputFile {
            role: role.into(),
            file: format!("{} (built in)", built_in.0),
            sha256: sha256_hex(built_in.1.as_bytes()),
        },
    })
}

/// The record of a finished comparison; `strategies` are the files' strategies in argument
/// order.
pub fn gather(
    args: &CompareArgs,
    strategies: &[Strategy],
    datasets: &mut Datasets,
    finished: &[Finished],
) -> Result<RunRecord> {
    let mut plugins: Vec<PluginRecord> = Vec::new();
    for spec in strategies.iter().flat_map(|s| &s.specs) {
        if matches!(spec.source, SignalSource::Builtin(_)) {
            continue;
        }
        let record = match args.factory.library(&spec.source) {
            Ok(library) => PluginRecord {
                name: library.info.name.clone(),
                version: library.info.version.clone(),
                sha256: hash_file(&library.info.path)?,
                file: library.info.path.display().to_string(),
            },
            // Its strategy failed and says why; the record says it was not loaded.
            Err(error) => PluginRecord {
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
        };
        if plugins
            .iter()
            .any(|p| p.name == record.name && p.file == record.file)
        {
            continue;
        }
        plugins.push(record);
    }
    let strategy_files = args
        .strategies
        .iter()
        .zip(strategies)
        .map(|(path, strategy)| {
            Ok(InputFile {
                role: strategy.name.clone(),
                file: path.display().to_string(),
                sha256: hash_file(path)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut data = Vec::new();
    let mut dataset_names: Vec<&str> = finished.iter().map(|f| f.dataset.as_str()).collect();
    dataset_names.extend(args.benchmark.as_deref());
    dataset_names.dedup();
    for name in dataset_names {
        if data.iter().any(|d: &InputFile| d.role == name) {
            continue;
        }
        // Data files are recorded relative to the data root, or the snapshot's to the project
        // (`datasets/snapshot/...`), so the record does not depend on where the clone is.
        let root = match datasets.origin() {
            Origin::Exports(root) => root.clone(),
            Origin::Snapshot(dir) => dir.parent().and_then(Path::parent).unwrap_or(dir).into(),
        };
        for file in datasets.get(name)?.files.clone() {
            data.push(InputFile {
                role: name.to_string(),
                file: file
                    .strip_prefix(&root)
                    .unwrap_or(&file)
                    .display()
                    .to_string(),
                sha256: hash_file(&file)?,
            });
        }
    }
    let rules = vec![
        rule_file(
            "cycles",
            args.cycles.as_deref(),
            ("datasets/cycles.toml", inputs::CYCLES),
        )?,
        rule_file(
            "stamp_duty",
            args.stamp_duty.as_deref(),
            ("datasets/stamp_duty.toml", inputs::STAMP_DUTY),
        )?,
        rule_file(
            "margin_rules",
            args.margin_rules.as_deref(),
            ("datasets/margin_rules.toml", inputs::MARGIN_RULES),
        )?,
    ];
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
    let mut record = RunRecord {
        run_id: String::new(),
        cyclebt_version: env!("CARGO_PKG_VERSION").into(),
        abi_version: cyclebt_host::ABI_VERSION,
        plugins,
        strategies: strategy_files,
        data,
        rules,
        benchmark: args
            .benchmark
            .clone()
            .unwrap_or_else(|| "each strategy's own dataset".into()),
        windows,
        periods_per_year: args.conventions.periods_per_year,
        risk_free_annual: args.conventions.risk_free_annual,
        conventions: args.conventions.describe(),
        bootstrap_resamples: args.bootstrap.resamples,
        seed: args.bootstrap.seed,
    };
    record.seal();
    Ok(record)
}
