//! The signal trait: what a built-in signal implements today and a loaded plugin implements
//! through the plugin host.

use cyclebt_data::{Field, History};

/// A signal turns market history into a value in `[-1, 1]` for one decision day: positive
/// favours holding, negative favours staying out, 0 is neutral (also the answer while there is
/// not yet enough history).
///
/// **Contract:** `evaluate` is a function of the rows in `history` alone: called with the
/// history of day `t`, it returns the same value whether the full dataset ends at `t` or years
/// later, and whatever days were evaluated before. A signal may cache work across calls as long
/// as that stays true. The engine checks the range and rejects NaN.
pub trait Signal {
    /// What the signal is called in reports and error messages.
    fn name(&self) -> &str;

    /// The name with where the signal comes from, for error messages (a plugin adds its
    /// library's path).
    fn describe(&self) -> String {
        self.name().to_string()
    }

    /// Fields without which the signal has nothing to say: a window where one of them has no
    /// value at all is reported "n/a" rather than run.
    fn requires(&self) -> Vec<Field> {
        Vec::new()
    }

    /// Named series (declared by the dataset's manifest with `[[series]]`) without which the
    /// signal has nothing to say: a window where the dataset lacks one, or has no value of it,
    /// is reported "n/a" rather than run.
    fn requires_series(&self) -> Vec<String> {
        Vec::new()
    }

    /// The value for the decision day `history.today()`.
    fn evaluate(&mut self, history: History<'_>) -> Result<f64, SignalError>;

    /// The values for the decision days `first..=history.today()`, each exactly what
    /// `evaluate` gives on that day's own history, appended to `out`. The default asks
    /// `evaluate` day by day; a plugin answers in one call across its boundary.
    fn evaluate_days(
        &mut self,
        history: History<'_>,
        first: usize,
        out: &mut Vec<f64>,
    ) -> Result<(), DayError> {
        for day in first..history.len() {
            let value = self
                .evaluate(history.prefix(day))
                .map_err(|error| DayError { day, error })?;
            out.push(value);
        }
        Ok(())
    }

    /// The labels of the days the last `evaluate_days` call appended (a plugin's `label` of
    /// each day, in the names it declares), taken once; None for a signal that names no
    /// labels. The report shades them, from the same evaluation the runs used.
    fn take_labels(&mut self) -> Option<Vec<u32>> {
        None
    }
}

/// A signal failed on one day of a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayError {
    /// Index of the day in the dataset.
    pub day: usize,
    /// What the signal said.
    pub error: SignalError,
}

/// A signal could not produce a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SignalError {
    /// What went wrong, in the signal's words.
    pub message: String,
}
