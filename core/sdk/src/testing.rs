//! Checks a plugin author can run in the plugin's own tests, with no host: build a history
//! from columns and assert the no-look-ahead rule.
//!
//! ```ignore
//! #[test]
//! fn no_look_ahead() {
//!     let closes: Vec<f64> = (0..300).map(|i| 100.0 + (i as f64 / 7.0).sin()).collect();
//!     let data = TestData::new(closes.len()).with(Field::Close, closes);
//!     assert_prefix_stable(|| Momentum::new(Config::default()).unwrap(), &data);
//! }
//! ```

use crate::abi::{self, HistoryView, Output};
use crate::{Field, History, Plugin};

/// Columns for a history built in a test: every field NaN until set, and named series added
/// with [`TestData::with_series`].
#[derive(Debug, Clone)]
pub struct TestData {
    len: usize,
    dates: Vec<i32>,
    values: Vec<f64>,
    missing: Vec<u32>,
    /// Names of the series after the field columns, in column order.
    series_names: Vec<&'static str>,
    /// Their column indices, as a host passes them.
    series_columns: Vec<usize>,
}

impl TestData {
    /// `len` days, dated 2000-01-01 on in months of 28 days (valid, increasing dates), all
    /// fields missing.
    pub fn new(len: usize) -> Self {
        let dates = (0..len as i32)
            .map(|i| {
                abi::yyyymmdd(
                    2000 + i / 336,
                    (i / 28 % 12 + 1) as u32,
                    (i % 28 + 1) as u32,
                )
            })
            .collect();
        TestData {
            len,
            dates,
            values: vec![f64::NAN; abi::field::COUNT * len],
            missing: vec![(1 << abi::field::COUNT) - 1; len],
            series_names: Vec::new(),
            series_columns: Vec::new(),
        }
    }

    /// Adds a named series, which a plugin listing `name` in its [`Plugin::SERIES`] reads
    /// with [`History::series`].
    ///
    /// # Panics
    /// If `values` does not have one value per day.
    pub fn with_series(mut self, name: &'static str, values: Vec<f64>) -> Self {
        assert_eq!(values.len(), self.len, "one value per day");
        self.series_columns
            .push(abi::field::COUNT + self.series_names.len());
        self.series_names.push(name);
        self.values.extend(values);
        self
    }

    fn column_count(&self) -> usize {
        abi::field::COUNT + self.series_names.len()
    }

    /// Sets one column.
    ///
    /// # Panics
    /// If `values` does not have one value per day.
    pub fn with(mut self, field: Field, values: Vec<f64>) -> Self {
        assert_eq!(values.len(), self.len, "one value per day");
        let start = field as usize * self.len;
        for (t, value) in values.into_iter().enumerate() {
            self.values[start + t] = value;
            let bit = 1u32 << field as u32;
            if value.is_nan() {
                self.missing[t] |= bit
            } else {
                self.missing[t] &= !bit
            }
        }
        self
    }

    /// The same data cut after day `t`, in new memory: nothing after `t` exists any more.
    pub fn cut(&self, t: usize) -> TestData {
        let keep = t + 1;
        let mut cut = TestData {
            len: keep,
            dates: self.dates[..keep].to_vec(),
            values: Vec::with_capacity(self.column_count() * keep),
            missing: self.missing[..keep].to_vec(),
            series_names: self.series_names.clone(),
            series_columns: self.series_columns.clone(),
        };
        for f in 0..self.column_count() {
            cut.values
                .extend_from_slice(&self.values[f * self.len..f * self.len + keep]);
        }
        cut
    }

    /// The whole history, as a plugin receives it.
    pub fn history(&self) -> History<'_> {
        let view = HistoryView {
            len: self.len,
            dates: self.dates.as_ptr(),
            column_count: self.column_count(),
            stride: self.len,
            values: self.values.as_ptr(),
            missing: self.missing.as_ptr(),
            series_count: self.series_columns.len(),
            series_columns: self.series_columns.as_ptr(),
        };
        // SAFETY: every pointer refers to this struct's own buffers, sized as the view says,
        // and they live as long as the returned history borrows `self`.
        unsafe { History::from_view(&view) }
            .expect("a non-empty test history")
            .with_series_names(&self.series_names)
    }
}

fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

/// Asserts the no-look-ahead rule on every day of `data`: the value for day t from the full
/// history equals the value from data that ends at t (evaluated by a fresh plugin), days
/// evaluated in reverse order on one instance agree with days evaluated in order (no state
/// carried between calls changes an answer), and the whole-series path agrees with the
/// per-day one.
///
/// # Panics
/// With the first day and values that disagree.
pub fn assert_prefix_stable<P: Plugin>(make: impl Fn() -> P, data: &TestData) {
    let full = data.history();
    let mut forward = make();
    let by_day: Vec<f64> = (0..data.len)
        .map(|t| {
            forward
                .evaluate(&full.prefix(t))
                .unwrap_or_else(|e| panic!("day {t}: {e}"))
        })
        .collect();
    let mut backward = make();
    for t in (0..data.len).rev() {
        let value = backward
            .evaluate(&full.prefix(t))
            .unwrap_or_else(|e| panic!("day {t}: {e}"));
        assert!(
            same(value, by_day[t]),
            "day {t}: {value} evaluated after later days, {} in order",
            by_day[t]
        );
        let cut = data.cut(t);
        let alone = make()
            .evaluate(&cut.history())
            .unwrap_or_else(|e| panic!("day {t}: {e}"));
        assert!(
            same(alone, by_day[t]),
            "day {t}: {alone} with data ending at t, {} with the full data",
            by_day[t]
        );
    }
    let mut series: Vec<Output> = Vec::new();
    make()
        .evaluate_series(&full, 0, &mut series)
        .unwrap_or_else(|(day, e)| panic!("day {day}: {e}"));
    for (t, output) in series.iter().enumerate() {
        assert!(
            same(output.value, by_day[t]),
            "day {t}: {} on the series path, {} day by day",
            output.value,
            by_day[t]
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Remembers the highest close it has seen: its answer depends on what it was asked before.
    struct Stateful {
        high: f64,
    }

    impl Plugin for Stateful {
        type Config = toml::Table;
        const NAME: &'static str = "stateful";
        const PARAMS: &'static [(&'static str, &'static str)] = &[];

        fn new(_: toml::Table) -> Result<Self, String> {
            Ok(Stateful {
                high: f64::NEG_INFINITY,
            })
        }

        fn evaluate(&mut self, history: &History<'_>) -> Result<f64, String> {
            let close = history.column(Field::Close)[history.today()];
            self.high = self.high.max(close);
            Ok(if close >= self.high { 1.0 } else { 0.0 })
        }
    }

    #[test]
    #[should_panic(expected = "evaluated after later days")]
    fn a_plugin_with_state_across_calls_fails_the_check() {
        let data = TestData::new(50).with(Field::Close, (0..50).map(f64::from).collect());
        assert_prefix_stable(|| Stateful::new(toml::Table::new()).unwrap(), &data);
    }
}
