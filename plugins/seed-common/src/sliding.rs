//! Whole-range versions of the trailing-window statistics of [`crate::rolling`] and
//! [`crate::zone`], for evaluating every day of a history in one pass: O(1) amortised per day
//! for a window's extreme (a monotonic deque) and O(log n) for a percentile rank (a Fenwick
//! tree over the window's values), where the per-day definitions rescan the whole window.
//!
//! Each gives exactly the per-day definition's answer (the same index on ties, the same value
//! bits, the same None), which the tests below check against those definitions on random and
//! adversarial series. Each still reads only the rows of the window it is asked about: the
//! answer for a window is a function of that window's rows, whatever was asked before.
//!
//! Windows are meant to be asked in order, both ends never moving back; a window that does
//! move back (or skips ahead) is answered all the same, by rebuilding from its start.

use std::collections::VecDeque;
use std::ops::Range;

/// Which extreme a [`SlidingExtreme`] tracks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extreme {
    /// The smallest value.
    Lowest,
    /// The largest value.
    Highest,
}

impl Extreme {
    /// Whether `a` is strictly better than `b`: an equal later value never displaces an earlier
    /// one, which is what makes the first index win on ties.
    fn better(self, a: f64, b: f64) -> bool {
        match self {
            Extreme::Lowest => a < b,
            Extreme::Highest => a > b,
        }
    }
}

/// The extreme of a sliding window of `values`.
pub struct SlidingExtreme<'a> {
    values: &'a [f64],
    extreme: Extreme,
    /// Which values take part: finite ones for [`Self::index`], all but NaN for
    /// [`Self::value`].
    counts: fn(f64) -> bool,
    /// Candidate indices in the window, in index order, values strictly worsening from the
    /// front: the front is the window's extreme, the first of equals.
    deque: VecDeque<usize>,
    /// The window last asked about; rows `window.end..` are not yet in the deque.
    window: Range<usize>,
    /// The latest NaN row pushed (only tracked for [`Self::value`]).
    last_nan: Option<usize>,
}

impl<'a> SlidingExtreme<'a> {
    /// The index of the extreme finite value, first on ties; the fast form of
    /// `zone`'s per-day search (which [`crate::zone::bear_market`] uses). Ask with
    /// [`Self::index`].
    pub fn finite(values: &'a [f64], extreme: Extreme) -> Self {
        Self::with(values, extreme, f64::is_finite)
    }

    /// The extreme value, None when the window is empty or holds a NaN; the fast form of
    /// [`crate::rolling::min`] / [`crate::rolling::max`] over a window. Ask with
    /// [`Self::value`].
    pub fn unless_nan(values: &'a [f64], extreme: Extreme) -> Self {
        Self::with(values, extreme, |v| !v.is_nan())
    }

    fn with(values: &'a [f64], extreme: Extreme, counts: fn(f64) -> bool) -> Self {
        SlidingExtreme {
            values,
            extreme,
            counts,
            deque: VecDeque::new(),
            window: 0..0,
            last_nan: None,
        }
    }

    /// Moves the window to `range` (clamped to the values).
    fn slide(&mut self, range: Range<usize>) {
        let range = range.start.min(self.values.len())..range.end.min(self.values.len());
        if range.start < self.window.start
            || range.end < self.window.end
            || range.start > self.window.end
        {
            self.deque.clear();
            self.last_nan = None;
            self.window = range.start..range.start;
        }
        for i in self.window.end..range.end {
            let v = self.values[i];
            if v.is_nan() {
                self.last_nan = Some(i);
            }
            if !(self.counts)(v) {
                continue;
            }
            while self
                .deque
                .back()
                .is_some_and(|&b| self.extreme.better(v, self.values[b]))
            {
                self.deque.pop_back();
            }
            self.deque.push_back(i);
        }
        while self.deque.front().is_some_and(|&f| f < range.start) {
            self.deque.pop_front();
        }
        self.window = range;
    }

    /// Index of the extreme finite value of `values[range]`, first on ties (for a
    /// [`Self::finite`] window).
    pub fn index(&mut self, range: Range<usize>) -> Option<usize> {
        self.slide(range);
        self.deque.front().copied()
    }

    /// The extreme value of `values[range]`, None if it is empty or holds a NaN (for an
    /// [`Self::unless_nan`] window).
    pub fn value(&mut self, range: Range<usize>) -> Option<f64> {
        self.slide(range);
        if self.last_nan.is_some_and(|n| n >= self.window.start) {
            return None;
        }
        self.deque.front().map(|&i| self.values[i])
    }
}

/// The percentile rank of each day's value among its trailing window, as
/// [`crate::rolling::percentile_rank`] defines it, for days asked in order.
pub struct SlidingRank<'a> {
    values: &'a [f64],
    /// Each row's position (from 1) among the distinct finite values of the rows from
    /// `first` on (0.0 and -0.0 are one value, as `<=` sees them); 0 for a row that is not
    /// finite.
    levels: Vec<usize>,
    /// Fenwick tree of how many window rows hold each position.
    counts: Vec<usize>,
    /// Finite rows in the window.
    finite: usize,
    /// Rows in the tree.
    window: Range<usize>,
    /// First row the positions cover.
    first: usize,
}

impl<'a> SlidingRank<'a> {
    /// Ranks of days from `from` on, over windows of `days` rows.
    pub fn new(values: &'a [f64], from: usize, days: usize) -> Self {
        let first = (from + 1).saturating_sub(days).min(values.len());
        let mut finite: Vec<(f64, usize)> = values[first..]
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(i, v)| (*v, i))
            .collect();
        finite.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        let mut levels = vec![0; values.len() - first];
        let mut level = 0;
        let mut previous = None;
        for (value, row) in finite {
            if previous != Some(value) {
                level += 1;
                previous = Some(value);
            }
            levels[row] = level;
        }
        SlidingRank {
            values,
            levels,
            counts: vec![0; level + 1],
            finite: 0,
            window: first..first,
            first,
        }
    }

    fn add(&mut self, row: usize, added: bool) {
        let mut i = self.levels[row - self.first];
        if i == 0 {
            return;
        }
        if added {
            self.finite += 1;
        } else {
            self.finite -= 1;
        }
        while i < self.counts.len() {
            if added {
                self.counts[i] += 1;
            } else {
                self.counts[i] -= 1;
            }
            i += i & i.wrapping_neg();
        }
    }

    /// Rows in the window holding a position at or below `i`.
    fn at_or_below(&self, mut i: usize) -> usize {
        let mut sum = 0;
        while i > 0 {
            sum += self.counts[i];
            i -= i & i.wrapping_neg();
        }
        sum
    }

    /// `percentile_rank(values, end, days, min_count)`.
    pub fn rank(&mut self, end: usize, days: usize, min_count: usize) -> Option<f64> {
        let today = *self.values.get(end)?;
        if !today.is_finite() {
            return None;
        }
        let start = (end + 1).saturating_sub(days);
        if start < self.first {
            // Before the rows the positions cover: the per-day definition.
            return crate::rolling::percentile_rank(self.values, end, days, min_count);
        }
        if start < self.window.start || end + 1 < self.window.end {
            self.counts.fill(0);
            self.finite = 0;
            self.window = start..start;
        }
        for row in self.window.end.max(start)..=end {
            self.add(row, true);
        }
        for row in self.window.start..start.min(self.window.end) {
            self.add(row, false);
        }
        self.window = start..end + 1;
        let below = self.at_or_below(self.levels[end - self.first]);
        (self.finite >= min_count).then(|| below as f64 / self.finite as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rolling::{max, min, percentile_rank, window};
    use crate::zone::{ZoneCache, ZoneParams, bear_market};

    /// A small seeded generator (xorshift64*), so the series are the same on every run.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// Series built to catch a wrong tie rule or a missed NaN: few distinct levels (long
    /// plateaus and many equal values), NaNs, infinities, runs of NaN, monotone stretches.
    fn series(rng: &mut Rng, kind: u64, n: usize) -> Vec<f64> {
        let mut out = Vec::with_capacity(n);
        let mut level = 100.0;
        while out.len() < n {
            let v = match kind {
                // Few distinct values: ties everywhere.
                0 => rng.below(4) as f64,
                // A random walk on a coarse grid with plateaus.
                1 => {
                    if rng.below(3) == 0 {
                        level += rng.below(5) as f64 - 2.0;
                    }
                    level
                }
                // Equal values sprinkled with NaN and infinities.
                2 => match rng.below(10) {
                    0 => f64::NAN,
                    1 => f64::INFINITY,
                    2 => f64::NEG_INFINITY,
                    _ => rng.below(3) as f64,
                },
                // Monotone rises and falls (every day a new extreme), with runs of NaN.
                _ => {
                    level += if (out.len() / 17) % 2 == 0 { 1.0 } else { -1.0 };
                    if rng.below(25) == 0 { f64::NAN } else { level }
                }
            };
            out.push(v);
        }
        out
    }

    /// The per-day extreme search, written out as `zone` does it (its own comparisons, so a
    /// change to the deque's tie rule cannot change the reference too).
    fn extreme_index(values: &[f64], range: Range<usize>, extreme: Extreme) -> Option<usize> {
        let mut best: Option<usize> = None;
        for i in range {
            let v = values[i];
            let better = |b: usize| match extreme {
                Extreme::Lowest => v < values[b],
                Extreme::Highest => v > values[b],
            };
            if v.is_finite() && best.is_none_or(better) {
                best = Some(i);
            }
        }
        best
    }

    fn each_series(mut check: impl FnMut(&[f64], usize)) {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for kind in 0..4 {
            for _ in 0..6 {
                let n = 1 + rng.below(300) as usize;
                let days = 1 + rng.below(40) as usize;
                check(&series(&mut rng, kind, n), days);
            }
        }
    }

    #[test]
    fn sliding_index_is_the_per_day_search_ties_included() {
        each_series(|values, days| {
            for extreme in [Extreme::Lowest, Extreme::Highest] {
                let mut fast = SlidingExtreme::finite(values, extreme);
                for t in 0..values.len() {
                    let range = (t + 1).saturating_sub(days)..t + 1;
                    assert_eq!(
                        fast.index(range.clone()),
                        extreme_index(values, range, extreme),
                        "{extreme:?} at {t} over {days} days of {values:?}"
                    );
                }
            }
        });
    }

    #[test]
    fn sliding_bear_markets_are_the_per_day_ones() {
        each_series(|close, days| {
            let amount = vec![1.0; close.len()];
            for (peak_days, min_drawdown) in [(days, 0.0), (2 * days + 1, 0.2), (1, 0.5)] {
                let p = ZoneParams {
                    trough_days: days,
                    peak_days,
                    min_drawdown,
                    ..ZoneParams::default()
                };
                let mut fast = ZoneCache::new(close, &amount, &p);
                for t in 0..close.len() {
                    assert_eq!(
                        fast.bear_market(t),
                        bear_market(close, t, &p),
                        "day {t}, {p:?}, close {close:?}"
                    );
                }
            }
        });
    }

    #[test]
    fn the_first_of_equal_extremes_wins() {
        // If the deque let a later equal value displace an earlier one, these would be 3 and 4.
        let values = [5.0, 1.0, 9.0, 1.0, 9.0];
        let mut low = SlidingExtreme::finite(&values, Extreme::Lowest);
        assert_eq!(low.index(0..4), Some(1));
        let mut high = SlidingExtreme::finite(&values, Extreme::Highest);
        assert_eq!(high.index(0..5), Some(2));
        assert_eq!(high.index(3..5), Some(4));
    }

    #[test]
    fn sliding_value_is_rolling_min_and_max() {
        each_series(|values, days| {
            let mut low = SlidingExtreme::unless_nan(values, Extreme::Lowest);
            let mut high = SlidingExtreme::unless_nan(values, Extreme::Highest);
            for t in 0..values.len() {
                let span = days.min(t + 1);
                let slice = window(values, t, span);
                let range = t + 1 - span..t + 1;
                let bits = |v: Option<f64>| v.map(f64::to_bits);
                assert_eq!(bits(low.value(range.clone())), bits(slice.and_then(min)));
                assert_eq!(bits(high.value(range)), bits(slice.and_then(max)));
            }
        });
    }

    #[test]
    fn windows_asked_out_of_order_are_still_right() {
        let values = [3.0, 1.0, f64::NAN, 2.0, 0.5, 4.0, 4.0];
        let mut high = SlidingExtreme::finite(&values, Extreme::Highest);
        let mut low = SlidingExtreme::unless_nan(&values, Extreme::Lowest);
        for range in [3..7, 0..2, 5..7, 1..4, 0..7, 6..7, 2..2] {
            assert_eq!(
                high.index(range.clone()),
                extreme_index(&values, range.clone(), Extreme::Highest)
            );
            let slice = &values[range.clone()];
            assert_eq!(low.value(range), min(slice));
        }
    }

    #[test]
    fn sliding_rank_is_percentile_rank() {
        each_series(|values, days| {
            for from in [0, values.len() / 2] {
                let mut fast = SlidingRank::new(values, from, days);
                for min_count in [1, 3] {
                    for t in from..values.len() {
                        assert_eq!(
                            fast.rank(t, days, min_count).map(f64::to_bits),
                            percentile_rank(values, t, days, min_count).map(f64::to_bits),
                            "day {t} over {days} days of {values:?}"
                        );
                    }
                }
            }
        });
        // Signed zeros are one value to `<=`.
        let values = [0.0, -0.0, 0.0, -0.0];
        let mut fast = SlidingRank::new(&values, 0, 3);
        for t in 0..values.len() {
            assert_eq!(fast.rank(t, 3, 1), percentile_rank(&values, t, 3, 1));
        }
    }
}
