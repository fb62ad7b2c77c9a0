//! Loading a manifest's files and joining them onto the index calendar.
//!
//! Order of work for each series: read each file in its format ([`crate::formats`]), check and
//! repair it ([`crate::validate`]), align it to the calendar (exact or as-of), sum the sources,
//! switch to the splice sources from the splice date, then shift by the publication lag. The lag
//! comes last so that coverage is reported in the dates the vendor used.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::error::{DataError, Finding, Location};
use crate::formats::Table;
use crate::manifest::{DEFAULT_MAX_AGE_DAYS, Join, Limits, Manifest, SeriesSpec, Source};
use crate::market::{Field, MarketData, SeriesCoverage, SeriesInfo};
use crate::snapshot::{Origin, Reading};

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
    let mut findings = Vec::new();
    let limits = manifest.limits();
    let index = read_source(&manifest.index, origin, limits, &mut findings)?;
    if index.exact.is_empty() {
        return Err(DataError::invalid(
            Location::file(&index.path),
            format!(
                "format {} has no price bars; the index needs baostock or csindex",
                manifest.index.format.name()
            ),
        ));
    }
    let calendar = index.dates.clone();
    let mut columns: Vec<Vec<f64>> = vec![vec![f64::NAN; calendar.len()]; Field::COUNT];
    for (i, field) in index.fields.iter().enumerate() {
        columns[*field as usize] = index.values.iter().map(|row| row[i]).collect();
    }
    let mut coverage = vec![SeriesCoverage {
        series: "index".into(),
        sources: vec![describe(&index)],
        span: Some((calendar[0], calendar[calendar.len() - 1])),
        rows: calendar.len(),
        missing_days: 0,
        lag_days: 0,
    }];

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
        let joined = join_series(name, spec, fields, &calendar, origin, limits, &mut findings)?;
        let lag = spec.lag_days.unwrap_or(default_lag);
        coverage.push(SeriesCoverage {
            series: name.into(),
            sources: joined.sources,
            span: joined.span,
            rows: joined.rows,
            missing_days: joined.missing_days,
            lag_days: lag,
        });
        for (field, values) in fields.iter().zip(joined.columns) {
            columns[*field as usize] = lagged(&values, lag);
        }
    }

    let mut named = Vec::new();
    for spec in &manifest.series {
        let reading = std::iter::once(Reading::Named(spec));
        if let Some(why) = absent_optional(spec.optional, reading, &spec.name, origin) {
            leave_out(&spec.name, why, &mut coverage, &mut findings, &mut absent);
            continue;
        }
        let table = checked(origin.read(Reading::Named(spec), limits, &mut findings)?)?;
        let max_age = spec.max_age_days.unwrap_or(DEFAULT_MAX_AGE_DAYS);
        let rows = align(&table, spec.join, max_age, &calendar, &mut findings);
        let values: Vec<f64> = rows
            .iter()
            .map(|row| row.map_or(f64::NAN, |r| table.values[r][0]))
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
        named.push((info, lagged(&values, spec.lag_days)));
    }

    let (open_exact, close_exact) = index.exact.into_iter().unzip();
    let market = MarketData::from_columns(
        manifest.name.clone(),
        calendar,
        columns,
        open_exact,
        close_exact,
        coverage,
    );
    let market = named
        .into_iter()
        .fold(market, |market, (info, values)| {
            market.with_series(info, values)
        })
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

fn read_source(
    source: &Source,
    origin: &Origin,
    limits: Limits,
    findings: &mut Vec<Finding>,
) -> Result<Table, DataError> {
    checked(origin.read(Reading::Source(source), limits, findings)?)
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
        let present: Vec<usize> = (0..calendar.len())
            .filter(|&t| !column[t].is_nan())
            .collect();
        let ends = present.first().zip(present.last());
        Presence {
            span: ends.map(|(&a, &b)| (calendar[a], calendar[b])),
            rows: present.len(),
            missing_days: ends.map_or(0, |(&a, &b)| b - a + 1 - present.len()),
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
    origin: &Origin,
    limits: Limits,
    findings: &mut Vec<Finding>,
) -> Result<Joined, DataError> {
    let joiner = SourceJoin {
        series: name,
        join: spec.join,
        max_age_days: spec.max_age_days.unwrap_or(DEFAULT_MAX_AGE_DAYS),
        fields,
        calendar,
        origin,
        limits,
    };
    let mut sources = Vec::new();
    let mut columns = joiner.sum(&spec.sources, findings, &mut sources)?;
    if let Some(splice) = &spec.splice {
        let after = joiner.sum(&splice.sources, findings, &mut sources)?;
        let from = calendar.partition_point(|d| *d < splice.from);
        if let Some(t) =
            (from..calendar.len()).find(|&t| !columns[0][t].is_nan() && !after[0][t].is_nan())
        {
            let (before_value, after_value) = (columns[0][t], after[0][t]);
            findings.push(Finding {
                location: Location::file(&origin.path(Reading::Source(&splice.sources[0]))),
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
            column[from..].copy_from_slice(&replacement[from..]);
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
    origin: &'a Origin,
    /// What each file is held to.
    limits: Limits,
}

impl SourceJoin<'_> {
    /// Reads `sources`, aligns each to the calendar and sums them day by day (NaN if any is
    /// missing that day). Appends a description of each file to `described`.
    fn sum(
        &self,
        sources: &[Source],
        findings: &mut Vec<Finding>,
        described: &mut Vec<String>,
    ) -> Result<Vec<Vec<f64>>, DataError> {
        let (fields, calendar, name) = (self.fields, self.calendar, self.series);
        let mut sum = vec![vec![0.0; calendar.len()]; fields.len()];
        for source in sources {
            let table = read_source(source, self.origin, self.limits, findings)?;
            described.push(describe(&table));
            let rows = align(&table, self.join, self.max_age_days, calendar, findings);
            for (field, total) in fields.iter().zip(sum.iter_mut()) {
                let values = table.field(*field).ok_or_else(|| {
                    DataError::invalid(
                        Location::file(&table.path),
                        format!(
                            "format {} has no {} column; the {name} series needs one",
                            source.format.name(),
                            field.name()
                        ),
                    )
                })?;
                for (t, row) in rows.iter().enumerate() {
                    total[t] += row.map_or(f64::NAN, |r| values[r]);
                }
            }
        }
        Ok(sum)
    }
}

/// For each calendar day, the table row that gives its value under `join`.
fn align(
    table: &Table,
    join: Join,
    max_age_days: i64,
    calendar: &[NaiveDate],
    findings: &mut Vec<Finding>,
) -> Vec<Option<usize>> {
    match join {
        Join::Exact => align_exact(table, calendar, findings),
        Join::Asof => align_asof(table, calendar, max_age_days),
    }
}

/// For each calendar day, the table row dated that day. Rows on other days are reported.
fn align_exact(
    table: &Table,
    calendar: &[NaiveDate],
    findings: &mut Vec<Finding>,
) -> Vec<Option<usize>> {
    let mut rows = vec![None; calendar.len()];
    let mut off_calendar = Vec::new();
    for (r, date) in table.dates.iter().enumerate() {
        match calendar.binary_search(date) {
            Ok(t) => rows[t] = Some(r),
            Err(_) => off_calendar.push(r),
        }
    }
    let (first_day, last_day) = (table.dates[0], table.dates[table.dates.len() - 1]);
    let gaps: Vec<NaiveDate> = calendar
        .iter()
        .zip(&rows)
        .filter(|(day, row)| row.is_none() && **day >= first_day && **day <= last_day)
        .map(|(day, _)| *day)
        .collect();
    if !gaps.is_empty() {
        let shown: Vec<String> = gaps.iter().take(10).map(NaiveDate::to_string).collect();
        findings.push(Finding {
            location: Location::file(&table.path),
            message: format!(
                "{} index trading days between {first_day} and {last_day} have no row (left missing): {}{}",
                gaps.len(),
                shown.join(", "),
                if gaps.len() > 10 { ", ..." } else { "" }
            ),
        });
    }
    if let Some(&first) = off_calendar.first() {
        let (inside, outside): (Vec<usize>, Vec<usize>) = off_calendar.iter().partition(|&&r| {
            table.dates[r] >= calendar[0] && table.dates[r] <= calendar[calendar.len() - 1]
        });
        findings.push(Finding {
            location: Location::line(&table.path, table.lines[first]),
            message: format!(
                "{} rows ignored: {} dated on days that are not index trading days, {} outside the index's span {}..{} (first: {})",
                off_calendar.len(),
                inside.len(),
                outside.len(),
                calendar[0],
                calendar[calendar.len() - 1],
                table.dates[first]
            ),
        });
    }
    rows
}

/// For each calendar day, the latest table row dated on or before it and at most
/// `max_age_days` calendar days older.
fn align_asof(table: &Table, calendar: &[NaiveDate], max_age_days: i64) -> Vec<Option<usize>> {
    calendar
        .iter()
        .map(|day| {
            let r = table.dates.partition_point(|d| d <= day).checked_sub(1)?;
            ((*day - table.dates[r]).num_days() <= max_age_days).then_some(r)
        })
        .collect()
}

/// `values` shifted `lag` rows later: row `t` holds what was dated `t - lag`.
fn lagged(values: &[f64], lag: usize) -> Vec<f64> {
    let n = values.len();
    let mut out = vec![f64::NAN; n];
    if lag < n {
        out[lag..].copy_from_slice(&values[..n - lag]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_shifts_values_later_and_leaves_nan_in_front() {
        let out = lagged(&[1.0, 2.0, 3.0], 1);
        assert!(out[0].is_nan());
        assert_eq!(&out[1..], &[1.0, 2.0]);
        assert!(lagged(&[1.0], 3)[0].is_nan());
        assert_eq!(lagged(&[1.0, 2.0], 0), vec![1.0, 2.0]);
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
}
