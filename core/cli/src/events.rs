//! `cyclebt events`: the index, the financing balance and the average maintenance ratio around
//! dated changes to leverage and costs, against every day's moves; and whether the margin
//! signal's warnings came before the index's drawdowns of the margin era.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::NaiveDate;
use cyclebt_data::{Field, MarketData};
use cyclebt_engine::{Regulation, SignalRole, SignalSource};
use cyclebt_host::PluginFactory;
use cyclebt_report::events::{
    Event, EventRow, EventSeries, drawdown_warnings, event_study, falls_after, write_event_text,
    write_events_csv, write_warning_text, write_warnings_csv,
};
use serde::Deserialize;

use crate::input_error;
use crate::inputs::{self, Datasets};

/// The dataset's named series holding the average maintenance ratio (datasets/sh000001.toml).
pub const MAINTENANCE_SERIES: &str = "maintenance_ratio";

/// What `events` was asked to do.
pub struct EventsArgs {
    /// Where market data comes from.
    pub data: cyclebt_data::Origin,
    /// The dataset whose index, margin and maintenance ratio are measured.
    pub dataset: String,
    /// Output folder for events.csv and warnings.csv.
    pub out: Option<PathBuf>,
    /// The user's event lists; none: the built-in margin rules and stamp duty changes.
    pub events: Vec<PathBuf>,
    /// Horizons in trading days from the last close before each announcement.
    pub horizons: Vec<i64>,
    /// Parameters of the margin-divergence plugin whose warnings are studied.
    pub params: toml::Table,
    /// Falls of the index at least this deep (0.15) are the drawdowns studied.
    pub min_drawdown: f64,
    /// A warning is followed by a fall of this size (0.10)...
    pub fall: f64,
    /// ... within this many trading days (60).
    pub fall_days: usize,
    /// Finds the plugin.
    pub factory: PluginFactory,
}

/// A user's event list.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventFile {
    event: Vec<EventEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventEntry {
    id: String,
    announced: NaiveDate,
    effective: Option<NaiveDate>,
    #[serde(default)]
    note: String,
}

/// Reads a user's event list (`[[event]]` with `id`, `announced`, optional `effective` and
/// `note`); unknown keys and an effective day before the announcement are errors.
fn read_events(path: &Path) -> Result<Vec<Event>> {
    let text = fs::read_to_string(path)
        .map_err(|e| input_error(format!("{}: cannot read file: {e}", path.display())))?;
    let file: EventFile =
        toml::from_str(&text).map_err(|e| input_error(format!("{}: {e}", path.display())))?;
    file.event
        .into_iter()
        .map(|e| {
            if let Some(effective) = e.effective
                && effective < e.announced
            {
                return Err(input_error(format!(
                    "{}: event {}: effective {effective} is before announced {}",
                    path.display(),
                    e.id,
                    e.announced
                )));
            }
            Ok(Event {
                id: e.id,
                announced: e.announced,
                effective: e.effective,
                note: e.note,
            })
        })
        .collect()
}

/// The built-in events: every initial-margin change and every stamp duty change, each from
/// its announcement day, or from its effective day where no announcement day is recorded (the
/// second list says which).
pub fn builtin_events(regulation: &Regulation) -> (Vec<Event>, Vec<String>) {
    let mut events = Vec::new();
    let mut undated = Vec::new();
    let mut add = |id: String, announced: Option<NaiveDate>, from: NaiveDate, note: &str| {
        if announced.is_none() {
            undated.push(id.clone());
        }
        events.push(Event {
            id,
            announced: announced.unwrap_or(from),
            effective: Some(from),
            note: note.to_string(),
        });
    };
    for rule in &regulation.margin.initial_ratio {
        add(
            format!("margin-{}", rule.from),
            rule.announced,
            rule.from,
            &rule.note,
        );
    }
    for rate in &regulation.stamp_duty.rate {
        add(
            format!("stamp-duty-{}", rate.from),
            rate.announced,
            rate.from,
            &rate.note,
        );
    }
    events.sort_by_key(|e| e.announced);
    (events, undated)
}

/// The rule-change study of one dataset, with what it measured.
pub struct RuleChanges {
    /// Each event over each horizon.
    pub rows: Vec<EventRow>,
    /// First row of the baseline: the first day with a financing balance.
    pub era: usize,
    /// One paragraph saying what the moves and percentiles are.
    pub note: String,
}

/// The default horizons, in trading days from the last close before an announcement.
pub const DEFAULT_HORIZONS: [i64; 5] = [-20, -5, 5, 20, 60];

/// Measures `events` on `market` against every day's moves from its first financing balance
/// on; None when it has no financing balance.
pub fn rule_changes(
    market: &MarketData,
    events: &[Event],
    horizons: &[i64],
) -> Option<RuleChanges> {
    let financing = market.column(Field::FinancingBalance);
    let era = financing.iter().position(|v| v.is_finite())?;
    let series = EventSeries {
        dates: &market.dates,
        close: market.column(Field::Close),
        financing,
        maintenance: market.series(MAINTENANCE_SERIES),
    };
    Some(RuleChanges {
        rows: event_study(&series, events, horizons, era),
        era,
        note: format!(
            "Rule changes: moves over each horizon from the last close before the announcement (negative horizons: the days before it); pN is the move's percentile among every day's move over that horizon from {} on. Balances as published by each day's close (the previous trading day's figures); the average maintenance ratio's change in percentage points.",
            market.dates[era]
        ),
    })
}

/// Runs both studies, prints them to `out` and notes to `err`.
pub fn events(args: &EventsArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<()> {
    if args.horizons.is_empty() || args.horizons.contains(&0) {
        return Err(input_error(
            "--horizons: expected non-zero trading-day counts, such as -20,-5,5,20,60",
        ));
    }
    if !(args.min_drawdown > 0.0 && args.min_drawdown < 1.0 && args.fall > 0.0 && args.fall < 1.0) {
        return Err(input_error(
            "--min-drawdown and --fall: expected fractions between 0 and 1 (0.15 = 15%)",
        ));
    }
    if args.fall_days == 0 {
        return Err(input_error(
            "--fall-days: expected a positive number of days",
        ));
    }
    let (events, undated) = if args.events.is_empty() {
        builtin_events(&inputs::regulation(None, None)?)
    } else {
        let mut all = Vec::new();
        for path in &args.events {
            all.extend(read_events(path)?);
        }
        (all, Vec::new())
    };
    let mut datasets = Datasets::new(args.data.clone());
    let market = &datasets.get(&args.dataset)?.market;
    let Some(study) = rule_changes(market, &events, &args.horizons) else {
        return Err(input_error(
            "the dataset has no financing balance: the events study needs the margin series",
        ));
    };
    let (rows, era) = (study.rows, study.era);
    writeln!(out, "{}", study.note)?;
    write_event_text(out, &rows)?;
    if market.series(MAINTENANCE_SERIES).is_none() {
        writeln!(
            err,
            "note: the dataset declares no {MAINTENANCE_SERIES} series; its column is n/a"
        )?;
    }
    if !undated.is_empty() {
        writeln!(
            err,
            "note: no announcement day recorded for {}; measured from the effective day",
            undated.join(", ")
        )?;
    }

    let mut plugin = args
        .factory
        .plugin_signal(
            &SignalSource::Plugin("margin-divergence".into()),
            &args.params,
            SignalRole::Signal,
        )
        .map_err(input_error)?;
    let last = market.len() - 1;
    let outputs = plugin.outputs(market.history(last), era).map_err(|e| {
        input_error(format!(
            "margin-divergence failed on {}: {}",
            market.dates[e.day], e.error
        ))
    })?;
    let warning: Vec<bool> = outputs.iter().map(|o| o.value < 0.0).collect();
    let (dates, close) = (&market.dates[era..], &market.column(Field::Close)[era..]);
    let drawdowns = drawdown_warnings(dates, close, &warning, args.min_drawdown);
    let rates = falls_after(close, &warning, args.fall, args.fall_days);
    writeln!(
        out,
        "\nWarnings before drawdowns, {} to {}: each fall of the index of {:.0}% or more from a peak (a zig-zag: a rise of as much from the trough ends it), and the first day margin-divergence warned (value below 0) from the start of its run-up (the previous fall's trough) to its trough; days before: trading days from that warning to the peak.",
        dates[0],
        dates[dates.len() - 1],
        args.min_drawdown * 100.0
    )?;
    write_warning_text(out, &drawdowns, &rates)?;

    if let Some(dir) = &args.out {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let mut bytes = Vec::new();
        write_events_csv(&mut bytes, &rows)?;
        write(dir, "events.csv", &bytes)?;
        let mut bytes = Vec::new();
        write_warnings_csv(&mut bytes, &drawdowns)?;
        write(dir, "warnings.csv", &bytes)?;
        writeln!(
            err,
            "wrote events.csv and warnings.csv to {}",
            dir.display()
        )?;
    }
    Ok(())
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let path = dir.join(name);
    fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))
}
