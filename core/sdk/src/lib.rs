//! Write a cyclebt plugin as a small crate: implement [`Plugin`], call [`declare_plugin!`],
//! build with `crate-type = ["cdylib"]`.
//!
//! ```ignore
//! use cyclebt_sdk::{Field, History, Plugin, declare_plugin};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Deserialize, Serialize)]
//! #[serde(default)]
//! struct Config { days: usize }
//! impl Default for Config { fn default() -> Self { Config { days: 20 } } }
//!
//! struct Momentum { days: usize }
//! impl Plugin for Momentum {
//!     type Config = Config;
//!     const NAME: &'static str = "momentum";
//!     const PARAMS: &'static [(&'static str, &'static str)] = &[("days", "look-back in trading days")];
//!     fn new(config: Config) -> Result<Self, String> { Ok(Momentum { days: config.days }) }
//!     fn evaluate(&mut self, history: &History<'_>) -> Result<f64, String> {
//!         let close = history.column(Field::Close);
//!         if close.len() <= self.days { return Ok(0.0); }
//!         Ok((close[close.len() - 1] / close[close.len() - 1 - self.days] - 1.0).clamp(-1.0, 1.0))
//!     }
//! }
//! declare_plugin!(Momentum);
//! ```
//!
//! What the SDK guarantees on the plugin's side of the boundary: every entry point runs inside
//! `catch_unwind` (a panic becomes [`abi::STATUS_PANIC`] with its message; build plugins with
//! `panic = "unwind"`, the default); the `params` table is checked against the keys of
//! `Config::default()` so an unknown key is an error even if the author forgot
//! `deny_unknown_fields`; the parameter schema the host lists is generated from the same
//! defaults, so it cannot drift from the code.

#![deny(missing_docs)]
// The boundary is raw pointers by nature; each unsafe block states what makes it sound.
#![allow(unsafe_code)]

// A panic must be caught inside the plugin; with `panic = "abort"` it would end the host.
#[cfg(panic = "abort")]
compile_error!(
    "cyclebt plugins must be built with panic = \"unwind\" (the default): with \"abort\" a panic in the plugin would end the host process"
);

pub mod testing;

use std::any::Any;
use std::cell::RefCell;
use std::ffi::c_void;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};

pub use abi::Output;
use abi::{HistoryView, ParamSpec, PluginDescriptor, Status, StrRef};
pub use cyclebt_abi as abi;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Version of this SDK, recorded in every plugin's descriptor.
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// What a plugin computes; see [`abi::KIND_SIGNAL`] and [`abi::KIND_STRATEGY`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A value in [-1, 1] that strategies combine with rules.
    Signal,
    /// A target exposure in [0, 1]: a whole strategy.
    Strategy,
}

/// A daily column of the market history. The host applies publication lags before the plugin
/// sees anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum Field {
    /// Opening level.
    Open = abi::field::OPEN,
    /// Highest level.
    High = abi::field::HIGH,
    /// Lowest level.
    Low = abi::field::LOW,
    /// Closing level.
    Close = abi::field::CLOSE,
    /// Shares traded.
    Volume = abi::field::VOLUME,
    /// Turnover in yuan.
    Amount = abi::field::AMOUNT,
    /// Turnover rate as a fraction.
    Turnover = abi::field::TURNOVER,
    /// Financing balance in yuan.
    FinancingBalance = abi::field::FINANCING_BALANCE,
    /// Financing purchases in yuan.
    FinancingBuy = abi::field::FINANCING_BUY,
    /// Securities-lending balance in yuan.
    LendingBalance = abi::field::LENDING_BALANCE,
    /// Financing plus lending balance in yuan.
    MarginTotal = abi::field::MARGIN_TOTAL,
    /// Price-earnings ratio.
    Pe = abi::field::PE,
    /// Market capitalisation in yuan.
    MarketCap = abi::field::MARKET_CAP,
}

/// The rows `0..=t` a plugin may read on decision day `t`.
#[derive(Clone, Copy)]
pub struct History<'a> {
    view: HistoryView,
    /// The names of the series at `view.series_columns`, in order: the plugin's
    /// [`Plugin::SERIES`].
    series_names: &'a [&'a str],
    _rows: PhantomData<&'a f64>,
}

impl<'a> History<'a> {
    /// Wraps a host's view.
    ///
    /// # Safety
    /// Every pointer in `view` must be valid for `view.len` elements (`values` for
    /// `column_count` columns of `stride` values) for `'a`, as the host guarantees during an
    /// `evaluate` call.
    #[inline]
    pub unsafe fn from_view(view: &HistoryView) -> Result<History<'a>, String> {
        if view.len == 0
            || view.len > view.stride
            || view.dates.is_null()
            || view.values.is_null()
            || view.missing.is_null()
            || (view.series_count > 0 && view.series_columns.is_null())
        {
            return Err("the host passed an empty, null or inconsistent history".into());
        }
        Ok(History {
            view: *view,
            series_names: &[],
            _rows: PhantomData,
        })
    }

    /// The same history, reading the view's `series_columns` as the series `names`, in order
    /// (the SDK passes the plugin's [`Plugin::SERIES`]).
    #[inline]
    pub fn with_series_names(self, names: &'a [&'a str]) -> History<'a> {
        History {
            series_names: names,
            ..self
        }
    }

    /// A named series up to the decision day, NaN where missing: one the plugin lists in
    /// [`Plugin::SERIES`]. None when it does not list it or the dataset has no such series
    /// (the host then reports the run n/a before calling the plugin).
    #[inline]
    pub fn series(&self, name: &str) -> Option<&'a [f64]> {
        let k = self.series_names.iter().position(|n| *n == name)?;
        if k >= self.view.series_count {
            return None;
        }
        // SAFETY: `from_view`'s contract: `series_columns` holds `series_count` indices.
        let column = unsafe { *self.view.series_columns.add(k) };
        if column >= self.view.column_count {
            return None;
        }
        // SAFETY: as for `column`: a column index below `column_count` holds `len` values.
        Some(unsafe {
            std::slice::from_raw_parts(self.view.values.add(column * self.view.stride), self.len())
        })
    }

    /// The history of an earlier day `t`: rows `0..=t`.
    ///
    /// # Panics
    /// If `t` is not a day of this history.
    #[inline]
    pub fn prefix(&self, t: usize) -> History<'a> {
        assert!(
            t < self.view.len,
            "day {t} is not in a history of {} days",
            self.view.len
        );
        History {
            view: HistoryView {
                len: t + 1,
                ..self.view
            },
            ..*self
        }
    }

    /// Visible rows, `t + 1`.
    #[inline]
    pub fn len(&self) -> usize {
        self.view.len
    }

    /// Never true.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.view.len == 0
    }

    /// Index of the decision day.
    #[inline]
    pub fn today(&self) -> usize {
        self.view.len - 1
    }

    /// Dates as `yyyymmdd`.
    #[inline]
    pub fn dates(&self) -> &'a [i32] {
        // SAFETY: `from_view`'s contract: `dates` holds `len` values.
        unsafe { std::slice::from_raw_parts(self.view.dates, self.view.len) }
    }

    /// A column up to the decision day, NaN where missing. Empty if the host does not have the
    /// field.
    #[inline]
    pub fn column(&self, field: Field) -> &'a [f64] {
        let index = field as usize;
        if index >= self.view.column_count {
            return &[];
        }
        // SAFETY: `from_view`'s contract: column `index` starts `index * stride` values in and
        // holds at least `len` values.
        unsafe {
            std::slice::from_raw_parts(self.view.values.add(index * self.view.stride), self.len())
        }
    }

    /// Whether `field` is missing on row `row`.
    #[inline]
    pub fn is_missing(&self, field: Field, row: usize) -> bool {
        if row >= self.view.len {
            return true;
        }
        // SAFETY: `from_view`'s contract: `missing` holds `len` values.
        let bits = unsafe { *self.view.missing.add(row) };
        bits & (1 << field as u32) != 0
    }
}

/// A plugin. The SDK turns an implementation into the C entry points the host calls.
pub trait Plugin: Sized + 'static {
    /// Parameters from the strategy's `params` table. `Default` gives the documented defaults
    /// (listed by `cyclebt plugins list`); missing keys take them (use `#[serde(default)]`).
    type Config: DeserializeOwned + Serialize + Default;
    /// The name strategies use (`plugin = "sma-cross"`).
    const NAME: &'static str;
    /// Signal (default) or whole strategy.
    const KIND: Kind = Kind::Signal;
    /// `(parameter, description)` for each key of `Config`.
    const PARAMS: &'static [(&'static str, &'static str)];

    /// The description of parameter `name` listed by `cyclebt plugins list`: from `PARAMS`
    /// by default. Override to take descriptions from elsewhere too (a shared parameter set).
    fn param_description(name: &str) -> &'static str {
        Self::PARAMS
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, d)| d)
    }
    /// Fields without which the plugin has nothing to say (the margin series, say): a test
    /// window where one of them has no value at all is reported "n/a" instead of being run.
    const REQUIRES: &'static [Field] = &[];
    /// Named series the plugin reads with [`History::series`] (declared by a dataset's
    /// manifest with `[[series]]`, such as `maintenance_ratio`), each one it cannot do without:
    /// a window whose dataset lacks it or has no value of it is reported "n/a".
    const SERIES: &'static [&'static str] = &[];
    /// The names of the labels [`Plugin::label`] returns: entry `k - 1` names label `k` (0
    /// means none and has no name; an empty name leaves a label unnamed). Reports shade the days
    /// of each named label on the charts of the strategies using the plugin; unnamed labels
    /// are not shaded.
    const LABELS: &'static [&'static str] = &[];

    /// Builds an instance; an `Err` message is shown to the user as the plugin's own words.
    fn new(config: Self::Config) -> Result<Self, String>;

    /// The value for the decision day `history.today()`. Must depend only on `history`.
    fn evaluate(&mut self, history: &History<'_>) -> Result<f64, String>;

    /// An optional label for the day just evaluated (a phase number); 0 means none.
    fn label(&self) -> u32 {
        0
    }

    /// The outputs of the days `first..history.len()`, pushed onto `out` in order: the
    /// whole-series path the engine uses. The default evaluates each day on its own history,
    /// cut after that day. Override it only with a single causal pass (day t computed from
    /// rows `0..=t` alone) that gives exactly the same outputs, and test it with a prefix test;
    /// the SDK cannot check that for you. An error names the failing day.
    fn evaluate_series(
        &mut self,
        history: &History<'_>,
        first: usize,
        out: &mut Vec<Output>,
    ) -> Result<(), (usize, String)> {
        evaluate_each_day(self, history, first, out)
    }
}

/// What [`Plugin::evaluate_series`] does by default: each day `first..history.len()` on its
/// own history, cut after that day. For an override that falls back to it in some cases.
pub fn evaluate_each_day<P: Plugin>(
    plugin: &mut P,
    history: &History<'_>,
    first: usize,
    out: &mut Vec<Output>,
) -> Result<(), (usize, String)> {
    for day in first..history.len() {
        let value = plugin
            .evaluate(&history.prefix(day))
            .map_err(|e| (day, e))?;
        out.push(Output {
            value,
            label: plugin.label(),
        });
    }
    Ok(())
}

/// A plugin's descriptor and the strings it points into, kept alive for the life of the
/// process (plugins are never unloaded).
pub struct Descriptor {
    descriptor: PluginDescriptor,
    _strings: Vec<String>,
    _params: Vec<ParamSpec>,
    _series: Vec<StrRef>,
    _labels: Vec<StrRef>,
}

// SAFETY: the descriptor's pointers refer to the immutable strings and params owned by this
// struct (or to statics); nothing is mutated after construction.
unsafe impl Sync for Descriptor {}
// SAFETY: as above.
unsafe impl Send for Descriptor {}

impl Descriptor {
    /// Builds the descriptor of `P`. `version` is the plugin crate's version.
    pub fn new<P: Plugin>(version: &'static str) -> Result<Descriptor, String> {
        let defaults = toml::Table::try_from(P::Config::default())
            .map_err(|e| format!("{}: Config::default() is not a TOML table: {e}", P::NAME))?;
        let mut strings = Vec::new();
        let mut params = Vec::new();
        for (name, value) in &defaults {
            let description = P::param_description(name);
            strings.push(name.clone());
            strings.push(value.to_string());
            strings.push(description.to_string());
        }
        // Documented parameters without a default (`Option` fields that default to `None`).
        for (name, description) in P::PARAMS.iter().filter(|(n, _)| !defaults.contains_key(*n)) {
            strings.extend([name.to_string(), String::new(), description.to_string()]);
        }
        for triple in strings.chunks(3) {
            params.push(ParamSpec {
                name: StrRef::new(&triple[0]),
                default_toml: StrRef::new(&triple[1]),
                description: StrRef::new(&triple[2]),
            });
        }
        let series: Vec<StrRef> = P::SERIES.iter().map(|name| StrRef::new(name)).collect();
        let labels: Vec<StrRef> = P::LABELS.iter().map(|name| StrRef::new(name)).collect();
        let descriptor = PluginDescriptor {
            abi_version: abi::ABI_VERSION,
            descriptor_size: std::mem::size_of::<PluginDescriptor>() as u32,
            name: StrRef::new(P::NAME),
            version: StrRef::new(version),
            build: abi::BuildInfo {
                sdk_version: StrRef::new(SDK_VERSION),
                rustc: StrRef::new(env!("CYCLEBT_SDK_RUSTC")),
                target: StrRef::new(env!("CYCLEBT_SDK_TARGET")),
                profile: StrRef::new(env!("CYCLEBT_SDK_PROFILE")),
            },
            kind: match P::KIND {
                Kind::Signal => abi::KIND_SIGNAL,
                Kind::Strategy => abi::KIND_STRATEGY,
            },
            param_count: params.len(),
            params: params.as_ptr(),
            create: Some(create::<P>),
            destroy: Some(destroy::<P>),
            evaluate: Some(evaluate::<P>),
            last_error: Some(last_error::<P>),
            evaluate_range: Some(evaluate_range::<P>),
            requires: P::REQUIRES.iter().fold(0, |bits, f| bits | 1 << *f as u64),
            series_count: series.len(),
            series: series.as_ptr(),
            label_count: labels.len(),
            label_names: labels.as_ptr(),
        };
        // Moving the Vecs into the struct moves only their headers; the heap buffers the
        // pointers above refer to stay where they are.
        Ok(Descriptor {
            descriptor,
            _strings: strings,
            _params: params,
            _series: series,
            _labels: labels,
        })
    }

    /// The descriptor to hand to the host.
    pub fn as_ptr(&self) -> *const PluginDescriptor {
        &self.descriptor
    }
}

/// Declares `$plugin` (a type implementing [`Plugin`]) as this library's plugin: exports the
/// entry symbol the host looks for.
#[macro_export]
macro_rules! declare_plugin {
    ($plugin:ty) => {
        /// The cyclebt plugin entry point.
        #[unsafe(no_mangle)]
        pub extern "C" fn cyclebt_plugin_entry() -> *const $crate::abi::PluginDescriptor {
            static DESCRIPTOR: ::std::sync::OnceLock<Option<$crate::Descriptor>> =
                ::std::sync::OnceLock::new();
            $crate::entry(&DESCRIPTOR, || {
                $crate::Descriptor::new::<$plugin>(env!("CARGO_PKG_VERSION"))
            })
        }
    };
}

/// The body of the entry point: builds the descriptor once, never unwinds. Returns null when
/// the descriptor cannot be built (the host reports that).
#[doc(hidden)]
pub fn entry(
    cell: &'static std::sync::OnceLock<Option<Descriptor>>,
    build: impl FnOnce() -> Result<Descriptor, String>,
) -> *const PluginDescriptor {
    let built = catch_unwind(AssertUnwindSafe(|| cell.get_or_init(|| build().ok())));
    match built {
        Ok(Some(descriptor)) => descriptor.as_ptr(),
        Ok(None) => std::ptr::null(),
        Err(payload) => {
            drop_payload(payload);
            std::ptr::null()
        }
    }
}

struct Instance<P> {
    plugin: P,
    error: String,
}

thread_local! {
    /// Message of the last failed `create` on this thread.
    static CREATE_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// The message of a panic payload; the payload is dropped inside `catch_unwind` so that a
/// payload whose destructor panics cannot unwind across the boundary (it is leaked instead).
fn panic_message(payload: Box<dyn Any + Send>) -> String {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with a non-text payload".into());
    drop_payload(payload);
    format!("panicked: {message}")
}

fn drop_payload(payload: Box<dyn Any + Send>) {
    if let Err(inner) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        std::mem::forget(inner);
    }
}

/// Parses the `params` table, rejecting keys `Config::default()` does not have.
fn parse_config<P: Plugin>(text: &str) -> Result<P::Config, String> {
    let given: toml::Table = toml::from_str(text).map_err(|e| e.message().to_string())?;
    let defaults = toml::Table::try_from(P::Config::default()).map_err(|e| e.to_string())?;
    // Known keys: those with a default, and those `PARAMS` documents (an `Option` field whose
    // default is `None` has no value to serialise, so it appears only there).
    let mut names: Vec<&str> = defaults.keys().map(String::as_str).collect();
    names.extend(P::PARAMS.iter().map(|(name, _)| *name));
    names.sort_unstable();
    names.dedup();
    for key in given.keys() {
        if !names.contains(&key.as_str()) {
            return Err(format!(
                "unknown parameter `{key}`; expected one of: {}",
                names.join(", ")
            ));
        }
    }
    toml::Value::Table(given)
        .try_into()
        .map_err(|e: toml::de::Error| e.message().to_string())
}

unsafe extern "C" fn create<P: Plugin>(config: StrRef, instance: *mut *mut c_void) -> Status {
    let result = catch_unwind(AssertUnwindSafe(|| -> Result<*mut c_void, String> {
        // SAFETY: the host passes a string it owns for the duration of the call.
        let text = unsafe { config.as_str() }.map_err(|_| "params are not UTF-8".to_string())?;
        let plugin = P::new(parse_config::<P>(text)?)?;
        Ok(Box::into_raw(Box::new(Instance {
            plugin,
            error: String::new(),
        }))
        .cast())
    }));
    let outcome = match result {
        Ok(Ok(made)) => {
            // SAFETY: the host passes a valid out-pointer.
            unsafe { *instance = made };
            return abi::STATUS_OK;
        }
        Ok(Err(message)) => (abi::STATUS_ERROR, message),
        Err(payload) => (abi::STATUS_PANIC, panic_message(payload)),
    };
    CREATE_ERROR.with(|e| *e.borrow_mut() = outcome.1);
    outcome.0
}

unsafe extern "C" fn destroy<P: Plugin>(instance: *mut c_void) {
    if instance.is_null() {
        return;
    }
    // SAFETY: `instance` came from `create::<P>` and the host destroys it once.
    let boxed = unsafe { Box::from_raw(instance.cast::<Instance<P>>()) };
    if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(boxed))) {
        drop_payload(payload);
    }
}

unsafe extern "C" fn evaluate<P: Plugin>(
    instance: *mut c_void,
    history: *const HistoryView,
    output: *mut Output,
) -> Status {
    if instance.is_null() || history.is_null() || output.is_null() {
        return abi::STATUS_ERROR;
    }
    // SAFETY: `instance` came from `create::<P>`; the host never shares it between threads.
    let instance = unsafe { &mut *instance.cast::<Instance<P>>() };
    let plugin = &mut instance.plugin;
    // One day: no buffer, straight to `evaluate` (the whole-series path is `evaluate_range`).
    let result = catch_unwind(AssertUnwindSafe(|| -> Result<Output, String> {
        // SAFETY: the host's view is valid for the call.
        let history = unsafe { History::from_view(&*history) }?.with_series_names(P::SERIES);
        let value = plugin.evaluate(&history)?;
        Ok(Output {
            value,
            label: plugin.label(),
        })
    }));
    let (status, message) = match result {
        Ok(Ok(day)) => {
            // SAFETY: valid out-pointer from the host.
            unsafe { output.write(day) };
            return abi::STATUS_OK;
        }
        Ok(Err(message)) => (abi::STATUS_ERROR, message),
        Err(payload) => (abi::STATUS_PANIC, panic_message(payload)),
    };
    instance.error = message;
    status
}

unsafe extern "C" fn evaluate_range<P: Plugin>(
    instance: *mut c_void,
    history: *const HistoryView,
    first: usize,
    outputs: *mut Output,
    failed_day: *mut usize,
) -> Status {
    if instance.is_null() || history.is_null() || outputs.is_null() || failed_day.is_null() {
        return abi::STATUS_ERROR;
    }
    // SAFETY: `instance` came from `create::<P>`; the host never shares it between threads.
    let instance = unsafe { &mut *instance.cast::<Instance<P>>() };
    let plugin = &mut instance.plugin;
    let mut produced: Vec<Output> = Vec::new();
    let result = catch_unwind(AssertUnwindSafe(|| -> Result<(), (usize, String)> {
        // SAFETY: the host's view is valid for the call.
        let history = unsafe { History::from_view(&*history) }
            .map_err(|e| (first, e))?
            .with_series_names(P::SERIES);
        if first >= history.len() {
            return Err((
                first,
                format!(
                    "no days to evaluate: first day {first} of {}",
                    history.len()
                ),
            ));
        }
        produced.reserve(history.len() - first);
        plugin.evaluate_series(&history, first, &mut produced)?;
        if produced.len() != history.len() - first {
            let message = format!(
                "gave {} outputs for {} days",
                produced.len(),
                history.len() - first
            );
            return Err((first, message));
        }
        Ok(())
    }));
    let (status, day, message) = match result {
        Ok(Ok(())) => {
            // SAFETY: the host provides one output slot per day `first..len`, as many as
            // `produced` holds (checked above).
            unsafe { std::ptr::copy_nonoverlapping(produced.as_ptr(), outputs, produced.len()) };
            return abi::STATUS_OK;
        }
        Ok(Err((day, message))) => (abi::STATUS_ERROR, day, message),
        // The default series path pushes day by day, so the day that panicked is the next one.
        Err(payload) => (
            abi::STATUS_PANIC,
            first + produced.len(),
            panic_message(payload),
        ),
    };
    instance.error = message;
    // SAFETY: valid out-pointer from the host.
    unsafe { failed_day.write(day) };
    status
}

unsafe extern "C" fn last_error<P: Plugin>(instance: *mut c_void) -> StrRef {
    if instance.is_null() {
        // The thread-local lives as long as the thread; the string is not touched until the
        // next `create` on this thread, which the contract allows.
        return CREATE_ERROR.with(|e| StrRef::new(e.borrow().as_str()));
    }
    // SAFETY: `instance` came from `create::<P>`.
    let instance = unsafe { &*instance.cast::<Instance<P>>() };
    StrRef::new(&instance.error)
}
