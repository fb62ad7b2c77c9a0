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
    PhaseDay, PhaseTables, ScenarioRule, phase_tables, write_bucket_csv, write_marginal_csv,
    write_phase_text, write_stretches_csv, write_summary_csv,
};

use crate::input_error;
use crate::inputs::{self, Datasets};

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
    /// The marginal amount compares a day's amount with the mean of this many days before it.
    pub marginal_days: usize,
    /// Built-in dataset name or path to a manifest.
    pub dataset: String,
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
    let market = &datasets.get(&args.dataset)?.market;
    if args.marginal_days == 0 {
        return Err(input_error(
            "--marginal-days: expected a positive number of days",
        ));
    }
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
                phase: o.label,
                marginal: marginal_amount(amount, t, args.marginal_days),
            })
            .collect();
        tables.push(phase_tables(
            &window.id,
            &days,
            args.stretch_gap,
            &ScenarioRule::default(),
        ));
    }
    write_phase_text(out, &tables)?;
    writeln!(
        out,
        "gain bucket: share of the cycle's rise from its low (first day) to its peak (last day) reached that day; time bucket: share of its trading days elapsed; share: the bucket's part of the cycle's FOMO days; averages over all the bucket's days. Daily labels from the fomo-phase plugin (plugins/fomo-phase/README.md). Marginal amount: a day's amount over the mean of the {} days before it, minus 1, as shares of the part's days; middle: from the first to the last day of the cycle's FOMO stretches of 2 FOMO days or more, early and late: before and after it. Scenario (the study's rule): optimistic with at least 33% of the FOMO days at 80% of the rise or more, pessimistic with at least 33% under 30% and at most 10% at 70% or more, neutral otherwise.",
        args.marginal_days
    )?;
    if let Some(dir) = &args.out {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let files: [(&str, TableWriter); 5] = [
            ("phases_gain.csv", |w, t| write_bucket_csv(w, t, true)),
            ("phases_time.csv", |w, t| write_bucket_csv(w, t, false)),
            ("fomo_stretches.csv", write_stretches_csv),
            ("phases_summary.csv", write_summary_csv),
            ("phases_marginal.csv", write_marginal_csv),
        ];
        for (name, write) in files {
            let mut bytes = Vec::new();
            write(&mut bytes, &tables)?;
            let path = dir.join(name);
            fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
        }
        writeln!(
            err,
            "wrote phases_gain.csv, phases_time.csv, fomo_stretches.csv, phases_summary.csv and phases_marginal.csv to {}",
            dir.display()
        )?;
    }
    Ok(())
}

/// Day `t`'s amount over the mean amount of the `days` days before it, minus 1 (the study's
/// marginal amount, 边际成交额); NaN when any of them is missing.
fn marginal_amount(amount: &[f64], t: usize, days: usize) -> f64 {
    let Some(from) = t.checked_sub(days) else {
        return f64::NAN;
    };
    let base = amount[from..t].iter().sum::<f64>() / days as f64;
    if base > 0.0 {
        amount[t] / base - 1.0
    } else {
        f64::NAN
    }
}
