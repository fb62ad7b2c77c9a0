//! Dataset manifests: which files make up a dataset, in which formats, and how each series is
//! joined onto the index calendar. Manifests live in the project's `datasets/` folder; the file
//! paths inside them are relative to a data root chosen at run time.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Deserialize;

use crate::error::DataError;
use crate::formats::Format;
use crate::market::Field;
use crate::plausible::FIRST_PLAUSIBLE_DATE;

/// A dataset manifest (`datasets/<name>.toml`). Unknown keys are errors.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Dataset name, used in reports.
    pub name: String,
    /// Other names the dataset answers to (`csi300` for `sh000300`).
    #[serde(default)]
    pub aliases: Vec<String>,
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
    /// Further numeric series declared by name (`[[series]]`), read by signals and plugins by
    /// that name.
    #[serde(default)]
    pub series: Vec<NamedSeriesSpec>,
    /// Largest file the dataset reads, in MiB (default 256): a cap on memory whatever a path
    /// points at.
    pub max_file_mb: Option<u64>,
    /// The dates the dataset's files may hold (default [`FIRST_PLAUSIBLE_DATE`] to the day
    /// after today): a date outside is a corrupt or mistyped row. Widened only for a history
    /// that is not the A-share market's, such as a synthetic one.
    pub date_bounds: Option<DateBounds>,
}

/// The first and last date a manifest's files may hold; either may be left at its default.
/// Unknown keys are errors.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DateBounds {
    /// Earliest date accepted; [`FIRST_PLAUSIBLE_DATE`] by default.
    pub from: Option<NaiveDate>,
    /// Latest date accepted; the day after today by default.
    pub to: Option<NaiveDate>,
}

/// A user-declared series: one numeric column of any CSV file, dated by another column, with
/// its unit, publication lag and join policy. Unknown keys are errors.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedSeriesSpec {
    /// The name signals and plugins ask for (`requires = ["maintenance_ratio"]`): lower-case
    /// ASCII letters, digits and `_`, starting with a letter, and not the name of a built-in
    /// field.
    pub name: String,
    /// What the series is, for people and reports.
    #[serde(default)]
    pub description: String,
    /// Path relative to the data root.
    pub file: PathBuf,
    /// Header of the date column (`YYYY-MM-DD`); `date` by default.
    #[serde(default = "default_date_column")]
    pub date_column: String,
    /// Header of the value column. Empty cells are missing values, listed as a finding.
    pub column: String,
    /// Unit of the numbers in the file; money is converted to yuan and percents to fractions.
    pub unit: Unit,
    /// Trading days between a value's date and the first decision that may use it; 0 by
    /// default (known at the close of its date).
    #[serde(default)]
    pub lag_days: usize,
    /// Join policy; `exact` by default.
    #[serde(default)]
    pub join: Join,
    /// Oldest value, in calendar days, that an `asof` join carries forward.
    pub max_age_days: Option<i64>,
    /// When true, a missing file leaves the series out (with a finding) instead of failing
    /// the dataset: runs whose signals need it are n/a, every other run is unaffected.
    #[serde(default)]
    pub optional: bool,
}

fn default_date_column() -> String {
    "date".into()
}

/// Unit of a user-declared series as written in its file. The loader stores money in yuan and
/// percents as fractions, like the built-in fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Yuan.
    Yuan,
    /// 万元 (1e4 yuan), stored in yuan.
    WanYuan,
    /// 亿元 (1e8 yuan), stored in yuan.
    YiYuan,
    /// Percent, stored as a fraction (275.8 becomes 2.758).
    Percent,
    /// A fraction (0.5 = 50%).
    Fraction,
    /// A ratio of two amounts.
    Ratio,
    /// Index points.
    Points,
    /// Shares.
    Shares,
    /// A plain number (a count, a score, an index without unit).
    Number,
}

impl Unit {
    /// The name used in manifests.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Yuan => "yuan",
            Unit::WanYuan => "wan_yuan",
            Unit::YiYuan => "yi_yuan",
            Unit::Percent => "percent",
            Unit::Fraction => "fraction",
            Unit::Ratio => "ratio",
            Unit::Points => "points",
            Unit::Shares => "shares",
            Unit::Number => "number",
        }
    }

    /// Factor from the file's numbers to the stored values.
    pub fn scale(self) -> f64 {
        match self {
            Unit::WanYuan => 1e4,
            Unit::YiYuan => 1e8,
            Unit::Percent => 0.01,
            _ => 1.0,
        }
    }

    /// The unit of the stored values.
    pub fn stored(self) -> &'static str {
        match self {
            Unit::Yuan | Unit::WanYuan | Unit::YiYuan => "yuan",
            Unit::Percent | Unit::Fraction => "fraction",
            other => other.name(),
        }
    }
}

/// What a manifest's files are held to: their size, and the dates their rows may carry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Largest file, in bytes.
    pub bytes: u64,
    /// First and last date accepted.
    pub dates: (NaiveDate, NaiveDate),
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
    /// The dates on which `drop` or `repair` applies (the bars known to be inconsistent); an
    /// inconsistent bar on any other date is still an error.
    #[serde(default)]
    pub bad_bar_dates: Vec<NaiveDate>,
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
    /// Keep the row, widening high and low to cover open and close, with a finding naming
    /// file, line and the change: the history keeps every trading day, as backtesting.py and
    /// vectorbt do.
    Repair,
}

impl BadBars {
    /// The name used in manifests.
    pub fn name(self) -> &'static str {
        match self {
            BadBars::Error => "error",
            BadBars::Drop => "drop",
            BadBars::Repair => "repair",
        }
    }
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
    /// When true, a missing file leaves the series out (with a finding) instead of failing
    /// the dataset: runs whose signals need it are n/a, every other run is unaffected.
    #[serde(default)]
    pub optional: bool,
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
    /// The input size cap in bytes: `max_file_mb`, else
    /// [`DEFAULT_MAX_FILE_BYTES`](crate::csvfile::DEFAULT_MAX_FILE_BYTES).
    pub fn max_file_bytes(&self) -> u64 {
        self.max_file_mb
            .map_or(crate::csvfile::DEFAULT_MAX_FILE_BYTES, |mb| {
                mb.saturating_mul(1 << 20)
            })
    }

    /// What every file of this manifest is held to, with today's date from the system clock.
    pub(crate) fn limits(&self) -> Limits {
        Limits {
            bytes: self.max_file_bytes(),
            dates: self.date_range(crate::plausible::today()),
        }
    }

    /// The first and last date the files may hold: `date_bounds`, else
    /// [`FIRST_PLAUSIBLE_DATE`] and the day after `today`.
    fn date_range(&self, today: NaiveDate) -> (NaiveDate, NaiveDate) {
        let bounds = self.date_bounds.unwrap_or(DateBounds {
            from: None,
            to: None,
        });
        let tomorrow = today.succ_opt().unwrap_or(today);
        (
            bounds.from.unwrap_or(FIRST_PLAUSIBLE_DATE),
            bounds.to.unwrap_or(tomorrow),
        )
    }

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
            if sources
                .into_iter()
                .any(|s| s.bad_bars.is_some() || !s.bad_bar_dates.is_empty())
            {
                return Err(fail(format!(
                    "[{name}] bad_bars and bad_bar_dates apply only to [index]"
                )));
            }
            check_join(
                &format!("[{name}]"),
                spec.lag_days,
                spec.join,
                spec.max_age_days,
            )
            .map_err(fail)?;
            let splice_sources = spec.splice.iter().map(|s| s.sources.len());
            if spec.sources.is_empty() || splice_sources.clone().any(|n| n == 0) {
                return Err(fail(format!(
                    "[{name}] `sources` is empty; expected at least one file"
                )));
            }
        }
        if let Some(DateBounds {
            from: Some(from),
            to: Some(to),
        }) = manifest.date_bounds
            && from > to
        {
            return Err(fail(format!(
                "date_bounds: from {from} is after to {to}; expected from <= to"
            )));
        }
        let index = &manifest.index;
        match (
            index.bad_bars.unwrap_or_default(),
            index.bad_bar_dates.is_empty(),
        ) {
            (BadBars::Error, false) => {
                return Err(fail(
                    "[index] bad_bar_dates needs bad_bars = \"drop\" or \"repair\"".into(),
                ));
            }
            (BadBars::Drop | BadBars::Repair, true) => {
                return Err(fail(
                    "[index] bad_bars = \"drop\" or \"repair\" needs bad_bar_dates: the dates of the bars known to be inconsistent".into(),
                ));
            }
            _ => {}
        }
        for (i, named) in manifest.series.iter().enumerate() {
            let name = &named.name;
            let label = format!("[[series]] \"{name}\"");
            check_series_name(name)
                .map_err(|why| fail(format!("[[series]] name \"{name}\": {why}")))?;
            if manifest.series[..i].iter().any(|s| s.name == *name) {
                return Err(fail(format!("{label} is declared twice")));
            }
            check_join(&label, Some(named.lag_days), named.join, named.max_age_days)
                .map_err(fail)?;
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

/// Checks the lag and join settings of one series; `label` names it in the message.
fn check_join(
    label: &str,
    lag_days: Option<usize>,
    join: Join,
    max_age_days: Option<i64>,
) -> Result<(), String> {
    if lag_days.is_some_and(|lag| lag > MAX_LAG_DAYS) {
        return Err(format!(
            "{label} lag_days is at most {MAX_LAG_DAYS} (a trading year)"
        ));
    }
    if max_age_days.is_some_and(|age| !(0..=MAX_AGE_LIMIT_DAYS).contains(&age)) {
        return Err(format!(
            "{label} max_age_days must be between 0 and {MAX_AGE_LIMIT_DAYS}"
        ));
    }
    if join == Join::Exact && max_age_days.is_some() {
        return Err(format!(
            "{label} max_age_days applies only to join = \"asof\""
        ));
    }
    Ok(())
}

/// A series name: what a plugin writes in `requires`, so plain and unambiguous.
fn check_series_name(name: &str) -> Result<(), &'static str> {
    let mut chars = name.chars();
    if !chars.next().is_some_and(|c| c.is_ascii_lowercase()) {
        return Err("expected a name starting with a lower-case ASCII letter");
    }
    if !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        return Err("expected only lower-case ASCII letters, digits and _");
    }
    if name.len() > MAX_SERIES_NAME_LEN {
        return Err("expected at most 64 characters");
    }
    if Field::ALL.iter().any(|f| f.name() == name) {
        return Err("that is the name of a built-in field; choose another");
    }
    Ok(())
}

/// Longest series name accepted.
pub const MAX_SERIES_NAME_LEN: usize = 64;

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
