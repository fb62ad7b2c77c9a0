//! Errors and findings of the data layer.
//!
//! Every error names the file and, where one exists, the line and column, and says what was
//! expected. Findings are the non-fatal counterpart: a row dropped or a value normalised, reported
//! so that nothing is changed silently.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where in an input file something was found. Lines and columns are 1-based; a column is a CSV
/// field, named by its header when one is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file, as the user named it (data root joined with the manifest path).
    pub path: PathBuf,
    /// 1-based physical line, when the problem is on one line.
    pub line: Option<u64>,
    /// 1-based field number and header name, when the problem is in one field.
    pub column: Option<(usize, String)>,
}

impl Location {
    /// The whole file.
    pub fn file(path: &Path) -> Self {
        Location {
            path: path.to_path_buf(),
            line: None,
            column: None,
        }
    }

    /// One line of the file.
    pub fn line(path: &Path, line: u64) -> Self {
        Location {
            path: path.to_path_buf(),
            line: Some(line),
            column: None,
        }
    }

    /// One field of one line.
    pub fn field(path: &Path, line: u64, index: usize, header: &str) -> Self {
        Location {
            path: path.to_path_buf(),
            line: Some(line),
            column: Some((index + 1, header.to_string())),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some((number, name)) = &self.column {
            write!(f, ": column {number} ({name})")?;
        }
        Ok(())
    }
}

/// A failure to load a dataset. Each variant is bad input, never an internal fault.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file could not be opened or read.
    #[error("{path}: cannot read file: {source}", path = .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The content of a file is not what its format requires.
    #[error("{location}: {message}")]
    Invalid {
        /// Where.
        location: Location,
        /// What was found and what was expected.
        message: String,
    },
    /// A TOML file (manifest or cycle list) is malformed or has an unknown key.
    #[error("{path}: {message}", path = .path.display())]
    Toml {
        /// The TOML file.
        path: PathBuf,
        /// The parser's message, which carries line, column and the offending text.
        message: String,
    },
}

impl DataError {
    /// An error at a location.
    pub fn invalid(location: Location, message: impl Into<String>) -> Self {
        DataError::Invalid {
            location,
            message: message.into(),
        }
    }
}

/// Something the importer did to the input that the user should know about: a row dropped, a
/// unit assumed, a gap left open. Reported by `cyclebt data check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Where.
    pub location: Location,
    /// What was found and what was done about it.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}
