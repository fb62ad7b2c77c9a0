//! Plausibility checks on every table the loader reads, from the exports or the snapshot
//! alike, each with a named threshold and a policy:
//!
//! | check | threshold | policy |
//! |---|---|---|
//! | dates | [`FIRST_PLAUSIBLE_DATE`] to the day after today, or the manifest's `date_bounds` | error: a date outside is a corrupt or mistyped row (0001-01-01 would make the `full` window start in year 1) |
//! | amounts in yuan | at most [`MAX_YUAN`] | error: no A-share figure comes near it; forty 9s are a corrupt cell |
//! | turnover rate | at most [`MAX_TURNOVER`] | error beyond it (a unit mistake: 1e3 is 100,000%); between 100% and it, a finding, value kept |
//! | zeros in a balance | financing balance, margin total and market value are never 0 | the row's figures of that file are read as missing, with a finding |
//! | day-on-day jumps | a level (close, balance, market value) moving by more than [`JUMP_FACTOR`] times in one row | a finding, value kept: real series do this only in their first thin days |
//!
//! "Today" is read from the system clock only as a validity bound: it can turn a file into an
//! error, never change a value or an output.

use chrono::NaiveDate;

use crate::error::{DataError, Finding, Location};
use crate::formats::{Table, line_list};
use crate::market::Field;

/// Earliest date accepted: the Shanghai exchange opened on 1990-12-19.
pub const FIRST_PLAUSIBLE_DATE: NaiveDate = NaiveDate::from_ymd_opt(1990, 1, 1).unwrap();
/// Largest amount in yuan accepted (10^15): the whole A-share market is worth about 10^14.
pub const MAX_YUAN: f64 = 1e15;
/// Largest turnover rate accepted as a fraction (100 = 10,000% of the float in a day): the
/// shipped Shanghai file reaches 24 in 1991, when a handful of shares floated.
pub const MAX_TURNOVER: f64 = 100.0;
/// A level moving by more than this factor (up or down) from one row to the next is doubted.
/// The largest daily move of a shipped index is x2.05 (Shanghai, 1992-05-21, when price
/// limits were lifted).
pub const JUMP_FACTOR: f64 = 3.0;

const MONEY: [Field; 6] = [
    Field::Amount,
    Field::FinancingBalance,
    Field::FinancingBuy,
    Field::LendingBalance,
    Field::MarginTotal,
    Field::MarketCap,
];
const NEVER_ZERO: [Field; 3] = [
    Field::FinancingBalance,
    Field::MarginTotal,
    Field::MarketCap,
];
const LEVELS: [Field; 4] = [
    Field::Close,
    Field::FinancingBalance,
    Field::MarginTotal,
    Field::MarketCap,
];

/// Checks `table` as the table above says, repairing zeros and reporting what it doubts.
/// `dates` are the first and last date accepted.
pub(crate) fn check(
    table: &mut Table,
    dates: (NaiveDate, NaiveDate),
    findings: &mut Vec<Finding>,
) -> Result<(), DataError> {
    check_dates(table, dates)?;
    check_ranges(table, findings)?;
    blank_zero_rows(table, findings);
    report_jumps(table, findings);
    Ok(())
}

/// Today's date from the system clock (UTC), for the date bound only.
pub(crate) fn today() -> NaiveDate {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|epoch| epoch.checked_add_days(chrono::Days::new(days)))
        .unwrap_or(NaiveDate::MAX)
}

fn check_dates(table: &Table, (first, last): (NaiveDate, NaiveDate)) -> Result<(), DataError> {
    let bad = table.dates.iter().position(|d| *d < first || *d > last);
    match bad {
        Some(i) => Err(DataError::invalid(
            Location::line(&table.path, table.lines[i]),
            format!(
                "date {} is outside {first} to {last} (by default {FIRST_PLAUSIBLE_DATE} to the day after today; a manifest's date_bounds can widen them); expected a date of the A-share market",
                table.dates[i]
            ),
        )),
        None => Ok(()),
    }
}

fn check_ranges(table: &Table, findings: &mut Vec<Finding>) -> Result<(), DataError> {
    for (f, field) in table.fields.iter().enumerate() {
        let limit = if MONEY.contains(field) {
            MAX_YUAN
        } else if *field == Field::Turnover {
            MAX_TURNOVER
        } else {
            continue;
        };
        let column = &table.columns[f];
        if let Some((i, &value)) = column.iter().enumerate().find(|(_, v)| **v > limit) {
            return Err(DataError::invalid(
                Location::line(&table.path, table.lines[i]),
                format!(
                    "{} {value:e} on {} is above {limit:e}, more than any real figure; expected the export's units (a corrupt cell?)",
                    field.name(),
                    table.dates[i]
                ),
            ));
        }
        if *field == Field::Turnover {
            let high: Vec<u64> = (column.iter().zip(&table.lines))
                .filter(|(value, _)| **value > 1.0)
                .map(|(_, line)| *line)
                .collect();
            if !high.is_empty() {
                findings.push(Finding {
                    location: Location::file(&table.path),
                    message: format!(
                        "turnover above 100% of the float in a day on {} rows (lines {}); kept, but doubted",
                        high.len(),
                        line_list(&high)
                    ),
                });
            }
        }
    }
    Ok(())
}

fn blank_zero_rows(table: &mut Table, findings: &mut Vec<Finding>) {
    let checked: Vec<usize> = (0..table.fields.len())
        .filter(|&f| NEVER_ZERO.contains(&table.fields[f]))
        .collect();
    if checked.is_empty() {
        return;
    }
    let mut blanked = Vec::new();
    for i in 0..table.dates.len() {
        if checked.iter().any(|&f| table.columns[f][i] == 0.0) {
            for column in &mut table.columns {
                column[i] = f64::NAN;
            }
            blanked.push(i);
        }
    }
    if let Some(&first) = blanked.first() {
        let lines: Vec<u64> = blanked.iter().map(|&i| table.lines[i]).collect();
        findings.push(Finding {
            location: Location::line(&table.path, table.lines[first]),
            message: format!(
                "a balance or market value of 0 on {} rows (first {}, lines {}): never 0 in a live market; the rows' figures are read as missing",
                blanked.len(),
                table.dates[first],
                line_list(&lines)
            ),
        });
    }
}

fn report_jumps(table: &Table, findings: &mut Vec<Finding>) {
    for (f, field) in table.fields.iter().enumerate() {
        if !LEVELS.contains(field) {
            continue;
        }
        let mut jumps = Vec::new();
        let mut before: Option<f64> = None;
        for (i, &value) in table.columns[f].iter().enumerate() {
            if value.is_nan() || value <= 0.0 {
                continue;
            }
            if let Some(b) = before {
                let ratio = value / b;
                if !(1.0 / JUMP_FACTOR..=JUMP_FACTOR).contains(&ratio) {
                    jumps.push(i);
                }
            }
            before = Some(value);
        }
        if let Some(&first) = jumps.first() {
            let lines: Vec<u64> = jumps.iter().map(|&i| table.lines[i]).collect();
            findings.push(Finding {
                location: Location::line(&table.path, table.lines[first]),
                message: format!(
                    "{} moves by more than {JUMP_FACTOR}x from one row to the next on {} rows (first {}, lines {}); kept, but doubted",
                    field.name(),
                    jumps.len(),
                    table.dates[first],
                    line_list(&lines)
                ),
            });
        }
    }
}
