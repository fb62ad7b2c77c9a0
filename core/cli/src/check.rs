//! `cyclebt data check`: each series' coverage and every finding of the importer.

use std::io::Write;

use anyhow::Result;

use crate::inputs::Datasets;

/// Loads `dataset` and prints its coverage and findings to `out`.
pub fn check(datasets: &mut Datasets, dataset: &str, out: &mut dyn Write) -> Result<()> {
    let root = datasets.root().to_path_buf();
    let loaded = datasets.get(dataset)?;
    let market = &loaded.market;
    writeln!(
        out,
        "dataset {} (data root {}): {} trading days",
        market.name,
        root.display(),
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
