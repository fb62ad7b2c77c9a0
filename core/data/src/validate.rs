//! Checks every table must pass, and the repairs for vendor quirks seen in real exports.
//!
//! Errors: dates out of order or repeated. Repairs, each reported as a [`Finding`]:
//! - a first row whose fields repeat the second's under an earlier date is a fake duplicate
//!   (CSIndex writes 2015-01-01 as a copy of 2015-01-05): dropped;
//! - rows at the end that repeat every field of the row before them under later dates are a
//!   stale tail (legulegu repeats its 2026-05-28 observation on four later dates): the copies
//!   are dropped and the original kept, because no live series repeats every value on
//!   consecutive days.

use crate::error::{DataError, Finding, Location};
use crate::formats::{Table, line_list};

/// Rejects unsorted or repeated dates and drops the quirk rows described above.
pub(crate) fn check_table(table: &mut Table, findings: &mut Vec<Finding>) -> Result<(), DataError> {
    check_dates(table)?;
    drop_fake_first_row(table, findings);
    drop_stale_tail(table, findings);
    Ok(())
}

pub(crate) fn check_dates(table: &Table) -> Result<(), DataError> {
    for i in 1..table.dates.len() {
        let (before, date) = (table.dates[i - 1], table.dates[i]);
        if date > before {
            continue;
        }
        let location = Location::line(&table.path, table.lines[i]);
        let message = if date == before {
            format!(
                "duplicate date {date} (also on line {}); expected each date once",
                table.lines[i - 1]
            )
        } else {
            format!(
                "date {date} comes after {before} (line {}); expected dates in increasing order",
                table.lines[i - 1]
            )
        };
        return Err(DataError::invalid(location, message));
    }
    Ok(())
}

fn drop_fake_first_row(table: &mut Table, findings: &mut Vec<Finding>) {
    if table.repeats.first_two_equal() {
        findings.push(Finding {
            location: Location::line(&table.path, table.lines[0]),
            message: format!(
                "first row ({}) repeats every value of the next ({}): a fake duplicate, dropped",
                table.dates[0], table.dates[1]
            ),
        });
        table.remove(0);
    }
}

fn drop_stale_tail(table: &mut Table, findings: &mut Vec<Finding>) {
    let n = table.dates.len();
    let start = table.repeats.tail_start();
    if n - start < 2 {
        return;
    }
    let copies = start + 1;
    let lines = table.lines[copies..].to_vec();
    findings.push(Finding {
        location: Location::line(&table.path, lines[0]),
        message: format!(
            "the last {} rows ({} to {}, lines {}) repeat every field of {} (line {}): a stale tail, dropped",
            n - copies,
            table.dates[copies],
            table.dates[n - 1],
            line_list(&lines),
            table.dates[start],
            table.lines[start],
        ),
    });
    for i in (copies..n).rev() {
        table.remove(i);
    }
}
