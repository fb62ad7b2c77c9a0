//! Reading a CSV export into checked fields, with every failure located by file, line and column.
//!
//! Exports in the wild start with a UTF-8 byte-order mark, carry Chinese or English headers and
//! write numbers as integers, floats or empty cells. This module deals with the bytes; the
//! formats in [`crate::formats`] say which columns mean what.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::error::{DataError, Location};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Smallest price accepted. Together with the engine's bounds on capital and lot it keeps the
/// account's arithmetic inside `Decimal`'s 28 digits; no index or fund trades this low.
pub const MIN_PRICE: Decimal = Decimal::from_parts(1, 0, 0, false, 4);
/// Largest price accepted (10^9).
pub const MAX_PRICE: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

/// A CSV file opened and split into fields, header checked.
///
/// The data rows' fields are kept one after the other in one string, not as a record per row:
/// a `csv::StringRecord` is three allocations, some 200 bytes a row beyond its text, which for
/// a history of 870,000 days was more memory than the text itself.
pub(crate) struct CsvFile {
    path: PathBuf,
    headers: Vec<String>,
    /// Every data row's fields, unquoted, in order.
    text: String,
    /// Where each field ends in `text`; row `r`'s fields are entries `r * width ..`, `width`
    /// the header's field count (the reader refuses rows with another).
    ends: Vec<u32>,
    /// Each data row's line number.
    lines: Vec<u64>,
}

/// One data row with its line number, borrowed from a [`CsvFile`].
pub(crate) struct Row<'a> {
    file: &'a CsvFile,
    line: u64,
    /// The row's first field's index into `file.ends`.
    first: usize,
}

impl CsvFile {
    /// Reads and splits a whole file of at most `limit` bytes (see [`read_input`]). Rejects
    /// empty files, UTF-16 and other non-UTF-8 encodings, stray quotes, and rows whose field
    /// count differs from the header's.
    pub(crate) fn open(path: &Path, limit: u64) -> Result<CsvFile, DataError> {
        Self::parse(path, &read_input(path, limit)?)
    }

    pub(crate) fn parse(path: &Path, bytes: &[u8]) -> Result<CsvFile, DataError> {
        let file_error = |message: &str| DataError::invalid(Location::file(path), message);
        if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
            return Err(file_error(
                "file is UTF-16 (byte-order mark FF FE or FE FF); expected UTF-8",
            ));
        }
        let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
        if body.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(file_error(
                "file is empty; expected a header line and data rows",
            ));
        }
        // Quotes are not special: a stray one cannot make the rest of the file one field.
        // A field wholly enclosed in quotes on one line (as R and spreadsheets write headers)
        // is unquoted below; any other quote is an error at its line and column.
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .quoting(false)
            .from_reader(body);
        let lines = LineStarts::of(body);
        let mut text = String::with_capacity(body.len());
        let mut ends: Vec<u32> = Vec::new();
        let mut row_lines = Vec::new();
        let mut headers: Option<Vec<String>> = None;
        let mut first_line = 1;
        let mut record = csv::ByteRecord::new();
        loop {
            let more = reader
                .read_byte_record(&mut record)
                .map_err(|e| csv_error(path, &e, headers.as_deref(), &lines))?;
            if !more {
                break;
            }
            let line = record.position().map_or(0, |p| lines.line_at(p.byte()));
            let field_error = |field: usize, message: &str| {
                let header = headers
                    .as_ref()
                    .and_then(|h| h.get(field))
                    .map_or("", |h| h);
                DataError::invalid(Location::field(path, line, field, header), message)
            };
            // Quotes over the whole row first: a stray quote is the error even after a field
            // of bad text.
            if let Some(i) = record.iter().position(|field| unquoted(field).is_none()) {
                return Err(field_error(
                    i,
                    "a double quote inside the field; expected plain text, or a whole field in quotes on one line",
                ));
            }
            let fields = record
                .iter()
                .filter_map(unquoted)
                .enumerate()
                .map(|(i, field)| {
                    std::str::from_utf8(field).map_err(|_| {
                    field_error(
                        i,
                        "text is not valid UTF-8 (a GBK or other legacy encoding?); expected UTF-8",
                    )
                })
                });
            match &headers {
                None => {
                    first_line = line;
                    // At most a row per line after the header's: the vectors are allocated
                    // once, at their size, instead of doubling (a doubled vector is copied,
                    // and glibc keeps the old block). No file has more fields than bytes,
                    // whatever its header claims.
                    let rows = lines.starts.len().saturating_sub(1);
                    ends.reserve_exact(rows.saturating_mul(record.len()).min(body.len()));
                    row_lines.reserve_exact(rows);
                    let names = fields.map(|name| name.map(|name| name.trim().to_string()));
                    headers = Some(names.collect::<Result<_, _>>()?);
                }
                Some(_) => {
                    row_lines.push(line);
                    // Straight into the text: an error ends the reading, whatever was pushed.
                    for field in fields {
                        text.push_str(field?);
                        let end = u32::try_from(text.len()).map_err(|_| {
                            file_error("file has over 4 GiB of fields; expected less")
                        })?;
                        ends.push(end);
                    }
                }
            }
        }
        let headers = headers.ok_or_else(|| file_error("file has no header line"))?;
        // A repeated name would be read from whichever copy comes first, silently.
        for (i, name) in headers.iter().enumerate() {
            if let Some(first) = headers[..i].iter().position(|h| h == name) {
                return Err(DataError::invalid(
                    Location::field(path, first_line, i, name),
                    format!(
                        "column name \"{name}\" also names column {}; expected each column once",
                        first + 1
                    ),
                ));
            }
        }
        if row_lines.is_empty() {
            return Err(DataError::invalid(
                Location::line(path, 1),
                "file has a header but no data rows; expected at least one row",
            ));
        }
        Ok(CsvFile {
            path: path.to_path_buf(),
            headers,
            text,
            ends,
            lines: row_lines,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Position of a required column, by its exact header text.
    pub(crate) fn column(&self, header: &str) -> Result<usize, DataError> {
        self.find_column(header).ok_or_else(|| {
            DataError::invalid(
                Location::line(&self.path, 1),
                format!(
                    "missing column \"{header}\"; the header has: {}",
                    self.headers.join(",")
                ),
            )
        })
    }

    /// Position of an optional column.
    pub(crate) fn find_column(&self, header: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == header)
    }

    /// The number of data rows.
    pub(crate) fn len(&self) -> usize {
        self.lines.len()
    }

    pub(crate) fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.lines.iter().enumerate().map(|(r, &line)| Row {
            file: self,
            line,
            first: r * self.headers.len(),
        })
    }
}

/// Largest input file read unless a manifest sets `max_file_mb`: 256 MiB, some three hundred
/// times the largest real export (a daily index file of thirty years is under 1 MB).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 256 << 20;

/// Reads a whole input file: it must be a regular file (not a device such as `/dev/zero`, a
/// FIFO that would block, or a folder) of at most `limit` bytes, checked before reading and
/// again while reading (the file may grow).
pub(crate) fn read_input(path: &Path, limit: u64) -> Result<Vec<u8>, DataError> {
    use std::io::Read;
    let (mut file, length) = open_input(path, limit)?;
    let mut bytes = Vec::with_capacity(length as usize);
    file.read_to_end(&mut bytes)
        .map_err(|e| io_error(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(path, limit));
    }
    Ok(bytes)
}

/// Opens an input file for reading in pieces, with the checks of [`read_input`] made before
/// reading; its length is returned with it. The reader stops one byte past `limit`: a caller
/// that reads more than `limit` bytes must give [`too_large`]'s error.
pub(crate) fn open_input(
    path: &Path,
    limit: u64,
) -> Result<(std::io::Take<std::fs::File>, u64), DataError> {
    use std::io::Read;
    let metadata = std::fs::metadata(path).map_err(|e| io_error(path, e))?;
    if !metadata.is_file() {
        return Err(DataError::invalid(
            Location::file(path),
            "not a regular file (a device, FIFO, socket or folder); expected a CSV file",
        ));
    }
    if metadata.len() > limit {
        return Err(too_large(path, limit));
    }
    let file = std::fs::File::open(path).map_err(|e| io_error(path, e))?;
    Ok((file.take(limit.saturating_add(1)), metadata.len()))
}

pub(crate) fn io_error(path: &Path, source: std::io::Error) -> DataError {
    DataError::Io {
        path: path.into(),
        source,
    }
}

/// The error for a file longer than the input size cap.
pub(crate) fn too_large(path: &Path, limit: u64) -> DataError {
    DataError::invalid(
        Location::file(path),
        format!(
            "file is larger than {limit} bytes, the input size cap; raise the manifest's max_file_mb if it is really this large"
        ),
    )
}

/// Where each physical line of a text starts, lines ending in LF, CRLF or a lone CR (as the
/// CSV reader splits them), so that a byte position gives the same line number whatever the
/// line ends.
struct LineStarts<'a> {
    text: &'a [u8],
    starts: Vec<u64>,
}

impl<'a> LineStarts<'a> {
    fn of(text: &'a [u8]) -> Self {
        // Sized once: every line ends in an LF or a CR (a CRLF counted twice, a bound).
        let ends = memchr::memchr2_iter(b'\n', b'\r', text).count();
        let mut starts = Vec::with_capacity(ends + 1);
        starts.push(0);
        for (i, &b) in text.iter().enumerate() {
            let ends = b == b'\n' || (b == b'\r' && text.get(i + 1) != Some(&b'\n'));
            if ends {
                starts.push(i as u64 + 1);
            }
        }
        LineStarts { text, starts }
    }

    /// The 1-based line of the record the CSV reader says starts at byte `position`. The
    /// reader may place it on the line ends before it (the LF of a CRLF, a blank line); a
    /// record starts at its first byte that ends no line.
    fn line_at(&self, position: u64) -> u64 {
        let first = self.text[(position as usize).min(self.text.len())..]
            .iter()
            .position(|b| !matches!(b, b'\r' | b'\n'))
            .map_or(position, |skip| position + skip as u64);
        self.starts.partition_point(|&start| start <= first) as u64
    }
}

/// The field unquoted when wholly in double quotes; None when it has any other double quote.
fn unquoted(field: &[u8]) -> Option<&[u8]> {
    match field {
        [b'"', inner @ .., b'"'] if !inner.contains(&b'"') => Some(inner),
        _ if field.contains(&b'"') => None,
        _ => Some(field),
    }
}

fn csv_error(
    path: &Path,
    error: &csv::Error,
    headers: Option<&[String]>,
    lines: &LineStarts,
) -> DataError {
    match error.kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => {
            let line = pos.as_ref().map_or(0, |p| lines.line_at(p.byte()));
            let what = if len < expected_len {
                "truncated row"
            } else {
                "row too long"
            };
            let names = headers.map(|h| h.join(",")).unwrap_or_default();
            DataError::invalid(
                Location::line(path, line),
                format!("{what}: {len} fields; expected {expected_len} ({names})"),
            )
        }
        _ => DataError::invalid(
            Location::file(path),
            format!("not readable as CSV: {error}"),
        ),
    }
}

impl Row<'_> {
    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    pub(crate) fn location(&self) -> Location {
        Location::line(&self.file.path, self.line)
    }

    fn raw(&self, column: usize) -> &str {
        if column >= self.file.headers.len() {
            return "";
        }
        let end = self.file.ends[self.first + column] as usize;
        let start = match self.first + column {
            0 => 0,
            i => self.file.ends[i - 1] as usize,
        };
        self.file.text[start..end].trim()
    }

    /// Writes into `out` (emptied first) all fields except those that hold a date, joined:
    /// equal for rows that repeat each other under different dates.
    pub(crate) fn fingerprint(&self, out: &mut String) {
        out.clear();
        let dated = |i: usize| {
            self.file
                .headers
                .get(i)
                .is_some_and(|h| h == "date" || h == "日期")
        };
        for (k, i) in (0..self.file.headers.len())
            .filter(|&i| !dated(i))
            .enumerate()
        {
            if k > 0 {
                out.push(',');
            }
            out.push_str(self.raw(i));
        }
    }

    /// True when the field is empty.
    pub(crate) fn is_empty(&self, column: usize) -> bool {
        self.raw(column).is_empty()
    }

    fn error(&self, column: usize, message: String) -> DataError {
        let header = self.file.headers.get(column).map_or("", String::as_str);
        DataError::invalid(
            Location::field(&self.file.path, self.line, column, header),
            message,
        )
    }

    /// A `YYYY-MM-DD` date.
    pub(crate) fn date(&self, column: usize) -> Result<NaiveDate, DataError> {
        parse_date(self.raw(column)).map_err(|message| self.error(column, message))
    }

    /// A month written `YYYY年MM月份`, as the last calendar day of that month.
    pub(crate) fn month(&self, column: usize) -> Result<NaiveDate, DataError> {
        let text = self.raw(column);
        let parsed = text
            .strip_suffix("月份")
            .and_then(|t| t.split_once('年'))
            .and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<u32>().ok()?)))
            .filter(|(_, month)| (1..=12).contains(month));
        let last_day = parsed.and_then(|(year, month)| {
            let next = if month == 12 {
                (year + 1, 1)
            } else {
                (year, month + 1)
            };
            NaiveDate::from_ymd_opt(next.0, next.1, 1)?.pred_opt()
        });
        last_day.ok_or_else(|| {
            self.error(
                column,
                format!("expected a month like 2025年04月份, found \"{text}\""),
            )
        })
    }

    /// A finite number; empty is an error.
    pub(crate) fn number(&self, column: usize) -> Result<f64, DataError> {
        parse_number(self.raw(column)).map_err(|message| self.error(column, message))
    }

    /// A finite number, or NaN for an empty field.
    pub(crate) fn optional_number(&self, column: usize) -> Result<f64, DataError> {
        if self.is_empty(column) {
            Ok(f64::NAN)
        } else {
            self.number(column)
        }
    }

    /// A finite number that is zero or more.
    pub(crate) fn non_negative(&self, column: usize) -> Result<f64, DataError> {
        let value = self.number(column)?;
        if value < 0.0 {
            return Err(self.error(column, format!("expected zero or more, found {value}")));
        }
        Ok(value)
    }

    /// A price: positive, finite, kept exactly as written.
    pub(crate) fn price(&self, column: usize) -> Result<Decimal, DataError> {
        parse_price(self.raw(column)).map_err(|message| self.error(column, message))
    }
}

/// A `YYYY-MM-DD` date; the message says what was expected and found.
pub(crate) fn parse_date(text: &str) -> Result<NaiveDate, String> {
    parse_date_bytes(text.as_bytes())
}

/// [`parse_date`] of a field's bytes.
pub(crate) fn parse_date_bytes(field: &[u8]) -> Result<NaiveDate, String> {
    parse_iso_date(field).ok_or_else(|| {
        format!(
            "expected a date YYYY-MM-DD, found \"{}\"",
            String::from_utf8_lossy(field)
        )
    })
}

/// A finite number; empty is an error. The message says what was expected and found.
pub(crate) fn parse_number(text: &str) -> Result<f64, String> {
    if text.is_empty() {
        return Err("expected a number, found an empty field".into());
    }
    match f64::from_str(text) {
        Ok(value) if value.is_finite() => Ok(value),
        _ => Err(format!("expected a finite number, found \"{text}\"")),
    }
}

/// [`parse_number`] of a field's bytes. Plain decimals (`1260`, `99.98`), nearly every number
/// a snapshot holds, are read here without the detour through text; anything else goes to
/// [`parse_number`].
pub(crate) fn parse_number_bytes(field: &[u8]) -> Result<f64, String> {
    match PlainDecimal::of(field).and_then(PlainDecimal::to_f64) {
        Some(value) => Ok(value),
        None => parse_number(&field_text(field)),
    }
}

/// A field as text for a message or a parser; bytes that are not UTF-8 become U+FFFD.
fn field_text(field: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(field)
}

/// A number written as ASCII digits with at most one decimal point and no sign or exponent
/// (`1260`, `99.9800`, `0.0239`): its digits as an integer and the count after the point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PlainDecimal {
    digits: u64,
    scale: u32,
}

impl PlainDecimal {
    /// At most 19 digits (so that they fit a `u64`), with at least one on each side of a point.
    fn of(field: &[u8]) -> Option<PlainDecimal> {
        let (mut digits, mut point) = (0u64, None);
        for (i, &b) in field.iter().enumerate() {
            let digit = b.wrapping_sub(b'0');
            if digit <= 9 {
                digits = digits.wrapping_mul(10).wrapping_add(u64::from(digit));
            } else if b == b'.' && point.is_none() {
                point = Some(i);
            } else {
                return None;
            }
        }
        let count = field.len() - usize::from(point.is_some());
        // "5." and ".5" are left to the general parsers.
        let bare_point = point.is_some_and(|p| p == 0 || p + 1 == field.len());
        (count > 0 && count <= 19 && !bare_point).then(|| PlainDecimal {
            digits,
            scale: point.map_or(0, |p| (field.len() - p - 1) as u32),
        })
    }

    /// The nearest `f64`, when the quick way gives it: digits below 2^53 and at most 22
    /// after the point are exact as `f64`s, as is 10^scale, so one correctly rounded division
    /// gives the nearest `f64` to the quotient, which is what [`f64::from_str`] returns (the
    /// fast path of Clinger, 1990, that the standard parser also takes for these).
    fn to_f64(self) -> Option<f64> {
        const POWERS: [f64; 23] = [
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
            1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
        ];
        let power = POWERS.get(self.scale as usize)?;
        (self.digits <= 1 << 53).then(|| self.digits as f64 / power)
    }

    /// Between [`MIN_PRICE`] and [`MAX_PRICE`] (10^-4 and 10^9), compared as integers:
    /// `digits / 10^scale` against each.
    fn is_price(self) -> bool {
        let Some(power) = 10u128.checked_pow(self.scale) else {
            return false;
        };
        let digits = u128::from(self.digits);
        let below_max = power
            .checked_mul(1_000_000_000)
            .is_none_or(|max| digits <= max);
        digits * 10_000 >= power && below_max
    }

    /// The same number as a `Decimal` with the scale as written (`96.0500` keeps four places),
    /// as [`Decimal::from_str`] reads it.
    fn to_decimal(self) -> Option<Decimal> {
        (self.scale <= 28).then(|| {
            Decimal::from_parts(
                self.digits as u32,
                (self.digits >> 32) as u32,
                0,
                false,
                self.scale,
            )
        })
    }
}

/// [`parse_price`] of a field's bytes; plain decimals are read without the detour through text.
pub(crate) fn parse_price_bytes(field: &[u8]) -> Result<Decimal, String> {
    let plain = PlainDecimal::of(field).filter(|p| p.is_price());
    match plain.and_then(PlainDecimal::to_decimal) {
        Some(value) => Ok(value),
        None => parse_price(&field_text(field)),
    }
}

/// A price: positive, finite, between [`MIN_PRICE`] and [`MAX_PRICE`], kept exactly as
/// written.
pub(crate) fn parse_price(text: &str) -> Result<Decimal, String> {
    // rust_decimal also reads digit separators (`1_0.5` as 10.5): a price must first be a
    // number as `f64` reads one, like every other numeric cell.
    if f64::from_str(text).is_err() {
        return Err(format!("expected a positive price, found \"{text}\""));
    }
    let value = Decimal::from_str(text)
        .or_else(|_| Decimal::from_scientific(text))
        .map_err(|_| format!("expected a positive price, found \"{text}\""))?;
    check_price(value)
}

fn check_price(value: Decimal) -> Result<Decimal, String> {
    if value <= Decimal::ZERO {
        return Err(format!("expected a positive price, found {value}"));
    }
    if !(MIN_PRICE..=MAX_PRICE).contains(&value) {
        return Err(format!(
            "expected a price between {MIN_PRICE} and {MAX_PRICE}, found {value}"
        ));
    }
    Ok(value)
}

/// `YYYY-MM-DD` exactly (four, two and two digits), a real calendar day. Read by hand because
/// chrono's format parser is the largest single cost of loading a file.
fn parse_iso_date(b: &[u8]) -> Option<NaiveDate> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| {
        b[range].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let year = i32::try_from(number(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(5..7)?, number(8..10)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numbers read from bytes are exactly what the text parsers give, value and scale, on
    /// hand-picked edge cases and on 200,000 seeded ones of the snapshot's forms.
    #[test]
    fn numbers_from_bytes_equal_the_text_parsers() {
        let mut cases: Vec<String> = [
            "0",
            "1",
            "00012.50",
            "99.98",
            "96.0500",
            "0.0239",
            "5.",
            ".5",
            ".",
            "",
            "1e3",
            "-1",
            "+1",
            "1.2.3",
            " 1",
            "1 ",
            "nan",
            "inf",
            "9007199254740992",
            "9007199254740993",
            "1234567890123456789",
            "12345678901234567890",
            "0.1234567890123456789",
            "1.0000000000000000000001",
            "0.3",
            "2.675",
            "3409000000.0000005",
            "0.00000000000000000000001",
        ]
        .map(String::from)
        .to_vec();
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..200_000 {
            let digits = next() % 10_u64.pow(1 + (next() % 17) as u32);
            let text = digits.to_string();
            let point = (next() % (text.len() as u64 + 2)) as usize;
            cases.push(match point {
                0 => text,
                p if p >= text.len() => format!("0.{text}"),
                p => format!("{}.{}", &text[..p], &text[p..]),
            });
        }
        for text in &cases {
            let from_bytes = parse_number_bytes(text.as_bytes());
            let from_text = parse_number(text);
            match (&from_bytes, &from_text) {
                (Ok(a), Ok(b)) => assert_eq!(a.to_bits(), b.to_bits(), "{text}"),
                _ => assert_eq!(from_bytes, from_text, "{text}"),
            }
            let (a, b) = (parse_price_bytes(text.as_bytes()), parse_price(text));
            assert_eq!(a, b, "{text}");
            if let (Ok(a), Ok(b)) = (a, b) {
                assert_eq!(a.to_string(), b.to_string(), "scale of {text}");
            }
        }
    }

    #[test]
    fn iso_dates_are_read_strictly() {
        assert_eq!(
            parse_iso_date(b"2015-06-12"),
            NaiveDate::from_ymd_opt(2015, 6, 12)
        );
        for bad in [
            "2015-6-12",
            "2015/06/12",
            "2015-02-30",
            "20150612",
            "2015-06-1x",
            "",
        ] {
            assert_eq!(parse_iso_date(bad.as_bytes()), None, "{bad}");
        }
    }
}
