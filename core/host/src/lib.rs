//! The plugin host: finds plugin libraries, loads them with `libloading`, checks the ABI
//! before calling anything, and wraps each instance as an engine [`Signal`].
//!
//! Loading order of checks, each failure a distinct [`PluginError`] naming the path: the file
//! opens as a shared library; it exports `cyclebt_plugin_entry`; the entry returns a non-null
//! descriptor; its first two fields look like a cyclebt descriptor's at all (a version and a
//! size in a plausible range; anything else was not built with the SDK); the ABI version is one
//! this host speaks (a version-1 plugin still loads: version 2 only appended fields); the
//! descriptor size covers that version's descriptor; its strings are UTF-8. Only then is any
//! other field read or function called, and only the bytes that version's descriptor has (the
//! rest of a version-1 descriptor reads as zero: no named series).
//!
//! **Architecture Invariant:** libraries are never unloaded: a loaded library is leaked, so a
//! descriptor or function pointer taken from it stays valid for the life of the process.
//! **Architecture Invariant:** only `cyclebt-abi` types cross the boundary; a plugin sees rows
//! `0..=t` of the same lagged columns a built-in signal sees.

#![deny(missing_docs)]
// Calling into loaded libraries is unsafe by nature; each unsafe block states its reasoning.
#![allow(unsafe_code)]

use std::ffi::c_void;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use cyclebt_abi as abi;
pub use cyclebt_abi::ABI_VERSION;
use cyclebt_data::{Field, History};
use cyclebt_engine::{
    AuditedSignal, BuiltinSignals, CausalityAudit, DayError, Signal, SignalError, SignalFactory,
    SignalRole, SignalSource, SignalSpec,
};

pub mod isolate;
pub use isolate::{IsolatedSignal, Isolation};

/// Environment variable with extra plugin directories, separated like `PATH`.
pub const PLUGIN_PATH_ENV: &str = "CYCLEBT_PLUGIN_PATH";

/// Why a plugin could not be used. Every variant names the plugin's path or name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PluginError {
    /// No library of that name in any plugin directory.
    #[error("plugin \"{name}\" not found: no {file} in {}", searched_text(.searched))]
    NotFound {
        /// Plugin name asked for.
        name: String,
        /// File name looked for.
        file: String,
        /// Directories searched, in order.
        searched: Vec<PathBuf>,
    },
    /// A plugin name that could not be a file name.
    #[error("{message}; give a path with `path = ...` to load a library elsewhere")]
    BadName {
        /// The name.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// The file does not open as a shared library.
    #[error("{}: not a loadable shared library: {message}", .path.display())]
    NotALibrary {
        /// The file.
        path: PathBuf,
        /// The dynamic loader's message.
        message: String,
    },
    /// The library does not export the entry symbol.
    #[error("{}: not a cyclebt plugin: no `cyclebt_plugin_entry` symbol", .path.display())]
    NoEntry {
        /// The library.
        path: PathBuf,
    },
    /// The entry returned null.
    #[error("{}: the plugin's entry returned no descriptor (null); it failed to start", .path.display())]
    NullDescriptor {
        /// The library.
        path: PathBuf,
    },
    /// The entry returned something that is not a cyclebt descriptor at all.
    #[error("{}: not built with the cyclebt SDK: its `cyclebt_plugin_entry` returned data that is not a plugin descriptor (version field {version}, size field {size}); build plugins with cyclebt-sdk's declare_plugin!", .path.display())]
    NotSdk {
        /// The library.
        path: PathBuf,
        /// What the version field held.
        version: u32,
        /// What the size field held.
        size: u32,
    },
    /// Built for another ABI version.
    #[error("{}: built for plugin ABI version {found}, this cyclebt speaks versions {oldest} to {expected}; rebuild the plugin against this cyclebt's cyclebt-sdk", .path.display(), oldest = abi::OLDEST_ABI_VERSION)]
    AbiVersion {
        /// The library.
        path: PathBuf,
        /// Version the plugin declares.
        found: u32,
        /// Ours.
        expected: u32,
    },
    /// The descriptor is smaller than the one this host knows.
    #[error("{}: plugin descriptor is {found} bytes, expected at least {expected}; the plugin was built against a different cyclebt-abi", .path.display())]
    DescriptorTooShort {
        /// The library.
        path: PathBuf,
        /// Size the plugin declares.
        found: u32,
        /// Size this host needs.
        expected: usize,
    },
    /// A descriptor field is unusable.
    #[error("{}: bad plugin descriptor: {message}", .path.display())]
    BadDescriptor {
        /// The library.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The library found under a plugin's file name calls itself something else.
    #[error("{}: asked for plugin \"{asked}\", but the library calls itself \"{found}\"", .path.display())]
    WrongName {
        /// The library.
        path: PathBuf,
        /// Name asked for.
        asked: String,
        /// Name in its descriptor.
        found: String,
    },
    /// A signal was asked of a strategy plugin, or the reverse.
    #[error("plugin {name} ({}) is a {found} plugin; expected a {expected} plugin", .path.display())]
    WrongKind {
        /// Plugin name.
        name: String,
        /// The library.
        path: PathBuf,
        /// What it is.
        found: &'static str,
        /// What was asked for.
        expected: &'static str,
    },
    /// The plugin rejected its configuration or failed to start.
    #[error("plugin {name} ({}) rejected its params: {message}", .path.display())]
    Create {
        /// Plugin name.
        name: String,
        /// The library.
        path: PathBuf,
        /// The plugin's own message.
        message: String,
    },
}

fn searched_text(dirs: &[PathBuf]) -> String {
    if dirs.is_empty() {
        return "(no plugin directories)".into();
    }
    dirs.iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A parameter of a plugin, with its default as TOML text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamInfo {
    /// Key.
    pub name: String,
    /// Default, as TOML.
    pub default: String,
    /// Meaning.
    pub description: String,
}

/// What a loaded plugin says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginInfo {
    /// Name strategies use.
    pub name: String,
    /// Plugin version.
    pub version: String,
    /// `signal` or `strategy`.
    pub kind: &'static str,
    /// ABI version (equal to [`abi::ABI_VERSION`] once loaded).
    pub abi_version: u32,
    /// SDK version, rustc, target and profile it was built with.
    pub build: String,
    /// Parameter schema.
    pub params: Vec<ParamInfo>,
    /// Fields it cannot do without.
    pub requires: Vec<Field>,
    /// Named series it reads (and cannot do without), in the order of its view's
    /// `series_columns`.
    pub requires_series: Vec<String>,
    /// The names of its labels: entry `k - 1` names label `k`, an empty name leaving it
    /// unnamed (no entries when it declares none).
    pub label_names: Vec<String>,
    /// The library.
    pub path: PathBuf,
}

/// A loaded, checked plugin library. Lives for the rest of the process.
#[derive(Debug)]
pub struct Plugin {
    /// What it says about itself.
    pub info: PluginInfo,
    functions: Functions,
}

/// The plugin's function table, every entry checked to be present.
#[derive(Debug, Clone, Copy)]
struct Functions {
    create: abi::CreateFn,
    destroy: abi::DestroyFn,
    evaluate: abi::EvaluateFn,
    last_error: abi::LastErrorFn,
    evaluate_range: abi::EvaluateRangeFn,
}

impl Functions {
    fn of(d: &abi::PluginDescriptor, path: &Path) -> Result<Functions, PluginError> {
        let missing = |name: &str| PluginError::BadDescriptor {
            path: path.to_path_buf(),
            message: format!("the function table has no `{name}` (null pointer)"),
        };
        Ok(Functions {
            create: d.create.ok_or_else(|| missing("create"))?,
            destroy: d.destroy.ok_or_else(|| missing("destroy"))?,
            evaluate: d.evaluate.ok_or_else(|| missing("evaluate"))?,
            last_error: d.last_error.ok_or_else(|| missing("last_error"))?,
            evaluate_range: d.evaluate_range.ok_or_else(|| missing("evaluate_range"))?,
        })
    }
}

// SAFETY: the info is owned data and the functions belong to a library that is never
// unloaded. Calling them from several threads at once would also need the plugin to be
// thread-safe (the SDK's are: per-instance state lives in the instance, `create` errors in a
// thread-local); cyclebt itself calls plugins from one thread.
unsafe impl Sync for Plugin {}
// SAFETY: as above.
unsafe impl Send for Plugin {}

/// Largest version field taken for an ABI version rather than garbage.
const MAX_PLAUSIBLE_VERSION: u32 = 1000;
/// Largest size field taken for a descriptor size rather than garbage.
const MAX_PLAUSIBLE_SIZE: u32 = 1 << 16;

/// Plugins loaded so far, by canonical path: a library is opened once and kept forever.
static LOADED: Mutex<Vec<(PathBuf, &'static Plugin)>> = Mutex::new(Vec::new());

fn kind_name(kind: abi::PluginKind) -> Option<&'static str> {
    match kind {
        abi::KIND_SIGNAL => Some("signal"),
        abi::KIND_STRATEGY => Some("strategy"),
        _ => None,
    }
}

/// Loads and checks the plugin library at `path` (once per process per file).
pub fn load(path: &Path) -> Result<&'static Plugin, PluginError> {
    let canonical = path.canonicalize().map_err(|e| PluginError::NotALibrary {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let mut loaded = LOADED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((_, plugin)) = loaded.iter().find(|(p, _)| *p == canonical) {
        return Ok(plugin);
    }
    let plugin: &'static Plugin = Box::leak(Box::new(open(path)?));
    loaded.push((canonical, plugin));
    Ok(plugin)
}

fn open(path: &Path) -> Result<Plugin, PluginError> {
    let path_buf = path.to_path_buf();
    // SAFETY: opening a library runs its initialisers. Plugin directories are trusted by the
    // user the same way executables on PATH are; this is the documented contract.
    let library =
        unsafe { libloading::Library::new(path) }.map_err(|e| PluginError::NotALibrary {
            path: path_buf.clone(),
            message: error_chain(&e),
        })?;
    // Never unloaded: descriptors and function pointers from it must stay valid.
    let library: &'static libloading::Library = Box::leak(Box::new(library));
    // SAFETY: the symbol's type is fixed by the ABI; a library that exports the name with
    // another type breaks the contract and cannot be detected.
    let entry = unsafe { library.get::<abi::EntryFn>(abi::ENTRY_SYMBOL) }.map_err(|_| {
        PluginError::NoEntry {
            path: path_buf.clone(),
        }
    })?;
    // SAFETY: see above; the entry takes no arguments and returns a pointer.
    let raw = unsafe { entry() };
    if raw.is_null() {
        return Err(PluginError::NullDescriptor { path: path_buf });
    }
    // Read only the two leading u32 fields until they are checked.
    // SAFETY: every ABI version starts the descriptor with these two u32 fields.
    let (version, size) = unsafe {
        (
            raw.cast::<u32>().read_unaligned(),
            raw.cast::<u32>().add(1).read_unaligned(),
        )
    };
    // Version numbers count up from 1 and a descriptor is a few hundred bytes: anything far
    // outside that is not a descriptor (text, code, zeros), whatever a newer SDK may add.
    if !(1..=MAX_PLAUSIBLE_VERSION).contains(&version) || !(8..=MAX_PLAUSIBLE_SIZE).contains(&size)
    {
        return Err(PluginError::NotSdk {
            path: path_buf,
            version,
            size,
        });
    }
    if !(abi::OLDEST_ABI_VERSION..=abi::ABI_VERSION).contains(&version) {
        return Err(PluginError::AbiVersion {
            path: path_buf,
            found: version,
            expected: abi::ABI_VERSION,
        });
    }
    // The least a descriptor of this version holds; fields appended within the version since
    // (the label names of version 2) are read when the size covers them.
    let expected = match version {
        1 => abi::DESCRIPTOR_V1_SIZE,
        _ => abi::DESCRIPTOR_V2_SERIES_SIZE,
    };
    if (size as usize) < expected {
        return Err(PluginError::DescriptorTooShort {
            path: path_buf,
            found: size,
            expected,
        });
    }
    if raw
        .cast::<u8>()
        .align_offset(std::mem::align_of::<abi::PluginDescriptor>())
        != 0
    {
        return Err(PluginError::BadDescriptor {
            path: path_buf,
            message: "the descriptor is not aligned for its type".into(),
        });
    }
    // Version 1 stops at `requires` whatever its size says; a version-2 descriptor is read as
    // far as its size and ours both reach.
    let readable = match version {
        1 => expected,
        _ => (size as usize).min(std::mem::size_of::<abi::PluginDescriptor>()),
    };
    // SAFETY: version, size and alignment checked: the plugin's static descriptor has our
    // layout for its first `readable` bytes, and the library is never unloaded. Only those
    // bytes are copied; the fields an older descriptor lacks stay zero (null, 0, None), which
    // every one of them allows.
    let descriptor: abi::PluginDescriptor = unsafe {
        let mut copy = std::mem::MaybeUninit::<abi::PluginDescriptor>::zeroed();
        std::ptr::copy_nonoverlapping(raw.cast::<u8>(), copy.as_mut_ptr().cast::<u8>(), readable);
        copy.assume_init()
    };
    let descriptor = &descriptor;
    let functions = Functions::of(descriptor, path)?;
    let info = describe(descriptor, path)?;
    Ok(Plugin { info, functions })
}

/// An error with its sources: libloading's own text is only "dlopen failed"; the loader's
/// reason is in its source.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

fn describe(d: &abi::PluginDescriptor, path: &Path) -> Result<PluginInfo, PluginError> {
    let bad = |message: String| PluginError::BadDescriptor {
        path: path.to_path_buf(),
        message,
    };
    let text = |s: abi::StrRef, what: &str| -> Result<String, PluginError> {
        // SAFETY: descriptor strings point into the plugin's statics, valid forever.
        unsafe { s.as_str() }
            .map(str::to_string)
            .map_err(|_| bad(format!("{what} is not UTF-8")))
    };
    let kind = kind_name(d.kind).ok_or_else(|| bad(format!("unknown plugin kind {}", d.kind)))?;
    let mut params = Vec::with_capacity(d.param_count);
    if d.param_count > 0 && d.params.is_null() {
        return Err(bad("parameter list is null".into()));
    }
    for i in 0..d.param_count {
        // SAFETY: the descriptor promises `param_count` entries at `params`.
        let p = unsafe { &*d.params.add(i) };
        params.push(ParamInfo {
            name: text(p.name, "a parameter name")?,
            default: text(p.default_toml, "a parameter default")?,
            description: text(p.description, "a parameter description")?,
        });
    }
    let name = text(d.name, "the name")?;
    if name.is_empty() {
        return Err(bad("the name is empty".into()));
    }
    if d.series_count > 0 && d.series.is_null() {
        return Err(bad("the series list is null".into()));
    }
    let requires_series = (0..d.series_count)
        // SAFETY: the descriptor promises `series_count` names at `series`.
        .map(|i| text(unsafe { *d.series.add(i) }, "a series name"))
        .collect::<Result<Vec<_>, _>>()?;
    if d.label_count > 0 && d.label_names.is_null() {
        return Err(bad("the label name list is null".into()));
    }
    let label_names = (0..d.label_count)
        // SAFETY: the descriptor promises `label_count` names at `label_names`.
        .map(|i| text(unsafe { *d.label_names.add(i) }, "a label name"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PluginInfo {
        name,
        version: text(d.version, "the version")?,
        kind,
        abi_version: d.abi_version,
        build: format!(
            "cyclebt-sdk {}, {}, {}, {}",
            text(d.build.sdk_version, "the SDK version")?,
            text(d.build.rustc, "the rustc version")?,
            text(d.build.target, "the target")?,
            text(d.build.profile, "the profile")?
        ),
        params,
        requires: Field::ALL
            .into_iter()
            .filter(|f| d.requires & (1 << *f as u64) != 0)
            .collect(),
        requires_series,
        label_names,
        path: path.to_path_buf(),
    })
}

impl Plugin {
    /// Creates an instance from its `params` table.
    pub fn instantiate(&'static self, params: &toml::Table) -> Result<PluginSignal, PluginError> {
        let config = params.to_string();
        let mut instance: *mut c_void = std::ptr::null_mut();
        // SAFETY: `create` comes from a checked descriptor; the string outlives the call.
        let status = unsafe { (self.functions.create)(abi::StrRef::new(&config), &mut instance) };
        if status != abi::STATUS_OK || instance.is_null() {
            return Err(PluginError::Create {
                name: self.info.name.clone(),
                path: self.info.path.clone(),
                message: self.last_error(std::ptr::null_mut()),
            });
        }
        Ok(PluginSignal {
            plugin: self,
            instance,
            describe: format!("{} ({})", self.info.name, self.info.path.display()),
            labels: None,
        })
    }

    fn last_error(&self, instance: *mut c_void) -> String {
        // SAFETY: `last_error` comes from a checked descriptor; the returned string is valid
        // until the next call into the plugin on this thread, and is copied at once.
        let message = unsafe { (self.functions.last_error)(instance).as_str() };
        match message {
            Ok("") => "the plugin gave no message".into(),
            Ok(text) => text.to_string(),
            Err(_) => "the plugin's message is not UTF-8".into(),
        }
    }
}

/// One plugin instance, usable wherever the engine takes a [`Signal`].
pub struct PluginSignal {
    plugin: &'static Plugin,
    instance: *mut c_void,
    describe: String,
    /// The labels of the last `evaluate_days` call, kept when the plugin names any.
    labels: Option<Vec<u32>>,
}

impl Drop for PluginSignal {
    fn drop(&mut self) {
        // SAFETY: the instance came from this plugin's `create` and is destroyed once.
        unsafe { (self.plugin.functions.destroy)(self.instance) };
    }
}

/// Whether `plugin` declares a name for some label: its signals then keep their labels, in
/// process or isolated.
fn names_labels(plugin: &Plugin) -> bool {
    plugin.info.label_names.iter().any(|n| !n.is_empty())
}

impl Signal for PluginSignal {
    fn name(&self) -> &str {
        &self.plugin.info.name
    }

    fn describe(&self) -> String {
        self.describe.clone()
    }

    fn evaluate(&mut self, history: History<'_>) -> Result<f64, SignalError> {
        let columns = self.series_columns(history);
        let view = view_of(history, &columns);
        let mut output = abi::Output::default();
        // SAFETY: `evaluate` comes from a checked descriptor; `view` and its slices live for
        // the call; `instance` is ours.
        let status = unsafe { (self.plugin.functions.evaluate)(self.instance, &view, &mut output) };
        if status == abi::STATUS_OK {
            Ok(output.value)
        } else {
            Err(self.error())
        }
    }

    fn requires(&self) -> Vec<Field> {
        self.plugin.info.requires.clone()
    }

    fn requires_series(&self) -> Vec<String> {
        self.plugin.info.requires_series.clone()
    }

    fn evaluate_days(
        &mut self,
        history: History<'_>,
        first: usize,
        out: &mut Vec<f64>,
    ) -> Result<(), DayError> {
        let outputs = self.outputs(history, first)?;
        out.extend(outputs.iter().map(|o| o.value));
        self.labels = names_labels(self.plugin).then(|| outputs.iter().map(|o| o.label).collect());
        Ok(())
    }

    fn take_labels(&mut self) -> Option<Vec<u32>> {
        self.labels.take()
    }
}

impl PluginSignal {
    /// What the plugin says about itself (its label names, say).
    pub fn info(&self) -> &PluginInfo {
        &self.plugin.info
    }

    /// Value and label of the days `first..=history.today()`, in one call across the boundary.
    pub fn outputs(
        &mut self,
        history: History<'_>,
        first: usize,
    ) -> Result<Vec<abi::Output>, DayError> {
        if first >= history.len() {
            return Ok(Vec::new());
        }
        let columns = self.series_columns(history);
        let view = view_of(history, &columns);
        let mut outputs = vec![abi::Output::default(); history.len() - first];
        let mut failed_day = first;
        // SAFETY: `evaluate_range` comes from a checked descriptor; `view` and its slices live
        // for the call; `outputs` has a slot for each day `first..len`; `instance` is ours.
        let status = unsafe {
            (self.plugin.functions.evaluate_range)(
                self.instance,
                &view,
                first,
                outputs.as_mut_ptr(),
                &mut failed_day,
            )
        };
        if status != abi::STATUS_OK {
            let day = failed_day.clamp(first, history.len() - 1);
            return Err(DayError {
                day,
                error: self.error(),
            });
        }
        Ok(outputs)
    }

    fn error(&self) -> SignalError {
        SignalError {
            message: self.plugin.last_error(self.instance),
        }
    }

    /// The column of each named series the plugin reads, in its order, in `history`'s dataset.
    fn series_columns(&self, history: History<'_>) -> Vec<usize> {
        self.plugin
            .info
            .requires_series
            .iter()
            .map(|name| history.series_column(name).unwrap_or(abi::SERIES_ABSENT))
            .collect()
    }
}

/// The ABI view of a history: pointers into the dataset and `series_columns`, valid while
/// both are.
fn view_of(history: History<'_>, series_columns: &[usize]) -> abi::HistoryView {
    let (values, stride) = history.column_base();
    abi::HistoryView {
        len: history.len(),
        dates: history.date_codes().as_ptr(),
        column_count: history.column_count(),
        stride,
        values,
        missing: history.missing_flags().as_ptr(),
        series_count: series_columns.len(),
        series_columns: series_columns.as_ptr(),
    }
}

/// Where plugins are looked for by name: `--plugin-dir` flags, then `CYCLEBT_PLUGIN_PATH`,
/// then the running binary's folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginDirs {
    dirs: Vec<PathBuf>,
}

impl PluginDirs {
    /// The search path from flags, the environment and the running binary.
    pub fn new(flags: &[PathBuf]) -> Self {
        let mut dirs = flags.to_vec();
        if let Some(path) = std::env::var_os(PLUGIN_PATH_ENV) {
            dirs.extend(std::env::split_paths(&path).filter(|p| !p.as_os_str().is_empty()));
        }
        if let Some(folder) = std::env::current_exe()
            .ok()
            .and_then(|e| e.parent().map(Path::to_path_buf))
        {
            dirs.push(folder);
        }
        let mut unique: Vec<PathBuf> = Vec::new();
        for dir in dirs {
            if !unique.contains(&dir) {
                unique.push(dir);
            }
        }
        PluginDirs { dirs: unique }
    }

    /// Exactly these directories.
    pub fn only(dirs: Vec<PathBuf>) -> Self {
        PluginDirs { dirs }
    }

    /// The directories, in search order.
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    /// The library file name of plugin `name` on this platform: `libsma_cross.so` for
    /// `sma-cross` on Linux.
    pub fn file_name(name: &str) -> String {
        format!(
            "{}{}{}",
            std::env::consts::DLL_PREFIX,
            name.replace('-', "_"),
            std::env::consts::DLL_SUFFIX
        )
    }

    /// The first library named after `name` in the search path. A name is letters, digits,
    /// `-`, `_` and `.`: never a path.
    pub fn find(&self, name: &str) -> Result<PathBuf, PluginError> {
        if let Err(message) = cyclebt_data::check_name("plugin name", name) {
            return Err(PluginError::BadName {
                name: name.into(),
                message,
            });
        }
        let file = Self::file_name(name);
        self.dirs
            .iter()
            .map(|d| d.join(&file))
            .find(|p| p.is_file())
            .ok_or_else(|| PluginError::NotFound {
                name: name.into(),
                file,
                searched: self.dirs.clone(),
            })
    }

    /// Every shared library in the search path, in order, deduplicated by file name (the
    /// first wins, as in [`PluginDirs::find`]).
    pub fn libraries(&self) -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> = Vec::new();
        for dir in &self.dirs {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut here: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    p.is_file()
                        && name.starts_with(std::env::consts::DLL_PREFIX)
                        && name.ends_with(std::env::consts::DLL_SUFFIX)
                })
                .collect();
            here.sort();
            for path in here {
                if !found.iter().any(|f| f.file_name() == path.file_name()) {
                    found.push(path);
                }
            }
        }
        found
    }
}

/// Builds built-in signals and plugins: the factory the CLI hands to strategy parsing.
pub struct PluginFactory {
    dirs: PluginDirs,
    audit: Option<CausalityAudit>,
    isolation: Option<Isolation>,
}

impl PluginFactory {
    /// A factory searching `dirs` for plugins named by strategies.
    pub fn new(dirs: PluginDirs) -> Self {
        PluginFactory {
            dirs,
            audit: None,
            isolation: None,
        }
    }

    /// The same factory, wrapping every plugin signal it builds in the causality audit
    /// (built-in signals are the project's own code and are not audited).
    pub fn with_audit(self, audit: Option<CausalityAudit>) -> Self {
        PluginFactory { audit, ..self }
    }

    /// The same factory, evaluating every plugin signal it builds in a child process under
    /// `isolation`'s limits ([`isolate`]).
    pub fn with_isolation(self, isolation: Option<Isolation>) -> Self {
        PluginFactory { isolation, ..self }
    }

    /// Loads the plugin a spec names and instantiates it for `role`.
    pub fn plugin_signal(
        &self,
        source: &SignalSource,
        params: &toml::Table,
        role: SignalRole,
    ) -> Result<PluginSignal, PluginError> {
        self.checked_library(source, role)?.instantiate(params)
    }

    /// The library a plugin source names, loaded and checked to be of the kind `role` needs.
    fn checked_library(
        &self,
        source: &SignalSource,
        role: SignalRole,
    ) -> Result<&'static Plugin, PluginError> {
        let plugin = self.library(source)?;
        let path = plugin.info.path.clone();
        let expected = match role {
            SignalRole::Signal => "signal",
            SignalRole::Strategy => "strategy",
        };
        if plugin.info.kind != expected {
            return Err(PluginError::WrongKind {
                name: plugin.info.name.clone(),
                path,
                found: plugin.info.kind,
                expected,
            });
        }
        Ok(plugin)
    }

    /// The library a plugin source names, loaded and checked (name included).
    pub fn library(&self, source: &SignalSource) -> Result<&'static Plugin, PluginError> {
        let path = match source {
            SignalSource::Plugin(name) => self.dirs.find(name)?,
            SignalSource::PluginPath(path) => path.clone(),
            SignalSource::Builtin(kind) => {
                return Err(PluginError::NotFound {
                    name: kind.clone(),
                    file: String::new(),
                    searched: Vec::new(),
                });
            }
        };
        let plugin = load(&path)?;
        if let SignalSource::Plugin(name) = source
            && plugin.info.name != *name
        {
            return Err(PluginError::WrongName {
                path,
                asked: name.clone(),
                found: plugin.info.name.clone(),
            });
        }
        Ok(plugin)
    }
}

impl SignalFactory for PluginFactory {
    fn create(&self, spec: &SignalSpec) -> Result<Box<dyn Signal>, String> {
        match &spec.source {
            SignalSource::Builtin(_) => BuiltinSignals.create(spec),
            source => {
                let plugin = self
                    .checked_library(source, spec.role)
                    .map_err(|e| e.to_string())?;
                // The command's limits when it isolates everything, the defaults for a
                // strategy file that asks on its own.
                let isolation = match (&self.isolation, spec.isolate) {
                    (Some(isolation), _) => Some(isolation.clone()),
                    (None, true) => Some(Isolation::for_this_process().map_err(|e| {
                        format!("cannot find the cyclebt binary to isolate the plugin: {e}")
                    })?),
                    (None, false) => None,
                };
                let params = spec.params.clone();
                // In process, an instance is made (and its params checked) here; isolated,
                // in the child at each evaluation.
                let make = move || -> Result<Box<dyn Signal>, String> {
                    match &isolation {
                        Some(isolation) => Ok(Box::new(IsolatedSignal::new(
                            plugin,
                            &params,
                            isolation.clone(),
                        ))),
                        None => plugin
                            .instantiate(&params)
                            .map(|s| Box::new(s) as Box<dyn Signal>)
                            .map_err(|e| e.to_string()),
                    }
                };
                let signal = make()?;
                match self.audit {
                    Some(audit) => Ok(Box::new(AuditedSignal::new(signal, Box::new(make), audit))),
                    None => Ok(signal),
                }
            }
        }
    }
}
