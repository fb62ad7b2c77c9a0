//! Dataset manifests: which files make up a dataset, in which formats, and how each series is
//! joined onto the index calendar. Manifests live in the project's `datasets/` folder; the file
//! paths inside them are relative to a data root chosen at run time.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Deserialize;

use crate::error::DataError;
use crate::formats::Format;

/// A dataset manifest (`datasets/<name>.toml`). Unknown keys are errors.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Dataset name, used in reports.
    pub name: String,
    /// What the dataset is, for people.
    #[serde(default)]
    pub description: String,
    /// The index bars: they define the trading calendar.
    pub index: Source,
    /// Market-wide margin financing, summed over its sources.
    pub margin: Option<SeriesSpec>,
    /// Valuation.
    pub pe: Option<SeriesSpec>,
    /// Market capitalisation, for leverage gauges.
    pub market_cap: Option<SeriesSpec>,
}

/// One input file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Path relative to the data root.
    pub file: PathBuf,
    /// Import format.
    pub format: Format,
    /// Value column, for formats with several candidates (legulegu PE).
    pub column: Option<String>,
    /// What to do with an index bar whose high or low contradicts its open and close. Only
    /// for `[index]`; `error` by default.
    pub bad_bars: Option<BadBars>,
}

/// Policy for index bars that break `low <= min(open, close) <= max(open, close) <= high`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BadBars {
    /// Reject the file, naming the line (default).
    #[default]
    Error,
    /// Drop the row from the calendar, with a finding naming file and line. For old history
    /// known to be inconsistent (the Shanghai Composite has 18 such rows in 1991-1996).
    Drop,
}

/// How a day of the index calendar gets a value from a series.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Join {
    /// Only a row dated that very day counts; a trading day without one is missing (NaN).
    /// Daily series. Rows on days that are not index trading days are ignored, with a finding.
    #[default]
    Exact,
    /// The latest row dated on or before the day, if at most `max_age_days` calendar days old.
    /// Lower-frequency series such as a month-end PE.
    Asof,
}

/// Default `max_age_days` for an as-of join: a month-end value stays usable through the next
/// month-end, allowing for a long holiday.
pub const DEFAULT_MAX_AGE_DAYS: i64 = 45;

/// Largest publication lag accepted, in trading days.
pub const MAX_LAG_DAYS: usize = 250;
/// Largest `max_age_days` accepted: ten years of calendar days.
pub const MAX_AGE_LIMIT_DAYS: i64 = 3660;

/// A series built from one or more files, summed day by day (Shanghai + Shenzhen).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesSpec {
    /// Trading days between a value's date and the first decision that may use it. Margin
    /// figures for day T are published before the open of T+1, so their default is 1; other
    /// series default to 0 (known at the close of their date).
    pub lag_days: Option<usize>,
    /// Join policy; `exact` by default.
    #[serde(default)]
    pub join: Join,
    /// Oldest value, in calendar days, that an `asof` join carries forward.
    pub max_age_days: Option<i64>,
    /// Files summed for each day. A day is missing if any of them is missing.
    pub sources: Vec<Source>,
    /// From a date on, take the series from other files instead.
    pub splice: Option<Splice>,
}

/// Switch to other sources from a date on (exchange files before 2012-09-27, the market total
/// after it).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Splice {
    /// First day taken from `sources` (YYYY-MM-DD).
    pub from: NaiveDate,
    /// Files summed for each day from `from` on.
    pub sources: Vec<Source>,
}

impl Manifest {
    /// Parses a manifest; `path` is only used in error messages.
    pub fn parse(path: &Path, text: &str) -> Result<Manifest, DataError> {
        let manifest: Manifest = parse_toml(path, text)?;
        let fail = |message: String| DataError::Toml {
            path: path.into(),
            message,
        };
        let series = [
            ("margin", &manifest.margin),
            ("pe", &manifest.pe),
            ("market_cap", &manifest.market_cap),
        ];
        for (name, spec) in series {
            let Some(spec) = spec else { continue };
            let sources = spec
                .sources
                .iter()
                .chain(spec.splice.iter().flat_map(|s| &s.sources));
            if sources.into_iter().any(|s| s.bad_bars.is_some()) {
                return Err(fail(format!("[{name}] bad_bars applies only to [index]")));
            }
            if spec.lag_days.is_some_and(|lag| lag > MAX_LAG_DAYS) {
                return Err(fail(format!(
                    "[{name}] lag_days is at most {MAX_LAG_DAYS} (a trading year)"
                )));
            }
            if spec
                .max_age_days
                .is_some_and(|age| !(0..=MAX_AGE_LIMIT_DAYS).contains(&age))
            {
                return Err(fail(format!(
                    "[{name}] max_age_days must be between 0 and {MAX_AGE_LIMIT_DAYS}"
                )));
            }
            if spec.join == Join::Exact && spec.max_age_days.is_some() {
                return Err(fail(format!(
                    "[{name}] max_age_days applies only to join = \"asof\""
                )));
            }
            let splice_sources = spec.splice.iter().map(|s| s.sources.len());
            if spec.sources.is_empty() || splice_sources.clone().any(|n| n == 0) {
                return Err(fail(format!(
                    "[{name}] `sources` is empty; expected at least one file"
                )));
            }
        }
        Ok(manifest)
    }

    /// Reads and parses a manifest file.
    pub fn read(path: &Path) -> Result<Manifest, DataError> {
        let text = std::fs::read_to_string(path).map_err(|source| DataError::Io {
            path: path.into(),
            source,
        })?;
        Self::parse(path, &text)
    }
}

/// Parses any of the data layer's TOML files, turning the parser's error (which shows line,
/// column and the offending text) into a [`DataError::Toml`].
pub(crate) fn parse_toml<T: serde::de::DeserializeOwned>(
    path: &Path,
    text: &str,
) -> Result<T, DataError> {
    toml::from_str(text).map_err(|e| DataError::Toml {
        path: path.into(),
        message: e.to_string(),
    })
}
