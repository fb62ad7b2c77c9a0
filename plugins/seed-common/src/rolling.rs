//! Trailing-window statistics. `end` is the last row included; a window never reaches past it.

/// The `days` rows ending at `end` (inclusive), or None when there are fewer.
pub fn window(values: &[f64], end: usize, days: usize) -> Option<&[f64]> {
    if days == 0 || end >= values.len() || end + 1 < days {
        return None;
    }
    Some(&values[end + 1 - days..=end])
}

/// The `days` rows before `end` (not including it).
pub fn before(values: &[f64], end: usize, days: usize) -> Option<&[f64]> {
    if end == 0 {
        return None;
    }
    window(values, end - 1, days)
}

/// Mean, or None if empty or any value is NaN.
pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() || values.iter().any(|v| v.is_nan()) {
        return None;
    }
    Some(values.iter().sum::<f64>() / values.len() as f64)
}

/// Largest value, or None if empty or any value is NaN.
pub fn max(values: &[f64]) -> Option<f64> {
    if values.is_empty() || values.iter().any(|v| v.is_nan()) {
        return None;
    }
    Some(values.iter().copied().fold(f64::NEG_INFINITY, f64::max))
}

/// Smallest value, or None if empty or any value is NaN.
pub fn min(values: &[f64]) -> Option<f64> {
    if values.is_empty() || values.iter().any(|v| v.is_nan()) {
        return None;
    }
    Some(values.iter().copied().fold(f64::INFINITY, f64::min))
}

/// `values[end] / values[end - days] - 1`, or None if either is missing.
pub fn change(values: &[f64], end: usize, days: usize) -> Option<f64> {
    let (now, then) = (*values.get(end)?, *values.get(end.checked_sub(days)?)?);
    (now.is_finite() && then.is_finite() && then != 0.0).then(|| now / then - 1.0)
}

/// Share of the finite values among the last `days` rows (ending at `end`) that are at or
/// below `values[end]`: the percentile rank of today's value in its recent history. None when
/// today's value is missing or fewer than `min_count` values are finite.
pub fn percentile_rank(values: &[f64], end: usize, days: usize, min_count: usize) -> Option<f64> {
    let today = *values.get(end)?;
    if !today.is_finite() {
        return None;
    }
    let start = (end + 1).saturating_sub(days);
    let (mut below, mut count) = (0usize, 0usize);
    for v in values[start..=end].iter().filter(|v| v.is_finite()) {
        count += 1;
        if *v <= today {
            below += 1;
        }
    }
    (count >= min_count).then(|| below as f64 / count as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_stop_at_their_end() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(window(&v, 2, 2), Some(&[2.0, 3.0][..]));
        assert_eq!(window(&v, 1, 3), None);
        assert_eq!(before(&v, 3, 2), Some(&[2.0, 3.0][..]));
        assert_eq!(mean(&[1.0, 2.0, 6.0]), Some(3.0));
        assert_eq!(mean(&[1.0, f64::NAN]), None);
        assert_eq!(change(&v, 3, 2), Some(1.0));
    }

    #[test]
    fn percentile_rank_counts_values_at_or_below_today() {
        let v = [5.0, 1.0, f64::NAN, 3.0, 4.0];
        // Finite values 5, 1, 3, 4; today 4: 1, 3, 4 are at or below: 3 of 4.
        assert_eq!(percentile_rank(&v, 4, 10, 2), Some(0.75));
        assert_eq!(percentile_rank(&v, 4, 10, 5), None);
        assert_eq!(percentile_rank(&v, 2, 10, 1), None);
    }
}
