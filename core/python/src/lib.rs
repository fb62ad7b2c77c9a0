//! `cyclebt._cyclebt`, the native half of the Python package: the cyclebt command line run
//! in-process by [`cyclebt_cli::run`], the function the binary's `main` calls. The Python half
//! (`python/cyclebt/__init__.py`) builds the argument lists and reads the files the command
//! writes, so its results are the binary's bytes.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    _cyclebt,
    CyclebtError,
    PyException,
    "A cyclebt command failed; the message is the binary's."
);
create_exception!(
    _cyclebt,
    InputError,
    CyclebtError,
    "Bad input or configuration (the binary's exit code 2): data files, manifests, strategies, \
     arguments. The message names the file, line and column where there is one."
);
create_exception!(
    _cyclebt,
    StrategiesFailed,
    InputError,
    "Some strategies failed (a plugin that cannot load or errs, named in the message); the \
     others' results were computed and written."
);
create_exception!(
    _cyclebt,
    InternalError,
    CyclebtError,
    "Anything else that stopped a command (the binary's exit code 1)."
);

/// Runs one cyclebt command line (without the program name) and returns what the binary would
/// print on stdout and stderr, or raises InputError or InternalError with the binary's message.
#[pyfunction]
fn run(py: Python<'_>, args: Vec<String>) -> PyResult<(String, String)> {
    let argv = std::iter::once("cyclebt".to_string()).chain(args);
    let (outcome, out, err) = py.detach(|| {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let outcome = cyclebt_cli::run(argv, &mut out, &mut err);
        (outcome, out, err)
    });
    let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
    match outcome {
        Ok(()) => Ok((text(out), text(err))),
        Err(error) => {
            let message = match text(err) {
                notes if notes.is_empty() => error.to_string(),
                notes => format!("{error}\n{notes}"),
            };
            Err(match error {
                cyclebt_cli::RunError::Internal(_) => InternalError::new_err(message),
                cyclebt_cli::RunError::StrategiesFailed(_) => StrategiesFailed::new_err(message),
                cyclebt_cli::RunError::Usage(_) | cyclebt_cli::RunError::Input(_) => {
                    InputError::new_err(message)
                }
            })
        }
    }
}

/// A strategy given as a dict (JSON text) written as the TOML file the binary reads.
#[pyfunction]
fn toml_from_json(json: &str) -> PyResult<String> {
    let value: toml::Table = serde_json::from_str(json)
        .map_err(|e| InputError::new_err(format!("strategy dict: {e}")))?;
    toml::to_string(&value).map_err(|e| InputError::new_err(format!("strategy dict: {e}")))
}

/// The days the causality audit cuts a window `first..=last` at (`--audit-causality`'s
/// seeded cut points), so that `check_causal` cuts a Python signal's history where a plugin's
/// would be cut.
#[pyfunction]
#[pyo3(signature = (first, last, cuts=None, seed=None))]
fn cut_points(first: usize, last: usize, cuts: Option<usize>, seed: Option<u64>) -> Vec<usize> {
    let default = cyclebt_engine::CausalityAudit::default();
    let audit = cyclebt_engine::CausalityAudit {
        cuts: cuts.unwrap_or(default.cuts),
        seed: seed.unwrap_or(default.seed),
    };
    audit.cut_points(first, last)
}

/// The native module.
#[pymodule]
fn _cyclebt(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(toml_from_json, m)?)?;
    m.add_function(wrap_pyfunction!(cut_points, m)?)?;
    m.add("CyclebtError", m.py().get_type::<CyclebtError>())?;
    m.add("InputError", m.py().get_type::<InputError>())?;
    m.add("InternalError", m.py().get_type::<InternalError>())?;
    m.add("StrategiesFailed", m.py().get_type::<StrategiesFailed>())?;
    Ok(())
}
