//! A `Decimal`'s value as the integers it is made of, for the arithmetic the day loop does
//! every day of every run.
//!
//! A `Decimal` is a fixed-point number whose point is kept per value: an integer mantissa under
//! 2^96 and a scale of 0 to 28 decimals, the value mantissa x 10^-scale. [`Exact`] holds the same
//! integers and adds and multiplies them in 128-bit integers with `rust_decimal`'s rules, exactly,
//! answering None wherever `rust_decimal` would have to round; [`to_f64`] is `Decimal::to_f64`'s
//! conversion, the same bits, without its 128-bit division.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// An amount as the integers of its `Decimal`: magnitude x 10^-scale, and the sign (which a
/// zero has too: `rust_decimal` keeps it, and writes a negative zero `-0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Exact {
    pub magnitude: u128,
    pub scale: u32,
    pub negative: bool,
}

/// 2^96: a `Decimal`'s mantissa is below it.
pub(crate) const MANTISSA_LIMIT: u128 = 1 << 96;

/// The largest scale of a `Decimal`.
const MAX_SCALE: u32 = 28;

/// 10^0 to 10^28, by table: `u128::pow` is a loop of 128-bit multiplications, and the mark
/// raises a scale or checks a bound several times a day.
const POWERS_OF_TEN: [u128; MAX_SCALE as usize + 1] = {
    let mut powers = [1; MAX_SCALE as usize + 1];
    let mut i = 1;
    while i < powers.len() {
        powers[i] = powers[i - 1] * 10;
        i += 1;
    }
    powers
};

/// `MAX_MONEY` (10^20) as a magnitude at scales 0 to 8: 10^(20 + scale). From scale 9 on
/// every 96-bit magnitude is within it.
const BOUNDS: [u128; 9] = {
    let mut bounds = [0; 9];
    let mut i = 0;
    while i < bounds.len() {
        bounds[i] = POWERS_OF_TEN[20] * POWERS_OF_TEN[i];
        i += 1;
    }
    bounds
};

/// `a x b`, None on overflow; one 64-bit multiplication when both fit 64 bits (the common
/// case: a day's price and units, an amount and a power of ten up to 10^19), where the
/// general 128-bit one takes several.
#[inline(always)]
fn multiply(a: u128, b: u128) -> Option<u128> {
    match (u64::try_from(a), u64::try_from(b)) {
        (Ok(a), Ok(b)) => Some(u128::from(a) * u128::from(b)),
        _ => a.checked_mul(b),
    }
}

impl Exact {
    pub const ZERO: Exact = Exact {
        magnitude: 0,
        scale: 0,
        negative: false,
    };

    #[inline(always)]
    pub fn of(amount: Decimal) -> Self {
        Exact {
            magnitude: amount.mantissa().unsigned_abs(),
            scale: amount.scale(),
            negative: amount.is_sign_negative(),
        }
    }

    pub fn is_zero(self) -> bool {
        self.magnitude == 0
    }

    /// The `Decimal` with these integers (the magnitude is below 2^96 and the scale at most 28
    /// wherever one is built).
    #[inline(always)]
    pub fn decimal(self) -> Decimal {
        Decimal::from_parts(
            self.magnitude as u32,
            (self.magnitude >> 32) as u32,
            (self.magnitude >> 64) as u32,
            self.negative,
            self.scale,
        )
    }

    /// Whether the amount is at most `MAX_MONEY` (10^20): the test `account::bounded` makes of
    /// every amount, and the mark of its own integers.
    #[inline(always)]
    pub fn bounded(self) -> bool {
        self.negative
            || BOUNDS
                .get(self.scale as usize)
                .is_none_or(|bound| self.magnitude <= *bound)
    }

    /// `self x other` as `rust_decimal` computes it (a zero factor gives a plain zero), or None
    /// where it would round.
    #[inline(always)]
    pub fn times(self, other: Exact) -> Option<Exact> {
        if self.is_zero() || other.is_zero() {
            return Some(Exact::ZERO);
        }
        let scale = self.scale + other.scale;
        let magnitude = multiply(self.magnitude, other.magnitude)?;
        (scale <= MAX_SCALE && magnitude < MANTISSA_LIMIT).then_some(Exact {
            magnitude,
            scale,
            negative: self.negative != other.negative,
        })
    }

    /// `self + other` (or `self - other`) as `rust_decimal` computes it: a zero operand gives the
    /// other (negated when subtracted) and the smaller scale is raised to the larger. None where
    /// it would round, and where two non-zero operands cancel: `rust_decimal` takes different
    /// internal paths by mantissa size and scale gap, and the sign of an exact zero should not
    /// rest on this module's reading of each, so `Decimal` itself computes it (rare: equity
    /// exactly zero).
    #[inline(always)]
    pub fn plus(self, other: Exact, subtract: bool) -> Option<Exact> {
        if self.is_zero() {
            let negate = subtract && !other.is_zero();
            return Some(Exact {
                negative: other.negative != negate,
                ..other
            });
        }
        if other.is_zero() {
            return Some(self);
        }
        let scale = self.scale.max(other.scale);
        // Both scales are at most 28 (Decimal's), so the power is in the table; the product may
        // not fit 128 bits, hence checked.
        let raise = |x: Exact| {
            multiply(x.magnitude, POWERS_OF_TEN[(scale - x.scale) as usize])
                .filter(|m| *m < MANTISSA_LIMIT)
        };
        let (a, b) = (raise(self)?, raise(other)?);
        let (magnitude, negative) = if subtract != (self.negative != other.negative) {
            if a == b {
                return None;
            } else if a > b {
                (a - b, self.negative)
            } else {
                (b - a, !self.negative)
            }
        } else {
            (a + b, self.negative)
        };
        (magnitude < MANTISSA_LIMIT).then_some(Exact {
            magnitude,
            scale,
            negative,
        })
    }
}

/// 10^0 to 10^19 as `f64`, each exact (every power of ten to 10^22 is), as `10f64.powi` gives
/// them: its repeated squaring multiplies only such exact powers.
const POWERS_OF_TEN_F64: [f64; 20] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19,
];

/// Under 2^50, `to_f64`'s rounding of the sum to the amount's decimals gives back the mantissa
/// itself, so the result is mantissa / 10^scale: the fraction's division and the two roundings
/// before the `round` err by at most 3 x 2^-53 of the mantissa (the fraction is at most the
/// mantissa), under 0.5 while the mantissa is under 2^53 / 6, and the mantissa is exact in
/// `f64`.
const SHORT_MANTISSA: u64 = 1 << 50;

/// `amount.to_f64()`, the same bits, faster.
///
/// `rust_decimal` 1.43 converts a scaled amount by splitting its 96-bit mantissa into integral
/// and fractional parts with a 128-bit division, adding the two as `f64` and rounding the sum
/// to the amount's decimals. This does the same operations on the same values, in 64-bit
/// integers when the mantissa fits (every curve of a real run: a 64-bit mantissa is 1.8 x
/// 10^11 yuan at 8 decimals), and under 2^50 (11 million yuan at 8 decimals) it skips to the
/// result those operations give ([`SHORT_MANTISSA`]); other amounts go to `to_f64` itself. Converting curves was a
/// fifth of a sweep's CPU. `to_f64_gives_decimal_s_bits` checks the bits.
pub fn to_f64(amount: Decimal) -> f64 {
    Exact::of(amount).to_f64_or(|| amount)
}

impl Exact {
    /// [`to_f64`] of [`Exact::decimal`], from the integers themselves: the mark of a run that
    /// keeps no ledger converts each day's equity without building the `Decimal` (which a
    /// ledger run's mark builds, and converts later: the same bits).
    #[inline(always)]
    pub fn to_f64(self) -> f64 {
        self.to_f64_or(|| self.decimal())
    }

    /// The conversion, with `decimal` (these integers' `Decimal`) converted by `rust_decimal`
    /// where the integers take no shortcut. That is the amount itself when there is one: a
    /// negative zero's `Decimal` rebuilt from its parts loses its sign.
    #[inline(always)]
    fn to_f64_or(self, decimal: impl FnOnce() -> Decimal) -> f64 {
        let fallback = || decimal().to_f64().unwrap_or(f64::NAN);
        let Ok(mantissa) = u64::try_from(self.magnitude) else {
            return fallback();
        };
        let scale = self.scale;
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
        if self.negative { -value } else { value }
    }
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
pub(crate) mod tests {
    use super::*;

    /// A generator of amounts of every kind the mark meets and several it should never meet:
    /// zeros of any scale and sign, small and huge mantissas, scales 0 to 28, out of range or
    /// not.
    pub(crate) struct Amounts(pub u64);

    impl Amounts {
        pub fn next(&mut self) -> u64 {
            // xorshift64*
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        pub fn amount(&mut self) -> Decimal {
            let kind = self.next() % 8;
            let mantissa: u128 = match kind {
                0 => 0,
                1..=3 => u128::from(self.next() % 100_000_000),
                4 | 5 => u128::from(self.next()),
                _ => (u128::from(self.next()) << 32 | u128::from(self.next())) % (1 << 96),
            };
            let scale = match self.next() % 4 {
                0 => 0,
                1 => 2,
                2 => (self.next() % 9) as u32,
                _ => (self.next() % 29) as u32,
            };
            // The account's amounts are never negative (its invariant); a zero may carry a
            // sign.
            let negative = mantissa == 0 && self.next().is_multiple_of(2);
            Decimal::from_parts(
                mantissa as u32,
                (mantissa >> 32) as u32,
                (mantissa >> 64) as u32,
                negative,
                scale,
            )
        }
    }

    #[test]
    fn round_non_negative_is_f64_round() {
        let mut amounts = Amounts(0x9e37_79b9_7f4a_7c15);
        let halves = (0..100_000u64).map(|k| k as f64 + 0.5);
        let near_half = [
            0.5f64.next_down(),
            0.5,
            0.5f64.next_up(),
            4_503_599_627_370_495.5,
        ];
        let random = (0..300_000).map(|_| {
            let bits = amounts.next();
            // Spread over 0 to 2^70, with every fraction.
            f64::from_bits(bits % (1087u64 << 52))
        });
        for x in halves
            .chain(near_half)
            .chain(random)
            .chain([0.0, 1.0, 2f64.powi(52)])
        {
            assert_eq!(round_non_negative(x).to_bits(), x.round().to_bits(), "{x}");
        }
    }

    #[test]
    fn to_f64_gives_decimal_s_bits() {
        let mut amounts = Amounts(0x2545_f491_4f6c_dd1d);
        let mut fast = 0;
        for _ in 0..300_000 {
            let mut amount = amounts.amount();
            if amounts.next().is_multiple_of(3) {
                amount.set_sign_negative(true);
            }
            let expected = amount.to_f64().unwrap_or(f64::NAN);
            assert_eq!(to_f64(amount).to_bits(), expected.to_bits(), "{amount}");
            fast += usize::from(amount.mantissa().unsigned_abs() < 1 << 64 && amount.scale() > 0);
        }
        assert!(fast > 100_000, "{fast}");
        // Around the short mantissas' bound, at every scale and both signs.
        let bound = i128::from(SHORT_MANTISSA);
        for scale in 1..=19 {
            for mantissa in (bound - 3000..bound + 3000).chain(bound / 7..bound / 7 + 100) {
                for amount in [
                    Decimal::from_i128_with_scale(mantissa, scale),
                    Decimal::from_i128_with_scale(-mantissa, scale),
                ] {
                    let expected = amount.to_f64().unwrap_or(f64::NAN);
                    assert_eq!(to_f64(amount).to_bits(), expected.to_bits(), "{amount}");
                }
            }
        }
    }
}
