//! Test windows: the five bull cycles and the full history (`datasets/cycles.toml`).
//!
//! A window says which days are traded and measured. Indicators still read everything before
//! it: the engine feeds all history up to each decision day.

use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::error::DataError;
use crate::manifest::parse_toml;
use crate::market::MarketData;

/// A named span of calendar dates. Without `start` and `end` it covers all available history.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// Short name used in reports and file names (`bull3`).
    pub id: String,
    /// First calendar day (the cycle's trough), inclusive. None: the data's first day.
    pub start: Option<NaiveDate>,
    /// Last calendar day (the cycle's peak), inclusive. None: the data's last day.
    pub end: Option<NaiveDate>,
    /// What the window is.
    #[serde(default)]
    pub note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CycleFile {
    window: Vec<Window>,
}

/// The trading days of a window in one dataset, as indices into its calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowSpan {
    /// First trading day on or after the window's start.
    pub first: usize,
    /// Last trading day on or before the window's end.
    pub last: usize,
}

impl WindowSpan {
    /// Trading days in the window.
    pub fn days(&self) -> usize {
        self.last - self.first + 1
    }
}

/// Names become file names and CSV fields: letters, digits, `_`, `-` and `.` only.
pub fn check_name(what: &str, name: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    if name.is_empty() || !name.chars().all(allowed) || name.starts_with('.') {
        return Err(format!(
            "{what} \"{name}\" must be letters, digits, '_', '-' or '.' (it names output files)"
        ));
    }
    Ok(())
}

/// Parses a cycle list; ids must be unique names and start <= end.
pub fn parse_windows(path: &Path, text: &str) -> Result<Vec<Window>, DataError> {
    let file: CycleFile = parse_toml(path, text)?;
    let fail = |message: String| DataError::Toml {
        path: path.into(),
        message,
    };
    for (i, window) in file.window.iter().enumerate() {
        check_name("window id", &window.id).map_err(fail)?;
        if file.window[..i].iter().any(|w| w.id == window.id) {
            return Err(fail(format!("window id \"{}\" appears twice", window.id)));
        }
        if let (Some(start), Some(end)) = (window.start, window.end)
            && start > end
        {
            return Err(fail(format!(
                "window \"{}\": start {start} is after end {end}",
                window.id
            )));
        }
    }
    Ok(file.window)
}

impl Window {
    /// The window's trading days in `market`. The data must cover the whole window: a window
    /// that starts before the data's first day or ends after its last is refused rather than
    /// silently shortened, and so is one with fewer than two trading days (a starting day and
    /// one return).
    pub fn span(&self, market: &MarketData) -> Result<WindowSpan, WindowError> {
        let fail = |reason: String| WindowError {
            window: self.id.clone(),
            reason,
        };
        let (Some(&data_first), Some(&data_last)) = (market.dates.first(), market.dates.last())
        else {
            return Err(fail("the data has no trading days".into()));
        };
        if let Some(start) = self.start
            && start < data_first
        {
            return Err(fail(format!(
                "it starts {start}, before the data's first day {data_first}"
            )));
        }
        if let Some(end) = self.end
            && end > data_last
        {
            return Err(fail(format!(
                "it ends {end}, after the data's last day {data_last}"
            )));
        }
        let first = self
            .start
            .and_then(|d| market.first_on_or_after(d))
            .unwrap_or(0);
        let last = self
            .end
            .and_then(|d| market.last_on_or_before(d))
            .unwrap_or(market.len() - 1);
        if last <= first {
            return Err(fail(
                "it has fewer than two trading days in the data".into(),
            ));
        }
        Ok(WindowSpan { first, last })
    }
}

/// A window the data does not cover.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("window {window} is not covered by the data: {reason}")]
pub struct WindowError {
    /// The window.
    pub window: String,
    /// Why.
    pub reason: String,
}
