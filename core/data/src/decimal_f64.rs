//! A `Decimal`'s `f64`: `Decimal::to_f64`'s bits, faster. The loader converts every price it
//! reads, and the engine every day's equity of every run; both must give the bits
//! `rust_decimal` gives, which a plain division does not always.
//!
//! `rust_decimal` 1.43 converts a scaled amount by splitting its 96-bit mantissa into integral
//! and fractional parts with a 128-bit division, adding the two as `f64` and rounding the sum
//! to the amount's decimals. [`parts_to_f64`] does the same operations on the same values, in
//! 64-bit integers when the mantissa fits (every curve of a real run: a 64-bit mantissa is 1.8
//! x 10^11 yuan at 8 decimals), and under 2^50 (11 million yuan at 8 decimals, every price) it
//! skips to the result those operations give ([`SHORT_MANTISSA`]); other amounts go to
//! `to_f64` itself.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// 10^0 to 10^19 as `f64`, each exact (every power of ten to 10^22 is), as `10f64.powi` gives
/// them: its repeated squaring multiplies only such exact powers.
const POWERS_OF_TEN_F64: [f64; 20] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19,
];

/// 10^0 to 10^28, one per scale a `Decimal` takes, by table: `u128::pow` is a loop of 128-bit
/// multiplications, and the engine's mark raises a scale or checks a bound several times a day.
pub const POWERS_OF_TEN: [u128; 29] = {
    let mut powers = [1; 29];
    let mut i = 1;
    while i < powers.len() {
        powers[i] = powers[i - 1] * 10;
        i += 1;
    }
    powers
};

/// Under 2^50, `to_f64`'s rounding of the sum to the amount's decimals gives back the mantissa
/// itself, so the result is mantissa / 10^scale: the fraction's division and the two roundings
/// before the `round` err by at most 3 x 2^-53 of the mantissa (the fraction is at most the
/// mantissa), under 0.5 while the mantissa is under 2^53 / 6, and the mantissa is exact in
/// `f64`.
const SHORT_MANTISSA: u64 = 1 << 50;

/// `amount.to_f64()` (NaN where it has none), the same bits, faster.
pub fn decimal_to_f64(amount: Decimal) -> f64 {
    parts_to_f64(
        amount.mantissa().unsigned_abs(),
        amount.scale(),
        amount.is_sign_negative(),
        || amount,
    )
}

/// [`decimal_to_f64`] of the `Decimal` made of `magnitude x 10^-scale` and a sign, from the
/// integers themselves; `decimal` builds that `Decimal`, for the amounts that take no
/// shortcut (the amount itself when there is one: a negative zero's `Decimal` rebuilt from its
/// parts loses its sign).
#[inline(always)]
pub fn parts_to_f64(
    magnitude: u128,
    scale: u32,
    negative: bool,
    decimal: impl FnOnce() -> Decimal,
) -> f64 {
    let fallback = || decimal().to_f64().unwrap_or(f64::NAN);
    let Ok(mantissa) = u64::try_from(magnitude) else {
        return fallback();
    };
    if scale == 0 || scale as usize >= POWERS_OF_TEN_F64.len() {
        return fallback();
    }
    let value = if mantissa < SHORT_MANTISSA {
        mantissa as f64 / POWERS_OF_TEN_F64[scale as usize]
    } else {
        // 10^scale for a scale under 20 fits 64 bits.
        let precision = POWERS_OF_TEN[scale as usize] as u64;
        let integral = (mantissa / precision) as f64;
        let fraction = mantissa % precision;
        if fraction == 0 {
            integral
        } else {
            let sum = integral + fraction as f64 / precision as f64;
            let round_to = POWERS_OF_TEN_F64[scale as usize];
            round_non_negative(sum * round_to) / round_to
        }
    };
    if negative { -value } else { value }
}

/// `x.round()` (half away from zero) for `x >= 0`, inline: `f64::round` is a call into the C
/// library on baseline x86-64, and the long path above takes it every day of a run whose
/// equity grew large.
#[inline(always)]
fn round_non_negative(x: f64) -> f64 {
    // From 2^52 on every f64 is an integer.
    if x >= (1u64 << 52) as f64 {
        return x;
    }
    // Below 2^52 the cast truncates exactly, and the fraction is exact too.
    let whole = x as u64 as f64;
    if x - whole >= 0.5 { whole + 1.0 } else { whole }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mantissas of every size a `Decimal` holds, from a 128-bit linear congruential sequence
    /// cut to a random bit length, with the values around each bound this module uses.
    fn mantissas() -> impl Iterator<Item = u128> {
        let mut state: u128 = 0x2545_f491_4f6c_dd1d;
        let random = std::iter::repeat_with(move || {
            state = state
                .wrapping_mul(0x2360_ed05_1fc6_5da4_4385_df64_9fcc_f645)
                .wrapping_add(0x5851_f42d_4c95_7f2d_1405_7b7e_f767_814f);
            let bits = (state >> 120) as u32 % 97;
            (state >> 20) & ((1u128 << bits) - 1)
        })
        .take(200_000);
        let bounds = [1u128 << 50, 1 << 53, 1 << 64, (1 << 96) - 3000]
            .into_iter()
            .flat_map(|bound| bound - 3000..bound + 3000)
            .chain((1u128 << 50) / 7..(1 << 50) / 7 + 100);
        random.chain(bounds).chain([0, 1, 9, 10, 11])
    }

    #[test]
    fn decimal_to_f64_gives_to_f64_s_bits() {
        let mut short = 0;
        for (i, mantissa) in mantissas().enumerate() {
            for scale in [(i % 29) as u32, (i % 5) as u32 + 1] {
                for negative in [false, true] {
                    let Ok(amount) = Decimal::try_from_i128_with_scale(mantissa as i128, scale)
                        .map(|mut a| {
                            a.set_sign_negative(negative);
                            a
                        })
                    else {
                        continue;
                    };
                    let expected = amount.to_f64().unwrap_or(f64::NAN);
                    assert_eq!(
                        decimal_to_f64(amount).to_bits(),
                        expected.to_bits(),
                        "{amount}"
                    );
                    short += usize::from(mantissa < u128::from(SHORT_MANTISSA) && scale > 0);
                }
            }
        }
        assert!(short > 100_000, "{short}");
    }

    #[test]
    fn round_non_negative_is_f64_round() {
        let halves = (0..100_000u64).map(|k| k as f64 + 0.5);
        let near_half = [
            0.5f64.next_down(),
            0.5,
            0.5f64.next_up(),
            4_503_599_627_370_495.5,
        ];
        // Spread over 0 to 2^65, with every fraction.
        let spread = mantissas().map(|m| f64::from_bits((m as u64) % (1088u64 << 52)));
        for x in halves
            .chain(near_half)
            .chain(spread)
            .chain([0.0, 1.0, 2f64.powi(52)])
        {
            assert_eq!(round_non_negative(x).to_bits(), x.round().to_bits(), "{x}");
        }
    }
}
