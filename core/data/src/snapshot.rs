//! The bundled snapshot: the figures the shipped manifests read, in the project's own compact
//! CSV format, so that cyclebt runs on a fresh clone with no exports beside it.
//!
//! A snapshot is a folder with one file per reading of an export (an index file read as bars,
//! a margin file read in its format, one column of a file read as a named series). Each file is
//! exactly the [`Table`] the importer produced from the export (after its format's unit
//! conversions and the quirk checks of [`crate::validate`]), so a dataset loaded from the
//! snapshot equals one loaded from the exports: joins, splices and lags run the same way on
//! both. [`build`] makes the files from the exports; `cyclebt data snapshot` writes them.
//!
//! Format, version 1 (UTF-8, `\n` line ends):
//!
//! ```text
//! # cyclebt snapshot v1
//! # figures: Shanghai Composite (000001) daily bars
//! # source: Shanghai Stock Exchange, through baostock
//! # export: raw/baostock/sh000001.csv, taken 2026-08-01
//! # read as: baostock; amount in yuan; ...
//! # reading: format baostock; bad_bars drop on 1991-05-09, ...
//! # coverage: 1990-12-19..2026-07-31, 8676 rows
//! # finding: raw/baostock/sh000001.csv:99: inconsistent bar ...
//! date,open,high,low,close,volume,amount,turnover
//! 1990-12-19,96.05,99.98,95.79,99.98,126000,494000,
//! ```
//!
//! Comment lines come first; `finding` lines carry what the importer reported when it read the
//! export and are reported again on every load. Columns are `date` and the field names of
//! [`crate::Field`] (or, for a named series, its name); money in yuan, turnover and percents as
//! fractions; open and close exactly as in the export; other numbers in Rust's shortest
//! round-trip form; empty for missing.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{Read, Take};
use std::ops::Range;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::csvfile::{
    io_error, open_input, parse_date_bytes, parse_number_bytes, parse_price_bytes, too_large,
};
use crate::decimal_f64::decimal_to_f64;
use crate::error::{DataError, Finding, Location};
use crate::formats::{self, Table};
use crate::manifest::{BadBars, Limits, Manifest, NamedSeriesSpec, Source, parse_toml};
use crate::market::Field;
use crate::validate::check_table;

/// Version of the snapshot format this build reads and writes.
pub const SNAPSHOT_VERSION: u32 = 1;

const MAGIC: &str = "# cyclebt snapshot v";

/// Where a manifest's files are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Vendor exports under a data root, in the formats the manifest names.
    Exports(PathBuf),
    /// A snapshot folder (see the module doc).
    Snapshot(PathBuf),
}

/// One way a manifest reads a file: in a format, or one column as a named series.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Reading<'a> {
    /// A source of `[index]` or a series section.
    Source(&'a Source),
    /// A `[[series]]` declaration.
    Named(&'a NamedSeriesSpec),
}

impl Reading<'_> {
    /// The export's path relative to the data root.
    fn file(&self) -> &Path {
        match self {
            Reading::Source(source) => &source.file,
            Reading::Named(spec) => &spec.file,
        }
    }

    /// The snapshot file of this reading: the export's path below `raw/` with `/` turned into
    /// `_` (`raw/baostock/sh000001.csv` is `baostock_sh000001.csv`), and for a named series
    /// `__` and its name before `.csv`.
    pub(crate) fn snapshot_name(&self) -> String {
        let file = self.file();
        let inner = file.strip_prefix("raw").unwrap_or(file).with_extension("");
        let stem: Vec<String> = inner
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        match self {
            Reading::Source(_) => format!("{}.csv", stem.join("_")),
            Reading::Named(spec) => format!("{}__{}.csv", stem.join("_"), spec.name),
        }
    }

    /// Everything about the reading that changes the table it gives, so that a snapshot made
    /// for one reading is never used for another.
    pub(crate) fn key(&self) -> String {
        match self {
            Reading::Source(source) => {
                let mut key = format!("format {}", source.format.name());
                if let Some(column) = &source.column {
                    let _ = write!(key, "; column \"{column}\"");
                }
                let policy = source.bad_bars.unwrap_or_default();
                if policy != BadBars::Error {
                    let dates: Vec<String> =
                        source.bad_bar_dates.iter().map(|d| d.to_string()).collect();
                    let _ = write!(key, "; bad_bars {} on {}", policy.name(), dates.join(" "));
                }
                key
            }
            Reading::Named(spec) => format!(
                "column \"{}\" dated by \"{}\"; unit {}",
                spec.column,
                spec.date_column,
                spec.unit.name()
            ),
        }
    }

    /// Reads the export under `data_root` in this reading's format, checked.
    fn read_export(
        &self,
        data_root: &Path,
        limit: u64,
        findings: &mut Vec<Finding>,
    ) -> Result<Table, DataError> {
        let path = data_root.join(self.file());
        let mut table = match self {
            Reading::Source(source) => formats::read(&path, source, limit, findings)?,
            Reading::Named(spec) => formats::read_named_column(&path, spec, limit, findings)?,
        };
        check_table(&mut table, findings)?;
        Ok(table)
    }
}

impl Origin {
    /// The file a reading comes from.
    pub(crate) fn path(&self, reading: Reading<'_>) -> PathBuf {
        match self {
            Origin::Exports(root) => root.join(reading.file()),
            Origin::Snapshot(dir) => dir.join(reading.snapshot_name()),
        }
    }

    /// Every file a manifest reads from this origin, each once, in the order read: what a run
    /// record hashes to pin its inputs.
    pub fn files(&self, manifest: &Manifest) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = Vec::new();
        for reading in readings(manifest) {
            let path = self.path(reading);
            if !files.contains(&path) {
                files.push(path);
            }
        }
        files
    }

    /// Reads one reading's table from a file of at most `limit` bytes, checked, and then for
    /// plausibility (on the snapshot as on the exports, so that both give the same findings).
    pub(crate) fn read(
        &self,
        reading: Reading<'_>,
        limits: Limits,
        findings: &mut Vec<Finding>,
    ) -> Result<Table, DataError> {
        let limit = limits.bytes;
        let mut table = match self {
            Origin::Exports(root) => reading.read_export(root, limit, findings)?,
            Origin::Snapshot(_) => read_table(&self.path(reading), reading, limit, findings)?,
        };
        crate::plausible::check(&mut table, limits.dates, findings)?;
        Ok(table)
    }

    /// One line for people: where the data comes from.
    pub fn describe(&self) -> String {
        match self {
            Origin::Exports(root) => format!("data root {}", root.display()),
            Origin::Snapshot(dir) => format!("bundled snapshot {}", dir.display()),
        }
    }
}

/// Who publishes each export's figures and when the export was taken, from the snapshot's
/// `sources.toml`. Unknown keys are errors.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotSources {
    /// Must be [`SNAPSHOT_VERSION`].
    pub version: u32,
    /// One entry per export.
    pub export: Vec<ExportInfo>,
}

/// Provenance of one export.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportInfo {
    /// The export's path relative to the data root.
    pub file: PathBuf,
    /// What figures it holds.
    pub figures: String,
    /// The exchange or index provider that publishes them, and the tool they came through.
    pub source: String,
    /// When the export was taken.
    pub taken: NaiveDate,
}

impl SnapshotSources {
    /// Parses `sources.toml`; `path` is only used in error messages.
    pub fn parse(path: &Path, text: &str) -> Result<SnapshotSources, DataError> {
        let sources: SnapshotSources = parse_toml(path, text)?;
        if sources.version != SNAPSHOT_VERSION {
            return Err(DataError::Toml {
                path: path.into(),
                message: format!(
                    "version {} is not the snapshot format this cyclebt builds ({SNAPSHOT_VERSION})",
                    sources.version
                ),
            });
        }
        Ok(sources)
    }
}

/// One file of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotFile {
    /// File name inside the snapshot folder.
    pub name: String,
    /// Its content.
    pub bytes: Vec<u8>,
}

/// Builds, in memory, the snapshot of every file `manifests` read from the exports under
/// `data_root`, sorted by name. Same exports, same bytes.
pub fn build(
    manifests: &[Manifest],
    data_root: &Path,
    sources: &SnapshotSources,
) -> Result<Vec<SnapshotFile>, DataError> {
    let mut built: BTreeMap<String, (String, Vec<u8>)> = BTreeMap::new();
    for manifest in manifests {
        for reading in readings(manifest) {
            let name = reading.snapshot_name();
            let key = reading.key();
            if let Some((other, _)) = built.get(&name) {
                if *other != key {
                    return Err(DataError::invalid(
                        Location::file(&data_root.join(reading.file())),
                        format!(
                            "manifest {} reads this file as \"{key}\" but another shipped manifest reads it as \"{other}\"; a snapshot holds one reading per file",
                            manifest.name
                        ),
                    ));
                }
                continue;
            }
            let info = sources
                .export
                .iter()
                .find(|e| e.file == reading.file())
                .ok_or_else(|| {
                    DataError::invalid(
                        Location::file(&data_root.join(reading.file())),
                        "no entry in the snapshot's sources.toml; add its figures, source and date taken",
                    )
                })?;
            let mut findings = Vec::new();
            let table = reading.read_export(data_root, manifest.max_file_bytes(), &mut findings)?;
            let bytes = render(&table, &reading, info, &findings, data_root);
            built.insert(name, (key, bytes));
        }
    }
    Ok(built
        .into_iter()
        .map(|(name, (_, bytes))| SnapshotFile { name, bytes })
        .collect())
}

/// Every reading of a manifest, in the order the loader reads them.
pub(crate) fn readings(manifest: &Manifest) -> Vec<Reading<'_>> {
    let specs = [&manifest.margin, &manifest.pe, &manifest.market_cap];
    let sources = specs.into_iter().flatten().flat_map(|spec| {
        let spliced = spec.splice.iter().flat_map(|s| &s.sources);
        spec.sources.iter().chain(spliced)
    });
    std::iter::once(&manifest.index)
        .chain(sources)
        .map(Reading::Source)
        .chain(manifest.series.iter().map(Reading::Named))
        .collect()
}

/// Column names of a table in the snapshot: its fields, or the series name.
fn headers(table: &Table, reading: &Reading<'_>) -> Vec<String> {
    match reading {
        Reading::Source(_) => table.fields.iter().map(|f| f.name().to_string()).collect(),
        Reading::Named(spec) => vec![spec.name.clone()],
    }
}

fn render(
    table: &Table,
    reading: &Reading<'_>,
    info: &ExportInfo,
    findings: &[Finding],
    data_root: &Path,
) -> Vec<u8> {
    let mut out = String::new();
    let relative = |path: &Path| path.strip_prefix(data_root).unwrap_or(path).to_path_buf();
    let (first, last) = (table.dates[0], table.dates[table.dates.len() - 1]);
    let _ = writeln!(out, "{MAGIC}{SNAPSHOT_VERSION}");
    let _ = writeln!(out, "# figures: {}", info.figures);
    let _ = writeln!(out, "# source: {}", info.source);
    let _ = writeln!(
        out,
        "# export: {}, taken {}",
        info.file.display(),
        info.taken
    );
    let description = table.description.replace('\n', " ");
    let _ = writeln!(out, "# read as: {description}");
    let _ = writeln!(out, "# reading: {}", reading.key());
    let _ = writeln!(
        out,
        "# coverage: {first}..{last}, {} rows",
        table.dates.len()
    );
    for finding in findings {
        let mut finding = finding.clone();
        finding.location.path = relative(&finding.location.path);
        let _ = writeln!(out, "# finding: {}", finding.to_string().replace('\n', " "));
    }
    let headers = headers(table, reading);
    let _ = writeln!(out, "date,{}", headers.join(","));
    let exact_at = |i: usize| {
        let position = |f: Field| table.fields.iter().position(|g| *g == f);
        table
            .has_exact_prices()
            .then(|| (position(Field::Open), position(Field::Close)))
            .map(|(open, close)| (open == Some(i), close == Some(i)))
            .unwrap_or((false, false))
    };
    for (r, date) in table.dates.iter().enumerate() {
        out.push_str(&date.to_string());
        for (i, column) in table.columns.iter().enumerate() {
            let value = column[r];
            out.push(',');
            match exact_at(i) {
                (true, _) => out.push_str(&table.exact_open[r].to_string()),
                (_, true) => out.push_str(&table.exact_close[r].to_string()),
                _ if value.is_nan() => {}
                _ => {
                    let _ = write!(out, "{value}");
                }
            }
        }
        out.push('\n');
    }
    out.into_bytes()
}

/// A file read line by line through a buffer of a few blocks, never held whole, each line
/// seen where it lies in the buffer: without its end (`\n`, or `\r\n`, as [`str::lines`]
/// splits them), with its 1-based number.
struct Lines<'a> {
    path: &'a Path,
    file: Take<File>,
    /// The input size cap, in bytes.
    limit: u64,
    /// Bytes read so far.
    read: u64,
    buffer: Vec<u8>,
    /// The bytes of `buffer` read and not yet split into lines.
    pending: Range<usize>,
    /// The current line in `buffer`.
    line: Range<usize>,
    /// The current line's number.
    number: u64,
    /// True once the file has no more bytes.
    ended: bool,
}

impl<'a> Lines<'a> {
    /// Bytes read at a time.
    const BLOCK: usize = 1 << 16;

    fn open(path: &'a Path, limit: u64) -> Result<(Lines<'a>, u64), DataError> {
        let (file, length) = open_input(path, limit)?;
        let lines = Lines {
            path,
            file,
            limit,
            read: 0,
            buffer: vec![0; Self::BLOCK],
            pending: 0..0,
            line: 0..0,
            number: 0,
            ended: false,
        };
        Ok((lines, length))
    }

    /// Moves to the next line; false at the end of the file.
    fn advance(&mut self) -> Result<bool, DataError> {
        loop {
            let Range { start, end } = self.pending;
            if let Some(at) = memchr::memchr(b'\n', &self.buffer[start..end]) {
                let line_end = start + at;
                let content_end = match self.buffer[..line_end].last() {
                    Some(b'\r') if line_end > start => line_end - 1,
                    _ => line_end,
                };
                return Ok(self.take_line(start..content_end, line_end + 1));
            }
            if self.ended {
                return Ok(start < end && self.take_line(start..end, end));
            }
            // The rest of the buffer is the start of a line: move it to the front and read on,
            // into a larger buffer if the line fills this one.
            self.buffer.copy_within(start..end, 0);
            let kept = end - start;
            if kept == self.buffer.len() {
                self.buffer.resize(kept + Self::BLOCK, 0);
            }
            let read = self
                .file
                .read(&mut self.buffer[kept..])
                .map_err(|e| io_error(self.path, e))?;
            self.read += read as u64;
            if self.read > self.limit {
                return Err(too_large(self.path, self.limit));
            }
            self.ended = read == 0;
            self.pending = 0..kept + read;
        }
    }

    fn take_line(&mut self, line: Range<usize>, next: usize) -> bool {
        self.line = line;
        self.pending.start = next;
        self.number += 1;
        true
    }

    /// The current line's bytes.
    fn bytes(&self) -> &[u8] {
        &self.buffer[self.line.clone()]
    }

    /// The current line as text.
    fn text(&self) -> Result<&str, DataError> {
        std::str::from_utf8(self.bytes()).map_err(|_| {
            DataError::invalid(
                Location::line(self.path, self.number),
                "snapshot is not UTF-8; rebuild it",
            )
        })
    }
}

/// Reads one snapshot file for `reading`, re-reporting the findings it carries. The file is
/// read a line at a time and each number straight from its bytes: the load time of every
/// command depends on it, and a long history must not be held twice in memory.
fn read_table(
    path: &Path,
    reading: Reading<'_>,
    limit: u64,
    findings: &mut Vec<Finding>,
) -> Result<Table, DataError> {
    let (mut lines, length) = Lines::open(path, limit)?;
    let expected = format!("{MAGIC}{SNAPSHOT_VERSION}");
    let first = if lines.advance()? { lines.text()? } else { "" };
    if first != expected {
        let message = match first.strip_prefix(MAGIC) {
            Some(version) => format!(
                "snapshot format version {version}; this cyclebt reads version {SNAPSHOT_VERSION}: rebuild the snapshot with `cyclebt data snapshot`"
            ),
            None => format!("expected \"{expected}\" on the first line; not a cyclebt snapshot"),
        };
        return Err(DataError::invalid(Location::line(path, 1), message));
    }
    // The comment lines, then the table's header line.
    let mut comments = vec![first.to_string()];
    let mut header_line = None;
    while lines.advance()? {
        let text = lines.text()?;
        if !text.starts_with('#') {
            header_line = Some(text.to_string());
            break;
        }
        comments.push(text.to_string());
    }
    let header = |name: &str| {
        comments
            .iter()
            .find_map(|line| line.strip_prefix(&format!("# {name}: ")))
    };
    let key = reading.key();
    if header("reading") != Some(key.as_str()) {
        return Err(DataError::invalid(
            Location::file(path),
            format!(
                "snapshot was built for reading \"{}\" but the manifest reads the export as \"{key}\"; rebuild the snapshot or give --data with the exports",
                header("reading").unwrap_or("")
            ),
        ));
    }
    for line in &comments {
        if let Some(message) = line.strip_prefix("# finding: ") {
            findings.push(Finding {
                location: Location::file(path),
                message: format!("when the snapshot was built: {message}"),
            });
        }
    }
    let header_line = header_line.ok_or_else(|| {
        DataError::invalid(Location::file(path), "no table after the comment lines")
    })?;
    let header_number = lines.number;
    let columns: Vec<&str> = header_line.split(',').collect();
    if columns.first() != Some(&"date") {
        return Err(DataError::invalid(
            Location::line(path, header_number),
            "expected the first column to be date",
        ));
    }
    let description = format!("snapshot of {}", header("read as").unwrap_or("an export"));
    let mut table = match reading {
        Reading::Named(_) if columns.len() != 2 => {
            return Err(DataError::invalid(
                Location::line(path, header_number),
                "expected date and one column, the series",
            ));
        }
        Reading::Named(_) => Table::series(path, description),
        Reading::Source(_) => {
            let fields = columns[1..]
                .iter()
                .map(|name| {
                    Field::ALL
                        .iter()
                        .copied()
                        .find(|f| f.name() == *name)
                        .ok_or_else(|| {
                            DataError::invalid(
                                Location::line(path, header_number),
                                format!("unknown column \"{name}\"; expected field names"),
                            )
                        })
                })
                .collect::<Result<_, _>>()?;
            Table::new(path, description, fields)
        }
    };
    let position = |name: &str| columns.iter().position(|c| *c == name);
    let exact = position("open").zip(position("close"));
    let mut values = vec![f64::NAN; columns.len() - 1];
    while lines.advance()? {
        let (line, number) = (lines.bytes(), lines.number);
        if table.dates.is_empty() {
            // Rows of about this line's length fill the file, a few comment lines aside.
            let rows = (length / (line.len() as u64 + 1)) as usize;
            table.reserve(rows + 1, exact.is_some());
        }
        let (date, prices) = parse_row(line, columns.len(), exact, &mut values).map_err(|e| {
            let location = match e.column {
                Some(c) => Location::field(path, number, c, columns[c]),
                None => Location::line(path, number),
            };
            DataError::invalid(location, e.message)
        })?;
        if let Some((open, close)) = prices {
            table.exact_open.push(open);
            table.exact_close.push(close);
        }
        table.push_parsed(number, date, &values);
    }
    if table.dates.is_empty() {
        return Err(DataError::invalid(
            Location::line(path, header_number),
            "the table has no rows",
        ));
    }
    crate::validate::check_dates(&table)?;
    Ok(table)
}

/// Why a table line was refused: the column (None for the whole line) and what was expected.
#[derive(Debug)]
struct RowError {
    column: Option<usize>,
    message: String,
}

/// Parses one table line of `width` fields into its date and `values` (one per column after
/// the date), with the exact open and close when `exact` gives their columns. The error is
/// the first of: a wrong field count, the first cell in column order that is not a date or a
/// number, an open and then a close that is a number but not a price.
fn parse_row(
    line: &[u8],
    width: usize,
    exact: Option<(usize, usize)>,
    values: &mut [f64],
) -> Result<(NaiveDate, Option<(Decimal, Decimal)>), RowError> {
    let mut cells = line.split(|&b| b == b',');
    let date = parse_date_bytes(cells.next().unwrap_or_default());
    let (mut count, mut first_error) = (1, None);
    let mut prices = [None, None];
    for (c, cell) in (1..).zip(cells) {
        count += 1;
        if c >= width || first_error.is_some() {
            continue;
        }
        let price = exact.and_then(|(open, close)| [open, close].iter().position(|&p| p == c));
        let value = match price {
            Some(k) => match parse_price_bytes(cell) {
                Ok(price) => {
                    prices[k] = Some(price);
                    Ok(decimal_to_f64(price))
                }
                Err(_) if cell.is_empty() => Ok(f64::NAN),
                Err(_) => parse_number_bytes(cell),
            },
            None if cell.is_empty() => Ok(f64::NAN),
            None => parse_number_bytes(cell),
        };
        match value {
            Ok(value) => values[c - 1] = value,
            Err(message) => first_error = Some((c, message)),
        }
    }
    let fail = |column: Option<usize>, message: String| RowError { column, message };
    if count != width {
        return Err(fail(
            None,
            format!("{count} fields; expected {width} as in the header"),
        ));
    }
    let date = date.map_err(|message| fail(Some(0), message))?;
    if let Some((c, message)) = first_error {
        return Err(fail(Some(c), message));
    }
    let Some((open_column, close_column)) = exact else {
        return Ok((date, None));
    };
    let price = |k: usize, c: usize| {
        prices[k].ok_or_else(|| {
            let cell = line.split(|&b| b == b',').nth(c).unwrap_or_default();
            fail(Some(c), parse_price_bytes(cell).err().unwrap_or_default())
        })
    };
    Ok((
        date,
        Some((price(0, open_column)?, price(1, close_column)?)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(bytes: &[u8]) -> Vec<(u64, Vec<u8>)> {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("lines.csv");
        std::fs::write(&path, bytes).expect("written");
        let (mut lines, _) = Lines::open(&path, u64::MAX).expect("opens");
        let mut seen = Vec::new();
        while lines.advance().expect("reads") {
            seen.push((lines.number, lines.bytes().to_vec()));
        }
        seen
    }

    #[test]
    fn lines_split_as_str_lines_does_across_blocks() {
        // Lines that straddle the buffer's blocks, one longer than a block, CRLF and LF, a
        // lone CR kept inside its line, an empty line, and a last line without an end.
        let long = "x".repeat(Lines::BLOCK + 10);
        let mut text = String::new();
        for i in 0..20_000 {
            text.push_str(&format!("line {i},{}\r\n", i * 7));
        }
        text.push_str(&format!("{long}\n\na\rb\nlast\r"));
        let expected: Vec<(u64, Vec<u8>)> = text
            .lines()
            .zip(1..)
            .map(|(line, n)| (n, line.as_bytes().to_vec()))
            .collect();
        assert_eq!(lines_of(text.as_bytes()), expected);
        assert_eq!(lines_of(b""), Vec::new());
        assert_eq!(lines_of(b"\n"), vec![(1, Vec::new())]);
    }

    #[test]
    fn a_row_reports_its_field_count_then_its_first_bad_cell_then_a_bad_price() {
        let exact = Some((1, 4));
        let mut values = vec![0.0; 5];
        let error = |line: &str| {
            let mut values = vec![0.0; 5];
            let e = parse_row(line.as_bytes(), 6, exact, &mut values).expect_err("refused");
            (e.column, e.message)
        };
        let (date, prices) =
            parse_row(b"2020-01-02,10.50,11,9,10.2500,", 6, exact, &mut values).expect("parses");
        assert_eq!(date, NaiveDate::from_ymd_opt(2020, 1, 2).unwrap());
        let price = |text: &str| text.parse::<Decimal>().unwrap();
        assert_eq!(prices, Some((price("10.50"), price("10.2500"))));
        assert_eq!(values[..4], [10.5, 11.0, 9.0, 10.25]);
        assert!(values[4].is_nan());
        assert_eq!(
            error("2020-01-02,x,11,9"),
            (None, "4 fields; expected 6 as in the header".into())
        );
        assert_eq!(error("2020-13-02,x,11,9,10,").0, Some(0));
        assert_eq!(
            error("2020-01-02,0,11,y,10,"),
            (Some(3), "expected a finite number, found \"y\"".into())
        );
        assert_eq!(
            error("2020-01-02,0,11,9,0,"),
            (Some(1), "expected a positive price, found 0".into())
        );
        assert_eq!(
            error("2020-01-02,10,11,9,,"),
            (Some(4), "expected a positive price, found \"\"".into())
        );
        // rust_decimal alone would read these prices as 10.5 and 1000.
        assert_eq!(
            error("2020-01-02,1_0.5,11,9,10,"),
            (Some(1), "expected a finite number, found \"1_0.5\"".into())
        );
        assert_eq!(
            error("2020-01-02,10,11,9,1_000,"),
            (Some(4), "expected a finite number, found \"1_000\"".into())
        );
    }
}
