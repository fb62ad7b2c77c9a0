//! `cyclebt phases`: the phase tables of the bull-cycle study for each cycle, from the
//! fomo-phase plugin's daily labels.

use std::fs;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use cyclebt_data::Field;
use cyclebt_engine::{SignalRole, SignalSource};
use cyclebt_host::PluginFactory;
use cyclebt_report::phases::{
    PhaseDay, PhaseTables, phase_tables, write_bucket_csv, write_phase_text, write_stretches_csv,
};

use crate::input_error;
use crate::inputs::{self, DEFAULT_DATASET, Datasets};

/// The fomo-phase plugin's label for a FOMO day (plugins/fomo-phase/README.md).
const FOMO_LABEL: u32 = 3;

/// Writes one CSV file of the tables.
type TableWriter = fn(&mut dyn Write, &[PhaseTables]) -> std::io::Result<()>;

/// What `phases` was asked to do.
pub struct PhasesArgs {
    /// Where market data comes from.
    pub data: cyclebt_data::Origin,
    /// Output folder for the CSV files.
    pub out: Option<PathBuf>,
    /// Alternative cycle list.
    pub cycles: Option<PathBuf>,
    /// Parameters of the fomo-phase plugin, as a TOML table.
    pub params: toml::Table,
    /// FOMO days further apart than this many trading days start a new stretch.
    pub stretch_gap: usize,
    /// Finds the plugin.
    pub factory: PluginFactory,
}

/// The group of windows the phase tables are about: the study's tables are per bull cycle.
pub const PHASE_GROUP: &str = "bulls";

/// Classifies every day of each bull cycle (the `bulls` group; in a cycle list without groups,
/// every window with a start and an end) and prints the tables.
pub fn phases(args: &PhasesArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<()> {
    let cycles = inputs::cycles(args.cycles.as_deref())?;
    let grouped = cycles.windows.iter().any(|w| w.group.is_some());
    let mut datasets = Datasets::new(args.data.clone());
    let market = &datasets.get(DEFAULT_DATASET)?.market;
    let mut plugin = args
        .factory
        .plugin_signal(
            &SignalSource::Plugin("fomo-phase".into()),
            &args.params,
            SignalRole::Signal,
        )
        .map_err(input_error)?;
    let mut tables: Vec<PhaseTables> = Vec::new();
    for window in cycles.windows.iter().filter(|w| {
        if grouped {
            w.group.as_deref() == Some(PHASE_GROUP)
        } else {
            w.start.is_some() && w.end.is_some()
        }
    }) {
        let span = match window.span(market) {
            Ok(span) => span,
            Err(why) => {
                writeln!(err, "note: skipping {}: {why}", window.id)?;
                continue;
            }
        };
        let outputs = plugin
            .outputs(market.history(span.last), span.first)
            .map_err(|e| {
                input_error(format!(
                    "fomo-phase failed on {}: {}",
                    market.dates[e.day], e.error
                ))
            })?;
        let (close, amount, pe) = (
            market.column(Field::Close),
            market.column(Field::Amount),
            market.column(Field::Pe),
        );
        let days: Vec<PhaseDay> = (span.first..=span.last)
            .zip(&outputs)
            .map(|(t, o)| PhaseDay {
                date: market.dates[t],
                close: close[t],
                amount: amount[t],
                pe: pe[t],
                fomo: o.label == FOMO_LABEL,
            })
            .collect();
        tables.push(phase_tables(&window.id, &days, args.stretch_gap));
    }
    write_phase_text(out, &tables)?;
    writeln!(
        out,
        "gain bucket: share of the cycle's rise from its low (first day) to its peak (last day) reached that day; time bucket: share of its trading days elapsed; share: the bucket's part of the cycle's FOMO days; averages over all the bucket's days. Daily labels from the fomo-phase plugin (plugins/fomo-phase/README.md)."
    )?;
    if let Some(dir) = &args.out {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let files: [(&str, TableWriter); 3] = [
            ("phases_gain.csv", |w, t| write_bucket_csv(w, t, true)),
            ("phases_time.csv", |w, t| write_bucket_csv(w, t, false)),
            ("fomo_stretches.csv", write_stretches_csv),
        ];
        for (name, write) in files {
            let mut bytes = Vec::new();
            write(&mut bytes, &tables)?;
            let path = dir.join(name);
            fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
        }
        writeln!(
            err,
            "wrote phases_gain.csv, phases_time.csv and fomo_stretches.csv to {}",
            dir.display()
        )?;
    }
    Ok(())
}
