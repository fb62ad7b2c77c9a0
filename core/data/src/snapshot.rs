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
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Deserialize;

use crate::csvfile::{parse_date, parse_number, parse_price};
use crate::error::{DataError, Finding, Location};
use crate::formats::{self, Table, decimal_to_f64};
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
    fn key(&self) -> String {
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
        (!table.exact.is_empty())
            .then(|| (position(Field::Open), position(Field::Close)))
            .map(|(open, close)| (open == Some(i), close == Some(i)))
            .unwrap_or((false, false))
    };
    for (r, date) in table.dates.iter().enumerate() {
        out.push_str(&date.to_string());
        for (i, value) in table.values[r].iter().enumerate() {
            out.push(',');
            match exact_at(i) {
                (true, _) => out.push_str(&table.exact[r].0.to_string()),
                (_, true) => out.push_str(&table.exact[r].1.to_string()),
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

/// Reads one snapshot file for `reading`, re-reporting the findings it carries.
fn read_table(
    path: &Path,
    reading: Reading<'_>,
    limit: u64,
    findings: &mut Vec<Finding>,
) -> Result<Table, DataError> {
    let bytes = crate::csvfile::read_input(path, limit)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        DataError::invalid(Location::file(path), "snapshot is not UTF-8; rebuild it")
    })?;
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("");
    let expected = format!("{MAGIC}{SNAPSHOT_VERSION}");
    if first != expected {
        let message = match first.strip_prefix(MAGIC) {
            Some(version) => format!(
                "snapshot format version {version}; this cyclebt reads version {SNAPSHOT_VERSION}: rebuild the snapshot with `cyclebt data snapshot`"
            ),
            None => format!("expected \"{expected}\" on the first line; not a cyclebt snapshot"),
        };
        return Err(DataError::invalid(Location::line(path, 1), message));
    }
    let comments: Vec<&str> = text
        .lines()
        .take_while(|line| line.starts_with('#'))
        .collect();
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
    let offset = comments.len() as u64;
    // The table starts after the line end of the last comment line (there is at least one,
    // the version line).
    let start = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(comments.len() - 1)
        .map_or(bytes.len(), |(i, _)| i + 1);
    // The table is the project's own plain format (no quotes, no BOM), read line by line
    // without a general CSV reader: the load time of every command depends on it.
    let mut lines = text[start..].lines().zip(offset + 1..);
    let (header_line, header_number) = lines.next().ok_or_else(|| {
        DataError::invalid(Location::file(path), "no table after the comment lines")
    })?;
    let columns: Vec<&str> = header_line.split(',').collect();
    if columns.first() != Some(&"date") {
        return Err(DataError::invalid(
            Location::line(path, header_number),
            "expected the first column to be date",
        ));
    }
    let fields: Vec<Field> = match reading {
        Reading::Named(_) => Vec::new(),
        Reading::Source(_) => columns[1..]
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
            .collect::<Result<_, _>>()?,
    };
    let exact = ["open", "close"].map(|name| columns.iter().position(|c| *c == name));
    let description = format!("snapshot of {}", header("read as").unwrap_or("an export"));
    let mut table = Table::new(path, description, fields);
    let mut cells: Vec<&str> = Vec::with_capacity(columns.len());
    for (line, number) in lines {
        cells.clear();
        cells.extend(line.split(','));
        if cells.len() != columns.len() {
            return Err(DataError::invalid(
                Location::line(path, number),
                format!(
                    "{} fields; expected {} as in the header",
                    cells.len(),
                    columns.len()
                ),
            ));
        }
        let at = |c: usize, message: String| {
            DataError::invalid(Location::field(path, number, c, columns[c]), message)
        };
        let date = parse_date(cells[0]).map_err(|message| at(0, message))?;
        let mut values = Vec::with_capacity(columns.len() - 1);
        for (c, cell) in cells.iter().enumerate().skip(1) {
            let value = match *cell {
                "" => f64::NAN,
                text => parse_number(text).map_err(|message| at(c, message))?,
            };
            values.push(value);
        }
        if let [Some(open_column), Some(close_column)] = exact {
            let price = |c: usize| parse_price(cells[c]).map_err(|message| at(c, message));
            let (open, close) = (price(open_column)?, price(close_column)?);
            values[open_column - 1] = decimal_to_f64(open);
            values[close_column - 1] = decimal_to_f64(close);
            table.exact.push((open, close));
        }
        table.push_parsed(number, date, values);
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
