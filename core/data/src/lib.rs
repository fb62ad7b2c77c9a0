//! Data layer of cyclebt: reads the CSV exports A-share researchers have (baostock, akshare,
//! Eastmoney, CSIndex, legulegu), validates them, normalises units, and joins index bars,
//! margin financing and valuation onto one trading calendar with each series' publication lag
//! applied.
//!
//! **Architecture Invariant:** this crate never prints and never exits; every problem with an
//! input is a [`DataError`] naming file, line and column, or a [`Finding`] when the importer
//! repaired something.
//!
//! **Architecture Invariant:** row `t` of a [`MarketData`] holds only what was published by
//! the close of trading day `t`.

#![deny(missing_docs)]

mod csvfile;
mod cycles;
mod decimal_f64;
mod error;
mod formats;
mod load;
mod manifest;
mod market;
mod plausible;
mod snapshot;
mod validate;

pub use csvfile::DEFAULT_MAX_FILE_BYTES;
pub use cycles::{CycleList, Window, WindowError, WindowSpan, check_name, parse_cycles};
pub use decimal_f64::{POWERS_OF_TEN, decimal_to_f64, parts_to_f64};
pub use error::{DataError, Finding, Location};
pub use formats::Format;
pub use load::{DEFAULT_MARGIN_LAG_DAYS, Dataset, load, load_from};
pub use manifest::{
    BadBars, DEFAULT_MAX_AGE_DAYS, DateBounds, Join, MAX_SERIES_NAME_LEN, Manifest,
    NamedSeriesSpec, SeriesSpec, Source, Splice, Unit,
};
pub use market::{Field, History, MarketData, SeriesCoverage, SeriesInfo};
pub use plausible::{FIRST_PLAUSIBLE_DATE, JUMP_FACTOR, MAX_TURNOVER, MAX_YUAN};
pub use snapshot::{
    ExportInfo, Origin, SNAPSHOT_VERSION, SnapshotFile, SnapshotSources, build as build_snapshot,
};
