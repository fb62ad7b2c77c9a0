//! `cyclebt data check`: each series' coverage and every finding of the importer;
//! `cyclebt data snapshot`: the bundled snapshot rebuilt from the exports.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use cyclebt_data::build_snapshot as build;

use crate::input_error;
use crate::inputs::{self, Datasets};

/// Loads `dataset` and prints its coverage and findings to `out`.
pub fn check(datasets: &mut Datasets, dataset: &str, out: &mut dyn Write) -> Result<()> {
    let origin = datasets.origin().describe();
    let loaded = datasets.get(dataset)?;
    let market = &loaded.market;
    writeln!(
        out,
        "dataset {} ({origin}): {} trading days",
        market.name,
        market.len()
    )?;
    writeln!(out)?;
    let width = market
        .coverage
        .iter()
        .map(|c| c.series.len())
        .chain([10])
        .max()
        .unwrap_or(10);
    writeln!(
        out,
        "{:<width$} {:<10} {:<10} {:>6} {:>8} {:>4}",
        "series", "first", "last", "rows", "missing", "lag"
    )?;
    for c in &market.coverage {
        let (first, last) = c.span.map_or(("-".into(), "-".into()), |(a, b)| {
            (a.to_string(), b.to_string())
        });
        writeln!(
            out,
            "{:<width$} {:<10} {:<10} {:>6} {:>8} {:>4}",
            c.series, first, last, c.rows, c.missing_days, c.lag_days
        )?;
        let indent = " ".repeat(width + 1);
        for source in &c.sources {
            writeln!(out, "{indent}from {source}")?;
        }
        if let Some(info) = market.series_info().iter().find(|s| s.name == c.series) {
            writeln!(out, "{indent}stored in {}: {}", info.unit, info.description)?;
        }
    }
    writeln!(out)?;
    writeln!(out, "findings ({}):", loaded.findings.len())?;
    for finding in &loaded.findings {
        writeln!(out, "  {finding}")?;
    }
    Ok(())
}

/// Builds the snapshot of every built-in dataset from the exports under `data` and writes it to
/// `dir`, removing snapshot files no dataset reads any more.
pub fn build_snapshot(data: &Path, dir: &Path, out: &mut dyn Write) -> Result<()> {
    let manifests = inputs::builtin_manifests()?;
    let files = build(&manifests, data, &inputs::snapshot_sources()?).map_err(input_error)?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.ends_with(".csv") && !names.contains(&name) {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
            writeln!(out, "removed {}", path.display())?;
        }
    }
    let mut total = 0;
    for file in &files {
        let path = dir.join(&file.name);
        std::fs::write(&path, &file.bytes)
            .with_context(|| format!("cannot write {}", path.display()))?;
        total += file.bytes.len();
        writeln!(out, "wrote {} ({} bytes)", path.display(), file.bytes.len())?;
    }
    writeln!(out, "{} files, {total} bytes", files.len())?;
    Ok(())
}
