//! CSV cells appended straight to a byte buffer, for the audit files' hundreds of thousands of
//! rows: the same bytes as the `Display` forms the files were first written with (a
//! `Decimal`'s, `format!("{:.6}")` through [`crate::number`], a date's `%Y-%m-%d`), without
//! the formatting machinery and its per-cell `String`s. Each function is checked against the
//! `Display` form it stands for (the tests below, over edge cases and hundreds of thousands of seeded values).

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use std::io::Write;

/// Appends `value` as its `Display` writes it: every digit its scale holds (trailing zeros
/// kept), a `0` before a leading point, and the sign of a negative value, even of a negative
/// zero.
pub fn decimal(buf: &mut Vec<u8>, value: Decimal) {
    if value.is_sign_negative() {
        buf.push(b'-');
    }
    let digits = value.mantissa().unsigned_abs();
    let scale = value.scale();
    let mut text = itoa::Buffer::new();
    // Most amounts fit in 64 bits, where formatting and division are cheaper.
    match u64::try_from(digits) {
        Ok(small) if scale == 0 => buf.extend_from_slice(text.format(small).as_bytes()),
        Ok(small) if scale < 20 => {
            let unit = 10u64.pow(scale);
            buf.extend_from_slice(text.format(small / unit).as_bytes());
            buf.push(b'.');
            padded(buf, small % unit, scale as usize);
        }
        _ if scale == 0 => buf.extend_from_slice(text.format(digits).as_bytes()),
        _ => {
            let unit = 10u128.pow(scale);
            buf.extend_from_slice(text.format(digits / unit).as_bytes());
            buf.push(b'.');
            padded(buf, digits % unit, scale as usize);
        }
    }
}

/// Appends `value` left-padded with zeros to `width` digits.
fn padded(buf: &mut Vec<u8>, value: impl itoa::Integer, width: usize) {
    let mut text = itoa::Buffer::new();
    let digits = text.format(value).as_bytes();
    buf.resize(buf.len() + width.saturating_sub(digits.len()), b'0');
    buf.extend_from_slice(digits);
}

/// 2^40: below it an `f64` times 10^6 is off its exact value by at most 2^-14.
const EXACT_BELOW: f64 = 1_099_511_627_776.0;

/// Appends what [`crate::number`] returns: nothing for NaN, else `format!("{value:.6}")`.
///
/// Rust rounds the exact binary value to six decimals (half to even). When `y = value x 10^6`
/// is below 2^40 in size, the product's rounding error is at most 2^-14, so if `y` lies within
/// 1/4 of an integer `k`, the exact value lies within 1/4 + 2^-14 < 1/2 of `k` and rounds to
/// it: the cell is `k` with a point before its last six digits. Anything else (ties, huge
/// values, infinities) goes through `format!` itself.
pub fn fixed6(buf: &mut Vec<u8>, value: f64) {
    if value.is_nan() {
        return;
    }
    let scaled = value * 1e6;
    let nearest = scaled.round();
    if scaled.abs() < EXACT_BELOW && (scaled - nearest).abs() < 0.25 {
        if value.is_sign_negative() {
            buf.push(b'-');
        }
        let micros = nearest.abs() as u64;
        let mut text = itoa::Buffer::new();
        buf.extend_from_slice(text.format(micros / 1_000_000).as_bytes());
        buf.push(b'.');
        padded(buf, micros % 1_000_000, 6);
    } else {
        write!(buf, "{value:.6}").expect("writing to a Vec cannot fail");
    }
}

/// Appends `date` as `YYYY-MM-DD`, as its `Display` does (years outside 0..=9999 through
/// `Display` itself).
pub fn date(buf: &mut Vec<u8>, date: NaiveDate) {
    let year = date.year();
    if !(0..=9999).contains(&year) {
        write!(buf, "{date}").expect("writing to a Vec cannot fail");
        return;
    }
    padded(buf, year as u32, 4);
    buf.push(b'-');
    padded(buf, date.month(), 2);
    buf.push(b'-');
    padded(buf, date.day(), 2);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha8Rng;
    use rand_core::{Rng, SeedableRng};

    fn cell(write: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut buf = Vec::new();
        write(&mut buf);
        String::from_utf8(buf).unwrap()
    }

    fn check_decimal(value: Decimal) {
        assert_eq!(cell(|b| decimal(b, value)), value.to_string(), "{value:?}");
    }

    fn check_fixed6(value: f64) {
        assert_eq!(
            cell(|b| fixed6(b, value)),
            crate::number(value),
            "{value:e} ({:#x})",
            value.to_bits()
        );
    }

    #[test]
    fn decimals_read_as_their_display() {
        let mut cases = vec![
            Decimal::ZERO,
            Decimal::new(0, 2),
            Decimal::new(-0, 4),
            Decimal::new(5, 1),
            Decimal::new(-5, 3),
            Decimal::new(1_000_000, 0),
            Decimal::new(100_011_268_279_500, 8),
            Decimal::new(-24_994, 2),
            Decimal::MAX,
            Decimal::MIN,
            Decimal::from_i128_with_scale(u64::MAX as i128 + 1, 19),
            Decimal::from_i128_with_scale(u64::MAX as i128, 20),
            Decimal::from_i128_with_scale(1, 28),
            Decimal::from_i128_with_scale(-79_228_162_514_264_337_593_543_950_335, 28),
        ];
        // A negative zero, which Display writes with its sign.
        let mut negative_zero = Decimal::new(0, 2);
        negative_zero.set_sign_negative(true);
        cases.push(negative_zero);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..200_000 {
            let bits = rng.next_u64() as i128 * (rng.next_u32() as i128 >> (rng.next_u32() % 32));
            let mantissa = bits >> (rng.next_u32() % 96);
            cases.push(Decimal::from_i128_with_scale(mantissa, rng.next_u32() % 29));
        }
        for value in cases {
            check_decimal(value);
        }
    }

    #[test]
    fn six_decimals_read_as_format() {
        let edges = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.0000005,
            0.0000015,
            -0.0000005,
            0.0000025,
            1e-7,
            -1e-9,
            0.1 + 0.2,
            123_456.789_012_5,
            EXACT_BELOW / 1e6,
            -EXACT_BELOW / 1e6,
            1e300,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        for value in edges {
            check_fixed6(value);
        }
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for _ in 0..200_000 {
            // Values of every size the files hold (ratios, prices, returns), and halves at
            // the sixth decimal, where rounding is decided.
            let magnitude = 10f64.powi((rng.next_u32() % 16) as i32 - 9);
            let unit = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            let sign = if rng.next_u32() % 2 == 0 { 1.0 } else { -1.0 };
            check_fixed6(sign * unit * magnitude);
            let tie = ((rng.next_u64() % 2_000_000_000) as f64 + 0.5) / 1e6;
            check_fixed6(sign * tie);
            check_fixed6(f64::from_bits(rng.next_u64()));
        }
    }

    #[test]
    fn dates_read_as_their_display() {
        for (y, m, d) in [
            (1990, 12, 19),
            (2026, 1, 2),
            (5, 3, 9),
            (0, 1, 1),
            (9999, 12, 31),
        ] {
            let day = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(cell(|b| date(b, day)), day.to_string());
        }
        for day in [NaiveDate::MIN, NaiveDate::MAX] {
            assert_eq!(cell(|b| date(b, day)), day.to_string());
        }
    }
}
