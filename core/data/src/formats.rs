//! The export formats users actually have, each read into a [`Table`] in normalised units:
//! money in yuan, turnover as a fraction, prices in index points.
//!
//! | format | producer | columns used | unit of money in the file |
//! |---|---|---|---|
//! | `baostock` | baostock `query_history_k_data_plus` | date,open,close,high,low,volume,amount,turn | yuan |
//! | `csindex` | CSIndex `index-perf` | date,open,high,low,close,amount_yi,pe | 亿元 (1e8 yuan) |
//! | `akshare_margin` | akshare `macro_china_market_margin_sh/sz` | 日期,融资买入额,融资余额,融券余额,融资融券余额 | yuan |
//! | `eastmoney_margin` | Eastmoney RPTA_WEB_MARGIN_DAILYTRADE | date,fin_balance,loan_balance,fin_buy | 亿元 |
//! | `legulegu_pe` | akshare `stock_index_pe_lg` / `stock_market_pe_lg` | 日期 and one PE column | (ratio) |
//! | `akshare_market_cap` | akshare `macro_china_stock_market_cap` (monthly, newest first) | 数据日期, 市价总值-上海, 市价总值-深圳 | 亿元 |

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::csvfile::{CsvFile, Row};
use crate::decimal_f64::decimal_to_f64;
use crate::error::{DataError, Finding, Location};
use crate::manifest::{BadBars, NamedSeriesSpec, Source};
use crate::market::Field;

/// 1 亿元 in yuan.
const YI: f64 = 1e8;

/// baostock writes `turn` as a fraction up to 2018-12-25 and as a percent from 2018-12-26 on
/// (0.0239 before, 0.50 after, for similar days); the same break is in every baostock index file.
const BAOSTOCK_TURN_PERCENT_FROM: NaiveDate = match NaiveDate::from_ymd_opt(2018, 12, 26) {
    Some(date) => date,
    None => panic!("valid date"),
};

/// A named import format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// baostock daily index bars.
    Baostock,
    /// CSIndex daily index bars with PE.
    Csindex,
    /// akshare exchange-level daily margin summary.
    AkshareMargin,
    /// Eastmoney market-total daily margin.
    EastmoneyMargin,
    /// legulegu PE series (daily or monthly).
    LeguleguPe,
    /// akshare monthly exchange statistics (market value of Shanghai plus Shenzhen).
    AkshareMarketCap,
}

impl Format {
    /// The name used in manifests.
    pub fn name(self) -> &'static str {
        match self {
            Format::Baostock => "baostock",
            Format::Csindex => "csindex",
            Format::AkshareMargin => "akshare_margin",
            Format::EastmoneyMargin => "eastmoney_margin",
            Format::LeguleguPe => "legulegu_pe",
            Format::AkshareMarketCap => "akshare_market_cap",
        }
    }
}

/// One file read in a known format: dated rows of normalised values, column by column (one
/// allocation per column, not per row).
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub path: PathBuf,
    /// How the file was read (format, units assumed), for coverage reports.
    pub description: String,
    pub lines: Vec<u64>,
    pub dates: Vec<NaiveDate>,
    /// The fields of the columns, in column order; empty for a named series' one column.
    pub fields: Vec<Field>,
    /// `columns[i][row]` is the value of `fields[i]` (of the named series for its table).
    pub columns: Vec<Vec<f64>>,
    /// Which rows repeat each other in every field but the date, even in columns that are
    /// not imported.
    pub repeats: Repeats,
    /// Exact open per row, for index bars (empty for other tables).
    pub exact_open: Vec<Decimal>,
    /// Exact close per row, for index bars (empty for other tables).
    pub exact_close: Vec<Decimal>,
}

impl Table {
    /// A table of `fields`, one column each.
    pub(crate) fn new(path: &Path, description: String, fields: Vec<Field>) -> Self {
        let width = fields.len();
        Self::with_width(path, description, fields, width)
    }

    /// The table of a named series: one column, no field.
    pub(crate) fn series(path: &Path, description: String) -> Self {
        Self::with_width(path, description, Vec::new(), 1)
    }

    fn with_width(path: &Path, description: String, fields: Vec<Field>, width: usize) -> Self {
        Table {
            path: path.to_path_buf(),
            description,
            lines: Vec::new(),
            dates: Vec::new(),
            fields,
            columns: vec![Vec::new(); width],
            repeats: Repeats::default(),
            exact_open: Vec::new(),
            exact_close: Vec::new(),
        }
    }

    /// Makes room for `rows` more rows in every column; `exact` for the exact prices too.
    pub(crate) fn reserve(&mut self, rows: usize, exact: bool) {
        self.lines.reserve(rows);
        self.dates.reserve(rows);
        for column in &mut self.columns {
            column.reserve(rows);
        }
        if exact {
            self.exact_open.reserve(rows);
            self.exact_close.reserve(rows);
        }
    }

    /// True for index bars: the table has exact opens and closes.
    pub(crate) fn has_exact_prices(&self) -> bool {
        !self.exact_open.is_empty()
    }

    pub(crate) fn push(&mut self, row: &Row<'_>, date: NaiveDate, values: &[f64]) {
        self.repeats.push(row);
        self.push_parsed(row.line(), date, values);
    }

    /// A row read from a file whose quirks were already removed (the snapshot), without the
    /// repeats [`crate::validate::check_table`] needs. `values` holds one per column.
    pub(crate) fn push_parsed(&mut self, line: u64, date: NaiveDate, values: &[f64]) {
        debug_assert_eq!(values.len(), self.columns.len());
        self.lines.push(line);
        self.dates.push(date);
        for (column, value) in self.columns.iter_mut().zip(values) {
            column.push(*value);
        }
    }

    /// The column of one field, if this table has it.
    pub fn field(&self, field: Field) -> Option<&[f64]> {
        let i = self.fields.iter().position(|f| *f == field)?;
        Some(&self.columns[i])
    }

    /// Removes row `i` from every column.
    pub fn remove(&mut self, i: usize) {
        self.lines.remove(i);
        self.dates.remove(i);
        for column in &mut self.columns {
            column.remove(i);
        }
        self.repeats.remove(i);
        if !self.exact_open.is_empty() {
            self.exact_open.remove(i);
            self.exact_close.remove(i);
        }
    }
}

/// The repeated rows [`crate::validate::check_table`] looks for, kept as rows are pushed
/// without holding a fingerprint per row: whether the first two rows are equal in every field
/// but the date, and where the run of rows equal to the last one starts.
#[derive(Debug, Clone, Default)]
pub(crate) struct Repeats {
    rows: usize,
    /// The first row's fingerprint, while only one row was pushed.
    first: String,
    /// The first two rows are equal.
    first_two_equal: bool,
    /// The last row's fingerprint.
    last: String,
    /// The first row of the run at the end that equals the last row.
    tail_start: usize,
    /// The fingerprint being built, kept for its allocation.
    scratch: String,
}

impl Repeats {
    fn push(&mut self, row: &Row<'_>) {
        row.fingerprint(&mut self.scratch);
        match self.rows {
            0 => self.first.clone_from(&self.scratch),
            1 => self.first_two_equal = self.scratch == self.first,
            _ => {}
        }
        if self.rows == 0 || self.scratch != self.last {
            self.tail_start = self.rows;
            std::mem::swap(&mut self.last, &mut self.scratch);
        }
        self.rows += 1;
    }

    /// True when the table's first two rows are equal in every field but the date.
    pub(crate) fn first_two_equal(&self) -> bool {
        self.rows >= 2 && self.first_two_equal
    }

    /// The first row of the run of rows at the end that equal the last row in every field but
    /// the date (0 when there are none).
    pub(crate) fn tail_start(&self) -> usize {
        self.tail_start
    }

    /// Row `i` removed: the first (the run at the end keeps its rows) or one at the end.
    fn remove(&mut self, i: usize) {
        self.rows = self.rows.saturating_sub(1);
        if i < self.tail_start || (i == 0 && self.tail_start == 0) {
            self.tail_start = self.tail_start.saturating_sub(1);
        }
        // The first two rows change once the first is gone; no check asks again.
        self.first_two_equal = false;
    }
}

/// Reads the file of `source` at `path` in its format. Findings collect rows dropped and units
/// assumed.
pub(crate) fn read(
    path: &Path,
    source: &Source,
    limit: u64,
    findings: &mut Vec<Finding>,
) -> Result<Table, DataError> {
    let file = CsvFile::open(path, limit)?;
    let (format, column) = (source.format, source.column.as_deref());
    let bad_bars = BadBarPolicy {
        bad_bars: source.bad_bars.unwrap_or_default(),
        dates: &source.bad_bar_dates,
    };
    if column.is_some() && format != Format::LeguleguPe {
        return Err(DataError::invalid(
            Location::file(path),
            format!(
                "format {} takes no `column` option; only legulegu_pe does",
                format.name()
            ),
        ));
    }
    match format {
        Format::Baostock => read_baostock(&file, &bad_bars, findings),
        Format::Csindex => read_csindex(&file, &bad_bars, findings),
        Format::AkshareMargin => read_akshare_margin(&file),
        Format::EastmoneyMargin => read_eastmoney_margin(&file),
        Format::LeguleguPe => read_legulegu_pe(&file, column, findings),
        Format::AkshareMarketCap => read_akshare_market_cap(&file, findings),
    }
}

/// Start of the message for a bar whose high or low contradicts its open and close.
const INCONSISTENT: &str = "inconsistent bar";

/// Exact open and close, and open, high, low, close as f64.
type Bar = ((Decimal, Decimal), [f64; 4]);

/// Column positions of one index-bar file.
struct BarColumns {
    date: usize,
    open: usize,
    high: usize,
    low: usize,
    close: usize,
    amount: usize,
}

impl BarColumns {
    fn find(file: &CsvFile, amount: &str) -> Result<Self, DataError> {
        Ok(BarColumns {
            date: file.column("date")?,
            open: file.column("open")?,
            high: file.column("high")?,
            low: file.column("low")?,
            close: file.column("close")?,
            amount: file.column(amount)?,
        })
    }

    /// A row with no open, high or low and no turnover is an exchange holiday that the vendor
    /// wrote out (CSIndex 000985 on 2018-06-18). It is dropped, with a finding.
    fn is_holiday(&self, row: &Row<'_>) -> bool {
        row.is_empty(self.open)
            && row.is_empty(self.high)
            && row.is_empty(self.low)
            && row
                .optional_number(self.amount)
                .is_ok_and(|a| a.is_nan() || a == 0.0)
    }

    /// Reads and checks one bar: positive prices, high >= max(open, close), low <= min(open,
    /// close). Returns the exact open and close and the f64 OHLC, or None for an inconsistent
    /// bar dropped under [`BadBars::Drop`]. Drop and repair apply only on the manifest's
    /// `bad_bar_dates`.
    fn read(
        &self,
        row: &Row<'_>,
        date: NaiveDate,
        policy: &BadBarPolicy<'_>,
        findings: &mut Vec<Finding>,
    ) -> Result<Option<Bar>, DataError> {
        let error = match self.read_strict(row) {
            Err(DataError::Invalid { location, message }) if message.starts_with(INCONSISTENT) => {
                (location, message)
            }
            other => return other.map(Some),
        };
        let (location, message) = error;
        if policy.bad_bars == BadBars::Error {
            return Err(DataError::Invalid { location, message });
        }
        if !policy.dates.contains(&date) {
            return Err(DataError::Invalid {
                location,
                message: format!(
                    "{message}; {date} is not among the manifest's bad_bar_dates, so bad_bars = \"{}\" does not apply",
                    policy.bad_bars.name()
                ),
            });
        }
        if policy.bad_bars == BadBars::Drop {
            findings.push(Finding {
                location,
                message: format!("{message}; row dropped (bad_bars = \"drop\")"),
            });
            return Ok(None);
        }
        let [open, high, low, close] = self.read_prices(row)?;
        let (high, low) = (high.max(open).max(close), low.min(open).min(close));
        findings.push(Finding {
            location,
            message: format!(
                "{message}; repaired to high {high}, low {low} (bad_bars = \"repair\")"
            ),
        });
        Ok(Some(to_bar([open, high, low, close])))
    }

    /// The bar's prices (open, high, low, close), unchecked against each other.
    fn read_prices(&self, row: &Row<'_>) -> Result<[Decimal; 4], DataError> {
        Ok([
            row.price(self.open)?,
            row.price(self.high)?,
            row.price(self.low)?,
            row.price(self.close)?,
        ])
    }

    fn read_strict(&self, row: &Row<'_>) -> Result<Bar, DataError> {
        let [open, high, low, close] = self.read_prices(row)?;
        let bad = |message: String| DataError::invalid(row.location(), message);
        if high < open.max(close) {
            return Err(bad(format!(
                "{INCONSISTENT}: high {high} is below max(open {open}, close {close}); expected high >= open and close"
            )));
        }
        if low > open.min(close) {
            return Err(bad(format!(
                "{INCONSISTENT}: low {low} is above min(open {open}, close {close}); expected low <= open and close"
            )));
        }
        Ok(to_bar([open, high, low, close]))
    }
}

/// Exact open and close, and OHLC as f64.
fn to_bar([open, high, low, close]: [Decimal; 4]) -> Bar {
    ((open, close), [open, high, low, close].map(decimal_to_f64))
}

/// A manifest's bad-bar policy and the dates it applies on.
pub(crate) struct BadBarPolicy<'a> {
    bad_bars: BadBars,
    dates: &'a [NaiveDate],
}

fn holiday_finding(row: &Row<'_>) -> Finding {
    Finding {
        location: row.location(),
        message: "row has no open/high/low and no turnover: a holiday row, dropped".into(),
    }
}

/// The columns every bar format yields, in this order (open through turnover, as in
/// [`Field::ALL`]); a format may append more.
fn bar_fields() -> Vec<Field> {
    Field::ALL[..=Field::Turnover as usize].to_vec()
}

/// The row loop shared by the bar formats: date, holiday rows, the bar's own checks. `rest`
/// reads the format's columns after OHLC (volume, amount, turnover, then any it appends).
fn read_bar_rows(
    file: &CsvFile,
    bars: &BarColumns,
    bad_bars: &BadBarPolicy<'_>,
    findings: &mut Vec<Finding>,
    table: &mut Table,
    mut rest: impl FnMut(&Row<'_>, NaiveDate) -> Result<Vec<f64>, DataError>,
) -> Result<(), DataError> {
    // Every column at its size at once: a doubled vector is copied, and the allocator keeps
    // the old block (the 870,000-day history's peak).
    table.reserve(file.len(), true);
    for row in file.rows() {
        let date = row.date(bars.date)?;
        if bars.is_holiday(&row) {
            findings.push(holiday_finding(&row));
            continue;
        }
        let Some(((open, close), ohlc)) = bars.read(&row, date, bad_bars, findings)? else {
            continue;
        };
        let mut values = ohlc.to_vec();
        values.extend(rest(&row, date)?);
        table.push(&row, date, &values);
        table.exact_open.push(open);
        table.exact_close.push(close);
    }
    Ok(())
}

fn read_baostock(
    file: &CsvFile,
    bad_bars: &BadBarPolicy<'_>,
    findings: &mut Vec<Finding>,
) -> Result<Table, DataError> {
    let bars = BarColumns::find(file, "amount")?;
    let volume = file.column("volume")?;
    let turn = file.column("turn")?;
    let mut table = Table::new(
        file.path(),
        format!(
            "baostock; amount in yuan; turn read as a fraction before {BAOSTOCK_TURN_PERCENT_FROM} and as a percent from then on; turn 0 read as missing"
        ),
        bar_fields(),
    );
    let mut zero_turn = Vec::new();
    read_bar_rows(file, &bars, bad_bars, findings, &mut table, |row, date| {
        let raw_turn = row.non_negative(turn)?;
        let turnover = if raw_turn == 0.0 {
            zero_turn.push(row.line());
            f64::NAN
        } else if date >= BAOSTOCK_TURN_PERCENT_FROM {
            raw_turn / 100.0
        } else {
            raw_turn
        };
        Ok(vec![
            row.non_negative(volume)?,
            row.non_negative(bars.amount)?,
            turnover,
        ])
    })?;
    if !zero_turn.is_empty() {
        findings.push(Finding {
            location: Location::file(file.path()),
            message: format!(
                "turn is 0 on {} rows (lines {}); read as missing, not as zero turnover",
                zero_turn.len(),
                line_list(&zero_turn)
            ),
        });
    }
    Ok(table)
}

fn read_csindex(
    file: &CsvFile,
    bad_bars: &BadBarPolicy<'_>,
    findings: &mut Vec<Finding>,
) -> Result<Table, DataError> {
    let bars = BarColumns::find(file, "amount_yi")?;
    let pe = file.column("pe")?;
    let mut fields = bar_fields();
    fields.push(Field::Pe);
    let mut table = Table::new(
        file.path(),
        "csindex; amount_yi in 亿元, multiplied by 1e8 to yuan; no volume or turnover".into(),
        fields,
    );
    read_bar_rows(file, &bars, bad_bars, findings, &mut table, |row, _| {
        let amount = row.non_negative(bars.amount)? * YI;
        Ok(vec![f64::NAN, amount, f64::NAN, row.optional_number(pe)?])
    })?;
    Ok(table)
}

const MARGIN_FIELDS: [Field; 4] = [
    Field::FinancingBalance,
    Field::FinancingBuy,
    Field::LendingBalance,
    Field::MarginTotal,
];

fn read_akshare_margin(file: &CsvFile) -> Result<Table, DataError> {
    let date = file.column("日期")?;
    let columns = [
        file.column("融资余额")?,
        file.column("融资买入额")?,
        file.column("融券余额")?,
        file.column("融资融券余额")?,
    ];
    let mut table = Table::new(
        file.path(),
        "akshare_margin; balances and purchases in yuan".into(),
        MARGIN_FIELDS.to_vec(),
    );
    table.reserve(file.len(), false);
    for row in file.rows() {
        let day = row.date(date)?;
        let values: [f64; 4] = [
            row.non_negative(columns[0])?,
            row.non_negative(columns[1])?,
            row.non_negative(columns[2])?,
            row.non_negative(columns[3])?,
        ];
        table.push(&row, day, &values);
    }
    Ok(table)
}

fn read_eastmoney_margin(file: &CsvFile) -> Result<Table, DataError> {
    let date = file.column("date")?;
    let financing = file.column("fin_balance")?;
    let lending = file.column("loan_balance")?;
    let buy = file.column("fin_buy")?;
    let mut table = Table::new(
        file.path(),
        "eastmoney_margin; fin_balance, loan_balance and fin_buy in 亿元, multiplied by 1e8 to yuan; total = fin_balance + loan_balance".into(),
        MARGIN_FIELDS.to_vec(),
    );
    table.reserve(file.len(), false);
    for row in file.rows() {
        let day = row.date(date)?;
        let fin = row.non_negative(financing)? * YI;
        let lend = row.non_negative(lending)? * YI;
        let values = [fin, row.non_negative(buy)? * YI, lend, fin + lend];
        table.push(&row, day, &values);
    }
    Ok(table)
}

/// PE columns tried, in order, when the manifest names none: the SSE average PE of
/// `stock_market_pe_lg`, then the TTM PE of `stock_index_pe_lg`.
const LEGULEGU_PE_COLUMNS: [&str; 2] = ["平均市盈率", "滚动市盈率"];

fn read_legulegu_pe(
    file: &CsvFile,
    column: Option<&str>,
    findings: &mut Vec<Finding>,
) -> Result<Table, DataError> {
    let date = file.column("日期")?;
    let (pe, name) = match column {
        Some(name) => (file.column(name)?, name),
        None => {
            let found = LEGULEGU_PE_COLUMNS
                .iter()
                .find_map(|&n| file.find_column(n).map(|c| (c, n)));
            let (c, n) = found.ok_or_else(|| {
                DataError::invalid(
                    Location::line(file.path(), 1),
                    format!(
                        "no PE column found; expected one of {} or a `column` option in the manifest",
                        LEGULEGU_PE_COLUMNS.join(", ")
                    ),
                )
            })?;
            findings.push(Finding {
                location: Location::file(file.path()),
                message: format!("no `column` option given: PE read from column \"{n}\""),
            });
            (c, n)
        }
    };
    let mut table = Table::new(
        file.path(),
        format!("legulegu_pe; PE from column \"{name}\""),
        vec![Field::Pe],
    );
    for row in file.rows() {
        let day = row.date(date)?;
        let value = row.number(pe)?;
        if value <= 0.0 {
            return Err(DataError::invalid(
                row.location(),
                format!("expected a positive PE, found {value}"),
            ));
        }
        table.push(&row, day, &[value]);
    }
    Ok(table)
}

/// One numeric column of any CSV, for a user-declared series: dates from `date_column`, values
/// from `column` times the unit's scale. Empty cells are missing (NaN), listed in one finding;
/// anything else that is not a finite number is an error at its line and column.
pub(crate) fn read_named_column(
    path: &Path,
    spec: &NamedSeriesSpec,
    limit: u64,
    findings: &mut Vec<Finding>,
) -> Result<Table, DataError> {
    let file = CsvFile::open(path, limit)?;
    let date = file.column(&spec.date_column)?;
    let value = file.column(&spec.column)?;
    let unit = spec.unit;
    let conversion = if unit.scale() == 1.0 {
        String::new()
    } else {
        format!(", multiplied by {} to {}", unit.scale(), unit.stored())
    };
    let mut table = Table::series(
        path,
        format!(
            "column \"{}\" dated by \"{}\"; {}{conversion}",
            spec.column,
            spec.date_column,
            unit.name()
        ),
    );
    let mut empty = Vec::new();
    for row in file.rows() {
        let day = row.date(date)?;
        let number = row.optional_number(value)?;
        if number.is_nan() {
            empty.push(row.line());
        }
        table.push(&row, day, &[number * unit.scale()]);
    }
    if !empty.is_empty() {
        findings.push(Finding {
            location: Location::file(path),
            message: format!(
                "series {}: column \"{}\" is empty on {} rows (lines {}); left missing",
                spec.name,
                spec.column,
                empty.len(),
                line_list(&empty)
            ),
        });
    }
    Ok(table)
}

/// `12, 15, 19` for a finding; long lists are cut after ten.
pub(crate) fn line_list(lines: &[u64]) -> String {
    let mut text: Vec<String> = lines.iter().take(10).map(u64::to_string).collect();
    if lines.len() > 10 {
        text.push(format!("and {} more", lines.len() - 10));
    }
    text.join(", ")
}

/// Monthly exchange statistics: the market value (市价总值) of Shanghai plus Shenzhen in 亿元,
/// dated the last calendar day of its month ("2025年04月份" is 2025-04-30). The file is newest
/// first; rows are put in date order. A month without both market values (the newest row of
/// the real file carries only index highs and lows) is dropped with a finding.
fn read_akshare_market_cap(
    file: &CsvFile,
    findings: &mut Vec<Finding>,
) -> Result<Table, DataError> {
    let date = file.column("数据日期")?;
    let shanghai = file.column("市价总值-上海")?;
    let shenzhen = file.column("市价总值-深圳")?;
    let mut table = Table::new(
        file.path(),
        "akshare_market_cap; 市价总值 Shanghai + Shenzhen in 亿元, multiplied by 1e8 to yuan; dated at month end; newest-first file put in date order".into(),
        vec![Field::MarketCap],
    );
    let mut rows: Vec<(NaiveDate, Row<'_>)> = Vec::new();
    for row in file.rows() {
        let month = row.month(date)?;
        if row.is_empty(shanghai) || row.is_empty(shenzhen) {
            findings.push(Finding {
                location: row.location(),
                message: format!("{month}: no market value for both exchanges; row dropped"),
            });
            continue;
        }
        rows.push((month, row));
    }
    if rows.windows(2).all(|w| w[0].0 > w[1].0) {
        rows.reverse();
    }
    for (month, row) in rows {
        let value = (row.non_negative(shanghai)? + row.non_negative(shenzhen)?) * YI;
        table.push(&row, month, &[value]);
    }
    Ok(table)
}
