//! The C ABI between cyclebt and its plugins: only `#[repr(C)]` types and constants, no
//! dependencies, nothing that allocates.
//!
//! A plugin is a shared library exporting one symbol, [`ENTRY_SYMBOL`], an
//! [`EntryFn`] returning a pointer to a static [`PluginDescriptor`]. The host reads the
//! descriptor's first two fields, [`PluginDescriptor::abi_version`] and
//! [`PluginDescriptor::descriptor_size`], before anything else, and refuses the plugin unless
//! the version is one it speaks ([`OLDEST_ABI_VERSION`]..=[`ABI_VERSION`]) and the size covers
//! that version's descriptor.
//!
//! Version 2 added named series: a plugin lists the series it reads by name
//! ([`PluginDescriptor::series`]) and finds their columns through
//! [`HistoryView::series_columns`]. Both were appended, so a version-1 descriptor is the first
//! [`DESCRIPTOR_V1_SIZE`] bytes of a version-2 one and a version-1 plugin, which reads no field
//! of the view past `missing`, still loads and runs.
//!
//! Also in version 2, appended after `series`: the names a plugin gives its labels
//! ([`PluginDescriptor::label_names`]). A version-2 descriptor built before them is
//! [`DESCRIPTOR_V2_SERIES_SIZE`] bytes; the host reads it as one declaring no label names.
//!
//! **Architecture Invariant:** only types from this crate cross a plugin boundary.
//! **Architecture Invariant:** fields are only ever added at the end of a struct; any other
//! change (removing, reordering, retyping a field, changing a function's signature or the
//! meaning of a value) bumps [`ABI_VERSION`]. `tests/abi_layout.rs` pins sizes and offsets.
//! **Architecture Invariant:** no call unwinds across the boundary: every function returns a
//! [`Status`]; the SDK catches panics inside the plugin. Strings passed out are borrowed and
//! stay valid until the next call into the same plugin on the same thread; the host copies
//! them at once. Libraries are never unloaded.

#![no_std]
#![deny(missing_docs)]
// The boundary is raw pointers by nature; each unsafe block states what makes it sound.
#![allow(unsafe_code)]

use core::ffi::c_void;

/// The ABI this crate describes, the version the SDK builds plugins for.
pub const ABI_VERSION: u32 = 2;

/// The oldest ABI version a host of this version still loads (see the crate documentation).
pub const OLDEST_ABI_VERSION: u32 = 1;

/// Size of a version-1 [`PluginDescriptor`]: the fields up to and including `requires`.
pub const DESCRIPTOR_V1_SIZE: usize = core::mem::offset_of!(PluginDescriptor, series_count);

/// Size of a version-2 [`PluginDescriptor`] built before label names were appended: the fields
/// up to and including `series`.
pub const DESCRIPTOR_V2_SERIES_SIZE: usize = core::mem::offset_of!(PluginDescriptor, label_count);

/// [`HistoryView::series_columns`] entry for a series the dataset does not have.
pub const SERIES_ABSENT: usize = usize::MAX;

/// Name of the exported entry function, NUL-terminated for symbol lookup.
pub const ENTRY_SYMBOL: &[u8] = b"cyclebt_plugin_entry\0";

/// The entry function: returns the plugin's static descriptor (never freed), or null.
pub type EntryFn = unsafe extern "C" fn() -> *const PluginDescriptor;

/// Result of a call into a plugin.
pub type Status = i32;
/// The call succeeded.
pub const STATUS_OK: Status = 0;
/// The call failed; `last_error` says why.
pub const STATUS_ERROR: Status = 1;
/// The plugin panicked; the panic was caught inside it and `last_error` holds its message.
pub const STATUS_PANIC: Status = 2;

/// What a plugin computes.
pub type PluginKind = u32;
/// A signal: `value` in [-1, 1], combined with others by a strategy's rules.
pub const KIND_SIGNAL: PluginKind = 1;
/// A whole strategy: `value` is the target exposure in [0, 1], entry, exit and scaling
/// decided inside the plugin.
pub const KIND_STRATEGY: PluginKind = 2;

/// Column indices of [`HistoryView::columns`]. Units: prices in index points, money in yuan,
/// turnover as a fraction. New fields are only appended.
pub mod field {
    /// Opening level.
    pub const OPEN: usize = 0;
    /// Highest level.
    pub const HIGH: usize = 1;
    /// Lowest level.
    pub const LOW: usize = 2;
    /// Closing level.
    pub const CLOSE: usize = 3;
    /// Shares traded.
    pub const VOLUME: usize = 4;
    /// Turnover in yuan (成交额).
    pub const AMOUNT: usize = 5;
    /// Turnover rate as a fraction.
    pub const TURNOVER: usize = 6;
    /// Financing balance in yuan (融资余额), publication lag applied.
    pub const FINANCING_BALANCE: usize = 7;
    /// Financing purchases in yuan (融资买入额), publication lag applied.
    pub const FINANCING_BUY: usize = 8;
    /// Securities-lending balance in yuan (融券余额), publication lag applied.
    pub const LENDING_BALANCE: usize = 9;
    /// Financing plus lending balance in yuan, publication lag applied.
    pub const MARGIN_TOTAL: usize = 10;
    /// Price-earnings ratio.
    pub const PE: usize = 11;
    /// Market capitalisation in yuan (monthly exchange statistics, carried forward).
    pub const MARKET_CAP: usize = 12;
    /// Number of fields in this ABI version.
    pub const COUNT: usize = 13;
}

/// A borrowed UTF-8 string: pointer and length, not NUL-terminated. Empty when `len` is 0.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct StrRef {
    /// First byte.
    pub ptr: *const u8,
    /// Length in bytes.
    pub len: usize,
}

impl StrRef {
    /// The empty string.
    pub const EMPTY: StrRef = StrRef {
        ptr: core::ptr::null(),
        len: 0,
    };

    /// Borrows a Rust string.
    pub const fn new(text: &str) -> StrRef {
        StrRef {
            ptr: text.as_ptr(),
            len: text.len(),
        }
    }

    /// The string, if valid UTF-8.
    ///
    /// # Safety
    /// `ptr` must point to `len` readable bytes that outlive `'a` (or `len` must be 0).
    pub unsafe fn as_str<'a>(self) -> Result<&'a str, core::str::Utf8Error> {
        if self.len == 0 || self.ptr.is_null() {
            return Ok("");
        }
        // SAFETY: the caller guarantees `len` readable bytes at `ptr` for 'a.
        let bytes = unsafe { core::slice::from_raw_parts(self.ptr, self.len) };
        core::str::from_utf8(bytes)
    }
}

/// How a plugin was built, for messages that help a user rebuild a mismatched plugin.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct BuildInfo {
    /// Version of cyclebt-sdk the plugin was built with.
    pub sdk_version: StrRef,
    /// rustc version.
    pub rustc: StrRef,
    /// Target triple.
    pub target: StrRef,
    /// `debug` or `release`.
    pub profile: StrRef,
}

/// One configuration parameter, with its default as TOML text.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    /// Key in the strategy's `params` table.
    pub name: StrRef,
    /// Default value, as TOML (`20`, `0.5`, `"close"`).
    pub default_toml: StrRef,
    /// What it means.
    pub description: StrRef,
}

/// The rows `0..len` of market history visible on the decision day `len - 1`, by column.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct HistoryView {
    /// Visible rows; the decision day is `len - 1`. At least 1.
    pub len: usize,
    /// Dates as `yyyymmdd` integers, `len` of them.
    pub dates: *const i32,
    /// Number of columns: the [`field`] columns, then the dataset's named series. A plugin
    /// must not read a column index at or above it.
    pub column_count: usize,
    /// Distance, in values, from one column to the next.
    pub stride: usize,
    /// The columns, column-major: column `i` (a [`field`] constant), row `r` is at
    /// `values[i * stride + r]` for `r < len`. NaN marks a missing or not yet published value.
    /// Rows at or beyond `len` must not be read.
    pub values: *const f64,
    /// Per row, bit `i` set when column `i` (a [`field`] constant) is missing (NaN), `len` of
    /// them.
    pub missing: *const u32,
    /// Since version 2: the number of entries at `series_columns`, which is the plugin's own
    /// [`PluginDescriptor::series_count`].
    pub series_count: usize,
    /// Since version 2: for each series the plugin names in [`PluginDescriptor::series`], in
    /// that order, the index of its column in `values`, or [`SERIES_ABSENT`] when the dataset
    /// has no series of that name. Missing values are NaN (the `missing` bits cover only the
    /// [`field`] columns).
    pub series_columns: *const usize,
}

/// What a plugin returns for one day.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Output {
    /// The signal value ([`KIND_SIGNAL`]: [-1, 1]) or target exposure ([`KIND_STRATEGY`]:
    /// [0, 1]). Never NaN.
    pub value: f64,
    /// An optional plugin-defined label (a phase number, say); 0 means none. Label `k`, from
    /// 1 on, is named by entry `k - 1` of [`PluginDescriptor::label_names`] when the plugin
    /// declares it.
    pub label: u32,
}

/// Creates an instance from the strategy's `params` table serialised as TOML. On
/// [`STATUS_OK`] `*instance` is set; otherwise `last_error(null)` says why.
pub type CreateFn = unsafe extern "C" fn(config_toml: StrRef, instance: *mut *mut c_void) -> Status;
/// Frees an instance made by `create`.
pub type DestroyFn = unsafe extern "C" fn(instance: *mut c_void);
/// Computes the output for the decision day `history.len - 1`.
pub type EvaluateFn = unsafe extern "C" fn(
    instance: *mut c_void,
    history: *const HistoryView,
    output: *mut Output,
) -> Status;
/// The message of the last failed call on `instance` (or of the last failed `create` on this
/// thread when `instance` is null). Valid until the next call into the plugin on this thread.
pub type LastErrorFn = unsafe extern "C" fn(instance: *mut c_void) -> StrRef;
/// Computes the outputs of the decision days `first..history.len` in one call, each from the
/// rows up to and including its own day only (exactly what [`EvaluateFn`] would return day by
/// day), into `outputs[0..history.len - first]`. On failure `*failed_day` is the day that
/// failed and `last_error(instance)` says why. One call crosses the boundary for a whole
/// window, which is what makes a plugin as fast as a built-in signal.
pub type EvaluateRangeFn = unsafe extern "C" fn(
    instance: *mut c_void,
    history: *const HistoryView,
    first: usize,
    outputs: *mut Output,
    failed_day: *mut usize,
) -> Status;

/// Everything the host needs to know about a plugin. Static in the plugin, never freed.
///
/// The function fields are `Option`s of function pointers, which have the layout of a plain
/// (nullable) pointer: a host must refuse a plugin whose table has a null entry instead of
/// calling it.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct PluginDescriptor {
    /// Must equal the host's [`ABI_VERSION`]. Read first.
    pub abi_version: u32,
    /// `size_of::<PluginDescriptor>()` as the plugin was built. Read second.
    pub descriptor_size: u32,
    /// Plugin name, as strategies refer to it.
    pub name: StrRef,
    /// Plugin version.
    pub version: StrRef,
    /// How it was built.
    pub build: BuildInfo,
    /// [`KIND_SIGNAL`] or [`KIND_STRATEGY`].
    pub kind: PluginKind,
    /// Number of entries at `params`.
    pub param_count: usize,
    /// Parameter schema with defaults.
    pub params: *const ParamSpec,
    /// See [`CreateFn`].
    pub create: Option<CreateFn>,
    /// See [`DestroyFn`].
    pub destroy: Option<DestroyFn>,
    /// See [`EvaluateFn`].
    pub evaluate: Option<EvaluateFn>,
    /// See [`LastErrorFn`].
    pub last_error: Option<LastErrorFn>,
    /// See [`EvaluateRangeFn`].
    pub evaluate_range: Option<EvaluateRangeFn>,
    /// Bit `i` set when the plugin has nothing to say without column `i` (a [`field`]
    /// constant): a test window in which such a column has no value at all is reported as
    /// not applicable instead of being run on NaN.
    pub requires: u64,
    /// Since version 2: the number of names at `series`.
    pub series_count: usize,
    /// Since version 2: the named series (declared by a dataset's manifest with `[[series]]`)
    /// the plugin reads, each one it cannot do without: a window in which a dataset lacks it,
    /// or has no value of it, is reported as not applicable.
    pub series: *const StrRef,
    /// Since version 2 (appended after `series`): the number of names at `label_names`.
    pub label_count: usize,
    /// Since version 2 (appended after `series`): the name of each label the plugin returns in
    /// [`Output::label`], entry `k - 1` naming label `k` (label 0 means none and has no name;
    /// an empty name leaves a label unnamed). Reports shade the days of each named label on the charts of the plugin's strategies.
    pub label_names: *const StrRef,
}

/// Converts a date to the `yyyymmdd` integer of [`HistoryView::dates`].
pub const fn yyyymmdd(year: i32, month: u32, day: u32) -> i32 {
    year * 10_000 + month as i32 * 100 + day as i32
}
