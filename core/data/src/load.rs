//! Loading a manifest's files and joining them onto the index calendar.
//!
//! Order of work for each series: read each file in its format ([`crate::formats`]), check and
//! repair it ([`crate::validate`]), align it to the calendar (exact or as-of), sum the sources,
//! switch to the splice sources from the splice date, then shift by the publication lag. The lag
//! comes last so that coverage is reported in the dates the vendor used.

use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use rayon::prelude::*;

use crate::error::{DataError, Finding, Location};
use crate::formats::Table;
use crate::manifest::{DEFAULT_MAX_AGE_DAYS, Join, Limits, Manifest, SeriesSpec, Source};
use crate::market::{Field, MarketData, SeriesCoverage, SeriesInfo};
use crate::snapshot::{Origin, Reading, readings};

/// Default publication lag of the margin series, in trading days: exchanges publish day T's
/// figures before the open of T+1.
pub const DEFAULT_MARGIN_LAG_DAYS: usize = 1;

/// A loaded dataset and everything the importer noticed on the way.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The joined history.
    pub market: MarketData,
    /// Rows dropped, units assumed, gaps left open.
    pub findings: Vec<Finding>,
    /// Every file the dataset was read from, each once, in the order the manifest names them:
    /// what a run record hashes to pin its inputs.
    pub files: Vec<PathBuf>,
}

/// Loads every file a manifest names, relative to `data_root`.
pub fn load(manifest: &Manifest, data_root: &Path) -> Result<Dataset, DataError> {
    load_from(manifest, &Origin::Exports(data_root.to_path_buf()))
}

/// Loads every file a manifest names from the exports or from a snapshot.
pub fn load_from(manifest: &Manifest, origin: &Origin) -> Result<Dataset, DataError> {
    load_reading_ahead(manifest, origin, READ_AHEAD_BYTES)
}

/// [`load_from`], reading every file ahead in parallel if they have at most `read_ahead`
/// bytes together.
fn load_reading_ahead(
    manifest: &Manifest,
    origin: &Origin,
    read_ahead: u64,
) -> Result<Dataset, DataError> {
    let mut findings = Vec::new();
    let mut tables = Tables::new(manifest, origin, read_ahead);
    let mut index = tables.read(Reading::Source(&manifest.index), &mut findings)?;
    if !index.has_exact_prices() {
        return Err(DataError::invalid(
            Location::file(&index.path),
            format!(
                "format {} has no price bars; the index needs baostock or csindex",
                manifest.index.format.name()
            ),
        ));
    }
    // The index table's parts move into the dataset; none is copied.
    let calendar = std::mem::take(&mut index.dates);
    // One entry per field; None is missing on every day.
    let mut columns: Vec<Option<Vec<f64>>> = vec![None; Field::COUNT];
    for (field, column) in index.fields.iter().zip(std::mem::take(&mut index.columns)) {
        columns[*field as usize] = Some(column);
    }
    let exact = (
        std::mem::take(&mut index.exact_open),
        std::mem::take(&mut index.exact_close),
    );
    let mut coverage = vec![SeriesCoverage {
        series: "index".into(),
        sources: vec![describe(&index)],
        span: Some((calendar[0], calendar[calendar.len() - 1])),
        rows: calendar.len(),
        missing_days: 0,
        lag_days: 0,
    }];
    drop(index);

    let series: [(&str, &Option<SeriesSpec>, &[Field], usize); 3] = [
        (
            "margin",
            &manifest.margin,
            &[
                Field::FinancingBalance,
                Field::FinancingBuy,
                Field::LendingBalance,
                Field::MarginTotal,
            ],
            DEFAULT_MARGIN_LAG_DAYS,
        ),
        ("pe", &manifest.pe, &[Field::Pe], 0),
        ("market_cap", &manifest.market_cap, &[Field::MarketCap], 0),
    ];
    let mut absent: Vec<(String, String)> = Vec::new();
    for (name, spec, fields, default_lag) in series {
        let Some(spec) = spec else { continue };
        let spliced = spec.splice.iter().flat_map(|s| &s.sources);
        let readings = spec.sources.iter().chain(spliced).map(Reading::Source);
        if let Some(why) = absent_optional(spec.optional, readings, name, origin) {
            leave_out(name, why, &mut coverage, &mut findings, &mut absent);
            continue;
        }
        let joined = join_series(name, spec, fields, &calendar, &mut tables, &mut findings)?;
        let lag = spec.lag_days.unwrap_or(default_lag);
        coverage.push(SeriesCoverage {
            series: name.into(),
            sources: joined.sources,
            span: joined.span,
            rows: joined.rows,
            missing_days: joined.missing_days,
            lag_days: lag,
        });
        for (field, mut values) in fields.iter().zip(joined.columns) {
            shift_later(&mut values, lag);
            columns[*field as usize] = Some(values);
        }
    }

    let mut named = Vec::new();
    for spec in &manifest.series {
        let reading = std::iter::once(Reading::Named(spec));
        if let Some(why) = absent_optional(spec.optional, reading, &spec.name, origin) {
            leave_out(&spec.name, why, &mut coverage, &mut findings, &mut absent);
            continue;
        }
        let table = tables.read(Reading::Named(spec), &mut findings)?;
        let max_age = spec.max_age_days.unwrap_or(DEFAULT_MAX_AGE_DAYS);
        let rows = align(&table, spec.join, max_age, &calendar, &mut findings);
        let mut values: Vec<f64> = rows
            .map(|row| row.map_or(f64::NAN, |r| table.columns[0][r]))
            .collect();
        let present = Presence::of(&values, &calendar);
        coverage.push(SeriesCoverage {
            series: spec.name.clone(),
            sources: vec![describe(&table)],
            span: present.span,
            rows: present.rows,
            missing_days: present.missing_days,
            lag_days: spec.lag_days,
        });
        let info = SeriesInfo {
            name: spec.name.clone(),
            unit: spec.unit.stored().into(),
            description: spec.description.clone(),
        };
        shift_later(&mut values, spec.lag_days);
        named.push(info);
        columns.push(Some(values));
    }

    let market = MarketData::assemble(
        manifest.name.clone(),
        calendar,
        columns,
        named,
        exact,
        coverage,
    )
    .with_absent(absent);
    // The files read: an optional series' missing file is not one of them.
    let files = origin
        .files(manifest)
        .into_iter()
        .filter(|f| f.exists())
        .collect();
    Ok(Dataset {
        market,
        findings,
        files,
    })
}

/// Why an optional series is left out: one of its files does not exist. None for a required
/// series (a missing file is then the loader's error) or when every file is there.
fn absent_optional<'a>(
    optional: bool,
    mut readings: impl Iterator<Item = Reading<'a>>,
    name: &str,
    origin: &Origin,
) -> Option<(String, PathBuf)> {
    if !optional {
        return None;
    }
    let missing = readings.find_map(|r| Some(origin.path(r)).filter(|p| !p.exists()))?;
    Some((
        format!(
            "optional series {name} left out: {} not found",
            missing.display()
        ),
        missing,
    ))
}

/// Records an optional series left out: a coverage line without rows, a finding, and the
/// reason runs that need it will give.
fn leave_out(
    name: &str,
    (why, path): (String, PathBuf),
    coverage: &mut Vec<SeriesCoverage>,
    findings: &mut Vec<Finding>,
    absent: &mut Vec<(String, String)>,
) {
    coverage.push(SeriesCoverage {
        series: name.into(),
        sources: vec![format!("{} (not found; optional)", path.display())],
        span: None,
        rows: 0,
        missing_days: 0,
        lag_days: 0,
    });
    findings.push(Finding {
        location: Location::file(&path),
        message: format!("{why}; runs whose signals need it are n/a"),
    });
    absent.push((name.into(), why));
}

fn describe(table: &Table) -> String {
    format!("{} ({})", table.path.display(), table.description)
}

/// Files whose tables, together, are read ahead in parallel: below this size all of a
/// manifest's files are (the bundled snapshot's datasets have 0.4 to 1.4 MB); above it, each is
/// read when the loader comes to it, so that a long history's tables are never all in memory
/// at once.
const READ_AHEAD_BYTES: u64 = 16 << 20;

/// The tables of a manifest's files. When the files are small together
/// ([`READ_AHEAD_BYTES`]) every one is read ahead, in parallel; either way a table is handed
/// out, with the findings its reading gave and its error, where the loader asks for it, so
/// the findings come in the loader's order whichever way it was read.
struct Tables<'a> {
    origin: &'a Origin,
    limits: Limits,
    ahead: Vec<ReadAhead>,
}

/// A table read ahead: the file's path, the reading's key, and what reading it gave (the table
/// and its findings, or the error).
type ReadAhead = (PathBuf, String, Result<(Table, Vec<Finding>), DataError>);

impl<'a> Tables<'a> {
    fn new(manifest: &Manifest, origin: &'a Origin, read_ahead: u64) -> Self {
        let limits = manifest.limits();
        let mut wanted: Vec<(PathBuf, String, Reading<'_>)> = Vec::new();
        let mut bytes = 0;
        for reading in readings(manifest) {
            let (path, key) = (origin.path(reading), reading.key());
            // A missing file is the loader's to report (or an optional series left out).
            let Ok(metadata) = std::fs::metadata(&path) else {
                continue;
            };
            if !wanted.iter().any(|(p, k, _)| *p == path && *k == key) {
                bytes += metadata.len();
                wanted.push((path, key, reading));
            }
        }
        let ahead = if bytes <= read_ahead && wanted.len() > 1 {
            wanted
                .into_par_iter()
                .map(|(path, key, reading)| {
                    let mut findings = Vec::new();
                    let table = origin.read(reading, limits, &mut findings);
                    (path, key, table.map(|table| (table, findings)))
                })
                .collect()
        } else {
            Vec::new()
        };
        Tables {
            origin,
            limits,
            ahead,
        }
    }

    /// The table of `reading`, with its findings appended to `findings`, if it has rows.
    fn read(
        &mut self,
        reading: Reading<'_>,
        findings: &mut Vec<Finding>,
    ) -> Result<Table, DataError> {
        let (path, key) = (self.origin.path(reading), reading.key());
        let read_ahead = self
            .ahead
            .iter()
            .position(|(p, k, _)| *p == path && *k == key);
        let table = match read_ahead {
            Some(i) => {
                let (table, found) = self.ahead.swap_remove(i).2?;
                findings.extend(found);
                table
            }
            None => self.origin.read(reading, self.limits, findings)?,
        };
        checked(table)
    }
}

/// `table`, checked by its origin, if it has rows left.
fn checked(table: Table) -> Result<Table, DataError> {
    if table.dates.is_empty() {
        return Err(DataError::invalid(
            Location::file(&table.path),
            "no rows left after dropping quirk rows",
        ));
    }
    Ok(table)
}

/// Where a calendar-aligned column has values.
struct Presence {
    /// First and last day with a value.
    span: Option<(NaiveDate, NaiveDate)>,
    /// Days with a value.
    rows: usize,
    /// Days inside `span` without one.
    missing_days: usize,
}

impl Presence {
    fn of(column: &[f64], calendar: &[NaiveDate]) -> Presence {
        let (mut first, mut last, mut rows) = (None, 0, 0);
        for (t, value) in column.iter().enumerate() {
            if !value.is_nan() {
                first.get_or_insert(t);
                last = t;
                rows += 1;
            }
        }
        Presence {
            span: first.map(|a| (calendar[a], calendar[last])),
            rows,
            missing_days: first.map_or(0, |a| last - a + 1 - rows),
        }
    }
}

/// One series aligned to the calendar, before the lag.
struct Joined {
    columns: Vec<Vec<f64>>,
    sources: Vec<String>,
    span: Option<(NaiveDate, NaiveDate)>,
    rows: usize,
    missing_days: usize,
}

fn join_series(
    name: &str,
    spec: &SeriesSpec,
    fields: &[Field],
    calendar: &[NaiveDate],
    tables: &mut Tables<'_>,
    findings: &mut Vec<Finding>,
) -> Result<Joined, DataError> {
    let joiner = SourceJoin {
        series: name,
        join: spec.join,
        max_age_days: spec.max_age_days.unwrap_or(DEFAULT_MAX_AGE_DAYS),
        fields,
        calendar,
    };
    let mut sources = Vec::new();
    let mut columns = joiner.sum(tables, &spec.sources, 0, findings, &mut sources)?;
    if let Some(splice) = &spec.splice {
        let from = calendar.partition_point(|d| *d < splice.from);
        // Only the days from the splice on: nothing before them is taken from these files.
        let after = joiner.sum(tables, &splice.sources, from, findings, &mut sources)?;
        if let Some(t) = (from..calendar.len())
            .find(|&t| !columns[0][t].is_nan() && !after[0][t - from].is_nan())
        {
            let (before_value, after_value) = (columns[0][t], after[0][t - from]);
            findings.push(Finding {
                location: Location::file(&tables.origin.path(Reading::Source(&splice.sources[0]))),
                message: format!(
                    "spliced from {}: on {} {} is {:.0} before and {:.0} after the splice ({:+.3}%)",
                    splice.from,
                    calendar[t],
                    fields[0].name(),
                    before_value,
                    after_value,
                    (after_value / before_value - 1.0) * 100.0
                ),
            });
        }
        for (column, replacement) in columns.iter_mut().zip(after) {
            column[from..].copy_from_slice(&replacement);
        }
    }
    let present = Presence::of(&columns[0], calendar);
    Ok(Joined {
        columns,
        sources,
        span: present.span,
        rows: present.rows,
        missing_days: present.missing_days,
    })
}

/// How the files of one series are aligned to the calendar.
struct SourceJoin<'a> {
    series: &'a str,
    join: Join,
    max_age_days: i64,
    fields: &'a [Field],
    calendar: &'a [NaiveDate],
}

impl SourceJoin<'_> {
    /// Reads `sources`, aligns each to the calendar and sums them day by day (NaN if any is
    /// missing that day), for the calendar's days from `from` on (entry 0 is day `from`).
    /// Appends a description of each file to `described`.
    fn sum(
        &self,
        tables: &mut Tables<'_>,
        sources: &[Source],
        from: usize,
        findings: &mut Vec<Finding>,
        described: &mut Vec<String>,
    ) -> Result<Vec<Vec<f64>>, DataError> {
        let (fields, calendar, name) = (self.fields, self.calendar, self.series);
        let mut sum = vec![vec![0.0; calendar.len() - from]; fields.len()];
        for source in sources {
            let table = tables.read(Reading::Source(source), findings)?;
            described.push(describe(&table));
            let rows = align(&table, self.join, self.max_age_days, calendar, findings);
            let columns = fields
                .iter()
                .map(|field| {
                    table.field(*field).ok_or_else(|| {
                        DataError::invalid(
                            Location::file(&table.path),
                            format!(
                                "format {} has no {} column; the {name} series needs one",
                                source.format.name(),
                                field.name()
                            ),
                        )
                    })
                })
                .collect::<Result<Vec<&[f64]>, DataError>>()?;
            for (t, row) in rows.skip(from).enumerate() {
                for (total, values) in sum.iter_mut().zip(&columns) {
                    total[t] += row.map_or(f64::NAN, |r| values[r]);
                }
            }
        }
        Ok(sum)
    }
}

/// For each calendar day in order, the table row that gives its value under `join`: the two
/// sorted date lists are walked together. An exact join reports the rows it leaves out.
fn align<'a>(
    table: &'a Table,
    join: Join,
    max_age_days: i64,
    calendar: &'a [NaiveDate],
    findings: &mut Vec<Finding>,
) -> impl Iterator<Item = Option<usize>> + 'a {
    if join == Join::Exact {
        report_unmatched(table, calendar, findings);
    }
    let dates = &table.dates;
    let mut r = 0;
    calendar.iter().map(move |day| match join {
        // The row dated that very day.
        Join::Exact => {
            while r < dates.len() && dates[r] < *day {
                r += 1;
            }
            (r < dates.len() && dates[r] == *day).then_some(r)
        }
        // The latest row dated on or before the day, at most `max_age_days` calendar days old.
        Join::Asof => {
            while r < dates.len() && dates[r] <= *day {
                r += 1;
            }
            let latest = r.checked_sub(1)?;
            let age = day.num_days_from_ce() - dates[latest].num_days_from_ce();
            (i64::from(age) <= max_age_days).then_some(latest)
        }
    })
}

/// Reports, for an exact join, the index trading days inside the table's span that it has no
/// row for, and its rows dated on other days (ignored).
fn report_unmatched(table: &Table, calendar: &[NaiveDate], findings: &mut Vec<Finding>) {
    let dates = &table.dates;
    let (first_day, last_day) = (dates[0], dates[dates.len() - 1]);
    let (mut gaps, mut shown) = (0, Vec::new());
    let mut r = 0;
    for day in calendar
        .iter()
        .filter(|day| **day >= first_day && **day <= last_day)
    {
        while dates[r] < *day {
            r += 1;
        }
        if dates[r] != *day {
            gaps += 1;
            if shown.len() < 10 {
                shown.push(day.to_string());
            }
        }
    }
    if gaps > 0 {
        findings.push(Finding {
            location: Location::file(&table.path),
            message: format!(
                "{gaps} index trading days between {first_day} and {last_day} have no row (left missing): {}{}",
                shown.join(", "),
                if gaps > 10 { ", ..." } else { "" }
            ),
        });
    }
    let (first_trading_day, last_trading_day) = (calendar[0], calendar[calendar.len() - 1]);
    let (mut off_calendar, mut inside, mut first) = (0, 0, None);
    let mut t = 0;
    for (row, date) in dates.iter().enumerate() {
        while t < calendar.len() && calendar[t] < *date {
            t += 1;
        }
        if t == calendar.len() || calendar[t] != *date {
            off_calendar += 1;
            first.get_or_insert(row);
            if *date >= first_trading_day && *date <= last_trading_day {
                inside += 1;
            }
        }
    }
    if let Some(first) = first {
        findings.push(Finding {
            location: Location::line(&table.path, table.lines[first]),
            message: format!(
                "{off_calendar} rows ignored: {inside} dated on days that are not index trading days, {} outside the index's span {first_trading_day}..{last_trading_day} (first: {})",
                off_calendar - inside,
                dates[first]
            ),
        });
    }
}

/// Shifts `values` `lag` rows later, in place: row `t` then holds what was dated `t - lag`,
/// and the first `lag` rows are NaN.
fn shift_later(values: &mut [f64], lag: usize) {
    let n = values.len();
    let lag = lag.min(n);
    values.copy_within(..n - lag, lag);
    values[..lag].fill(f64::NAN);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_shifts_values_later_and_leaves_nan_in_front() {
        let lagged = |values: &[f64], lag: usize| {
            let mut values = values.to_vec();
            shift_later(&mut values, lag);
            values
        };
        let out = lagged(&[1.0, 2.0, 3.0], 1);
        assert!(out[0].is_nan());
        assert_eq!(&out[1..], &[1.0, 2.0]);
        assert!(lagged(&[1.0], 3)[0].is_nan());
        assert_eq!(lagged(&[1.0, 2.0], 0), vec![1.0, 2.0]);
        let out = lagged(&[1.0, 2.0, 3.0], 2);
        assert!(out[0].is_nan() && out[1].is_nan());
        assert_eq!(out[2], 1.0);
    }

    #[test]
    fn date_bounds_admit_a_history_outside_the_a_share_years() {
        let root = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(root.path().join("raw")).expect("raw dir");
        let rows = "date,open,close,high,low,volume,amount,turn\n\
                    0001-01-01,10,11,12,9,100,1000,0.01\n\
                    0001-01-02,11,12,13,10,100,1000,0.01\n";
        std::fs::write(root.path().join("raw/index.csv"), rows).expect("index file");
        let manifest = |bounds: &str| {
            let text = format!(
                "name = \"old\"\n{bounds}\n[index]\nfile = \"raw/index.csv\"\nformat = \"baostock\"\n"
            );
            Manifest::parse(Path::new("old.toml"), &text).expect("manifest")
        };
        let refused = load(&manifest(""), root.path()).expect_err("year 1 is refused by default");
        assert!(
            refused
                .to_string()
                .contains("date 0001-01-01 is outside 1990-01-01 to")
        );
        let widened = manifest("date_bounds = { from = \"0001-01-01\" }");
        let dataset = load(&widened, root.path()).expect("loads within its bounds");
        assert_eq!(dataset.market.len(), 2);
        assert_eq!(
            dataset.market.dates[0],
            NaiveDate::from_ymd_opt(1, 1, 1).unwrap()
        );
    }

    #[test]
    fn reading_ahead_in_parallel_gives_what_reading_one_file_at_a_time_gives() {
        let datasets = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../datasets"));
        let origin = Origin::Snapshot(datasets.join("snapshot"));
        for name in ["sh000001", "sh000300"] {
            let manifest = Manifest::read(&datasets.join(format!("{name}.toml"))).expect(name);
            let ahead = load_reading_ahead(&manifest, &origin, u64::MAX).expect("loads");
            let one_by_one = load_reading_ahead(&manifest, &origin, 0).expect("loads");
            let findings = |d: &Dataset| d.findings.iter().map(ToString::to_string).collect();
            let findings: [Vec<String>; 2] = [findings(&ahead), findings(&one_by_one)];
            assert!(findings[0].len() > 5, "{name}: {:?}", findings[0]);
            assert_eq!(findings[0], findings[1], "{name}");
            let (a, b) = (&ahead.market, &one_by_one.market);
            assert_eq!(a.dates, b.dates);
            assert_eq!(
                (&a.open_exact, &a.close_exact),
                (&b.open_exact, &b.close_exact)
            );
            assert_eq!(a.coverage, b.coverage);
            for field in Field::ALL {
                let bits = |m: &MarketData| -> Vec<u64> {
                    m.column(field).iter().map(|v| v.to_bits()).collect()
                };
                assert_eq!(bits(a), bits(b), "{name} {}", field.name());
            }
            assert_eq!(a.series_info(), b.series_info());
        }
    }
}
