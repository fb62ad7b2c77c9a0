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

/// Parses a cycle list; ids must be unique and start <= end.
pub fn parse_windows(path: &Path, text: &str) -> Result<Vec<Window>, DataError> {
    let file: CycleFile = parse_toml(path, text)?;
    let fail = |message: String| DataError::Toml {
        path: path.into(),
        message,
    };
    for (i, window) in file.window.iter().enumerate() {
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
    /// The window's trading days in `market`, or an error saying why there are too few to
    /// measure anything (at least two: a starting day and one return).
    pub fn span(&self, market: &MarketData) -> Result<WindowSpan, WindowError> {
        let too_short = || WindowError {
            window: self.id.clone(),
            data: market
                .dates
                .first()
                .zip(market.dates.last())
                .map(|(a, b)| (*a, *b)),
        };
        let first = match self.start {
            Some(date) => market.first_on_or_after(date).ok_or_else(too_short)?,
            None => 0,
        };
        let last = match self.end {
            Some(date) => market.last_on_or_before(date).ok_or_else(too_short)?,
            None => market.len().checked_sub(1).ok_or_else(too_short)?,
        };
        if last <= first {
            return Err(too_short());
        }
        Ok(WindowSpan { first, last })
    }
}

/// A window that has fewer than two trading days in the data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("window {window} has fewer than two trading days in the data (data spans {})", span_text(.data))]
pub struct WindowError {
    /// The window.
    pub window: String,
    /// The data's first and last day.
    pub data: Option<(NaiveDate, NaiveDate)>,
}

fn span_text(data: &Option<(NaiveDate, NaiveDate)>) -> String {
    data.map_or("nothing".into(), |(a, b)| format!("{a}..{b}"))
}
