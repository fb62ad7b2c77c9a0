//! The joined, validated market history that the engine walks and signals read.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

/// A daily observable. Every field is a column of `f64` on the index calendar, NaN where the
/// value is missing or not yet published. Prices are index points, money amounts are yuan,
/// turnover is a fraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// Opening level.
    Open,
    /// Highest level.
    High,
    /// Lowest level.
    Low,
    /// Closing level.
    Close,
    /// Shares traded.
    Volume,
    /// Turnover in yuan (成交额).
    Amount,
    /// Turnover rate as a fraction (0.0239 = 2.39%).
    Turnover,
    /// Financing balance in yuan (融资余额).
    FinancingBalance,
    /// Financing purchases in yuan (融资买入额).
    FinancingBuy,
    /// Securities-lending balance in yuan (融券余额).
    LendingBalance,
    /// Financing plus lending balance in yuan (融资融券余额).
    MarginTotal,
    /// Price-earnings ratio of the valuation series named in the manifest.
    Pe,
    /// Market capitalisation in yuan (市价总值), summed over the exchanges named.
    MarketCap,
}

impl Field {
    /// Number of fields.
    pub const COUNT: usize = 13;

    /// All fields, in column order.
    pub const ALL: [Field; Field::COUNT] = [
        Field::Open,
        Field::High,
        Field::Low,
        Field::Close,
        Field::Volume,
        Field::Amount,
        Field::Turnover,
        Field::FinancingBalance,
        Field::FinancingBuy,
        Field::LendingBalance,
        Field::MarginTotal,
        Field::Pe,
        Field::MarketCap,
    ];

    /// The manifest section (`index`, `margin`, `pe`, `market_cap`) this field comes from.
    pub fn series(self) -> &'static str {
        match self {
            Field::FinancingBalance
            | Field::FinancingBuy
            | Field::LendingBalance
            | Field::MarginTotal => "margin",
            Field::Pe => "pe",
            Field::MarketCap => "market_cap",
            _ => "index",
        }
    }

    /// The snake-case name used in manifests, strategies and reports.
    pub fn name(self) -> &'static str {
        match self {
            Field::Open => "open",
            Field::High => "high",
            Field::Low => "low",
            Field::Close => "close",
            Field::Volume => "volume",
            Field::Amount => "amount",
            Field::Turnover => "turnover",
            Field::FinancingBalance => "financing_balance",
            Field::FinancingBuy => "financing_buy",
            Field::LendingBalance => "lending_balance",
            Field::MarginTotal => "margin_total",
            Field::Pe => "pe",
            Field::MarketCap => "market_cap",
        }
    }
}

/// How one input series entered the dataset: for `cyclebt data check` and report footers.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesCoverage {
    /// Series name (`index`, `margin`, `pe`).
    pub series: String,
    /// The files it was read from, with the format and unit assumed for each.
    pub sources: Vec<String>,
    /// First and last trading day with a value, before the publication lag is applied.
    pub span: Option<(NaiveDate, NaiveDate)>,
    /// Trading days with a value.
    pub rows: usize,
    /// Trading days inside `span` without a value.
    pub missing_days: usize,
    /// Trading days after which a value becomes visible to decisions.
    pub lag_days: usize,
}

/// A user-declared series held by a [`MarketData`] besides the built-in [`Field`]s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesInfo {
    /// The name signals ask for.
    pub name: String,
    /// Unit of the stored values (`yuan`, `fraction`, `ratio`, ...).
    pub unit: String,
    /// What the series is.
    pub description: String,
}

/// The market history of one dataset on the index's trading calendar.
///
/// **Invariant:** every auxiliary column is already shifted by its publication lag, so row `t`
/// holds only what was published by the close of trading day `t`. Code that reads rows `0..=t`
/// cannot see the future, which is what [`History`] enforces.
#[derive(Debug, Clone)]
pub struct MarketData {
    /// Dataset name from the manifest.
    pub name: String,
    /// Trading days, strictly increasing.
    pub dates: Vec<NaiveDate>,
    /// All columns end to end, column-major: field `f`, row `t` is at `f * len + t`, then the
    /// named series in declaration order (series `k` at `(Field::COUNT + k) * len + t`). One
    /// allocation, so a plugin gets every column from one pointer and a stride.
    values: Vec<f64>,
    /// The named series, in column order after the fields.
    named: Vec<SeriesInfo>,
    /// Optional series the manifest declares but the loader left out, with why.
    absent: Vec<(String, String)>,
    /// Opening levels exactly as written in the file, for fills.
    pub open_exact: Vec<Decimal>,
    /// Closing levels exactly as written in the file, for fills and valuation.
    pub close_exact: Vec<Decimal>,
    /// How each series entered.
    pub coverage: Vec<SeriesCoverage>,
    /// `dates` as `yyyymmdd` integers, the form plugins receive.
    date_codes: Vec<i32>,
    /// Per row, bit `f` set when field `f` (in [`Field::ALL`] order) is NaN.
    missing: Vec<u32>,
}

impl MarketData {
    /// Assembles a dataset from columns that are already aligned, lagged and validated.
    ///
    /// `columns` must hold one vector per [`Field`] in [`Field::ALL`] order, each as long as
    /// `dates`; the loader is the only caller outside tests.
    pub fn from_columns(
        name: String,
        dates: Vec<NaiveDate>,
        columns: Vec<Vec<f64>>,
        open_exact: Vec<Decimal>,
        close_exact: Vec<Decimal>,
        coverage: Vec<SeriesCoverage>,
    ) -> Self {
        assert_eq!(columns.len(), Field::COUNT, "one column per field");
        let columns = columns.into_iter().map(Some).collect();
        Self::assemble(
            name,
            dates,
            columns,
            Vec::new(),
            (open_exact, close_exact),
            coverage,
        )
    }

    /// [`Self::from_columns`] with the named series as well: `columns` holds one entry per
    /// field, then one per entry of `named`; None is a column missing on every day. Each column
    /// is freed once copied into the single allocation, so a long history is never held twice.
    pub(crate) fn assemble(
        name: String,
        dates: Vec<NaiveDate>,
        columns: Vec<Option<Vec<f64>>>,
        named: Vec<SeriesInfo>,
        (open_exact, close_exact): (Vec<Decimal>, Vec<Decimal>),
        coverage: Vec<SeriesCoverage>,
    ) -> Self {
        let n = dates.len();
        assert_eq!(columns.len(), Field::COUNT + named.len(), "one column each");
        assert_eq!(open_exact.len(), n);
        assert_eq!(close_exact.len(), n);
        let mut values = Vec::with_capacity(columns.len() * n);
        for column in columns {
            match column {
                Some(column) => {
                    assert_eq!(column.len(), n, "columns are aligned to the calendar");
                    values.extend_from_slice(&column);
                }
                None => values.resize(values.len() + n, f64::NAN),
            }
        }
        let date_codes = dates
            .iter()
            .map(|d| d.year() * 10_000 + d.month() as i32 * 100 + d.day() as i32)
            .collect();
        let mut missing = vec![0u32; n];
        for (f, column) in values.chunks_exact(n.max(1)).take(Field::COUNT).enumerate() {
            for (bits, value) in missing.iter_mut().zip(column) {
                if value.is_nan() {
                    *bits |= 1 << f;
                }
            }
        }
        MarketData {
            name,
            dates,
            values,
            named,
            absent: Vec::new(),
            open_exact,
            close_exact,
            coverage,
            date_codes,
            missing,
        }
    }

    /// Adds a named series whose `values` are already aligned to the calendar and lagged.
    ///
    /// # Panics
    /// When `values` is not as long as the calendar or the name is taken; the loader checks
    /// both before it calls this.
    pub fn with_series(mut self, info: SeriesInfo, values: Vec<f64>) -> Self {
        assert_eq!(values.len(), self.len(), "series aligned to the calendar");
        assert!(
            self.series_index(&info.name).is_none(),
            "series {} added twice",
            info.name
        );
        self.values.extend(values);
        self.named.push(info);
        self
    }

    /// Records optional series (`margin`, `pe`, `market_cap` or a named one) the loader left
    /// out, each with why.
    pub fn with_absent(mut self, absent: Vec<(String, String)>) -> Self {
        self.absent = absent;
        self
    }

    /// Why the series `name` (a series of the manifest, not a field) was left out, if it was.
    pub fn absent_reason(&self, name: &str) -> Option<&str> {
        self.absent
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, why)| why.as_str())
    }

    /// The named series, in column order.
    pub fn series_info(&self) -> &[SeriesInfo] {
        &self.named
    }

    /// Position of a named series among [`Self::series_info`].
    pub fn series_index(&self, name: &str) -> Option<usize> {
        self.named.iter().position(|s| s.name == name)
    }

    /// A whole named series, for reports and tests. Decision code reads through [`History`].
    pub fn series(&self, name: &str) -> Option<&[f64]> {
        let k = self.series_index(name)?;
        Some(self.nth_column(Field::COUNT + k))
    }

    fn nth_column(&self, c: usize) -> &[f64] {
        let n = self.len();
        &self.values[c * n..(c + 1) * n]
    }

    fn column_count(&self) -> usize {
        Field::COUNT + self.named.len()
    }

    /// Number of trading days.
    #[inline]
    pub fn len(&self) -> usize {
        self.dates.len()
    }

    /// True when there are no trading days.
    pub fn is_empty(&self) -> bool {
        self.dates.is_empty()
    }

    /// A whole column, for reports and tests. Decision code reads through [`History`].
    pub fn column(&self, field: Field) -> &[f64] {
        self.nth_column(field as usize)
    }

    /// What a decision at the close of day `t` may see: rows `0..=t`.
    #[inline]
    pub fn history(&self, t: usize) -> History<'_> {
        assert!(
            t < self.len(),
            "day {t} is outside the data ({} days)",
            self.len()
        );
        History {
            data: self,
            len: t + 1,
        }
    }

    /// The same dataset cut after day `end` (inclusive), as if the files ended there.
    pub fn truncated(&self, end: usize) -> MarketData {
        let keep = end + 1;
        MarketData {
            name: self.name.clone(),
            dates: self.dates[..keep].to_vec(),
            values: (0..self.column_count())
                .flat_map(|c| self.nth_column(c)[..keep].iter().copied())
                .collect(),
            named: self.named.clone(),
            absent: self.absent.clone(),
            open_exact: self.open_exact[..keep].to_vec(),
            close_exact: self.close_exact[..keep].to_vec(),
            coverage: self.coverage.clone(),
            date_codes: self.date_codes[..keep].to_vec(),
            missing: self.missing[..keep].to_vec(),
        }
    }

    /// Index of the first trading day on or after `date`.
    pub fn first_on_or_after(&self, date: NaiveDate) -> Option<usize> {
        let i = self.dates.partition_point(|d| *d < date);
        (i < self.len()).then_some(i)
    }

    /// Index of the last trading day on or before `date`.
    pub fn last_on_or_before(&self, date: NaiveDate) -> Option<usize> {
        self.dates.partition_point(|d| *d <= date).checked_sub(1)
    }
}

/// The rows `0..=t` of a [`MarketData`]: everything a decision at the close of day `t` may read.
/// Slices end at `t`, so reading a later row is impossible rather than merely forbidden.
#[derive(Debug, Clone, Copy)]
pub struct History<'a> {
    data: &'a MarketData,
    len: usize,
}

impl<'a> History<'a> {
    /// Number of visible days (`t + 1`).
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Never true: a history holds at least the decision day.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The history of an earlier decision day `t` (rows `0..=t`).
    #[inline]
    pub fn prefix(&self, t: usize) -> History<'a> {
        assert!(
            t < self.len,
            "day {t} is not in a history of {} days",
            self.len
        );
        History {
            data: self.data,
            len: t + 1,
        }
    }

    /// Index of the decision day.
    #[inline]
    pub fn today(&self) -> usize {
        self.len - 1
    }

    /// A column up to and including the decision day.
    #[inline]
    pub fn column(&self, field: Field) -> &'a [f64] {
        let start = field as usize * self.data.len();
        &self.data.values[start..start + self.len]
    }

    /// A named series up to and including the decision day; None when the dataset has no
    /// series of that name.
    #[inline]
    pub fn series(&self, name: &str) -> Option<&'a [f64]> {
        let k = self.data.series_index(name)?;
        let start = (Field::COUNT + k) * self.data.len();
        Some(&self.data.values[start..start + self.len])
    }

    /// Visible trading days.
    #[inline]
    pub fn dates(&self) -> &'a [NaiveDate] {
        &self.data.dates[..self.len]
    }

    /// Visible trading days as `yyyymmdd` integers.
    #[inline]
    pub fn date_codes(&self) -> &'a [i32] {
        &self.data.date_codes[..self.len]
    }

    /// Every column from one pointer, for the plugin boundary: field `f`, row `r` is at
    /// `base + f * stride + r`. Rows past the decision day are in memory at that address, but
    /// reading them needs `unsafe`; the plugin contract forbids it and the prefix tests check
    /// every shipped plugin against data that ends at the decision day.
    #[inline]
    pub fn column_base(&self) -> (*const f64, usize) {
        (self.data.values.as_ptr(), self.data.len())
    }

    /// Number of columns at [`Self::column_base`]: the fields, then the named series.
    #[inline]
    pub fn column_count(&self) -> usize {
        self.data.column_count()
    }

    /// The column index at [`Self::column_base`] of a named series, if the dataset has it.
    #[inline]
    pub fn series_column(&self, name: &str) -> Option<usize> {
        self.data.series_index(name).map(|k| Field::COUNT + k)
    }

    /// Per visible row, bit `f` set when field `f` (in [`Field::ALL`] order) is missing.
    #[inline]
    pub fn missing_flags(&self) -> &'a [u32] {
        &self.data.missing[..self.len]
    }
}
