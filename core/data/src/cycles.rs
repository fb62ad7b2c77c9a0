//! Test windows (`datasets/cycles.toml`): the five bull cycles, each whole cycle (its bull and
//! the bear that followed), each bear alone, the margin era and the full history.
//!
//! A window says which days are traded and measured. Indicators still read everything before
//! it: the engine feeds all history up to each decision day. Windows may belong to a group
//! (`bulls`, `cycles`, `bears`): a user selects windows by id or by group, and reports
//! aggregate each group on its own.

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
    /// The group the window is aggregated with (`bulls`, `cycles`, `bears`), if any.
    pub group: Option<String>,
    /// Where its dates come from.
    #[serde(default)]
    pub source: String,
    /// What the window is.
    #[serde(default)]
    pub note: String,
}

/// A cycle list: its windows and which of them a comparison runs when none are named.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CycleList {
    /// Window ids or group names run by default; absent: every window.
    #[serde(default, rename = "default")]
    default_selection: Option<Vec<String>>,
    /// The windows, in the file's order.
    #[serde(rename = "window")]
    pub windows: Vec<Window>,
}

impl CycleList {
    /// The windows named by `selectors` (window ids or group names), in the file's order; with
    /// no selectors, the file's default selection. An unknown name is an error listing the
    /// known ones.
    pub fn select(&self, selectors: &[String]) -> Result<Vec<&Window>, String> {
        let selectors = match (selectors.is_empty(), &self.default_selection) {
            (true, Some(default)) => default.as_slice(),
            (true, None) => return Ok(self.windows.iter().collect()),
            (false, _) => selectors,
        };
        for name in selectors {
            if !self.names().contains(&name.as_str()) {
                return Err(format!(
                    "unknown window or group \"{name}\"; known: {}",
                    self.names().join(", ")
                ));
            }
        }
        Ok(self
            .windows
            .iter()
            .filter(|w| {
                selectors
                    .iter()
                    .any(|s| *s == w.id || w.group.as_ref() == Some(s))
            })
            .collect())
    }

    /// The window of this id.
    pub fn window(&self, id: &str) -> Option<&Window> {
        self.windows.iter().find(|w| w.id == id)
    }

    /// Group names in order of first appearance, then window ids.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for group in self.windows.iter().filter_map(|w| w.group.as_deref()) {
            if !names.contains(&group) {
                names.push(group);
            }
        }
        names.extend(self.windows.iter().map(|w| w.id.as_str()));
        names
    }
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
    if name.is_empty()
        || name.len() > MAX_NAME_LENGTH
        || !name.chars().all(allowed)
        || name.starts_with('.')
    {
        // A name of any length is quoted at most MAX_NAME_LENGTH characters long.
        let shown = match name.char_indices().nth(MAX_NAME_LENGTH) {
            Some((end, _)) => format!(
                "\"{}...\" ({} characters)",
                &name[..end],
                name.chars().count()
            ),
            None => format!("\"{name}\""),
        };
        return Err(format!(
            "{what} {shown} must be letters, digits, '_', '-' or '.', at most {MAX_NAME_LENGTH} of them and not starting with '.' (it names output folders)"
        ));
    }
    Ok(())
}

/// Longest window id, strategy or sizing name: each names one folder level of a run's files.
pub const MAX_NAME_LENGTH: usize = 64;

/// Parses a cycle list; ids and group names must be unique names (a group may not share a
/// window's id), start <= end, and the default selection must name known windows or groups.
pub fn parse_cycles(path: &Path, text: &str) -> Result<CycleList, DataError> {
    let file: CycleList = parse_toml(path, text)?;
    let fail = |message: String| DataError::Toml {
        path: path.into(),
        message,
    };
    for (i, window) in file.windows.iter().enumerate() {
        check_name("window id", &window.id).map_err(fail)?;
        if file.windows[..i].iter().any(|w| w.id == window.id) {
            return Err(fail(format!("window id \"{}\" appears twice", window.id)));
        }
        if let Some(group) = &window.group {
            check_name("window group", group).map_err(fail)?;
            if file.windows.iter().any(|w| &w.id == group) {
                return Err(fail(format!(
                    "group \"{group}\" of window \"{}\" is also a window id; a name must say one thing",
                    window.id
                )));
            }
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
    if let Some(default) = &file.default_selection {
        file.select(default)
            .map_err(|e| fail(format!("default: {e}")))?;
    }
    Ok(file)
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
